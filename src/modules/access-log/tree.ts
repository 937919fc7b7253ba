/**
 * Two incremental forms of the RFC 6962 tree:
 *
 * - `Frontier` (a "compact range", transparency-dev/merkle docs/compact_ranges.md): only the hashes
 *   of the perfect subtrees along the right edge, one per set bit of the size, largest first. It is
 *   all a log needs to append in O(log n) and to compute its root; the store keeps it in the head row.
 * - `MerkleTree`: every complete node, level by level, in flat byte arrays (about 64 bytes per
 *   leaf). Appends cost amortised O(1) hashes (O(log n) at worst); the root at any past size and any
 *   inclusion or consistency proof cost O(log n). The verifier and the benchmarks use it.
 */
import { EMPTY_ROOT, HASH_BYTES, consistencyProof, inclusionProof, nodeHash, splitPoint } from './merkle.js';

export class Frontier {
  private constructor(
    private size: number,
    /** Roots of the perfect subtrees covering [0, size), largest (leftmost) first. */
    private readonly hashes: Buffer[],
  ) {}

  static empty(): Frontier {
    return new Frontier(0, []);
  }

  /** Restores a frontier; throws when the hash count does not match the size (a corrupt head). */
  static of(size: number, hashes: readonly Uint8Array[]): Frontier {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid tree size ${size}`);
    if (hashes.length !== bitCount(size) || hashes.some((h) => h.length !== HASH_BYTES)) {
      throw new RangeError(`a frontier of a tree of ${size} has ${bitCount(size)} hashes, not ${hashes.length}`);
    }
    return new Frontier(size, hashes.map((h) => Buffer.from(h)));
  }

  get treeSize(): number {
    return this.size;
  }

  get subtreeHashes(): readonly Buffer[] {
    return this.hashes;
  }

  /**
   * Adds one leaf hash: merges the equal-sized subtrees at the right edge (one per trailing 1 bit).
   * Returns the complete subtrees this append finished, from level 1 up: the store keeps them so it
   * can serve proofs without reading every leaf. The node at level l has index (size / 2^l) - 1.
   */
  append(leaf: Uint8Array): Buffer[] {
    let h: Buffer = Buffer.from(leaf);
    let s = this.size;
    const completed: Buffer[] = [];
    while (s % 2 === 1) {
      h = nodeHash(this.hashes.pop()!, h);
      completed.push(h);
      s = Math.floor(s / 2);
    }
    this.hashes.push(h);
    this.size++;
    return completed;
  }

  /** MTH of the whole tree: fold the subtree roots from the right. */
  root(): Buffer {
    if (this.hashes.length === 0) return Buffer.from(EMPTY_ROOT);
    let acc = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i--) acc = nodeHash(this.hashes[i]!, acc);
    return acc;
  }

  clone(): Frontier {
    return new Frontier(this.size, [...this.hashes]);
  }
}

/** A growable array of 32-byte hashes in one buffer. */
class HashArray {
  private bytes = new Uint8Array(HASH_BYTES * 64);
  length = 0;

  push(h: Uint8Array): void {
    if ((this.length + 1) * HASH_BYTES > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(h, this.length * HASH_BYTES);
    this.length++;
  }

  /** A view valid until the next push; copy it to keep it. */
  at(i: number): Uint8Array {
    return this.bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }
}

export class MerkleTree {
  /** levels[l] holds the roots of the complete subtrees of 2^l leaves, left to right. */
  private readonly levels: HashArray[] = [new HashArray()];

  get size(): number {
    return this.levels[0]!.length;
  }

  append(leaf: Uint8Array): void {
    if (leaf.length !== HASH_BYTES) throw new RangeError('a leaf hash has 32 bytes');
    this.levels[0]!.push(leaf);
    // Each time the new node is a right child, its parent is now complete.
    let index = this.size - 1;
    let level = 0;
    while (index % 2 === 1) {
      const nodes = this.levels[level]!;
      const parent = nodeHash(nodes.at(index - 1), nodes.at(index));
      level++;
      if (this.levels.length === level) this.levels.push(new HashArray());
      this.levels[level]!.push(parent);
      index = (index - 1) / 2;
    }
  }

  /** The stored hash of leaf `index`. */
  leaf(index: number): Buffer {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new RangeError(`no leaf ${index} in a tree of ${this.size}`);
    return Buffer.from(this.levels[0]!.at(index));
  }

  /** MTH(D[start:end]): a stored node when the range is a complete, aligned subtree, else computed. */
  readonly subtreeHash = (start: number, end: number): Buffer => {
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start < end && end <= this.size)) {
      throw new RangeError(`no subtree [${start}, ${end}) in a tree of ${this.size}`);
    }
    const width = end - start;
    let level = 0;
    while (2 ** level < width) level++;
    if (2 ** level === width && start % width === 0) return Buffer.from(this.levels[level]!.at(start / width));
    const k = splitPoint(width);
    return nodeHash(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
  };

  /** The root of the tree as it was at `size` leaves (default: now). */
  root(size = this.size): Buffer {
    if (size === 0) return Buffer.from(EMPTY_ROOT);
    return this.subtreeHash(0, size);
  }

  inclusionProof(index: number, size = this.size): Buffer[] {
    if (size > this.size) throw new RangeError(`the tree has ${this.size} leaves, not ${size}`);
    return inclusionProof(index, size, this.subtreeHash);
  }

  consistencyProof(m: number, n = this.size): Buffer[] {
    if (n > this.size) throw new RangeError(`the tree has ${this.size} leaves, not ${n}`);
    return consistencyProof(m, n, this.subtreeHash);
  }
}

/** A complete, aligned subtree: 2^level leaves starting at index × 2^level. Level 0 is a leaf. */
export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

/**
 * The complete, aligned subtrees whose hashes make up MTH(D[start:end]), left to right, for a range
 * the RFC's recursion produces (its start a multiple of the largest power of two below its width):
 * what a store that keeps every complete node must read to serve any subtree hash a proof needs.
 */
export function nodesOfRange(start: number, end: number): NodeRef[] {
  const width = end - start;
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && width > 0)) throw new RangeError(`no range [${start}, ${end})`);
  const level = log2IfPowerOfTwo(width);
  if (level !== undefined && start % width === 0) return [{ level, index: start / width }];
  const k = splitPoint(width);
  return [...nodesOfRange(start, start + k), ...nodesOfRange(start + k, end)];
}

/** MTH(D[start:end]) from the hashes of nodesOfRange(start, end); undefined when one is missing. */
export function hashOfRange(start: number, end: number, hashOf: (node: NodeRef) => Uint8Array | undefined): Buffer | undefined {
  const width = end - start;
  const level = log2IfPowerOfTwo(width);
  if (level !== undefined && start % width === 0) {
    const h = hashOf({ level, index: start / width });
    return h === undefined ? undefined : Buffer.from(h);
  }
  const k = splitPoint(width);
  const left = hashOfRange(start, start + k, hashOf);
  const right = left && hashOfRange(start + k, end, hashOf);
  return left && right ? nodeHash(left, right) : undefined;
}

function log2IfPowerOfTwo(n: number): number | undefined {
  let level = 0;
  let p = 1;
  while (p < n) {
    p *= 2;
    level++;
  }
  return p === n ? level : undefined;
}

function bitCount(n: number): number {
  let c = 0;
  while (n > 0) {
    c += n % 2;
    n = Math.floor(n / 2);
  }
  return c;
}
