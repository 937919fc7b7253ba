/**
 * A staff view's data kept fresh: loaded now, every `intervalMs` (if set), and shortly after each
 * change of `trigger` (the chat's frame count: a busy chat's frames are folded into one request per
 * `coalesceMs`). An older answer never overwrites a newer one; a failed refresh keeps the last data.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Refreshing<T> {
  data: T | null;
  error: unknown;
  updatedAt: number | null;
  reload: () => void;
}

export function useRefreshing<T>(key: string, load: () => Promise<T>, options: { trigger?: number; intervalMs?: number; coalesceMs?: number } = {}): Refreshing<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const generation = useRef(0);
  const live = useRef(true);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    loadRef.current().then(
      (fetched) => {
        if (!live.current || mine !== generation.current) return;
        setData(fetched);
        setError(null);
        setUpdatedAt(Date.now());
      },
      (failure: unknown) => {
        if (live.current && mine === generation.current) setError(failure);
      },
    );
  }, []);

  useEffect(() => {
    live.current = true;
    setData(null);
    reload();
    const timer = options.intervalMs ? setInterval(reload, options.intervalMs) : undefined;
    return () => {
      live.current = false;
      clearInterval(timer);
      clearTimeout(pending.current);
      pending.current = undefined;
    };
  }, [key, options.intervalMs]);

  useEffect(() => {
    if (!options.trigger || pending.current !== undefined) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      reload();
    }, options.coalesceMs ?? 300);
  }, [options.trigger]);

  return { data, error, updatedAt, reload };
}
