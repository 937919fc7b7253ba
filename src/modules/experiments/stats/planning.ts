/**
 * Planning the maximum sample size of a group-sequential experiment. The fixed design (one analysis)
 * needs n = 2(z_{1−α/2} + z_{1−β})²σ²/δ² units per arm to detect a difference δ in means with power
 * 1 − β by a two-sided level-α test. Looking K times with a spending function loses some power, which
 * a larger maximum sample restores: n_max = R·n, where the inflation factor R = (η/η_fixed)² and η is
 * the drift (expected z at the final look) that gives the group-sequential design the same power
 * (Jennison & Turnbull, Group Sequential Methods with Applications to Clinical Trials, 2000, §2.3 and
 * §7.2), found with the same recursive integration as the boundaries.
 */
import { crossingProbabilities, findRoot, groupSequentialBounds, MAX_LOOKS } from './boundaries.js';
import { normalQuantile } from './normal.js';
import { checkAlpha, checkSpending, type Spending } from './spending.js';

/** Inputs of `maxUnitsPerArm`. */
export interface SampleSizeInput {
  /** The control arm's expected mean outcome (recorded with the plan; the size depends only on σ and δ). */
  baselineMean: number;
  /** The per-unit outcome's standard deviation σ, assumed equal in both arms. */
  standardDeviation: number;
  /** The smallest absolute difference in means δ the experiment should detect. */
  minimumDetectableEffect: number;
  /** Two-sided significance level. */
  alpha: number;
  /** The probability 1 − β of rejecting H0 (in the direction of the effect) when the difference is δ. */
  power: number;
  spending: Spending;
  /** The planned number of equally spaced looks (the last at fraction 1). */
  looks: number;
}

function checkPower(power: number, alpha: number): void {
  if (!(power > alpha / 2 && power < 1)) throw new RangeError(`power must be above alpha/2 and below 1 (got ${power})`);
}

function checkLooks(looks: number): void {
  if (!(Number.isInteger(looks) && looks >= 1 && looks <= MAX_LOOKS)) throw new RangeError(`looks must be an integer from 1 to ${MAX_LOOKS} (got ${looks})`);
}

/** The equally spaced information fractions 1/K, 2/K, …, 1. */
export function equallySpaced(looks: number): number[] {
  checkLooks(looks);
  return Array.from({ length: looks }, (_, k) => (k + 1 === looks ? 1 : (k + 1) / looks));
}

/**
 * The probability that the design with symmetric bounds for `spending` at `fractions` rejects H0 in
 * the direction of the effect (crosses an upper bound at some look) when the drift is η, i.e. the
 * final-look statistic has mean η. Crossing the wrong way (negligible for a useful design) is not
 * counted, so with one look this is exactly the fixed design's Φ(η − z_{1−α/2}).
 */
export function sequentialPower(fractions: readonly number[], alpha: number, spending: Spending, drift: number): number {
  const bounds = groupSequentialBounds(fractions, alpha, spending);
  return crossingProbabilities(fractions, bounds, drift).upper.reduce((s, p) => s + p, 0);
}

/**
 * The drift η with sequentialPower(fractions, alpha, spending, η) = power: the expected z at the final
 * look that the design needs. Throws a RangeError for invalid arguments.
 */
export function requiredDrift(fractions: readonly number[], alpha: number, spending: Spending, power: number): number {
  checkAlpha(alpha);
  checkSpending(spending);
  checkPower(power, alpha);
  const fixed = -normalQuantile(alpha / 2) + normalQuantile(power);
  const gap = (eta: number): number => sequentialPower(fractions, alpha, spending, eta) - power;
  let hi = 1.5 * fixed;
  while (gap(hi) < 0) hi *= 1.5;
  return findRoot(gap, 0, hi, 1e-10);
}

/**
 * The group-sequential inflation factor R = (η/η_fixed)² for K equally spaced looks: the maximum
 * sample of the sequential design over the fixed design's, at equal alpha and power. Exactly 1 for
 * one look. For α = 0.05, power 0.9 and 5 looks it is about 1.02 for O'Brien–Fleming-type and 1.20
 * for Pocock-type spending.
 */
