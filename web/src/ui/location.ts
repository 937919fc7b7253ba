/** Reading ids and redirect targets out of URLs. */

/** `/live/demo` with prefix `live` → `demo`; null when the path has no id. */
export function sessionIdFromPath(pathname: string, prefix: 'live' | 'host'): string | null {
  const match = new RegExp(`^/${prefix}/([^/]+)/?$`).exec(pathname);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null; // malformed percent-encoding
  }
}

/**
 * A `next` target is followed only when it is a path on this origin: it starts with one `/`, and
 * is not `//host` or `/\host` (which browsers treat as another origin).
 */
export function safeNextPath(next: string | null | undefined): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  if ([...next].some((char) => char.charCodeAt(0) < 0x20)) return null; // control characters
  return next;
}

/** Where a signed-in staff member lands when no `next` was given. */
export function homeForRole(role: string): string {
  return role === 'compliance' ? '/compliance' : '/host/demo';
}

export function loginUrl(returnTo: string): string {
  return `/login?next=${encodeURIComponent(returnTo)}`;
}
