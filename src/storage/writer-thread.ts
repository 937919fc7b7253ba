import { Worker } from 'node:worker_threads';

/** One statement for the writer thread: SQL and the values bound to it, in order. */
export type WriterStatement = readonly [sql: string, values: readonly unknown[]];

/**
 * How a batch's commit waits for the disk: FULL (orders, chat, anything acknowledged as stored)
 * or NORMAL (telemetry such as the decision log; carried to disk by the next FULL commit).
 */
export type WriterDurability = 'FULL' | 'NORMAL';

/** A batch the writer thread could not commit: SQLite's error code and message, nothing of the rows. */
export class WriterThreadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`storage writer: ${message}`);
    this.name = 'WriterThreadError';
  }
}

type FromWorker = { type: 'done'; id: number; error?: { code: string; message: string } } | { type: 'closed' };

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Batched writes to a SQLite database file on a thread of its own, with its own connection. For
 * the hot write paths that need no read-your-write inside a request (the decision log, chat's
 * group commit): on the request thread a batch costs only copying its values into a message;
 * binding, B-tree and index updates, the commit and its fsync happen beside it.
 *
 * Each batch is one transaction (all or nothing). WAL never blocks readers; a writer on the main
 * connection waits at most one batch's commit (busy timeout), as with any other writer. A batch's
 * promise settles once it is committed, so a read after it sees its rows. The thread starts on
 * the first batch; idle, it does not keep the process alive. If the thread dies (it could not open
 * the file, or crashed), the batches in hand are refused with the reason, and so is every batch
 * for `restartAfterMs`; the next batch after that starts a new thread.
 */
export class SqliteWriterThread {
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;
  #failed: { error: Error; at: number } | undefined;

  constructor(
    readonly file: string,
    private readonly options: { busyTimeoutMs?: number; restartAfterMs?: number } = {},
  ) {}

  /** Runs the statements as one transaction on the writer thread; resolves once it is committed. */
  run(statements: readonly WriterStatement[], durability: WriterDurability = 'FULL'): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new WriterThreadError('CLOSED', 'the writer thread is closed'));
    if (this.#failed) {
      // A thread that could not start (or crashed) is not restarted at once: batches fail fast
      // for a while instead of spawning a thread every flush.
      if (Date.now() - this.#failed.at < (this.options.restartAfterMs ?? 1_000)) return Promise.reject(this.#failed.error);
      this.#failed = undefined;
    }
    const worker = this.#started();
    const id = this.#next++;
    return new Promise<void>((resolve, reject) => {
      // A batch in hand keeps the process alive until it is committed.
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ type: 'run', id, statements, synchronous: durability });
    });
  }

  /** Lets the batches already handed over commit, then closes the thread's connection and the thread. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      const worker = this.#worker;
      // None started, or the last one died (its batches were refused then).
      if (!worker) return resolve();
      // Messages are handled in order: every batch sent before this one has been answered.
      this.#onClosed = resolve;
      worker.ref();
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'close' });
    });
    return this.#closed;
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./writer.worker.mjs', import.meta.url), {
      workerData: { file: this.file, busyTimeoutMs: this.options.busyTimeoutMs ?? 5000 },
      // Nothing of the parent's loader or flags is needed: the worker is plain JavaScript.
      execArgv: [],
    });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'closed') return this.#onClosed?.();
      const waiting = this.#waiting.get(message.id);
      if (!waiting) return;
      this.#waiting.delete(message.id);
      // Idle again, unless closing: close holds the process until the thread says it closed.
      if (this.#waiting.size === 0 && this.#closed === undefined) worker.unref();
      if (message.error) waiting.reject(new WriterThreadError(message.error.code, message.error.message));
      else waiting.resolve();
    });
    const fail = (err: Error) => {
      if (this.#worker !== worker) return;
      this.#failed = { error: err, at: Date.now() };
      this.#worker = undefined;
      void worker.terminate();
      for (const waiting of this.#waiting.values()) waiting.reject(err);
      this.#waiting.clear();
    };
    worker.on('error', (err) => fail(new WriterThreadError('WORKER_FAILED', err.message)));
    worker.on('exit', (code) => {
      if (this.#closed === undefined) fail(new WriterThreadError('WORKER_EXITED', `writer thread exited with code ${code}`));
    });
    // Idle, the writer does not keep the process alive (a CLI command ends when its work does).
    // After the listeners: adding a message listener refs the thread again.
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}
