import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { THRESHOLDS, chinaYearOf, chinaYearRange, thresholdStatus } from './thresholds.js';

describe('China calendar year (UTC+8)', () => {
  it('turns at midnight in Beijing, not at midnight UTC', () => {
    expect(chinaYearOf(Date.UTC(2026, 11, 31, 15, 59, 59, 999))).toBe(2026);
    expect(chinaYearOf(Date.UTC(2026, 11, 31, 16, 0))).toBe(2027);
    expect(chinaYearRange(2027)).toEqual({ from: Date.UTC(2026, 11, 31, 16), until: Date.UTC(2027, 11, 31, 16) });
  });

  it('puts every instant inside the range of its own year', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) }), (at) => {
        const { from, until } = chinaYearRange(chinaYearOf(at));
        return from <= at && at < until;
      }),
    );
  });
});

describe('thresholds of the 2024 cross-border provisions', () => {
  it('are 10 K sensitive, 100 K and 1 M individuals, with the route each requires', () => {
    expect(THRESHOLDS.map((t) => [t.id, t.kind, t.limit, t.route])).toEqual([
      ['sensitive_10k', 'sensitive', 10_000, 'security_assessment'],
      ['individuals_100k', 'any', 100_000, 'standard_contract_or_certification'],
      ['individuals_1m', 'any', 1_000_000, 'security_assessment'],
    ]);
  });

  it('warns at 80 % and reports reached at the limit', () => {
    const at = (individuals: number, sensitiveIndividuals: number) =>
      Object.fromEntries(thresholdStatus({ individuals, sensitiveIndividuals }).map((s) => [s.id, [s.warning, s.reached]]));
    expect(at(79_999, 7_999)).toEqual({ sensitive_10k: [false, false], individuals_100k: [false, false], individuals_1m: [false, false] });
    expect(at(80_000, 8_000)).toEqual({ sensitive_10k: [true, false], individuals_100k: [true, false], individuals_1m: [false, false] });
    expect(at(1_000_000, 10_000)).toEqual({ sensitive_10k: [true, true], individuals_100k: [true, true], individuals_1m: [true, true] });
    expect(thresholdStatus({ individuals: 5, sensitiveIndividuals: 2 }).map((s) => s.warningAt)).toEqual([8_000, 80_000, 800_000]);
  });
});
