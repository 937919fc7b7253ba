import { sql, type Kysely } from 'kysely';

/**
 * Rights requests as tickets (PIPL 44–50, R3): one row per request, keyed by the viewer's keyed
 * subject id (never a device id), the viewer's words sealed under their data key. The checks make
 * the rules hold whatever code writes: a rejection always has a reason, a closed ticket a close time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rights_tickets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('details_sealed', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('handled_by', 'text')
    .addColumn('reason', 'text')
    .addCheckConstraint('rights_tickets_kind', sql`kind in ('access', 'correction', 'deletion', 'explanation', 'complaint')`)
    .addCheckConstraint('rights_tickets_status', sql`status in ('open', 'completed', 'rejected')`)
    .addCheckConstraint('rights_tickets_closed', sql`(status = 'open') = (closed_at is null)`)
    .addCheckConstraint('rights_tickets_reason', sql`status <> 'rejected' or (reason is not null and length(trim(reason)) > 0)`)
    .execute();
  await db.schema.createIndex('rights_tickets_subject').on('rights_tickets').columns(['subject', 'created_at']).execute();
  await db.schema.createIndex('rights_tickets_time').on('rights_tickets').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('rights_tickets_due').on('rights_tickets').columns(['status', 'due_at']).execute();
  await db.schema.createIndex('rights_tickets_closed_at').on('rights_tickets').column('closed_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rights_tickets').ifExists().execute();
}
