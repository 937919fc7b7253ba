/** The chat store on Kysely (SQLite and PostgreSQL). */
import type { Kysely, Selectable } from 'kysely';
import type { ChatMessageTable, Database } from '../../../storage/schema.js';
import { chainHash, GENESIS } from '../log-chain.js';
import type {
  ChatStore,
  MessageStatus,
  NewLogEntry,
  RoomSettingsRow,
  StoredBan,
  StoredHandoff,
  StoredLogEntry,
  StoredMemory,
  StoredSessionMemory,
  StoredMessage,
} from '../ports.js';

const toMessage = (r: Selectable<ChatMessageTable>): StoredMessage => ({
  id: r.id,
  sessionId: r.session_id,
  at: Number(r.at),
  authorKind: r.author_kind,
  authorSubject: r.author_subject,
  staffId: r.staff_id,
  nickname: r.nickname,
  text: r.text,
  nicknameSealed: r.nickname_sealed,
  textSealed: r.text_sealed,
  status: r.status,
  shadow: Number(r.shadow) === 1,
  aiGenerated: Number(r.ai_generated) === 1,
  meta: JSON.parse(r.meta) as StoredMessage['meta'],
  clientEventId: r.client_event_id,
});

const toBan = (r: Selectable<Database['chat_bans']>): StoredBan => ({
  id: r.id,
  sessionId: r.session_id,
  subject: r.subject,
  kind: r.kind,
  nicknameSealed: r.nickname_sealed,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
  liftedAt: r.lifted_at === null ? null : Number(r.lifted_at),
  liftedBy: r.lifted_by,
});

const toLog = (r: Selectable<Database['chat_moderation_log']>): StoredLogEntry => ({
  sessionId: r.session_id,
  seq: Number(r.seq),
  action: r.action as StoredLogEntry['action'],
  messageId: r.message_id,
  targetSubject: r.target_subject,
  targetNicknameSealed: r.target_nickname_sealed,
  actor: { kind: r.actor_kind as 'staff' | 'system', id: r.actor_id, name: r.actor_name },
  reason: r.reason,
  details: JSON.parse(r.details) as Record<string, unknown>,
  at: Number(r.at),
  prevHash: r.prev_hash,
  hash: r.hash,
});

const toHandoff = (r: Selectable<Database['assistant_handoffs']>): StoredHandoff => ({
  id: r.id,
  sessionId: r.session_id,
  subject: r.subject,
  question: r.question,
  questionSealed: r.question_sealed,
  nickname: r.nickname,
  nicknameSealed: r.nickname_sealed,
  locale: r.locale === 'en' ? 'en' : 'zh-CN',
  reason: r.reason,
  messageId: r.message_id,
  status: r.status,
  createdAt: Number(r.created_at),
  handledAt: r.handled_at === null ? null : Number(r.handled_at),
  handledBy: r.handled_by,
});

export class KyselyChatStore implements ChatStore {
  constructor(private readonly db: Kysely<Database>) {}

  transaction<T>(fn: (store: ChatStore) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return this.db.transaction().execute((tx) => fn(new KyselyChatStore(tx)));
  }

  async insertMessages(rows: readonly StoredMessage[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const skipped: string[] = [];
    // 15 columns a row: stay well under SQLite's 32,766 bound parameters per statement.
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const inserted = await this.db
        .insertInto('chat_messages')
        .values(
          chunk.map((m) => ({
            id: m.id,
            session_id: m.sessionId,
            at: m.at,
            author_kind: m.authorKind,
            author_subject: m.authorSubject,
            staff_id: m.staffId,
            nickname: m.nickname,
            text: m.text,
            nickname_sealed: m.nicknameSealed,
            text_sealed: m.textSealed,
            status: m.status,
            shadow: m.shadow ? 1 : 0,
            ai_generated: m.aiGenerated ? 1 : 0,
            meta: JSON.stringify(m.meta),
            client_event_id: m.clientEventId,
          })),
        )
        // A retried send (the same room, author and client event id) is stored once; any other
        // conflict (a duplicate message id) still fails the batch.
        .onConflict((oc) => oc.columns(['session_id', 'author_subject', 'client_event_id']).doNothing())
        .returning('id')
        .execute();
      if (inserted.length === chunk.length) continue;
      const stored = new Set(inserted.map((r) => r.id));
      for (const m of chunk) if (!stored.has(m.id)) skipped.push(m.id);
    }
    return skipped;
  }

