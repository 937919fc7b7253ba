/** Consent over HTTP on every database: the notice, a decision, the status, receipts, and refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const DEVICE = 'dev_AbCdEfGhIjKlMnOpQr12';

describe.each(DIALECTS)('consent API on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp(dialect);
  });
  afterAll(async () => t.close());

  const notice = async (locale: 'zh-CN' | 'en') =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=demo-brand&locale=${locale}` })).json() as {
      version: string;
      hash: string;
      text: string;
      purposes: { id: string }[];
    };
  const ledgerRows = async () => t.app.services.storage.db.selectFrom('consent_records').selectAll().execute();

  it('serves the notice with its exact text and hash, naming the operator (C2)', async () => {
    const zh = await notice('zh-CN');
    expect(zh.text).toContain('暖芽演示母婴用品有限公司');
    expect(zh.purposes.map((p) => p.id)).toEqual([...PURPOSES]);
    expect(zh.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await notice('en')).hash).not.toBe(zh.hash);
  });

  it('records a decision, answers status and receipts by device, and never stores the device id (C5, C8, S2)', async () => {
    const status0 = await t.app.inject({ method: 'GET', url: '/api/v1/consent/status?brandId=demo-brand', headers: { 'x-qingliu-device': DEVICE } });
    expect(status0.json()).toMatchObject({ current: null, needsAsking: true });
    const n = await notice('zh-CN');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId: DEVICE, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method: 'decline_all', granted: [] },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ granted: [], refused: [...PURPOSES], method: 'decline_all', region: 'cn-mainland' });
    const status = await t.app.inject({ method: 'GET', url: '/api/v1/consent/status?brandId=demo-brand', headers: { 'x-qingliu-device': DEVICE } });
    expect(status.json()).toMatchObject({ needsAsking: false, current: { consentId: res.json().consentId } });
    const receipts = await t.app.inject({ method: 'GET', url: '/api/v1/consent/receipts?brandId=demo-brand', headers: { 'x-qingliu-device': DEVICE } });
    expect(receipts.json().items).toHaveLength(1);
    expect(await t.app.services.consent.allows(DEVICE, 'demo-brand', 'personalised_recommendations')).toBe(false);
    expect(JSON.stringify(await ledgerRows())).not.toContain(DEVICE);
  });

  it('refuses forged, outdated, unknown or malformed decisions and stores nothing', async () => {
    const before = (await ledgerRows()).length;
    const n = await notice('en');
    const base = { deviceId: DEVICE, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'en', method: 'custom', granted: ['marketing'] };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, noticeHash: 'f'.repeat(64) }, 409, 'NOTICE_MISMATCH'],
      [{ ...base, noticeVersion: '2001-01-01' }, 409, 'NOTICE_OUTDATED'],
      [{ ...base, granted: ['sell_my_data'] }, 400, 'UNKNOWN_PURPOSE'],
      [{ ...base, deviceId: 'short' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, extra: true }, 400, 'VALIDATION_FAILED'],
      [{ ...base, brandId: 'nobody' }, 404, 'NOT_FOUND'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/consent', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().code).toBe(code);
    }
    const noHeader = await t.app.inject({ method: 'GET', url: '/api/v1/consent/status?brandId=demo-brand' });
    expect(noHeader.statusCode).toBe(400);
    expect((await ledgerRows()).length).toBe(before);
  });
});
