import { describe, expect, it } from 'vitest';
import { groupSequentialBounds, MAX_BOUND } from './boundaries.js';
import {
  differenceInterval,
  fixedSampleInterval,
  mean,
  relativeUpliftInterval,
  sequentialAnalysis,
  variance,
  zStatistic,
  type ArmSums,
} from './intervals.js';

const Z975 = 1.959963984540054;

/** Sums of the outcomes 1, 2, 3, 4 and 2, 4, 6, 8. */
const SMALL_C: ArmSums = { units: 4, sum: 10, sumSquares: 30 };
const SMALL_T: ArmSums = { units: 4, sum: 20, sumSquares: 120 };

/** Conversions: 50 of 1,000 and 60 of 1,000 (a 0/1 outcome has sumSquares = sum). */
const CONV_C: ArmSums = { units: 1000, sum: 50, sumSquares: 50 };
const CONV_T: ArmSums = { units: 1000, sum: 60, sumSquares: 60 };

describe('mean and variance', () => {
  it('are the sample mean and the unbiased sample variance', () => {
    expect(mean(SMALL_C)).toBe(2.5);
    expect(variance(SMALL_C)).toBeCloseTo(5 / 3, 14);
    expect(mean(SMALL_T)).toBe(5);
    expect(variance(SMALL_T)).toBeCloseTo(20 / 3, 14);
    expect(variance(CONV_C)).toBeCloseTo((50 - 2.5) / 999, 15);
  });

  it('give NaN / 0 for arms too small to say anything, and never a negative variance', () => {
    expect(mean({ units: 0, sum: 0, sumSquares: 0 })).toBeNaN();
    expect(variance({ units: 1, sum: 7, sumSquares: 49 })).toBe(0);
    // 3 × 0.1: Σy² − (Σy)²/n rounds to a tiny negative number.
    expect(variance({ units: 3, sum: 0.1 + 0.1 + 0.1, sumSquares: 0.01 + 0.01 + 0.01 })).toBeGreaterThanOrEqual(0);
  });

  it('refuse sums no real outcomes could give', () => {
    const bad: ArmSums[] = [
      { units: -1, sum: 0, sumSquares: 0 },
      { units: 2.5, sum: 1, sumSquares: 1 },
      { units: 3, sum: Number.NaN, sumSquares: 1 },
      { units: 3, sum: 1, sumSquares: -1 },
      { units: 3, sum: 1, sumSquares: Number.POSITIVE_INFINITY },
      { units: 0, sum: 1, sumSquares: 1 },
    ];
    for (const a of bad) expect(() => mean(a), JSON.stringify(a)).toThrow(RangeError);
  });
});

describe('differenceInterval and zStatistic', () => {
  it('is treatment − control ± z·se with the Welch standard error', () => {
    const se = Math.sqrt(20 / 3 / 4 + 5 / 3 / 4);
    const d = differenceInterval(SMALL_C, SMALL_T, 2);
    expect(d).toBeDefined();
    expect(d!.estimate).toBe(2.5);
    expect(d!.se).toBeCloseTo(se, 14);
    expect(d!.lo).toBeCloseTo(2.5 - 2 * se, 14);
    expect(d!.hi).toBeCloseTo(2.5 + 2 * se, 14);
    expect(zStatistic(SMALL_C, SMALL_T)).toBeCloseTo(2.5 / se, 14);
  });

  it('matches a hand-computed conversion example (scipy)', () => {
    const d = differenceInterval(CONV_C, CONV_T, Z975)!;
    expect(d.estimate).toBeCloseTo(0.01, 15);
    expect(d.se).toBeCloseTo(0.010198235337743682, 15);
    expect(d.lo).toBeCloseTo(-0.009988173967841296, 14);
    expect(d.hi).toBeCloseTo(0.029988173967841286, 14);
  });

  it('is undefined when an arm has fewer than 2 units', () => {
    expect(differenceInterval({ units: 1, sum: 1, sumSquares: 1 }, SMALL_T, 2)).toBeUndefined();
    expect(differenceInterval(SMALL_C, { units: 0, sum: 0, sumSquares: 0 }, 2)).toBeUndefined();
    expect(zStatistic(SMALL_C, { units: 1, sum: 1, sumSquares: 1 })).toBeUndefined();
  });

  it('collapses to the estimate with se = 0 when neither arm varies (shown as “not enough data”)', () => {
    const none: ArmSums = { units: 200, sum: 0, sumSquares: 0 };
    expect(differenceInterval(none, none, 3)).toEqual({ estimate: 0, lo: 0, hi: 0, se: 0 });
    expect(zStatistic(none, none)).toBeUndefined();
  });

  it('refuses a negative or non-finite z', () => {
    for (const z of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => differenceInterval(SMALL_C, SMALL_T, z)).toThrow(RangeError);
  });
});

