import { describe, expect, it } from 'vitest';
import { RetentionJob } from './index.js';

describe('RetentionJob', () => {
  it('gives each category its own cutoff and reports what it deleted', async () => {
    const seen: Record<string, number> = {};
    const job = new RetentionJob(
      [
        { category: 'a', basis: 'x', keepDays: 1, purge: async (cutoff) => ((seen.a = cutoff), 3) },
        { category: 'b', basis: 'y', keepDays: 30, purge: async (cutoff) => ((seen.b = cutoff), 0) },
      ],
      () => 100 * 86_400_000,
    );
    const report = await job.run();
    expect(seen).toEqual({ a: 99 * 86_400_000, b: 70 * 86_400_000 });
    expect(report.results.map((r) => [r.category, r.deleted])).toEqual([
      ['a', 3],
      ['b', 0],
    ]);
    expect(job.schedule()).toEqual([
      { category: 'a', basis: 'x', keepDays: 1 },
      { category: 'b', basis: 'y', keepDays: 30 },
    ]);
  });

  it('runs every category even when one fails, and reports the failure', async () => {
    let ranAfter = false;
    const job = new RetentionJob(
      [
        { category: 'broken', basis: 'x', keepDays: 1, purge: async () => Promise.reject(Object.assign(new Error('no key'), { code: 'AUDIT_KEY_UNAVAILABLE' })) },
        { category: 'after', basis: 'y', keepDays: 1, purge: async () => ((ranAfter = true), 2) },
      ],
      () => 10 * 86_400_000,
    );
    const report = await job.run();
    expect(ranAfter).toBe(true);
    expect(report.results.map((r) => [r.category, r.deleted, r.error])).toEqual([
      ['broken', 0, 'AUDIT_KEY_UNAVAILABLE'],
      ['after', 2, undefined],
    ]);
  });

  it('refuses a schedule with a category twice or without a positive period', () => {
    const purge = async () => 0;
    expect(() => new RetentionJob([{ category: 'a', basis: '', keepDays: 1, purge }, { category: 'a', basis: '', keepDays: 2, purge }], Date.now)).toThrow(/twice/);
    expect(() => new RetentionJob([{ category: 'a', basis: '', keepDays: 0, purge }], Date.now)).toThrow(/positive/);
  });
});
