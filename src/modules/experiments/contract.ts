/**
 * The experiment contract shared with the pages: the JSON of GET /api/v1/experiments/:id and of the
 * list. Types only, standing alone (the pages type-check against it without loading server code);
 * definition.ts checks at compile time that its schema's type matches `DefinitionView`.
 */

export type ExperimentStatus = 'draft' | 'running' | 'stopped' | 'completed';
export type Bilingual = { zh: string; en: string };

/** The models an arm may use (the server's ARM_POLICIES: definition.ts checks at compile time that they match). */
export type ArmPolicyName = 'non_personalised' | 'linucb' | 'lints' | 'mlp';

/**
 * Why an experiment ended, as a stable code the pages translate: stopped with no reason given, the
 * planned sample reached, every room it ran in ended, the simulator's run ended. Null when an operator
 * gave their own reason (`stopReason` then holds it as typed) or the experiment has not ended.
 */
export type StopReasonCode = 'stopped_by_operator' | 'planned_sample_reached' | 'room_ended' | 'simulation_ended';

export interface ArmDefinitionView {
  id: string;
  name: string;
  policy: string;
  epsilon?: number;
  alpha?: number;
}

export interface DefinitionView {
  name: string;
  description?: string;
  brandId: string;
  sessionIds: string[];
  arms: ArmDefinitionView[];
  allocation: number[];
  control: string;
  primaryMetric: string;
  guardrails: { metric: string; margin?: number }[];
  alpha: number;
  spending: string;
  plannedUnitsPerArm: number;
  lookEveryMinutes: number;
}

export interface ExperimentView {
  id: string;
  brandId: string;
  name: string;
  status: ExperimentStatus;
  /** Created by the simulator, or served simulated viewers (demo mode only): shown as simulated everywhere. */
  simulated: boolean;
  definition: DefinitionView;
  createdBy: string;
  createdAt: number;
  startedAt: number | null;
  stoppedAt: number | null;
  /** The reason as stored: an operator's own words as typed, or the English text of a `stopReasonCode`. */
  stopReason: string | null;
  /** The reason as a code when it is one of the known ones (always present in the server's answers). */
  stopReasonCode?: StopReasonCode | null;
}

export interface IntervalView {
  estimate: number;
  lo: number;
  hi: number;
}

export type VerdictKind = 'better' | 'worse' | 'no_detectable_difference' | 'not_enough_data' | 'guardrail_breached';

export interface Verdict {
  kind: VerdictKind;
  /** Final: the look at information fraction 1, or the experiment was stopped. */
  final: boolean;
  text: Bilingual;
}

export interface GuardrailResult {
  metric: string;
  margin: number;
  /**
   * treatment − control with its repeated interval; null for exposure_gini and fairness_gap, and
   * while there is nothing to measure (an arm has fewer than 2 viewers, or neither arm varies yet).
   */
  difference: IntervalView | null;
  breached: boolean;
  /** fairness_gap: the viewer-segment gaps the treatment arm's audit flags and the control's does not. */
  newGaps?: { zh: string; en: string }[];
}

export interface Comparison {
  treatment: string;
  control: string;
  metric: string;
  /**
   * treatment − control with its repeated interval. Null while there is nothing to measure: an arm
   * has fewer than 2 viewers, or neither arm varies yet (standard error 0, e.g. no order at all) —
   * such an interval would collapse to a point and claim a certainty there is not.
   */
  difference: (IntervalView & { se: number }) | null;
  /** The relative uplift with its repeated interval; null as `difference`, and when control's mean is 0. */
  relativeUplift: IntervalView | null;
  z: number | null;
  crossed: boolean;
  guardrails: GuardrailResult[];
  verdict: Verdict;
}

export interface ArmSummary {
  arm: string;
  name: string;
  policy: string;
  units: number;
  /** Per-viewer means by metric (conversion, gmv_per_viewer in yuan, clicks_per_viewer, …); null without units. */
  means: Record<string, number | null>;
  exposureGini: number | null;
  /** Viewer-segment gaps the fairness audit of the arm's own decisions flags (when a fairness_gap guardrail is set). */
  fairnessFlags?: number | null;
}

export interface LookAnalysis {
  /**
   * The look's number (1, 2, …; its boundary follows from the looks before it). The final analysis
   * taken at a stop with no new viewer since the last look repeats that look's fraction and
   * boundary: the report shows it in that look's place, under the same number, as final.
   */
  look: number;
  fraction: number;
  /** The boundary (critical z) of this look for each comparison's share of alpha. */
  bound: number;
  alphaPerComparison: number;
  final: boolean;
  arms: ArmSummary[];
  comparisons: Comparison[];
}

export interface ArmReport {
  arm: string;
  name: string;
  policy: string;
  /** 'outside': viewers without personalisation consent, counted anonymously (no units). */
  cohort: 'in' | 'outside';
  units: number | null;
  requests: number;
  impressions: number;
  clickThrough: number | null;
  cartRate: number | null;
  orders: number;
  gmvYuan: number;
  /** Energy of the ranking work per 1,000 lists served, with the method that estimated it. */
  energy: {
    rankingCpuMsPer1000: number | null;
    whPer1000: number | null;
    /** The method in English words. */
    method: string;
    /** The method as a stable id the pages translate ('ccf-linear'; always present in the server's answers). */
    methodId?: string;
  };
}

export interface ExperimentReport {
  experiment: ExperimentView;
  arms: ArmReport[];
  /** The analysis of every scheduled look so far, oldest first. */
  looks: (LookAnalysis & { takenAt: number })[];
  latest: (LookAnalysis & { takenAt: number }) | null;
  /** How the results are computed, in English (the pages show their own translation). */
  method: string;
}