  async messageByClientEventId(sessionId: string, authorSubject: string, clientEventId: string): Promise<StoredMessage | undefined> {
    const r = await this.db
      .selectFrom('chat_messages')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('author_subject', '=', authorSubject)
      .where('client_event_id', '=', clientEventId)
      .executeTakeFirst();
    return r && toMessage(r);
  }

  async getMessage(sessionId: string, id: string): Promise<StoredMessage | undefined> {
    const r = await this.db.selectFrom('chat_messages').selectAll().where('session_id', '=', sessionId).where('id', '=', id).executeTakeFirst();
    return r && toMessage(r);
  }

  async messages(sessionId: string, options: { limit: number; viewerVisible: boolean }): Promise<StoredMessage[]> {
    let q = this.db.selectFrom('chat_messages').selectAll().where('session_id', '=', sessionId);
    if (options.viewerVisible) q = q.where('status', '=', 'visible').where('shadow', '=', 0);
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
    return rows.reverse().map(toMessage);
  }

  async allMessages(sessionId: string, after: { at: number; id: string } | undefined, limit: number): Promise<StoredMessage[]> {
    let q = this.db.selectFrom('chat_messages').selectAll().where('session_id', '=', sessionId);
    if (after) q = q.where((eb) => eb.or([eb('at', '>', after.at), eb.and([eb('at', '=', after.at), eb('id', '>', after.id)])]));
    return (await q.orderBy('at').orderBy('id').limit(limit).execute()).map(toMessage);
  }

