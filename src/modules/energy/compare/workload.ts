/**
 * What the comparison measures, per workload and model: the shape both workloads (the Open Bandit
 * sample and the simulated show) give to the measuring loop in index.ts.
 *
 * A model's work is split into phases. Within a phase the model's own work runs under a meter that
 * reads the process CPU clock before and after each call it is given — a whole phase, or a chunk
 * of a few hundred lists — never per item: a read costs about 4 µs here, as much as a linear
 * model's whole ranking of a list. Work both models need and neither model does (building the
 * candidate vectors of a list, which the recommender also does before it starts its ranking clock)
 * runs under a second meter, reported apart and charged to neither.
 */
import type { QualityDifference } from './stats.js';

/** Bad input (a missing folder, a malformed log or scenario, an impossible option): the message names what and where. */
export class CompareInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareInputError';
  }
}

/** Adds the CPU time of `work` to a phase (two clock reads per call). */
export interface PhaseMeter {
  run(work: () => void): void;
}

export interface ModelRun {
  /** Offline training on the workload's training data. */
  train(meter: PhaseMeter): void;
  /** Unmeasured, between `train` and `serve`: keeps what the later passes start from. */
  prepare?(): void;
  /**
   * Serving every list of the workload and, in the show, learning online from its feedback; the
   * candidate vectors of each chunk of lists are built under `common` first.
   */
  serve(meter: PhaseMeter, common: PhaseMeter): void;
  /** The online learning of `serve` alone, from the same trained state (the show only). */
  learnOnly?(meter: PhaseMeter): void;
  /** The serving again, timing each list's ranking in microseconds (not an energy phase: 2 clock reads a list). */
  latency(out: number[]): void;
  /** Throws when `serve` did not reproduce the recorded decisions (the replay must be the work that was evaluated). */
  verify(): void;
}

export interface ModelSpec {
  /** 'light' or 'heavy'. */
  role: 'light' | 'heavy';
  /** What the model is, for a reader. */
  description: string;
  parameters: number;
  /** Dense multiply-adds of scoring one item (the nominal cost; sparse inputs make the real one lower). */
  flopsPerItem: number;
  /** How it learns online during serving, or that it does not. */
  onlineLearning: string;
  newRun(): ModelRun;
}

/** Quality of one model on one workload. */
export interface ModelQuality {
  /** Click-through estimate: clicks per item shown (show), the doubly robust estimate (OBD sample). */
  ctr: number;
  ci95: [number, number];
  /** Clicks behind the estimate … */
  clicks: number;
  /** … out of the items shown (show) or the evaluated rows where the policy chose the logged item (OBD). */
  outOf: number;
  /** The show only: expected clicks per item shown under the world's known truth (no click noise). */
  expectedCtr?: number;
  /** The OBD sample only: the SNIPS estimate from the rows where the model picked the logged item (replay on a uniform log). */
  snips?: number;
}

export interface WorkloadQuality {
  /** What is estimated, and how its interval is made. */
  metric: string;
  interval: string;
  light: ModelQuality;
  heavy: ModelQuality;
  /** light − heavy. */
  difference: QualityDifference;
}

export interface Workload {
  id: string;
  kind: 'obd' | 'show';
  description: string;
  /** Ranked lists served (one recommendation = one ranked list for one viewer or one logged impression). */
  recommendations: number;
  /** Mean candidates scored per list. */
  itemsPerList: number;
  /** Examples the offline training saw. */
  trainingExamples: number;
  light: ModelSpec;
  heavy: ModelSpec;
  /** Quality, from the evaluated run (call after at least one round). */
  quality(): WorkloadQuality;
  notes: string[];
}
