// The SQLite writer thread (see writer-thread.ts). Plain JavaScript so that it runs as it is in
// every runtime the server runs in: it only binds values to SQL it is given, one transaction per
// batch, and answers once the batch is committed.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('foreign_keys = ON');
db.pragma('secure_delete = ON');
let synchronous = '';

/** SQL text → prepared statement (callers send a handful of texts compiled once). */
const statements = new Map();
const prepared = (text) => {
  let statement = statements.get(text);
  if (statement === undefined) {
    if (statements.size >= 200) statements.clear();
    statement = db.prepare(text);
    statements.set(text, statement);
  }
  return statement;
};

/** Blobs arrive as Uint8Array (structured clone drops Buffer's prototype); SQLite wants Buffers. */
const bindable = (values) => values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));

const batch = db.transaction((items) => {
  for (const [text, values] of items) prepared(text).run(bindable(values));
});

parentPort.on('message', (message) => {
  if (message.type === 'close') {
    db.close();
    parentPort.postMessage({ type: 'closed' });
    parentPort.close();
    return;
  }
  try {
    if (message.synchronous !== synchronous) {
      db.pragma(`synchronous = ${message.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      synchronous = message.synchronous;
    }
    batch(message.statements);
    parentPort.postMessage({ type: 'done', id: message.id });
  } catch (err) {
    // The statements' SQL and values never leave this thread: only SQLite's code and message.
    parentPort.postMessage({ type: 'done', id: message.id, error: { code: err?.code ?? 'SQLITE_ERROR', message: String(err?.message ?? err) } });
  }
});
