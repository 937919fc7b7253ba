import { describe, expect, it } from 'vitest';
import { buildBm25, buildIndex, idf, scoreTerms, search, type RetrievalDocument } from './index.js';

const split = (text: string) => text.split(/\s+/).filter(Boolean);
const doc = (id: string, fields: Record<string, string>, productId?: string): RetrievalDocument => ({
  id,
  kind: 'product',
  ...(productId !== undefined ? { productId } : {}),
  fields,
});
const scoresOf = (index: ReturnType<typeof buildBm25>, query: Record<string, number>) => {
  const s = scoreTerms(index, new Map(Object.entries(query)));
  return index.docs.map((_, i) => s.get(i)?.score ?? 0);
};

describe('BM25F from its definition (k1 = 1.2, b = 0.75)', () => {
  // a: "apple banana" (len 2), b: "apple apple cherry date" (len 4); avglen 3, N 2.
  const index = buildBm25([doc('a', { text: 'apple banana' }), doc('b', { text: 'apple apple cherry date' })], { analyse: split });

  it('idf = ln(1 + (N − df + 0.5)/(df + 0.5))', () => {
    expect(idf(index, 'apple')).toBeCloseTo(Math.log(1.2), 12); // df 2
    expect(idf(index, 'cherry')).toBeCloseTo(Math.log(2), 12); // df 1
    expect(idf(index, 'missing')).toBeCloseTo(Math.log(1 + 2.5 / 0.5), 12);
  });

  it('one field: tf/(1 − b + b·len/avglen), saturated by k1', () => {
    // a: B = 0.25 + 0.75·2/3 = 0.75, tf̃ = 4/3, tf̃/(k1 + tf̃) = 10/19.
    // b: B = 0.25 + 0.75·4/3 = 1.25, tf̃ = 2/1.25 = 1.6, 1.6/2.8 = 4/7.
    const [a, b] = scoresOf(index, { apple: 1 });
    expect(a).toBeCloseTo((Math.log(1.2) * 10) / 19, 12);
    expect(b).toBeCloseTo((Math.log(1.2) * 4) / 7, 12);
    // cherry only in b: tf̃ = 0.8, 0.8/2.0 = 0.4.
    expect(scoresOf(index, { cherry: 1 })).toEqual([0, expect.closeTo(0.4 * Math.log(2), 12)]);
    // Scores add over query terms and scale with the query weight.
    expect(scoresOf(index, { apple: 0.5, cherry: 1 })[1]).toBeCloseTo((0.5 * Math.log(1.2) * 4) / 7 + 0.4 * Math.log(2), 12);
  });

  it('fields: weighted pseudo term frequency, each field normalised by its own average length', () => {
    // c: title "x" (len 1), body "x y" (len 2); d: title "y", body "x" (len 1). avglen title 1, body 1.5.
    const f = buildBm25([doc('c', { title: 'x', body: 'x y' }), doc('d', { title: 'y', body: 'x' })], {
      analyse: split,
      fieldWeights: { title: 2, body: 1 },
    });
    // c: 2·1/1 + 1·1/(0.25 + 0.75·2/1.5) = 2 + 0.8 = 2.8 → 2.8/4.0 = 0.7
    // d: 1/(0.25 + 0.75·1/1.5) = 4/3 → 10/19
    const [c, d] = scoresOf(f, { x: 1 });
    expect(c).toBeCloseTo(0.7 * Math.log(1.2), 12);
    expect(d).toBeCloseTo((Math.log(1.2) * 10) / 19, 12);
  });

  it('refuses duplicate ids and orders equal scores by id', () => {
    expect(() => buildBm25([doc('a', { t: 'x' }), doc('a', { t: 'y' })])).toThrow(/duplicate/);
    const idx = buildIndex([doc('p:b', { name: '推车' }, 'b'), doc('p:a', { name: '推车' }, 'a'), doc('p:c', { name: '奶瓶' }, 'c')]);
    expect(search(idx, '推车').map((h) => h.id)).toEqual(['p:a', 'p:b']);
  });
});
