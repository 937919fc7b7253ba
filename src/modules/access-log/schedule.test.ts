import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessLogJob, type AccessLogJobOutcome } from './schedule.js';
import type { AccessLogService } from './service.js';

/** Only the two methods the job calls, counting calls. */
function fakeLog() {
  const calls: string[] = [];
  const log = {
    checkpointIfUnsigned: async () => {
      calls.push('checkpoint');
      return undefined;
    },
    verifyIfDue: async (_ctx: unknown, maxAgeMs: number) => {
      calls.push(`verify<${maxAgeMs}>`);
      return undefined;
    },
  };
  return { calls, log: log as unknown as AccessLogService };
}

describe('AccessLogJob schedule', () => {
  afterEach(() => vi.useRealTimers());

  it('runs once after the first delay, then every interval, and stops', async () => {
    vi.useFakeTimers();
    const { calls, log } = fakeLog();
    const outcomes: AccessLogJobOutcome[] = [];
    const job = new AccessLogJob(log, { intervalMs: 1000, firstRunDelayMs: 50 });
    job.start((o) => outcomes.push(o), (err) => outcomes.push(err as never));
    await vi.advanceTimersByTimeAsync(49);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['checkpoint', 'verify<900>']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(4);
    job.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(4);
    expect(outcomes).toEqual([
      { checkpoint: undefined, run: undefined },
      { checkpoint: undefined, run: undefined },
    ]);
  });

  it('can verify without signing, and refuses nonsense intervals', async () => {
    const { calls, log } = fakeLog();
    await new AccessLogJob(log, { checkpoint: false, minGapMs: 7 }).run();
    expect(calls).toEqual(['verify<7>']);
    expect(() => new AccessLogJob(log, { intervalMs: 0 })).toThrow(RangeError);
  });
});
