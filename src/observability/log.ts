/**
 * Errors as logged: type, code, message and stack only. Database drivers put the offending values in
 * other fields (PostgreSQL's `detail`: "Key (name)=(…) already exists"), which may be personal data.
 */
export function safeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown };
  return { type: e.name, ...(typeof e.code === 'string' ? { code: e.code } : {}), message: e.message.slice(0, 300), stack: e.stack };
}
