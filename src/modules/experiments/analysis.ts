/**
 * One look's analysis of an experiment: per arm, the per-viewer means; per treatment arm against
 * control, the repeated confidence interval of the primary metric's difference and relative uplift
 * (group-sequential, see docs/experiments-statistics.md), the guardrails, and a plain verdict.
 * Pure: the same sums and looks always give the same analysis.
 */
import { GUARDRAIL_METRICS, HIGHER_IS_WORSE, UNIT_METRICS, type ExperimentDefinition, type GuardrailMetric, type UnitMetric } from './definition.js';
import { mean, sequentialAnalysis, type ArmSums, type Interval, type Spending } from './stats/index.js';
import type { ArmUnitSums } from './ports.js';
import type { ArmSummary, Comparison, GuardrailResult, LookAnalysis, Verdict } from './contract.js';

export type { ArmSummary, Comparison, GuardrailResult, LookAnalysis, Verdict, VerdictKind } from './contract.js';

/** Default tolerated increase of the exposure Gini coefficient (it has no interval). */
export const EXPOSURE_GINI_MARGIN = 0.1;

const EMPTY: ArmSums = { units: 0, sum: 0, sumSquares: 0 };

/** Information fraction: units in the comparison over the planned total, capped at 1. */
export function informationFraction(definition: ExperimentDefinition, sums: readonly Pick<ArmUnitSums, 'arm' | 'units'>[]): number {
  // The information on a difference in means grows as 1/(1/n_control + 1/n_treatment); the plan is
  // `plannedUnitsPerArm` in each arm, i.e. P/2. With equal arms this is simply units per arm ÷ P;
  // with unequal allocation the small arm sets the pace, so the design's precision is reached
  // before the final look, never only the total number of viewers. Each treatment is compared with
  // control: the least informed comparison counts.
  const units = new Map(sums.map((s) => [s.arm, s.units]));
  const control = units.get(definition.control) ?? 0;
  const planned = definition.plannedUnitsPerArm / 2;
  let fraction = Infinity;
  for (const arm of definition.arms) {
    if (arm.id === definition.control) continue;
    const treatment = units.get(arm.id) ?? 0;
    const information = control > 0 && treatment > 0 ? 1 / (1 / control + 1 / treatment) : 0;
    fraction = Math.min(fraction, information / planned);
  }
  return Number.isFinite(fraction) ? Math.min(1, fraction) : 0;
}

/**
 * Gini coefficient of position-weighted exposure over products (weight 1/log2(1 + rank), rank
 * 1-based): 0 when every product is shown equally, towards 1 when a few take all the exposure.
 * `products` lists every product that any arm showed, so each arm is judged over the same set.
 */
export function exposureGini(exposure: readonly { productId: string; position: number; count: number }[], products: readonly string[]): number | null {
  const byProduct = new Map(products.map((p) => [p, 0]));
  for (const e of exposure) byProduct.set(e.productId, (byProduct.get(e.productId) ?? 0) + e.count / Math.log2(2 + e.position));
  const xs = [...byProduct.values()].sort((a, b) => a - b);
  const total = xs.reduce((a, b) => a + b, 0);
  if (xs.length === 0 || total === 0) return null;
  let weighted = 0;
  xs.forEach((x, i) => (weighted += (i + 1) * x));
  return (2 * weighted) / (xs.length * total) - (xs.length + 1) / xs.length;
}

/** The fairness audit of one arm's decisions: its flagged viewer-segment gaps, each with a stable key. */
export interface ArmFairness {
  arm: string;
  flags: readonly { key: string; text: { zh: string; en: string } }[];
}

