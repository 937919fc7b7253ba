/** What fairness audits need from storage. Nothing here identifies a viewer. */
import type { AuditSummaryRow, AuditTrigger, FairnessAlert, FairnessReport } from './audit/contract.js';
import type { AuditComputation, AuditInput } from './audit/engine.js';
import type { AuditLogColumns, AuditRow } from './audit/log.js';

export interface DecisionScope {
  readonly brandId: string;
  /** One session, or every session of the brand. */
  readonly sessionId: string | null;
  readonly from: number;
  readonly until: number;
  /** Only the decisions one experiment's arm made. */
  readonly experiment?: { readonly id: string; readonly arm: string } | undefined;
}

export interface StoredAudit {
  readonly report: FairnessReport;
  readonly summary: AuditSummaryRow;
  /** Makes a scheduled, end-of-session or live audit run once across nodes; null on demand. */
  readonly runKey: string | null;
}

export interface AuditQuery {
  readonly brandId?: string | undefined;
  readonly sessionId?: string | undefined;
  readonly trigger?: AuditTrigger | undefined;
  /** Newest first, before this time. */
  readonly before?: number | undefined;
  readonly limit: number;
}

export interface FairnessStore {
  /**
   * Visits the scope's decisions that carry the audit's fields (those logged before they were
   * recorded are skipped and counted), in pages, oldest first.
   */
  scanDecisions(scope: DecisionScope, visit: (row: AuditRow) => void): Promise<{ skipped: number }>;
  /** Live sessions with their brand and start, for live audits. */
  liveSessions(): Promise<{ sessionId: string; brandId: string; startedAt: number }[]>;
  /** Brands whose sessions made decisions in [from, until). */
  brandsWithDecisions(from: number, until: number): Promise<string[]>;
  /** Sessions that ended since a time and have no end-of-session audit yet. */
  endedWithoutAudit(since: number): Promise<{ sessionId: string; brandId: string; startedAt: number | null; endedAt: number }[]>;
  session(sessionId: string): Promise<{ brandId: string; startedAt: number | null; endedAt: number | null } | undefined>;
  catalogueSize(brandId: string): Promise<number>;
  /** Products of the brand that name a seller (a `seller` attribute in the catalogue), by id. */
  productSellers(brandId: string): Promise<Map<string, string>>;

  /** Stores an audit; false (nothing stored) when its run key was taken already. */
  saveAudit(audit: StoredAudit): Promise<boolean>;
  audit(id: string): Promise<FairnessReport | undefined>;
  audits(query: AuditQuery): Promise<AuditSummaryRow[]>;
  hasRunKey(runKey: string): Promise<boolean>;

  saveAlert(alert: FairnessAlert): Promise<void>;
  alerts(query: { brandId?: string | undefined; sessionId?: string | undefined; limit: number }): Promise<FairnessAlert[]>;
  acknowledgeAlert(id: string, by: string, at: number): Promise<boolean>;

  /** Retention: audits (and their alerts) made before the cutoff. */
  purgeBefore(cutoff: number): Promise<number>;
}

/** The audit's columns, read from the decision log. */
export interface CollectedLog {
  /** Undefined when the scope holds no decision that carries the audit's fields. */
  readonly log: AuditLogColumns | undefined;
  /** Decisions in the scope logged before the audit's fields were recorded (not in the log). */
  readonly skipped: number;
  /**
   * The time the reading kept its thread busy (not counting the waits for the database), when it
   * ran on a thread of its own; on the calling thread it is part of that thread's own work.
   */
  readonly cpuMicros?: number;
}

/**
 * Reads the decision log into the audit's columns and computes the audit (the pure engine in
 * `audit/engine.ts`). Both are synchronous work that grows with the show: a live check of a busy
 * show reads millions of decisions (~8 µs each) and computes a few hundred milliseconds per million,
 * so a server does both beside the event loop (`AuditThread`); tests and one-off commands may do
 * them in process.
 */
export interface AuditRunner {
  /** The scope's decisions as the audit's columns, oldest first (`FairnessStore.scanDecisions`). */
  collect(scope: DecisionScope): Promise<CollectedLog>;
  /**
   * The audit of the log. The log's typed arrays may be handed to another thread (they are unusable
   * here afterwards). `cpuMicros` is the time the computation took on the thread that ran it.
   */
  compute(log: AuditLogColumns, input: AuditInput): Promise<{ computation: AuditComputation; cpuMicros: number }>;
  /** Stops whatever the runner started; audits asked for afterwards are refused. */
  close(): Promise<void>;
}
