import { computeAudit, type AuditInput } from '../audit/engine.js';
import type { AuditLogColumns } from '../audit/log.js';
import type { AuditRunner, CollectedLog, DecisionScope, FairnessStore } from '../ports.js';
import { collectDecisions } from './collect.js';

/**
 * Reads and computes audits on the calling thread: for tests and one-off commands, where nothing
 * else waits on the event loop. A server uses `AuditThread`.
 */
export class InProcessAuditRunner implements AuditRunner {
  #closed = false;

  /** `store`: where `collect` reads the decision log (a runner that only computes needs none). */
  constructor(private readonly store?: FairnessStore) {}

  async collect(scope: DecisionScope): Promise<CollectedLog> {
    if (this.#closed) throw new AuditRunnerError('CLOSED', 'the audit runner is closed');
    if (!this.store) throw new AuditRunnerError('NO_SOURCE', 'the audit runner was given no decision log to read');
    return collectDecisions(this.store, scope);
  }

  async compute(log: AuditLogColumns, input: AuditInput) {
    if (this.#closed) throw new AuditRunnerError('CLOSED', 'the audit runner is closed');
    const start = performance.now();
    const computation = computeAudit(log, input);
    return { computation, cpuMicros: Math.round((performance.now() - start) * 1000) };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

export type AuditRunnerErrorCode = 'CLOSED' | 'NO_SOURCE' | 'WORKER_FAILED' | 'WORKER_EXITED' | 'COMPUTE_FAILED' | 'READ_FAILED' | 'NOT_CLONEABLE';

/** An audit the runner could not read or compute: a stable code and a message, nothing of the log. */
export class AuditRunnerError extends Error {
  constructor(
    readonly code: AuditRunnerErrorCode,
    message: string,
  ) {
    super(`fairness audit: ${message}`);
    this.name = 'AuditRunnerError';
  }
}
