/**
 * The outbound gateway against a real HTTP server on loopback standing for a recipient outside the
 * region: it fails closed (the server receives nothing) unless a valid basis and a live separate
 * consent for every individual exist; it counts individuals once per China year and raises alerts once.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemContext } from '../../context/index.js';
import { freshStorage, type TestStorage } from '../../../test/support/databases.js';
import { KyselyExportLedger, TRANSFER_NOTICE_VERSION, chinaYearOf, transferServiceOn, type DestinationInput, type TransferService } from './index.js';
import { KyselyNoticeArchive, NoticeKeeper } from '../consent/index.js';

interface Received {
  path: string;
  transferId: string | undefined;
  body: unknown;
}

/** A recipient: records every request it receives; /fail answers 500, /slow never answers, /redirect points elsewhere. */
async function recipient(redirectTo?: string): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', transferId: req.headers['x-qingliu-transfer-id'] as string | undefined, body: text ? JSON.parse(text) : undefined });
      if (req.url?.endsWith('/slow')) return; // never answers
      if (req.url?.endsWith('/redirect') && redirectTo) {
        res.writeHead(307, { location: redirectTo }).end();
        return;
      }
      const status = req.url?.endsWith('/fail') ? 500 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: status === 200 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const REGION = 'cn-mainland';
const JAN_2026 = Date.UTC(2026, 0, 10);
const staff = { requestId: 'req-test', actor: { kind: 'staff', id: 'officer-1', name: 'officer', role: 'compliance' }, locale: 'zh-CN' } as const;
const ctx = systemContext('transfer test', 'req-gateway');
const subjectOf = (deviceId: string) => `subj_${createHash('sha256').update(deviceId).digest('hex').slice(0, 32)}`;

const destinationInput = (id: string, baseUrl: string, region = 'sg'): DestinationInput => ({
  id,
  recipientName: 'Lion City Analytics Pte. Ltd.',
  contact: 'dpo@lioncity.example, +65 6000 0000',
  region,
  purpose: { zh: '分析直播间聊天以改进客服问答', en: 'Analyse live-room chat to improve support answers' },
  method: { zh: '自动化分析，保存 30 天', en: 'Automated analysis, kept 30 days' },
  rights: { zh: '发送邮件至 dpo@lioncity.example', en: 'Write to dpo@lioncity.example' },
  categories: [
    { id: 'chat_text', zh: '聊天内容', en: 'Chat text', sensitive: false },
    { id: 'minor_status', zh: '未满十四周岁的标记', en: 'Under-14 flag', sensitive: true },
  ],
  baseUrl,
});

