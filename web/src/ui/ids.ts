/**
 * Ids the client makes up for idempotent writes (`clientEventId`, `clientOrderId`); the server
 * accepts `^[A-Za-z0-9_-]{8,64}$`. `crypto.randomUUID` exists only in secure contexts, so a page
 * opened over plain http on a LAN address falls back to getRandomValues.
 */
export function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
