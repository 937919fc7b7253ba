/**
 * The experiment page's pure rules (no DOM, no i18n, unit-tested): reading the id from the path,
 * formatting differences and intervals in each metric's unit ("+1.2 pp [−0.4, +2.8]"), the
 * information fraction as a percentage, when the first look is due, and the series the charts draw.
 */
import type { ArmPolicyName, ArmReport, Comparison, DefinitionView, ExperimentReport, IntervalView, LookAnalysis, StopReasonCode } from '../../ui/experiments.ts';

/** The real minus sign (U+2212), as typeset figures use. */
export const MINUS = '\u2212';
export const DASH = '—';

/** An experiment's id: "exp-" and 12 hex digits (the server's pattern). */
export const EXPERIMENT_ID = /^exp-[0-9a-f]{12}$/;

/** `/experiments/exp-0123456789ab` → its id; null for any other path, a malformed encoding or an id that cannot exist. */
export function experimentIdFromPath(pathname: string): string | null {
  const match = /^\/experiments\/([^/]+)\/?$/.exec(pathname);
  if (!match?.[1]) return null;
  try {
    const id = decodeURIComponent(match[1]);
    return EXPERIMENT_ID.test(id) ? id : null;
  } catch {
    return null;
  }
}

// ---- the server's codes the page names (each list checked against the contract's type) ----

/** Every model an arm may use: each needs `experiment.policies.<name>` (the type checks none is missing). */
export const ARM_POLICY_NAMES = ['non_personalised', 'linucb', 'lints', 'mlp'] as const satisfies readonly ArmPolicyName[];
const everyPolicyNamed: [Exclude<ArmPolicyName, (typeof ARM_POLICY_NAMES)[number]>] extends [never] ? true : false = true;
void everyPolicyNamed;
export const isArmPolicyName = (policy: string): policy is ArmPolicyName => (ARM_POLICY_NAMES as readonly string[]).includes(policy);

/** Every reason code the server gives for an experiment's end: each needs `experiment.stopReasons.<code>`. */
export const STOP_REASON_CODES = ['stopped_by_operator', 'planned_sample_reached', 'room_ended', 'simulation_ended'] as const satisfies readonly StopReasonCode[];
const everyReasonNamed: [Exclude<StopReasonCode, (typeof STOP_REASON_CODES)[number]>] extends [never] ? true : false = true;
void everyReasonNamed;
export const isStopReasonCode = (code: string | null | undefined): code is StopReasonCode => (STOP_REASON_CODES as readonly string[]).includes(code ?? '');

/** Energy methods the page names in its language (`experiment.energyMethods.<id>`); others show the server's words. */
export const ENERGY_METHOD_IDS = ['ccf-linear'] as const;
export type EnergyMethodId = (typeof ENERGY_METHOD_IDS)[number];
export const isEnergyMethodId = (id: string | undefined): id is EnergyMethodId => (ENERGY_METHOD_IDS as readonly string[]).includes(id ?? '');

// ---- who may start and stop it (the server's rule, mirrored) ----

/**
 * Whether this user may start or stop the experiment, as the server decides: an administrator
 * always; a host only when the experiment names rooms and they host every one of them (the rooms'
 * hosts by account name, as the host console compares; null while not known yet); never anyone else.
 */
export function mayOperateExperiment(user: { role: string; name: string }, definition: Pick<DefinitionView, 'sessionIds'>, roomHosts: readonly (string | null)[] | null): boolean {
  if (user.role === 'admin') return true;
  if (user.role !== 'host') return false;
  if (definition.sessionIds.length === 0 || roomHosts === null || roomHosts.length !== definition.sessionIds.length) return false;
  return roomHosts.every((host) => host === user.name);
}

// ---- metrics and their units ----

/** Every metric the server knows (the primary metric is one of the first six); used for the i18n keys. */
export const KNOWN_METRICS = ['conversion', 'gmv_per_viewer', 'clicks_per_viewer', 'carts_per_viewer', 'opt_out_rate', 'report_rate', 'exposure_gini', 'fairness_gap'] as const;
export type KnownMetric = (typeof KNOWN_METRICS)[number];
export const isKnownMetric = (metric: string): metric is KnownMetric => (KNOWN_METRICS as readonly string[]).includes(metric);

/**
 * How a metric's values read: a share of viewers (shown in %, differences in percentage points),
 * yuan per viewer, a count per viewer, or an index without unit (the Gini coefficient).
 */
