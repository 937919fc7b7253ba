/**
 * Cross-border transfer over HTTP on every database: the registry and bases (compliance, admin),
 * the separate notice and consent (viewers, by device), the counter, alerts and log, refusals.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/context/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const DEVICE = 'dev_TransferViewer_0001';
const OTHER_DEVICE = 'dev_TransferViewer_0002';

const destination = (id: string, baseUrl: string, region = 'sg') => ({
  id,
  recipientName: 'Lion City Analytics Pte. Ltd.',
  contact: 'dpo@lioncity.example',
  region,
  purpose: { zh: '分析直播间聊天以改进客服问答', en: 'Analyse live-room chat to improve support answers' },
  method: { zh: '自动化分析，保存 30 天', en: 'Automated analysis, kept 30 days' },
  rights: { zh: '发送邮件至 dpo@lioncity.example', en: 'Write to dpo@lioncity.example' },
  categories: [{ id: 'chat_text', zh: '聊天内容', en: 'Chat text', sensitive: false }],
  baseUrl,
});

describe.each(DIALECTS)('transfer API on %s', (dialect) => {
  let t: TestApp;
  let officer: { cookie: string; id: string };
  let host: { cookie: string };
  let recipient: http.Server;
  let recipientUrl: string;
  let received = 0;

  beforeAll(async () => {
    t = await testApp(dialect, { seed: false });
    officer = await signIn(t.app, 'compliance');
    host = await signIn(t.app, 'host');
    recipient = http.createServer((req, res) => {
      received++;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((resolve) => recipient.listen(0, '127.0.0.1', resolve));
    recipientUrl = `http://127.0.0.1:${(recipient.address() as AddressInfo).port}/in`;
  });
  afterAll(async () => {
    recipient.closeAllConnections();
    await new Promise<void>((resolve) => recipient.close(() => resolve()));
    await t.close();
  });

  const asOfficer = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { cookie: officer.cookie }, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  const rows = (table: 'transfer_destinations' | 'transfer_bases' | 'transfer_consents' | 'transfer_changes') => t.app.services.storage.db.selectFrom(table).selectAll().execute();

  it('lets compliance register destinations and refuses bad input, duplicates and other roles, storing nothing', async () => {
    const created = await asOfficer('POST', '/api/v1/compliance/transfer/destinations', destination('sg-analytics', recipientUrl));
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id: 'sg-analytics', domestic: false, status: 'no_valid_basis', sensitive: false, createdBy: `staff:${officer.id}` });
    expect((await asOfficer('POST', '/api/v1/compliance/transfer/destinations', destination('cn-crm', recipientUrl, t.config.dataRegion))).statusCode).toBe(201);

    const before = (await rows('transfer_destinations')).length;
    const cases: [unknown, number, string][] = [
      [destination('sg-analytics', recipientUrl), 409, 'DESTINATION_EXISTS'],
      [{ ...destination('x-1', recipientUrl), extra: true }, 400, 'VALIDATION_FAILED'],
      [destination('x-2', 'http://analytics.example.com/in'), 400, 'VALIDATION_FAILED'],
      [destination('x-3', 'https://user:pw@analytics.example.com/in'), 400, 'VALIDATION_FAILED'],
      [destination('x-4', recipientUrl, 'SG'), 400, 'VALIDATION_FAILED'],
      [{ ...destination('x-5', recipientUrl), categories: [] }, 400, 'VALIDATION_FAILED'],
      [{ ...destination('x-6', recipientUrl), categories: [{ id: 'a_b', zh: '甲', en: 'A', sensitive: false }, { id: 'a_b', zh: '乙', en: 'B', sensitive: true }] }, 400, 'VALIDATION_FAILED'],
      [{ ...destination('x-7', recipientUrl), purpose: { zh: '', en: 'x' } }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await asOfficer('POST', '/api/v1/compliance/transfer/destinations', payload);
      expect([res.statusCode, res.json().code], res.body).toEqual([status, code]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const asHost = await t.app.inject({ method: 'POST', url: '/api/v1/compliance/transfer/destinations', headers: { cookie: host.cookie }, payload: destination('x-8', recipientUrl) });
    expect([asHost.statusCode, asHost.json().code]).toEqual([403, 'FORBIDDEN']);
    const anonymous = await t.app.inject({ method: 'POST', url: '/api/v1/compliance/transfer/destinations', payload: destination('x-9', recipientUrl) });
    expect([anonymous.statusCode, anonymous.json().code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await rows('transfer_destinations')).length).toBe(before);
  });

  it('records and revokes transfer bases, with who and when in the change history', async () => {
    const url = '/api/v1/compliance/transfer/destinations/sg-analytics/bases';
    const validFrom = Date.now() - 86_400_000;
    const validUntil = Date.now() + 365 * 86_400_000;
    const bad: [string, unknown, number, string][] = [
      [url, { kind: 'standard_contract', reference: 'SCC-1', validFrom: validUntil, validUntil: validFrom }, 400, 'VALIDATION_FAILED'],
      [url, { kind: 'gentlemens_agreement', reference: 'x', validFrom, validUntil }, 400, 'VALIDATION_FAILED'],
      [url, { kind: 'standard_contract', reference: 'SCC-1', validFrom, validUntil, note: 'x' }, 400, 'VALIDATION_FAILED'],
      ['/api/v1/compliance/transfer/destinations/nowhere/bases', { kind: 'standard_contract', reference: 'SCC-1', validFrom, validUntil }, 404, 'DESTINATION_NOT_FOUND'],
    ];
    for (const [target, payload, status, code] of bad) {
      const res = await asOfficer('POST', target, payload);
      expect([res.statusCode, res.json().code], res.body).toEqual([status, code]);
    }
    expect(await rows('transfer_bases')).toEqual([]);
    const asHost = await t.app.inject({ method: 'POST', url, headers: { cookie: host.cookie }, payload: { kind: 'certification', reference: 'C-1', validFrom, validUntil } });
    expect(asHost.statusCode).toBe(403);

    const first = await asOfficer('POST', url, { kind: 'certification', reference: 'CERT-2026-7', validFrom, validUntil });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ kind: 'certification', status: 'valid', recordedBy: `staff:${officer.id}`, revokedAt: null });
    const revoke = `/api/v1/compliance/transfer/bases/${first.json().id as string}/revoke`;
    expect((await asOfficer('POST', revoke, {})).statusCode).toBe(400);
    const revoked = await asOfficer('POST', revoke, { reason: 'certificate withdrawn by the certifier' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ status: 'revoked', revokedBy: `staff:${officer.id}`, revokeReason: 'certificate withdrawn by the certifier' });
    expect((await asOfficer('POST', revoke, { reason: 'again' })).json().code).toBe('BASIS_ALREADY_REVOKED');
    expect((await asOfficer('POST', '/api/v1/compliance/transfer/bases/0000000000000/revoke', { reason: 'x' })).json().code).toBe('BASIS_NOT_FOUND');
    expect((await asOfficer('POST', url, { kind: 'standard_contract', reference: 'SCC filing 2026-0001', validFrom, validUntil })).statusCode).toBe(201);

    const list = (await asOfficer('GET', '/api/v1/compliance/transfer/destinations')).json() as { items: { id: string; status: string; bases: { status: string }[] }[] };
    expect(list.items.map((d) => [d.id, d.status, d.bases.map((b) => b.status)])).toEqual([
      ['cn-crm', 'domestic', []],
      ['sg-analytics', 'basis_valid', ['revoked', 'valid']],
    ]);
    const changes = (await asOfficer('GET', '/api/v1/compliance/transfer/changes?destinationId=sg-analytics')).json() as { items: { action: string; actor: string }[] };
    expect(changes.items.map((c) => c.action)).toEqual(['basis_recorded', 'basis_revoked', 'basis_recorded', 'destination_created']);
    expect(new Set(changes.items.map((c) => c.actor))).toEqual(new Set([`staff:${officer.id}`]));
  });

  it('serves the separate notice and records a viewer decision by device, refusing forged or unknown ones', async () => {
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/transfer/destinations?locale=en' })).json() as { items: { id: string; purpose: string }[] };
    expect(listed.items).toEqual([expect.objectContaining({ id: 'sg-analytics', purpose: 'Analyse live-room chat to improve support answers' })]);

    const notice = await t.app.inject({ method: 'GET', url: '/api/v1/transfer/destinations/sg-analytics/notice?locale=zh-CN' });
    expect(notice.statusCode).toBe(200);
    const n = notice.json() as { version: string; hash: string; text: string };
    expect(n.text).toContain('Lion City Analytics Pte. Ltd.');
    expect(n.text).toContain('dpo@lioncity.example');
    expect(n.hash).toMatch(/^[0-9a-f]{64}$/);
    const en = (await t.app.inject({ method: 'GET', url: '/api/v1/transfer/destinations/sg-analytics/notice?locale=en' })).json() as { hash: string };
    expect(en.hash).not.toBe(n.hash);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/transfer/destinations/nowhere/notice' })).json().code).toBe('DESTINATION_NOT_FOUND');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/transfer/destinations/cn-crm/notice' })).json().code).toBe('DESTINATION_NOT_FOUND');

    const body = { destinationId: 'sg-analytics', decision: 'grant', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN' };
    const post = (payload: Record<string, unknown>, device: string | null = DEVICE) =>
      t.app.inject({ method: 'POST', url: '/api/v1/transfer/consents', payload, headers: device ? { 'x-qingliu-device': device } : {} });
    const refused: [Record<string, unknown>, string | null, number, string][] = [
      [{ ...body, noticeHash: 'f'.repeat(64) }, DEVICE, 409, 'NOTICE_MISMATCH'],
      [{ ...body, noticeHash: en.hash }, DEVICE, 409, 'NOTICE_MISMATCH'],
      [{ ...body, noticeVersion: '2001-01-01' }, DEVICE, 409, 'NOTICE_OUTDATED'],
      [{ ...body, destinationId: 'nowhere' }, DEVICE, 404, 'DESTINATION_NOT_FOUND'],
      [{ ...body, decision: 'maybe' }, DEVICE, 400, 'VALIDATION_FAILED'],
      [{ ...body, subject: 'someone-else' }, DEVICE, 400, 'VALIDATION_FAILED'],
      [body, null, 400, 'VALIDATION_FAILED'],
      [body, 'short', 400, 'VALIDATION_FAILED'],
    ];
    for (const [payload, device, status, code] of refused) {
      const res = await post(payload, device);
      expect([res.statusCode, res.json().code], res.body).toEqual([status, code]);
    }
    expect(await rows('transfer_consents')).toEqual([]);

    const granted = await post(body);
    expect(granted.statusCode, granted.body).toBe(201);
    expect(granted.json()).toMatchObject({ destinationId: 'sg-analytics', decision: 'granted', noticeHash: n.hash, locale: 'zh-CN', region: t.config.dataRegion });
    expect(granted.json()).not.toHaveProperty('subject');

    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/transfer/consents', headers: { 'x-qingliu-device': DEVICE } });
    expect((mine.json() as { items: { consentId: string }[] }).items.map((r) => r.consentId)).toEqual([granted.json().consentId]);
    const theirs = await t.app.inject({ method: 'GET', url: '/api/v1/transfer/consents', headers: { 'x-qingliu-device': OTHER_DEVICE } });
    expect(theirs.json()).toEqual({ items: [] });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/transfer/consents' })).statusCode).toBe(400);

    const stored = await rows('transfer_consents');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.subject).toBe(t.app.services.protection.subjectFor(DEVICE, t.config.dataRegion));
    expect(JSON.stringify(stored)).not.toContain(DEVICE);
  });

  it('shows the counter, alerts and the transfer log to compliance only', async () => {
    const subject = t.app.services.protection.subjectFor(DEVICE, t.config.dataRegion);
    const other = t.app.services.protection.subjectFor(OTHER_DEVICE, t.config.dataRegion);
    const ctx = systemContext('transfer e2e');
    const payload = { messages: ['几号发货？'] };
    // OTHER_DEVICE never consented: refused, nothing sent.
    expect(await t.app.services.transfer.send(ctx, { destinationId: 'sg-analytics', subjects: [subject, other], categories: ['chat_text'], payload })).toMatchObject({
      ok: false,
      code: 'TRANSFER_NOT_ALLOWED',
      extensions: { reason: 'missing_consent', missingConsents: 1 },
    });
    expect(received).toBe(0);
    expect(await t.app.services.transfer.send(ctx, { destinationId: 'sg-analytics', subjects: [subject], categories: ['chat_text'], payload })).toMatchObject({ ok: true });
    expect(received).toBe(1);

    const counter = await asOfficer('GET', '/api/v1/compliance/transfer/counter');
    expect(counter.statusCode).toBe(200);
    expect(counter.json()).toMatchObject({ individuals: 1, sensitiveIndividuals: 0 });
    expect((counter.json() as { thresholds: { id: string; reached: boolean; warning: boolean }[] }).thresholds.map((x) => [x.id, x.warning, x.reached])).toEqual([
      ['sensitive_10k', false, false],
      ['individuals_100k', false, false],
      ['individuals_1m', false, false],
    ]);
    expect((await asOfficer('GET', '/api/v1/compliance/transfer/counter?year=1999')).statusCode).toBe(400);
    expect((await asOfficer('GET', '/api/v1/compliance/transfer/counter?year=2001')).json()).toMatchObject({ year: 2001, individuals: 0 });
    expect((await asOfficer('GET', '/api/v1/compliance/transfer/alerts')).json()).toEqual({ items: [] });

    const log = (await asOfficer('GET', '/api/v1/compliance/transfer/log')).json() as { items: { outcome: string; reason: string | null; subjects: number }[] };
    expect(log.items.map((e) => [e.outcome, e.reason, e.subjects])).toEqual([
      ['sent', null, 1],
      ['refused', 'missing_consent', 2],
    ]);
    expect(JSON.stringify(log)).not.toContain(subject);
    const refused = (await asOfficer('GET', '/api/v1/compliance/transfer/log?outcome=refused&limit=5')).json() as { items: unknown[] };
    expect(refused.items).toHaveLength(1);
    expect((await asOfficer('GET', '/api/v1/compliance/transfer/log?outcome=lost')).statusCode).toBe(400);
    expect((await asOfficer('GET', '/api/v1/compliance/transfer/log?limit=100000')).statusCode).toBe(400);

    for (const url of ['/api/v1/compliance/transfer/counter', '/api/v1/compliance/transfer/alerts', '/api/v1/compliance/transfer/log', '/api/v1/compliance/transfer/destinations', '/api/v1/compliance/transfer/changes']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { cookie: host.cookie } });
      expect([url, res.statusCode, res.json().code]).toEqual([url, 403, 'FORBIDDEN']);
    }
  });
});