export function analyse(input: {
  definition: ExperimentDefinition;
  /** Information fractions of every look so far, this one last (strictly increasing). */
  fractions: readonly number[];
  sums: readonly ArmUnitSums[];
  exposure: readonly { arm: string; productId: string; position: number; count: number }[];
  /** The experiment was stopped at this look (a final look even below fraction 1). */
  stopped?: boolean;
  /** Per arm: the viewer-segment gaps the fairness audit of the arm's decisions flags (for fairness_gap). */
  fairness?: readonly ArmFairness[];
}): LookAnalysis {
  const d = input.definition;
  const fraction = input.fractions[input.fractions.length - 1]!;
  const treatments = d.arms.filter((a) => a.id !== d.control);
  const alphaPerComparison = d.alpha / treatments.length;
  const spending = d.spending as Spending;
  const final = fraction >= 1 || input.stopped === true;
  const sumsOf = (arm: string) => input.sums.find((s) => s.arm === arm);
  const metricSums = (arm: string, m: UnitMetric): ArmSums => sumsOf(arm)?.metrics[m] ?? EMPTY;
  const products = [...new Set(input.exposure.map((e) => e.productId))];
  const gini = new Map(d.arms.map((a) => [a.id, exposureGini(input.exposure.filter((e) => e.arm === a.id), products)]));

  const arms: ArmSummary[] = d.arms.map((a) => ({
    arm: a.id,
    name: a.name,
    policy: a.policy,
    units: sumsOf(a.id)?.units ?? 0,
    means: Object.fromEntries(UNIT_METRICS.map((m) => [m, metricSums(a.id, m).units > 0 ? mean(metricSums(a.id, m)) : null])) as Record<UnitMetric, number | null>,
    exposureGini: gini.get(a.id) ?? null,
    ...(input.fairness ? { fairnessFlags: input.fairness.find((f) => f.arm === a.id)?.flags.length ?? null } : {}),
  }));

  let bound = Number.NaN;
  const run = (treatment: string, m: UnitMetric) => {
    const r = sequentialAnalysis({ looks: input.fractions, alpha: alphaPerComparison, spending, control: metricSums(d.control, m), treatment: metricSums(treatment, m) });
    bound = r.bound;
    // Neither arm varies yet (standard error 0, e.g. no order at all): the interval would collapse to a
    // point and claim a certainty there is not. Nothing is reported, as with too few viewers.
    if (r.difference && !(r.difference.se > 0)) return { ...r, difference: undefined, relativeUplift: undefined, z: undefined, crossed: false };
    return r;
  };
  const controlName = d.arms.find((a) => a.id === d.control)!.name;
  const comparisons: Comparison[] = treatments.map((t) => {
    const primary = d.primaryMetric as UnitMetric;
    const p = run(t.id, primary);
    const guardrails: GuardrailResult[] = d.guardrails.map((g) => {
      const metric = g.metric as GuardrailMetric;
      if (metric === 'fairness_gap') {
        // Breached when the treatment arm's own audit flags a viewer-segment gap the control's does not.
        const control = new Set(input.fairness?.find((f) => f.arm === d.control)?.flags.map((f) => f.key) ?? []);
        const treatment = input.fairness?.find((f) => f.arm === t.id);
        const newGaps = (treatment?.flags ?? []).filter((f) => !control.has(f.key)).map((f) => f.text);
        return { metric, margin: 0, difference: null, breached: newGaps.length > 0, newGaps };
      }
      if (metric === 'exposure_gini') {
        const margin = g.margin ?? EXPOSURE_GINI_MARGIN;
        const a = gini.get(d.control) ?? null;
        const b = gini.get(t.id) ?? null;
        return { metric, margin, difference: null, breached: a !== null && b !== null && b - a > margin };
      }
      const margin = g.margin ?? 0;
      const r = run(t.id, metric);
      const diff = r.difference ?? null;
      const breached = diff !== null && (HIGHER_IS_WORSE.has(metric) ? diff.lo > margin : diff.hi < -margin);
      return { metric, margin, difference: diff ? { estimate: diff.estimate, lo: diff.lo, hi: diff.hi } : null, breached };
    });
    return {
      treatment: t.id,
      control: d.control,
      metric: primary,
      difference: p.difference ?? null,
      relativeUplift: p.relativeUplift ?? null,
      z: p.z ?? null,
      crossed: p.crossed,
      guardrails,
      verdict: verdictOf({ treatmentName: t.name, controlName, metric: primary, difference: p.difference ?? null, crossed: p.crossed, guardrails, final }),
    };
  });
  if (Number.isNaN(bound)) bound = run(treatments[0]!.id, d.primaryMetric as UnitMetric).bound;
  return { look: input.fractions.length, fraction, bound, alphaPerComparison, final, arms, comparisons };
}

