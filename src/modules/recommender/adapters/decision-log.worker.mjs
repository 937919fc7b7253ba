// The decision log's writer thread (see decision-log-thread.ts). Plain JavaScript so that it runs
// as it is in every runtime the server runs in: it only binds values to SQL it is given.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
// Telemetry: committed without waiting for the disk. The rows reach it with the next fully
// synchronous commit on the main connection (one WAL file), or at the next checkpoint.
db.pragma('synchronous = NORMAL');

/** SQL text → prepared statement; the client sends two texts at most (a chunk of rows, one row). */
const statements = new Map();
const prepared = (text) => {
  let statement = statements.get(text);
  if (statement === undefined) {
    statement = db.prepare(text);
    statements.set(text, statement);
  }
  return statement;
};

const append = db.transaction((inserts) => {
  for (const [text, values] of inserts) prepared(text).run(values);
});

parentPort.on('message', (message) => {
  if (message.type === 'close') {
    db.close();
    parentPort.postMessage({ type: 'closed' });
    parentPort.close();
    return;
  }
  try {
    append(message.inserts);
    parentPort.postMessage({ type: 'done', id: message.id });
  } catch (err) {
    // The statement's SQL and values never leave this thread: only SQLite's code and message.
    parentPort.postMessage({ type: 'done', id: message.id, error: { code: err?.code ?? 'SQLITE_ERROR', message: String(err?.message ?? err) } });
  }
});
