import type { Kysely } from 'kysely';

/**
 * The assistant's memory of a viewer's conversation in one show (which products they asked about,
 * never the words), sealed under the viewer's key, shared by every node (a follow-up question may
 * reach another node; a download or an erasure on any node sees it), deleted when the show ends.
 * No consent is needed for it (AI4: for the show only); keeping it beyond is assistant_memory's.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assistant_session_memory')
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('turns_sealed', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('assistant_session_memory_pk', ['session_id', 'subject'])
    .execute();
  await db.schema.createIndex('assistant_session_memory_subject').on('assistant_session_memory').column('subject').execute();
  await db.schema.createIndex('assistant_session_memory_updated').on('assistant_session_memory').column('updated_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('assistant_session_memory').ifExists().execute();
}
