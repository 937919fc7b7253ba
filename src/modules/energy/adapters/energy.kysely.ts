import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../storage/index.js';
import { emptyTotals, type SampleTotals } from '../accounting.js';
import { METERED_COMPONENTS } from '../meter.js';
import type { EnergyStore, SessionSampleRow, StoredSample, StoredSessionShare } from '../ports.js';

/** PostgreSQL returns SUM over bigint as numeric (a string); SQLite as a number. */
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

// Sums every column the accounting needs; one definition for totals and buckets.
const SUMS = sql<unknown>`count(*) as samples,
  sum(case when rapl_joules is null then 0 else 1 end) as rapl_samples,
  sum(coalesce(rapl_joules, 0)) as rapl_joules,
  sum(wall_ms) as wall_ms,
  sum(wall_ms * vcpus) as vcpu_ms,
  sum(process_cpu_us) as cpu_us,
  sum(memory_gb_hours) as memory_gb_hours,
  sum(other_us) as other_us,
  sum(recommend_us) as recommend_us, sum(recommend_n) as recommend_n,
  sum(learn_us) as learn_us, sum(learn_n) as learn_n,
  sum(audits_us) as audits_us, sum(audits_n) as audits_n,
  sum(assistant_us) as assistant_us, sum(assistant_n) as assistant_n,
  sum(serving_us) as serving_us, sum(serving_n) as serving_n,
  sum(storage_us) as storage_us, sum(storage_n) as storage_n`;

function totalsOf(row: Record<string, unknown>): SampleTotals {
  const t = emptyTotals();
  t.samples = num(row.samples);
  t.raplSamples = num(row.rapl_samples);
  t.raplJoules = num(row.rapl_joules);
  t.wallSeconds = num(row.wall_ms) / 1000;
  t.vcpuSeconds = num(row.vcpu_ms) / 1000;
  t.cpuSeconds = num(row.cpu_us) / 1e6;
  t.memoryGbHours = num(row.memory_gb_hours);
  t.otherSeconds = num(row.other_us) / 1e6;
  for (const c of METERED_COMPONENTS) {
    t.componentSeconds[c] = num(row[`${c}_us`]) / 1e6;
    t.counts[c] = num(row[`${c}_n`]);
  }
  return t;
}

export class KyselyEnergyStore implements EnergyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(sample: StoredSample, sessions: readonly StoredSessionShare[]): Promise<void> {
    const m = sample.componentMicros;
    const n = sample.counts;
    const us = (v: number) => Math.round(v);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('energy_samples')
        .values({
          id: sample.id,
          node: sample.node,
          started_at: sample.startedAt,
          ended_at: sample.endedAt,
          wall_ms: sample.wallMs,
          vcpus: sample.vcpus,
          process_cpu_us: us(sample.processCpuMicros),
          other_us: us(sample.otherMicros),
          span_scale: sample.spanScale,
          memory_gb_hours: sample.memoryGbHours,
          rapl_joules: sample.raplJoules,
          rapl_note: sample.raplNote,
          recommend_us: us(m.recommend),
          recommend_n: n.recommend,
          learn_us: us(m.learn),
          learn_n: n.learn,
          audits_us: us(m.audits),
          audits_n: n.audits,
          assistant_us: us(m.assistant),
          assistant_n: n.assistant,
          serving_us: us(m.serving),
          serving_n: n.serving,
          storage_us: us(m.storage),
          storage_n: n.storage,
        })
        .execute();
      if (sessions.length > 0) {
        await tx
          .insertInto('energy_session_samples')
          .values(
            sessions.map((s) => ({
              sample_id: sample.id,
              session_id: s.sessionId,
              started_at: sample.startedAt,
              span_us: us(s.spanMicros),
              sample_span_us: us(s.sampleSpanMicros),
              recommendations: s.recommendations,
            })),
          )
          .execute();
      }
    });
  }

  async totals(from: number, until: number): Promise<SampleTotals> {
    const rows = await sql<Record<string, unknown>>`select ${SUMS} from energy_samples where started_at >= ${from} and started_at < ${until}`.execute(this.db);
    return rows.rows[0] ? totalsOf(rows.rows[0]) : emptyTotals();
  }

  async buckets(from: number, until: number, bucketMs: number, offsetMs: number): Promise<{ start: number; totals: SampleTotals }[]> {
    // Grouped by position: each copy of the expression would carry its own bind parameters, which
    // PostgreSQL does not recognise as the same expression. Whole buckets: SQLite binds JavaScript numbers as reals, so the quotient is cast (truncation
    // is the floor here: times after 1970 minus a negative offset are positive).
    const bucket = sql<number>`cast((started_at - ${offsetMs}) / ${bucketMs} as bigint)`;
    const rows = await sql<Record<string, unknown>>`select ${bucket} as bucket, ${SUMS}
      from energy_samples where started_at >= ${from} and started_at < ${until}
      group by 1 order by 1`.execute(this.db);
    return rows.rows.map((r) => ({ start: num(r.bucket) * bucketMs + offsetMs, totals: totalsOf(r) }));
  }

  async sessionSamples(sessionId: string): Promise<SessionSampleRow[]> {
    const rows = await this.db
      .selectFrom('energy_session_samples as s')
      .innerJoin('energy_samples as e', 'e.id', 's.sample_id')
      .select(['s.session_id', 's.span_us', 's.sample_span_us', 's.recommendations', 'e.started_at', 'e.wall_ms', 'e.vcpus', 'e.process_cpu_us', 'e.memory_gb_hours', 'e.rapl_joules'])
      .where('s.session_id', '=', sessionId)
      .orderBy('s.started_at')
      .execute();
    return rows.map((r) => ({
      sessionId: r.session_id,
      spanMicros: num(r.span_us),
      sampleSpanMicros: num(r.sample_span_us),
      recommendations: num(r.recommendations),
      startedAt: num(r.started_at),
      wallMs: num(r.wall_ms),
      vcpus: num(r.vcpus),
      processCpuMicros: num(r.process_cpu_us),
      memoryGbHours: num(r.memory_gb_hours),
      raplJoules: r.rapl_joules === null ? null : num(r.rapl_joules),
    }));
  }

  async liveSessionHours(from: number, until: number): Promise<number> {
    // Read-only use of the live room's table: when each session was live.
    const rows = await this.db
      .selectFrom('live_sessions')
      .select(['started_at', 'ended_at'])
      .where('started_at', 'is not', null)
      .where('started_at', '<', until)
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', from)]))
      .execute();
    let ms = 0;
    for (const r of rows) {
      const start = Math.max(from, num(r.started_at));
      const end = Math.min(until, r.ended_at === null ? until : num(r.ended_at));
      if (end > start) ms += end - start;
    }
    return ms / 3_600_000;
  }

  async purgeBefore(cutoff: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('energy_session_samples').where('started_at', '<', cutoff).execute();
      const r = await tx.deleteFrom('energy_samples').where('started_at', '<', cutoff).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }
}
