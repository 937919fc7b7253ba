import { describe, expect, it } from 'vitest';
import { benefits, betweenGroupGeneralizedEntropy, generalizedEntropy, generalizedEntropyFromCounts, generalizedEntropyIndex, theil, theilIndex } from './inequality.js';

/** TV-5: AIF360's ClassificationMetric tests (features [0,0,1,1,1,1,2,2,2,2]). */
const Y = [1, 0, 0, 1, 0, 0, 1, 0, 1, 1];
const PRED = [1, 0, 0, 0, 1, 1, 1, 0, 1, 0];
const PRED2 = [0, 1, 1, 0, 0, 0, 0, 1, 1, 1];

describe('inequality indices', () => {
  it('TV-5: generalized_entropy_index() = 0.2 and theil_index() = 4·ln2/10 = 0.277259', () => {
    expect(generalizedEntropyIndex(Y, PRED)).toBeCloseTo(0.2, 12);
    expect(theilIndex(Y, PRED)).toBeCloseTo((4 * Math.LN2) / 10, 12);
    expect(theilIndex(Y, PRED)).toBeCloseTo(0.277259, 6);
  });

  it('TV-5: with the second predictions GE(2) = 0.3', () => {
    expect(generalizedEntropyIndex(Y, PRED2)).toBeCloseTo(0.3, 12);
  });

  it('the counts form agrees with the row form for every α', () => {
    for (const pred of [PRED, PRED2]) {
      const b = benefits(Y, pred);
      const counts = { n0: b.filter((x) => x === 0).length, n1: b.filter((x) => x === 1).length, n2: b.filter((x) => x === 2).length };
      for (const alpha of [0.5, 1, 2, 3]) expect(generalizedEntropyFromCounts(counts, alpha)).toBeCloseTo(generalizedEntropy(b, alpha)!, 12);
      expect(generalizedEntropyFromCounts(counts, 0)).toBe(Number.POSITIVE_INFINITY); // a zero benefit
    }
  });

  it('equal benefits give 0; all-zero benefits or no rows give null', () => {
    expect(generalizedEntropy([1, 1, 1])).toBe(0);
    expect(theil([2, 2])).toBe(0);
    expect(generalizedEntropy([0, 0])).toBeNull();
    expect(generalizedEntropy([])).toBeNull();
    expect(generalizedEntropy([1, 2, 3], 0)).toBeCloseTo(-(Math.log(0.5) + Math.log(1) + Math.log(1.5)) / 3, 12);
  });

  it('between-group GE replaces benefits by group means (0 when every group has the same mean)', () => {
    expect(betweenGroupGeneralizedEntropy([{ n0: 1, n1: 0, n2: 1 }, { n0: 0, n1: 2, n2: 0 }])).toBe(0);
    const v = betweenGroupGeneralizedEntropy([{ n0: 0, n1: 2, n2: 0 }, { n0: 0, n1: 0, n2: 2 }])!;
    expect(v).toBeCloseTo(generalizedEntropy([1, 1, 2, 2])!, 12);
  });
});
