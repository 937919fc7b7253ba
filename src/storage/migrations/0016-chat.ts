import { SqliteAdapter, sql, type Kysely } from 'kysely';

/**
 * Live chat, its moderation and the shopping assistant's queue and memory.
 *  - chat_messages: what viewers, staff and the assistant wrote. A viewer's words and nickname are
 *    personal data: sealed under the viewer's own data key (erasing the viewer makes them unreadable
 *    everywhere) and kept `QINGLIU_CHAT_KEEP_DAYS`. Staff and assistant messages are plain text.
 *  - chat_rooms: per-room settings (slow mode, extra keywords) and the pinned message.
 *  - chat_bans: bans and shadow-bans, per room, under the viewer's keyed subject id.
 *  - chat_moderation_log: every moderation action (LC3), a SHA-256 chain per room; triggers refuse
 *    UPDATE always and DELETE of entries younger than three years (the retention job's purge only).
 *  - assistant_handoffs: questions passed to the host's queue.
 *  - assistant_memory: a viewer's conversation with the assistant kept across shows, only under the
 *    assistant-memory consent (AI4), sealed, with an expiry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('chat_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('author_kind', 'text', (c) => c.notNull().check(sql`author_kind in ('viewer', 'staff', 'assistant')`))
    // Viewers: their keyed subject id (never the device id); staff: their account id.
    .addColumn('author_subject', 'text')
    .addColumn('staff_id', 'text')
    // Plain for staff and the assistant; null for viewers, whose words are sealed.
    .addColumn('nickname', 'text')
    .addColumn('text', 'text')
    .addColumn('nickname_sealed', 'text')
    .addColumn('text_sealed', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('visible', 'hidden', 'deleted', 'banned')`))
    .addColumn('shadow', 'integer', (c) => c.notNull())
    .addColumn('ai_generated', 'integer', (c) => c.notNull())
    // JSON: role, links, sources, handoff, replyTo.
    .addColumn('meta', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('chat_messages_session').on('chat_messages').columns(['session_id', 'at']).execute();
  await db.schema.createIndex('chat_messages_subject').on('chat_messages').columns(['author_subject', 'session_id']).execute();
  await db.schema.createIndex('chat_messages_time').on('chat_messages').column('at').execute();

  await db.schema
    .createTable('chat_rooms')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('slow_mode_seconds', 'integer', (c) => c.notNull())
    // JSON {zh: string[], en: string[]}: words this room blocks beyond the deployment's lists.
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('pinned_message_id', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('chat_bans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('ban', 'shadow')`))
    .addColumn('nickname_sealed', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('lifted_at', 'bigint')
    .addColumn('lifted_by', 'text')
    .execute();
  await db.schema.createIndex('chat_bans_session').on('chat_bans').columns(['session_id', 'subject']).execute();

  await db.schema
    .createTable('chat_moderation_log')
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('target_subject', 'text')
    .addColumn('target_nickname_sealed', 'text')
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text')
    .addColumn('reason', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_moderation_log_pk', ['session_id', 'seq'])
    .execute();
  await db.schema.createIndex('chat_moderation_log_time').on('chat_moderation_log').column('at').execute();
  await appendOnly(db);

  await db.schema
    .createTable('assistant_handoffs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    // The asking viewer's subject when known; their question is then sealed under it.
    .addColumn('subject', 'text')
    .addColumn('question', 'text')
    .addColumn('question_sealed', 'text')
    // Like the question: sealed under the viewer's key when known, plain only without a viewer.
    .addColumn('nickname', 'text')
    .addColumn('nickname_sealed', 'text')
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'answered', 'dismissed')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('handled_at', 'bigint')
    .addColumn('handled_by', 'text')
    .execute();
  await db.schema.createIndex('assistant_handoffs_session').on('assistant_handoffs').columns(['session_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('assistant_handoffs_subject').on('assistant_handoffs').column('subject').execute();

  await db.schema
    .createTable('assistant_memory')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('turns_sealed', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('assistant_memory_pk', ['subject', 'brand_id'])
    .execute();
}

/** Three years in ms: the moderation log's retention; younger entries cannot be deleted. */
const LOG_KEEP_MS = 3 * 365 * 86_400_000;

async function appendOnly(db: Kysely<unknown>): Promise<void> {
  const dialect = await sqlDialect(db);
  if (dialect === 'sqlite') {
    await sql`create trigger chat_moderation_log_no_update before update on chat_moderation_log
      begin select raise(abort, 'chat_moderation_log is append-only'); end`.execute(db);
    await sql.raw(`create trigger chat_moderation_log_no_delete before delete on chat_moderation_log
      when old.at > (cast(strftime('%s', 'now') as integer) * 1000 - ${LOG_KEEP_MS})
      begin select raise(abort, 'chat_moderation_log entries are kept three years'); end`).execute(db);
  } else {
    await sql.raw(`create or replace function chat_moderation_log_guard() returns trigger as $$
      begin
        if tg_op = 'UPDATE' then raise exception 'chat_moderation_log is append-only'; end if;
        if old.at > (extract(epoch from now()) * 1000)::bigint - ${LOG_KEEP_MS} then
          raise exception 'chat_moderation_log entries are kept three years';
        end if;
        return old;
      end $$ language plpgsql`).execute(db);
    await sql`create trigger chat_moderation_log_guard before update or delete on chat_moderation_log
      for each row execute function chat_moderation_log_guard()`.execute(db);
  }
}

/** The dialect from Kysely's adapter (a failing probe query would abort PostgreSQL's migration transaction). */
async function sqlDialect(db: Kysely<unknown>): Promise<'sqlite' | 'postgres'> {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['assistant_memory', 'assistant_handoffs', 'chat_moderation_log', 'chat_bans', 'chat_rooms', 'chat_messages']) {
    await db.schema.dropTable(t).execute();
  }
}
