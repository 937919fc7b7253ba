import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heavySignificantlyBetter, median, normalCdf, notSignificantlyWorse, pairedRatioBootstrap, pairedZ, quantile, sorted } from './stats.js';

describe('order statistics', () => {
  it('median and type-7 quantiles match hand values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile(sorted([1, 2, 3, 4, 5]), 0.99)).toBeCloseTo(4.96, 12);
    expect(quantile(sorted([10]), 0.5)).toBe(10);
    expect(median([])).toBeNaN();
  });
});

describe('normalCdf', () => {
  it('matches published values of Φ to 1e-7', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-1.6448536269514722)).toBeCloseTo(0.05, 7);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 7);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 7);
  });

  it('is symmetric and increasing', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), fc.double({ min: 0.001, max: 2, noNaN: true }), (x, step) => {
        expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 7);
        expect(normalCdf(x + step)).toBeGreaterThanOrEqual(normalCdf(x));
      }),
    );
  });
});

describe('pairedZ', () => {
  it('gives the difference of CTRs over the items shown and the variance of per-viewer differences', () => {
    // Three viewers, 4 items each: light clicks 1, 0, 2; heavy 0, 0, 1. Differences 1, 0, 1.
    const r = pairedZ([1, 0, 2], [0, 0, 1], [4, 4, 4]);
    expect(r.estimate).toBeCloseTo(2 / 12, 15);
    // s²_d of (1, 0, 1) = 1/3; se = √(3 · 1/3) / 12 = 1/12.
    const se = 1 / 12;
    expect(r.ci95[0]).toBeCloseTo(2 / 12 - 1.959963984540054 * se, 12);
    expect(r.ci95[1]).toBeCloseTo(2 / 12 + 1.959963984540054 * se, 12);
    expect(r.pValue).toBeCloseTo(2 * normalCdf(-2), 7);
    expect(r.pLightWorse).toBeCloseTo(normalCdf(2), 7);
  });

  it('with identical clicks the difference is exactly 0 and p is 1', () => {
    const r = pairedZ([1, 2, 0], [1, 2, 0], [4, 4, 4]);
    expect(r).toMatchObject({ estimate: 0, ci95: [0, 0], pValue: 1 });
  });

  it('swapping the policies mirrors the interval', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(4), fc.nat(4)), { minLength: 3, maxLength: 40 }), (pairs) => {
        const a = pairs.map((p) => p[0]);
        const b = pairs.map((p) => p[1]);
        const shown = pairs.map(() => 4);
        const ab = pairedZ(a, b, shown);
        const ba = pairedZ(b, a, shown);
        expect(ba.estimate).toBeCloseTo(-ab.estimate, 12);
        expect(ba.ci95[0]).toBeCloseTo(-ab.ci95[1], 12);
        expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
      }),
      { numRuns: 50 },
    );
  });
});

describe('pairedRatioBootstrap', () => {
  it('gives SNIPS point values exactly and identical policies a zero difference with p = 1', () => {
    const w = Float64Array.from([2, 0, 2, 0, 2]);
    const r = Float64Array.from([1, 1, 0, 0, 0]);
    const num = w.map((x, i) => x * r[i]!);
    const e = pairedRatioBootstrap({ numerator: num, denominator: w }, { numerator: num, denominator: w }, 200, 1);
    expect(e.a.value).toBe(2 / 6);
    expect(e.b.value).toBe(2 / 6);
    expect(e.difference.estimate).toBe(0);
    expect(e.difference.ci95).toEqual([0, 0]);
    expect(e.difference.pValue).toBe(1);
    expect(e.a.ci95[0]).toBeLessThanOrEqual(e.a.value);
    expect(e.a.ci95[1]).toBeGreaterThanOrEqual(e.a.value);
  });

  it('finds a clear difference significant, reproducibly by seed', () => {
    const n = 400;
    const a = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const b = Float64Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const e = pairedRatioBootstrap({ numerator: a }, { numerator: b }, 300, 7);
    expect(e.difference.estimate).toBeCloseTo(0.5 - 0.1, 15);
    expect(e.difference.ci95[0]).toBeGreaterThan(0);
    expect(e.difference.pValue).toBeLessThan(0.01);
    expect(pairedRatioBootstrap({ numerator: a }, { numerator: b }, 300, 7)).toEqual(e);
  });
});

describe('the decision rules', () => {
  const d = (lo: number, hi: number) => ({ estimate: (lo + hi) / 2, ci95: [lo, hi] as [number, number], pValue: 0.5, pLightWorse: 0.5, test: 't' });
  it('light is not significantly worse unless the whole interval of light − heavy is below 0', () => {
    expect(notSignificantlyWorse(d(-0.02, 0.01))).toBe(true);
    expect(notSignificantlyWorse(d(-0.02, 0))).toBe(true);
    expect(notSignificantlyWorse(d(-0.02, -0.001))).toBe(false);
    expect(heavySignificantlyBetter(d(-0.02, -0.001))).toBe(true);
    expect(heavySignificantlyBetter(d(0.001, 0.02))).toBe(false);
  });
});