const METRIC_NAMES: Record<GuardrailMetric, { zh: string; en: string }> = {
  conversion: { zh: '转化率', en: 'conversion' },
  gmv_per_viewer: { zh: '人均成交额', en: 'GMV per viewer' },
  clicks_per_viewer: { zh: '人均点击', en: 'clicks per viewer' },
  carts_per_viewer: { zh: '人均加购', en: 'add-to-carts per viewer' },
  opt_out_rate: { zh: '关闭个性化比例', en: 'opt-out rate' },
  report_rate: { zh: '举报与投诉比例', en: 'report rate' },
  exposure_gini: { zh: '曝光集中度（基尼系数）', en: 'exposure concentration (Gini)' },
  fairness_gap: { zh: '公平性差距（审计标记的新差距）', en: 'fairness gaps (new gaps the audit flags)' },
};
export function metricName(metric: GuardrailMetric): { zh: string; en: string } {
  return METRIC_NAMES[metric];
}
if (GUARDRAIL_METRICS.some((m) => !(m in METRIC_NAMES))) throw new Error('every metric needs a name');

function verdictOf(v: {
  treatmentName: string;
  controlName: string;
  metric: UnitMetric;
  difference: (Interval & { se: number }) | null;
  crossed: boolean;
  guardrails: readonly GuardrailResult[];
  final: boolean;
}): Verdict {
  const breached = v.guardrails.filter((g) => g.breached);
  if (breached.length) {
    const names = breached.map((g) => METRIC_NAMES[g.metric as GuardrailMetric]);
    return {
      kind: 'guardrail_breached',
      final: v.final,
      text: { zh: `触发护栏：${names.map((n) => n.zh).join('、')}`, en: `guardrail breached: ${names.map((n) => n.en).join(', ')}` },
    };
  }
  if (!v.difference) {
    // A final look says the experiment ended without the data to conclude, not that more is coming.
    return v.final
      ? { kind: 'not_enough_data', final: true, text: { zh: '数据不足，无法得出结论', en: 'not enough data to conclude' } }
      : { kind: 'not_enough_data', final: false, text: { zh: '数据不足', en: 'not enough data yet' } };
  }
  if (v.crossed) {
    const treatmentAhead = v.difference.estimate > 0 !== HIGHER_IS_WORSE.has(v.metric);
    const winner = treatmentAhead ? v.treatmentName : v.controlName;
    return { kind: treatmentAhead ? 'better' : 'worse', final: v.final, text: { zh: `${winner} 更好`, en: `${winner} better` } };
  }
  return v.final
    ? { kind: 'no_detectable_difference', final: true, text: { zh: '未发现可检测的差异', en: 'no detectable difference' } }
    : { kind: 'no_detectable_difference', final: false, text: { zh: '暂未发现可检测的差异', en: 'no detectable difference yet' } };
}

/**
 * A stored analysis as the report shows it. Analyses stored by earlier versions reported a
 * zero-width interval when neither arm varied (standard error 0): such an interval is dropped, as
 * `analyse` does now, so it never reads as a certain result.
 */
export function withoutEmptyIntervals(look: LookAnalysis): LookAnalysis {
  const empty = (i: { lo: number; hi: number; se?: number } | null | undefined): boolean => !!i && (i.se !== undefined ? !(i.se > 0) : !(i.hi > i.lo));
  return {
    ...look,
    comparisons: look.comparisons.map((c) => ({
      ...c,
      ...(empty(c.difference) ? { difference: null, relativeUplift: null, z: null, crossed: false } : {}),
      guardrails: c.guardrails.map((g) => (empty(g.difference) ? { ...g, difference: null } : g)),
    })),
  };
}
