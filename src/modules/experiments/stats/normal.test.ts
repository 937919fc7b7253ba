import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalCdf, normalPdf, normalQuantile, normalUpper } from './normal.js';

/** Reference values computed with mpmath at 40 significant digits, written as the nearest double. */
const CDF: readonly [number, number][] = [
  [-37, 5.725571222524577e-300],
  [-20, 2.7536241186062337e-89],
  [-8, 6.220960574271784e-16],
  [-5, 2.866515718791939e-7],
  [-3, 0.0013498980316300946],
  [-1.96, 0.024997895148220435],
  [-1, 0.15865525393145705],
  [-0.5, 0.3085375387259869],
  [0, 0.5],
  [0.25, 0.5987063256829237],
  [1, 0.8413447460685429],
  [1.96, 0.9750021048517795],
  [3, 0.9986501019683699],
  [5, 0.9999997133484281],
  [8, 0.9999999999999993],
];

const QUANTILE: readonly [number, number][] = [
  [1e-300, -37.0470962993612],
  [1e-100, -21.273453560965326],
  [1e-20, -9.262340089798407],
  [1e-10, -6.361340902404057],
  [0.001, -3.0902323061678136],
  [0.025, -1.9599639845400543],
  [0.2, -0.8416212335729142],
  [0.5, 0],
  [0.975, 1.9599639845400538],
  [0.999, 3.090232306167813],
];

function relativeError(got: number, want: number): number {
  return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
}

describe('normalCdf', () => {
  it('matches high-precision values to a relative 1e−13, far into the lower tail', () => {
    for (const [x, want] of CDF) expect(relativeError(normalCdf(x), want), `Φ(${x})`).toBeLessThan(1e-13);
  });

  it('keeps the upper tail exact through normalUpper and is symmetric', () => {
    expect(relativeError(normalUpper(8), 6.220960574271784e-16)).toBeLessThan(1e-13);
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (x) => {
        expect(Math.abs(normalCdf(x) + normalCdf(-x) - 1)).toBeLessThan(1e-15);
      }),
    );
  });

  it('is monotone and bounded, with limits at ±∞ and NaN for NaN', () => {
    fc.assert(
      fc.property(fc.double({ min: -40, max: 40, noNaN: true }), fc.double({ min: -40, max: 40, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(normalCdf(lo)).toBeLessThanOrEqual(normalCdf(hi));
        expect(normalCdf(lo)).toBeGreaterThanOrEqual(0);
        expect(normalCdf(hi)).toBeLessThanOrEqual(1);
      }),
    );
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });

  it('has the density as its derivative', () => {
    for (const x of [-4, -1.5, 0, 0.7, 2.5]) {
      const h = 1e-5;
      expect((normalCdf(x + h) - normalCdf(x - h)) / (2 * h)).toBeCloseTo(normalPdf(x), 9);
    }
    expect(normalPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });
});

describe('normalQuantile', () => {
  it('matches high-precision values to a relative 1e−13', () => {
    for (const [p, want] of QUANTILE) expect(relativeError(normalQuantile(p), want), `Φ⁻¹(${p})`).toBeLessThan(1e-13);
  });

  it('inverts normalCdf', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
        const p = normalCdf(x);
        // Near 1 the probability itself carries only ~1e−16 absolute precision, so compare via the smaller tail.
        const back = x > 0 ? -normalQuantile(normalCdf(-x)) : normalQuantile(p);
        expect(Math.abs(back - x)).toBeLessThan(1e-9 * Math.max(1, Math.abs(x)));
      }),
    );
  });

  it('refuses probabilities outside (0, 1)', () => {
    for (const p of [0, 1, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => normalQuantile(p)).toThrow(RangeError);
  });
});
