/**
 * A staff view's data kept fresh: loaded now, every `intervalMs` (if set), and shortly after each
 * change of `trigger` (the chat's frame count: a busy chat's frames are folded into one request per
 * `coalesceMs`). An older answer never overwrites a newer one; a failed refresh keeps the last data.
 *
 * A refusal (401: signed out; 403: this role may not) is not retried: asking again every few
 * seconds would get the same answer. Automatic refreshes stop and `refused` says why; an explicit
 * `reload()` (after a user's action) still asks, and polling resumes if it succeeds. Other failures
 * (network, 5xx, overload) keep being retried on the usual schedule.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../ui/api.ts';

export interface Refreshing<T> {
  data: T | null;
  error: unknown;
  updatedAt: number | null;
  /** The server's refusal (401 or 403) that stopped the automatic refreshes; null while they run. */
  refused: ApiError | null;
  reload: () => void;
}

/** 401 or 403: the same request would be refused again, so it is not repeated on a timer. */
export function isRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}

export interface RefreshListener<T> {
  data: (data: T, at: number) => void;
  error: (error: unknown, refused: ApiError | null) => void;
}

/**
 * The schedule behind `useRefreshing`, without Preact: loads on `start()`, every `intervalMs`, and
 * `coalesceMs` after a `poke()`; stops the timers for good on a refusal until a `reload()` succeeds.
 */
export class RefreshLoop<T> {
  readonly #load: () => Promise<T>;
  readonly #listener: RefreshListener<T>;
  readonly #intervalMs: number | undefined;
  readonly #coalesceMs: number;
  #generation = 0;
  #live = false;
  #refused = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #pending: ReturnType<typeof setTimeout> | undefined;

  constructor(load: () => Promise<T>, listener: RefreshListener<T>, options: { intervalMs?: number; coalesceMs?: number } = {}) {
    this.#load = load;
    this.#listener = listener;
    this.#intervalMs = options.intervalMs;
    this.#coalesceMs = options.coalesceMs ?? 300;
  }

  /** True once the server refused: no more automatic refreshes. */
  get refused(): boolean {
    return this.#refused;
  }

  start(): void {
    this.#live = true;
    this.#refused = false;
    this.reload();
    this.#startTimer();
  }

  stop(): void {
    this.#live = false;
    this.#stopTimers();
  }

  /** Asks now, whatever came before (a user's action, or the first load). */
  reload(): void {
    const mine = ++this.#generation;
    this.#load().then(
      (fetched) => {
        if (!this.#live || mine !== this.#generation) return;
        if (this.#refused) {
          this.#refused = false; // allowed again (signed in anew, or given the role)
          this.#startTimer();
        }
        this.#listener.data(fetched, Date.now());
      },
      (failure: unknown) => {
        if (!this.#live || mine !== this.#generation) return;
        const refused = isRefusal(failure) ? failure : null;
        if (refused) {
          this.#refused = true;
          this.#stopTimers();
        } else if (this.#refused) {
          // A reload after a refusal failed otherwise (network, 5xx): the refusal may be over, so polling resumes.
          this.#refused = false;
          this.#startTimer();
        }
        this.#listener.error(failure, refused);
      },
    );
  }

  /** Something changed (a chat frame): refresh soon, folding a burst into one request; not once refused. */
  poke(): void {
    if (!this.#live || this.#refused || this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      if (this.#live && !this.#refused) this.reload();
    }, this.#coalesceMs);
  }

  #startTimer(): void {
    if (!this.#intervalMs || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (!this.#refused) this.reload();
    }, this.#intervalMs);
  }

  #stopTimers(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#pending);
    this.#pending = undefined;
  }
}

export function useRefreshing<T>(key: string, load: () => Promise<T>, options: { trigger?: number; intervalMs?: number; coalesceMs?: number } = {}): Refreshing<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [refused, setRefused] = useState<ApiError | null>(null);
  const loop = useRef<RefreshLoop<T> | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => loop.current?.reload(), []);

  useEffect(() => {
    setData(null);
    setError(null);
    setRefused(null);
    const current = new RefreshLoop<T>(
      () => loadRef.current(),
      {
        data: (fetched, at) => {
          setData(fetched);
          setError(null);
          setRefused(null);
          setUpdatedAt(at);
        },
        error: (failure, refusal) => {
          setError(failure);
          setRefused(refusal);
        },
      },
      { intervalMs: options.intervalMs, coalesceMs: options.coalesceMs },
    );
    loop.current = current;
    current.start();
    return () => {
      current.stop();
      if (loop.current === current) loop.current = null;
    };
  }, [key, options.intervalMs, options.coalesceMs]);

  useEffect(() => {
    if (options.trigger) loop.current?.poke();
  }, [options.trigger]);

  return { data, error, updatedAt, refused, reload };
}
