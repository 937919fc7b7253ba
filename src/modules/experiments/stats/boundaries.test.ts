import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { crossingProbabilities, groupSequentialBounds, MAX_BOUND, MAX_LOOKS, spendingBounds } from './boundaries.js';
import { normalCdf, normalQuantile } from './normal.js';
import { alphaSpent, SPENDINGS, type Spending } from './spending.js';

const FIVE = [0.2, 0.4, 0.6, 0.8, 1];
const Z975 = 1.959963984540054;

function expectClose(got: readonly number[], want: readonly number[], tolerance: number): void {
  expect(got).toHaveLength(want.length);
  got.forEach((c, k) => expect(Math.abs(c - want[k]!), `look ${k + 1}: ${c} vs ${want[k]}`).toBeLessThanOrEqual(tolerance));
}

function equallySpaced(k: number): number[] {
  return Array.from({ length: k }, (_, i) => (i + 1 === k ? 1 : (i + 1) / k));
}

describe('groupSequentialBounds: published and independent values', () => {
  it('gives z_{0.975} = 1.95996 for a single look at t = 1, whatever the spending', () => {
    for (const kind of SPENDINGS) expect(groupSequentialBounds([1], 0.05, kind)[0]).toBeCloseTo(Z975, 9);
  });

  it('reproduces the Lan–DeMets Pocock-type bounds for K = 5 (ldbounds/gsDesign: 2.438 2.427 2.410 2.397 2.386)', () => {
    expectClose(groupSequentialBounds(FIVE, 0.05, 'pocock'), [2.438, 2.427, 2.41, 2.397, 2.386], 0.002);
  });

  it('reproduces the ldbounds/gsDesign O’Brien–Fleming-type bounds for K = 5 (4.877 3.357 2.680 2.290 2.031) under their convention', () => {
    // ldbounds (sides = 2) and gsDesign (test.type = 2) apply the one-sided Lan–DeMets function at
    // α/2 to each side: upper spending 2 − 2Φ(z_{1−α/4}/√t), total 4 − 4Φ(z_{1−α/4}/√t). Our
    // `obrien_fleming` is the two-sided form of Lan & DeMets (1983) and Jennison & Turnbull (2000,
    // §7.2), 2 − 2Φ(z_{1−α/2}/√t), which spends more early (next test). The engine reproduces the
    // published table exactly once given their spending function.
    const alpha = 0.05;
    const perSide = (t: number): number => (t >= 1 ? alpha : 4 * normalCdf(normalQuantile(alpha / 4) / Math.sqrt(t)));
    expectClose(spendingBounds(FIVE, perSide), [4.877, 3.357, 2.68, 2.29, 2.031], 0.002);
  });

  it('gives the two-sided O’Brien–Fleming-type bounds 4.3826 3.0997 2.5534 2.2538 2.0635 for K = 5', () => {
    // Checked independently: with these bounds Genz's multivariate-normal integration (scipy
    // multivariate_normal.cdf, abseps 1e−9) gives the cumulative crossing probabilities
    // 1.17264e−5, 0.0019419, 0.0113964, 0.0284296, 0.0500000 = α(t_k) to within 1e−8.
    expectClose(groupSequentialBounds(FIVE, 0.05, 'obrien_fleming'), [4.3826127, 3.0997274, 2.553355, 2.2538479, 2.0635011], 2e-6);
    // The first look alone: 2Φ(−c_1) = α(0.2).
    expect(groupSequentialBounds([0.2], 0.05, 'obrien_fleming')[0]).toBeCloseTo(Z975 / Math.sqrt(0.2), 9);
  });

  it('spends exactly α(t_k) by each look (the recursion run forward under H0)', () => {
    const fractions = [0.07, 0.15, 0.3, 0.55, 0.8, 0.9, 1];
    for (const kind of SPENDINGS) {
      const bounds = groupSequentialBounds(fractions, 0.05, kind);
      const { upper, lower } = crossingProbabilities(fractions, bounds, 0);
      let cumulative = 0;
      fractions.forEach((t, k) => {
        expect(Math.abs(upper[k]! - lower[k]!)).toBeLessThan(1e-15);
        cumulative += upper[k]! + lower[k]!;
        expect(Math.abs(cumulative - alphaSpent(kind, 0.05, t))).toBeLessThan(1e-9);
      });
    }
  });
});

