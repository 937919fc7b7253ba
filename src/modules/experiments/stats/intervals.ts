/**
 * Two-arm comparisons from per-arm sums: the difference in means with its Welch standard error,
 * the relative uplift by the delta method on the log ratio, and the group-sequential analysis of a
 * look — the repeated confidence interval estimate ± c_k·se_k (Jennison & Turnbull, Group Sequential
 * Methods with Applications to Clinical Trials, 2000, ch. 9), which together with every other look's
 * interval covers the true difference with probability 1 − α (normal approximation).
 */
import { groupSequentialBounds } from './boundaries.js';
import { normalQuantile } from './normal.js';
import { checkAlpha, type Spending } from './spending.js';

/**
 * Per-unit outcome totals of one arm. A unit is one viewer; each viewer contributes one outcome
 * y (e.g. converted 0/1, or GMV in fen): units = n, sum = Σy, sumSquares = Σy².
 */
export interface ArmSums {
  units: number;
  sum: number;
  sumSquares: number;
}

/** A point estimate with a two-sided interval [lo, hi]. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

/** One scheduled look (interim analysis) at information fraction `fraction` of the planned maximum. */
export interface LookInput {
  fraction: number;
}

/** The difference in means with its standard error. */
export type DifferenceInterval = Interval & { se: number };

/** What `sequentialAnalysis` reports for the current look. */
export interface SequentialLook {
  /** 1-based number of the current look. */
  look: number;
  /** Its information fraction (capped at 1). */
  fraction: number;
  /** The critical value c_k: the interval half-width in standard errors, and the test's bound on |z|. */
  bound: number;
  /** Treatment − control with the repeated confidence interval (undefined: an arm has < 2 units). */
  difference: DifferenceInterval | undefined;
  /** Treatment/control − 1 with the repeated confidence interval (undefined: a mean ≤ 0 or < 2 units). */
  relativeUplift: Interval | undefined;
  /** The z statistic (undefined when the standard error is 0 or an arm has < 2 units). */
  z: number | undefined;
  /** |z| ≥ bound: H0 (no difference) is rejected at this look; the repeated interval then excludes 0. */
  crossed: boolean;
  /** The look reached the planned maximum (fraction ≥ 1): the last look that spends alpha. */
  final: boolean;
}

/** Throws a RangeError unless the sums can come from `units` real outcomes. */
export function checkArmSums(a: ArmSums, name = 'arm'): void {
  if (!(Number.isInteger(a.units) && a.units >= 0)) throw new RangeError(`${name}: units must be a non-negative integer (got ${a.units})`);
  if (!Number.isFinite(a.sum)) throw new RangeError(`${name}: sum must be finite (got ${a.sum})`);
  if (!(Number.isFinite(a.sumSquares) && a.sumSquares >= 0)) throw new RangeError(`${name}: sumSquares must be finite and non-negative (got ${a.sumSquares})`);
  if (a.units === 0 && (a.sum !== 0 || a.sumSquares !== 0)) throw new RangeError(`${name}: an arm without units has zero sums`);
}

function checkZ(z: number): void {
  if (!(Number.isFinite(z) && z >= 0)) throw new RangeError(`the critical value z must be finite and non-negative (got ${z})`);
}

/** The arm's mean outcome Σy/n (NaN when it has no units). */
export function mean(a: ArmSums): number {
  checkArmSums(a);
  return a.units === 0 ? Number.NaN : a.sum / a.units;
}

/**
 * The unbiased sample variance (Σy² − (Σy)²/n)/(n − 1); 0 when the arm has fewer than 2 units.
 * Rounding can make the difference slightly negative when all outcomes are (nearly) equal; it is
 * then 0.
 */
export function variance(a: ArmSums): number {
  checkArmSums(a);
  if (a.units < 2) return 0;
  const v = (a.sumSquares - (a.sum * a.sum) / a.units) / (a.units - 1);
  return v > 0 ? v : 0;
}

/**
 * Treatment mean − control mean ± z·se with the Welch (unpooled) standard error
 * se = √(s_t²/n_t + s_c²/n_c). Undefined when either arm has fewer than 2 units. When both
 * variances are 0 (for instance no conversions at all yet) se is 0 and the interval collapses to the
 * estimate: callers should show such a look as "not enough data", not as a certain result.
 * Throws a RangeError for invalid sums or a negative or non-finite z.
 */
