import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, consistencyProof, inclusionProof, leafHash, rootOf, subtreeHashOf, verifyConsistency, verifyInclusion } from './merkle.js';
import { Frontier, MerkleTree, hashOfRange, nodesOfRange } from './tree.js';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(`entry ${i}`));

describe('Frontier (the right edge of the tree)', () => {
  it('has the RFC 6962 root after every append, with one hash per set bit of the size', () => {
    const all = leaves(130);
    const f = Frontier.empty();
    expect(f.root().equals(EMPTY_ROOT)).toBe(true);
    for (let n = 1; n <= all.length; n++) {
      f.append(all[n - 1]!);
      expect(f.treeSize).toBe(n);
      expect(f.subtreeHashes.length).toBe(n.toString(2).replace(/0/g, '').length);
      expect(f.root().toString('hex'), `size ${n}`).toBe(rootOf(all.slice(0, n)).toString('hex'));
    }
  });

  it('restores from its stored hashes and refuses a count that does not fit the size', () => {
    const f = Frontier.empty();
    for (const l of leaves(11)) f.append(l);
    const copy = Frontier.of(11, f.subtreeHashes);
    copy.append(leafHash('next'));
    f.append(leafHash('next'));
    expect(copy.root().equals(f.root())).toBe(true);
    expect(() => Frontier.of(11, f.subtreeHashes.slice(0, 2))).toThrow(RangeError);
    expect(() => Frontier.of(12, [Buffer.alloc(31), Buffer.alloc(32)])).toThrow(RangeError);
    expect(() => Frontier.of(-1, [])).toThrow(RangeError);
  });
});

describe('MerkleTree (every complete node kept)', () => {
  it('knows the root at every past size, and its proofs equal the reference ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), fc.nat(), (n, a, b) => {
        const all = leaves(n);
        const tree = new MerkleTree();
        for (const l of all) tree.append(l);
        const reference = subtreeHashOf(all);
        const size = 1 + (a % n);
        const m = b % (size + 1);
        expect(tree.root(size).equals(rootOf(all.slice(0, size)))).toBe(true);
        const index = b % size;
        expect(tree.inclusionProof(index, size)).toEqual(inclusionProof(index, size, reference));
        expect(tree.consistencyProof(m, size)).toEqual(consistencyProof(m, size, reference));
        expect(verifyInclusion(index, size, tree.leaf(index), tree.inclusionProof(index, size), tree.root(size))).toBe(true);
        expect(verifyConsistency(m, size, tree.root(m), tree.root(size), tree.consistencyProof(m, size))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('grows past its first buffers (thousands of leaves) and agrees with the frontier', () => {
    const tree = new MerkleTree();
    const f = Frontier.empty();
    for (const l of leaves(5000)) {
      tree.append(l);
      f.append(l);
    }
    expect(tree.root().equals(f.root())).toBe(true);
    expect(tree.root(4097).equals(rootOf(leaves(4097)))).toBe(true);
  });

  it('refuses sizes and leaves it does not have', () => {
    const tree = new MerkleTree();
    expect(tree.root().equals(EMPTY_ROOT)).toBe(true);
    tree.append(leafHash('a'));
    expect(() => tree.append(Buffer.alloc(31))).toThrow(RangeError);
    expect(() => tree.root(2)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 2)).toThrow(RangeError);
    expect(() => tree.leaf(1)).toThrow(RangeError);
  });
});

describe('stored complete nodes (what the store keeps to serve proofs)', () => {
  it('Frontier.append returns exactly the complete subtrees it finished, level 1 up', () => {
    const all = leaves(70);
    const tree = new MerkleTree();
    const f = Frontier.empty();
    const nodes = new Map<string, string>();
    for (const [seq, l] of all.entries()) {
      tree.append(l);
      f.append(l).forEach((h, i) => nodes.set(`${i + 1}:${(seq + 1) / 2 ** (i + 1) - 1}`, h.toString('hex')));
    }
    // Every complete aligned subtree of 2^level ≥ 2 leaves, and nothing else.
    const expected = new Map<string, string>();
    for (let level = 1; 2 ** level <= all.length; level++) {
      for (let index = 0; (index + 1) * 2 ** level <= all.length; index++) {
        expected.set(`${level}:${index}`, tree.subtreeHash(index * 2 ** level, (index + 1) * 2 ** level).toString('hex'));
      }
    }
    expect(nodes).toEqual(expected);
  });

  it('any proof built from the nodes of its ranges equals the in-memory one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const all = leaves(n);
        const tree = new MerkleTree();
        for (const l of all) tree.append(l);
        const node = ({ level, index }: { level: number; index: number }) => tree.subtreeHash(index * 2 ** level, (index + 1) * 2 ** level);
        const fromNodes = (start: number, end: number) => {
          for (const r of nodesOfRange(start, end)) expect((r.index + 1) * 2 ** r.level).toBeLessThanOrEqual(end);
          return hashOfRange(start, end, node)!;
        };
        const size = 1 + (a % n);
        const index = b % size;
        const m = b % (size + 1);
        expect(inclusionProof(index, size, fromNodes)).toEqual(tree.inclusionProof(index, size));
        expect(consistencyProof(m, size, fromNodes)).toEqual(tree.consistencyProof(m, size));
        // O(log n) nodes per proof, not O(n).
        const touched = new Set<string>();
        inclusionProof(index, size, (s, e) => {
          for (const r of nodesOfRange(s, e)) touched.add(`${r.level}:${r.index}`);
          return Buffer.alloc(32);
        });
        expect(touched.size).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size + 1)) + 1);
      }),
      { numRuns: 200 },
    );
  });

  it('a missing node makes the range hash undefined rather than wrong', () => {
    const tree = new MerkleTree();
    for (const l of leaves(6)) tree.append(l);
    const have = ({ level, index }: { level: number; index: number }) => (level === 1 && index === 2 ? undefined : tree.subtreeHash(index * 2 ** level, (index + 1) * 2 ** level));
    expect(hashOfRange(0, 4, have)?.equals(tree.subtreeHash(0, 4))).toBe(true);
    expect(hashOfRange(0, 6, have)).toBeUndefined();
    expect(() => nodesOfRange(3, 3)).toThrow(RangeError);
  });
});
