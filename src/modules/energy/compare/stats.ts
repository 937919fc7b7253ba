/**
 * The statistics of the comparison: order statistics of repeated measurements, the normal
 * distribution for p-values, the paired z-test of the show (viewers are the independent units)
 * and the paired bootstrap of the off-policy estimates (logged rows are the units).
 *
 * "Not significantly worse" is decided on the interval, never on a bare point estimate: the light
 * model is not significantly worse when the two-sided 95 % interval of light − heavy does not lie
 * wholly below 0 (equivalently, the one-sided test at 2.5 % does not reject "light ≥ heavy").
 */
import { Rng } from '../../recommender/model/index.js';

/** z with Φ(z) = 0.975: the half-width multiplier of a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

/** Linear interpolation between order statistics (type 7, as R and numpy default); `sorted` ascending. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The median of the values (NaN for none); the input is not modified. */
export function median(values: ArrayLike<number>): number {
  return quantile(Float64Array.from(values).sort(), 0.5);
}

/** The values sorted ascending, as a new array. */
export function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * The standard normal distribution function Φ(x), from erfc by the Chebyshev fit of Numerical
 * Recipes (erfcc, fractional error below 1.2e-7 everywhere): ample for a reported p-value.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  // erfc(z) = 2·Q(x√2) for the upper tail Q; Φ(x) = 1 − Q(x) for x ≥ 0.
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Wilson score interval of a binomial share at 95 % ([0, 1] with no trials). */
export function wilson(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = Z_95;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The comparison of two policies' quality: light − heavy, its interval and tests. */
export interface QualityDifference {
  /** light − heavy. */
  estimate: number;
  ci95: [number, number];
  /** Two-sided p-value of "no difference". */
  pValue: number;
  /** One-sided p-value of "light is not worse" against "light is worse" (small: light significantly worse). */
  pLightWorse: number;
  /** How the interval and the p-values were made. */
  test: string;
}

/**
 * Paired z-test of a difference of click-through rates measured on the same units: unit i had
 * `a[i]` clicks under policy A and `b[i]` under policy B out of the same `shown[i]` items under
 * both (the lists of a viewer have the same length whatever the policy ranked). The difference of
 * CTRs is Σ(aᵢ − bᵢ) / Σ shownᵢ; units are independent and identically distributed, so its
 * variance is n·s²_d / (Σ shown)², with s²_d the sample variance of dᵢ = aᵢ − bᵢ. Clicks of one
 * viewer's slots are not independent of each other, and this test does not pretend they are.
 */
export function pairedZ(a: ArrayLike<number>, b: ArrayLike<number>, shown: ArrayLike<number>): QualityDifference {
  const n = a.length;
  if (b.length !== n || shown.length !== n) throw new RangeError('paired arrays must have the same length');
  let total = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    total += shown[i]!;
    sum += a[i]! - b[i]!;
  }
  const test = 'paired z-test over viewers (per-viewer click difference; both policies saw the same viewers, lists and uniform draws)';
  if (n < 2 || total === 0) return { estimate: Number.NaN, ci95: [Number.NaN, Number.NaN], pValue: Number.NaN, pLightWorse: Number.NaN, test };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]! - mean;
    ss += d * d;
  }
  const varianceD = ss / (n - 1);
  const estimate = sum / total;
  const se = Math.sqrt(n * varianceD) / total;
  if (se === 0) {
    // Every viewer had the same difference (usually: none at all): no sampling variation to test.
    return { estimate, ci95: [estimate, estimate], pValue: estimate === 0 ? 1 : 0, pLightWorse: estimate < 0 ? 0 : 1, test };
  }
  const z = estimate / se;
  return {
    estimate,
    ci95: [estimate - Z_95 * se, estimate + Z_95 * se],
    pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))),
    pLightWorse: normalCdf(z),
    test,
  };
}

/** Two policies' estimates on the same units, and their difference. */
export interface PairedEstimates {
  a: { value: number; ci95: [number, number] };
  b: { value: number; ci95: [number, number] };
  difference: QualityDifference;
}

/** Per-unit terms of a ratio estimate V̂ = Σ numeratorᵢ / Σ denominatorᵢ (denominator omitted: every term 1). */
export interface RatioTerms {
  numerator: Float64Array;
  denominator?: Float64Array;
}

/**
 * Two ratio estimates on the same units (SNIPS: Σ wᵢrᵢ / Σ wᵢ; DR: Σ drᵢ / n), with percentile
 * bootstrap intervals from shared resamples: one resample of units serves both policies and their
 * difference (paired). The bootstrap p-value is twice the smaller share of resampled differences
 * on either side of 0 (at least 1/B each side, so never 0). A resample in which a ratio has no
 * denominator (Σ = 0) has no estimate and is dropped.
 */
export function pairedRatioBootstrap(a: RatioTerms, b: RatioTerms, resamples: number, seed: number): PairedEstimates {
  const n = a.numerator.length;
  for (const t of [a.denominator, b.numerator, b.denominator]) if (t && t.length !== n) throw new RangeError('paired terms must have the same length');
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError('resamples must be a positive integer');
  const value = (t: RatioTerms, counts?: Uint32Array): number => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const c = counts ? counts[i]! : 1;
      if (c === 0) continue;
      num += c * t.numerator[i]!;
      den += c * (t.denominator ? t.denominator[i]! : 1);
    }
    return den === 0 ? Number.NaN : num / den;
  };
  const rng = new Rng(seed);
  const counts = new Uint32Array(n);
  const sa: number[] = [];
  const sb: number[] = [];
  const sd: number[] = [];
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[rng.int(n)]!++;
    const ea = value(a, counts);
    const eb = value(b, counts);
    if (!Number.isNaN(ea)) sa.push(ea);
    if (!Number.isNaN(eb)) sb.push(eb);
    if (!Number.isNaN(ea) && !Number.isNaN(eb)) sd.push(ea - eb);
  }
  const interval = (values: number[]): [number, number] => {
    if (values.length === 0) return [Number.NaN, Number.NaN];
    const s = sorted(values);
    return [quantile(s, 0.025), quantile(s, 0.975)];
  };
  let below = 0;
  let above = 0;
  for (const d of sd) {
    if (d <= 0) below++;
    if (d >= 0) above++;
  }
  const m = sd.length;
  const va = value(a);
  const vb = value(b);
  return {
    a: { value: va, ci95: interval(sa) },
    b: { value: vb, ci95: interval(sb) },
    difference: {
      estimate: va - vb,
      ci95: interval(sd),
      pValue: m === 0 ? Number.NaN : Math.min(1, (2 * Math.max(1, Math.min(below, above))) / m),
      pLightWorse: m === 0 ? Number.NaN : Math.max(1, above) / m,
      test: `paired percentile bootstrap over the evaluated rows (${resamples} resamples shared by both models)`,
    },
  };
}

/** Whether the light policy is not significantly worse: the interval of light − heavy does not lie wholly below 0. */
export function notSignificantlyWorse(d: QualityDifference): boolean {
  return !(d.ci95[1] < 0);
}

/** Whether the heavy policy is significantly better: the interval of light − heavy lies wholly below 0. */
export function heavySignificantlyBetter(d: QualityDifference): boolean {
  return d.ci95[1] < 0;
}
