/**
 * Gaps between groups: fairlearn's differences and ratios (between groups, or to the overall
 * value), AIF360's signed comparisons of an unprivileged group with a privileged one, disparities
 * against a reference group with the four-fifths-style band τ ≤ ratio ≤ 1/τ, and the full audit the
 * `qingliu fairness` command prints (rates, disparities with bootstrap intervals and Holm-corrected
 * z-tests, small-group suppression, summary indices). Pure.
 *
 * Groups whose value of a metric is undefined (null) are left out of a difference or ratio, as
 * pandas skips NaN in fairlearn's `group_max`/`group_min`; with no defined group the result is null.
 */
import {
  CELL_FN,
  CELL_FP,
  CELL_TN,
  CELL_TP,
  groupSizes,
  metricFrame,
  safeDivide,
  tallyDecisions,
  type DecisionColumns,
  type GroupRates,
  type GroupTally,
  type MetricFrame,
  type MetricName,
} from './group.js';
import { generalizedEntropyFromCounts } from './inequality.js';
import { bootstrapCells, DEFAULT_ALPHA, DEFAULT_MIN_GROUP_SIZE, effectiveSize, holm, isSuppressed, percentileInterval, rowClasses, zTestFromRates, type RowClasses } from './significance.js';

export type Method = 'between_groups' | 'to_overall';
export type Aggregation = 'worst_case' | 'mean';

const defined = (values: readonly (number | null)[]): number[] => values.filter((v): v is number => v !== null);
const valuesOf = (frame: MetricFrame, metric: MetricName) => frame.byGroup.map((r) => r[metric]);

/** The smallest group value of a metric (null groups skipped). */
export function groupMin(frame: MetricFrame, metric: MetricName): number | null {
  const v = defined(valuesOf(frame, metric));
  return v.length ? Math.min(...v) : null;
}

/** The largest group value of a metric (null groups skipped). */
export function groupMax(frame: MetricFrame, metric: MetricName): number | null {
  const v = defined(valuesOf(frame, metric));
  return v.length ? Math.max(...v) : null;
}

/**
 * fairlearn's `MetricFrame.difference`: `between_groups` max − min; `to_overall` max_a |M_a − M_all|.
 */
export function difference(frame: MetricFrame, metric: MetricName, method: Method = 'between_groups'): number | null {
  if (method === 'between_groups') {
    const lo = groupMin(frame, metric);
    const hi = groupMax(frame, metric);
    return lo === null || hi === null ? null : hi - lo;
  }
  const overall = frame.overall[metric];
  if (overall === null) return null;
  const v = defined(valuesOf(frame, metric));
  return v.length ? Math.max(...v.map((x) => Math.abs(x - overall))) : null;
}

/**
 * fairlearn's `MetricFrame.ratio`: `between_groups` min / max; `to_overall` min_a min(M_a/M_all, M_all/M_a).
 * 0/0 is null (and such groups are skipped in `to_overall`); x/0 with x > 0 counts as a ratio of 0.
 */
export function ratio(frame: MetricFrame, metric: MetricName, method: Method = 'between_groups'): number | null {
  if (method === 'between_groups') {
    const lo = groupMin(frame, metric);
    const hi = groupMax(frame, metric);
    if (lo === null || hi === null) return null;
    return hi === 0 ? (lo === 0 ? null : 0) : lo / hi;
  }
  const overall = frame.overall[metric];
  if (overall === null) return null;
  const ratios = defined(valuesOf(frame, metric)).flatMap((x) => {
    if (x === 0 && overall === 0) return [];
    if (x === 0 || overall === 0) return [0];
    return [Math.min(x / overall, overall / x)];
  });
  return ratios.length ? Math.min(...ratios) : null;
}

export interface DisparityOptions {
  readonly method?: Method;
}

/** max SR − min SR (or to overall). */
export function demographicParityDifference(frame: MetricFrame, options: DisparityOptions = {}): number | null {
  return difference(frame, 'selectionRate', options.method);
}

/** min SR / max SR (or to overall). */
export function demographicParityRatio(frame: MetricFrame, options: DisparityOptions = {}): number | null {
  return ratio(frame, 'selectionRate', options.method);
}

