import { WorkerClient } from '../../../shared/worker-client.js';
import type { AuditComputation, AuditInput } from '../audit/engine.js';
import type { AuditLogColumns } from '../audit/log.js';
import type { AuditRunner } from '../ports.js';
import { AuditRunnerError, type AuditRunnerErrorCode } from './audit-in-process.js';

/**
 * Computes audits on a thread of its own, so that a big audit never stops the event loop: the
 * audit is about half a second of synchronous work per million decisions, and a live check of a
 * busy show runs every few minutes beside the requests.
 *
 * The log's typed arrays are transferred to the thread, not copied (they are unusable here
 * afterwards). Audits run one after another in the order asked. The thread starts on the first
 * audit (loading the engine takes a few hundred milliseconds) and then stays; idle, it does not
 * keep the process alive. If it dies, the audits in hand are refused with the reason and the next
 * one starts a new thread (src/shared/worker-client.ts).
 */
export class AuditThread implements AuditRunner {
  readonly #client: WorkerClient;

  constructor(
    options: {
      /** The thread's script (tests give a stand-in); default: the engine's own (`audit.worker.mjs`). */
      script?: URL;
    } = {},
  ) {
    this.#client = new WorkerClient(options.script ?? new URL('./audit.worker.mjs', import.meta.url), {
      error: (code, message) => new AuditRunnerError(code as AuditRunnerErrorCode, message),
      name: 'audit',
    });
  }

  async compute(log: AuditLogColumns, input: AuditInput): Promise<{ computation: AuditComputation; cpuMicros: number }> {
    const answer = await this.#client.request({ type: 'compute', log, input }, transferables(log));
    return answer as unknown as { computation: AuditComputation; cpuMicros: number };
  }

  /** Lets the audits in hand finish, then ends the thread. */
  close(): Promise<void> {
    return this.#client.close();
  }
}

/** The distinct buffers under the log's typed arrays (each is moved once). */
function transferables(log: AuditLogColumns): ArrayBuffer[] {
  const columns: ArrayBufferView[] = [log.list, log.unit, log.product, log.position, log.priceFen, log.listPriceFen, log.clicked, log.purchased, log.personalised, log.rerank];
  for (const column of Object.values(log.segments ?? {})) columns.push(column.code);
  const buffers = new Set<ArrayBuffer>();
  for (const c of columns) if (c?.buffer instanceof ArrayBuffer) buffers.add(c.buffer);
  return [...buffers];
}
