/**
 * Compliance officers read consent statistics and export the ledger (C8); every export appends to
 * the access log in the same transaction, and the log verifies. Other roles are refused (S3).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/context/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

describe.each(DIALECTS)('consent ledger for compliance on %s', (dialect) => {
  let t: TestApp;
  let officer: { cookie: string };
  let host: { cookie: string };
  beforeAll(async () => {
    t = await testApp(dialect);
    [officer, host] = await Promise.all([signIn(t.app, 'compliance'), signIn(t.app, 'host')]);
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=en' })).json();
    const decide = (deviceId: string, method: string, granted: string[]) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/consent',
        payload: { deviceId, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'en', method, granted },
      });
    await decide('export-device-a-000000001', 'accept_all', ['personalised_recommendations', 'assistant_memory', 'model_improvement', 'marketing', 'merchant_sharing']);
    await decide('export-device-a-000000001', 'withdraw', []);
    await decide('export-device-b-000000001', 'custom', ['marketing']);
  });
  afterAll(async () => t.close());

  it('summarises the latest decision of each viewer, with no individual record', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/consents/summary', headers: { cookie: officer.cookie } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ decisions: 3, viewers: 2, granted: { marketing: 1, personalised_recommendations: 0 }, byMethod: { accept_all: 1, withdraw: 1, custom: 1 } });
    expect(res.body).not.toContain('export-device');
  });

  it('exports the ledger as JSON and CSV, logging each export; the log verifies', async () => {
    const json = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/consents/export?format=json&purpose=regulator-audit', headers: { cookie: officer.cookie } });
    expect(json.statusCode, json.body).toBe(200);
    expect(json.json().records).toHaveLength(3);
    expect(json.body).not.toContain('export-device');
    // The export alone shows what each viewer read: the text behind every hash it names (C2).
    const notice = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=en' })).json();
    expect(json.json().notices).toEqual([expect.objectContaining({ hash: notice.hash, kind: 'consent', version: notice.version, locale: 'en', scope: 'demo-brand', text: notice.text })]);
    expect(json.json().missingNoticeHashes).toEqual([]);
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/consents/export?format=csv&purpose=internal-audit', headers: { cookie: officer.cookie } });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.trim().split('\r\n')).toHaveLength(4);

    const entries = await t.app.services.storage.db.selectFrom('access_log_entries').select('entry').orderBy('seq').execute();
    expect(entries.map((e) => JSON.parse(e.entry))).toMatchObject([
      { action: 'export', subject: 'consent-ledger:all', purpose: 'regulator-audit', actor: { role: 'compliance' } },
      { action: 'export', subject: 'consent-ledger:all', purpose: 'internal-audit' },
    ]);
    await t.app.services.accessLog.checkpoint(systemContext('test'));
    expect((await t.app.services.accessLog.verify(systemContext('test'))).ok).toBe(true);
  });

  it('shows the words behind a receipt’s hash to anyone, and lists the archived texts to officers only', async () => {
    const notice = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=en' })).json();
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/notices/${notice.hash}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ hash: notice.hash, kind: 'consent', version: notice.version, locale: 'en', text: notice.text, scope: 'demo-brand' });
    expect(createHash('sha256').update(res.json().text, 'utf8').digest('hex')).toBe(notice.hash);
    const missing = await t.app.inject({ method: 'GET', url: `/api/v1/notices/${'0'.repeat(64)}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json().code).toBe('NOTICE_NOT_FOUND');
    const malformed = await t.app.inject({ method: 'GET', url: '/api/v1/notices/not-a-hash' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('VALIDATION_FAILED');

    const list = await t.app.inject({ method: 'GET', url: '/api/v1/compliance/notices', headers: { cookie: officer.cookie } });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().items).toEqual([expect.objectContaining({ hash: notice.hash, kind: 'consent', version: notice.version, locale: 'en' })]);
    expect(list.json().items[0].text).toBeUndefined();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/compliance/notices', headers: { cookie: host.cookie } })).statusCode).toBe(403);
  });

  it('refuses other roles, anonymous callers and a missing purpose, and logs nothing for them', async () => {
    const before = (await t.app.services.storage.db.selectFrom('access_log_entries').select('seq').execute()).length;
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/compliance/consents/export?purpose=regulator-audit', headers: { cookie: host.cookie } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/compliance/consents/summary' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/compliance/consents/export', headers: { cookie: officer.cookie } })).statusCode).toBe(400);
    expect((await t.app.services.storage.db.selectFrom('access_log_entries').select('seq').execute()).length).toBe(before);
  });
});
