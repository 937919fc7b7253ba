/**
 * Is a gap between two groups more than noise? Two-proportion z-tests, Holm–Bonferroni step-down
 * correction, seeded percentile-bootstrap intervals, and the suppression of small groups.
 *
 * The bootstrap resamples the whole log's rows with replacement. For an unweighted log every
 * statistic of the audit is a function of the cell counts (group × ŷ × y), and the cell counts of N
 * rows drawn with replacement from N rows are exactly Multinomial(N, counts / N). Drawing that
 * multinomial (as a chain of binomials) therefore gives replicates with the same distribution as
 * copying rows, in O(cells) per replicate instead of O(N). Binomial draws are exact: inversion by
 * geometric waiting times when n·p < 10, else Hörmann's BTRS transformed rejection with squeeze
 * (W. Hörmann, "The generation of binomial random variates", J. Statist. Comput. Simul. 46 (1993)).
 * Pure: randomness only from the seeded project PRNG.
 */
import { Rng } from '../../../shared/rng.js';
import { normalUpper } from '../../experiments/stats/normal.js';

/** Groups with fewer rows than this are suppressed (reported with their n only). */
export const DEFAULT_MIN_GROUP_SIZE = 30;
/** Significance level after Holm's correction. */
export const DEFAULT_ALPHA = 0.05;

/** True when a group is too small to report rates for. */
export function isSuppressed(n: number, minGroupSize = DEFAULT_MIN_GROUP_SIZE): boolean {
  return n < minGroupSize;
}

export interface ZTest {
  /** Null when the pooled proportion is 0 or 1 (no variance) or a sample is empty. */
  readonly z: number | null;
  /** Two-sided: erfc(|z|/√2) = 2·(1 − Φ(|z|)); null with z. */
  readonly pValue: number | null;
}

/**
 * Two-proportion z-test of p1 = x1/n1 against p2 = x2/n2 with the pooled proportion:
 * z = (p1 − p2)/√(p̂(1 − p̂)(1/n1 + 1/n2)), p̂ = (x1 + x2)/(n1 + n2); two-sided p = erfc(|z|/√2).
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ZTest {
  if (!(n1 > 0 && n2 > 0)) return { z: null, pValue: null };
  return zTestFromRates(x1 / n1, n1, x2 / n2, n2);
}

/** The same test from the two proportions and their (effective) sample sizes. */
export function zTestFromRates(p1: number, n1: number, p2: number, n2: number): ZTest {
  if (!(n1 > 0 && n2 > 0)) return { z: null, pValue: null };
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return { z: null, pValue: null };
  const z = (p1 - p2) / Math.sqrt(variance);
  return { z, pValue: Math.min(1, 2 * normalUpper(Math.abs(z))) };
}

/** Kish's effective sample size (Σw)²/Σw² (= n for unit weights); 0 when Σw² is 0. */
export function effectiveSize(sumWeights: number, sumSquares: number): number {
  return sumSquares > 0 ? (sumWeights * sumWeights) / sumSquares : 0;
}

/**
 * Holm–Bonferroni step-down adjusted p-values: sort ascending, p̃(i) = max_{j ≤ i} min(1, (m − j + 1)·p(j)),
 * m = the number of non-null p-values. Nulls stay null and are not counted. Reject where p̃ < α.
 */