describe('groupSequentialBounds: Monte Carlo check', () => {
  it('crosses with probability α(t_k) by each look on 200,000 simulated Brownian paths (unequal looks)', () => {
    const fractions = [0.15, 0.3, 0.55, 0.8, 1];
    const paths = 200_000;
    const rng = new Rng(20240611);
    const bounds = new Map<Spending, number[]>(SPENDINGS.map((kind) => [kind, groupSequentialBounds(fractions, 0.05, kind)]));
    // crossedBy[kind][k]: paths that crossed at look k or earlier.
    const crossedBy = new Map<Spending, number[]>(SPENDINGS.map((kind) => [kind, fractions.map(() => 0)]));
    const z = new Float64Array(fractions.length);
    for (let p = 0; p < paths; p++) {
      // W(t) by independent N(0, Δt) increments; Z_k = W(t_k)/√t_k.
      let w = 0;
      let previous = 0;
      fractions.forEach((t, k) => {
        w += Math.sqrt(t - previous) * rng.normal();
        previous = t;
        z[k] = w / Math.sqrt(t);
      });
      for (const kind of SPENDINGS) {
        const c = bounds.get(kind)!;
        const first = c.findIndex((ck, k) => Math.abs(z[k]!) >= ck);
        if (first >= 0) {
          const counts = crossedBy.get(kind)!;
          for (let k = first; k < counts.length; k++) counts[k]!++;
        }
      }
    }
    for (const kind of SPENDINGS) {
      const counts = crossedBy.get(kind)!;
      fractions.forEach((t, k) => {
        const want = alphaSpent(kind, 0.05, t);
        const got = counts[k]! / paths;
        // Four Monte Carlo standard errors (plus a floor for the near-zero early O'Brien–Fleming looks).
        const tolerance = 4 * Math.sqrt((want * (1 - want)) / paths) + 2e-5;
        expect(Math.abs(got - want), `${kind}, look ${k + 1}: ${got} vs ${want}`).toBeLessThan(tolerance);
      });
      expect(Math.abs(counts[counts.length - 1]! / paths - 0.05)).toBeLessThan(0.003);
    }
  });
});

