/** What the experiments module needs from storage. A unit is a keyed hash, never a pseudonym or device id. */
import type { ExperimentDefinition, UnitMetric } from './definition.js';
import type { ArmSums } from './stats/index.js';

import type { ExperimentStatus } from './contract.js';

export type { ExperimentStatus } from './contract.js';
export const EXPERIMENT_STATUSES: readonly ExperimentStatus[] = ['draft', 'running', 'stopped', 'completed'];

export interface ExperimentRecord {
  readonly id: string;
  readonly brandId: string;
  readonly name: string;
  readonly definition: ExperimentDefinition;
  readonly status: ExperimentStatus;
  /** Created by the simulator, or served simulated viewers (demo mode only): everything shown of it says so. */
  readonly simulated: boolean;
  readonly assignmentSalt: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly stoppedAt: number | null;
  readonly stopReason: string | null;
}

/** Counts to add to one unit's row (created at its first exposure). */
export interface UnitDelta {
  experimentId: string;
  unit: string;
  arm: string;
  region: string;
  at: number;
  requests: number;
  impressions: number;
  clicks: number;
  carts: number;
}

export type Cohort = 'in' | 'outside';

/** Counts to add to one arm's totals. */
export interface TotalsDelta {
  experimentId: string;
  arm: string;
  cohort: Cohort;
  requests: number;
  impressions: number;
  clicks: number;
  carts: number;
  orders: number;
  gmvFen: number;
  rankingCpuMicros: number;
}

export type ArmTotals = Omit<TotalsDelta, 'experimentId'>;

/** Per-arm sums over units of every per-viewer metric. */
export interface ArmUnitSums {
  arm: string;
  units: number;
  metrics: Record<UnitMetric, ArmSums>;
}

export interface LookRecord {
  experimentId: string;
  look: number;
  fraction: number;
  takenAt: number;
  /** JSON of the analysis shown at that look. */
  analysis: string;
}

export interface UnitCounts {
  firstSeenAt: number;
  lastSeenAt: number;
  requests: number;
  impressions: number;
  clicks: number;
  carts: number;
  orders: number;
  gmvFen: number;
  reports: number;
  optedOut: boolean;
}

export interface UnitChange {
  orders?: number;
  gmvFen?: number;
  reports?: number;
  optedOut?: boolean;
}

export interface ExperimentStore {
  /** False when the id is taken. */
  insert(record: ExperimentRecord): Promise<boolean>;
  get(id: string): Promise<ExperimentRecord | undefined>;
  list(filter: { status?: ExperimentStatus; brandId?: string }): Promise<ExperimentRecord[]>;
  /** Compare-and-set on the status: true when it was one of `from` and is now `to`. */
  setStatus(id: string, from: readonly ExperimentStatus[], to: ExperimentStatus, at: number, reason?: string): Promise<boolean>;
  /** Deletes a draft (it never ran, so nothing else refers to it); false when it is not a draft now. */
  deleteDraft(id: string): Promise<boolean>;
  /** Marks it simulated (it served simulated viewers); false when it already was, or does not exist. */
  markSimulated(id: string): Promise<boolean>;
  /** Adds the deltas (creating rows as needed), all in one transaction. */
  applyDeltas(units: readonly UnitDelta[], totals: readonly TotalsDelta[]): Promise<void>;
  /** Adds to an existing unit (and its arm's totals); the unit's arm, or undefined when it has no row. */
  changeUnit(experimentId: string, unit: string, change: UnitChange): Promise<string | undefined>;
  unitSums(experimentId: string): Promise<ArmUnitSums[]>;
  totals(experimentId: string): Promise<ArmTotals[]>;
  /** Decisions made by each arm, per product and position (for the exposure spread). */
  exposure(experimentId: string): Promise<{ arm: string; productId: string; position: number; count: number }[]>;
  /** False when that look number is already stored (another node took it). */
  addLook(look: LookRecord): Promise<boolean>;
  looks(experimentId: string): Promise<LookRecord[]>;
  /** The rows of these units (a viewer's own, for their export). */
  units(units: readonly { experimentId: string; unit: string }[]): Promise<{ experimentId: string; arm: string; counts: UnitCounts }[]>;
  /** Erasure: the units of one viewer, by their unit in each experiment. */
  deleteUnits(units: readonly { experimentId: string; unit: string }[]): Promise<number>;
  /** Retention: the units of experiments that ended before the cutoff (their aggregates stay). */
  purgeUnitsOfEndedBefore(cutoff: number): Promise<number>;
}