export function holm(pValues: readonly (number | null)[]): (number | null)[] {
  const order = pValues.map((p, i) => ({ p, i })).filter((e): e is { p: number; i: number } => e.p !== null);
  order.sort((a, b) => a.p - b.p || a.i - b.i);
  const m = order.length;
  const out: (number | null)[] = pValues.map(() => null);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/** Which hypotheses Holm's procedure rejects at level α. */
export function holmRejects(pValues: readonly (number | null)[], alpha = DEFAULT_ALPHA): boolean[] {
  return holm(pValues).map((p) => p !== null && p < alpha);
}

/** Quantile q of sorted values by linear interpolation (R's type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const m = sorted.length;
  if (m === 0) throw new RangeError('quantile of no values');
  const h = (m - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(m - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The 95 % percentile interval of replicate values (NaN entries, i.e. undefined replicates, are left out). */
export function percentileInterval(values: Float64Array, level = 0.95): [number, number] | null {
  const finite = values.filter((v) => !Number.isNaN(v)).sort();
  if (finite.length === 0) return null;
  const tail = (1 - level) / 2;
  return [quantileSorted(finite, tail), quantileSorted(finite, 1 - tail)];
}

// ---- exact binomial and multinomial draws ----

/** log(k!) − [(k + ½)·log(k + 1) − (k + 1) + ½·log(2π)], the Stirling remainder (Hörmann's fc). */
const STIRLING_TAIL = [
  0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
  0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287,
];
function stirlingTail(k: number): number {
  if (k <= 9) return STIRLING_TAIL[k]!;
  const kp1sq = (k + 1) * (k + 1);
  return (1 / 12 - (1 / 360 - 1 / 1260 / kp1sq) / kp1sq) / (k + 1);
}

/** An exact Binomial(n, p) draw. */
export function binomial(rng: Rng, n: number, p: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`binomial n must be a whole number ≥ 0 (got ${n})`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial p must be in [0, 1] (got ${p})`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  return n * p < 10 ? binomialInversion(rng, n, p) : binomialBtrs(rng, n, p);
}

/** Count the geometric gaps between successes that fit in n trials (expected n·p + 1 steps). */
function binomialInversion(rng: Rng, n: number, p: number): number {
  const logQ = Math.log1p(-p);
  let sum = 0;
  let k = 0;
  for (;;) {
    const u = 1 - rng.next(); // (0, 1]
    sum += Math.ceil(Math.log(u) / logQ);
    if (sum > n) return k;
    k++;
  }
}

/** Hörmann's BTRS (n·p ≥ 10, p ≤ ½): transformed rejection with squeeze; about 1.15 tries per draw. */
function binomialBtrs(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / q;
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  const mBound = (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) + stirlingTail(m) + stirlingTail(n - m);
  for (;;) {
    const u = rng.next() - 0.5;
    let v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const bound = mBound + (n + 1) * Math.log((n - m + 1) / (n - k + 1)) + (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) - stirlingTail(k) - stirlingTail(n - k);
    if (v <= bound) return k;
  }
}

/**
 * An exact Multinomial(n, weights/Σweights) draw into `out` (same length as weights), as a chain of
 * conditional binomials: k_i ~ Binomial(n − Σ_{j<i} k_j, w_i / Σ_{j≥i} w_j).
 */
export function multinomial(rng: Rng, n: number, weights: ArrayLike<number>, out: Float64Array): Float64Array {
  let remainingWeight = 0;
  for (let i = 0; i < weights.length; i++) remainingWeight += weights[i]!;
  let left = n;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (left === 0 || w <= 0) {
      out[i] = 0;
    } else if (i === weights.length - 1 || w >= remainingWeight) {
      out[i] = left;
      left = 0;
    } else {
      const k = binomial(rng, left, Math.min(1, w / remainingWeight));
      out[i] = k;
      left -= k;
    }
    remainingWeight -= w;
  }
  return out;
}

const TWO_POW_32 = 4294967296;

/**
 * A uniform index in [0, n) from one 32-bit draw (Lemire's multiply-and-reject, exactly uniform),
 * for n < 2^21 where the product stays exact in a double; larger n use `rng.int(n)`.
 */
export function uniformIndexer(rng: Rng, n: number): () => number {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError('n must be a positive integer');
  if (n >= 2 ** 21) return () => rng.int(n);
  const reject = TWO_POW_32 % n;
  return () => {
    for (;;) {
      const m = rng.nextUint32() * n;
      const high = Math.floor(m / TWO_POW_32);
      if (m - high * TWO_POW_32 >= reject) return high;
    }
  };
}

/** Classes of identical rows (same cell, same weight): what a weighted log's bootstrap draws from. */
export interface RowClasses {
  /** Per class: its cell, its rows' common weight, and how many rows it holds. */
  readonly cell: Int32Array;
  readonly weight: Float64Array;
  readonly rows: Float64Array;
}

/**
 * Groups rows by (cell, weight), or returns undefined when there are more than `maxClasses`
 * distinct pairs (then rows are resampled one by one).
 */
export function rowClasses(cellOfRow: (i: number) => number, weight: Float64Array, maxClasses: number): RowClasses | undefined {
  const index = new Map<number, Map<number, number>>();
  const cell: number[] = [];
  const value: number[] = [];
  const rows: number[] = [];
  for (let i = 0; i < weight.length; i++) {
    const c = cellOfRow(i);
    const w = weight[i]!;
    let byWeight = index.get(c);
    if (!byWeight) index.set(c, (byWeight = new Map()));
    let k = byWeight.get(w);
    if (k === undefined) {
      if (cell.length >= maxClasses) return undefined;
      k = cell.length;
      byWeight.set(w, k);
      cell.push(c);
      value.push(w);
      rows.push(0);
    }
    rows[k]! += 1;
  }
  return { cell: Int32Array.from(cell), weight: Float64Array.from(value), rows: Float64Array.from(rows) };
}

/** One row resample: N uniform indices, each adding its row's weight to its row's cell. */
function resampleRows(index: () => number, cell: Int32Array, weight: Float64Array, cells: Float64Array): void {
  cells.fill(0);
  for (let i = 0; i < cell.length; i++) {
    const r = index();
    cells[cell[r]!]! += weight[r]!;
  }
}

/**
 * Bootstrap replicates of a log's cells (any layout of cells), calling `visit` with each
 * replicate's cell sums (Σw of the resampled rows per cell). Every path is an exact row resample
 * of the whole log, drawn three ways:
 *
 * - unweighted (`counts` alone): one Multinomial(N, counts/N) draw of the cell counts;
 * - weighted with few distinct weights (`classes`): one multinomial draw over the classes of
 *   identical rows, each class's draws times its weight added to its cell;
 * - otherwise (`rows`): N uniform row indices per replicate, O(N).
 */
export function bootstrapCells(
  options: {
    readonly replicates: number;
    readonly seed: number;
    /** Rows per cell (unweighted log); its length is the number of cells. */
    readonly counts: Float64Array;
    readonly classes?: RowClasses | undefined;
    /** For a weighted log with many distinct weights: each row's cell and weight. */
    readonly rows?: { readonly cell: Int32Array; readonly weight: Float64Array } | undefined;
  },
  visit: (cells: Float64Array, replicate: number) => void,
): void {
  const rng = new Rng(options.seed);
  const cells = new Float64Array(options.counts.length);
  let n = 0;
  for (let i = 0; i < options.counts.length; i++) n += options.counts[i]!;
  const { classes, rows } = options;
  const drawn = classes ? new Float64Array(classes.rows.length) : undefined;
  const index = !classes && rows ? uniformIndexer(rng, rows.cell.length) : undefined;
  for (let b = 0; b < options.replicates; b++) {
    if (classes) {
      multinomial(rng, n, classes.rows, drawn!);
      cells.fill(0);
      for (let k = 0; k < drawn!.length; k++) cells[classes.cell[k]!]! += drawn![k]! * classes.weight[k]!;
    } else if (rows) {
      resampleRows(index!, rows.cell, rows.weight, cells);
    } else {
      multinomial(rng, n, options.counts, cells);
    }
    visit(cells, b);
  }
}
