import { Worker } from 'node:worker_threads';
import type { AuditComputation, AuditInput } from '../audit/engine.js';
import type { AuditLogColumns } from '../audit/log.js';
import type { AuditRunner } from '../ports.js';
import { AuditRunnerError } from './audit-in-process.js';

type FromWorker =
  | { type: 'done'; id: number; computation: AuditComputation; cpuMicros: number; error?: undefined }
  | { type: 'done'; id: number; error: { name: string; message: string } }
  | { type: 'closed' };

interface Waiting {
  resolve: (value: { computation: AuditComputation; cpuMicros: number }) => void;
  reject: (err: Error) => void;
}

/**
 * Computes audits on a thread of its own, so that a big audit never stops the event loop: the
 * audit is about half a second of synchronous work per million decisions, and a live check of a
 * busy show runs every few minutes beside the requests.
 *
 * The log's typed arrays are transferred to the thread, not copied (they are unusable here
 * afterwards). Audits run one after another in the order asked. The thread starts on the first
 * audit (loading the engine takes a few hundred milliseconds) and then stays; idle, it does not
 * keep the process alive. If it dies, the audits in hand are refused with the reason and the next
 * one starts a new thread.
 */
export class AuditThread implements AuditRunner {
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;
  #closed: Promise<void> | undefined;

  constructor(
    private readonly options: {
      /** The thread's script (tests give a stand-in); default: the engine's own (`audit.worker.mjs`). */
      script?: URL;
    } = {},
  ) {}

  compute(log: AuditLogColumns, input: AuditInput): Promise<{ computation: AuditComputation; cpuMicros: number }> {
    if (this.#closed !== undefined) return Promise.reject(new AuditRunnerError('CLOSED', 'the audit thread is closed'));
    const worker = this.#started();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      // An audit in hand keeps the process alive until it is answered.
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject });
      try {
        worker.postMessage({ type: 'compute', id, log, input }, transferables(log));
      } catch (err) {
        // Not a log this thread can be handed (a column that is no typed array, say).
        this.#waiting.delete(id);
        if (this.#waiting.size === 0 && this.#closed === undefined) worker.unref();
        reject(new AuditRunnerError('COMPUTE_FAILED', `the log could not be handed to the audit thread: ${(err as Error).message}`));
      }
    });
  }

  /** Lets the audits in hand finish, then ends the thread. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      const worker = this.#worker;
      if (!worker) return resolve();
      worker.ref();
      worker.once('exit', () => resolve());
      // Messages are handled in order: every audit asked before this one has been answered.
      worker.postMessage({ type: 'close' });
    });
    return this.#closed;
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.options.script ?? new URL('./audit.worker.mjs', import.meta.url), {
      // The thread registers its own TypeScript loader; nothing of the parent's flags is needed.
      execArgv: [],
    });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'closed') return;
      const waiting = this.#waiting.get(message.id);
      if (!waiting) return;
      this.#waiting.delete(message.id);
      if (this.#waiting.size === 0 && this.#closed === undefined) worker.unref();
      if (message.error) waiting.reject(new AuditRunnerError('COMPUTE_FAILED', `${message.error.name}: ${message.error.message}`));
      else waiting.resolve({ computation: message.computation, cpuMicros: message.cpuMicros });
    });
    const fail = (err: AuditRunnerError) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      void worker.terminate();
      for (const waiting of this.#waiting.values()) waiting.reject(err);
      this.#waiting.clear();
    };
    worker.on('error', (err) => fail(new AuditRunnerError('WORKER_FAILED', err.message)));
    worker.on('exit', (code) => {
      if (this.#closed === undefined) return fail(new AuditRunnerError('WORKER_EXITED', `audit thread exited with code ${code}`));
      // Closing: every audit asked before was answered, unless the thread died on the way.
      for (const waiting of this.#waiting.values()) waiting.reject(new AuditRunnerError('CLOSED', 'the audit thread closed'));
      this.#waiting.clear();
    });
    // Idle, the thread does not keep the process alive. After the listeners: adding a message
    // listener refs the thread again.
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}

/** The distinct buffers under the log's typed arrays (several columns may share none; each is moved once). */
function transferables(log: AuditLogColumns): ArrayBuffer[] {
  const columns: ArrayBufferView[] = [log.list, log.unit, log.product, log.position, log.priceFen, log.listPriceFen, log.clicked, log.purchased, log.personalised, log.rerank];
  for (const column of Object.values(log.segments)) columns.push(column.code);
  const buffers = new Set<ArrayBuffer>();
  for (const c of columns) if (c.buffer instanceof ArrayBuffer) buffers.add(c.buffer);
  return [...buffers];
}
