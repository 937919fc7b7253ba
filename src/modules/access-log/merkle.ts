/**
 * RFC 6962 / RFC 9162 §2.1 Merkle Tree Hash, inclusion proofs and consistency proofs, with SHA-256.
 *
 *   MTH({})       = SHA-256()
 *   MTH({d0})     = SHA-256(0x00 ‖ d0)                         (leaf hash)
 *   MTH(D[n])     = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))  (node hash), k = largest power of 2 < n
 *
 * Sizes and indexes are plain numbers (safe integers), so the bit tricks of the RFC are written as
 * arithmetic: `x & 1` and `x >> 1` would wrap at 2^31.
 *
 * Verifiers are the security boundary: they reject every malformed input (wrong hash length, index
 * out of range, a proof that is too long or too short) instead of trusting the prover.
 */
import { createHash } from 'node:crypto';

export const HASH_BYTES = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** MTH(D[start:end]) over some sequence of leaves, e.g. a stored tree's subtree cache. */
export type SubtreeHash = (start: number, end: number) => Uint8Array;

/** The largest power of two strictly less than n (n ≥ 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
const isHash = (h: Uint8Array) => h.length === HASH_BYTES;

/** MTH over a list of leaf hashes, by the RFC's definition (reference implementation; O(n)). */
export function rootOf(leafHashes: readonly Uint8Array[]): Buffer {
  if (leafHashes.length === 0) return Buffer.from(EMPTY_ROOT);
  return Buffer.from(mth(leafHashes, 0, leafHashes.length));
}

function mth(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  if (end - start === 1) return leaves[start]!;
  const k = splitPoint(end - start);
  return nodeHash(mth(leaves, start, start + k), mth(leaves, start + k, end));
}

/** A SubtreeHash that recomputes from a list of leaf hashes (fine for tests and small trees). */
export function subtreeHashOf(leafHashes: readonly Uint8Array[]): SubtreeHash {
  return (start, end) => mth(leafHashes, start, end);
}

/**
 * PATH(m, D[n]) of RFC 9162 §2.1.3.1: the sibling subtree hashes from the leaf up to the root.
 * `hashOf(start, end)` supplies MTH(D[start:end]).
 */
export function inclusionProof(index: number, size: number, hashOf: SubtreeHash): Buffer[] {
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`no inclusion proof for leaf ${index} in a tree of ${size}`);
  }
  // Walk down from the root, noting each sibling; the proof lists them bottom-up.
  const siblings: Buffer[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      siblings.push(Buffer.from(hashOf(start + k, end)));
      end = start + k;
    } else {
      siblings.push(Buffer.from(hashOf(start, start + k)));
      start += k;
    }
  }
  return siblings.reverse();
}

/**
 * PROOF(m, D[n]) of RFC 9162 §2.1.4.1 for 0 < m < n; empty for m = n and for m = 0 (every tree
 * extends the empty tree, and there is nothing to prove).
 */
export function consistencyProof(m: number, n: number, hashOf: SubtreeHash): Buffer[] {
  if (!isSize(m) || !isSize(n) || m > n) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  // SUBPROOF(m, D[start:end], b), unrolled: each step appends one hash after the sub-proof.
  const tail: Buffer[] = [];
  let start = 0;
  let end = n;
  let mm = m;
  let complete = true; // the RFC's b: is D[start:start+mm] the whole old tree seen so far?
  for (;;) {
    if (mm === end - start) {
      if (!complete) tail.push(Buffer.from(hashOf(start, end)));
      break;
    }
    const k = splitPoint(end - start);
    if (mm <= k) {
      tail.push(Buffer.from(hashOf(start + k, end)));
      end = start + k;
    } else {
      tail.push(Buffer.from(hashOf(start, start + k)));
      start += k;
      mm -= k;
      complete = false;
    }
  }
  return tail.reverse();
}

/**
 * RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or undefined when the proof cannot be
 * a proof for this index and size (too long, too short, malformed hashes).
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[]): Buffer | undefined {
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) return undefined;
  if (!isHash(leaf) || !proof.every(isHash)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined; // the proof is longer than the path to the root
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        // A right-edge node with no right sibling at these levels: skip them.
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return undefined; // the proof is shorter than the path to the root
  return Buffer.from(r);
}

/** True when `proof` proves that `leaf` is leaf `index` of the tree of `size` leaves with `root`. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isHash(root)) return false;
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  return computed !== undefined && computed.equals(root);
}

/**
 * RFC 9162 §2.1.4.2: true when `proof` proves that the tree of size m with `rootM` is a prefix of
 * the tree of size n with `rootN`. Equal sizes need an empty proof and equal roots; m = 0 needs an
 * empty proof (as in transparency-dev/merkle).
 */
export function verifyConsistency(m: number, n: number, rootM: Uint8Array, rootN: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!isSize(m) || !isSize(n) || m > n) return false;
  if (!proof.every(isHash)) return false;
  if (m === n) return proof.length === 0 && isHash(rootM) && Buffer.from(rootM).equals(rootN);
  if (m === 0) return proof.length === 0;
  if (!isHash(rootM) || !isHash(rootN)) return false;
  if (proof.length === 0) return false;

  // If m is a power of two the old root is itself a node of the path: the proof starts at it.
  const path: readonly Uint8Array[] = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false; // more hashes than levels
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(fr).equals(rootM) && Buffer.from(sr).equals(rootN);
}

function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}
