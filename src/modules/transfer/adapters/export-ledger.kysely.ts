/**
 * ExportLedger on Kysely (SQLite and PostgreSQL). The yearly count is a unique key, not a scan: one
 * row per (year, kind, subject), inserted with ON CONFLICT DO NOTHING, and a running total per year
 * and kind raised by exactly the rows inserted, in the same transaction.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { TransferAlertTable, TransferLogTable } from '../../../storage/schema.js';
import type { CountKind, ThresholdId } from '../thresholds.js';
import type { AlertLevel, ExportLedger, TransferAlert, TransferLogEntry, TransferOutcome, YearTotals } from '../ports.js';

/** Rows per INSERT: 4 parameters each, far below SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 1000;

export class KyselyExportLedger implements ExportLedger {
  constructor(private readonly db: Kysely<Database>) {}

  /** In a transaction of its own, or in the caller's when built on one (e.g. the erasure's). */
  #atomically<T>(work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work);
  }

  async log(e: TransferLogEntry): Promise<void> {
    await this.db
      .insertInto('transfer_log')
      .values({
        id: e.id,
        destination_id: e.destinationId,
        region: e.region,
        cross_border: e.crossBorder ? 1 : 0,
        subjects: e.subjects,
        categories: JSON.stringify(e.categories),
        sensitive: e.sensitive ? 1 : 0,
        outcome: e.outcome,
        reason: e.reason,
        http_status: e.httpStatus,
        actor: e.actor,
        created_at: e.createdAt,
      })
      .execute();
  }

  async recent(options: { limit: number; outcome?: TransferOutcome }): Promise<TransferLogEntry[]> {
    let q = this.db.selectFrom('transfer_log').selectAll();
    if (options.outcome !== undefined) q = q.where('outcome', '=', options.outcome);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
    return rows.map(logEntryOf);
  }

  async countIndividuals(input: { year: number; subjects: readonly string[]; sensitive: boolean; at: number }): Promise<{ individuals: number; sensitive: number }> {
    // Sorted: concurrent PostgreSQL transactions then take the unique-index locks in one order (no deadlock).
    const subjects = [...new Set(input.subjects)].sort();
    const kinds: CountKind[] = input.sensitive ? ['any', 'sensitive'] : ['any'];
    return this.#atomically(async (tx) => {
      const added: Record<CountKind, number> = { any: 0, sensitive: 0 };
      for (const kind of kinds) {
        for (let i = 0; i < subjects.length; i += CHUNK) {
          const result = await tx
            .insertInto('transfer_individuals')
            .values(subjects.slice(i, i + CHUNK).map((subject) => ({ year: input.year, kind, subject, first_at: input.at })))
            .onConflict((oc) => oc.columns(['year', 'kind', 'subject']).doNothing())
            .executeTakeFirst();
          added[kind] += Number(result.numInsertedOrUpdatedRows ?? 0);
        }
        if (added[kind] > 0) {
          await tx
            .insertInto('transfer_year_totals')
            .values({ year: input.year, kind, count: added[kind] })
            .onConflict((oc) => oc.columns(['year', 'kind']).doUpdateSet({ count: sql<number>`transfer_year_totals.count + excluded.count` }))
            .execute();
        }
      }
      return { individuals: added.any, sensitive: added.sensitive };
    });
  }

  async totals(year: number): Promise<YearTotals> {
    const rows = await this.db.selectFrom('transfer_year_totals').select(['kind', 'count']).where('year', '=', year).execute();
    const of = (kind: CountKind) => Number(rows.find((r) => r.kind === kind)?.count ?? 0);
    return { year, individuals: of('any'), sensitiveIndividuals: of('sensitive') };
  }

  async raiseAlert(a: TransferAlert): Promise<boolean> {
    const result = await this.db
      .insertInto('transfer_alerts')
      .values({ year: a.year, threshold: a.threshold, level: a.level, limit_value: a.limit, count: a.count, raised_at: a.raisedAt })
      .onConflict((oc) => oc.columns(['year', 'threshold', 'level']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async alerts(year?: number): Promise<TransferAlert[]> {
    let q = this.db.selectFrom('transfer_alerts').selectAll();
    if (year !== undefined) q = q.where('year', '=', year);
    const rows = await q.orderBy('raised_at').orderBy('threshold').orderBy('level', 'desc').execute();
    return rows.map(alertOf);
  }

  async forgetSubject(subject: string): Promise<number> {
    return this.#atomically(async (tx) => {
      const rows = await tx.selectFrom('transfer_individuals').select(['year', 'kind']).where('subject', '=', subject).execute();
      for (const row of rows) {
        // A fresh random tombstone per row: the rows of one erased person cannot even be linked to each other.
        await tx
          .updateTable('transfer_individuals')
          .set({ subject: `forgotten:${randomBytes(16).toString('base64url')}` })
          .where('year', '=', row.year)
          .where('kind', '=', row.kind)
          .where('subject', '=', subject)
          .execute();
      }
      return rows.length;
    });
  }

  async countedFor(subject: string): Promise<{ year: number; kind: CountKind; firstAt: number }[]> {
    const rows = await this.db.selectFrom('transfer_individuals').select(['year', 'kind', 'first_at']).where('subject', '=', subject).orderBy('year').orderBy('kind').execute();
    return rows.map((r) => ({ year: Number(r.year), kind: r.kind as CountKind, firstAt: Number(r.first_at) }));
  }
}

function logEntryOf(r: Selectable<TransferLogTable>): TransferLogEntry {
  return {
    id: r.id,
    destinationId: r.destination_id,
    region: r.region,
    crossBorder: Number(r.cross_border) === 1,
    subjects: Number(r.subjects),
    categories: JSON.parse(r.categories) as string[],
    sensitive: Number(r.sensitive) === 1,
    outcome: r.outcome as TransferOutcome,
    reason: r.reason,
    httpStatus: r.http_status === null ? null : Number(r.http_status),
    actor: r.actor,
    createdAt: Number(r.created_at),
  };
}

function alertOf(r: Selectable<TransferAlertTable>): TransferAlert {
  return {
    year: Number(r.year),
    threshold: r.threshold as ThresholdId,
    level: r.level as AlertLevel,
    limit: Number(r.limit_value),
    count: Number(r.count),
    raisedAt: Number(r.raised_at),
  };
}