describe('groupSequentialBounds: properties', () => {
  it('never goes below z_{1−α/2} (each look’s marginal level is at most α) nor above MAX_BOUND', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...SPENDINGS),
        fc.double({ min: 0.005, max: 0.2, noNaN: true }),
        (ticks, kind, alpha) => {
          const fractions = [...ticks].sort((a, b) => a - b).map((x) => x / 1000);
          const bounds = groupSequentialBounds(fractions, alpha, kind);
          const floor = -normalQuantile(alpha / 2);
          for (const c of bounds) {
            expect(c).toBeGreaterThanOrEqual(floor - 1e-7);
            expect(c).toBeLessThanOrEqual(MAX_BOUND);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decreases from look to look for O’Brien–Fleming-type spending with equally spaced looks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.double({ min: 0.01, max: 0.2, noNaN: true }), (k, alpha) => {
        const bounds = groupSequentialBounds(equallySpaced(k), alpha, 'obrien_fleming');
        for (let i = 1; i < bounds.length; i++) {
          if (bounds[i - 1]! < MAX_BOUND) expect(bounds[i]!).toBeLessThan(bounds[i - 1]!);
          else expect(bounds[i]!).toBeLessThanOrEqual(MAX_BOUND);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('keeps earlier bounds when later looks are added (c_k depends only on t_1 … t_k)', () => {
    const fractions = [0.1, 0.25, 0.31, 0.6, 0.72, 1];
    for (const kind of SPENDINGS) {
      const all = groupSequentialBounds(fractions, 0.05, kind);
      for (let k = 1; k <= fractions.length; k++) expect(groupSequentialBounds(fractions.slice(0, k), 0.05, kind)).toEqual(all.slice(0, k));
    }
  });

  it('returns a fresh array each time (the cache cannot be altered by a caller)', () => {
    const a = groupSequentialBounds(FIVE, 0.05, 'pocock');
    a[0] = 99;
    expect(groupSequentialBounds(FIVE, 0.05, 'pocock')[0]).toBeCloseTo(2.438, 3);
  });
});

describe('groupSequentialBounds: edge cases and limits', () => {
  it('gives MAX_BOUND to looks that spend (almost) nothing, and the full alpha to the last look', () => {
    // α(0.001) for O'Brien–Fleming-type is 2Φ(−62) ≈ 0: nothing to spend.
    const bounds = groupSequentialBounds([0.001, 0.002, 1], 0.05, 'obrien_fleming');
    expect(bounds.slice(0, 2)).toEqual([MAX_BOUND, MAX_BOUND]);
    expect(bounds[2]).toBeCloseTo(Z975, 6);
    expect(spendingBounds([0.3, 0.6], () => 0)).toEqual([MAX_BOUND, MAX_BOUND]);
  });

  it('handles closely spaced looks stably', () => {
    const fractions = [0.1, 0.10001, 0.10002, 0.5, 0.9999, 1];
    const bounds = groupSequentialBounds(fractions, 0.05, 'pocock');
    const { upper, lower } = crossingProbabilities(fractions, bounds, 0);
    const total = upper.reduce((s, p) => s + p, 0) + lower.reduce((s, p) => s + p, 0);
    expect(Math.abs(total - 0.05)).toBeLessThan(1e-9);
    for (const c of bounds) expect(c > 1.9 && c < 3).toBe(true);
  });

  it('handles 100 and 300 equally spaced looks (timings belong in benchmarks; 100 looks take ~0.1 s)', () => {
    const bounds = groupSequentialBounds(equallySpaced(100), 0.05, 'obrien_fleming');
    expect(bounds[99]).toBeGreaterThan(2.2);
    expect(bounds[99]).toBeLessThan(2.3);
    const many = equallySpaced(300);
    const pocock = groupSequentialBounds(many, 0.05, 'pocock');
    const { upper, lower } = crossingProbabilities(many, pocock, 0);
    expect(Math.abs(upper.reduce((s, p) => s + p, 0) + lower.reduce((s, p) => s + p, 0) - 0.05)).toBeLessThan(1e-9);
    for (let k = 1; k < pocock.length; k++) expect(pocock[k]!).toBeLessThanOrEqual(pocock[k - 1]! + 1e-9);
  });

  it('refuses empty, non-increasing, out-of-range or too many fractions, and bad alpha', () => {
    const bad: number[][] = [[], [0], [-0.2, 1], [0.5, 0.5], [0.6, 0.4], [0.5, 1.2], [Number.NaN], [Number.POSITIVE_INFINITY]];
    for (const fractions of bad) expect(() => groupSequentialBounds(fractions, 0.05, 'obrien_fleming'), JSON.stringify(fractions)).toThrow(RangeError);
    expect(() => groupSequentialBounds(equallySpaced(MAX_LOOKS + 1), 0.05, 'pocock')).toThrow(RangeError);
    for (const alpha of [0, 1, Number.NaN]) expect(() => groupSequentialBounds(FIVE, alpha, 'pocock')).toThrow(RangeError);
    expect(() => groupSequentialBounds(FIVE, 0.05, 'wang_tsiatis' as Spending)).toThrow(RangeError);
    expect(() => groupSequentialBounds(FIVE, 0.05, 'pocock', { gridResolution: 2 })).toThrow(RangeError);
    expect(() => crossingProbabilities(FIVE, [2, 2], 0)).toThrow(RangeError);
  });
});
