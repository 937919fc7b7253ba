import { Worker } from 'node:worker_threads';

/** One INSERT and the values bound to it, in column order. */
export type DecisionInsert = readonly [sql: string, values: readonly unknown[]];

/** A batch the writer thread could not commit: SQLite's error code and message, nothing of the rows. */
export class DecisionLogWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`decision log write failed: ${message}`);
    this.name = 'DecisionLogWriteError';
  }
}

type FromWorker = { type: 'done'; id: number; error?: { code: string; message: string } } | { type: 'closed' };

/**
 * The decision log's inserts on SQLite, on a thread of their own with its own connection to the
 * database file. On the request thread a logged list costs only copying its rows' values into a
 * message; binding them, the B-tree and index updates and the commit (about a fifth of a
 * recommendation request's CPU, and a stall of the event loop per batch) happen beside it.
 *
 * Each batch is one transaction on that connection (WAL: readers are never blocked; a writer on
 * the main connection waits at most the batch's commit, as with any other writer). A batch's
 * promise settles once it is committed, so a read after `append` resolves sees its rows.
 */
export class DecisionLogThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  #next = 1;
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;
  #failed: Error | undefined;

  constructor(file: string, options: { busyTimeoutMs?: number } = {}) {
    this.#worker = new Worker(new URL('./decision-log.worker.mjs', import.meta.url), {
      workerData: { file, busyTimeoutMs: options.busyTimeoutMs ?? 5000 },
      // Nothing of the parent's loader or flags is needed: the worker is plain JavaScript.
      execArgv: [],
    });
    this.#worker.on('message', (message: FromWorker) => {
      if (message.type === 'closed') return this.#onClosed?.();
      const waiting = this.#waiting.get(message.id);
      if (!waiting) return;
      this.#waiting.delete(message.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      if (message.error) waiting.reject(new DecisionLogWriteError(message.error.code, message.error.message));
      else waiting.resolve();
    });
    const fail = (err: Error) => {
      this.#failed = err;
      for (const waiting of this.#waiting.values()) waiting.reject(err);
      this.#waiting.clear();
    };
    this.#worker.on('error', (err) => fail(new DecisionLogWriteError('WORKER_FAILED', err.message)));
    this.#worker.on('exit', (code) => {
      if (this.#closed === undefined) fail(new DecisionLogWriteError('WORKER_EXITED', `writer thread exited with code ${code}`));
    });
    // An idle writer does not keep the process alive (a CLI command ends when its work does);
    // one with batches in hand does, until they are committed. (After the listeners: adding a
    // message listener refs the thread again.)
    this.#worker.unref();
  }

  /** Commits the inserts as one transaction on the writer thread; resolves once committed. */
  append(inserts: readonly DecisionInsert[]): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new DecisionLogWriteError('CLOSED', 'the decision log writer is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#next++;
    return new Promise<void>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'append', id, inserts });
    });
  }

  /** Lets the batches already sent commit, then closes the thread's connection and the thread. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#failed) {
        void this.#worker.terminate().then(() => resolve());
        return;
      }
      // Messages are handled in order: every batch sent before this one has been answered.
      this.#onClosed = resolve;
      this.#worker.ref();
      this.#worker.once('exit', () => resolve());
      this.#worker.postMessage({ type: 'close' });
    });
    return this.#closed;
  }
}
