import { AuditLogBuilder } from '../audit/log.js';
import type { CollectedLog, DecisionScope, FairnessStore } from '../ports.js';

/**
 * Reads the scope's decisions from the store into the audit's columns. On a thread of its own (the
 * audit thread) `measured` reports the time its event loop was busy meanwhile: the reading's own
 * work, without the waits for the database.
 */
export async function collectDecisions(store: FairnessStore, scope: DecisionScope, options: { measured?: boolean } = {}): Promise<CollectedLog> {
  const before = options.measured ? performance.eventLoopUtilization() : undefined;
  const builder = new AuditLogBuilder();
  const { skipped } = await store.scanDecisions(scope, (row) => builder.push(row));
  const log = builder.rows > 0 ? builder.build() : undefined;
  if (!before) return { log, skipped };
  return { log, skipped, cpuMicros: Math.round(performance.eventLoopUtilization(before).active * 1000) };
}
