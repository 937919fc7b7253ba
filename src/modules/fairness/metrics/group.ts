/**
 * Confusion-matrix metrics per group, from a columnar log of binary decisions.
 *
 * A log is columnar: one group code per row (Int32Array), the prediction ŷ ∈ {0, 1} ("recommended /
 * selected") and, when known, the label y ∈ {0, 1} (Uint8Array), and optional non-negative weights
 * (Float64Array). Every metric here is a function of four (weighted) cells per group — (ŷ, y) =
 * (0,0), (0,1), (1,0), (1,1) — so one pass over the rows builds a `GroupTally` and everything after
 * that (rates, differences, ratios, bootstrap replicates) works on 4 × groups numbers.
 *
 * Names are explicit because the literature disagrees: `selectionRate` is Σwŷ/Σw within a group
 * (what AIF360 and fairlearn call "statistical parity" when equal across groups); `selectedShare` is
 * the group's predicted positives ÷ all predicted positives (Aequitas's "ppr"; Aequitas's
 * "Statistical Parity" asks for equal shares). An undefined ratio (0/0) is null, never NaN.
 * Pure: no I/O, no clock.
 */

/** A decision log in columns. `groups[c]` is the name of group code c. */
export interface DecisionColumns {
  readonly groups: readonly string[];
  readonly group: Int32Array;
  readonly prediction: Uint8Array;
  readonly label?: Uint8Array | undefined;
  readonly weight?: Float64Array | undefined;
}

/** Cell offsets inside a group's four cells: index = 2·ŷ + y. */
export const CELL_TN = 0; // ŷ = 0, y = 0
export const CELL_FN = 1; // ŷ = 0, y = 1
export const CELL_FP = 2; // ŷ = 1, y = 0
export const CELL_TP = 3; // ŷ = 1, y = 1

/**
 * Per-group sums. Without labels every row sits in the y = 0 cells (TN for ŷ = 0, FP for ŷ = 1), and
 * only selection metrics are defined.
 */
export interface GroupTally {
  readonly groups: readonly string[];
  readonly hasLabels: boolean;
  readonly weighted: boolean;
  /** Rows per cell, [g·4 + 2ŷ + y]. */
  readonly counts: Float64Array;
  /** Σw per cell (the same array as `counts` when unweighted). */
  readonly sums: Float64Array;
  /** Σw² per cell (the same array as `counts` when unweighted): for Kish's effective sample size. */
  readonly squares: Float64Array;
}

/** Rates of one group (or of everyone). Any 0/0 is null. */
export interface GroupRates {
  /** Rows (unweighted). */
  readonly count: number;
  /** Σw (= count when unweighted). */
  readonly weight: number;
  /** Σwŷ / Σw. */
  readonly selectionRate: number | null;
  /** This group's Σwŷ ÷ Σwŷ over every group in the frame (Aequitas "ppr"). */
  readonly selectedShare: number | null;
  readonly tpr: number | null;
  readonly fpr: number | null;
  readonly fnr: number | null;
  readonly tnr: number | null;
  /** tp / (tp + fp), also called PPV. */
  readonly precision: number | null;
  /** fp / (tp + fp). */
  readonly fdr: number | null;
  /** fn / (fn + tn) (false omission rate). */
  readonly for: number | null;
  /** tn / (tn + fn). */
  readonly npv: number | null;
}

export type MetricName = Exclude<keyof GroupRates, 'weight'>;
export const METRIC_NAMES: readonly MetricName[] = ['count', 'selectionRate', 'selectedShare', 'tpr', 'fpr', 'fnr', 'tnr', 'precision', 'fdr', 'for', 'npv'];

/** Overall rates and rates by group, in the tally's group order. */
export interface MetricFrame {
  readonly groups: readonly string[];
  readonly overall: GroupRates;
  readonly byGroup: readonly GroupRates[];
}