export function differenceInterval(control: ArmSums, treatment: ArmSums, z: number): DifferenceInterval | undefined {
  checkArmSums(control, 'control');
  checkArmSums(treatment, 'treatment');
  checkZ(z);
  if (control.units < 2 || treatment.units < 2) return undefined;
  const estimate = mean(treatment) - mean(control);
  const se = Math.sqrt(variance(treatment) / treatment.units + variance(control) / control.units);
  return { estimate, lo: estimate - z * se, hi: estimate + z * se, se };
}

/**
 * The relative uplift mean_t/mean_c − 1 with the interval exp(ln(mean_t/mean_c) ± z·se_log) − 1,
 * where se_log² = s_t²/(n_t·mean_t²) + s_c²/(n_c·mean_c²) (the delta method on the log ratio, which
 * keeps the interval above −100 % and asymmetric as the ratio's distribution is). Undefined when
 * either arm has fewer than 2 units or a mean ≤ 0. Throws a RangeError for invalid sums or z.
 */
export function relativeUpliftInterval(control: ArmSums, treatment: ArmSums, z: number): Interval | undefined {
  checkArmSums(control, 'control');
  checkArmSums(treatment, 'treatment');
  checkZ(z);
  if (control.units < 2 || treatment.units < 2) return undefined;
  const mc = mean(control);
  const mt = mean(treatment);
  if (!(mc > 0 && mt > 0)) return undefined;
  const logRatio = Math.log(mt / mc);
  const seLog = Math.sqrt(variance(treatment) / (treatment.units * mt * mt) + variance(control) / (control.units * mc * mc));
  return { estimate: Math.expm1(logRatio), lo: Math.expm1(logRatio - z * seLog), hi: Math.expm1(logRatio + z * seLog) };
}

/** (mean_t − mean_c)/se, the Wald statistic of the difference; undefined when se is 0 or an arm has < 2 units. */
export function zStatistic(control: ArmSums, treatment: ArmSums): number | undefined {
  const d = differenceInterval(control, treatment, 0);
  if (d === undefined || !(d.se > 0)) return undefined;
  return d.estimate / d.se;
}

/**
 * The group-sequential analysis of the current look. `looks` are the information fractions of every
 * look taken so far, strictly increasing, the last being the current one; a fraction above 1 (the
 * sample overshot the planned maximum) counts as 1, and no look may follow one that reached 1. The
 * bound is c_k of `groupSequentialBounds` for those fractions (earlier looks' bounds do not depend on
 * later ones); the repeated confidence intervals use z = c_k; crossed = |z| ≥ c_k; final = the look
 * reached fraction 1. Throws a RangeError for invalid looks, alpha, spending or sums.
 */
export function sequentialAnalysis(input: {
  looks: readonly number[];
  alpha: number;
  spending: Spending;
  control: ArmSums;
  treatment: ArmSums;
}): SequentialLook {
  const { looks, alpha, spending, control, treatment } = input;
  if (!Array.isArray(looks) || looks.length === 0) throw new RangeError('at least one look (information fraction) is needed');
  looks.forEach((t, k) => {
    if (!(Number.isFinite(t) && t > 0)) throw new RangeError(`information fraction ${k + 1} must be a positive finite number (got ${t})`);
  });
  const fractions = looks.map((t) => Math.min(t, 1));
  const finalAt = fractions.indexOf(1);
  if (finalAt >= 0 && finalAt < fractions.length - 1) {
    throw new RangeError(`look ${finalAt + 1} reached the planned maximum (fraction ≥ 1) and was final; no later look spends alpha`);
  }
  const bounds = groupSequentialBounds(fractions, alpha, spending);
  const bound = bounds[bounds.length - 1]!;
  const fraction = fractions[fractions.length - 1]!;
  const z = zStatistic(control, treatment);
  return {
    look: fractions.length,
    fraction,
    bound,
    difference: differenceInterval(control, treatment, bound),
    relativeUplift: relativeUpliftInterval(control, treatment, bound),
    z,
    crossed: z !== undefined && Math.abs(z) >= bound,
    final: fraction >= 1,
  };
}

/**
 * The ordinary fixed-sample interval (z = z_{1−α/2}, 1.959964… for α = 0.05) for comparison in
 * reports. It is valid only for a single, pre-planned analysis: checked at every look it covers the
 * truth at all looks far less often than 1 − α (see docs/experiments-statistics.md).
 */
export function fixedSampleInterval(
  control: ArmSums,
  treatment: ArmSums,
  alpha = 0.05,
): { z: number; difference: DifferenceInterval | undefined; relativeUplift: Interval | undefined } {
  checkAlpha(alpha);
  const z = -normalQuantile(alpha / 2);
  return { z, difference: differenceInterval(control, treatment, z), relativeUplift: relativeUpliftInterval(control, treatment, z) };
}
