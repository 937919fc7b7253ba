/**
 * Alpha-spending functions (Lan & DeMets, Biometrika 70 (1983) 659–663): the cumulative two-sided
 * type I error α(t) that may have been spent by information fraction t ∈ [0, 1], with α(0) = 0 and
 * α(1) = α. The boundary at each look spends exactly the increment α(t_k) − α(t_{k−1}), which is
 * why the number and timing of looks need not be fixed in advance (Jennison & Turnbull, Group
 * Sequential Methods with Applications to Clinical Trials, 2000, ch. 7).
 */
import { normalCdf, normalQuantile } from './normal.js';

/**
 * `obrien_fleming`: the O'Brien–Fleming-type function α(t) = 2 − 2Φ(z_{1−α/2}/√t), which spends
 * almost nothing early and keeps the final bound close to the fixed-sample one (the default).
 * `pocock`: the Pocock-type function α(t) = α·ln(1 + (e − 1)t), which spends roughly evenly and
 * gives nearly constant bounds (earlier stopping, wider final interval).
 */
export type Spending = 'obrien_fleming' | 'pocock';

/** Every spending function, the default (O'Brien–Fleming-type) first. */
export const SPENDINGS: readonly Spending[] = Object.freeze(['obrien_fleming', 'pocock'] as const);

/** Throws a RangeError unless alpha is a probability strictly between 0 and 1. */
export function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be strictly between 0 and 1 (got ${alpha})`);
}

/** Throws a RangeError unless `kind` is one of SPENDINGS (the type alone does not stop a bad JSON value). */
export function checkSpending(kind: Spending): void {
  if (!SPENDINGS.includes(kind)) throw new RangeError(`unknown spending function ${JSON.stringify(kind)}; expected one of ${SPENDINGS.join(', ')}`);
}

/**
 * The cumulative two-sided alpha spent by information fraction t (clamped to [0, 1]):
 * O'Brien–Fleming-type 2 − 2Φ(z_{1−α/2}/√t) (computed as 2Φ(−z_{1−α/2}/√t) so small values keep
 * their digits), Pocock-type α·ln(1 + (e − 1)t). Exactly 0 at t ≤ 0 and exactly α at t ≥ 1.
 * Throws a RangeError for alpha outside (0, 1), a non-finite t or an unknown kind.
 */
export function alphaSpent(kind: Spending, alpha: number, t: number): number {
  checkAlpha(alpha);
  checkSpending(kind);
  if (!Number.isFinite(t)) throw new RangeError(`the information fraction must be a finite number (got ${t})`);
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  // z_{1−α/2} = −Φ⁻¹(α/2): the lower quantile keeps its digits for small alpha. Rounding can put
  // the value a few ulps above α just below t = 1: it is capped (min{…, α} as in Jennison &
  // Turnbull §7.2.1). Between two fractions a few ulps apart the rounded values may still step
  // down by an ulp or so; spendingBounds keeps the running maximum, so no look gets a negative
  // increment.
  const spent = kind === 'obrien_fleming' ? 2 * normalCdf(normalQuantile(alpha / 2) / Math.sqrt(t)) : alpha * Math.log1p((Math.E - 1) * t);
  return Math.min(spent, alpha);
}