/** a / b, or null when b is 0 (and a is 0 or not). */
export const safeDivide = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** One pass over the rows: the four (weighted) cells of every group. */
export function tallyDecisions(d: DecisionColumns): GroupTally {
  const n = d.group.length;
  if (d.prediction.length !== n) throw new RangeError(`prediction has ${d.prediction.length} rows, group has ${n}`);
  if (d.label && d.label.length !== n) throw new RangeError(`label has ${d.label.length} rows, group has ${n}`);
  if (d.weight && d.weight.length !== n) throw new RangeError(`weight has ${d.weight.length} rows, group has ${n}`);
  const g = d.groups.length;
  const counts = new Float64Array(g * 4);
  const { group, prediction, label, weight } = d;
  if (label) {
    for (let i = 0; i < n; i++) counts[group[i]! * 4 + prediction[i]! * 2 + label[i]!]! += 1;
  } else {
    for (let i = 0; i < n; i++) counts[group[i]! * 4 + prediction[i]! * 2]! += 1;
  }
  if (!weight) return { groups: d.groups, hasLabels: label !== undefined, weighted: false, counts, sums: counts, squares: counts };
  const sums = new Float64Array(g * 4);
  const squares = new Float64Array(g * 4);
  for (let i = 0; i < n; i++) {
    const c = group[i]! * 4 + prediction[i]! * 2 + (label ? label[i]! : 0);
    const w = weight[i]!;
    sums[c]! += w;
    squares[c]! += w * w;
  }
  return { groups: d.groups, hasLabels: label !== undefined, weighted: true, counts, sums, squares };
}

/** Rates from one group's four cells at `offset` in `sums` (row count given separately). */
export function ratesFromCells(sums: ArrayLike<number>, offset: number, count: number, totalSelected: number, hasLabels: boolean): GroupRates {
  const tn = sums[offset + CELL_TN]!;
  const fn = sums[offset + CELL_FN]!;
  const fp = sums[offset + CELL_FP]!;
  const tp = sums[offset + CELL_TP]!;
  const weight = tn + fn + fp + tp;
  const selected = fp + tp;
  const labelled = <T>(v: T): T | null => (hasLabels ? v : null);
  return {
    count,
    weight,
    selectionRate: safeDivide(selected, weight),
    selectedShare: safeDivide(selected, totalSelected),
    tpr: labelled(safeDivide(tp, tp + fn)),
    fpr: labelled(safeDivide(fp, fp + tn)),
    fnr: labelled(safeDivide(fn, tp + fn)),
    tnr: labelled(safeDivide(tn, fp + tn)),
    precision: labelled(safeDivide(tp, tp + fp)),
    fdr: labelled(safeDivide(fp, tp + fp)),
    for: labelled(safeDivide(fn, fn + tn)),
    npv: labelled(safeDivide(tn, fn + tn)),
  };
}

/**
 * The metric frame of a tally, optionally restricted to some groups (by code): `overall` then pools
 * only those groups' rows, and `selectedShare` is a share of their predicted positives.
 */
export function metricFrame(t: GroupTally, only?: readonly number[]): MetricFrame {
  const codes = only ?? t.groups.map((_, i) => i);
  const pooled = new Float64Array(4);
  let pooledCount = 0;
  const rowsOf = (g: number) => t.counts[g * 4]! + t.counts[g * 4 + 1]! + t.counts[g * 4 + 2]! + t.counts[g * 4 + 3]!;
  for (const g of codes) {
    for (let c = 0; c < 4; c++) pooled[c]! += t.sums[g * 4 + c]!;
    pooledCount += rowsOf(g);
  }
  const totalSelected = pooled[CELL_FP]! + pooled[CELL_TP]!;
  return {
    groups: codes.map((g) => t.groups[g]!),
    overall: ratesFromCells(pooled, 0, pooledCount, totalSelected, t.hasLabels),
    byGroup: codes.map((g) => ratesFromCells(t.sums, g * 4, rowsOf(g), totalSelected, t.hasLabels)),
  };
}

