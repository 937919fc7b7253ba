/** ChatStore contract, run on every storage adapter (SQLite always; PostgreSQL where reachable, required in CI). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyChatStore } from '../../src/modules/chat/adapters/chat.kysely.js';
import { verifyChain } from '../../src/modules/chat/log-chain.js';
import type { NewLogEntry, StoredMessage } from '../../src/modules/chat/ports.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const YEAR = 365 * 86_400_000;
let n = 0;
const msg = (sessionId: string, at: number, over: Partial<StoredMessage> = {}): StoredMessage => ({
  id: `${at.toString(36).padStart(9, '0')}m${++n}`,
  sessionId,
  at,
  authorKind: 'viewer',
  authorSubject: 'subject-a',
  staffId: null,
  nickname: null,
  text: null,
  nicknameSealed: 'sealed-nick',
  textSealed: 'sealed-text',
  status: 'visible',
  shadow: false,
  aiGenerated: false,
  meta: {},
  clientEventId: null,
  ...over,
});
const logEntry = (sessionId: string, at: number, over: Partial<NewLogEntry> = {}): NewLogEntry => ({
  sessionId,
  action: 'hide',
  messageId: null,
  targetSubject: null,
  targetNicknameSealed: null,
  actor: { kind: 'staff', id: 'u1', name: 'Host' },
  reason: null,
  details: {},
  at,
  ...over,
});

describe.each(DIALECTS)('ChatStore on %s', (dialect) => {
  let t: TestStorage;
  let store: KyselyChatStore;
  beforeAll(async () => {
    t = await freshStorage(dialect);
    store = new KyselyChatStore(t.storage.db);
  });
  afterAll(async () => t?.dispose());

  it('stores messages and reads the newest in time order, viewer-visible or all', async () => {
    const rows = [msg('r1', 1000), msg('r1', 2000, { status: 'hidden' }), msg('r1', 3000, { shadow: true }), msg('r1', 4000), msg('r2', 1500)];
    await store.transaction((s) => s.insertMessages(rows));
    expect((await store.messages('r1', { limit: 10, viewerVisible: true })).map((m) => m.at)).toEqual([1000, 4000]);
    expect((await store.messages('r1', { limit: 3, viewerVisible: false })).map((m) => m.at)).toEqual([2000, 3000, 4000]);
    expect(await store.getMessage('r1', rows[1]!.id)).toMatchObject({ status: 'hidden', shadow: false, meta: {} });
    expect(await store.getMessage('r2', rows[1]!.id)).toBeUndefined();
    const page1 = await store.allMessages('r1', undefined, 2);
    const page2 = await store.allMessages('r1', { at: page1[1]!.at, id: page1[1]!.id }, 2);
    expect([...page1, ...page2].map((m) => m.at)).toEqual([1000, 2000, 3000, 4000]);
  });

  it('writes a batch in one transaction: a failing row leaves none', async () => {
    const good = msg('r3', 1000);
    await expect(store.transaction((s) => s.insertMessages([good, { ...msg('r3', 2000), id: good.id }]))).rejects.toThrow();
    expect(await store.messages('r3', { limit: 10, viewerVisible: false })).toEqual([]);
  });

  it("removes a banned viewer's visible and hidden messages and reports their ids", async () => {
    const mine = [msg('r4', 1, { authorSubject: 'troll' }), msg('r4', 2, { authorSubject: 'troll', status: 'hidden' }), msg('r4', 3, { authorSubject: 'troll', status: 'deleted' })];
    await store.insertMessages([...mine, msg('r4', 4, { authorSubject: 'kind' })]);
    expect(new Set(await store.removeMessagesOf('r4', 'troll'))).toEqual(new Set([mine[0]!.id, mine[1]!.id]));
    expect((await store.messages('r4', { limit: 10, viewerVisible: false })).map((m) => m.status)).toEqual(['banned', 'banned', 'deleted', 'visible']);
  });

  it('keeps room settings and bans, and lifts a ban once', async () => {
    await store.saveRoom({ sessionId: 'r5', slowModeSeconds: 10, keywords: { zh: ['词'], en: ['word'] }, pinnedMessageId: null, updatedAt: 1 });
    await store.saveRoom({ sessionId: 'r5', slowModeSeconds: 0, keywords: { zh: [], en: ['x'] }, pinnedMessageId: 'p', updatedAt: 2 });
    expect(await store.room('r5')).toEqual({ sessionId: 'r5', slowModeSeconds: 0, keywords: { zh: [], en: ['x'] }, pinnedMessageId: 'p', updatedAt: 2 });
    await store.addBan({ id: 'ban-0000001', sessionId: 'r5', subject: 's', kind: 'shadow', nicknameSealed: null, createdAt: 5, createdBy: 'u1', liftedAt: null, liftedBy: null });
    expect(await store.liftBan('r5', 'ban-0000001', 6, 'u2')).toBe(true);
    expect(await store.liftBan('r5', 'ban-0000001', 7, 'u2')).toBe(false);
    expect(await store.getBan('r5', 'ban-0000001')).toMatchObject({ liftedAt: 6, liftedBy: 'u2' });
  });

  it('appends a verifiable hash chain per room, refuses rewriting it, and purges only whole old chains', async () => {
    for (let i = 0; i < 3; i++) await store.appendLog(logEntry('r6', 10 + i, { details: { i } }));
    await store.appendLog(logEntry('r7', 20));
    const r6 = await store.log('r6');
    expect(r6.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(verifyChain(r6).verified).toBe(true);
    expect(verifyChain(await store.log('r7')).verified).toBe(true);
    // Concurrent appends to one room never fork the chain.
    await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.appendLog(logEntry('r8', 100 + i))));
    const r8 = await store.log('r8');
    expect(verifyChain(r8).verified).toBe(true);
    await expect(t.storage.db.updateTable('chat_moderation_log').set({ reason: 'x' }).where('session_id', '=', 'r6').execute()).rejects.toThrow();
    // Entries from 1970 are past the three years: the whole chain may go; a recent one may not.
    const recent = Date.now();
    await store.appendLog(logEntry('r9', recent));
    expect(await store.purgeLogBefore(Date.now() - 3 * YEAR)).toBe(3 + 1 + r8.length);
    expect(await store.log('r6')).toEqual([]);
    expect(await store.log('r9')).toHaveLength(1);
    await expect(t.storage.db.deleteFrom('chat_moderation_log').where('session_id', '=', 'r9').execute()).rejects.toThrow();
  });

  it('keeps handoffs and memory, closes a handoff once, and erases a subject', async () => {
    await store.addHandoff({ id: 'h-00000001', sessionId: 'r10', subject: 'erase-me', question: null, questionSealed: 'sealed', nickname: null, nicknameSealed: 'sealed-nick', locale: 'zh-CN', reason: 'asked_for_person', messageId: null, status: 'open', createdAt: 1, handledAt: null, handledBy: null });
    expect((await store.handoffs('r10', 'open', 10)).map((h) => h.id)).toEqual(['h-00000001']);
    expect(await store.closeHandoff('r10', 'h-00000001', 'answered', 2, 'u1')).toBe(true);
    expect(await store.closeHandoff('r10', 'h-00000001', 'dismissed', 3, 'u1')).toBe(false);
    expect(await store.handoffs('r10', 'open', 10)).toEqual([]);
    await store.putMemory({ subject: 'erase-me', brandId: 'b', turnsSealed: 't1', updatedAt: 1, expiresAt: 100 });
    await store.putMemory({ subject: 'erase-me', brandId: 'b', turnsSealed: 't2', updatedAt: 2, expiresAt: 200 });
    expect(await store.memory('erase-me', 'b', 150)).toMatchObject({ turnsSealed: 't2' });
    expect(await store.memory('erase-me', 'b', 250)).toBeUndefined();
    await store.insertMessages([msg('r10', 5, { authorSubject: 'erase-me' })]);
    expect(await store.eraseSubject('erase-me')).toBe(3);
    expect(await store.messagesOfSubject('erase-me')).toEqual([]);
    expect(await store.handoffsOfSubject('erase-me')).toEqual([]);
    await store.putMemory({ subject: 'old', brandId: 'b', turnsSealed: 't', updatedAt: 1, expiresAt: 10 });
    expect(await store.purgeMemoryBefore(11)).toBe(1);
  });

  it('keeps a viewer\'s memory of each show apart, replaces it in place, and deletes it by show, by viewer, by erasure and by age', async () => {
    // Each write names what it read (null: nothing yet), as the assistant does.
    const put = async (sessionId: string, subject: string, turnsSealed: string, updatedAt: number) => {
      const read = (await store.sessionMemory(sessionId, subject))?.turnsSealed ?? null;
      expect(await store.putSessionMemory({ sessionId, subject, turnsSealed, updatedAt }, read)).toBe(true);
    };
    await put('show-1', 'viewer-a', 'a1', 10);
    await put('show-1', 'viewer-a', 'a2', 20); // the same show and viewer: replaced, not added
    await put('show-2', 'viewer-a', 'a3', 30);
    await put('show-1', 'viewer-b', 'b1', 40);
    expect(await store.sessionMemory('show-1', 'viewer-a')).toEqual({ sessionId: 'show-1', subject: 'viewer-a', turnsSealed: 'a2', updatedAt: 20 });
    expect(await store.sessionMemory('show-3', 'viewer-a')).toBeUndefined();
    expect((await store.sessionMemoriesOfSubject('viewer-a')).map((m) => m.turnsSealed)).toEqual(['a2', 'a3']);
    // The show ends: every viewer's memory of it goes, and nothing of other shows.
    expect(await store.deleteSessionMemory({ sessionId: 'show-1' })).toBe(2);
    expect(await store.sessionMemory('show-1', 'viewer-b')).toBeUndefined();
    expect((await store.sessionMemoriesOfSubject('viewer-a')).map((m) => m.turnsSealed)).toEqual(['a3']);
    // A viewer withdraws: theirs in every show goes.
    await put('show-4', 'viewer-a', 'a4', 50);
    await put('show-4', 'viewer-c', 'c1', 60);
    expect(await store.deleteSessionMemory({ subject: 'viewer-a' })).toBe(2);
    expect(await store.sessionMemoriesOfSubject('viewer-a')).toEqual([]);
    // Erasure takes it with the rest.
    expect(await store.eraseSubject('viewer-c')).toBe(1);
    expect(await store.sessionMemoriesOfSubject('viewer-c')).toEqual([]);
    // What the end did not delete: memory of ended shows, and any untouched since the cutoff; a running show's recent memory stays.
    const db = t.storage.db;
    await db.insertInto('brands').values({ id: 'memory-brand', name_zh: '品牌', name_en: 'Brand', operator_zh: '运营', operator_en: 'Operator', contact_email: 'a@example.cn', contact_phone: '400', merchant_licence: 'L', created_at: 1 }).execute();
    const room = (id: string, status: string) => ({ id, brand_id: 'memory-brand', title_zh: id, title_en: id, status, created_at: 1, version: 0 });
    await db.insertInto('live_sessions').values([room('show-ended', 'ended'), room('show-live', 'live')]).execute();
    await put('show-ended', 'viewer-d', 'd0', 1_000);
    await put('show-5', 'viewer-d', 'd1', 100);
    await put('show-live', 'viewer-d', 'd2', 1_000);
    expect(await store.purgeSessionMemory(150)).toBe(2);
    expect((await store.sessionMemoriesOfSubject('viewer-d')).map((m) => m.sessionId)).toEqual(['show-live']);
  });

  it('writes a viewer\'s memory of a show only over what the writer read: never over another write, never back after a delete', async () => {
    const first = { sessionId: 'cas-show', subject: 'cas-viewer', turnsSealed: 'c1', updatedAt: 10 };
    expect(await store.putSessionMemory(first, null)).toBe(true);
    // Another writer that also read nothing: refused, the first write stays.
    expect(await store.putSessionMemory({ ...first, turnsSealed: 'c1-other', updatedAt: 11 }, null)).toBe(false);
    // A writer that read something else: refused.
    expect(await store.putSessionMemory({ ...first, turnsSealed: 'c2-stale', updatedAt: 12 }, 'c0')).toBe(false);
    expect(await store.sessionMemory('cas-show', 'cas-viewer')).toEqual(first);
    // Over what it read: written.
    expect(await store.putSessionMemory({ ...first, turnsSealed: 'c2', updatedAt: 20 }, 'c1')).toBe(true);
    expect(await store.sessionMemory('cas-show', 'cas-viewer')).toMatchObject({ turnsSealed: 'c2', updatedAt: 20 });
    // Deleted meanwhile (the show ended, an erasure): a writer that read it does not bring it back.
    await store.deleteSessionMemory({ sessionId: 'cas-show' });
    expect(await store.putSessionMemory({ ...first, turnsSealed: 'c3', updatedAt: 30 }, 'c2')).toBe(false);
    expect(await store.sessionMemory('cas-show', 'cas-viewer')).toBeUndefined();
  });

  it('stores a viewer\'s client event id once per room and author: a resend is skipped and reported, and found by its key', async () => {
    const first = msg('r12', 1000, { authorSubject: 'viewer-a', clientEventId: 'evt-1' });
    expect(await store.transaction((s) => s.insertMessages([first]))).toEqual([]);
    // The same key again (a retried send, another node racing): skipped, its id reported, nothing else fails.
    const again = msg('r12', 2000, { authorSubject: 'viewer-a', clientEventId: 'evt-1' });
    const other = msg('r12', 2001, { authorSubject: 'viewer-a', clientEventId: 'evt-2' });
    expect(await store.transaction((s) => s.insertMessages([again, other]))).toEqual([again.id]);
    // Twice in one batch: the first is stored, the second skipped.
    const twinA = msg('r12', 3000, { authorSubject: 'viewer-b', clientEventId: 'evt-1' });
    const twinB = msg('r12', 3001, { authorSubject: 'viewer-b', clientEventId: 'evt-1' });
    expect(await store.insertMessages([twinA, twinB])).toEqual([twinB.id]);
    // The key is per room and per author; messages without one (staff, the assistant, older rows) never clash.
    const elsewhere = msg('r13', 1000, { authorSubject: 'viewer-a', clientEventId: 'evt-1' });
    const staff = [1, 2].map((i) => msg('r12', 4000 + i, { authorKind: 'staff', authorSubject: null, staffId: 'u1', nickname: 'Host', text: 'hi', nicknameSealed: null, textSealed: null }));
    const unkeyed = [1, 2].map((i) => msg('r12', 5000 + i, { authorSubject: 'viewer-a' }));
    expect(await store.insertMessages([elsewhere, ...staff, ...unkeyed])).toEqual([]);
    expect((await store.messages('r12', { limit: 20, viewerVisible: false })).map((m) => m.id)).toEqual([first.id, other.id, twinA.id, ...staff.map((m) => m.id), ...unkeyed.map((m) => m.id)]);
    expect(await store.messageByClientEventId('r12', 'viewer-a', 'evt-1')).toMatchObject({ id: first.id, clientEventId: 'evt-1', textSealed: 'sealed-text' });
    expect((await store.messageByClientEventId('r13', 'viewer-a', 'evt-1'))?.id).toBe(elsewhere.id);
    expect(await store.messageByClientEventId('r12', 'viewer-c', 'evt-1')).toBeUndefined();
    expect((await store.getMessage('r12', staff[0]!.id))?.clientEventId).toBeNull();
    // A duplicate message id is still an error, and the batch leaves nothing.
    const fresh = msg('r12', 6000, { authorSubject: 'viewer-a', clientEventId: 'evt-3' });
    await expect(store.transaction((s) => s.insertMessages([fresh, { ...msg('r12', 6001), id: first.id }]))).rejects.toThrow();
    expect(await store.messageByClientEventId('r12', 'viewer-a', 'evt-3')).toBeUndefined();
    // The database itself refuses a second row with the key (the unique index, not only the adapter).
    await expect(
      t.storage.db
        .insertInto('chat_messages')
        .values({ id: 'raw-dup-1', session_id: 'r12', at: 7000, author_kind: 'viewer', author_subject: 'viewer-a', staff_id: null, nickname: null, text: null, nickname_sealed: 'n', text_sealed: 't', status: 'visible', shadow: 0, ai_generated: 0, meta: '{}', client_event_id: 'evt-1' })
        .execute(),
    ).rejects.toThrow();
  });

  it('lets two writers race to store one client event id: one row, the other told it was skipped', async () => {
    const racers = Array.from({ length: 4 }, (_, i) => msg('r14', 1000 + i, { authorSubject: 'viewer-r', clientEventId: 'evt-race' }));
    const skipped = await Promise.all(racers.map((m) => store.transaction((s) => s.insertMessages([m]))));
    expect(skipped.flat()).toHaveLength(3);
    const rows = await store.messages('r14', { limit: 10, viewerVisible: false });
    expect(rows).toHaveLength(1);
    expect(skipped.flat()).not.toContain(rows[0]!.id);
  });

  it('purges messages and handoffs older than the cutoff', async () => {
    await store.insertMessages([msg('r11', 10), msg('r11', 1_000_000)]);
    expect(await store.purgeMessagesBefore(100)).toBeGreaterThanOrEqual(1);
    expect((await store.messages('r11', { limit: 10, viewerVisible: false })).map((m) => m.at)).toEqual([1_000_000]);
  });
});
