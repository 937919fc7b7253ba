/**
 * Retention (S1): a schedule per data category, enforced by a job. Each category names how long its
 * rows are kept and how to delete the expired ones; the job runs them all and reports counts.
 * Categories are contributed by the modules that own the data (see src/workflows/retention.ts).
 */
export interface RetentionCategory {
  /** Stable name, shown in the data map and the job's report. */
  category: string;
  /** Why this long: the legal basis or the operational need. */
  basis: string;
  keepDays: number;
  /** Deletes rows older than `cutoff` (epoch ms) and returns how many. */
  purge(cutoff: number): Promise<number>;
}

export interface RetentionReport {
  ranAt: number;
  /** One per category; a category that failed has `error` (its code or name) and deleted 0, and the others still ran. */
  results: { category: string; keepDays: number; cutoff: number; deleted: number; error?: string }[];
}

export class RetentionJob {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly categories: readonly RetentionCategory[],
    private readonly now: () => number,
  ) {
    const names = new Set<string>();
    for (const c of categories) {
      if (names.has(c.category)) throw new Error(`retention category ${c.category} is declared twice`);
      if (!(c.keepDays > 0)) throw new Error(`retention category ${c.category} needs a positive keepDays`);
      names.add(c.category);
    }
  }

  schedule(): readonly Omit<RetentionCategory, 'purge'>[] {
    return this.categories.map(({ category, basis, keepDays }) => ({ category, basis, keepDays }));
  }

  /** Deletes everything past its retention, category by category. */
  async run(): Promise<RetentionReport> {
    const ranAt = this.now();
    const results = [];
    for (const c of this.categories) {
      const cutoff = ranAt - c.keepDays * 86_400_000;
      try {
        results.push({ category: c.category, keepDays: c.keepDays, cutoff, deleted: await c.purge(cutoff) });
      } catch (err) {
        // One category's failure (e.g. a missing signing key) must not keep the others' data past its time.
        const code = (err as { code?: unknown }).code;
        results.push({ category: c.category, keepDays: c.keepDays, cutoff, deleted: 0, error: typeof code === 'string' ? code : err instanceof Error ? err.name : 'error' });
      }
    }
    return { ranAt, results };
  }

  /** Runs now and then every `intervalMs` (hourly by default) until stopped. */
  start(onReport: (r: RetentionReport) => void, onError: (err: unknown) => void, intervalMs = 3_600_000): void {
    const tick = () => void this.run().then(onReport, onError);
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
