/**
 * At-least-once for the page's room writes (likes, add-to-cart). Each write carries a clientEventId
 * and the server stores it once, however often it arrives; so a write the server refused only for
 * load — `OVERLOADED` (the node is shedding), `RATE_LIMITED` (this socket sent too fast), `NOT_READY`
 * (the node lost its database or bus) — is sent again, with the same id, after the wait it asked for,
 * a few times at most. Anything else is a real refusal and is not retried.
 */
import { ApiError, NETWORK_ERROR } from './api.ts';

export const RETRIABLE_CODES: ReadonlySet<string> = new Set(['OVERLOADED', 'RATE_LIMITED', 'NOT_READY']);
export const MAX_ATTEMPTS = 4;
const MAX_TRACKED = 200;
const DEFAULT_WAIT_MS = 1000;
const MAX_WAIT_MS = 30_000;

/** How long to wait before attempt `attempt` (1 = the first retry): the server's wait, or a doubling one, with jitter. */
export function retryDelayMs(attempt: number, retryAfterSeconds: number | undefined, random: () => number = Math.random): number {
  const base = retryAfterSeconds !== undefined && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : DEFAULT_WAIT_MS * 2 ** (attempt - 1);
  // Up to a quarter more, so that a room full of refused pages does not come back in one instant.
  return Math.min(MAX_WAIT_MS, Math.round(base * (1 + random() * 0.25)));
}

/** Tracks the room writes sent over the socket, and says which refusals to resend and when. */
export class Resender<M extends { clientEventId: string }> {
  readonly #sent = new Map<string, { message: M; attempts: number }>();

  sent(message: M): void {
    const known = this.#sent.get(message.clientEventId);
    this.#sent.delete(message.clientEventId);
    this.#sent.set(message.clientEventId, { message, attempts: known ? known.attempts + 1 : 1 });
    while (this.#sent.size > MAX_TRACKED) this.#sent.delete(this.#sent.keys().next().value as string);
  }

  /** The server answered the write: stop tracking it. */
  settled(clientEventId: string): void {
    this.#sent.delete(clientEventId);
  }

  /** A refusal: the write to resend and when, or undefined (not ours, not retriable, or out of attempts). */
  refused(frame: { code: string; clientEventId?: string; retryAfterSeconds?: number }, random?: () => number): { message: M; afterMs: number } | undefined {
    if (frame.clientEventId === undefined) return undefined;
    const tracked = this.#sent.get(frame.clientEventId);
    if (!tracked) return undefined;
    if (!RETRIABLE_CODES.has(frame.code) || tracked.attempts >= MAX_ATTEMPTS) {
      this.#sent.delete(frame.clientEventId);
      return undefined;
    }
    return { message: tracked.message, afterMs: retryDelayMs(tracked.attempts, frame.retryAfterSeconds, random) };
  }
}

/**
 * Calls an idempotent API write until it succeeds, retrying network failures and load refusals
 * (503/429 with the codes above) after their wait, MAX_ATTEMPTS times in all.
 */
export async function withRetries<T>(call: () => Promise<T>, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retriable = error instanceof ApiError && (error.code === NETWORK_ERROR || RETRIABLE_CODES.has(error.code));
      if (!retriable || attempt >= MAX_ATTEMPTS) throw error;
      const after = (error.problem as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      await sleep(retryDelayMs(attempt, typeof after === 'number' ? after : undefined));
    }
  }
}
