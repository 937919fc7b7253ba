/** RightsTicketStore on Kysely (SQLite and PostgreSQL): one code path, status changes by compare-and-set. */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { RightsTicketTable } from '../../../storage/schema.js';
import type { Locale } from '../../../context/index.js';
import type { AccessLogDb } from '../../access-log/index.js';
import {
  TICKET_KINDS,
  TICKET_STATUSES,
  type RightsTicketStore,
  type StoredTicket,
  type TicketClosure,
  type TicketCounts,
  type TicketKind,
  type TicketListQuery,
  type TicketStatus,
} from '../ports.js';

export class KyselyRightsTicketStore implements RightsTicketStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(t: StoredTicket): Promise<void> {
    await this.db
      .insertInto('rights_tickets')
      .values({
        id: t.id,
        subject: t.subject,
        kind: t.kind,
        status: t.status,
        details_sealed: t.detailsSealed,
        locale: t.locale,
        region: t.region,
        created_at: t.createdAt,
        updated_at: t.updatedAt,
        due_at: t.dueAt,
        closed_at: t.closedAt,
        handled_by: t.handledBy,
        reason: t.reason,
      })
      .execute();
  }

  async get(id: string): Promise<StoredTicket | undefined> {
    const row = await this.db.selectFrom('rights_tickets').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? ticketOf(row) : undefined;
  }

  async bySubject(subject: string): Promise<StoredTicket[]> {
    const rows = await this.db
      .selectFrom('rights_tickets')
      .selectAll()
      .where('subject', '=', subject)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(ticketOf);
  }

  async list(query: TicketListQuery): Promise<StoredTicket[]> {
    let q = this.db.selectFrom('rights_tickets').selectAll();
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.overdueAt !== undefined) q = q.where('status', '=', 'open').where('due_at', '<', query.overdueAt);
    const before = query.before;
    if (before) {
      q = q.where((eb) => eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(ticketOf);
  }

  async counts(now: number): Promise<TicketCounts> {
    const rows = await this.db
      .selectFrom('rights_tickets')
      .select((eb) => ['kind', 'status', eb.fn.countAll().as('n')])
      .groupBy(['kind', 'status'])
      .execute();
    const byKind = Object.fromEntries(
      TICKET_KINDS.map((k) => [k, Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>]),
    ) as Record<TicketKind, Record<TicketStatus, number>>;
    for (const r of rows) {
      const perStatus = byKind[r.kind as TicketKind];
      if (perStatus && r.status in perStatus) perStatus[r.status as TicketStatus] += Number(r.n);
    }
    const overdue = await this.db
      .selectFrom('rights_tickets')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'open')
      .where('due_at', '<', now)
      .executeTakeFirstOrThrow();
    return { byKind, overdue: Number(overdue.n) };
  }

  async close(id: string, c: TicketClosure): Promise<boolean> {
    const result = await this.db
      .updateTable('rights_tickets')
      .set({ status: c.status, reason: c.reason, handled_by: c.handledBy, closed_at: c.at, updated_at: c.at })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async purgeClosedBefore(cutoff: number): Promise<number> {
    const result = await this.db.deleteFrom('rights_tickets').where('status', '<>', 'open').where('closed_at', '<', cutoff).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async transaction<T>(work: (scope: { tickets: RightsTicketStore; db: AccessLogDb }) => Promise<T>): Promise<T> {
    // Already inside one (a store bound to a transaction): join it.
    if (this.db.isTransaction) return work({ tickets: this, db: this.db });
    return this.db.transaction().execute((tx) => work({ tickets: new KyselyRightsTicketStore(tx), db: tx }));
  }
}

function ticketOf(r: Selectable<RightsTicketTable>): StoredTicket {
  return {
    id: r.id,
    subject: r.subject,
    kind: r.kind as TicketKind,
    status: r.status as TicketStatus,
    detailsSealed: r.details_sealed,
    locale: r.locale as Locale,
    region: r.region,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    dueAt: Number(r.due_at),
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    handledBy: r.handled_by,
    reason: r.reason,
  };
}
