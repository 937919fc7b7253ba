/**
 * Records made before notice texts were archived (or by a node still on older code): at start-up each
 * one's notice is rendered again, and its text archived only if it renders to the recorded hash.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { backfillNoticeTexts } from '../../src/workflows/notice-backfill.js';
import { testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

describe.each(DIALECTS)('notice texts of earlier records on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await testApp(dialect);
  });
  afterEach(async () => t.close());

  it('archives the text of a record whose notice still renders to its hash, and only that', async () => {
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
    const decided = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId: 'backfill-device-000000001', brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method: 'decline_all', granted: [] },
    });
    expect(decided.statusCode).toBe(201);
    const db = t.app.services.storage.db;
    // As if recorded before the archive; and a record on a wording that no longer renders.
    await db.deleteFrom('notice_texts').execute();
    const older = 'cd'.repeat(32);
    await db
      .insertInto('consent_records')
      .values({ id: 'backfill-older-0001', subject: 'subject-older', brand_id: 'demo-brand', granted: '[]', refused: JSON.stringify(PURPOSES), notice_version: '2026-11-01.1', notice_hash: older, locale: 'zh-CN', method: 'decline_all', region: t.app.services.region, created_at: Date.now() - 86_400_000 })
      .execute();
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/notices/${n.hash}` })).statusCode).toBe(404);

    expect(await backfillNoticeTexts(t.app.services)).toEqual({ archived: 1, missing: 1 });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/notices/${n.hash}` })).json()).toMatchObject({ kind: 'consent', version: n.version, scope: 'demo-brand', text: n.text });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/notices/${older}` })).statusCode).toBe(404);
    // Nothing left to do but the one that cannot be rendered.
    expect(await backfillNoticeTexts(t.app.services)).toEqual({ archived: 0, missing: 1 });
  });
});