export function inflationFactor(spending: Spending, alpha: number, power: number, looks: number): number {
  checkAlpha(alpha);
  checkPower(power, alpha);
  checkLooks(looks);
  const fixed = -normalQuantile(alpha / 2) + normalQuantile(power);
  if (looks === 1) return 1;
  const eta = requiredDrift(equallySpaced(looks), alpha, spending, power);
  return (eta / fixed) ** 2;
}

/** The fixed-design (single analysis) units per arm 2(z_{1−α/2} + z_{power})²σ²/δ², not rounded. */
export function fixedUnitsPerArm(standardDeviation: number, minimumDetectableEffect: number, alpha: number, power: number): number {
  checkAlpha(alpha);
  checkPower(power, alpha);
  if (!(Number.isFinite(standardDeviation) && standardDeviation > 0)) throw new RangeError(`standardDeviation must be positive and finite (got ${standardDeviation})`);
  if (!(Number.isFinite(minimumDetectableEffect) && minimumDetectableEffect !== 0)) {
    throw new RangeError(`minimumDetectableEffect must be finite and non-zero (got ${minimumDetectableEffect})`);
  }
  const zSum = -normalQuantile(alpha / 2) + normalQuantile(power);
  return (2 * zSum * zSum * standardDeviation * standardDeviation) / (minimumDetectableEffect * minimumDetectableEffect);
}

/**
 * The planned maximum units per arm: the fixed-design size 2(z_{1−α/2} + z_{power})²σ²/δ² times the
 * inflation factor for the spending function and number of equally spaced looks, rounded up (a
 * relative 1e−12 of rounding noise is forgiven first, so an exact integer stays itself). The sign of
 * δ does not matter. Throws a RangeError for a non-positive σ, δ = 0, alpha outside (0, 1), power
 * outside (α/2, 1), or looks not an integer from 1 to MAX_LOOKS.
 */
export function maxUnitsPerArm(input: SampleSizeInput): number {
  const { baselineMean, standardDeviation, minimumDetectableEffect, alpha, power, spending, looks } = input;
  if (!Number.isFinite(baselineMean)) throw new RangeError(`baselineMean must be finite (got ${baselineMean})`);
  checkSpending(spending);
  checkLooks(looks);
  const n = fixedUnitsPerArm(standardDeviation, minimumDetectableEffect, alpha, power) * inflationFactor(spending, alpha, power, looks);
  return Math.ceil(n * (1 - 1e-12));
}

/**
 * `maxUnitsPerArm` for a conversion rate (a 0/1 outcome per viewer): baseline rate p, the smallest
 * relative uplift u to detect (0.1 = +10 %, so δ = p·u), σ² = p(1 − p) at the baseline.
 * Throws a RangeError unless 0 < p < 1, u ≠ 0 and 0 ≤ p(1 + u) ≤ 1, besides the checks of maxUnitsPerArm.
 */
export function requiredConversionUnits(baselineRate: number, relativeUplift: number, alpha: number, power: number, spending: Spending, looks: number): number {
  if (!(baselineRate > 0 && baselineRate < 1)) throw new RangeError(`baselineRate must be strictly between 0 and 1 (got ${baselineRate})`);
  const treated = baselineRate * (1 + relativeUplift);
  if (!(Number.isFinite(relativeUplift) && relativeUplift !== 0 && treated >= 0 && treated <= 1)) {
    throw new RangeError(`relativeUplift must be non-zero and keep the treated rate within [0, 1] (got ${relativeUplift})`);
  }
  return maxUnitsPerArm({
    baselineMean: baselineRate,
    standardDeviation: Math.sqrt(baselineRate * (1 - baselineRate)),
    minimumDetectableEffect: baselineRate * relativeUplift,
    alpha,
    power,
    spending,
    looks,
  });
}