describe('transfer gateway (L1, L2)', () => {
  let server: Awaited<ReturnType<typeof recipient>>;
  let elsewhere: Awaited<ReturnType<typeof recipient>>;
  let t: TestStorage;
  let now: number;
  let warnings: { details: Record<string, unknown>; message: string }[];
  let transfer: TransferService;

  beforeAll(async () => {
    elsewhere = await recipient();
    server = await recipient(`${elsewhere.url}/stolen`);
  });
  afterAll(async () => {
    await server.close();
    await elsewhere.close();
  });

  beforeEach(async () => {
    server.received.length = 0;
    elsewhere.received.length = 0;
    t = await freshStorage('sqlite');
    now = JAN_2026;
    warnings = [];
    transfer = transferServiceOn(t.storage.db, {
      clock: { now: () => now },
      notices: new NoticeKeeper(new KyselyNoticeArchive(t.storage.db), { now: () => now }),
      region: REGION,
      subjectOf,
      log: { warn: (details, message) => warnings.push({ details, message }) },
      options: { timeoutMs: 300 },
    });
    expect((await transfer.createDestination(staff, destinationInput('sg-analytics', `${server.url}/in`))).ok).toBe(true);
    expect((await transfer.createDestination(staff, destinationInput('cn-crm', `${server.url}/domestic`, REGION))).ok).toBe(true);
  });
  afterEach(async () => t.dispose());

  const recordBasis = async (over: Partial<{ validFrom: number; validUntil: number }> = {}) => {
    const basis = await transfer.recordBasis(staff, 'sg-analytics', {
      kind: 'standard_contract',
      reference: 'SCC filing 2026-0001',
      validFrom: JAN_2026 - 86_400_000,
      validUntil: Date.UTC(2028, 0, 1),
      ...over,
    });
    if (!basis.ok) throw new Error(basis.code);
    return basis.value;
  };
  const consent = async (deviceId: string, decision: 'grant' | 'withdraw', destinationId = 'sg-analytics') => {
    const notice = await transfer.notice(destinationId, 'zh-CN');
    if (!notice.ok) throw new Error(notice.code);
    const receipt = await transfer.decide(ctx, { deviceId, destinationId, decision, noticeVersion: notice.value.version, noticeHash: notice.value.hash, locale: 'zh-CN' });
    if (!receipt.ok) throw new Error(receipt.code);
  };
  const send = (subjects: string[], categories = ['chat_text'], destinationId = 'sg-analytics', path?: string) =>
    transfer.send(ctx, { destinationId, subjects, categories, payload: { messages: ['这个推车能折叠吗？'] }, ...(path ? { path } : {}) });
  const counter = async () => {
    const c = await transfer.counter(ctx);
    return { individuals: c.individuals, sensitive: c.sensitiveIndividuals };
  };
  const logRows = () => t.storage.db.selectFrom('transfer_log').selectAll().orderBy('created_at').orderBy('id').execute();

  it('refuses without a transfer basis: no request is made, the refusal is logged without subject ids', async () => {
    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    const subject = subjectOf('device-aaaaaaaaaaaaaaaa');
    const result = await send([subject]);
    expect(result).toMatchObject({ ok: false, code: 'TRANSFER_NOT_ALLOWED', extensions: { reason: 'no_valid_basis' } });
    expect(result.ok ? '' : result.detail).not.toContain(subject);
    expect(server.received).toHaveLength(0);
    expect(await counter()).toEqual({ individuals: 0, sensitive: 0 });
    const rows = await logRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ destination_id: 'sg-analytics', region: 'sg', cross_border: 1, subjects: 1, outcome: 'refused', reason: 'no_valid_basis' });
    expect(JSON.stringify(rows)).not.toContain(subject);
  });

  it('refuses with a basis but no consent, with a withdrawn consent, or when one individual of several lacks it', async () => {
    await recordBasis();
    const a = subjectOf('device-aaaaaaaaaaaaaaaa');
    const b = subjectOf('device-bbbbbbbbbbbbbbbb');
    expect(await send([a])).toMatchObject({ ok: false, code: 'TRANSFER_NOT_ALLOWED', extensions: { reason: 'missing_consent', missingConsents: 1 } });

    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    expect(await send([a, b])).toMatchObject({ ok: false, extensions: { reason: 'missing_consent', missingConsents: 1, individuals: 2 } });
    // A consent for another destination does not count for this one.
    expect((await transfer.createDestination(staff, destinationInput('us-support', `${server.url}/us`, 'us'))).ok).toBe(true);
    await consent('device-bbbbbbbbbbbbbbbb', 'grant', 'us-support');
    expect(await send([b])).toMatchObject({ ok: false, extensions: { reason: 'missing_consent', missingConsents: 1 } });
    now += 1000;
    await consent('device-aaaaaaaaaaaaaaaa', 'withdraw');
    expect(await send([a])).toMatchObject({ ok: false, extensions: { reason: 'missing_consent' } });
    expect(server.received).toHaveLength(0);
    expect(await counter()).toEqual({ individuals: 0, sensitive: 0 });
  });

  it('refuses on an expired, revoked or not yet valid basis', async () => {
    const a = subjectOf('device-aaaaaaaaaaaaaaaa');
    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    await recordBasis({ validUntil: JAN_2026 + 60_000 });
    now = JAN_2026 + 60_000; // validUntil is exclusive
    expect(await send([a])).toMatchObject({ ok: false, extensions: { reason: 'no_valid_basis' } });

    await recordBasis({ validFrom: JAN_2026 + 86_400_000 });
    expect(await send([a])).toMatchObject({ ok: false, extensions: { reason: 'no_valid_basis' } });

    const current = await recordBasis();
    expect((await send([a])).ok).toBe(true);
    expect(server.received).toHaveLength(1);
    const revoked = await transfer.revokeBasis(staff, current.id, 'standard contract terminated');
    expect(revoked).toMatchObject({ ok: true, value: { status: 'revoked', revokedBy: 'staff:officer-1' } });
    expect(await send([a])).toMatchObject({ ok: false, extensions: { reason: 'no_valid_basis' } });
    expect(server.received).toHaveLength(1);
    const views = await transfer.destinations(ctx);
    expect(views.find((d) => d.id === 'sg-analytics')).toMatchObject({ status: 'no_valid_basis', domestic: false });
    expect(views.find((d) => d.id === 'sg-analytics')?.bases.map((b) => b.status)).toEqual(['expired', 'not_yet_valid', 'revoked']);
  });

  it('delivers with a basis and consent, counting each individual once per China year', async () => {
    await recordBasis();
    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    const a = subjectOf('device-aaaaaaaaaaaaaaaa');

    const first = await send([a], ['chat_text'], 'sg-analytics', '/chat');
    expect(first).toMatchObject({ ok: true, value: { crossBorder: true, status: 200, newlyCounted: { individuals: 1, sensitive: 0 } } });
    if (!first.ok) return;
    expect(JSON.parse(first.value.body)).toEqual({ accepted: true });
    expect(server.received).toEqual([{ path: '/in/chat', transferId: first.value.transferId, body: { messages: ['这个推车能折叠吗？'] } }]);
    expect(await counter()).toEqual({ individuals: 1, sensitive: 0 });

    // The same individual again, now with sensitive data: once more as sensitive, not as an individual.
    expect(await send([a, a], ['chat_text', 'minor_status'])).toMatchObject({ ok: true, value: { newlyCounted: { individuals: 0, sensitive: 1 } } });
    expect(await send([a], ['chat_text', 'minor_status'])).toMatchObject({ ok: true, value: { newlyCounted: { individuals: 0, sensitive: 0 } } });
    expect(await counter()).toEqual({ individuals: 1, sensitive: 1 });
    expect(server.received).toHaveLength(3);

    // 1 January 00:00 in China is 31 December 16:00 UTC: a new year, counted anew.
    now = Date.UTC(2026, 11, 31, 16, 0);
    expect(chinaYearOf(now)).toBe(2027);
    expect(await send([a])).toMatchObject({ ok: true, value: { newlyCounted: { individuals: 1, sensitive: 0 } } });
    expect((await transfer.counter(ctx, 2026)).individuals).toBe(1);
    expect((await transfer.counter(ctx, 2027)).individuals).toBe(1);
    const sent = await transfer.transferLog(ctx, { limit: 10, outcome: 'sent' });
    expect(sent).toHaveLength(4);
    expect(JSON.stringify(sent)).not.toContain(a);
  });

  it('lets a domestic destination through without basis or consent, and does not count it', async () => {
    const result = await send([subjectOf('device-cccccccccccccccc')], ['chat_text'], 'cn-crm');
    expect(result).toMatchObject({ ok: true, value: { crossBorder: false, status: 200, newlyCounted: { individuals: 0, sensitive: 0 } } });
    expect(server.received.map((r) => r.path)).toEqual(['/domestic']);
    expect(await counter()).toEqual({ individuals: 0, sensitive: 0 });
    expect(await logRows()).toMatchObject([{ outcome: 'sent', cross_border: 0, region: REGION }]);
  });

  it('refuses unknown destinations, undeclared categories and malformed calls before any request', async () => {
    await recordBasis();
    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    const a = subjectOf('device-aaaaaaaaaaaaaaaa');
    expect(await send([a], ['chat_text'], 'nowhere')).toMatchObject({ ok: false, extensions: { reason: 'unknown_destination' } });
    expect(await send([a], ['chat_text', 'face_image'])).toMatchObject({ ok: false, extensions: { reason: 'undeclared_category', undeclared: ['face_image'] } });
    expect(await send([])).toMatchObject({ ok: false, extensions: { reason: 'invalid_request' } });
    expect(await send([a], [])).toMatchObject({ ok: false, extensions: { reason: 'invalid_request' } });
    expect(await send([a], ['chat_text'], 'sg-analytics', '/../../elsewhere')).toMatchObject({ ok: false, extensions: { reason: 'invalid_request' } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await transfer.send(ctx, { destinationId: 'sg-analytics', subjects: [a], categories: ['chat_text'], payload: cyclic })).toMatchObject({ ok: false, extensions: { reason: 'invalid_request' } });
    expect(await transfer.send(ctx, { destinationId: 'sg-analytics', subjects: [a], categories: ['chat_text'], payload: () => 1 })).toMatchObject({ ok: false, extensions: { reason: 'invalid_request' } });
    expect(server.received).toHaveLength(0);
    expect((await logRows()).map((r) => r.reason)).toEqual(['unknown_destination', 'undeclared_category', ...Array<string>(5).fill('invalid_request')]);
  });

  it('accepts keyed subject ids that begin with "-" or "_" (base64url: about 1 in 32 do)', async () => {
    await recordBasis();
    // Well-formed, so judged on consent (none given), never refused as malformed.
    for (const subject of ['-Zx9_abcDEF012', '_Q1w2E3r4T5y6U7']) {
      expect(await send([subject])).toMatchObject({ ok: false, extensions: { reason: 'missing_consent' } });
    }
    expect(server.received).toHaveLength(0);
  });

  it('reports a recipient that fails, times out or redirects, and never follows the redirect', async () => {
    await recordBasis();
    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    const a = subjectOf('device-aaaaaaaaaaaaaaaa');
    expect(await send([a], ['chat_text'], 'sg-analytics', '/fail')).toMatchObject({ ok: false, code: 'TRANSFER_FAILED', extensions: { reason: 'recipient_status', httpStatus: 500 } });
    expect(await send([a], ['chat_text'], 'sg-analytics', '/slow')).toMatchObject({ ok: false, code: 'TRANSFER_FAILED', extensions: { reason: 'timeout' } });
    expect(await send([a], ['chat_text'], 'sg-analytics', '/redirect')).toMatchObject({ ok: false, code: 'TRANSFER_FAILED', extensions: { reason: 'network' } });
    expect(elsewhere.received).toHaveLength(0);
    // The data may have reached the recipient: it is counted (over-counting is the safe side).
    expect(await counter()).toEqual({ individuals: 1, sensitive: 0 });
    expect((await transfer.transferLog(ctx, { limit: 10, outcome: 'failed' })).map((e) => [e.reason, e.httpStatus])).toEqual([
      ['network', null],
      ['timeout', null],
      ['recipient_status', 500],
    ]);
  });

  it('raises the 10,000-sensitive alert exactly once, with its early warning, logging no personal data', async () => {
    await recordBasis();
    // Fill the year through the store's bulk path to one below the threshold.
    const ledger = new KyselyExportLedger(t.storage.db);
    const bulk = Array.from({ length: 9_999 }, (_, i) => `bulk_${i}`);
    await ledger.countIndividuals({ year: 2026, subjects: bulk, sensitive: true, at: now });
    expect(await counter()).toEqual({ individuals: 9_999, sensitive: 9_999 });
    expect(await transfer.alerts(ctx, 2026)).toEqual([]);

    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    await consent('device-bbbbbbbbbbbbbbbb', 'grant');
    const a = subjectOf('device-aaaaaaaaaaaaaaaa');
    const b = subjectOf('device-bbbbbbbbbbbbbbbb');
    expect((await send([a], ['minor_status'])).ok).toBe(true);
    const alerts = await transfer.alerts(ctx, 2026);
    expect(alerts.map((x) => [x.threshold, x.level, x.limit, x.count])).toEqual([
      ['sensitive_10k', 'warning', 8_000, 10_000],
      ['sensitive_10k', 'reached', 10_000, 10_000],
    ]);
    expect(warnings.map((w) => (w.details.transferAlert as { level: string }).level)).toEqual(['warning', 'reached']);
    expect(JSON.stringify(warnings)).not.toContain(a);

    // Past the threshold, more individuals raise nothing again.
    expect((await send([b], ['minor_status'])).ok).toBe(true);
    expect(await transfer.alerts(ctx, 2026)).toHaveLength(2);
    expect(warnings).toHaveLength(2);
    const c = await transfer.counter(ctx);
    expect(c.thresholds.map((x) => [x.id, x.count, x.warning, x.reached])).toEqual([
      ['sensitive_10k', 10_001, true, true],
      ['individuals_100k', 10_001, false, false],
      ['individuals_1m', 10_001, false, false],
    ]);
  });

  it('forgets a subject for erasure: the count stays, the link goes, the consent evidence stays', async () => {
    await recordBasis();
    await consent('device-aaaaaaaaaaaaaaaa', 'grant');
    const a = subjectOf('device-aaaaaaaaaaaaaaaa');
    expect((await send([a], ['chat_text', 'minor_status'])).ok).toBe(true);
    expect((await transfer.personalDataOf(a)).counted.map((c) => [c.year, c.kind])).toEqual([
      [2026, 'any'],
      [2026, 'sensitive'],
    ]);
    expect(await transfer.forgetSubject(a)).toBe(2);
    expect(await transfer.personalDataOf(a)).toMatchObject({ consents: [{ decision: 'granted', destinationId: 'sg-analytics' }], counted: [] });
    expect(await counter()).toEqual({ individuals: 1, sensitive: 1 });
    const rows = await t.storage.db.selectFrom('transfer_individuals').selectAll().execute();
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(a);
    expect(await transfer.receipts('device-aaaaaaaaaaaaaaaa')).toHaveLength(1);
  });

  it('serves a separate notice naming the recipient, and records decisions only on its exact text', async () => {
    const zh = await transfer.notice('sg-analytics', 'zh-CN');
    const en = await transfer.notice('sg-analytics', 'en');
    if (!zh.ok || !en.ok) throw new Error('no notice');
    for (const part of ['Lion City Analytics Pte. Ltd.', 'dpo@lioncity.example, +65 6000 0000', '分析直播间聊天以改进客服问答', '自动化分析，保存 30 天', '聊天内容', '未满十四周岁的标记', '发送邮件至 dpo@lioncity.example', '所在地区：新加坡；']) {
      expect(zh.value.text).toContain(part);
    }
    expect(zh.value.text).toContain('敏感个人信息');
    expect(en.value.text).toContain('Under-14 flag');
    expect(en.value.text).toContain('(region: Singapore; contact:');
    expect(zh.value.hash).toBe(createHash('sha256').update(zh.value.text, 'utf8').digest('hex'));
    expect(en.value.hash).not.toBe(zh.value.hash);
    // No cross-border notice for a domestic recipient or an unknown one.
    expect(await transfer.notice('cn-crm', 'zh-CN')).toMatchObject({ ok: false, code: 'DESTINATION_NOT_FOUND' });

    const decision = { deviceId: 'device-aaaaaaaaaaaaaaaa', destinationId: 'sg-analytics', decision: 'grant' as const, noticeVersion: TRANSFER_NOTICE_VERSION, noticeHash: zh.value.hash, locale: 'zh-CN' as const };
    expect(await transfer.decide(ctx, { ...decision, noticeHash: en.value.hash })).toMatchObject({ ok: false, code: 'NOTICE_MISMATCH' });
    expect(await transfer.decide(ctx, { ...decision, noticeVersion: '2001-01-01' })).toMatchObject({ ok: false, code: 'NOTICE_OUTDATED' });
    expect(await transfer.decide(ctx, { ...decision, destinationId: 'nowhere' })).toMatchObject({ ok: false, code: 'DESTINATION_NOT_FOUND' });
    expect(await t.storage.db.selectFrom('transfer_consents').selectAll().execute()).toEqual([]);
    expect(await t.storage.db.selectFrom('notice_texts').selectAll().execute()).toEqual([]);
    expect(await transfer.decide(ctx, decision)).toMatchObject({ ok: true, value: { decision: 'granted', noticeHash: zh.value.hash, region: REGION } });
    // The separate notice's words are archived under the hash the record names (C2).
    expect(await new KyselyNoticeArchive(t.storage.db).get(zh.value.hash)).toMatchObject({ kind: 'transfer', version: TRANSFER_NOTICE_VERSION, scope: 'sg-analytics', text: zh.value.text });
    const stored = await t.storage.db.selectFrom('transfer_consents').selectAll().execute();
    expect(stored).toMatchObject([{ subject: subjectOf('device-aaaaaaaaaaaaaaaa'), destination_id: 'sg-analytics', locale: 'zh-CN' }]);
    expect(JSON.stringify(stored)).not.toContain('device-aaaaaaaaaaaaaaaa');
  });
});
