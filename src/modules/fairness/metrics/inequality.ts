/**
 * Individual-level unfairness as inequality of "benefits" (Speicher et al., KDD 2018; AIF360's
 * `generalized_entropy_index`, `theil_index`): each decision's benefit is b_i = ŷ_i − y_i + 1 ∈ {0, 1, 2}
 * (2: selected without deserving it, 1: correct, 0: deserved it and was not selected), μ = mean(b),
 *
 *   GE(α) = 1/(n·α(α − 1)) · Σ[(b_i/μ)^α − 1]     (α ∉ {0, 1}; AIF360's default α = 2)
 *   GE(1) = Theil = 1/n · Σ (b_i/μ)·ln(b_i/μ)     (0·ln 0 = 0)
 *   GE(0) = mean log deviation = −1/n · Σ ln(b_i/μ)
 *
 * Row weights are not used (as in AIF360: an index over individuals). An undefined index (μ = 0,
 * i.e. every row is a missed positive, or no rows) is null; GE(α ≤ 0) with a zero benefit is +∞.
 * Pure.
 */
import type { Label } from './group.js';

/** Benefit counts: n0 = #(ŷ = 0, y = 1), n1 = #(ŷ = y), n2 = #(ŷ = 1, y = 0). */
export interface BenefitCounts {
  readonly n0: number;
  readonly n1: number;
  readonly n2: number;
}

/** GE(α) of arbitrary non-negative benefits. */
export function generalizedEntropy(benefits: ArrayLike<number>, alpha = 2): number | null {
  const n = benefits.length;
  if (n === 0) return null;
  let total = 0;
  for (let i = 0; i < n; i++) total += benefits[i]!;
  const mu = total / n;
  if (!(mu > 0)) return null;
  let s = 0;
  for (let i = 0; i < n; i++) s += term(benefits[i]! / mu, alpha);
  return finish(s, n, alpha);
}

/** Theil index = GE(1). */
export function theil(benefits: ArrayLike<number>): number | null {
  return generalizedEntropy(benefits, 1);
}

/** The summand for one benefit ratio x = b/μ. */
function term(x: number, alpha: number): number {
  if (alpha === 1) return x === 0 ? 0 : x * Math.log(x);
  if (alpha === 0) return -Math.log(x); // +∞ at x = 0
  return x === 0 ? (alpha > 0 ? -1 : Number.POSITIVE_INFINITY) : x ** alpha - 1;
}

function finish(sum: number, n: number, alpha: number): number {
  if (alpha === 1 || alpha === 0) return sum / n;
  return sum / (n * alpha * (alpha - 1));
}

/** GE(α) from benefit counts (what the columnar audit keeps): O(1). */
export function generalizedEntropyFromCounts(c: BenefitCounts, alpha = 2): number | null {
  const n = c.n0 + c.n1 + c.n2;
  if (n === 0) return null;
  const mu = (c.n1 + 2 * c.n2) / n;
  if (!(mu > 0)) return null;
  let s = 0;
  if (c.n0 > 0) s += c.n0 * term(0, alpha);
  if (c.n1 > 0) s += c.n1 * term(1 / mu, alpha);
  if (c.n2 > 0) s += c.n2 * term(2 / mu, alpha);
  return finish(s, n, alpha);
}

/** Benefits b_i = ŷ_i − y_i + 1 from labels and predictions (value equal to posLabel = 1, else 0). */
export function benefits(yTrue: readonly Label[], yPred: readonly Label[], posLabel: Label = 1): Int8Array {
  if (yTrue.length !== yPred.length) throw new RangeError(`yTrue has ${yTrue.length} values, yPred has ${yPred.length}`);
  const b = new Int8Array(yTrue.length);
  for (let i = 0; i < b.length; i++) b[i] = (yPred[i] === posLabel ? 1 : 0) - (yTrue[i] === posLabel ? 1 : 0) + 1;
  return b;
}

/** AIF360's `generalized_entropy_index(alpha)` of a classifier's decisions. */
export function generalizedEntropyIndex(yTrue: readonly Label[], yPred: readonly Label[], alpha = 2, posLabel: Label = 1): number | null {
  return generalizedEntropy(benefits(yTrue, yPred, posLabel), alpha);
}

/** AIF360's `theil_index()` of a classifier's decisions. */
export function theilIndex(yTrue: readonly Label[], yPred: readonly Label[], posLabel: Label = 1): number | null {
  return generalizedEntropy(benefits(yTrue, yPred, posLabel), 1);
}

/**
 * Between-group GE(α) (AIF360's `between_group_generalized_entropy_index`): every benefit replaced
 * by its group's mean benefit; `counts[g]` are group g's benefit counts.
 */
export function betweenGroupGeneralizedEntropy(counts: readonly BenefitCounts[], alpha = 2): number | null {
  let n = 0;
  let total = 0;
  for (const c of counts) {
    n += c.n0 + c.n1 + c.n2;
    total += c.n1 + 2 * c.n2;
  }
  if (n === 0) return null;
  const mu = total / n;
  if (!(mu > 0)) return null;
  let s = 0;
  for (const c of counts) {
    const ng = c.n0 + c.n1 + c.n2;
    if (ng === 0) continue;
    s += ng * term((c.n1 + 2 * c.n2) / ng / mu, alpha);
  }
  return finish(s, n, alpha);
}