/** Rows (unweighted) of each group, in code order. */
export function groupSizes(t: GroupTally): number[] {
  return t.groups.map((_, g) => t.counts[g * 4]! + t.counts[g * 4 + 1]! + t.counts[g * 4 + 2]! + t.counts[g * 4 + 3]!);
}

// ---- arrays in, columns out (for callers holding plain arrays, and for the published vectors) ----

export type Label = number | string | boolean;

/** Plain-array input in fairlearn's vocabulary. */
export interface FairnessArrays {
  readonly yTrue?: readonly Label[] | undefined;
  readonly yPred: readonly Label[];
  readonly sensitiveFeatures: readonly (string | number)[];
  readonly sampleWeight?: readonly number[] | undefined;
  /** The value that counts as positive (selected / relevant); default 1. */
  readonly posLabel?: Label | undefined;
}

/**
 * Columns from plain arrays. Groups are coded in sorted (code-point) order of their names; a value
 * equal to `posLabel` is 1, anything else 0. Throws a RangeError on empty input, unequal lengths, or
 * a negative or non-finite weight.
 */
export function columnsFromArrays(input: FairnessArrays): DecisionColumns {
  const n = input.yPred.length;
  if (n === 0) throw new RangeError('empty input: no predictions');
  if (input.sensitiveFeatures.length !== n) throw new RangeError(`sensitiveFeatures has ${input.sensitiveFeatures.length} values, yPred has ${n}`);
  if (input.yTrue && input.yTrue.length !== n) throw new RangeError(`yTrue has ${input.yTrue.length} values, yPred has ${n}`);
  if (input.sampleWeight && input.sampleWeight.length !== n) throw new RangeError(`sampleWeight has ${input.sampleWeight.length} values, yPred has ${n}`);
  const pos = input.posLabel ?? 1;
  const names = input.sensitiveFeatures.map(String);
  const groups = [...new Set(names)].sort(compareNames);
  const index = new Map(groups.map((name, i) => [name, i]));
  const group = new Int32Array(n);
  const prediction = new Uint8Array(n);
  const label = input.yTrue ? new Uint8Array(n) : undefined;
  const weight = input.sampleWeight ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    group[i] = index.get(names[i]!)!;
    prediction[i] = input.yPred[i] === pos ? 1 : 0;
    if (label) label[i] = input.yTrue![i] === pos ? 1 : 0;
    if (weight) {
      const w = input.sampleWeight![i]!;
      if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`sampleWeight[${i}] must be a finite number ≥ 0 (got ${w})`);
      weight[i] = w;
    }
  }
  return { groups, group, prediction, label, weight };
}

/** The metric frame of plain arrays (fairlearn's MetricFrame over the confusion-matrix metrics). */
export function frameFromArrays(input: FairnessArrays): MetricFrame {
  return metricFrame(tallyDecisions(columnsFromArrays(input)));
}

/**
 * fairlearn's `selection_rate`: the (weighted) share of predictions equal to `posLabel`. Throws a
 * RangeError on empty input (fairlearn raises too) or when every weight is zero.
 */
export function selectionRate(yPred: readonly Label[], options: { posLabel?: Label; sampleWeight?: readonly number[] } = {}): number {
  if (yPred.length === 0) throw new RangeError('empty input: selection rate of no predictions');
  const w = options.sampleWeight;
  if (w && w.length !== yPred.length) throw new RangeError(`sampleWeight has ${w.length} values, yPred has ${yPred.length}`);
  const pos = options.posLabel ?? 1;
  let selected = 0;
  let total = 0;
  for (let i = 0; i < yPred.length; i++) {
    const wi = w ? w[i]! : 1;
    if (!(Number.isFinite(wi) && wi >= 0)) throw new RangeError(`sampleWeight[${i}] must be a finite number ≥ 0 (got ${wi})`);
    total += wi;
    if (yPred[i] === pos) selected += wi;
  }
  if (total === 0) throw new RangeError('every sample weight is zero');
  return selected / total;
}

/** Code-point order (locale-independent, so results do not depend on the machine). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
