import { Worker, type Transferable } from 'node:worker_threads';

/**
 * What a worker script answers: `{ type: 'done', id, ...result }` for each request, with
 * `error: { code, message }` when it failed; `{ type: 'closed' }` once it has let go of its
 * resources after a `{ type: 'close' }` message.
 */
type FromWorker = { type: 'done'; id: number; error?: { code: string; message: string } } | { type: 'closed' };

interface Waiting {
  resolve: (answer: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

export interface WorkerClientOptions {
  workerData?: unknown;
  /** The error a failed request, a dead thread or a closed client is reported with. */
  error: (code: string, message: string) => Error;
  /** What a dead thread is called in its errors ("storage writer", "audit"). */
  name: string;
  /**
   * After the thread died, requests are refused with the reason for this long before one starts a
   * new thread (0: the next request starts one).
   */
  restartAfterMs?: number;
}

/**
 * Requests to a long-lived worker thread, answered in order: the thread starts on the first
 * request; idle, it does not keep the process alive, and while a request is in hand it does. If
 * the thread dies (it failed to start, or crashed), the requests in hand are refused with the
 * reason, and so is every request for `restartAfterMs`; the next one after that starts a new
 * thread. `close` lets the requests handed over be answered, then ends the thread.
 *
 * Used by the storage's writer thread and the fairness audit's thread.
 */
export class WorkerClient {
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;
  #failed: { error: Error; at: number } | undefined;

  constructor(
    private readonly script: URL,
    private readonly options: WorkerClientOptions,
  ) {}

  /** Hands `message` (given an id) to the thread; resolves with its answer's other fields. */
  request(message: Record<string, unknown>, transfer?: readonly Transferable[]): Promise<Record<string, unknown>> {
    if (this.#closed !== undefined) return Promise.reject(this.options.error('CLOSED', `the ${this.options.name} thread is closed`));
    if (this.#failed) {
      // A thread that could not start (or crashed) is not restarted at once: requests fail fast
      // for a while instead of spawning a thread each.
      if (Date.now() - this.#failed.at < (this.options.restartAfterMs ?? 0)) return Promise.reject(this.#failed.error);
      this.#failed = undefined;
    }
    const worker = this.#started();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      // A request in hand keeps the process alive until it is answered.
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...message, id }, transfer as Transferable[] | undefined);
      } catch (err) {
        // Not something the thread can be handed (a value structured clone refuses).
        this.#answered(worker, id);
        reject(this.options.error('NOT_CLONEABLE', `the request could not be handed to the ${this.options.name} thread: ${(err as Error).message}`));
      }
    });
  }

  /** Whether `close` was called: every request from then on is refused. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Lets the requests already handed over be answered, then ends the thread. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      const worker = this.#worker;
      // None started, or the last one died (its requests were refused then).
      if (!worker) return resolve();
      // Messages are handled in order: every request sent before this one has been answered.
      this.#onClosed = resolve;
      worker.ref();
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'close' });
    });
    return this.#closed;
  }

  #answered(worker: Worker, id: number): Waiting | undefined {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    // Idle again, unless closing: close holds the process until the thread says it closed.
    if (this.#waiting.size === 0 && this.#closed === undefined) worker.unref();
    return waiting;
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.script, {
      workerData: this.options.workerData,
      // Nothing of the parent's loader or flags: a script that needs a loader registers its own.
      execArgv: [],
    });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'closed') return this.#onClosed?.();
      const waiting = this.#answered(worker, message.id);
      if (!waiting) return;
      const { type: _type, id: _id, error, ...answer } = message;
      if (error) waiting.reject(this.options.error(error.code, error.message));
      else waiting.resolve(answer);
    });
    const fail = (err: Error) => {
      if (this.#worker !== worker) return;
      this.#failed = { error: err, at: Date.now() };
      this.#worker = undefined;
      void worker.terminate();
      for (const waiting of this.#waiting.values()) waiting.reject(err);
      this.#waiting.clear();
    };
    worker.on('error', (err) => fail(this.options.error('WORKER_FAILED', err.message)));
    worker.on('exit', (code) => {
      if (this.#closed === undefined) return fail(this.options.error('WORKER_EXITED', `${this.options.name} thread exited with code ${code}`));
      // Closing: every request asked before was answered, unless the thread died on the way.
      for (const waiting of this.#waiting.values()) waiting.reject(this.options.error('CLOSED', `the ${this.options.name} thread closed`));
      this.#waiting.clear();
    });
    // Idle, the thread does not keep the process alive (a CLI command ends when its work does).
    // After the listeners: adding a message listener refs the thread again.
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}
