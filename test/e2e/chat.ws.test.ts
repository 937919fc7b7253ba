/**
 * Live chat over the room's WebSocket and its moderation over HTTP, on every database: messages reach
 * every viewer as text; the last 200 on join; rate limit and slow mode; links only from staff (LC6);
 * the keyword filter; delete, hide, ban (which removes the viewer's past messages), shadow-ban and pin,
 * each in a hash-chained moderation log that the database will not let anyone rewrite (LC3); the
 * assistant's labelled answers in the chat and the host's queue (AI1); the transcript after the show;
 * and bad input refused with a clear frame while the room keeps working. Durability: a message is
 * acked once it is stored; a resend with the same client event id (also after a restart) is stored
 * once and acked as a duplicate; a full write queue answers OVERLOADED with retryAfterSeconds.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { ChatDeps, ChatMessage, ChatStore, ModerationEntry } from '../../src/modules/chat/index.js';
import { AI_LABEL, AI_LABEL_PREFIX } from '../../src/modules/chat/index.js';
import type { RoomState } from '../../src/modules/live-room/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS, freshStorage } from '../support/databases.js';
import { chatMessagesIn, closeAllViewers, connectViewer, waitFor, type Viewer } from '../support/ws.js';

let devices = 0;
const newDevice = () => `chat-device-${String(++devices).padStart(6, '0')}-${Math.random().toString(36).slice(2, 10)}`;
let events = 0;
const eventId = () => `evt-${++events}-${Math.random().toString(36).slice(2, 8)}`;

const messagesIn = chatMessagesIn;

type Ack = { type: 'chat_ack'; clientEventId: string; messageId: string; duplicate?: boolean };
/** Every answer (ack or error) a viewer got for a client event id so far. */
const answersTo = (v: Viewer, clientEventId: string) =>
  v.received.filter((m) => (m.type === 'error' || (m.type as string) === 'chat_ack') && (m as { clientEventId?: string }).clientEventId === clientEventId) as unknown as Array<Ack | { type: 'error'; code: string; retryAfterSeconds?: number }>;


