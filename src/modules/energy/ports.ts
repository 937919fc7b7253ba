/** What energy accounting needs from storage. Nothing here concerns a viewer. */
import type { SampleTotals } from './accounting.js';
import type { MeteredComponent } from './meter.js';

/** One node's period, as measured (raw inputs; energy is computed at report time). */
export interface StoredSample {
  readonly id: string;
  readonly node: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly wallMs: number;
  readonly vcpus: number;
  readonly processCpuMicros: number;
  readonly componentMicros: Readonly<Record<MeteredComponent, number>>;
  readonly otherMicros: number;
  readonly spanScale: number;
  readonly memoryGbHours: number;
  readonly raplJoules: number | null;
  readonly raplNote: string | null;
  readonly counts: Readonly<Record<MeteredComponent, number>>;
}

/** A live session's share of one sample. */
export interface StoredSessionShare {
  readonly sessionId: string;
  /** The session's metered work (span µs) and all metered work in the sample. */
  readonly spanMicros: number;
  readonly sampleSpanMicros: number;
  readonly recommendations: number;
}

/** A session's share joined with its sample's figures, for the live meter. */
export interface SessionSampleRow extends StoredSessionShare {
  readonly startedAt: number;
  readonly wallMs: number;
  readonly vcpus: number;
  readonly processCpuMicros: number;
  readonly memoryGbHours: number;
  readonly raplJoules: number | null;
}

export interface EnergyStore {
  /** Stores a sample and its sessions' shares together (one transaction). */
  append(sample: StoredSample, sessions: readonly StoredSessionShare[]): Promise<void>;
  /** Sums of the samples that started in [from, until). */
  totals(from: number, until: number): Promise<SampleTotals>;
  /** Sums per bucket: buckets start at `offsetMs` + n × `bucketMs`; empty buckets are left out. */
  buckets(from: number, until: number, bucketMs: number, offsetMs: number): Promise<{ start: number; totals: SampleTotals }[]>;
  /** A session's shares, oldest first. */
  sessionSamples(sessionId: string): Promise<SessionSampleRow[]>;
  /** Hours the live sessions were live within [from, until) (a session still live counts to `until`). */
  liveSessionHours(from: number, until: number): Promise<number>;
  /** Deletes samples that started before the cutoff; returns how many. */
  purgeBefore(cutoff: number): Promise<number>;
}
