/**
 * Known answers and properties of the RFC 6962 tree hash and proofs.
 *
 * Vectors: transparency-dev/merkle (the Certificate Transparency Merkle library Trillian uses),
 * `proof/verify_test.go` (leaves, roots of sizes 1–8, inclusion and consistency proofs),
 * `rfc6962/rfc6962_test.go` (hasher answers) and `testdata/consistency/1/*.json`. The adversarial
 * cases mirror that file's corruptInclusionProof / corruptConsistencyProof probes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootOf,
  subtreeHashOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const b64 = (s: string) => Buffer.from(s, 'base64');

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const LEAF_HASHES = LEAVES.map((l) => leafHash(l));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);
const rootOfSize = (n: number) => ROOTS[n - 1]!;

/** verify_test.go's inclusionProofs (its leaf numbers are 1-based; these indexes are 0-based). */
const INCLUSION_VECTORS = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
].map((v) => ({ ...v, proof: v.proof.map(hex) }));

/** verify_test.go's consistencyProofs. */
const CONSISTENCY_VECTORS = [
  {
    m: 1,
    n: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    m: 6,
    n: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    m: 2,
    n: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
  {
    m: 6,
    n: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
].map((v) => ({ ...v, proof: v.proof.map(hex) }));

const SOME_HASH = hex('abacaba000000000000000000000000000000000000000000060061e00123456');
const flipBit = (proof: readonly Buffer[], i: number, mask: number) =>
  proof.map((p, j) => (j === i ? Buffer.from(p.map((b, k) => (k === 0 ? b ^ mask : b))) : p));

describe('RFC 6962 hashing (known answers)', () => {
  it('hashes leaves, nodes and the empty tree as transparency-dev/merkle does', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(leafHash('L123456').toString('hex')).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56');
    expect(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex')).toBe('aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb');
  });

  it('gives the known roots for the first 1..8 test leaves', () => {
    for (let n = 1; n <= 8; n++) expect(rootOf(LEAF_HASHES.slice(0, n)).toString('hex'), `size ${n}`).toBe(rootOfSize(n).toString('hex'));
    expect(rootOf([]).equals(EMPTY_ROOT)).toBe(true);
  });

  it('domain-separates leaves from nodes (no second preimage from a node’s children)', () => {
    const [a, b] = [leafHash('Hello'), leafHash('World')];
    expect(nodeHash(a, b).equals(leafHash(Buffer.concat([a, b])))).toBe(false);
    expect(nodeHash(a, b).equals(nodeHash(b, a))).toBe(false);
  });
});

describe('inclusion proofs (known answers and adversarial probes)', () => {
  const hashOf = subtreeHashOf(LEAF_HASHES);

  for (const v of INCLUSION_VECTORS) {
    it(`leaf ${v.index} of ${v.size}: generates the known proof, which verifies, and every corruption fails`, () => {
      expect(inclusionProof(v.index, v.size, hashOf).map((h) => h.toString('hex'))).toEqual(v.proof.map((h) => h.toString('hex')));
      const leaf = LEAF_HASHES[v.index]!;
      const root = rootOfSize(v.size);
      expect(rootFromInclusionProof(v.index, v.size, leaf, v.proof)?.equals(root)).toBe(true);
      expect(verifyInclusion(v.index, v.size, leaf, v.proof, root)).toBe(true);

      const probes: [string, number, number, Uint8Array, Uint8Array[], Uint8Array][] = [
        ['leafIndex - 1', v.index - 1, v.size, leaf, v.proof, root],
        ['leafIndex + 1', v.index + 1, v.size, leaf, v.proof, root],
        ['leafIndex ^ 2', v.index ^ 2, v.size, leaf, v.proof, root],
        ['treeSize * 2', v.index, v.size * 2, leaf, v.proof, root],
        ['treeSize / 2', v.index, Math.floor(v.size / 2), leaf, v.proof, root],
        ['wrong leaf', v.index, v.size, Buffer.from('WrongLeaf'), v.proof, root],
        ['other leaf', v.index, v.size, leafHash('x'), v.proof, root],
        ['empty root', v.index, v.size, leaf, v.proof, EMPTY_ROOT],
        ['random root', v.index, v.size, leaf, v.proof, SOME_HASH],
        ['trailing garbage', v.index, v.size, leaf, [...v.proof, Buffer.alloc(0)], root],
        ['trailing root', v.index, v.size, leaf, [...v.proof, root], root],
        ['preceding garbage', v.index, v.size, leaf, [Buffer.alloc(0), ...v.proof], root],
        ['preceding root', v.index, v.size, leaf, [root, ...v.proof], root],
        ['removed component', v.index, v.size, leaf, v.proof.slice(0, -1), root],
        ['inserted component', v.index, v.size, leaf, [v.proof[0]!, SOME_HASH, ...v.proof.slice(1)], root],
        ...v.proof.map((_, i) => [`modified proof[${i}] bit 3`, v.index, v.size, leaf, flipBit(v.proof, i, 8), root] as [string, number, number, Uint8Array, Uint8Array[], Uint8Array]),
      ];
      const accepted = probes.filter(([, index, size, l, proof, r]) => verifyInclusion(index, size, l, proof, r)).map(([desc]) => desc);
      expect(accepted).toEqual([]);
    });
  }

  it('a one-leaf tree: the empty proof proves the leaf is the root; nothing else does', () => {
    const h = leafHash('data');
    expect(verifyInclusion(0, 1, h, [], h)).toBe(true);
    expect(verifyInclusion(0, 1, h, [], Buffer.alloc(0))).toBe(false);
    expect(verifyInclusion(0, 1, Buffer.alloc(0), [], h)).toBe(false);
    expect(verifyInclusion(0, 1, Buffer.alloc(0), [], Buffer.alloc(0))).toBe(false);
  });

  it('rejects impossible indexes and sizes', () => {
    for (const [index, size] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [1, 1],
      [-1, 4],
      [0.5, 4],
    ] as const) {
      expect(verifyInclusion(index, size, SOME_HASH, [], EMPTY_ROOT)).toBe(false);
      expect(verifyInclusion(index, size, SOME_HASH, [], SOME_HASH)).toBe(false);
    }
    expect(() => inclusionProof(3, 3, subtreeHashOf(LEAF_HASHES))).toThrow(RangeError);
  });
});

describe('consistency proofs (known answers and adversarial probes)', () => {
  const hashOf = subtreeHashOf(LEAF_HASHES);

  for (const v of CONSISTENCY_VECTORS) {
    it(`${v.m} → ${v.n}: generates the known proof, which verifies, and every corruption fails`, () => {
      expect(consistencyProof(v.m, v.n, hashOf).map((h) => h.toString('hex'))).toEqual(v.proof.map((h) => h.toString('hex')));
      const [r1, r2] = [rootOfSize(v.m), rootOfSize(v.n)];
      expect(verifyConsistency(v.m, v.n, r1, r2, v.proof)).toBe(true);

      const p = v.proof;
      const probes: [string, number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
        ['size1 - 1', v.m - 1, v.n, r1, r2, p],
        ['size1 + 1', v.m + 1, v.n, r1, r2, p],
        ['size1 ^ 2', v.m ^ 2, v.n, r1, r2, p],
        ['size2 * 2', v.m, v.n * 2, r1, r2, p],
        ['size2 / 2', v.m, Math.floor(v.n / 2), r1, r2, p],
        ['wrong root1', v.m, v.n, Buffer.from('WrongRoot'), r2, p],
        ['wrong root2', v.m, v.n, r1, Buffer.from('WrongRoot'), p],
        ['swapped roots', v.m, v.n, r2, r1, p],
        ['empty proof', v.m, v.n, r1, r2, []],
        ['trailing garbage', v.m, v.n, r1, r2, [...p, Buffer.alloc(0)]],
        ['trailing root1', v.m, v.n, r1, r2, [...p, r1]],
        ['trailing root2', v.m, v.n, r1, r2, [...p, r2]],
        ['preceding garbage', v.m, v.n, r1, r2, [Buffer.alloc(0), ...p]],
        ['preceding root1', v.m, v.n, r1, r2, [r1, ...p]],
        ['preceding root2', v.m, v.n, r1, r2, [r2, ...p]],
        ['preceding proof[0]', v.m, v.n, r1, r2, [p[0]!, ...p]],
        ['truncated proof', v.m, v.n, r1, r2, p.slice(0, -1)],
        ...p.map((_, i) => [`modified proof[${i}] bit 4`, v.m, v.n, r1, r2, flipBit(p, i, 16)] as [string, number, number, Uint8Array, Uint8Array, Uint8Array[]]),
      ];
      const accepted = probes.filter(([, m, n, a, b, proof]) => verifyConsistency(m, n, a, b, proof)).map(([desc]) => desc);
      expect(accepted).toEqual([]);
    });
  }

  it('testdata/consistency/1: the happy path verifies; "modified proof[0] bit 4" does not', () => {
    const root1 = b64('bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=');
    const root2 = b64('XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=');
    const tail = ['Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=', 'a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ='].map(b64);
    expect(root1.equals(rootOfSize(1)) && root2.equals(rootOfSize(8))).toBe(true);
    expect(verifyConsistency(1, 8, root1, root2, [b64('lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c='), ...tail])).toBe(true);
    expect(verifyConsistency(1, 8, root1, root2, [b64('hqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c='), ...tail])).toBe(false);
  });

  it('trivial sizes follow transparency-dev/merkle: equal sizes need equal roots and no proof; from 0 any tree, with no proof', () => {
    const [a, b] = [Buffer.from("don't care 1"), Buffer.from("don't care 2")];
    expect(verifyConsistency(0, 0, a, b, [])).toBe(false);
    expect(verifyConsistency(1, 1, a, b, [])).toBe(false);
    expect(verifyConsistency(0, 1, a, b, [])).toBe(true);
    expect(verifyConsistency(1, 1, ROOTS[0]!, ROOTS[0]!, [])).toBe(true);
    expect(verifyConsistency(1, 0, a, b, [])).toBe(false);
    expect(verifyConsistency(2, 1, a, b, [])).toBe(false);
    expect(verifyConsistency(1, 2, a, b, [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(consistencyProof(0, 5, hashOf)).toEqual([]);
    expect(consistencyProof(5, 5, hashOf)).toEqual([]);
    expect(() => consistencyProof(6, 5, hashOf)).toThrow(RangeError);
  });
});

// ---- properties over random trees ----

/** Distinct leaves (a proof can only pin a position among leaves that differ). */
const treeArb = (max: number) => fc.integer({ min: 1, max }).chain((n) => fc.constant(Array.from({ length: n }, (_, i) => leafHash(`leaf ${i} ${n}`))));

const mutations = (proof: readonly Buffer[]) =>
  fc.oneof(
    // flip one bit of one hash
    ...(proof.length
      ? [
          fc.record({ i: fc.nat(proof.length - 1), byte: fc.nat(31), bit: fc.nat(7) }).map(({ i, byte, bit }) => {
            const out = proof.map((p) => Buffer.from(p));
            out[i]![byte]! ^= 1 << bit;
            return { desc: `flip bit ${bit} of byte ${byte} of proof[${i}]`, proof: out };
          }),
          // drop one hash
          fc.nat(proof.length - 1).map((i) => ({ desc: `missing proof[${i}]`, proof: proof.filter((_, j) => j !== i) })),
        ]
      : []),
    // insert one extra hash anywhere (random, or a copy of one of the proof's own)
    fc.record({ at: fc.nat(proof.length), extra: fc.uint8Array({ minLength: 32, maxLength: 32 }), copy: fc.boolean() }).map(({ at, extra, copy }) => {
      const h = copy && proof.length ? proof[at % proof.length]! : Buffer.from(extra);
      return { desc: `extra hash at ${at}`, proof: [...proof.slice(0, at), h, ...proof.slice(at)] };
    }),
  );

describe('inclusion proofs (properties)', () => {
  it('every leaf of every tree has a proof that verifies, and the proof has ⌈log2 n⌉ hashes at most', () => {
    fc.assert(
      fc.property(treeArb(70), (leaves) => {
        const n = leaves.length;
        const root = rootOf(leaves);
        const hashOf = subtreeHashOf(leaves);
        for (let i = 0; i < n; i++) {
          const proof = inclusionProof(i, n, hashOf);
          expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
          expect(verifyInclusion(i, n, leaves[i]!, proof, root)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a flipped bit, an extra or a missing hash makes a proof fail', () => {
    const arb = treeArb(300)
      .chain((leaves) => fc.tuple(fc.constant(leaves), fc.nat(leaves.length - 1)))
      .chain(([leaves, i]) => {
        const proof = inclusionProof(i, leaves.length, subtreeHashOf(leaves));
        return fc.tuple(fc.constant(leaves), fc.constant(i), mutations(proof));
      });
    fc.assert(
      fc.property(arb, ([leaves, i, bad]) => {
        expect(verifyInclusion(i, leaves.length, leaves[i]!, bad.proof, rootOf(leaves)), bad.desc).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a proof for one index does not prove another index, nor another leaf', () => {
    const arb = treeArb(300)
      .filter((l) => l.length >= 2)
      .chain((leaves) => fc.tuple(fc.constant(leaves), fc.nat(leaves.length - 1), fc.nat(leaves.length - 1)))
      .filter(([, i, j]) => i !== j);
    fc.assert(
      fc.property(arb, ([leaves, i, j]) => {
        const n = leaves.length;
        const proof = inclusionProof(i, n, subtreeHashOf(leaves));
        const root = rootOf(leaves);
        expect(verifyInclusion(j, n, leaves[i]!, proof, root)).toBe(false);
        expect(verifyInclusion(i, n, leaves[j]!, proof, root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('a proof for one tree size does not prove the leaf in a tree of another size (against that tree’s root)', () => {
    const arb = fc
      .tuple(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat())
      .map(([n, a, b]) => ({ n, size: 1 + (a % n), other: 1 + (b % n) }))
      .filter(({ size, other }) => size !== other)
      .chain((c) => fc.tuple(fc.constant(c), fc.nat(Math.min(c.size, c.other) - 1)));
    fc.assert(
      fc.property(arb, ([{ n, size, other }, i]) => {
        const leaves = Array.from({ length: n }, (_, k) => leafHash(`leaf ${k}`));
        const proof = inclusionProof(i, size, subtreeHashOf(leaves));
        expect(verifyInclusion(i, other, leaves[i]!, proof, rootOf(leaves.slice(0, other)))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('consistency proofs (properties)', () => {
  const sizesArb = (max: number) =>
    fc
      .integer({ min: 1, max })
      .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n })))
      .map(([n, m]) => ({ leaves: Array.from({ length: n }, (_, k) => leafHash(`leaf ${k}`)), m, n }));

  it('every proof between sizes m ≤ n verifies, and has at most ⌈log2 n⌉ + 1 hashes', () => {
    fc.assert(
      fc.property(sizesArb(400), ({ leaves, m, n }) => {
        const proof = consistencyProof(m, n, subtreeHashOf(leaves));
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 1);
        expect(verifyConsistency(m, n, rootOf(leaves.slice(0, m)), rootOf(leaves), proof)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('a flipped bit, an extra or a missing hash makes a proof fail', () => {
    const arb = sizesArb(400)
      .filter(({ m, n }) => m > 0 && m < n)
      .chain((c) => fc.tuple(fc.constant(c), mutations(consistencyProof(c.m, c.n, subtreeHashOf(c.leaves)))));
    fc.assert(
      fc.property(arb, ([{ leaves, m, n }, bad]) => {
        expect(verifyConsistency(m, n, rootOf(leaves.slice(0, m)), rootOf(leaves), bad.proof), bad.desc).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a proof does not tie other sizes together, and a changed old leaf breaks it', () => {
    const arb = sizesArb(300)
      .filter(({ m, n }) => m > 0 && m < n)
      .chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.n }), fc.nat(c.m - 1)));
    fc.assert(
      fc.property(arb, ([{ leaves, m, n }, otherM, changed]) => {
        const hashOf = subtreeHashOf(leaves);
        const proof = consistencyProof(m, n, hashOf);
        const rootN = rootOf(leaves);
        if (otherM !== m && consistencyProof(otherM, n, hashOf).some((h, i) => !proof[i]?.equals(h))) {
          expect(verifyConsistency(otherM, n, rootOf(leaves.slice(0, otherM)), rootN, proof)).toBe(false);
        }
        // The old tree had a different leaf at `changed`: the new tree is not its extension.
        const forked = leaves.slice(0, m).map((l, i) => (i === changed ? leafHash('forged') : l));
        expect(verifyConsistency(m, n, rootOf(forked), rootN, proof)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
