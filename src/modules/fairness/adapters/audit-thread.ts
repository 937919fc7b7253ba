import { WorkerClient } from '../../../shared/worker-client.js';
import type { StorageLocation } from '../../../storage/index.js';
import type { AuditComputation, AuditInput } from '../audit/engine.js';
import { logBuffers, type AuditLogColumns } from '../audit/log.js';
import type { AuditRunner, CollectedLog, DecisionScope, FairnessStore } from '../ports.js';
import { AuditRunnerError, type AuditRunnerErrorCode } from './audit-in-process.js';
import { collectDecisions } from './collect.js';

/**
 * Reads and computes audits on a thread of its own, so that a big audit never stops the event
 * loop: reading the decision log is about 8 µs of synchronous work per decision, computing the audit
 * about half a second per million, and a live check of a busy show runs every few minutes beside
 * the requests.
 *
 * The thread reads the log through its own read-only connection to the database
 * (`Storage.location`, `openReader`): a SQLite file in WAL mode is read without blocking the
 * writers; on PostgreSQL the thread holds one connection. Without a location (an in-memory SQLite
 * database, which no other connection sees) the log is read through `store` on the calling thread.
 *
 * The log's typed arrays are moved between the threads, not copied (a log handed to `compute` is
 * unusable here afterwards). Requests run one after another in the order asked. The thread starts
 * on the first request (loading the engine takes a few hundred milliseconds) and then stays; idle,
 * it does not keep the process alive. If it dies, the requests in hand are refused with the reason
 * and the next one starts a new thread (src/shared/worker-client.ts).
 */
export class AuditThread implements AuditRunner {
  readonly #client: WorkerClient;
  readonly #database: StorageLocation | undefined;
  readonly #store: FairnessStore | undefined;

  constructor(
    options: {
      /** The database the thread reads the decision log from, with a connection of its own. */
      database?: StorageLocation | undefined;
      /** Where the log is read without a `database`: on the calling thread. */
      store?: FairnessStore | undefined;
      /** The thread's script (tests give a stand-in); default: the engine's own (`audit.worker.mjs`). */
      script?: URL;
    } = {},
  ) {
    this.#database = options.database;
    this.#store = options.store;
    this.#client = new WorkerClient(options.script ?? new URL('./audit.worker.mjs', import.meta.url), {
      workerData: { database: options.database },
      error: (code, message) => new AuditRunnerError(code as AuditRunnerErrorCode, message),
      name: 'audit',
    });
  }

  async collect(scope: DecisionScope): Promise<CollectedLog> {
    if (!this.#database) {
      if (!this.#store) throw new AuditRunnerError('NO_SOURCE', 'the audit thread was given no decision log to read');
      if (this.#client.closed) throw new AuditRunnerError('CLOSED', 'the audit thread is closed');
      return collectDecisions(this.#store, scope);
    }
    const answer = await this.#client.request({ type: 'collect', scope });
    return answer as unknown as CollectedLog;
  }

  async compute(log: AuditLogColumns, input: AuditInput): Promise<{ computation: AuditComputation; cpuMicros: number }> {
    const answer = await this.#client.request({ type: 'compute', log, input }, logBuffers(log));
    return answer as unknown as { computation: AuditComputation; cpuMicros: number };
  }

  /** Lets the requests in hand finish, then ends the thread (and closes its connection). */
  close(): Promise<void> {
    return this.#client.close();
  }
}