export type MetricKind = 'proportion' | 'money' | 'count' | 'index';
export function metricKind(metric: string): MetricKind {
  if (metric === 'conversion' || metric === 'opt_out_rate' || metric === 'report_rate') return 'proportion';
  if (metric === 'gmv_per_viewer') return 'money';
  if (metric === 'exposure_gini' || metric === 'fairness_gap') return 'index';
  return 'count';
}

/** The metrics for which a higher value is worse (the server's HIGHER_IS_WORSE). */
export const higherIsWorse = (metric: string): boolean => metric === 'opt_out_rate' || metric === 'report_rate' || metric === 'exposure_gini' || metric === 'fairness_gap';

/** Decimals shown per kind (proportions after scaling to % / pp). */
const DIGITS: Record<MetricKind, number> = { proportion: 1, money: 2, count: 2, index: 3 };
/** Factor from the server's value to the shown one: shares become % (or pp for differences). */
export const displayScale = (metric: string): number => (metricKind(metric) === 'proportion' ? 100 : 1);
export const displayDigits = (metric: string): number => DIGITS[metricKind(metric)];

/** `x` with `digits` decimals and a real minus sign; values that round to zero have no sign. */
export function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return DASH;
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return text;
  return x < 0 ? `${MINUS}${text}` : text;
}

/**
 * 95, 97.5, 99.95, 98.3: exact when one or two decimals say it, else rounded down to one (α split
 * between several comparisons; a level is never shown higher than it is, e.g. 99.95 never as 100.0).
 */
export const confidenceLevel = (alpha: number): string => {
  const level = (1 - alpha) * 100;
  for (const digits of [0, 1, 2]) {
    const scaled = level * 10 ** digits;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return fixed(Math.round(scaled) / 10 ** digits, digits);
  }
  return fixed(Math.floor(level * 10) / 10, 1);
};

/** Like `fixed`, with a `+` on positive values: "+1.2", "−0.4", "0.0". */
export function signed(x: number, digits: number): string {
  const text = fixed(x, digits);
  if (text === DASH || Number(Math.abs(x).toFixed(digits)) === 0) return text;
  return x > 0 ? `+${text}` : text;
}

function signedIn(metric: string, x: number): string {
  const kind = metricKind(metric);
  const value = signed(x * displayScale(metric), DIGITS[kind]);
  if (kind !== 'money') return value;
  // "+¥1.20", "−¥0.40", "¥0.00"
  return value.startsWith('+') || value.startsWith(MINUS) ? `${value[0]}¥${value.slice(1)}` : `¥${value}`;
}

/** A difference (treatment − control) with its interval in the metric's unit: "+1.2 pp [−0.4, +2.8]", "+¥1.20 [−¥0.40, +¥2.80]". */
export function formatDifference(metric: string, interval: IntervalView | null | undefined): string {
  if (!interval) return DASH;
  const unit = metricKind(metric) === 'proportion' ? ' pp' : '';
  return `${signedIn(metric, interval.estimate)}${unit} [${signedIn(metric, interval.lo)}, ${signedIn(metric, interval.hi)}]`;
}

/** A difference without interval (e.g. the exposure Gini, which has none). */
export function formatDifferenceEstimate(metric: string, estimate: number | null | undefined): string {
  if (estimate === null || estimate === undefined || !Number.isFinite(estimate)) return DASH;
  return `${signedIn(metric, estimate)}${metricKind(metric) === 'proportion' ? ' pp' : ''}`;
}

/** Relative uplift (treatment / control − 1) with its interval: "+12.3% [−4.0%, +28.1%]". */
export function formatUplift(interval: IntervalView | null | undefined): string {
  if (!interval) return DASH;
  const pct = (x: number): string => `${signed(x * 100, 1)}%`;
  return `${pct(interval.estimate)} [${pct(interval.lo)}, ${pct(interval.hi)}]`;
}

/** A level of the metric (an arm's mean): "3.4%", "¥12.30", "0.45", "0.213". */
export function formatLevel(metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const kind = metricKind(metric);
  const text = fixed(value * displayScale(metric), DIGITS[kind]);
  return kind === 'proportion' ? `${text}%` : kind === 'money' ? `¥${text}` : text;
}

/** A guardrail's tolerated margin in the metric's unit: "0.5 pp", "¥1.00", "0.100". */
export function formatMargin(metric: string, margin: number): string {
  const kind = metricKind(metric);
  const text = fixed(margin * displayScale(metric), DIGITS[kind]);
  return kind === 'proportion' ? `${text} pp` : kind === 'money' ? `¥${text}` : text;
}

/** A share (click-through, add-to-cart rate) in %: "4.2%"; null → "—". */
export function formatRate(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return DASH;
  return `${fixed(share * 100, 1)}%`;
}

