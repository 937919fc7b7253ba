/**
 * The viewer's privacy centre and the rules the server enforces for them: minors (M1, M2), the
 * personalisation switch (A1), the declared city tier, interest tags (A3), the export (R1), erasure,
 * the processing rules (R4), withdrawal (C7). On SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { KyselyViewerProfileStore } from '../../src/modules/viewer-profile/index.js';
import { demoProductIds, signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

const BRAND = 'demo-brand';

describe.each(DIALECTS)('privacy centre on %s', (dialect) => {
  let t: TestApp;
  let products: string[];
  let eventNo = 0;
  beforeEach(async () => {
    t = await testApp(dialect);
    products = await demoProductIds(t.app);
    const admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
  });
  afterEach(async () => t.close());

  const h = (deviceId: string) => ({ 'x-qingliu-device': deviceId });
  const decide = async (deviceId: string, method: string, granted: string[]) => {
    const n = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId, brandId: BRAND, noticeVersion: n.version, noticeHash: n.hash, locale: 'zh-CN', method, granted },
    });
  };
  const send = (deviceId: string, type: string, productId = products[0]) =>
    t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId, type, productId, clientEventId: `evt-${dialect}-${++eventNo}` } });
  const declareAge = (deviceId: string, ageBand: string) => t.app.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: h(deviceId), payload: { brandId: BRAND, ageBand } });
  const eventRows = async (deviceId: string) => {
    const subject = t.app.services.protection.subjectFor(deviceId, t.config.dataRegion);
    return t.app.services.storage.db.selectFrom('viewer_events').selectAll().where('subject', '=', subject).execute();
  };
  const order = (deviceId: string | undefined, productId: string, quantity: number) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/orders',
      headers: deviceId ? h(deviceId) : {},
      payload: { productId, quantity, clientOrderId: `order-${dialect}-${++eventNo}` },
    });

  it('keeps a child under 14 anonymous until a guardian consents, and never personalises (M1, M2)', async () => {
    const child = 'child-device-0000000000001';
    const guardian = 'guardian-device-000000001';
    expect((await declareAge(child, 'under_14')).json()).toMatchObject({ ageBand: 'under_14', mode: 'child_awaiting_guardian', minorsMode: true });
    // The child's own grant does not count under 14: refused, nothing stored.
    const refused = await decide(child, 'accept_all', [...PURPOSES]);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('GUARDIAN_CONSENT_REQUIRED');
    expect((await decide(child, 'decline_all', [])).statusCode).toBe(201);
    expect((await send(child, 'like')).json()).toMatchObject({ stored: false, countedAnonymously: true });

    const issued = await t.app.inject({ method: 'POST', url: '/api/v1/privacy/guardian-requests', headers: h(child), payload: { brandId: BRAND } });
    expect(issued.statusCode).toBe(201);
    const { code, path } = issued.json();
    expect(path).toBe(`/guardian#code=${code}`);
    const notice = (await t.app.inject({ method: 'POST', url: '/api/v1/guardian/notice', payload: { code, locale: 'zh-CN' } })).json();
    expect(notice.text).toContain('第三十一条');
    const consentBody = (granted: string[], hash = notice.hash) => ({ code, relationship: 'parent', granted, noticeVersion: notice.version, noticeHash: hash, locale: 'zh-CN' });

    // Not from the child's own device; never for purposes minors mode forbids; never on another text.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/guardian/consent', headers: h(child), payload: consentBody(['model_improvement']) })).json().code).toBe(
      'GUARDIAN_SAME_DEVICE',
    );
    const personal = await t.app.inject({ method: 'POST', url: '/api/v1/guardian/consent', headers: h(guardian), payload: consentBody(['personalised_recommendations']) });
    expect([personal.statusCode, personal.json().code]).toEqual([403, 'MINORS_MODE_RESTRICTED']);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/guardian/consent', headers: h(guardian), payload: consentBody(['model_improvement'], 'f'.repeat(64)) })).json().code).toBe(
      'NOTICE_MISMATCH',
    );
    const granted = await t.app.inject({ method: 'POST', url: '/api/v1/guardian/consent', headers: h(guardian), payload: consentBody(['model_improvement']) });
    expect(granted.statusCode, granted.body).toBe(201);
    expect(granted.json()).toMatchObject({ granted: ['model_improvement'], method: 'guardian_grant' });
    // The link is used up.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/guardian/consent', headers: h(guardian), payload: consentBody(['model_improvement']) })).statusCode).toBe(404);

    const status = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/status?brandId=${BRAND}`, headers: h(child) })).json();
    expect(status).toMatchObject({ mode: 'child_with_guardian', effective: ['model_improvement'] });
    expect((await send(child, 'like')).json()).toMatchObject({ stored: true, purpose: 'model_improvement' });
    expect((await send(child, 'view')).json()).toMatchObject({ stored: false, countedAnonymously: true });

    // Withdrawal from the child's device is one step; it takes effect on the next event.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/privacy/guardian-consent/withdraw', headers: h(child), payload: { brandId: BRAND } })).statusCode).toBe(201);
    expect((await send(child, 'like')).json()).toMatchObject({ stored: false });
    // A declared minor cannot raise their age band.
    expect((await declareAge(child, 'adult')).json().code).toBe('AGE_DECLARATION_LOCKED');
    // The guardian's relationship is sealed: no plaintext "parent" in the row.
    const rows = await t.app.services.storage.db.selectFrom('guardian_consents').selectAll().execute();
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain('parent');
    // Both records name the notice the guardian read, and its words can be shown (C2).
    expect(new Set(rows.map((r) => r.notice_hash))).toEqual(new Set([notice.hash]));
    const words = await t.app.inject({ method: 'GET', url: `/api/v1/notices/${notice.hash}` });
    expect(words.json()).toMatchObject({ kind: 'guardian', locale: 'zh-CN', scope: BRAND, text: notice.text });
  });

  it('puts 14–17 year olds in minors mode: no personalisation or marketing, and spending limits (M2)', async () => {
    const teen = 'teen-device-00000000000001';
    expect((await declareAge(teen, '14_to_17')).json()).toMatchObject({ mode: 'minor', minorsMode: true, spending: { perOrderFen: 10_000, monthlyFen: 40_000, spentThisMonthFen: 0 } });
    const marketing = await decide(teen, 'custom', ['marketing']);
    expect([marketing.statusCode, marketing.json().code]).toEqual([403, 'MINORS_MODE_RESTRICTED']);
    expect((await decide(teen, 'custom', ['model_improvement'])).statusCode).toBe(201);
    expect((await send(teen, 'view')).json()).toMatchObject({ stored: false });

    // Spending: pick a product and buy until the monthly limit; an order over it is refused and reserves nothing.
    const room = (await t.app.inject('/api/v1/sessions/demo')).json() as { products: { id: string; priceFen: number; stock: number }[] };
    const cheap = room.products.filter((p) => p.priceFen <= 10_000 && p.stock > 20).sort((a, b) => b.priceFen - a.priceFen)[0]!;
    const dear = room.products.find((p) => p.priceFen > 10_000)!;
    expect((await order(teen, dear.id, 1)).json().code).toBe('SPENDING_LIMIT_REACHED');
    let spent = 0;
    for (;;) {
      const res = await order(teen, cheap.id, 1);
      if (res.statusCode !== 201) {
        expect(res.json().code).toBe('SPENDING_LIMIT_REACHED');
        break;
      }
      spent += cheap.priceFen;
    }
    expect(spent).toBeLessThanOrEqual(40_000);
    expect(spent + cheap.priceFen).toBeGreaterThan(40_000);
    const profile = (await t.app.inject({ method: 'GET', url: `/api/v1/privacy/profile?brandId=${BRAND}`, headers: h(teen) })).json();
    expect(profile.spending.spentThisMonthFen).toBe(spent);
    // An adult (or a viewer who declared nothing) is not limited.
    expect((await order('adult-device-000000000001', dear.id, 1)).statusCode).toBe(201);
    expect((await order(undefined, dear.id, 1)).statusCode).toBe(201);
  });

  it('switches personalisation off for the next request (A1), and tags are listed, deletable and not re-derived (A3)', async () => {
    const viewer = 'adult-viewer-0000000000001';
    expect((await decide(viewer, 'accept_all', [...PURPOSES])).statusCode).toBe(201);
    const room = (await t.app.inject('/api/v1/sessions/demo')).json() as { products: { id: string; category: string }[] };
    const first = room.products[0]!;
    const other = room.products.find((p) => p.category !== first.category)!;
    await send(viewer, 'view', first.id);
    await send(viewer, 'add_to_cart', first.id);
    await send(viewer, 'click', other.id);
    await send(viewer, 'like', other.id); // feedback: never a tag
    const tags = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/tags', headers: h(viewer) })).json().items as { tag: string; weight: number }[];
    expect(await tags()).toEqual([
      expect.objectContaining({ tag: `category:${first.category}`, weight: 4 }),
      expect.objectContaining({ tag: `category:${other.category}`, weight: 2 }),
    ]);
    // The tags are sealed at rest.
    expect(JSON.stringify(await t.app.services.storage.db.selectFrom('viewer_tags').selectAll().execute())).not.toContain(first.category);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/privacy/tags/category:${first.category}`, headers: h(viewer) })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/privacy/tags/category:${first.category}`, headers: h(viewer) })).json().code).toBe('TAG_NOT_FOUND');
    expect((await tags()).map((x) => x.tag)).toEqual([`category:${other.category}`]);
    // Rebuilding from every stored event does not bring it back: the events before the deletion no longer count for it.
    const subject = t.app.services.protection.subjectFor(viewer, t.config.dataRegion);
    const events = await t.app.services.viewerEvents.eventsOfSubject(subject);
    await t.app.services.tags.rebuild(
      subject,
      events.filter((e) => e.purpose === 'personalised_recommendations').map((e) => ({ type: e.type, productId: (e.payload as { productId: string }).productId, at: e.at })),
    );
    expect((await tags()).map((x) => x.tag)).toEqual([`category:${other.category}`]);
    await new Promise((r) => setTimeout(r, 5));
    await send(viewer, 'view', first.id);
    expect(await tags()).toContainEqual(expect.objectContaining({ tag: `category:${first.category}`, weight: 1 }));

    // A1: off → the next event is not stored for personalisation; the status says so.
    const off = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: h(viewer), payload: { brandId: BRAND, on: false } });
    expect(off.json()).toMatchObject({ personalisation: false });
    expect((await send(viewer, 'view')).json()).toMatchObject({ stored: false, countedAnonymously: true });
    const status = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/status?brandId=${BRAND}`, headers: h(viewer) })).json();
    expect(status.effective).not.toContain('personalised_recommendations');
    expect(status.effective).toContain('model_improvement');
    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: h(viewer), payload: { brandId: BRAND, on: true } });
    expect((await send(viewer, 'view')).json()).toMatchObject({ stored: true });

    // C7: withdrawing personalisation deletes its events and every tag at once.
    expect((await decide(viewer, 'custom', ['model_improvement'])).statusCode).toBe(201);
    expect(await tags()).toEqual([]);
    expect((await eventRows(viewer)).map((r) => r.purpose)).toEqual(['model_improvement']);
  });

  it('exports everything held as JSON and CSV (R1), and only for this device', async () => {
    const viewer = 'export-viewer-000000000001';
    await decide(viewer, 'accept_all', [...PURPOSES]);
    await declareAge(viewer, 'adult');
    await send(viewer, 'click');
    await send(viewer, 'dislike');
    await send('someone-else-00000000000001', 'click');
    const data = (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: h(viewer) })).json();
    expect(data).toMatchObject({
      region: t.config.dataRegion,
      profile: { ageBand: 'adult', personalisation: true },
      consents: [expect.objectContaining({ method: 'accept_all' })],
      events: [expect.objectContaining({ type: 'click', payload: expect.objectContaining({ productId: products[0] }) })],
      feedback: [expect.objectContaining({ type: 'dislike' })],
      tags: [expect.objectContaining({ kind: 'category' })],
    });
    expect(data.pseudonyms.length).toBeGreaterThan(0);
    // Every further section is named and described for the viewer, in both languages.
    const further = Object.keys(data).filter((k) => !['generatedAt', 'region', 'subject', 'sections', 'profile', 'pseudonyms', 'consents', 'guardianConsents', 'events', 'feedback', 'tags'].includes(k));
    expect(further).toEqual(expect.arrayContaining(['chat', 'experiment_units', 'rights_tickets', 'cross_border']));
    expect(Object.keys(data.sections).sort()).toEqual([...further].sort());
    for (const key of further)
      for (const text of [data.sections[key].label.zh, data.sections[key].label.en, data.sections[key].describe.zh, data.sections[key].describe.en]) expect(text).toMatch(/\S/);
    expect(data.sections.cross_border.label).toEqual({ zh: '个人信息出境', en: 'Transfers out of the region' });
    // The chat section says where the assistant's memory is: in this section of a download, under its own heading in the
    // privacy centre. It does not claim the memory is held only with consent (the memory for a show needs none).
    expect(data.sections.chat.describe.zh).toMatch(/^您在直播间聊天里发的消息和昵称，以及转给主播的提问。.*购物助手的记忆.*隐私中心把它单独列出/);
    expect(data.sections.chat.describe.en).toMatch(/^Your chat messages and nicknames in live rooms, and questions passed to the host\..*assistant's memory.*under its own heading/);
    expect(`${data.sections.chat.describe.zh} ${data.sections.chat.describe.en}`).not.toMatch(/经您同意|with your consent/);
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data?format=csv', headers: h(viewer) });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="qingliu-my-data-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('category,record,field,value');
    expect(lines).toContain('events,1,type,click');
    expect(lines).toContain('feedback,1,type,dislike');
    const download = await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data?download=true', headers: h(viewer) });
    expect(download.headers['content-disposition']).toContain('.json');
    expect(download.headers['cache-control']).toBe('no-store');
  });

  it('lets a viewer declare and clear a city tier (for fairness audits only), and exports it', async () => {
    const viewer = 'city-tier-viewer-000000001';
    const cityTier = (tier: unknown, deviceId = viewer) =>
      t.app.inject({ method: 'PUT', url: '/api/v1/privacy/city-tier', headers: h(deviceId), payload: { brandId: BRAND, cityTier: tier } });
    const profile = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/privacy/profile?brandId=${BRAND}`, headers: h(viewer) })).json();
    expect((await profile()).cityTier).toBeNull();

    const declared = await cityTier('tier2');
    expect(declared.statusCode, declared.body).toBe(200);
    // The same answer as the other privacy-centre writes: the whole profile view.
    expect(declared.json()).toMatchObject({ cityTier: 'tier2', childAgeBand: null, mode: 'undeclared', personalisation: true, region: t.config.dataRegion });
    expect((await profile()).cityTier).toBe('tier2');
    // Sealed at rest, like the rest of the profile.
    expect(JSON.stringify(await t.app.services.storage.db.selectFrom('viewer_profiles').selectAll().execute())).not.toContain('tier2');

    // In the export (R1), JSON and CSV.
    const data = (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: h(viewer) })).json();
    expect(data.profile).toMatchObject({ cityTier: 'tier2', childAgeBand: null });
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data?format=csv', headers: h(viewer) });
    expect(csv.body.split('\r\n')).toContain('profile,,cityTier,tier2');

    // Cleared with null; other declarations stay as they were.
    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: h(viewer), payload: { brandId: BRAND, childAgeBand: '1_3y' } });
    const cleared = await cityTier(null);
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ cityTier: null, childAgeBand: '1_3y' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: h(viewer) })).json().profile.cityTier).toBeNull();

    // A value that is not a tier is refused, naming the field, and changes nothing.
    await cityTier('tier1');
    for (const bad of ['tier4', 'Tier1', '', 1]) {
      const res = await cityTier(bad);
      expect([res.statusCode, res.json().code], res.body).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail).toContain('cityTier');
    }
    expect((await profile()).cityTier).toBe('tier1');
    // The service checks it too, whoever calls it.
    const direct = await t.app.services.profile.declareCityTier(viewer, 'tier4' as never);
    expect(direct).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect((await profile()).cityTier).toBe('tier1');
  });

  it('reads a profile stored before the city tier existed as having none', async () => {
    const viewer = 'older-profile-viewer-00001';
    const subject = t.app.services.protection.subjectFor(viewer, t.config.dataRegion);
    // A profile as it was sealed before the field was added: no cityTier key at all.
    const older = JSON.stringify({ ageBand: 'adult', declaredAt: 1, personalisation: true, childAgeBand: '3_6y' });
    const sealed = await t.app.services.protection.sealTextFor(subject, { table: 'viewer_profiles', column: 'profile', rowId: subject }, older);
    const store = new KyselyViewerProfileStore(t.app.services.storage.db);
    expect(await store.put({ subject, region: t.config.dataRegion, profileSealed: sealed, version: 1, createdAt: 1, updatedAt: 1 }, undefined)).toBe(true);
    const view = (await t.app.inject({ method: 'GET', url: `/api/v1/privacy/profile?brandId=${BRAND}`, headers: h(viewer) })).json();
    expect(view).toMatchObject({ ageBand: 'adult', childAgeBand: '3_6y', cityTier: null });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: h(viewer) })).json().profile).toMatchObject({ childAgeBand: '3_6y', cityTier: null });
    // And it can be declared on top of it.
    const declared = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/city-tier', headers: h(viewer), payload: { brandId: BRAND, cityTier: 'tier3_plus' } });
    expect(declared.json()).toMatchObject({ ageBand: 'adult', childAgeBand: '3_6y', cityTier: 'tier3_plus' });
  });

  it('explains the processing rules from what the system runs on (R4)', async () => {
    const zh = (await t.app.inject({ method: 'GET', url: `/api/v1/privacy/rules?brandId=${BRAND}&locale=zh-CN` })).json();
    expect(zh.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(zh.purposes.map((p: { id: string }) => p.id)).toEqual([...PURPOSES]);
    expect(zh.data).toContainEqual(expect.objectContaining({ category: 'personal events', name: '个性化行为事件', kept: '90 天', protection: 'sealed' }));
    expect(zh.data).toContainEqual(expect.objectContaining({ category: 'staff accounts', name: '员工账号与登录会话', kept: expect.stringContaining('否则 12 小时后失效，失效 1 天后删除') }));
    expect(zh.minors).toContain('¥100');
    const en = (await t.app.inject({ method: 'GET', url: `/api/v1/privacy/rules?brandId=${BRAND}&locale=en` })).json();
    expect(en.rights).toContain('download (JSON, CSV)');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/privacy/rules?brandId=nope' })).statusCode).toBe(404);
  });

  it('erases a viewer: data key destroyed, derived data deleted, nothing decryptable (erasure)', async () => {
    const viewer = 'erased-viewer-000000000001';
    await decide(viewer, 'accept_all', [...PURPOSES]);
    await declareAge(viewer, 'adult');
    await send(viewer, 'click');
    await send(viewer, 'like');
    const subject = t.app.services.protection.subjectFor(viewer, t.config.dataRegion);
    const sealedBefore = (await eventRows(viewer))[0]!;
    const report = await t.app.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: h(viewer), payload: { confirm: true } });
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json()).toMatchObject({ eventsDeleted: 2, tagsDeleted: 1, dataKeyDestroyed: true });
    expect(report.json().pseudonymsDeleted).toBeGreaterThan(0);
    expect(report.json().retained.map((r: { category: string }) => r.category)).toContain('consent_records');
    for (const table of ['viewer_events', 'viewer_tags', 'viewer_profiles', 'pseudonyms', 'data_keys'] as const) {
      const column = table === 'pseudonyms' || table === 'data_keys' ? 'subject_id' : 'subject';
      const rows = await t.app.services.storage.db.selectFrom(table).selectAll().where(column as never, '=', subject as never).execute();
      expect(rows, table).toEqual([]);
    }
    // A copy of a ciphertext taken before the erasure can never be opened again.
    await expect(
      t.app.services.protection.openTextFor(subject, { table: 'viewer_events', column: 'payload', rowId: sealedBefore.id }, sealedBefore.payload_sealed),
    ).rejects.toThrow();
    const data = (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: h(viewer) })).json();
    expect(data).toMatchObject({ events: [], feedback: [], tags: [], pseudonyms: [], profile: { ageBand: null } });
    // Erasing twice is harmless.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: h(viewer), payload: { confirm: true } })).json()).toMatchObject({
      eventsDeleted: 0,
      dataKeyDestroyed: false,
    });
  });

  it('refuses bad input with problems and stores nothing', async () => {
    const viewer = 'bad-input-viewer-000000001';
    const cases: [PromiseLike<{ statusCode: number; body: string; headers: Record<string, unknown>; json(): { code: string } }>, number, string][] = [
      [declareAge(viewer, 'ancient'), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'PUT', url: '/api/v1/privacy/age', payload: { brandId: BRAND, ageBand: 'adult' } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: h('short'), payload: { brandId: BRAND, ageBand: 'adult' } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: h(viewer), payload: { brandId: BRAND, on: 'yes' } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'PUT', url: '/api/v1/privacy/city-tier', headers: h(viewer), payload: { brandId: BRAND, cityTier: 'tier9' } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'PUT', url: '/api/v1/privacy/city-tier', headers: h(viewer), payload: { brandId: BRAND } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'PUT', url: '/api/v1/privacy/city-tier', headers: h(viewer), payload: { brandId: BRAND, cityTier: 'tier1', city: 'Shanghai' } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'PUT', url: '/api/v1/privacy/city-tier', payload: { brandId: BRAND, cityTier: 'tier1' } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: h(viewer), payload: {} }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: h(viewer), payload: { confirm: true, extra: 1 } }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'DELETE', url: '/api/v1/privacy/tags/DROP%20TABLE', headers: h(viewer) }), 400, 'VALIDATION_FAILED'],
      [t.app.inject({ method: 'POST', url: '/api/v1/guardian/notice', payload: { code: 'not-a-real-code-000000', locale: 'zh-CN' } }), 404, 'GUARDIAN_CODE_INVALID'],
      [t.app.inject({ method: 'POST', url: '/api/v1/privacy/guardian-requests', headers: h(viewer), payload: { brandId: BRAND } }), 400, 'VALIDATION_FAILED'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect([res.statusCode, res.json().code], res.body).toEqual([status, code]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await t.app.services.storage.db.selectFrom('viewer_profiles').selectAll().execute()).toEqual([]);
  });
});
