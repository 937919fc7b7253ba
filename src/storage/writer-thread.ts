import { WorkerClient } from '../shared/worker-client.js';

/** One statement for the writer thread: SQL and the values bound to it, in order. */
export type WriterStatement = readonly [sql: string, values: readonly unknown[]];

/**
 * How a batch's commit waits for the disk: FULL (orders, chat, anything acknowledged as stored)
 * or NORMAL (telemetry such as the decision log; carried to disk by the next FULL commit).
 */
export type WriterDurability = 'FULL' | 'NORMAL';

const committed = (): void => undefined;

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
 * for `restartAfterMs`; the next batch after that starts a new thread (src/shared/worker-client.ts).
 */
export class SqliteWriterThread {
  readonly #client: WorkerClient;

  constructor(
    readonly file: string,
    options: { busyTimeoutMs?: number; restartAfterMs?: number } = {},
  ) {
    this.#client = new WorkerClient(new URL('./writer.worker.mjs', import.meta.url), {
      workerData: { file, busyTimeoutMs: options.busyTimeoutMs ?? 5000 },
      error: (code, message) => new WriterThreadError(code, message),
      name: 'writer',
      restartAfterMs: options.restartAfterMs ?? 1_000,
    });
  }

  /**
   * Runs the statements as one transaction on the writer thread; resolves once it is committed.
   * They are copied into the thread's message before this returns: the caller's arrays are not
   * held while the commit is awaited.
   */
  run(statements: readonly WriterStatement[], durability: WriterDurability = 'FULL'): Promise<void> {
    try {
      return this.#client.request({ type: 'run', statements, synchronous: durability }).then(committed);
    } catch (err) {
      // A thread that could not even be started: refused like any other failure, never thrown.
      return Promise.reject(err);
    }
  }

  /** Lets the batches already handed over commit, then closes the thread's connection and the thread. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