  async setStatus(sessionId: string, ids: readonly string[], status: MessageStatus): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('chat_messages').set({ status }).where('session_id', '=', sessionId).where('id', 'in', ids).execute();
  }

  async removeMessagesOf(sessionId: string, subject: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chat_messages')
      .select('id')
      .where('session_id', '=', sessionId)
      .where('author_subject', '=', subject)
      .where('status', 'in', ['visible', 'hidden'])
      .execute();
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 500) await this.setStatus(sessionId, ids.slice(i, i + 500), 'banned');
    return ids;
  }

  async messagesOfSubject(subject: string): Promise<StoredMessage[]> {
    return (await this.db.selectFrom('chat_messages').selectAll().where('author_subject', '=', subject).orderBy('at').execute()).map(toMessage);
  }

  async room(sessionId: string): Promise<RoomSettingsRow | undefined> {
    const r = await this.db.selectFrom('chat_rooms').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
    return (
      r && {
        sessionId: r.session_id,
        slowModeSeconds: Number(r.slow_mode_seconds),
        keywords: JSON.parse(r.keywords) as RoomSettingsRow['keywords'],
        pinnedMessageId: r.pinned_message_id,
        updatedAt: Number(r.updated_at),
      }
    );
  }

  async saveRoom(row: RoomSettingsRow): Promise<void> {
    const values = {
      slow_mode_seconds: row.slowModeSeconds,
      keywords: JSON.stringify(row.keywords),
      pinned_message_id: row.pinnedMessageId,
      updated_at: row.updatedAt,
    };
    await this.db
      .insertInto('chat_rooms')
      .values({ session_id: row.sessionId, ...values })
      .onConflict((oc) => oc.column('session_id').doUpdateSet(values))
      .execute();
  }

  async bans(sessionId: string): Promise<StoredBan[]> {
    return (await this.db.selectFrom('chat_bans').selectAll().where('session_id', '=', sessionId).orderBy('created_at').execute()).map(toBan);
  }

  async getBan(sessionId: string, id: string): Promise<StoredBan | undefined> {
    const r = await this.db.selectFrom('chat_bans').selectAll().where('session_id', '=', sessionId).where('id', '=', id).executeTakeFirst();
    return r && toBan(r);
  }

  async addBan(ban: StoredBan): Promise<void> {
    await this.db
      .insertInto('chat_bans')
      .values({
        id: ban.id,
        session_id: ban.sessionId,
        subject: ban.subject,
        kind: ban.kind,
        nickname_sealed: ban.nicknameSealed,
        created_at: ban.createdAt,
        created_by: ban.createdBy,
        lifted_at: ban.liftedAt,
        lifted_by: ban.liftedBy,
      })
      .execute();
  }

  async liftBan(sessionId: string, id: string, at: number, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('chat_bans')
      .set({ lifted_at: at, lifted_by: by })
      .where('session_id', '=', sessionId)
      .where('id', '=', id)
      .where('lifted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async appendLog(entry: NewLogEntry): Promise<StoredLogEntry> {
    return this.transaction(async (store) => {
      const db = (store as KyselyChatStore).db;
      const last = await db
        .selectFrom('chat_moderation_log')
        .select(['seq', 'hash'])
        .where('session_id', '=', entry.sessionId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const seq = last ? Number(last.seq) + 1 : 1;
      const prevHash = last?.hash ?? GENESIS;
      const stored: StoredLogEntry = { ...entry, seq, prevHash, hash: chainHash(prevHash, { ...entry, seq }) };
      // (session_id, seq) is the primary key: two nodes appending at once cannot fork the chain.
      await db
        .insertInto('chat_moderation_log')
        .values({
          session_id: entry.sessionId,
          seq,
          action: entry.action,
          message_id: entry.messageId,
          target_subject: entry.targetSubject,
          target_nickname_sealed: entry.targetNicknameSealed,
          actor_kind: entry.actor.kind,
          actor_id: entry.actor.id,
          actor_name: entry.actor.name,
          reason: entry.reason,
          details: JSON.stringify(entry.details),
          at: entry.at,
          prev_hash: prevHash,
          hash: stored.hash,
        })
        .execute();
      return stored;
    });
  }

  async log(sessionId: string): Promise<StoredLogEntry[]> {
    return (await this.db.selectFrom('chat_moderation_log').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute()).map(toLog);
  }

  async addHandoff(h: StoredHandoff): Promise<void> {
    await this.db
      .insertInto('assistant_handoffs')
      .values({
        id: h.id,
        session_id: h.sessionId,
        subject: h.subject,
        question: h.question,
        question_sealed: h.questionSealed,
        nickname: h.nickname,
        nickname_sealed: h.nicknameSealed,
        locale: h.locale,
        reason: h.reason,
        message_id: h.messageId,
        status: h.status,
        created_at: h.createdAt,
        handled_at: h.handledAt,
        handled_by: h.handledBy,
      })
      .execute();
  }

  async getHandoff(sessionId: string, id: string): Promise<StoredHandoff | undefined> {
    const r = await this.db.selectFrom('assistant_handoffs').selectAll().where('session_id', '=', sessionId).where('id', '=', id).executeTakeFirst();
    return r && toHandoff(r);
  }

  async handoffs(sessionId: string, status: 'open' | 'all', limit: number): Promise<StoredHandoff[]> {
    let q = this.db.selectFrom('assistant_handoffs').selectAll().where('session_id', '=', sessionId);
    if (status === 'open') q = q.where('status', '=', 'open');
    return (await q.orderBy('created_at').orderBy('id').limit(limit).execute()).map(toHandoff);
  }

  async closeHandoff(sessionId: string, id: string, status: 'answered' | 'dismissed', at: number, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('assistant_handoffs')
      .set({ status, handled_at: at, handled_by: by })
      .where('session_id', '=', sessionId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async handoffsOfSubject(subject: string): Promise<StoredHandoff[]> {
    return (await this.db.selectFrom('assistant_handoffs').selectAll().where('subject', '=', subject).orderBy('created_at').execute()).map(toHandoff);
  }

  async memory(subject: string, brandId: string, now: number): Promise<StoredMemory | undefined> {
    const r = await this.db
      .selectFrom('assistant_memory')
      .selectAll()
      .where('subject', '=', subject)
      .where('brand_id', '=', brandId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r && { subject: r.subject, brandId: r.brand_id, turnsSealed: r.turns_sealed, updatedAt: Number(r.updated_at), expiresAt: Number(r.expires_at) };
  }

  async putMemory(m: StoredMemory): Promise<void> {
    const values = { turns_sealed: m.turnsSealed, updated_at: m.updatedAt, expires_at: m.expiresAt };
    await this.db
      .insertInto('assistant_memory')
      .values({ subject: m.subject, brand_id: m.brandId, ...values })
      .onConflict((oc) => oc.columns(['subject', 'brand_id']).doUpdateSet(values))
      .execute();
  }

  async memoriesOfSubject(subject: string): Promise<StoredMemory[]> {
    const rows = await this.db.selectFrom('assistant_memory').selectAll().where('subject', '=', subject).execute();
    return rows.map((r) => ({ subject: r.subject, brandId: r.brand_id, turnsSealed: r.turns_sealed, updatedAt: Number(r.updated_at), expiresAt: Number(r.expires_at) }));
  }

  async deleteMemory(subject: string, brandId?: string): Promise<number> {
    let q = this.db.deleteFrom('assistant_memory').where('subject', '=', subject);
    if (brandId !== undefined) q = q.where('brand_id', '=', brandId);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  }

  async sessionMemory(sessionId: string, subject: string): Promise<StoredSessionMemory | undefined> {
    const r = await this.db.selectFrom('assistant_session_memory').selectAll().where('session_id', '=', sessionId).where('subject', '=', subject).executeTakeFirst();
    return r && toSessionMemory(r);
  }

  async putSessionMemory(m: StoredSessionMemory, expected: string | null): Promise<boolean> {
    if (expected === null) {
      const r = await this.db
        .insertInto('assistant_session_memory')
        .values({ session_id: m.sessionId, subject: m.subject, turns_sealed: m.turnsSealed, updated_at: m.updatedAt })
        .onConflict((oc) => oc.columns(['session_id', 'subject']).doNothing())
        .returning('session_id')
        .execute();
      return r.length > 0;
    }
    // Each sealed text carries its own random nonce, so it names exactly one write.
    const r = await this.db
      .updateTable('assistant_session_memory')
      .set({ turns_sealed: m.turnsSealed, updated_at: m.updatedAt })
      .where('session_id', '=', m.sessionId)
      .where('subject', '=', m.subject)
      .where('turns_sealed', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async sessionMemoriesOfSubject(subject: string): Promise<StoredSessionMemory[]> {
    return (await this.db.selectFrom('assistant_session_memory').selectAll().where('subject', '=', subject).orderBy('updated_at').execute()).map(toSessionMemory);
  }

  async deleteSessionMemory(of: { sessionId: string } | { subject: string }): Promise<number> {
    const q = 'sessionId' in of ? this.db.deleteFrom('assistant_session_memory').where('session_id', '=', of.sessionId) : this.db.deleteFrom('assistant_session_memory').where('subject', '=', of.subject);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  }

  async eraseSubject(subject: string): Promise<number> {
    const m = await this.db.deleteFrom('chat_messages').where('author_subject', '=', subject).executeTakeFirst();
    const h = await this.db.deleteFrom('assistant_handoffs').where('subject', '=', subject).executeTakeFirst();
    const mem = await this.deleteMemory(subject);
    const shows = await this.deleteSessionMemory({ subject });
    return Number(m.numDeletedRows) + Number(h.numDeletedRows) + mem + shows;
  }

  async purgeMessagesBefore(cutoff: number): Promise<number> {
    return Number((await this.db.deleteFrom('chat_messages').where('at', '<', cutoff).executeTakeFirst()).numDeletedRows);
  }

  async purgeLogBefore(cutoff: number): Promise<number> {
    // Whole chains only: a room's log goes when its newest entry is past the cutoff, so every kept chain verifies.
    const old = this.db.selectFrom('chat_moderation_log').select('session_id').groupBy('session_id').having((eb) => eb.fn.max('at'), '<', cutoff);
    return Number((await this.db.deleteFrom('chat_moderation_log').where('session_id', 'in', old).executeTakeFirst()).numDeletedRows);
  }

  async purgeHandoffsBefore(cutoff: number): Promise<number> {
    return Number((await this.db.deleteFrom('assistant_handoffs').where('created_at', '<', cutoff).executeTakeFirst()).numDeletedRows);
  }

  async purgeMemoryBefore(now: number): Promise<number> {
    return Number((await this.db.deleteFrom('assistant_memory').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
  }

  async purgeSessionMemory(cutoff: number): Promise<number> {
    const ended = this.db.selectFrom('live_sessions').select('id').where('status', '=', 'ended');
    const r = await this.db
      .deleteFrom('assistant_session_memory')
      .where((eb) => eb.or([eb('updated_at', '<', cutoff), eb('session_id', 'in', ended)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function toSessionMemory(r: { session_id: string; subject: string; turns_sealed: string; updated_at: number | string | bigint }): StoredSessionMemory {
  return { sessionId: r.session_id, subject: r.subject, turnsSealed: r.turns_sealed, updatedAt: Number(r.updated_at) };
}