describe('relativeUpliftInterval', () => {
  it('is exp(log ratio ± z·se_log) − 1 by the delta method (scipy)', () => {
    const r = relativeUpliftInterval(CONV_C, CONV_T, Z975)!;
    expect(r.estimate).toBeCloseTo(0.2, 14);
    expect(r.lo).toBeCloseTo(-0.16705401010705112, 13);
    expect(r.hi).toBeCloseTo(0.7288035688665364, 13);
  });

  it('stays above −100 % and is asymmetric around the estimate', () => {
    const r = relativeUpliftInterval({ units: 50, sum: 5, sumSquares: 5 }, { units: 50, sum: 2, sumSquares: 2 }, 4)!;
    expect(r.lo).toBeGreaterThan(-1);
    expect(r.hi - r.estimate).toBeGreaterThan(r.estimate - r.lo);
  });

  it('is undefined when a mean is not positive or an arm has fewer than 2 units', () => {
    const none: ArmSums = { units: 100, sum: 0, sumSquares: 0 };
    expect(relativeUpliftInterval(none, CONV_T, 2)).toBeUndefined();
    expect(relativeUpliftInterval(CONV_C, none, 2)).toBeUndefined();
    expect(relativeUpliftInterval(CONV_C, { units: 1, sum: 1, sumSquares: 1 }, 2)).toBeUndefined();
    expect(relativeUpliftInterval({ units: 3, sum: -3, sumSquares: 5 }, CONV_T, 2)).toBeUndefined();
  });
});

describe('sequentialAnalysis', () => {
  it('uses the current look’s bound as the interval’s z', () => {
    const looks = [0.2, 0.4];
    const bound = groupSequentialBounds(looks, 0.05, 'obrien_fleming')[1]!;
    const result = sequentialAnalysis({ looks, alpha: 0.05, spending: 'obrien_fleming', control: CONV_C, treatment: CONV_T });
    expect(result.look).toBe(2);
    expect(result.fraction).toBe(0.4);
    expect(result.bound).toBe(bound);
    expect(result.difference).toEqual(differenceInterval(CONV_C, CONV_T, bound));
    expect(result.relativeUplift).toEqual(relativeUpliftInterval(CONV_C, CONV_T, bound));
    expect(result.z).toBeCloseTo(0.01 / 0.010198235337743682, 12);
    expect(result.crossed).toBe(false);
    expect(result.final).toBe(false);
    // The repeated interval is wider than the fixed-sample one.
    expect(result.difference!.hi - result.difference!.lo).toBeGreaterThan(2 * Z975 * result.difference!.se);
  });

  it('reports a crossing when |z| reaches the bound, and then the interval excludes 0', () => {
    const control: ArmSums = { units: 5000, sum: 250, sumSquares: 250 };
    const treatment: ArmSums = { units: 5000, sum: 400, sumSquares: 400 };
    const result = sequentialAnalysis({ looks: [0.5, 1], alpha: 0.05, spending: 'pocock', control, treatment });
    expect(result.crossed).toBe(true);
    expect(result.final).toBe(true);
    expect(result.difference!.lo).toBeGreaterThan(0);
  });

  it('treats an overshoot of the planned maximum as the final look, and refuses looks after it', () => {
    const result = sequentialAnalysis({ looks: [0.5, 1.3], alpha: 0.05, spending: 'obrien_fleming', control: CONV_C, treatment: CONV_T });
    expect(result.fraction).toBe(1);
    expect(result.final).toBe(true);
    expect(result.bound).toBe(groupSequentialBounds([0.5, 1], 0.05, 'obrien_fleming')[1]);
    expect(() => sequentialAnalysis({ looks: [0.5, 1, 1.1], alpha: 0.05, spending: 'obrien_fleming', control: CONV_C, treatment: CONV_T })).toThrow(
      /final/,
    );
  });

  it('gives a capped bound (never Infinity) to a look that spends nothing', () => {
    const result = sequentialAnalysis({ looks: [0.001], alpha: 0.05, spending: 'obrien_fleming', control: SMALL_C, treatment: SMALL_T });
    expect(result.bound).toBe(MAX_BOUND);
    expect(Number.isFinite(result.difference!.lo)).toBe(true);
  });

  it('leaves the intervals and z undefined while an arm has fewer than 2 units', () => {
    const result = sequentialAnalysis({ looks: [0.1], alpha: 0.05, spending: 'pocock', control: { units: 1, sum: 0, sumSquares: 0 }, treatment: SMALL_T });
    expect(result.difference).toBeUndefined();
    expect(result.relativeUplift).toBeUndefined();
    expect(result.z).toBeUndefined();
    expect(result.crossed).toBe(false);
  });

  it('refuses invalid looks', () => {
    const base = { alpha: 0.05, spending: 'pocock' as const, control: CONV_C, treatment: CONV_T };
    for (const looks of [[], [0], [Number.NaN], [Number.POSITIVE_INFINITY], [0.5, 0.4], [0.3, 0.3]]) {
      expect(() => sequentialAnalysis({ ...base, looks }), JSON.stringify(looks)).toThrow(RangeError);
    }
  });
});

describe('fixedSampleInterval', () => {
  it('is the ordinary interval with z = z_{1−α/2}', () => {
    const fixed = fixedSampleInterval(CONV_C, CONV_T);
    expect(fixed.z).toBeCloseTo(Z975, 14);
    expect(fixed.difference).toEqual(differenceInterval(CONV_C, CONV_T, fixed.z));
    expect(fixed.relativeUplift).toEqual(relativeUpliftInterval(CONV_C, CONV_T, fixed.z));
    expect(fixedSampleInterval(CONV_C, CONV_T, 0.1).z).toBeCloseTo(1.6448536269514722, 14);
    expect(() => fixedSampleInterval(CONV_C, CONV_T, 0)).toThrow(RangeError);
  });
});
