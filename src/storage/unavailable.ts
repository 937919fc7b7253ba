/**
 * Whether an error means "the database cannot be reached or cannot take writes now" (a lost
 * connection, a server shutting down, a full disk, a lock held too long) rather than a bug or a bad
 * request. Routes answer those with 503 NOT_READY and Retry-After — the transaction did not commit,
 * so the client resends the same request (same client event id) — instead of 500.
 */
const CODES = new Set([
  // Node sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL SQLSTATE: connection exceptions (08…), operator intervention (57P0…), too many connections, disk full
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53100',
  '53300',
]);
// SQLite: busy past the timeout, locked, I/O error, disk full, cannot open, read-only file.
const SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)/;
// node-postgres reports a dropped connection and a connect timeout by message only.
const MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

export function isStorageUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e !== 'object') return false;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (CODES.has(code) || SQLITE.test(code))) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
  }
  return false;
}
