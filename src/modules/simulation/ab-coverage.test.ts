import { describe, expect, it } from 'vitest';
import { abCoverage, demoProductViews, fixedPolicies, wilson } from './ab-coverage.js';
import { builtinScenarioPath, readScenarioFile } from './world/index.js';

const scenario = readScenarioFile(builtinScenarioPath('baby-care'));

describe('A/B coverage in the simulated world (the experiments’ own analysis)', () => {
  it('chooses two different fixed policies: one slate for all, one per child age band', () => {
    const products = demoProductViews();
    expect(products).toHaveLength(56);
    const p = fixedPolicies(scenario, products, 4, 1, 5_000);
    const bands = new Set(['0_6m', '6_12m', '1_3y', '3_6y'] as const);
    const slates = [...bands].map((band) => p.b({ segment: { childAgeBand: band } } as never).map((x) => x.id).join());
    expect(new Set(slates).size).toBeGreaterThan(1);
    expect(p.a({} as never)).toHaveLength(4);
  });

  it('covers the true difference at about the nominal rate over 200 seeded runs, and finds B better when it finds anything', () => {
    const r = abCoverage({ scenario, products: demoProductViews(), runs: 200, unitsPerArm: 300, looks: 5, k: 4, seed: 99, referenceViewers: 20_000 });
    // The truth: the per-band slates convert better than one slate for all.
    expect(r.trueConversion.difference).toBeGreaterThan(0);
    // A sanity band around 95 % (200 runs: a standard error of 1.5 points); the calibrated check
    // with more runs is in `npm run bench -- simulation-coverage`.
    expect(r.coverage).toBeGreaterThanOrEqual(0.9);
    expect(r.coverage).toBeLessThanOrEqual(0.99);
    expect(r.wrongSign).toBe(0);
    expect(r.coverageInterval[0]).toBeLessThanOrEqual(r.coverage);
    // Looks are scheduled by the server's information fraction, so a run goes on until the smaller
    // arm's precision is reached: never fewer than the planned 600 viewers, more when the hash's
    // split is uneven (as it is in most runs).
    expect(r.meanViewers).toBeGreaterThan(600);
    expect(r.meanViewers).toBeLessThan(700);
  }, 60_000);

  it('computes Wilson intervals', () => {
    const [lo, hi] = wilson(950, 1000);
    expect(lo).toBeCloseTo(0.9346, 3);
    expect(hi).toBeCloseTo(0.9619, 3);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});
