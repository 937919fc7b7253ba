import type { Kysely } from 'kysely';

/**
 * Personal behaviour events, stored only under a live consent for their purpose (C1, C4, F1). The
 * payload is sealed under the viewer's data key; the subject and pseudonym are keyed ids, never
 * the device id. One row per (pseudonym, client event id): retries are stored once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('viewer_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('pseudonym', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('client_event_id', 'text', (c) => c.notNull())
    .addColumn('payload_sealed', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('viewer_events_once', ['pseudonym', 'client_event_id'])
    .execute();
  await db.schema.createIndex('viewer_events_subject').on('viewer_events').columns(['subject', 'created_at']).execute();
  await db.schema.createIndex('viewer_events_time').on('viewer_events').column('created_at').execute();

  // What is counted when no consent allows storing: per room and type, no identity at all.
  await db.schema
    .createTable('anonymous_event_counts')
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('anonymous_event_counts_pk', ['session_id', 'type'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('anonymous_event_counts').ifExists().execute();
  await db.schema.dropTable('viewer_events').ifExists().execute();
}