/** max(ΔTPR, ΔFPR) (`worst_case`, fairlearn's default) or their mean. */
export function equalizedOddsDifference(frame: MetricFrame, options: DisparityOptions & { agg?: Aggregation } = {}): number | null {
  const a = difference(frame, 'tpr', options.method);
  const b = difference(frame, 'fpr', options.method);
  if (a === null || b === null) return null;
  return options.agg === 'mean' ? (a + b) / 2 : Math.max(a, b);
}

/** min(ratio TPR, ratio FPR) (`worst_case`) or their mean. */
export function equalizedOddsRatio(frame: MetricFrame, options: DisparityOptions & { agg?: Aggregation } = {}): number | null {
  const a = ratio(frame, 'tpr', options.method);
  const b = ratio(frame, 'fpr', options.method);
  if (a === null || b === null) return null;
  return options.agg === 'mean' ? (a + b) / 2 : Math.min(a, b);
}

/** ΔTPR (fairlearn's `equal_opportunity_difference`, unsigned). */
export function equalOpportunityDifference(frame: MetricFrame, options: DisparityOptions = {}): number | null {
  return difference(frame, 'tpr', options.method);
}

/** TPR min / max. */
export function equalOpportunityRatio(frame: MetricFrame, options: DisparityOptions = {}): number | null {
  return ratio(frame, 'tpr', options.method);
}

// ---- AIF360: signed, unprivileged u against privileged p ----

export interface SignedComparison {
  /** SR_u − SR_p. */
  readonly statisticalParityDifference: number | null;
  /** SR_u / SR_p. */
  readonly disparateImpact: number | null;
  /** TPR_u − TPR_p. */
  readonly equalOpportunityDifference: number | null;
  /** ½[(FPR_u − FPR_p) + (TPR_u − TPR_p)]. */
  readonly averageOddsDifference: number | null;
  /** ½[|FPR_u − FPR_p| + |TPR_u − TPR_p|]. */
  readonly averageAbsOddsDifference: number | null;
}

function ratesOf(frame: MetricFrame, group: string): GroupRates {
  const i = frame.groups.indexOf(group);
  if (i < 0) throw new RangeError(`no group ${JSON.stringify(group)} (groups: ${frame.groups.join(', ')})`);
  return frame.byGroup[i]!;
}

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/** AIF360's ClassificationMetric comparisons of one group (unprivileged) with another (privileged). */
export function signedComparison(frame: MetricFrame, unprivileged: string, privileged: string): SignedComparison {
  const u = ratesOf(frame, unprivileged);
  const p = ratesOf(frame, privileged);
  const dTpr = minus(u.tpr, p.tpr);
  const dFpr = minus(u.fpr, p.fpr);
  return {
    statisticalParityDifference: minus(u.selectionRate, p.selectionRate),
    disparateImpact: u.selectionRate === null || p.selectionRate === null ? null : safeDivide(u.selectionRate, p.selectionRate),
    equalOpportunityDifference: dTpr,
    averageOddsDifference: dTpr === null || dFpr === null ? null : (dFpr + dTpr) / 2,
    averageAbsOddsDifference: dTpr === null || dFpr === null ? null : (Math.abs(dFpr) + Math.abs(dTpr)) / 2,
  };
}

/** SR_u − SR_p. */
export function statisticalParityDifference(frame: MetricFrame, unprivileged: string, privileged: string): number | null {
  return signedComparison(frame, unprivileged, privileged).statisticalParityDifference;
}

/** SR_u / SR_p. */
export function disparateImpact(frame: MetricFrame, unprivileged: string, privileged: string): number | null {
  return signedComparison(frame, unprivileged, privileged).disparateImpact;
}

// ---- against a reference group ----

/** The four-fifths rule's τ: a default, not a law here (see docs/fairness.md). */
export const DEFAULT_THRESHOLD = 0.8;
/** Floating-point slack so that, e.g., 0.4/0.5 counts as exactly 0.8. */
const BAND_SLACK = 1e-12;

/** τ ≤ ratio ≤ 1/τ (with a little slack for rounding). */
export function withinBand(r: number, threshold = DEFAULT_THRESHOLD): boolean {
  return r >= threshold * (1 - BAND_SLACK) && r <= (1 / threshold) * (1 + BAND_SLACK);
}

/**
 * One group's metric against the reference group's: ratio m_g/m_ref (null when m_ref is 0 or either
 * is undefined), signed difference m_g − m_ref, and `fair` = τ ≤ ratio ≤ 1/τ. When m_ref is 0 the
 * group is fair only if its value is 0 too; when either value is undefined `fair` is null.
 */
