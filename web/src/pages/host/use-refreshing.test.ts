import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../ui/api.ts';
import { isRefusal, RefreshLoop } from './use-refreshing.ts';

const problem = (status: number, code: string): ApiError => new ApiError({ type: 'about:blank', title: code, status, code });

/** A loop over a scripted server: each call takes the next answer (the last one repeats). */
function scripted(answers: (number | ApiError)[], options: { intervalMs?: number; coalesceMs?: number } = { intervalMs: 10_000 }) {
  let calls = 0;
  const seen: { data: number[]; errors: unknown[]; refused: (ApiError | null)[] } = { data: [], errors: [], refused: [] };
  const load = (): Promise<number> => {
    const answer = answers[Math.min(calls, answers.length - 1)]!;
    calls++;
    return answer instanceof ApiError ? Promise.reject(answer) : Promise.resolve(answer);
  };
  const loop = new RefreshLoop(load, {
    data: (value) => seen.data.push(value),
    error: (failure, refused) => {
      seen.errors.push(failure);
      seen.refused.push(refused);
    },
  }, options);
  return { loop, seen, calls: () => calls };
}

describe('isRefusal', () => {
  it('is true for 401 and 403 only', () => {
    expect(isRefusal(problem(401, 'UNAUTHENTICATED'))).toBe(true);
    expect(isRefusal(problem(403, 'FORBIDDEN'))).toBe(true);
    expect(isRefusal(problem(500, 'INTERNAL'))).toBe(false);
    expect(isRefusal(problem(0, 'NETWORK_ERROR'))).toBe(false);
    expect(isRefusal(problem(503, 'OVERLOADED'))).toBe(false);
    expect(isRefusal(new Error('boom'))).toBe(false);
  });
});

describe('RefreshLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls every interval while answers come', async () => {
    const { loop, seen, calls } = scripted([1, 2, 3]);
    loop.start();
    await vi.advanceTimersByTimeAsync(25_000);
    expect(calls()).toBe(3);
    expect(seen.data).toEqual([1, 2, 3]);
    loop.stop();
  });

  it.each([
    [403, 'FORBIDDEN'],
    [401, 'UNAUTHENTICATED'],
  ])('stops polling after a %i and says it was refused', async (status, code) => {
    const refusal = problem(status, code);
    const { loop, seen, calls } = scripted([1, refusal]);
    loop.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(2);
    expect(seen.refused).toEqual([refusal]);
    expect(loop.refused).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls()).toBe(2); // not asked again
    expect(seen.data).toEqual([1]); // the last figures are kept by the caller; nothing overwrote them
    loop.stop();
  });

  it('ignores pokes (chat frames) once refused', async () => {
    const { loop, calls } = scripted([problem(403, 'FORBIDDEN')], { coalesceMs: 300 });
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    loop.poke();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls()).toBe(1);
    loop.stop();
  });

  it('keeps retrying after a network error or a 5xx', async () => {
    const { loop, seen, calls } = scripted([problem(0, 'NETWORK_ERROR'), problem(503, 'OVERLOADED'), problem(500, 'INTERNAL'), 7]);
    loop.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls()).toBe(4);
    expect(seen.refused).toEqual([null, null, null]);
    expect(seen.data).toEqual([7]);
    expect(loop.refused).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(5);
    loop.stop();
  });

  it('asks again on an explicit reload after a refusal, and resumes polling if it succeeds', async () => {
    const { loop, seen, calls } = scripted([problem(403, 'FORBIDDEN'), 5]);
    loop.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls()).toBe(1);
    loop.reload();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.data).toEqual([5]);
    expect(loop.refused).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(3);
    loop.stop();
  });

  it('resumes polling when a reload after a refusal fails otherwise (the page then shows a retrying error, not a stop)', async () => {
    const { loop, seen, calls } = scripted([problem(403, 'FORBIDDEN'), problem(0, 'NETWORK_ERROR'), 9]);
    loop.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls()).toBe(1);
    loop.reload();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.refused).toEqual([problem(403, 'FORBIDDEN'), null]);
    expect(loop.refused).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(3);
    expect(seen.data).toEqual([9]);
    loop.stop();
  });

  it('folds a burst of pokes into one request, and an older answer never wins', async () => {
    let release: ((value: number) => void) | undefined;
    const answers: Promise<number>[] = [new Promise<number>((resolve) => (release = resolve)), Promise.resolve(2)];
    let calls = 0;
    const data: number[] = [];
    const loop = new RefreshLoop(() => answers[calls++] ?? Promise.resolve(3), { data: (v) => data.push(v), error: () => undefined }, { coalesceMs: 300 });
    loop.start(); // call 1, slow
    loop.poke();
    loop.poke();
    loop.poke();
    await vi.advanceTimersByTimeAsync(300); // call 2, answers 2
    expect(calls).toBe(2);
    release?.(1); // the slow first answer arrives last
    await vi.advanceTimersByTimeAsync(0);
    expect(data).toEqual([2]);
    loop.stop();
  });

  it('does nothing after stop', async () => {
    const { loop, calls } = scripted([1]);
    loop.start();
    loop.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls()).toBe(1);
  });
});
