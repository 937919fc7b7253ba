/**
 * The viewer's own add-to-cart count for a session, kept in this browser only (localStorage). It
 * counts the viewer's own taps; it is not a server counter and is never shown as one.
 */
const key = (sessionId: string): string => `qingliu.cart.${sessionId}`;

export function readCartCount(sessionId: string): number {
  try {
    const value = Number(globalThis.localStorage?.getItem(key(sessionId)) ?? '0');
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

export function writeCartCount(sessionId: string, count: number): void {
  try {
    globalThis.localStorage?.setItem(key(sessionId), String(count));
  } catch {
    // storage blocked: the badge still counts for this page view
  }
}