export function referenceDisparity(value: number | null, reference: number | null, threshold = DEFAULT_THRESHOLD): { ratio: number | null; difference: number | null; fair: boolean | null } {
  if (value === null || reference === null) return { ratio: null, difference: null, fair: null };
  const difference = value - reference;
  if (reference === 0) return { ratio: null, difference, fair: value === 0 };
  const r = value / reference;
  return { ratio: r, difference, fair: withinBand(r, threshold) };
}

// ---- the audit ----

/** Metrics compared against the reference group (the last two only with labels). */
export type AuditMetric = 'selectionRate' | 'tpr' | 'fpr';

export interface AuditOptions {
  /** Reference group name; default the largest group (ties: first in name order). */
  readonly reference?: string | undefined;
  /** τ in (0, 1]; default 0.8. */
  readonly threshold?: number | undefined;
  /** Default 30. */
  readonly minGroupSize?: number | undefined;
  /** Bootstrap resamples for the intervals; 0 for none. Default 200. */
  readonly bootstrap?: number | undefined;
  readonly seed?: number | undefined;
  /** Significance level after Holm's correction; default 0.05. */
  readonly alpha?: number | undefined;
  /** α of the generalized entropy index; default 2. */
  readonly entropyAlpha?: number | undefined;
}

export const AUDIT_DEFAULTS = { threshold: DEFAULT_THRESHOLD, minGroupSize: DEFAULT_MIN_GROUP_SIZE, bootstrap: 200, seed: 0, alpha: DEFAULT_ALPHA, entropyAlpha: 2 } as const;

export interface AuditGroup {
  readonly group: string;
  readonly n: number;
  readonly selectionRate: number | null;
  readonly selectedShare: number | null;
  readonly tpr: number | null;
  readonly fpr: number | null;
  readonly fnr: number | null;
  readonly fdr: number | null;
  readonly for: number | null;
  readonly precision: number | null;
  readonly suppressed: boolean;
}

export interface AuditDisparity {
  readonly group: string;
  readonly metric: AuditMetric;
  /** m_group / m_reference. */
  readonly ratio: number | null;
  /** τ ≤ ratio ≤ 1/τ. */
  readonly fair: boolean | null;
  /** m_group − m_reference (signed, AIF360's convention with the reference as privileged). */
  readonly difference: number | null;
  /** Percentile bootstrap 95 % interval of the difference; null without bootstrap. */
  readonly ci95: [number, number] | null;
  /** Two-sided two-proportion z-test of the difference. */
  readonly pValue: number | null;
  /** Holm-adjusted over the groups compared on this metric. */
  readonly pAdjusted: number | null;
  /** Outside the band and significant after correction. */
  readonly flagged: boolean;
}

export interface AuditSummary {
  readonly demographicParityDifference: number | null;
  readonly demographicParityRatio: number | null;
  readonly equalizedOddsDifference: number | null;
  readonly equalOpportunityDifference: number | null;
  readonly generalizedEntropyIndex: number | null;
  readonly theilIndex: number | null;
}

export interface FairnessAudit {
  readonly groups: AuditGroup[];
  readonly disparities: AuditDisparity[];
  readonly summary: AuditSummary;
  readonly reference: string;
  readonly threshold: number;
}

export type AuditProblem = 'INVALID_OPTION' | 'UNKNOWN_REFERENCE' | 'REFERENCE_SUPPRESSED' | 'EMPTY_LOG';
export type AuditResult = { ok: true; audit: FairnessAudit; rows: number; hasLabels: boolean; weighted: boolean } | { ok: false; code: AuditProblem; message: string };

/** Value of an audit metric from one group's four cells. */
function cellMetric(cells: ArrayLike<number>, o: number, metric: AuditMetric): number {
  const tn = cells[o + CELL_TN]!;
  const fn = cells[o + CELL_FN]!;
  const fp = cells[o + CELL_FP]!;
  const tp = cells[o + CELL_TP]!;
  // NaN marks an undefined value (never leaves this module: replicates with NaN are skipped).
  if (metric === 'selectionRate') return (fp + tp) / (tn + fn + fp + tp);
  if (metric === 'tpr') return tp / (tp + fn);
  return fp / (fp + tn);
}

