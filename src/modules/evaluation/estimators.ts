/**
 * Off-policy estimators as ratios of row sums, V̂ = Σᵢ aᵢ / Σᵢ bᵢ over the evaluated rows, which
 * makes the point estimate and every bootstrap resample the same few lines:
 *
 * | estimator | aᵢ                              | bᵢ  |
 * |-----------|---------------------------------|-----|
 * | replay    | mᵢ·rᵢ (mᵢ = 1 when the policy picks the logged item) | mᵢ |
 * | ips       | wᵢ·rᵢ                           | 1   |
 * | snips     | wᵢ·rᵢ                           | wᵢ  |
 * | dm        | Σₐ π_e(a|xᵢ,posᵢ)·q̂(xᵢ,a,posᵢ)  | 1   |
 * | dr        | dmᵢ + wᵢ·(rᵢ − q̂(xᵢ,aᵢ,posᵢ))  | 1   |
 *
 * with wᵢ = π_e(aᵢ|xᵢ,posᵢ) / π_b(aᵢ|xᵢ,posᵢ), the logged item aᵢ and click rᵢ.
 */
import type { Random } from './random.js';

export const ESTIMATOR_NAMES = ['replay', 'ips', 'snips', 'dm', 'dr'] as const;
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

export interface RatioTerms {
  readonly numerator: Float64Array;
  /** Omitted when every bᵢ is 1 (the denominator is the row count). */
  readonly denominator?: Float64Array;
  /** The importance weights behind the estimate (for ESS and the largest weight); none for dm. */
  readonly weights?: Float64Array;
}

export interface Estimate {
  /** NaN when undefined (replay with no kept row). */
  readonly value: number;
  readonly ci95: readonly [number, number];
  /** (Σw)² / Σw²; null for dm, which uses no importance weights. */
  readonly ess: number | null;
  readonly maxWeight: number | null;
}

/** Per-row inputs for one target policy on the evaluated rows. */
export interface PolicyTerms {
  readonly click: Float64Array;
  /** π_e(aᵢ|xᵢ,posᵢ) / π_b(aᵢ|xᵢ,posᵢ). */
  readonly weight: Float64Array;
  /** 1 when the policy's choice equals the logged item, else 0 (replay). */
  readonly match?: Float64Array;
  /** Σₐ π_e(a|xᵢ,posᵢ) q̂(xᵢ,a,posᵢ) and q̂ of the logged item (dm, dr). */
  readonly directValue?: Float64Array;
  readonly loggedValue?: Float64Array;
}

export function ratioTerms(estimator: EstimatorName, t: PolicyTerms): RatioTerms {
  const n = t.click.length;
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${estimator} needs ${what}`);
    return v;
  };
  switch (estimator) {
    case 'replay': {
      const m = need(t.match, 'the policy choice per row');
      return { numerator: m.map((mi, i) => mi * t.click[i]!), denominator: m, weights: m };
    }
    case 'ips':
      return { numerator: t.weight.map((w, i) => w * t.click[i]!), weights: t.weight };
    case 'snips':
      return { numerator: t.weight.map((w, i) => w * t.click[i]!), denominator: t.weight, weights: t.weight };
    case 'dm':
      return { numerator: need(t.directValue, 'a reward model') };
    case 'dr': {
      const dm = need(t.directValue, 'a reward model');
      const q = need(t.loggedValue, 'a reward model');
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = dm[i]! + t.weight[i]! * (t.click[i]! - q[i]!);
      return { numerator: a, weights: t.weight };
    }
  }
}

/** Plain left-to-right sums, so on-policy values equal clicks / rows exactly. */
export function pointValue(terms: RatioTerms): number {
  let a = 0;
  for (const v of terms.numerator) a += v;
  if (!terms.denominator) return a / terms.numerator.length;
  let b = 0;
  for (const v of terms.denominator) b += v;
  return b === 0 ? Number.NaN : a / b;
}

export function weightDiagnostics(weights: Float64Array | undefined): { ess: number | null; maxWeight: number | null } {
  if (!weights) return { ess: null, maxWeight: null };
  let s = 0;
  let s2 = 0;
  let max = 0;
  for (const w of weights) {
    s += w;
    s2 += w * w;
    if (w > max) max = w;
  }
  return { ess: s2 === 0 ? 0 : (s * s) / s2, maxWeight: max };
}

/**
 * Row multiplicities of B bootstrap resamples of n rows (with replacement), drawn once per run and
 * shared by every estimate, so all CIs come from the same resamples and a seed reproduces them.
 */
export class BootstrapResamples {
  private readonly counts: Uint16Array[] = [];
  constructor(
    readonly rows: number,
    readonly resamples: number,
    random: Random,
  ) {
    for (let b = 0; b < resamples; b++) {
      const c = new Uint16Array(rows);
      for (let i = 0; i < rows; i++) c[Math.floor(random() * rows)]!++;
      this.counts.push(c);
    }
  }

  /** The percentile 95 % interval of the estimate over the resamples (resamples with Σb = 0 dropped). */
  interval(terms: RatioTerms): readonly [number, number] {
    const values: number[] = [];
    for (const c of this.counts) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < this.rows; i++) {
        const k = c[i]!;
        if (k === 0) continue;
        a += k * terms.numerator[i]!;
        b += k * (terms.denominator ? terms.denominator[i]! : 1);
      }
      if (b !== 0) values.push(a / b);
    }
    if (values.length === 0) return [Number.NaN, Number.NaN];
    values.sort((x, y) => x - y);
    return [quantile(values, 0.025), quantile(values, 0.975)];
  }
}

/** Linear interpolation between order statistics (type 7, as R and numpy default). */
export function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function estimate(terms: RatioTerms, bootstrap: BootstrapResamples | undefined): Estimate {
  const value = pointValue(terms);
  const ci95 = bootstrap && bootstrap.resamples > 0 ? bootstrap.interval(terms) : ([Number.NaN, Number.NaN] as const);
  return { value, ci95, ...weightDiagnostics(terms.weights) };
}