/** An amount of yuan with two decimals, grouped by thousands, without the sign (the column says ¥): "1,234.50". */
export function formatYuanAmount(yuan: number): string {
  const text = fixed(yuan, 2);
  if (text === DASH) return text;
  const negative = text.startsWith(MINUS);
  const [whole = '0', cents = '00'] = (negative ? text.slice(1) : text).split('.');
  return `${negative ? MINUS : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

/** Watt-hours per 1,000 lists: small figures keep three significant digits ("0.0123"). */
export function formatWh(wh: number | null | undefined): string {
  if (wh === null || wh === undefined || !Number.isFinite(wh)) return DASH;
  if (wh === 0) return '0';
  if (Math.abs(wh) >= 100) return fixed(wh, 0);
  return fixed(Number(wh.toPrecision(3)), Math.max(0, 2 - Math.floor(Math.log10(Math.abs(wh)))));
}

/** The information fraction as a whole percentage, never rounded up to 100 before it is reached (0.996 → 99). */
export function fractionPercent(fraction: number): number {
  if (!Number.isFinite(fraction) || fraction <= 0) return 0;
  if (fraction >= 1) return 100;
  return Math.min(99, Math.floor(fraction * 100));
}

/** An allocation share as a percentage: 0.5 → "50%", 1/3 → "33.3%". */
export function formatShare(share: number): string {
  const pct = Math.round(share * 1000) / 10;
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/**
 * Whole minutes (at least 1) until the next scheduled look: looks are due every `lookEveryMinutes`
 * from the start (or the last look); the server checks the schedule every few seconds.
 */
export function minutesUntilNextLook(lookEveryMinutes: number, since: number, now: number): number {
  const interval = lookEveryMinutes * 60_000;
  if (!(interval > 0)) return 1;
  const elapsed = Math.max(0, now - since);
  const remaining = interval - (elapsed % interval);
  return Math.max(1, Math.ceil(remaining / 60_000));
}

// ---- the stop reason (the server allows 1–200 characters, no control characters) ----

export const STOP_REASON_MAX = 200;
export type StopReasonProblem = 'tooLong' | 'controlCharacters';
export function stopReasonProblem(reason: string): StopReasonProblem | null {
  const trimmed = reason.trim();
  if ([...trimmed].some((c) => c.charCodeAt(0) < 0x20)) return 'controlCharacters';
  if ([...trimmed].length > STOP_REASON_MAX) return 'tooLong';
  return null;
}

// ---- names ----

/** An arm's name from the definition; its id when the definition has no such arm. */
export function armName(definition: DefinitionView, arm: string): string {
  return definition.arms.find((a) => a.id === arm)?.name ?? arm;
}

/** "LinUCB vs 非个性化" — the treatment and the control it is compared with. */
export function comparisonTitle(definition: DefinitionView, comparison: Pick<Comparison, 'treatment' | 'control'>): string {
  return `${armName(definition, comparison.treatment)} vs ${armName(definition, comparison.control)}`;
}

/** The treatment arms in definition order (the comparisons of each look follow it). */
export function treatmentArms(definition: DefinitionView): string[] {
  return definition.arms.filter((a) => a.id !== definition.control).map((a) => a.id);
}

/** A verdict's tone for styling: good news, bad news, a breached guardrail, or nothing yet. */
export type VerdictTone = 'good' | 'bad' | 'alert' | 'neutral';
export function verdictTone(kind: string): VerdictTone {
  return kind === 'better' ? 'good' : kind === 'worse' ? 'bad' : kind === 'guardrail_breached' ? 'alert' : 'neutral';
}

// ---- series for the charts (raw server units; the page scales them) ----

type Look = LookAnalysis & { takenAt: number };

export interface IntervalPoint {
  look: number;
  fraction: number;
  takenAt: number;
  /** null: no estimate at this look (an arm had too few viewers). */
  estimate: number | null;
  lo: number | null;
  hi: number | null;
}

function intervalPoints(looks: readonly Look[], treatment: string, pick: (c: Comparison) => IntervalView | null): IntervalPoint[] {
  return looks.map((look) => {
    const comparison = look.comparisons.find((c) => c.treatment === treatment);
    const interval = comparison ? pick(comparison) : null;
    return { look: look.look, fraction: look.fraction, takenAt: look.takenAt, estimate: interval?.estimate ?? null, lo: interval?.lo ?? null, hi: interval?.hi ?? null };
  });
}

/** The primary metric's difference (treatment − control) and its repeated interval, per look. */
export const differenceSeries = (looks: readonly Look[], treatment: string): IntervalPoint[] => intervalPoints(looks, treatment, (c) => c.difference);
/** The relative uplift and its interval, per look. */
export const upliftSeries = (looks: readonly Look[], treatment: string): IntervalPoint[] => intervalPoints(looks, treatment, (c) => c.relativeUplift);

/**
 * Where the relative-uplift chart's axis stops (a share; 2 = ±200 %), or null when every interval fits
 * within ±100 %. Early looks, while control's mean is near zero, give relative intervals of thousands
 * of percent that would flatten the later, informative ones; so the axis is fitted to the latest
 * look with an interval (at least ±100 %, rounded up to a whole 50 %) and longer intervals are cut at
 * its edge (the table beside the chart gives them in full).
 */
export function upliftAxisLimit(points: readonly IntervalPoint[]): number | null {
  const extent = (p: IntervalPoint) => Math.max(Math.abs(p.lo ?? 0), Math.abs(p.hi ?? 0), Math.abs(p.estimate ?? 0));
  const widest = Math.max(0, ...points.map(extent));
  if (widest <= 1) return null;
  const latest = [...points].reverse().find((p) => p.lo !== null && p.hi !== null);
  const limit = Math.max(1, Math.ceil((latest ? extent(latest) * 1.2 : 1) * 2) / 2);
  return widest > limit ? limit : null;
}

/** Whether any of these intervals reaches past ±limit (it is then cut at the chart's edge). */
export const cutAt = (points: readonly IntervalPoint[], limit: number | null): boolean =>
  limit !== null && points.some((p) => [p.lo, p.hi, p.estimate].some((v) => v !== null && Math.abs(v) > limit));

/** Each arm's mean of `metric` per look (arms in definition order; null where an arm had no viewers). */
export function armMeanSeries(looks: readonly Look[], definition: DefinitionView, metric: string): { arm: string; name: string; values: (number | null)[] }[] {
  return definition.arms.map((arm) => ({
    arm: arm.id,
    name: arm.name,
    values: looks.map((look) => look.arms.find((a) => a.arm === arm.id)?.means[metric] ?? null),
  }));
}

/** Energy per 1,000 lists per arm, the outside cohort last (as the report lists them). */
export function energyBars(arms: readonly ArmReport[]): { arm: string; cohort: ArmReport['cohort']; name: string; wh: number | null; method: string }[] {
  return arms.map((a) => ({ arm: a.arm, cohort: a.cohort, name: a.name, wh: a.energy.whPer1000, method: a.energy.method }));
}

/** The distinct energy methods named by the arms (usually one). */
export function energyMethods(arms: readonly ArmReport[]): string[] {
  return [...new Set(arms.map((a) => a.energy.method))];
}

/** Scales a raw value for a chart and trims float noise; null stays null (a gap in the line). */
export function chartValue(value: number | null | undefined, scale: number): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return Number((value * scale).toPrecision(6));
}

/** Where the report stands: looks exist, the experiment waits for its first look, or never had one. */
export type ReportStage = 'draft' | 'waiting' | 'analysed' | 'noLooks';
export function reportStage(report: Pick<ExperimentReport, 'experiment' | 'latest'>): ReportStage {
  if (report.latest) return 'analysed';
  if (report.experiment.status === 'draft') return 'draft';
  if (report.experiment.status === 'running') return 'waiting';
  return 'noLooks';
}

/** The exposure Gini of control and treatment at a look (the guardrail that has no interval). */
export function giniPair(look: Pick<LookAnalysis, 'arms'>, control: string, treatment: string): { control: number | null; treatment: number | null; difference: number | null } {
  const c = look.arms.find((a) => a.arm === control)?.exposureGini ?? null;
  const t = look.arms.find((a) => a.arm === treatment)?.exposureGini ?? null;
  return { control: c, treatment: t, difference: c !== null && t !== null ? t - c : null };
}

// ---- colours (charts and their HTML legends; each at least 3:1 against white) ----

export const CONTROL_COLOUR = '#5f5550';
export const OUTSIDE_COLOUR = '#9c8b80';
export const TREATMENT_COLOURS = ['#c9302c', '#1d4ed8', '#1f7a4d', '#7a5200'] as const;

/** An arm's colour: control grey-brown, the treatments in definition order, the outside cohort light grey. */
export function armColour(definition: Pick<DefinitionView, 'arms' | 'control'>, arm: string, cohort: 'in' | 'outside' = 'in'): string {
  if (cohort === 'outside') return OUTSIDE_COLOUR;
  if (arm === definition.control) return CONTROL_COLOUR;
  const i = definition.arms.filter((a) => a.id !== definition.control).findIndex((a) => a.id === arm);
  return TREATMENT_COLOURS[Math.max(0, i) % TREATMENT_COLOURS.length]!;
}
