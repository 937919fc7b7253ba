/** S1: the retention job deletes exactly what is past its retention, on every database. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { retentionJob, retentionCategories } from '../../src/workflows/retention.js';
import { DATA_MAP } from '../../src/workflows/data-map.js';
import { demoProductIds, signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('retention on %s', (dialect) => {
  let t: TestApp;
  let now = Date.UTC(2026, 10, 1);
  beforeEach(async () => {
    now = Date.UTC(2026, 10, 1);
    t = await testApp(dialect, { deps: { clock: { now: () => now } } });
  });
  afterEach(async () => t.close());

  const count = async (table: 'room_events' | 'orders' | 'staff_sessions') =>
    Number((await t.app.services.storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('removes expired rows per category and keeps the rest', async () => {
    const admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    const [p] = await demoProductIds(t.app);
    const like = (id: string) => t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/events', payload: { type: 'like', clientEventId: id } });
    const order = (id: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/orders', payload: { productId: p, quantity: 1, clientOrderId: id } });
    expect((await like('old-like-0001')).statusCode).toBe(202);
    expect((await order('old-order-0001')).statusCode).toBe(201);
    now += 8 * DAY;
    expect((await like('new-like-0001')).statusCode).toBe(202);
    expect((await order('new-order-0001')).statusCode).toBe(201);

    const job = retentionJob(t.app.services, () => now);
    const first = await job.run();
    expect(first.results.find((r) => r.category === 'room_events')?.deleted).toBe(1);
    expect(await count('room_events')).toBe(1);
    expect(await count('orders')).toBe(2);
    // The staff session (12 h) expired more than a day ago.
    expect(first.results.find((r) => r.category === 'staff_sign_ins')?.deleted).toBe(1);
    expect(await count('staff_sessions')).toBe(0);

    // Counters are aggregates, not events: they stay.
    const state = (await t.app.inject('/api/v1/sessions/demo')).json();
    expect(state.counters.likes).toBe(2);

    now += 3 * 365 * DAY;
    await job.run();
    expect(await count('orders')).toBe(1);
    now += 10 * DAY;
    await job.run();
    expect(await count('orders')).toBe(0);
  });

  it('tells compliance officers how long staff accounts and their sign-in sessions are each kept', async () => {
    const officer = await signIn(t.app, 'compliance');
    const map = (await t.app.inject({ method: 'GET', url: '/api/v1/compliance/data-map', headers: { cookie: officer.cookie } })).json() as {
      entries: { category: string; kept: { note?: { zh: string; en: string } } }[];
    };
    // staff_sign_ins (1 day) is how long an expired session stays, not how long an account does.
    expect(map.entries.find((e) => e.category === 'staff accounts')?.kept.note).toEqual({
      zh: '账号：业务需要期间（不会自动删除）；登录会话：退出登录时删除，否则 12 小时后失效，失效 1 天后删除',
      en: 'Accounts: while the business needs them (never deleted automatically); sign-in sessions: deleted at sign-out, or expire after 12 hours and are deleted 1 day later',
    });
  });

  it('keeps a notice text while a decision made on it is kept, and not after', async () => {
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
    const decide = (deviceId: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/consent',
        payload: { deviceId, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method: 'decline_all', granted: [] },
      });
    const texts = async () => Number((await t.app.services.storage.db.selectFrom('notice_texts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    expect((await decide('retention-device-000000001')).statusCode).toBe(201);
    // A second decision on the same text a year later: the text now has to last as long as that record.
    now += 365 * DAY;
    expect((await decide('retention-device-000000002')).statusCode).toBe(201);
    const job = retentionJob(t.app.services, () => now);
    now += 3 * 365 * DAY;
    await job.run();
    // The first record is gone, the second is not: its text stays.
    expect(await t.app.services.storage.db.selectFrom('consent_records').select('id').execute()).toHaveLength(1);
    expect(await texts()).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/notices/${n.hash}` })).json().text).toBe(n.text);
    now += 2 * DAY;
    await job.run();
    expect(await t.app.services.storage.db.selectFrom('consent_records').select('id').execute()).toHaveLength(0);
    // The text outlives the last record on it by a day (one node writes a text's use at most hourly).
    expect(await texts()).toBe(1);
    now += DAY;
    await job.run();
    expect(await texts()).toBe(0);
  });

  it('never deletes a text a kept record names, however long ago it was last written', async () => {
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=en' })).json();
    const decided = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId: 'retention-device-named-0001', brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'en', method: 'decline_all', granted: [] },
    });
    expect(decided.statusCode).toBe(201);
    // As if its last use had been written long ago (a node's throttled write, or a longer period for the records).
    await t.app.services.storage.db.updateTable('notice_texts').set({ last_used_at: now - 5 * 365 * DAY }).execute();
    await retentionJob(t.app.services, () => now).run();
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/notices/${n.hash}` })).json().text).toBe(n.text);
  });

  it('has every table the migrations create in the data map', async () => {
    const tables = (await t.app.services.storage.db.introspection.getTables()).map((x) => x.name).filter((name) => !name.startsWith('kysely_'));
    const mapped = new Set(DATA_MAP.flatMap((d) => d.tables));
    expect(tables.filter((name) => !mapped.has(name))).toEqual([]);
  });

  it('keeps whatever its basis says is kept 3 years for three years with their leap day', () => {
    const threeYears = retentionCategories(t.app.services).filter((c) => /3 years/.test(c.basis));
    expect(threeYears.length).toBeGreaterThan(5);
    for (const c of threeYears) expect(c.keepDays, c.category).toBeGreaterThanOrEqual(3 * 365 + 1);
  });

  it('documents every category the running app enforces, including those modules contribute', () => {
    const doc = readFileSync(new URL('../../docs/data-map.md', import.meta.url), 'utf8');
    for (const c of retentionCategories(t.app.services)) expect(doc).toContain(`| \`${c.category}\` | ${c.keepDays} ${c.keepDays === 1 ? 'day' : 'days'} |`);
  });

  it('deletes personal events and feedback past their periods, consent records after 3 years', async () => {
    const device = 'retention-device-000000001';
    const n = (await t.app.inject({ method: 'GET', url: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).json();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method: 'accept_all', granted: n.purposes.map((p: { id: string }) => p.id) },
    });
    const [productId] = await demoProductIds(t.app);
    const send = (type: string, id: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId: device, type, productId, clientEventId: id } });
    expect((await send('view', 'ret-view-0001')).json()).toMatchObject({ stored: true });
    expect((await send('like', 'ret-like-0001')).json()).toMatchObject({ stored: true });
    const purposes = async () => (await t.app.services.storage.db.selectFrom('viewer_events').select('purpose').execute()).map((r) => r.purpose).sort();
    const consents = async () => (await t.app.services.storage.db.selectFrom('consent_records').selectAll().execute()).length;
    const job = retentionJob(t.app.services, () => now);
    now += 89 * DAY;
    await job.run();
    expect(await purposes()).toEqual(['model_improvement', 'personalised_recommendations']);
    now += 2 * DAY;
    await job.run();
    expect(await purposes()).toEqual(['model_improvement']);
    now += 90 * DAY;
    await job.run();
    expect(await purposes()).toEqual([]);
    expect(await consents()).toBe(1);
    now += 3 * 365 * DAY;
    await job.run();
    expect(await consents()).toBe(0);
  });
});

describe('retention schedule', () => {
  it('is documented in the data map, category by category', () => {
    const doc = readFileSync(new URL('../../docs/data-map.md', import.meta.url), 'utf8');
    const stub = {} as never;
    const categories = retentionCategories({ storage: stub, liveRoom: stub, staff: stub, viewerEvents: stub, consent: stub, profile: stub });
    for (const c of categories) expect(doc).toContain(`| \`${c.category}\` | ${c.keepDays} ${c.keepDays === 1 ? 'day' : 'days'} |`);
    // And every kind of record in the data map, with its tables.
    for (const d of DATA_MAP) expect(doc).toContain(`| ${d.category} | ${d.tables.map((t) => `\`${t}\``).join(', ')} | ${d.personal ? 'yes' : 'no'} | ${d.protection} |`);
  });
});
