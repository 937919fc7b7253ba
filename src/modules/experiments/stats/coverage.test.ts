/**
 * Coverage of the repeated confidence intervals on simulated two-arm experiments with a 0/1 outcome
 * per viewer (conversion): control p = 0.05, treatment p = 0.06, true difference 0.01, at most 5,000
 * units per arm. An experiment "covers" when every look's interval that is shown (both arms with
 * ≥ 2 units and se > 0; a collapsed interval is shown as "not enough data") contains 0.01 (and, for
 * the relative uplift, 0.2). The figures are quoted in docs/experiments-statistics.md.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { fixedSampleInterval, sequentialAnalysis, type ArmSums, type DifferenceInterval } from './intervals.js';
import { SPENDINGS, type Spending } from './spending.js';

const P_CONTROL = 0.05;
const P_TREATMENT = 0.06;
const TRUTH = P_TREATMENT - P_CONTROL;
const TRUE_UPLIFT = P_TREATMENT / P_CONTROL - 1;
const MAX_UNITS = 5000;
const EXPERIMENTS = 1000;

/** Ten equally spaced looks: 500, 1000, …, 5000 units per arm. */
const EQUAL = Array.from({ length: 10 }, (_, k) => (k + 1) * 500);

/** Twenty-five unequally spaced looks (irregular increments, the first at 3/64 of the maximum). */
const UNEQUAL = (() => {
  const weights = [3, 1, 2, 5, 1, 1, 4, 2, 3, 1, 2, 6, 1, 3, 2, 4, 1, 2, 5, 3, 1, 2, 4, 2, 3];
  const total = weights.reduce((s, w) => s + w, 0);
  let cumulative = 0;
  return weights.map((w) => {
    cumulative += w;
    return Math.round((MAX_UNITS * cumulative) / total);
  });
})();

/** An exact Binomial(n, p) draw by inversion of the distribution function (n·p here is at most ~60). */
function binomial(rng: Rng, n: number, p: number): number {
  const u = rng.next();
  const odds = p / (1 - p);
  let probability = (1 - p) ** n;
  let cumulative = probability;
  let k = 0;
  while (u >= cumulative && k < n) {
    probability *= ((n - k) / (k + 1)) * odds;
    k++;
    cumulative += probability;
  }
  return k;
}

/** A 0/1 outcome has y² = y, so sumSquares = sum. */
function arm(units: number, conversions: number): ArmSums {
  return { units, sum: conversions, sumSquares: conversions };
}

function shown(d: DifferenceInterval | undefined): d is DifferenceInterval {
  return d !== undefined && d.se > 0;
}

function covers(d: DifferenceInterval): boolean {
  return d.lo <= TRUTH && TRUTH <= d.hi;
}

interface Coverage {
  /** Per spending: share of experiments whose repeated intervals all contain the truth. */
  sequential: Record<Spending, number>;
  /** The same for the relative uplift's repeated intervals. */
  uplift: Record<Spending, number>;
  /** Share whose 95 % fixed-sample interval at every look contains the truth (the naive approach). */
  naive: number;
  /** Share whose 95 % fixed-sample interval at the final look alone contains the truth. */
  finalOnly: number;
}

function perSpending<T>(value: T): Record<Spending, T> {
  return Object.fromEntries(SPENDINGS.map((s) => [s, value])) as Record<Spending, T>;
}

function share(hits: Record<Spending, number>): Record<Spending, number> {
  return Object.fromEntries(SPENDINGS.map((s) => [s, hits[s] / EXPERIMENTS])) as Record<Spending, number>;
}

function simulate(schedule: readonly number[], seed: number): Coverage {
  const rng = new Rng(seed);
  const fractions = schedule.map((n) => n / MAX_UNITS);
  const sequentialHits = perSpending(0);
  const upliftHits = perSpending(0);
  let naiveHits = 0;
  let finalHits = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    let units = 0;
    let conversionsC = 0;
    let conversionsT = 0;
    const ok = perSpending(true);
    const upliftOk = perSpending(true);
    let naiveOk = true;
    schedule.forEach((n, k) => {
      conversionsC += binomial(rng, n - units, P_CONTROL);
      conversionsT += binomial(rng, n - units, P_TREATMENT);
      units = n;
      const control = arm(units, conversionsC);
      const treatment = arm(units, conversionsT);
      for (const spending of SPENDINGS) {
        const look = sequentialAnalysis({ looks: fractions.slice(0, k + 1), alpha: 0.05, spending, control, treatment });
        if (shown(look.difference) && !covers(look.difference)) ok[spending] = false;
        const uplift = look.relativeUplift;
        if (uplift !== undefined && uplift.hi > uplift.lo && !(uplift.lo <= TRUE_UPLIFT && TRUE_UPLIFT <= uplift.hi)) upliftOk[spending] = false;
      }
      const fixed = fixedSampleInterval(control, treatment).difference;
      if (shown(fixed) && !covers(fixed)) naiveOk = false;
      if (k === schedule.length - 1 && shown(fixed) && covers(fixed)) finalHits++;
    });
    for (const spending of SPENDINGS) {
      if (ok[spending]) sequentialHits[spending]++;
      if (upliftOk[spending]) upliftHits[spending]++;
    }
    if (naiveOk) naiveHits++;
  }
  return {
    sequential: share(sequentialHits),
    uplift: share(upliftHits),
    naive: naiveHits / EXPERIMENTS,
    finalOnly: finalHits / EXPERIMENTS,
  };
}

describe('repeated confidence intervals: simultaneous coverage on 1,000 simulated experiments', () => {
  for (const [name, schedule, seed] of [
    ['10 equally spaced looks', EQUAL, 1001],
    ['25 unequally spaced looks', UNEQUAL, 2002],
  ] as const) {
    it(`covers the true difference at every look about 95 % of the time (${name})`, () => {
      const result = simulate(schedule, seed);
      for (const spending of SPENDINGS) {
        expect(result.sequential[spending], spending).toBeGreaterThanOrEqual(0.93);
        expect(result.sequential[spending], spending).toBeLessThanOrEqual(0.97);
        expect(result.uplift[spending], `${spending} (relative uplift)`).toBeGreaterThanOrEqual(0.93);
        expect(result.uplift[spending], `${spending} (relative uplift)`).toBeLessThanOrEqual(0.97);
      }
      // The final look's ordinary interval on its own is a fixed-sample interval: ~95 %.
      expect(result.finalOnly).toBeGreaterThanOrEqual(0.93);
      expect(result.finalOnly).toBeLessThanOrEqual(0.97);
      // Checking the ordinary 95 % interval at every look is what repeated intervals exist to avoid.
      expect(result.naive).toBeLessThan(0.9);
    });
  }
});
