/**
 * The shopping assistant over HTTP, on every database: labelled, grounded replies (AI1) with the
 * room's live facts; handoff to the host; declining sensitive and personal-price questions (AI5);
 * memory for the show only unless the assistant-memory consent is given, and gone on withdrawal
 * (AI4); reports filed as compliance tickets (AI6); the optional external model failing closed
 * without a transfer basis and consent (L1); chat in the privacy centre's export and erasure; and bad
 * input answered with problem+json.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AI_LABEL, type AssistantReply } from '../../src/modules/chat/index.js';
import { PURPOSES } from '../../src/modules/consent/purposes.js';
import type { RoomState } from '../../src/modules/live-room/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';
import { closeAllViewers, connectViewer } from '../support/ws.js';

let devices = 0;
const newDevice = () => `assistant-device-${String(++devices).padStart(4, '0')}-${Math.random().toString(36).slice(2, 10)}`;
const yuan = (fen: number) => String(fen / 100);

describe.each(DIALECTS)('the shopping assistant on %s', (dialect) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let products: RoomState['products'];
  let room = 0;

  beforeAll(async () => {
    t = await testApp(dialect);
    admin = await signIn(t.app, 'admin');
    products = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<RoomState>().products;
  });
  afterAll(async () => t?.close());

  const staff = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { cookie: admin.cookie }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const ask = (sessionId: string, payload: Record<string, unknown>, device?: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/sessions/${sessionId}/assistant`, payload, headers: device ? { 'x-qingliu-device': device } : {} });

  async function liveRoom(pinIndex?: number): Promise<string> {
    const id = `assist-${dialect}-${++room}`;
    const created = await staff('POST', '/api/v1/sessions', { id, brandId: 'demo-brand', title: { zh: '助手', en: 'Assistant' }, productIds: products.slice(0, 8).map((p) => p.id) });
    expect(created.statusCode, created.body).toBe(201);
    expect((await staff('POST', `/api/v1/sessions/${id}/start`, {})).statusCode).toBe(200);
    if (pinIndex !== undefined) expect((await staff('PUT', `/api/v1/sessions/${id}/pins/${products[pinIndex]!.id}`)).statusCode).toBe(200);
    return id;
  }

  async function consent(device: string, granted: string[]) {
    const notice = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json<{ version: string; hash: string }>();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: granted.length === PURPOSES.length ? 'accept_all' : 'custom', granted },
    });
    expect(res.statusCode, res.body).toBe(201);
  }

  it('answers about the pinned product, labelled, naming its sources; in both languages', async () => {
    const sessionId = await liveRoom(0);
    const pinned = products[0]!;
    const zh = await ask(sessionId, { question: '这个多少钱？', locale: 'zh-CN' });
    expect(zh.statusCode, zh.body).toBe(200);
    const reply = zh.json<AssistantReply>();
    expect(reply).toMatchObject({ aiGenerated: true, label: AI_LABEL, handoff: false, outcome: 'answered' });
    expect(reply.answer).toContain(yuan(pinned.priceFen));
    expect(reply.productIds[0]).toBe(pinned.id);
    expect(reply.sources).toContainEqual(expect.objectContaining({ productId: pinned.id }));
    const en = (await ask(sessionId, { question: 'how much is this one?', locale: 'en' })).json<AssistantReply>();
    expect(en.answer).toContain(yuan(pinned.priceFen));
    expect(en.answer).toMatch(/[A-Za-z]/);
    expect(en.label).toBe(AI_LABEL);
  });

  it("answers with the room's live facts: a flash sale's price and real stock", async () => {
    const sessionId = await liveRoom(1);
    const p = products[1]!;
    const flashPrice = Math.max(100, Math.round((p.priceFen * 0.8) / 100) * 100);
    const sale = await staff('POST', `/api/v1/sessions/${sessionId}/flash-sales`, { productId: p.id, price: (flashPrice / 100).toFixed(2), quantity: 5, durationSeconds: 120 });
    expect(sale.statusCode, sale.body).toBe(201);
    const reply = (await ask(sessionId, { question: '这个现在多少钱', locale: 'zh-CN' })).json<AssistantReply>();
    expect(reply.answer).toContain(yuan(flashPrice));
    // As the room shows the sale (LC5): named a flash sale, with the real price before it.
    expect(reply.answer).toMatch(/秒杀价 .*（秒杀前价格 .*），限量 5 件，活动时间 \d\d:\d\d–\d\d:\d\d（北京时间）/);
    expect(reply.sources).toEqual([{ productId: p.id, fields: ['flashSale'] }]);
    const stock = (await ask(sessionId, { question: '这个还有货吗', locale: 'zh-CN' })).json<AssistantReply>();
    expect(stock.outcome).toBe('answered');
    expect(stock.answer).toMatch(new RegExp(`\\b${p.stock}\\b|有货|现货|in stock`));
  });

  it('hands a request for a person to the host queue, and declines sensitive and personal-price questions', async () => {
    const sessionId = await liveRoom(0);
    const device = newDevice();
    const person = (await ask(sessionId, { question: '转人工', locale: 'zh-CN' }, device)).json<AssistantReply>();
    expect(person).toMatchObject({ handoff: true, outcome: 'handoff', label: AI_LABEL });
    const queue = (await staff('GET', `/api/v1/sessions/${sessionId}/assistant/handoffs`)).json<{ items: Array<{ question: string; reason: string }> }>();
    expect(queue.items).toContainEqual(expect.objectContaining({ question: '转人工', reason: 'asked_for_person' }));
    // The queue holds the viewer's words sealed, never in the clear.
    const rows = await t.app.services.storage.db.selectFrom('assistant_handoffs').selectAll().where('session_id', '=', sessionId).execute();
    expect(rows[0]!.question).toBeNull();
    expect(rows[0]!.nickname).toBeNull();
    expect(rows[0]!.question_sealed).not.toContain('转人工');

    for (const q of ['我身份证号是110101199003071234，能帮我查订单吗', '能给我单独便宜点吗，给我个专属价']) {
      const r = (await ask(sessionId, { question: q, locale: 'zh-CN' }, device)).json<AssistantReply>();
      expect(r.outcome, q).not.toBe('answered');
      expect(r.answer).not.toMatch(/身份证号是|手机号是多少|请提供/);
      expect(r.label).toBe(AI_LABEL);
    }
  });

  it('keeps memory for the show only without consent, and beyond it only under the assistant-memory consent (AI4)', async () => {
    const sessionId = await liveRoom();
    const named = products[2]!;
    const withoutConsent = newDevice();
    const first = (await ask(sessionId, { question: `${named.name.zh}多少钱`, locale: 'zh-CN' }, withoutConsent)).json<AssistantReply>();
    expect(first.productIds[0]).toBe(named.id);
    // "它" means the product asked about before (nothing is pinned in this room).
    const followUp = (await ask(sessionId, { question: '它适合多大的宝宝', locale: 'zh-CN' }, withoutConsent)).json<AssistantReply>();
    expect(followUp.productIds[0]).toBe(named.id);
    const db = t.app.services.storage.db;
    const subjectOf = (d: string) => t.app.services.protection.subjectFor(d, t.app.services.region);
    expect(await db.selectFrom('assistant_memory').selectAll().where('subject', '=', subjectOf(withoutConsent)).execute()).toEqual([]);
    // The show's memory is in the database, sealed (no product id readable in it), for every node.
    const showMemory = () => db.selectFrom('assistant_session_memory').selectAll().where('session_id', '=', sessionId).execute();
    const rowsOfShow = await showMemory();
    expect(rowsOfShow.map((r) => r.subject)).toEqual([subjectOf(withoutConsent)]);
    expect(rowsOfShow[0]!.turns_sealed).not.toContain(named.id);

    const consenting = newDevice();
    await consent(consenting, ['assistant_memory']);
    await ask(sessionId, { question: `${named.name.zh}多少钱`, locale: 'zh-CN' }, consenting);
    const kept = await db.selectFrom('assistant_memory').selectAll().where('subject', '=', subjectOf(consenting)).execute();
    expect(kept).toHaveLength(1);
    expect(kept[0]!.turns_sealed).not.toContain(named.id);
    // The show ends: session memory is forgotten; the consented memory carries to the next show.
    // Whatever happens in the room before the end (a pin here), the end deletes the show's memory.
    expect((await staff('PUT', `/api/v1/sessions/${sessionId}/pins/${products[0]!.id}`, {})).statusCode).toBe(200);
    expect((await staff('POST', `/api/v1/sessions/${sessionId}/end`, {})).statusCode).toBe(200);
    await expect.poll(async () => (await showMemory()).length).toBe(0);
    const next = await liveRoom();
    const carried = (await ask(next, { question: '它多少钱', locale: 'zh-CN' }, consenting)).json<AssistantReply>();
    expect(carried.productIds[0]).toBe(named.id);
    const forgotten = (await ask(next, { question: '它多少钱', locale: 'zh-CN' }, withoutConsent)).json<AssistantReply>();
    expect(forgotten.productIds[0]).not.toBe(named.id);
    // Withdrawing the consent deletes the kept memory; the running show's memory needs no consent and stays.
    await consent(consenting, []);
    expect(await db.selectFrom('assistant_memory').selectAll().where('subject', '=', subjectOf(consenting)).execute()).toEqual([]);
    expect((await db.selectFrom('assistant_session_memory').select('session_id').where('subject', '=', subjectOf(consenting)).execute()).map((r) => r.session_id)).toEqual([next]);
  });

  it('files a report on an answer or a recommendation as a complaint ticket in the compliance console (AI6)', async () => {
    const sessionId = await liveRoom(0);
    const device = newDevice();
    const reply = (await ask(sessionId, { question: '这个多少钱', locale: 'zh-CN' }, device)).json<AssistantReply>();
    const report = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      payload: { deviceId: device, sessionId, target: 'assistant_answer', messageId: reply.id, reason: 'wrong', details: '价格不对', excerpt: reply.answer },
    });
    expect(report.statusCode, report.body).toBe(201);
    const recReport = await t.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { deviceId: device, sessionId, target: 'recommendation', productId: products[3]!.id, reason: 'offensive' } });
    expect(recReport.statusCode, recReport.body).toBe(201);
    const officer = await signIn(t.app, 'compliance');
    const tickets = (await t.app.inject({ method: 'GET', url: '/api/v1/compliance/tickets', headers: { cookie: officer.cookie } })).json<{ items: Array<{ id: string; kind: string }> }>();
    const ids = tickets.items.map((i) => i.id);
    expect(ids).toContain(report.json<{ ticketId: string }>().ticketId);
    expect(ids).toContain(recReport.json<{ ticketId: string }>().ticketId);
    const opened = (await t.app.inject({ method: 'GET', url: `/api/v1/compliance/tickets/${report.json<{ ticketId: string }>().ticketId}`, headers: { cookie: officer.cookie } })).json<{ details: string }>();
    expect(opened.details).toContain('[AI6 report]');
    expect(opened.details).toContain('价格不对');
    // Bad reports are refused.
    for (const payload of [
      { deviceId: device, sessionId, target: 'recommendation', reason: 'wrong' },
      { deviceId: device, sessionId, target: 'assistant_answer', reason: 'wrong' },
      { sessionId, target: 'assistant_answer', messageId: reply.id, reason: 'wrong' },
      { deviceId: device, sessionId, target: 'assistant_answer', messageId: reply.id, reason: 'bored' },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/reports', payload });
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { deviceId: device, sessionId: 'nowhere', target: 'recommendation', productId: 'x', reason: 'other' } })).json().code).toBe('SESSION_NOT_FOUND');
  });

  it('refuses bad questions with problem+json and keeps answering', async () => {
    const sessionId = await liveRoom(0);
    const cases: Array<[string, Record<string, unknown> | string, number, string]> = [
      [sessionId, { question: '', locale: 'zh-CN' }, 400, 'VALIDATION_FAILED'],
      [sessionId, { question: '   ', locale: 'zh-CN' }, 400, 'VALIDATION_FAILED'],
      [sessionId, { question: '好'.repeat(301), locale: 'zh-CN' }, 400, 'VALIDATION_FAILED'],
      [sessionId, { question: '多少钱', locale: 'fr' }, 400, 'VALIDATION_FAILED'],
      [sessionId, { question: '多少钱' }, 400, 'VALIDATION_FAILED'],
      ['no-such-room', { question: '多少钱', locale: 'zh-CN' }, 404, 'SESSION_NOT_FOUND'],
    ];
    for (const [id, payload, status, code] of cases) {
      const res = await ask(id, payload as Record<string, unknown>);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const malformed = await t.app.inject({ method: 'POST', url: `/api/v1/sessions/${sessionId}/assistant`, payload: '{"question":', headers: { 'content-type': 'application/json' } });
    expect(malformed.json().code).toBe('MALFORMED_JSON');
    expect((await staff('POST', `/api/v1/sessions/${sessionId}/end`, {})).statusCode).toBe(200);
    expect((await ask(sessionId, { question: '多少钱', locale: 'zh-CN' })).json().code).toBe('SESSION_ENDED');
    const other = await liveRoom(0);
    expect((await ask(other, { question: '这个多少钱', locale: 'zh-CN' })).statusCode).toBe(200);
  });

  it("exports a viewer's chat in the privacy centre and erases it from the rooms", async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const sessionId = await liveRoom();
    const device = newDevice();
    const viewer = await connectViewer(t.app, sessionId);
    await viewer.next('snapshot');
    const other = await connectViewer(t.app, sessionId);
    await other.next('snapshot');
    viewer.send({ type: 'chat_send', clientEventId: 'erase-evt-0001', deviceId: device, text: '请删除我的话', nickname: '要被删' });
    await viewer.next('chat_ack' as never);
    const exported = (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: { 'x-qingliu-device': device } })).json<Record<string, unknown>>();
    expect(JSON.stringify(exported)).toContain('请删除我的话');
    const erased = await t.app.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: { 'x-qingliu-device': device }, payload: { confirm: true } });
    expect(erased.statusCode, erased.body).toBe(200);
    await other.next('chat_removed' as never);
    const history = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${sessionId}/chat` })).json<{ messages: Array<{ text: string }> }>();
    expect(history.messages.map((m) => m.text)).not.toContain('请删除我的话');
    expect(await t.app.services.storage.db.selectFrom('chat_messages').selectAll().where('session_id', '=', sessionId).execute()).toEqual([]);
    await closeAllViewers();
  });
});

describe('the external language model (L1)', () => {
  let t: TestApp;
  let provider: http.Server;
  let calls = 0;

  beforeAll(async () => {
    provider = http.createServer((req, res) => {
      calls++;
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        const answer = (JSON.parse(body) as { messages: Array<{ content: string }> }).messages[1]!.content.split('Answer: ')[1]!;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: `亲～${answer}` } }] }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    t = await testApp('sqlite', { env: { QINGLIU_ASSISTANT_MODEL_DESTINATION: 'cn-llm', QINGLIU_ASSISTANT_MODEL_PATH: '/v1/chat/completions' } });
  });
  afterAll(async () => {
    provider.closeAllConnections();
    await new Promise<void>((resolve) => provider.close(() => resolve()));
    await t?.close();
  });

  it('sends nothing without a registered destination, a basis and consent, and answers locally; with them, rewords and stays labelled', async () => {
    const admin = await signIn(t.app, 'admin');
    const pinned = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<RoomState>().products[0]!;
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    await t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${pinned.id}`, headers: { cookie: admin.cookie } });
    const device = newDevice();
    const askDemo = () => t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', payload: { question: '这个多少钱', locale: 'zh-CN' }, headers: { 'x-qingliu-device': device } });
    const local = (await askDemo()).json<AssistantReply>();
    expect(local.answer).toContain(yuan(pinned.priceFen));
    expect(calls).toBe(0);

    // Register the provider (abroad), a basis, and the viewer's separate consent.
    const officer = await signIn(t.app, 'compliance');
    const asOfficer = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers: { cookie: officer.cookie }, payload: payload as object });
    const baseUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    const created = await asOfficer('/api/v1/compliance/transfer/destinations', {
      id: 'cn-llm',
      recipientName: 'Example Model Co.',
      contact: 'dpo@model.example',
      region: 'sg',
      purpose: { zh: '改写购物助手的回答', en: "Reword the shopping assistant's answers" },
      method: { zh: '自动处理，不保存', en: 'Automated, not kept' },
      rights: { zh: '发送邮件至 dpo@model.example', en: 'Write to dpo@model.example' },
      categories: [{ id: 'assistant_questions', zh: '向助手提出的问题', en: 'Questions to the assistant', sensitive: false }],
      baseUrl,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((await askDemo()).json<AssistantReply>().answer).toBe(local.answer);
    expect(calls).toBe(0);
    const now = Date.now();
    expect((await asOfficer('/api/v1/compliance/transfer/destinations/cn-llm/bases', { kind: 'standard_contract', reference: 'SCC-1', validFrom: now - 86_400_000, validUntil: now + 86_400_000 * 365 })).statusCode).toBe(201);
    // A basis but no consent from this viewer: still nothing leaves.
    expect((await askDemo()).json<AssistantReply>().answer).toBe(local.answer);
    expect(calls).toBe(0);
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/transfer/destinations/cn-llm/notice?locale=zh-CN' })).json<{ version: string; hash: string }>();
    const granted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfer/consents',
      headers: { 'x-qingliu-device': device },
      payload: { destinationId: 'cn-llm', decision: 'grant', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN' },
    });
    expect(granted.statusCode, granted.body).toBe(201);
    const reworded = (await askDemo()).json<AssistantReply>();
    expect(calls).toBe(1);
    expect(reworded.answer).toBe(`亲～${local.answer}`);
    expect(reworded).toMatchObject({ aiGenerated: true, label: AI_LABEL });
    // A question without a known viewer is never sent.
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/assistant', payload: { question: '这个多少钱', locale: 'zh-CN' } });
    expect(calls).toBe(1);
  });
});