/** Σw and Σw² of the rows a metric's proportion is taken over (all rows; y = 1; y = 0). */
function denominatorCells(metric: AuditMetric): readonly number[] {
  if (metric === 'selectionRate') return [CELL_TN, CELL_FN, CELL_FP, CELL_TP];
  if (metric === 'tpr') return [CELL_FN, CELL_TP];
  return [CELL_TN, CELL_FP];
}

function effectiveN(t: GroupTally, g: number, metric: AuditMetric): number {
  let s = 0;
  let s2 = 0;
  for (const c of denominatorCells(metric)) {
    s += t.sums[g * 4 + c]!;
    s2 += t.squares[g * 4 + c]!;
  }
  return effectiveSize(s, s2);
}

function validate(o: AuditOptions): string | undefined {
  const { threshold, minGroupSize, bootstrap, seed, alpha } = o;
  if (threshold !== undefined && !(threshold > 0 && threshold <= 1)) return `threshold must be in (0, 1] (got ${threshold})`;
  if (minGroupSize !== undefined && !(Number.isInteger(minGroupSize) && minGroupSize >= 1)) return `minGroupSize must be a whole number ≥ 1 (got ${minGroupSize})`;
  if (bootstrap !== undefined && !(Number.isInteger(bootstrap) && bootstrap >= 0)) return `bootstrap must be a whole number ≥ 0 (got ${bootstrap})`;
  if (seed !== undefined && !Number.isFinite(seed)) return `seed must be a finite number (got ${seed})`;
  if (alpha !== undefined && !(alpha > 0 && alpha < 1)) return `alpha must be in (0, 1) (got ${alpha})`;
  return undefined;
}

/**
 * The fairness audit of a decision log: per-group rates (small groups suppressed), each reported
 * group's selection rate (and with labels TPR and FPR) against the reference group's with a
 * bootstrap interval of the difference, a z-test and Holm's correction per metric, and summary
 * indices. Suppressed groups' rows are left out of every rate, share and summary (so nothing about
 * them can be recovered by subtraction); their rows still count in the bootstrap's resampled log.
 */
