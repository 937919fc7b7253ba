/**
 * Personal events under consent, over HTTP on every database: nothing personal is stored before a
 * choice or after declining (C1, C4); feedback needs its own consent (F1); withdrawal applies to
 * the next event (C7); what is stored is sealed and keyed, never the device id (S2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { demoProductIds, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

describe.each(DIALECTS)('personal events on %s', (dialect) => {
  let t: TestApp;
  let productId: string;
  let eventNo = 0;
  beforeAll(async () => {
    t = await testApp(dialect);
    [productId] = (await demoProductIds(t.app)) as [string];
  });
  afterAll(async () => t.close());

  const decide = async (deviceId: string, method: string, granted: string[]) => {
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method, granted },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const send = (deviceId: string, type: string, clientEventId = `evt-${dialect}-${++eventNo}`) =>
    t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId, type, productId, clientEventId } });
  const rows = () => t.app.services.storage.db.selectFrom('viewer_events').selectAll().execute();
  const rowsOf = async (deviceId: string) => (await rows()).filter((r) => r.subject === t.app.services.protection.subjectFor(deviceId, 'cn-mainland'));

  it('stores nothing personal before a choice or after declining, and counts anonymously (C1, C4)', async () => {
    const undecided = 'undecided-device-000000001';
    const declined = 'declining-device-000000001';
    await decide(declined, 'decline_all', []);
    for (const device of [undecided, declined]) {
      const res = await send(device, 'view');
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ stored: false, countedAnonymously: true, purpose: 'personalised_recommendations' });
      expect(await rowsOf(device)).toEqual([]);
    }
    const everything = JSON.stringify(await t.app.services.storage.db.selectFrom('pseudonyms').selectAll().execute());
    expect(everything).not.toContain(undecided);
    expect((await t.app.services.viewerEvents.anonymousCounts('demo')).view).toBeGreaterThanOrEqual(2);
  });

  it('stores behaviour sealed under consent, refuses feedback without its own consent (F1), and stops on withdrawal (C7)', async () => {
    const device = 'consenting-device-00000001';
    await decide(device, 'custom', ['personalised_recommendations']);
    const stored = await send(device, 'click', `evt-${dialect}-retry-1`);
    expect(stored.json()).toEqual({ stored: true, duplicate: false, purpose: 'personalised_recommendations' });
    expect((await send(device, 'click', `evt-${dialect}-retry-1`)).json()).toMatchObject({ stored: true, duplicate: true });
    expect((await send(device, 'like')).json()).toMatchObject({ stored: false, purpose: 'model_improvement' });

    const mine = await rowsOf(device);
    expect(mine).toHaveLength(1);
    const raw = JSON.stringify(mine);
    expect(raw).not.toContain(device);
    expect(raw).not.toContain(productId);
    expect(await t.app.services.viewerEvents.eventsOf(device)).toMatchObject([{ type: 'click', payload: { type: 'click', productId, sessionId: 'demo' } }]);

    await decide(device, 'withdraw', []);
    expect((await send(device, 'view')).json()).toMatchObject({ stored: false });
    // Withdrawal deletes what was stored for the purpose, at once (C7).
    expect(await rowsOf(device)).toHaveLength(0);
  });

  it('refuses bad events with a problem and stores nothing', async () => {
    const device = 'bad-input-device-000000001';
    await decide(device, 'accept_all', [...PURPOSES]);
    const before = (await rows()).length;
    const cases: [Record<string, unknown>, string, number, string][] = [
      [{ deviceId: device, type: 'stare', clientEventId: 'evt-bad-0001' }, 'demo', 400, 'VALIDATION_FAILED'],
      [{ deviceId: 'x', type: 'view', clientEventId: 'evt-bad-0002' }, 'demo', 400, 'VALIDATION_FAILED'],
      [{ deviceId: device, type: 'view', clientEventId: 'evt-bad-0003', productId: 'not-a-product' }, 'demo', 409, 'PRODUCT_NOT_IN_SESSION'],
      [{ deviceId: device, type: 'view', clientEventId: 'evt-bad-0004' }, 'no-such-room', 404, 'SESSION_NOT_FOUND'],
    ];
    for (const [payload, session, status, code] of cases) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/sessions/${session}/behaviour`, payload });
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code).toBe(code);
    }
    expect((await rows()).length).toBe(before);
  });
});
