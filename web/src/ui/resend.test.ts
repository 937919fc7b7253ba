import { describe, expect, it } from 'vitest';
import { ApiError, NETWORK_ERROR } from './api.ts';
import { MAX_ATTEMPTS, Resender, retryDelayMs, withRetries } from './resend.ts';

const like = (id: string) => ({ type: 'like' as const, clientEventId: id });
const problem = (code: string, status: number, retryAfterSeconds?: number) =>
  new ApiError({ type: 'about:blank', title: code, status, code, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });

describe('resending room writes refused for load', () => {
  it('waits what the server asked (plus at most a quarter), or doubles from a second', () => {
    expect(retryDelayMs(1, 2, () => 0)).toBe(2000);
    expect(retryDelayMs(1, 2, () => 1)).toBe(2500);
    expect(retryDelayMs(1, undefined, () => 0)).toBe(1000);
    expect(retryDelayMs(3, undefined, () => 0)).toBe(4000);
    expect(retryDelayMs(1, 600, () => 0)).toBe(30_000);
  });

  it('resends an overloaded or rate-limited write with the same id, a few times at most; never a real refusal or someone else’s', () => {
    const r = new Resender<ReturnType<typeof like>>();
    r.sent(like('like-0000000001'));
    expect(r.refused({ code: 'OVERLOADED', clientEventId: 'like-0000000001', retryAfterSeconds: 2 }, () => 0)).toEqual({ message: like('like-0000000001'), afterMs: 2000 });
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      r.sent(like('like-0000000001'));
      const again = r.refused({ code: 'RATE_LIMITED', clientEventId: 'like-0000000001' }, () => 0);
      if (attempt < MAX_ATTEMPTS) expect(again?.message.clientEventId).toBe('like-0000000001');
      else expect(again).toBeUndefined(); // out of attempts: the page shows the error
    }
    r.sent(like('like-0000000002'));
    expect(r.refused({ code: 'SESSION_NOT_LIVE', clientEventId: 'like-0000000002' })).toBeUndefined();
    expect(r.refused({ code: 'OVERLOADED', clientEventId: 'not-sent-here-01' })).toBeUndefined();
    r.sent(like('like-0000000003'));
    r.settled('like-0000000003');
    expect(r.refused({ code: 'OVERLOADED', clientEventId: 'like-0000000003' })).toBeUndefined();
  });

  it('retries an idempotent API write through 503s and network failures, and gives up on other errors', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const failures = [problem('OVERLOADED', 503, 3), problem(NETWORK_ERROR, 0)];
    let calls = 0;
    const result = await withRetries(async () => {
      calls++;
      const f = failures.shift();
      if (f) throw f;
      return 'stored';
    }, sleep);
    expect(result).toBe('stored');
    expect(calls).toBe(3);
    expect(waits[0]).toBeGreaterThanOrEqual(3000);
    expect(waits[0]).toBeLessThanOrEqual(3750);

    calls = 0;
    await expect(withRetries(async () => { calls++; throw problem('PRODUCT_NOT_IN_SESSION', 404); }, sleep)).rejects.toMatchObject({ code: 'PRODUCT_NOT_IN_SESSION' });
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw problem('OVERLOADED', 503, 1); }, sleep)).rejects.toMatchObject({ code: 'OVERLOADED' });
    expect(calls).toBe(MAX_ATTEMPTS);
  });
});
