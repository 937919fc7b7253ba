import type { Kysely } from 'kysely';

/**
 * A viewer's chat message carries the client event id its page gave it, so a send retried after a
 * lost ack (or a node restart) is stored once: a unique key on (session, author subject, client
 * event id). Staff and assistant messages, and messages stored before this, have none (null, which
 * the unique index never compares equal, on SQLite and PostgreSQL alike).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('chat_messages').addColumn('client_event_id', 'text').execute();
  await db.schema
    .createIndex('chat_messages_client_event')
    .on('chat_messages')
    .columns(['session_id', 'author_subject', 'client_event_id'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('chat_messages_client_event').execute();
  await db.schema.alterTable('chat_messages').dropColumn('client_event_id').execute();
}