describe.each(DIALECTS)('live chat on %s', (dialect) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let products: RoomState['products'];
  let room = 0;

  beforeAll(async () => {
    t = await testApp(dialect, { env: { QINGLIU_CHAT_MESSAGES_PER_MINUTE: '600', QINGLIU_CHAT_BURST: '20', QINGLIU_WS_MESSAGES_PER_SECOND: '1000' } });
    admin = await signIn(t.app, 'admin');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    products = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<RoomState>().products;
  });
  afterAll(async () => t?.close());
  afterEach(() => closeAllViewers());

  const http = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, cookie: string | null = admin.cookie) =>
    t.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });

  /** A fresh live session with the demo brand's first products. */
  async function liveRoom(): Promise<string> {
    const id = `chat-${dialect}-${++room}`;
    const created = await http('POST', '/api/v1/sessions', { id, brandId: 'demo-brand', title: { zh: '聊天', en: 'Chat' }, productIds: products.slice(0, 6).map((p) => p.id) });
    expect(created.statusCode, created.body).toBe(201);
    expect((await http('POST', `/api/v1/sessions/${id}/start`, {})).statusCode).toBe(200);
    return id;
  }

  async function joined(sessionId: string): Promise<Viewer> {
    const v = await connectViewer(t.app, sessionId);
    await v.next('snapshot');
    await v.next('chat_history' as never);
    return v;
  }

  const say = (v: Viewer, deviceId: string, text: string, extra: Record<string, unknown> = {}) => {
    const clientEventId = eventId();
    v.send({ type: 'chat_send', clientEventId, deviceId, text, ...extra });
    return clientEventId;
  };
  const outcome = async (v: Viewer, clientEventId: string) => {
    const found = await waitFor(
      () => v.received.find((m) => (m.type === 'error' || (m.type as string) === 'chat_ack') && (m as { clientEventId?: string }).clientEventId === clientEventId),
      `the outcome of ${clientEventId}`,
    );
    return found as { type: 'error'; code: string; detail: string; retryAfterSeconds?: number } | { type: 'chat_ack'; messageId: string };
  };

  it('delivers a message to every viewer as plain text, and a joining viewer gets it in the history', async () => {
    const sessionId = await liveRoom();
    const alice = await joined(sessionId);
    const bob = await joined(sessionId);
    const aliceDevice = newDevice();
    const hostile = '<img src=x onerror=alert(1)> 好看！';
    const ack = await outcome(alice, say(alice, aliceDevice, hostile, { nickname: '小爱' }));
    expect(ack.type).toBe('chat_ack');
    const seen = await waitFor(() => messagesIn(bob).find((m) => m.text === hostile), 'bob to see the message');
    expect(seen).toMatchObject({ author: { kind: 'viewer', nickname: '小爱' }, aiGenerated: false, label: null });
    expect(JSON.stringify(seen)).not.toContain(aliceDevice);
    const carol = await connectViewer(t.app, sessionId);
    await carol.next('snapshot');
    const history = (await carol.next('chat_history' as never)) as unknown as { messages: ChatMessage[]; settings: { maxLength: number } };
    expect(history.messages.map((m) => m.text)).toContain(hostile);
    expect(history.settings.maxLength).toBe(200);
    // Stored sealed: the words are not in the database in the clear.
    await t.app.services.chat.flush();
    const rows = await t.app.services.storage.db.selectFrom('chat_messages').selectAll().where('session_id', '=', sessionId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toBeNull();
    expect(JSON.stringify(rows[0])).not.toContain('好看');
    expect(JSON.stringify(rows[0])).not.toContain('小爱');
  });

  it('acks a message only once it is stored: the row is in the database when the ack arrives', async () => {
    const sessionId = await liveRoom();
    const v = await joined(sessionId);
    const db = t.app.services.storage.db;
    for (let i = 0; i < 3; i++) {
      const clientEventId = say(v, newDevice(), `落盘 ${i}`);
      const ack = await outcome(v, clientEventId);
      if (ack.type !== 'chat_ack') throw new Error(ack.detail);
      // No flush: the ack itself means committed.
      const row = await db.selectFrom('chat_messages').select(['id', 'client_event_id']).where('session_id', '=', sessionId).where('id', '=', ack.messageId).executeTakeFirst();
      expect(row).toEqual({ id: ack.messageId, client_event_id: clientEventId });
    }
  });

  it('stores a resent message once: both acks name it, the resend as a duplicate; other viewers see it once', async () => {
    const sessionId = await liveRoom();
    const alice = await joined(sessionId);
    const bob = await joined(sessionId);
    const device = newDevice();
    const clientEventId = eventId();
    // The first ack is lost (say): the page sends the same event again.
    alice.send({ type: 'chat_send', clientEventId, deviceId: device, text: '只发一次' });
    const first = (await outcome(alice, clientEventId)) as Ack;
    expect(first).toMatchObject({ type: 'chat_ack' });
    expect(first.duplicate).toBeUndefined();
    alice.send({ type: 'chat_send', clientEventId, deviceId: device, text: '只发一次' });
    const second = await waitFor(() => answersTo(alice, clientEventId)[1], 'the resend to be answered');
    expect(second).toEqual({ type: 'chat_ack', clientEventId, messageId: first.messageId, duplicate: true });
    // Two sends of one event at once (a retry racing the original): one message between them.
    const racing = eventId();
    for (let i = 0; i < 2; i++) alice.send({ type: 'chat_send', clientEventId: racing, deviceId: device, text: '并发重发' });
    const raced = await waitFor(() => (answersTo(alice, racing).length === 2 ? (answersTo(alice, racing) as Ack[]) : undefined), 'both racing sends to be answered');
    expect(raced.map((a) => a.type)).toEqual(['chat_ack', 'chat_ack']);
    expect(raced[0]!.messageId).toBe(raced[1]!.messageId);
    expect(raced.filter((a) => a.duplicate)).toHaveLength(1);
    await waitFor(() => messagesIn(bob).find((m) => m.text === '并发重发'), 'bob to see the raced message');
    await new Promise((r) => setTimeout(r, 200));
    expect(messagesIn(bob).filter((m) => m.text === '只发一次').map((m) => m.id)).toEqual([first.messageId]);
    expect(messagesIn(bob).filter((m) => m.text === '并发重发')).toHaveLength(1);
    const rows = await t.app.services.storage.db.selectFrom('chat_messages').select(['id', 'client_event_id']).where('session_id', '=', sessionId).orderBy('at').execute();
    expect(rows.map((r) => r.client_event_id).sort()).toEqual([clientEventId, racing].sort());
    expect((await t.app.services.chat.history(sessionId)).messages).toHaveLength(2);
  });

  it('answers OVERLOADED with retryAfterSeconds while the write queue is full; the resend is taken once there is room', async () => {
    const sessionId = await liveRoom();
    const v = await joined(sessionId);
    // This node's queue bound, lowered for the test, and its database held so that writes wait.
    const deps = (t.app.services.chat as unknown as { deps: ChatDeps }).deps;
    const store = deps.store;
    const transaction = store.transaction;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    deps.maxPendingMessages = 2;
    store.transaction = async <T>(fn: (s: ChatStore) => Promise<T>): Promise<T> => {
      await held;
      return transaction.call(store, fn) as Promise<T>;
    };
    try {
      const waiting = [say(v, newDevice(), '排队 1'), say(v, newDevice(), '排队 2')];
      await new Promise((r) => setTimeout(r, 100));
      const device = newDevice();
      const refusedId = say(v, device, '排队 3');
      expect(await outcome(v, refusedId)).toMatchObject({ type: 'error', code: 'OVERLOADED', retryAfterSeconds: 1 });
      expect(waiting.map((id) => answersTo(v, id).length)).toEqual([0, 0]);
      release();
      for (const id of waiting) expect(await outcome(v, id)).toMatchObject({ type: 'chat_ack' });
      v.send({ type: 'chat_send', clientEventId: refusedId, deviceId: device, text: '排队 3' });
      const resent = await waitFor(() => answersTo(v, refusedId)[1], 'the resend to be answered');
      expect(resent).toMatchObject({ type: 'chat_ack' });
      expect((resent as Ack).duplicate).toBeUndefined();
    } finally {
      release();
      store.transaction = transaction;
      delete deps.maxPendingMessages;
    }
    const rows = await t.app.services.storage.db.selectFrom('chat_messages').select('id').where('session_id', '=', sessionId).execute();
    expect(rows).toHaveLength(3);
  });

  it('keeps the last 200 messages for joining viewers', async () => {
    const sessionId = await liveRoom();
    const v = await joined(sessionId);
    // 210 messages from 42 viewers (5 each, within the burst), in waves of 21 sent without waiting
    // for each ack (an ack waits for its commit); the room's order is the order they were stored and published.
    for (let wave = 0; wave < 10; wave++) {
      const sent = Array.from({ length: 21 }, (_, j) => wave * 21 + j).map((i) => say(v, `history-device-${Math.floor(i / 5)}-aaaaaaaaaaaaaa`, `消息 ${i}`));
      for (const id of sent) expect(await outcome(v, id)).toMatchObject({ type: 'chat_ack' });
    }
    const order = await waitFor(() => (messagesIn(v).length >= 210 ? messagesIn(v).map((m) => m.text) : undefined), '210 messages');
    expect(new Set(order).size).toBe(210);
    const late = await connectViewer(t.app, sessionId);
    await late.next('snapshot');
    const history = (await late.next('chat_history' as never)) as unknown as { messages: ChatMessage[] };
    expect(history.messages).toHaveLength(200);
    expect(history.messages.map((m) => m.text)).toEqual(order.slice(10));
  });

  it('refuses empty, oversized, binary and link-carrying messages with a clear frame; the room keeps working', async () => {
    const sessionId = await liveRoom();
    const v = await joined(sessionId);
    const other = await joined(sessionId);
    const device = newDevice();
    expect(await outcome(v, say(v, device, '   \u200b  '))).toMatchObject({ type: 'error', code: 'CHAT_EMPTY' });
    expect(await outcome(v, say(v, device, '长'.repeat(201)))).toMatchObject({ type: 'error', code: 'CHAT_TOO_LONG' });
    expect(await outcome(v, say(v, device, 'bad\u0000bytes'))).toMatchObject({ type: 'error', code: 'CHAT_EMPTY' });
    // Refused by the socket's schema, and still named by its event id so the page knows which message failed.
    expect(await outcome(v, say(v, device, 'x'.repeat(4001)))).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED' });
    for (const link of ['看这里 https://shop.example.com/x', '加我 www.example.cn', '去 taobao。com 买', '复制 ￥AbCd1234XyZ￥ 打开淘宝', 'weixin://dl/chat']) {
      expect(await outcome(v, say(v, device, link)), link).toMatchObject({ type: 'error', code: 'CHAT_LINK_NOT_ALLOWED' });
    }
    v.socket.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    await v.next('error', { where: (m) => m.code === 'MALFORMED_JSON' });
    expect(await outcome(v, say(v, device, '2.5 公斤的推车还有吗'))).toMatchObject({ type: 'chat_ack' });
    await waitFor(() => messagesIn(other).find((m) => m.text === '2.5 公斤的推车还有吗'), 'a normal message to arrive');
    expect(messagesIn(other).some((m) => /https|www|taobao|weixin/.test(m.text))).toBe(false);
    // Unknown sessions answer with an error frame and a close.
    const nowhere = await connectViewer(t.app, 'no-such-room');
    const closed = await nowhere.closed;
    expect(closed.code).toBe(4404);
  });

  it('lets staff post a clickable link and QR code (LC6)', async () => {
    const sessionId = await liveRoom();
    const v = await joined(sessionId);
    const res = await http('POST', `/api/v1/sessions/${sessionId}/chat/messages`, { text: '优惠券在这里', link: { url: 'https://coupon.example.cn/c/42', qr: true } });
    expect(res.statusCode, res.body).toBe(201);
    const seen = await waitFor(() => messagesIn(v).find((m) => m.text === '优惠券在这里'), 'the staff message');
    expect(seen.author).toMatchObject({ kind: 'staff', role: 'admin' });
    expect(seen.links).toEqual([{ url: 'https://coupon.example.cn/c/42', qr: true }]);
    expect((await http('POST', `/api/v1/sessions/${sessionId}/chat/messages`, { text: 'x', link: { url: 'javascript:alert(1)', qr: false } })).json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    // Viewers cannot use the staff route.
    expect((await http('POST', `/api/v1/sessions/${sessionId}/chat/messages`, { text: 'hi' }, null)).statusCode).toBe(401);
  });

  it('paces each viewer: a burst then CHAT_RATE_LIMITED; slow mode when the moderator switches it on (logged)', async () => {
    const sessionId = await liveRoom();
    const v = await joined(sessionId);
    const flood = newDevice();
    // Sent back to back: the bucket refills 10 a second, too slowly to matter here.
    const sent = Array.from({ length: 22 }, (_, i) => say(v, flood, `刷屏 ${i}`));
    const results = await Promise.all(sent.map((id) => outcome(v, id)));
    expect(results.filter((r) => r.type === 'chat_ack')).toHaveLength(20);
    const limited = results.find((r) => r.type === 'error');
    expect(limited).toMatchObject({ code: 'CHAT_RATE_LIMITED' });
    expect((limited as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);

    const slow = await http('PUT', `/api/v1/sessions/${sessionId}/chat/settings`, { slowModeSeconds: 30 });
    expect(slow.statusCode, slow.body).toBe(200);
    await v.next('chat_settings' as never);
    const calm = newDevice();
    expect(await outcome(v, say(v, calm, '第一条'))).toMatchObject({ type: 'chat_ack' });
    const second = await outcome(v, say(v, calm, '第二条'));
    expect(second).toMatchObject({ type: 'error', code: 'CHAT_SLOW_MODE' });
    expect((second as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(25);
    // Another viewer is not held back by the first one's slow mode.
    expect(await outcome(v, say(v, newDevice(), '我也说一句'))).toMatchObject({ type: 'chat_ack' });
    const log = (await http('GET', `/api/v1/sessions/${sessionId}/chat/moderation-log`)).json<{ entries: ModerationEntry[]; verified: boolean }>();
    expect(log.entries.map((e) => e.action)).toContain('slow_mode');
    expect(log.verified).toBe(true);
  });

  it('filters keywords (the deployment list and a room list the moderator adds), logging the word but not the message', async () => {
    const sessionId = await liveRoom();
    const v = await joined(sessionId);
    const device = newDevice();
    expect(await outcome(v, say(v, device, '主播 傻 逼'))).toMatchObject({ type: 'error', code: 'CHAT_BLOCKED_WORDS' });
    expect(await outcome(v, say(v, device, 'you are a B1TCH'))).toMatchObject({ type: 'error', code: 'CHAT_BLOCKED_WORDS' });
    expect(await outcome(v, say(v, device, 'classic assessment'))).toMatchObject({ type: 'chat_ack' });
    expect((await http('PUT', `/api/v1/sessions/${sessionId}/chat/settings`, { keywords: { zh: ['竞品'], en: ['rival brand'] } })).statusCode).toBe(200);
    expect(await outcome(v, say(v, device, '隔壁竞品更便宜'))).toMatchObject({ type: 'error', code: 'CHAT_BLOCKED_WORDS' });
    const log = (await http('GET', `/api/v1/sessions/${sessionId}/chat/moderation-log`)).json<{ entries: ModerationEntry[] }>();
    const filtered = log.entries.filter((e) => e.action === 'filtered');
    expect(filtered.length).toBe(3);
    expect(JSON.stringify(log.entries)).not.toContain('隔壁');
    expect(log.entries.find((e) => e.action === 'keywords')?.details).toMatchObject({ added: { zh: ['竞品'], en: ['rival brand'] } });
    // Counted on /metrics by outcome, without any text.
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/qingliu_chat_messages_total\{outcome="CHAT_BLOCKED_WORDS"\} [3-9]/);
    expect(metrics).toMatch(/qingliu_chat_messages_total\{outcome="accepted"\} \d+/);
  });

  it('deletes, hides, unhides and pins messages; bans (removing past messages) and shadow-bans; all in the verified log', async () => {
    const sessionId = await liveRoom();
    const viewer = await joined(sessionId);
    const troll = newDevice();
    const shadowed = newDevice();
    const trollSocket = await joined(sessionId);
    const shadowSocket = await joined(sessionId);
    const ids: Record<string, string> = {};
    for (const [key, socket, device, text] of [
      ['a', trollSocket, troll, '第一条'],
      ['b', trollSocket, troll, '第二条'],
      ['c', viewer, newDevice(), '请问有现货吗'],
      ['d', viewer, newDevice(), '好物推荐'],
    ] as const) {
      const r = await outcome(socket, say(socket, device, text));
      if (r.type !== 'chat_ack') throw new Error(r.detail);
      ids[key] = r.messageId;
    }
    const act = (messageId: string, action: string, cookie: string | null = admin.cookie) =>
      http('POST', `/api/v1/sessions/${sessionId}/chat/messages/${messageId}/actions`, { action, reason: 'test' }, cookie);

    expect((await act(ids.d!, 'pin')).statusCode).toBe(200);
    expect(((await viewer.next('chat_pinned' as never)) as unknown as { message: ChatMessage }).message).toMatchObject({ id: ids.d, pinned: true });
    expect((await act(ids.c!, 'hide')).statusCode).toBe(200);
    expect(await viewer.next('chat_removed' as never)).toMatchObject({ ids: [ids.c], reason: 'hidden' });
    expect((await act(ids.c!, 'unhide')).statusCode).toBe(200);
    expect(((await viewer.next('chat_restored' as never)) as unknown as { message: ChatMessage }).message.id).toBe(ids.c);
    expect((await act(ids.d!, 'delete')).statusCode).toBe(200);
    expect(await viewer.next('chat_removed' as never)).toMatchObject({ ids: [ids.d], reason: 'deleted' });
    expect(await viewer.next('chat_pinned' as never)).toMatchObject({ message: null });

    // Ban: the troll's past messages leave the room, and new ones are refused.
    const banned = await act(ids.a!, 'ban');
    expect(banned.statusCode, banned.body).toBe(200);
    const removal = (await viewer.next('chat_removed' as never, { where: (m: { reason?: string }) => m.reason === 'banned' } as never)) as unknown as { ids: string[] };
    expect(new Set(removal.ids)).toEqual(new Set([ids.a, ids.b]));
    expect(await outcome(trollSocket, say(trollSocket, troll, '我又来了'))).toMatchObject({ type: 'error', code: 'CHAT_BANNED' });
    const history = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${sessionId}/chat` })).json<{ messages: ChatMessage[] }>();
    expect(history.messages.map((m) => m.text)).toEqual(['请问有现货吗']);

    // Shadow-ban: the author still sees their message; nobody else does.
    const s1 = await outcome(shadowSocket, say(shadowSocket, shadowed, '影子一号'));
    if (s1.type !== 'chat_ack') throw new Error('expected an ack');
    expect((await act(s1.messageId, 'shadow_ban')).statusCode).toBe(200);
    expect(await outcome(shadowSocket, say(shadowSocket, shadowed, '影子二号'))).toMatchObject({ type: 'chat_ack' });
    await waitFor(() => messagesIn(shadowSocket).find((m) => m.text === '影子二号'), 'the author to see their own message');
    await new Promise((r) => setTimeout(r, 200));
    expect(messagesIn(viewer).some((m) => m.text === '影子二号')).toBe(false);
    const staffView = (await http('GET', `/api/v1/sessions/${sessionId}/chat/moderation`)).json<{ messages: Array<ChatMessage & { shadow: boolean; status: string }>; bans: Array<{ id: string; nickname: string; kind: string }> }>();
    expect(staffView.messages.find((m) => m.text === '影子二号')).toMatchObject({ shadow: true });
    expect(staffView.bans.map((b) => b.kind).sort()).toEqual(['ban', 'shadow']);
    // Unban lifts it.
    const banId = staffView.bans.find((b) => b.kind === 'ban')!.id;
    expect((await http('DELETE', `/api/v1/sessions/${sessionId}/chat/bans/${banId}`)).statusCode).toBe(200);
    expect(await outcome(trollSocket, say(trollSocket, troll, '我会好好说话'))).toMatchObject({ type: 'chat_ack' });
    expect((await http('DELETE', `/api/v1/sessions/${sessionId}/chat/bans/${banId}`)).json()).toMatchObject({ code: 'BAN_NOT_FOUND' });

    // Viewers and other sessions' hosts cannot moderate.
    expect((await act(ids.c!, 'delete', null)).statusCode).toBe(401);
    const otherHost = await signIn(t.app, 'host');
    expect((await act(ids.c!, 'delete', otherHost.cookie)).json()).toMatchObject({ code: 'FORBIDDEN' });
    const moderator = await signIn(t.app, 'moderator');
    expect((await act(ids.c!, 'delete', moderator.cookie)).statusCode).toBe(200);
    expect((await act('zzzzzzzzzzzzzzzzzzzz', 'delete')).json()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });

    const log = (await http('GET', `/api/v1/sessions/${sessionId}/chat/moderation-log`)).json<{ entries: ModerationEntry[]; verified: boolean }>();
    expect(log.verified).toBe(true);
    expect(log.entries.map((e) => e.action)).toEqual(['pin', 'hide', 'unhide', 'delete', 'ban', 'shadow_ban', 'unban', 'delete']);
    expect(log.entries.find((e) => e.action === 'ban')).toMatchObject({ details: { removedMessages: 2 }, actor: { kind: 'staff', name: admin.name } });

    // The log is append-only in the database itself.
    const db = t.app.services.storage.db;
    await expect(sql`update chat_moderation_log set reason = 'rewritten' where session_id = ${sessionId}`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from chat_moderation_log where session_id = ${sessionId}`.execute(db)).rejects.toThrow(/three years/);
  });

  it('answers "@助手" in the chat with a labelled message naming its sources; asks for a person go to the host queue', async () => {
    const sessionId = await liveRoom();
    const pinned = products[0]!;
    expect((await http('PUT', `/api/v1/sessions/${sessionId}/pins/${pinned.id}`)).statusCode).toBe(200);
    const v = await joined(sessionId);
    const other = await joined(sessionId);
    const device = newDevice();
    expect(await outcome(v, say(v, device, '@助手 这个多少钱？', { locale: 'zh-CN' }))).toMatchObject({ type: 'chat_ack' });
    const answer = await waitFor(() => messagesIn(other).find((m) => m.author.kind === 'assistant'), 'the assistant to answer');
    expect(answer).toMatchObject({ aiGenerated: true, label: AI_LABEL });
    expect(answer.text).toContain(String(pinned.priceFen / 100));
    expect(answer.sources?.some((s) => s.productId === pinned.id)).toBe(true);

    expect(await outcome(v, say(v, device, '@assistant can I talk to a real person please', { locale: 'en' }))).toMatchObject({ type: 'chat_ack' });
    const handedOff = await waitFor(() => messagesIn(other).find((m) => m.author.kind === 'assistant' && m.handoff === true), 'a handoff answer');
    expect(handedOff.label).toBe(AI_LABEL);
    const queue = (await http('GET', `/api/v1/sessions/${sessionId}/assistant/handoffs`)).json<{ items: Array<{ id: string; question: string; status: string }> }>();
    expect(queue.items.map((i) => i.question)).toContain('can I talk to a real person please');
    const item = queue.items.find((i) => i.question === 'can I talk to a real person please')!;
    const replied = await http('POST', `/api/v1/sessions/${sessionId}/assistant/handoffs/${item.id}`, { action: 'reply', text: '您好，我是主播小清，请问有什么可以帮您？' });
    expect(replied.statusCode, replied.body).toBe(200);
    await waitFor(() => messagesIn(other).find((m) => m.author.kind === 'staff' && m.text.startsWith('您好')), 'the host reply');
    expect((await http('POST', `/api/v1/sessions/${sessionId}/assistant/handoffs/${item.id}`, { action: 'dismiss' })).json()).toMatchObject({ code: 'HANDOFF_NOT_FOUND' });
  });

  it('offers the transcript only after the show, with AI messages labelled in the text and in metadata', async () => {
    const sessionId = await liveRoom();
    expect((await http('PUT', `/api/v1/sessions/${sessionId}/pins/${products[1]!.id}`)).statusCode).toBe(200);
    const v = await joined(sessionId);
    await outcome(v, say(v, newDevice(), '=HYPERLINK("x") 试试公式'));
    await outcome(v, say(v, newDevice(), '@助手 这个多少钱'));
    await waitFor(() => messagesIn(v).find((m) => m.aiGenerated), 'an AI answer');
    expect((await http('GET', `/api/v1/sessions/${sessionId}/chat/transcript?format=csv`)).json()).toMatchObject({ code: 'SESSION_NOT_ENDED' });
    expect((await http('POST', `/api/v1/sessions/${sessionId}/end`, {})).statusCode).toBe(200);
    const csv = await http('GET', `/api/v1/sessions/${sessionId}/chat/transcript?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain(`ai_label=${AI_LABEL}`);
    expect(csv.body).toContain(AI_LABEL_PREFIX);
    expect(csv.body).toContain(`'=HYPERLINK`);
    const json = (await http('GET', `/api/v1/sessions/${sessionId}/chat/transcript?format=json`)).json<{ metadata: { containsAiGenerated: boolean; aiLabel: string }; messages: Array<{ text: string; aiGenerated: boolean; label: string | null }> }>();
    expect(json.metadata).toMatchObject({ containsAiGenerated: true, aiLabel: AI_LABEL });
    const ai = json.messages.filter((m) => m.aiGenerated);
    expect(ai.length).toBeGreaterThan(0);
    for (const m of ai) {
      expect(m.text.startsWith(AI_LABEL_PREFIX)).toBe(true);
      expect(m.label).toBe(AI_LABEL);
    }
    // The chat is closed after the show.
    const late = await connectViewer(t.app, sessionId);
    await late.next('snapshot');
    const cid = say(late, newDevice(), '还在吗');
    expect(await outcome(late, cid)).toMatchObject({ type: 'error', code: 'SESSION_ENDED' });
  });
});

describe.each(DIALECTS)('live chat across a restart on %s', (dialect) => {
  it('recognises a resend of an acknowledged message after the node restarted on the same database', async () => {
    const { storage, dispose } = await freshStorage(dialect);
    const template = await testApp(dialect);
    await template.close();
    const apps: FastifyInstance[] = [];
    const start = async () => {
      const app = await buildApp(template.config, { logger: false, storage });
      apps.push(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return app;
    };
    try {
      const first = await start();
      const admin = await signIn(first, 'admin');
      const productIds = (await first.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<RoomState>().products.map((p) => p.id);
      const sessionId = `chat-restart-${dialect}`;
      const headers = { cookie: admin.cookie };
      expect((await first.inject({ method: 'POST', url: '/api/v1/sessions', headers, payload: { id: sessionId, brandId: 'demo-brand', title: { zh: '重启', en: 'Restart' }, productIds: productIds.slice(0, 3) } })).statusCode).toBe(201);
      expect((await first.inject({ method: 'POST', url: `/api/v1/sessions/${sessionId}/start`, headers, payload: {} })).statusCode).toBe(200);
      const device = newDevice();
      const clientEventId = eventId();
      const before = await connectViewer(first, sessionId);
      await before.next('snapshot');
      before.send({ type: 'chat_send', clientEventId, deviceId: device, text: '重启前发的' });
      const ack = (await before.next('chat_ack' as never)) as unknown as Ack;
      expect(ack).toMatchObject({ clientEventId });
      await closeAllViewers();
      await first.close();

      const second = await start();
      const resender = await connectViewer(second, sessionId);
      await resender.next('snapshot');
      const history = (await resender.next('chat_history' as never)) as unknown as { messages: ChatMessage[] };
      expect(history.messages.map((m) => m.id)).toEqual([ack.messageId]);
      resender.send({ type: 'chat_send', clientEventId, deviceId: device, text: '重启前发的' });
      expect(await resender.next('chat_ack' as never)).toEqual({ type: 'chat_ack', clientEventId, messageId: ack.messageId, duplicate: true });
      await new Promise((r) => setTimeout(r, 150));
      expect(messagesIn(resender)).toEqual([]);
      expect(await storage.db.selectFrom('chat_messages').select('id').where('session_id', '=', sessionId).execute()).toEqual([{ id: ack.messageId }]);
    } finally {
      await closeAllViewers();
      for (const app of apps) await app.close();
      await dispose();
      rmSync(template.config.dataDir, { recursive: true, force: true });
    }
  });
});
