import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alphaSpent, SPENDINGS, type Spending } from './spending.js';

/** scipy.stats: 2·norm.sf(norm.ppf(0.975)/√t) and 0.05·ln(1 + (e − 1)t). */
const VALUES: readonly [Spending, number, number][] = [
  ['obrien_fleming', 0.1, 5.720318790425403e-10],
  ['obrien_fleming', 0.2, 1.1726446842521156e-5],
  ['obrien_fleming', 0.5, 0.005574596680784415],
  ['obrien_fleming', 0.8, 0.028429630753072702],
  ['pocock', 0.1, 0.007928253937021455],
  ['pocock', 0.2, 0.014769726456017382],
  ['pocock', 0.5, 0.031005725347913876],
  ['pocock', 0.8, 0.04324198625815952],
];

describe('alphaSpent', () => {
  it('lists O’Brien–Fleming-type first (the default) and Pocock-type', () => {
    expect(SPENDINGS).toEqual(['obrien_fleming', 'pocock']);
    expect(Object.isFrozen(SPENDINGS)).toBe(true);
  });

  it('matches the Lan–DeMets formulas', () => {
    for (const [kind, t, want] of VALUES) expect(Math.abs(alphaSpent(kind, 0.05, t) - want) / want, `${kind} at ${t}`).toBeLessThan(1e-12);
  });

  it('spends 0 at t = 0 and exactly alpha at t = 1, clamping t to [0, 1]', () => {
    for (const kind of SPENDINGS) {
      for (const alpha of [0.01, 0.05, 0.1]) {
        expect(alphaSpent(kind, alpha, 0)).toBe(0);
        expect(alphaSpent(kind, alpha, -3)).toBe(0);
        expect(alphaSpent(kind, alpha, 1)).toBe(alpha);
        expect(alphaSpent(kind, alpha, 1.7)).toBe(alpha);
      }
    }
  });

  it('is non-decreasing in t (up to rounding: a few ulps) and never above alpha', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SPENDINGS),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (kind, alpha, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const x = alphaSpent(kind, alpha, lo);
          const y = alphaSpent(kind, alpha, hi);
          // Φ rounds: two fractions a few ulps apart may give values an ulp or so out of order.
          expect(x).toBeLessThanOrEqual(y + 8 * Number.EPSILON * alpha);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(y).toBeLessThanOrEqual(alpha);
        },
      ),
    );
  });

  it('stays within an ulp or so of order just below t = 1, and never above alpha (a case the property above found)', () => {
    const alpha = 0.4005993582922106;
    const [lo, hi] = [0.9999999999999978, 0.9999999999999982];
    expect(alphaSpent('obrien_fleming', alpha, lo)).toBeLessThanOrEqual(alpha);
    expect(alphaSpent('obrien_fleming', alpha, hi)).toBeLessThanOrEqual(alpha);
    expect(Math.abs(alphaSpent('obrien_fleming', alpha, hi) - alphaSpent('obrien_fleming', alpha, lo))).toBeLessThan(8 * Number.EPSILON * alpha);
  });

  it('spends less early with O’Brien–Fleming-type than with Pocock-type', () => {
    for (const t of [0.1, 0.3, 0.5, 0.7, 0.9]) expect(alphaSpent('obrien_fleming', 0.05, t)).toBeLessThan(alphaSpent('pocock', 0.05, t));
  });

  it('refuses alpha outside (0, 1), a non-finite t and an unknown kind', () => {
    for (const alpha of [0, 1, -0.05, 1.2, Number.NaN]) expect(() => alphaSpent('pocock', alpha, 0.5)).toThrow(RangeError);
    for (const t of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(() => alphaSpent('obrien_fleming', 0.05, t)).toThrow(RangeError);
    expect(() => alphaSpent('haybittle' as Spending, 0.05, 0.5)).toThrow(RangeError);
  });
});