export function fairnessAudit(columns: DecisionColumns, options: AuditOptions = {}): AuditResult {
  const problem = validate(options);
  if (problem) return { ok: false, code: 'INVALID_OPTION', message: problem };
  const threshold = options.threshold ?? AUDIT_DEFAULTS.threshold;
  const minGroupSize = options.minGroupSize ?? AUDIT_DEFAULTS.minGroupSize;
  const replicates = options.bootstrap ?? AUDIT_DEFAULTS.bootstrap;
  const seed = options.seed ?? AUDIT_DEFAULTS.seed;
  const alpha = options.alpha ?? AUDIT_DEFAULTS.alpha;
  const entropyAlpha = options.entropyAlpha ?? AUDIT_DEFAULTS.entropyAlpha;
  const rows = columns.group.length;
  if (rows === 0) return { ok: false, code: 'EMPTY_LOG', message: 'no decisions to audit' };

  const tally = tallyDecisions(columns);
  const sizes = groupSizes(tally);
  const suppressed = sizes.map((n) => isSuppressed(n, minGroupSize));
  let ref: number;
  if (options.reference !== undefined) {
    ref = tally.groups.indexOf(options.reference);
    if (ref < 0) return { ok: false, code: 'UNKNOWN_REFERENCE', message: `reference group ${JSON.stringify(options.reference)} is not in the log (groups: ${tally.groups.join(', ')})` };
  } else {
    ref = sizes.reduce((best, n, g) => (n > sizes[best]! ? g : best), 0);
  }
  const refName = tally.groups[ref]!;
  if (suppressed[ref]) {
    return {
      ok: false,
      code: 'REFERENCE_SUPPRESSED',
      message: `reference group ${JSON.stringify(refName)} has ${sizes[ref]} rows, fewer than the minimum group size ${minGroupSize}${options.reference === undefined ? ' (it is the largest group, so every group would be suppressed)' : ''}; choose another reference or lower the minimum group size`,
    };
  }

  const reported = tally.groups.map((_, g) => g).filter((g) => !suppressed[g]);
  const frame = metricFrame(tally, reported);
  const rateOf = (g: number) => frame.byGroup[reported.indexOf(g)]!;

  const groups: AuditGroup[] = tally.groups.map((group, g) => {
    if (suppressed[g]) return { group, n: sizes[g]!, selectionRate: null, selectedShare: null, tpr: null, fpr: null, fnr: null, fdr: null, for: null, precision: null, suppressed: true };
    const r = rateOf(g);
    return { group, n: sizes[g]!, selectionRate: r.selectionRate, selectedShare: r.selectedShare, tpr: r.tpr, fpr: r.fpr, fnr: r.fnr, fdr: r.fdr, for: r.for, precision: r.precision, suppressed: false };
  });

  const metrics: AuditMetric[] = tally.hasLabels ? ['selectionRate', 'tpr', 'fpr'] : ['selectionRate'];
  const compared = reported.filter((g) => g !== ref);

  // Bootstrap: replicate differences per (metric, compared group); NaN marks an undefined replicate.
  const replicateDiffs = metrics.map(() => compared.map(() => new Float64Array(replicates).fill(Number.NaN)));
  if (replicates > 0 && compared.length > 0) {
    // Weighted logs: classes of identical rows when there are few (exact and O(classes) per
    // replicate), else one row at a time.
    let classes: RowClasses | undefined;
    let rowCells: { cell: Int32Array; weight: Float64Array } | undefined;
    if (columns.weight) {
      const { group, prediction, label } = columns;
      const cellOf = (i: number) => group[i]! * 4 + prediction[i]! * 2 + (label ? label[i]! : 0);
      classes = rowClasses(cellOf, columns.weight, Math.max(64, Math.floor(rows / 16)));
      if (!classes) {
        const cell = new Int32Array(rows);
        for (let i = 0; i < rows; i++) cell[i] = cellOf(i);
        rowCells = { cell, weight: columns.weight };
      }
    }
    bootstrapCells({ replicates, seed, counts: tally.counts, classes, rows: rowCells }, (cells, b) => {
      metrics.forEach((metric, m) => {
        const refValue = cellMetric(cells, ref * 4, metric);
        compared.forEach((g, k) => {
          replicateDiffs[m]![k]![b] = cellMetric(cells, g * 4, metric) - refValue;
        });
      });
    });
  }

  const disparities: AuditDisparity[] = [];
  metrics.forEach((metric, m) => {
    const refValue = rateOf(ref)[metric];
    const nRef = effectiveN(tally, ref, metric);
    const tests = compared.map((g) => {
      const value = rateOf(g)[metric];
      if (value === null || refValue === null) return null;
      return zTestFromRates(value, effectiveN(tally, g, metric), refValue, nRef).pValue;
    });
    const adjusted = holm(tests);
    compared.forEach((g, k) => {
      const d = referenceDisparity(rateOf(g)[metric], refValue, threshold);
      const pAdjusted = adjusted[k]!;
      disparities.push({
        group: tally.groups[g]!,
        metric,
        ratio: d.ratio,
        fair: d.fair,
        difference: d.difference,
        ci95: replicates > 0 && d.difference !== null ? percentileInterval(replicateDiffs[m]![k]!) : null,
        pValue: tests[k]!,
        pAdjusted,
        flagged: d.fair === false && pAdjusted !== null && pAdjusted < alpha,
      });
    });
  });

  let benefit = { n0: 0, n1: 0, n2: 0 };
  for (const g of reported) {
    benefit = {
      n0: benefit.n0 + tally.counts[g * 4 + CELL_FN]!,
      n1: benefit.n1 + tally.counts[g * 4 + CELL_TN]! + tally.counts[g * 4 + CELL_TP]!,
      n2: benefit.n2 + tally.counts[g * 4 + CELL_FP]!,
    };
  }
  const summary: AuditSummary = {
    demographicParityDifference: demographicParityDifference(frame),
    demographicParityRatio: demographicParityRatio(frame),
    equalizedOddsDifference: tally.hasLabels ? equalizedOddsDifference(frame) : null,
    equalOpportunityDifference: tally.hasLabels ? equalOpportunityDifference(frame) : null,
    generalizedEntropyIndex: tally.hasLabels ? generalizedEntropyFromCounts(benefit, entropyAlpha) : null,
    theilIndex: tally.hasLabels ? generalizedEntropyFromCounts(benefit, 1) : null,
  };

  return { ok: true, audit: { groups, disparities, summary, reference: refName, threshold }, rows, hasLabels: tally.hasLabels, weighted: tally.weighted };
}
