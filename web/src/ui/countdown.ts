/**
 * Countdowns read the server's clock: `offset = serverTime − Date.now()` at receipt, so a phone
 * whose clock is wrong still shows the real time left (A9: timers are real, never decorative).
 */
import { useEffect, useState } from 'preact/hooks';

export function clockOffset(serverTime: number, receivedAt: number): number {
  return serverTime - receivedAt;
}

/**
 * Time left in a window `[startsAt, endsAt]` at the server's `serverNow`: never negative, and never
 * more than the window itself (a clock estimate a few ms behind must not show 01:01 for a 60 s sale).
 */
export function remainingMs(window: { startsAt: number; endsAt: number }, serverNow: number): number {
  return Math.max(0, Math.min(window.endsAt - serverNow, window.endsAt - window.startsAt));
}

/** `299_500` → `05:00`, `3_600_000` → `1:00:00`; whole seconds, rounded up so 0 shows only at the end. */
export function formatCountdown(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(2, '0');
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Whole minutes left, rounded up: the unit a screen reader is told about. */
export function minutesLeft(ms: number): number {
  return Math.ceil(Math.max(0, ms) / 60_000);
}

/**
 * The server's "now", re-rendering once a second on the second while `active`; idle otherwise
 * so a page without countdowns does no work.
 */
export function useServerNow(offsetMs: number, active: boolean): number {
  const [now, setNow] = useState(() => Date.now() + offsetMs);
  useEffect(() => {
    setNow(Date.now() + offsetMs);
    if (!active) return undefined;
    let timer: ReturnType<typeof setTimeout>;
    const tick = (): void => {
      const serverNow = Date.now() + offsetMs;
      setNow(serverNow);
      timer = setTimeout(tick, 1000 - (serverNow % 1000) + 5);
    };
    tick();
    return () => clearTimeout(timer);
  }, [offsetMs, active]);
  return now;
}

/**
 * `text` as it was at most once per `intervalMs`: for live regions over numbers that change all
 * the time (host counters), so a screen reader hears a summary now and then, not every event.
 */
export function useThrottledText(text: string, intervalMs: number): string {
  const [shown, setShown] = useState(text);
  const [lastAt, setLastAt] = useState(0);
  useEffect(() => {
    if (text === shown) return undefined;
    const wait = lastAt + intervalMs - Date.now();
    const timer = setTimeout(
      () => {
        setShown(text);
        setLastAt(Date.now());
      },
      Math.max(0, wait),
    );
    return () => clearTimeout(timer);
  }, [text, shown, lastAt, intervalMs]);
  return shown;
}
