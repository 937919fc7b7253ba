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

  it('refuses a schedule with a category twice or without a positive period', () => {
    const purge = async () => 0;
    expect(() => new RetentionJob([{ category: 'a', basis: '', keepDays: 1, purge }, { category: 'a', basis: '', keepDays: 2, purge }], Date.now)).toThrow(/twice/);
    expect(() => new RetentionJob([{ category: 'a', basis: '', keepDays: 0, purge }], Date.now)).toThrow(/positive/);
  });
});
