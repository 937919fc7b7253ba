/**
 * Recommendations end to end: consent decides personalised or not (C4, A1, A5), every item explains
 * itself exactly (A2), feedback is idempotent and refines the model only under its own consent (F1),
 * prices never depend on it (A6), lists follow the room over the socket, and the model survives a
 * restart. On SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { buildApp } from '../../src/app.js';
import type { RoomState } from '../../src/modules/live-room/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS, freshStorage } from '../support/databases.js';
import { closeAllViewers, connectViewer } from '../support/ws.js';

const BRAND = 'demo-brand';

interface Item {
  decisionId: string;
  productId: string;
  position: number;
  personalised: boolean;
  propensity: number;
  reasons: { zh: string[]; en: string[] };
  explanation: { score: number; base: number; contributions: { feature: string; value: number; phi: number }[]; exploration: { active: boolean; bonus: number }; modelVersion: string };
}

describe.each(DIALECTS)('recommendations on %s', (dialect) => {
  let t: TestApp;
  let admin: { cookie: string };
  let n = 0;
  /** How far the app's clock runs ahead of real time (to end reward waits). */
  let skew = 0;
  beforeEach(async () => {
    skew = 0;
    t = await testApp(dialect, { deps: { clock: { now: () => Date.now() + skew } } });
    admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
  });
  afterEach(async () => {
    closeAllViewers();
    await t.close();
  });

  const decide = async (deviceId: string, granted: string[]) => {
    const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      payload: { deviceId, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: granted.length === PURPOSES.length ? 'accept_all' : granted.length ? 'custom' : 'decline_all', granted },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const recs = async (deviceId?: string, k?: number) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/sessions/demo/recommendations${k ? `?k=${k}` : ''}`, headers: deviceId ? { 'x-qingliu-device': deviceId } : {} });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { personalised: boolean; label: { zh: string; en: string }; modelVersion: string; items: Item[] };
  };
  const feedback = (decisionId: string, type: string, deviceId?: string, key = `fb-${dialect}-${++n}-key`, orderId?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/recommendations/feedback',
      payload: { decisionId, type, idempotencyKey: key, ...(deviceId ? { deviceId } : {}), ...(orderId ? { orderId } : {}) },
    });
  const placeOrder = async (deviceId: string, productId: string, clientOrderId: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/orders', headers: { 'x-qingliu-device': deviceId }, payload: { productId, quantity: 1, clientOrderId } });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { order: { id: string } }).order.id;
  };
  const room = async () => (await t.app.inject('/api/v1/sessions/demo')).json() as RoomState;
  const personalRows = () => t.app.services.storage.db.selectFrom('viewer_events').selectAll().execute();
  /** The reasons as the card shows them: English ones capitalised, Chinese ones saying 您, none twice. */
  const expectWording = (item: Item) => {
    for (const reason of item.reasons.en) expect(reason).toMatch(/^\p{Lu}/u);
    for (const reason of item.reasons.zh) expect(reason).not.toContain('你');
    expect(new Set(item.reasons.en).size).toBe(item.reasons.en.length);
  };
  const expectExact = (item: Item) => {
    const sum = item.explanation.base + item.explanation.contributions.reduce((s, c) => s + c.phi, 0);
    expect(Math.abs(sum - item.explanation.score)).toBeLessThan(1e-9);
  };

  it('gives a viewer without consent a non-personalised list, reads and stores nothing personal, and follows the host (C4, A2, A5)', async () => {
    const undecided = await recs();
    const declined = 'declined-recs-00000000001';
    await decide(declined, []);
    const list = await recs(declined);
    for (const r of [undecided, list]) {
      expect(r).toMatchObject({ personalised: false, label: { zh: '非个性化', en: 'Not personalised' }, modelVersion: 'non-personalised-v1' });
      expect(r.items).toHaveLength(4);
      for (const item of r.items) {
        expect(item.personalised).toBe(false);
        expect(item.explanation.exploration).toEqual({ active: false, bonus: 0 });
        expect(item.explanation.contributions.every((c) => !c.feature.startsWith('behaviour.'))).toBe(true);
        expectExact(item);
        expectWording(item);
      }
    }
    // Diversity: the four picks are not all one category.
    const byId = new Map((await room()).products.map((p) => [p.id, p]));
    expect(new Set(list.items.map((i) => byId.get(i.productId)!.category)).size).toBeGreaterThan(1);
    // The host pins a product: it leads the list and says why.
    const target = (await room()).products[30]!;
    expect((await t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${target.id}`, headers: { cookie: admin.cookie } })).statusCode).toBe(200);
    const after = await recs(declined);
    expect(after.items[0]!.productId).toBe(target.id);
    expect(after.items[0]!.reasons.zh).toContain('主播正在介绍这件商品');
    expect(after.items[0]!.reasons.en).toContain('The host is presenting this now');
    // Said once: not again as "presented a few minutes ago" (the pin is that recent too).
    expect(after.items[0]!.reasons.zh).not.toContain('主播刚刚介绍过这件商品');
    expect(after.items[0]!.reasons.en).not.toContain('The host presented this a few minutes ago');
    for (const item of after.items) expectWording(item);
    expect(await personalRows()).toEqual([]);
  });

  it('personalises under consent, marks it, explains exactly, and stops at once when switched off or in minors mode (A1, A5)', async () => {
    const viewer = 'consenting-recs-000000001';
    await decide(viewer, [...PURPOSES]);
    const viewed = (await room()).products[12]!;
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId: viewer, type: 'view', productId: viewed.id, clientEventId: `v-${dialect}-0001` } });
    const list = await recs(viewer, 6);
    expect(list).toMatchObject({ personalised: true, label: { zh: '个性化推荐', en: 'Personalised' } });
    expect(list.modelVersion).toMatch(/^qingliu-linear-v3:\d+$/);
    expect(list.items).toHaveLength(6);
    for (const item of list.items) {
      expect(item.personalised).toBe(true);
      expect(item.propensity).toBeGreaterThan(0);
      expect(item.propensity).toBeLessThanOrEqual(1);
      expectExact(item);
      // The exploration bonus is its own term, never a feature contribution.
      expect(item.explanation.contributions.some((c) => c.feature.includes('bonus') || c.feature.includes('explor'))).toBe(false);
    }
    const sameCategory = list.items.filter((i) => i.reasons.zh.includes('您刚刚看过同类商品'));
    expect(sameCategory.length).toBeGreaterThan(0);
    for (const item of list.items) expectWording(item);

    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: { 'x-qingliu-device': viewer }, payload: { brandId: BRAND, on: false } });
    expect((await recs(viewer)).personalised).toBe(false);

    const teen = 'teen-recs-000000000000001';
    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: { 'x-qingliu-device': teen }, payload: { brandId: BRAND, ageBand: '14_to_17' } });
    await decide(teen, ['model_improvement']);
    expect((await recs(teen)).personalised).toBe(false);
  });

  it('logs with each decision the product’s and room’s features only: the same for a product whether the list was personalised or not', async () => {
    const viewer = 'context-log-recs-00000001';
    await decide(viewer, [...PURPOSES]);
    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': viewer }, payload: { brandId: BRAND, childAgeBand: '0_6m' } });
    const products = (await room()).products;
    for (const [i, p] of products.slice(0, 6).entries())
      await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/behaviour', payload: { deviceId: viewer, type: i % 2 ? 'add_to_cart' : 'view', productId: p.id, clientEventId: `ctx-${dialect}-${i}` } });
    const personal = await recs(viewer, 10);
    const plain = await recs(undefined, 10);
    expect(personal.personalised).toBe(true);
    expect(plain.personalised).toBe(false);
    // The personalised list did use personal features (so its vectors differ from the plain list's).
    expect(personal.items.some((i) => i.explanation.contributions.some((c) => c.feature.startsWith('behaviour.') || c.feature.startsWith('profile.')))).toBe(true);
    await t.app.services.recommender.flush();
    const rows = await t.app.services.storage.db.selectFrom('recommendation_decisions').select(['id', 'product_id', 'personalised', 'context']).execute();
    const logged = new Map(rows.map((r) => [r.id, r]));
    const plainContext = new Map(plain.items.map((i) => [i.productId, logged.get(i.decisionId)!.context]));
    let compared = 0;
    for (const item of personal.items) {
      const row = logged.get(item.decisionId)!;
      expect(Number(row.personalised)).toBe(1);
      const context = JSON.parse(row.context) as Record<string, number>;
      const nonPersonal = (f: string) => f === 'bias' || f.startsWith('product.') || f.startsWith('room.');
      expect(Object.keys(context).filter((f) => !nonPersonal(f))).toEqual([]);
      // Where the explanation shows a non-personal feature, the log holds the value it was scored with.
      for (const c of item.explanation.contributions) if (nonPersonal(c.feature)) expect(context[c.feature] ?? 0).toBe(c.value);
      const same = plainContext.get(item.productId);
      if (same !== undefined) {
        expect(context).toEqual(JSON.parse(same));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('ranks with the child’s age band a consenting viewer declared, says so, and never uses it without consent', async () => {
    const parent = 'child-age-recs-00000000001';
    await decide(parent, [...PURPOSES]);
    const declared = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': parent }, payload: { brandId: BRAND, childAgeBand: '3_6y' } });
    expect(declared.statusCode, declared.body).toBe(200);
    expect(declared.json().childAgeBand).toBe('3_6y');
    const products = new Map((await room()).products.map((p) => [p.id, p]));
    const list = await recs(parent, 6);
    expect(list.personalised).toBe(true);
    for (const item of list.items) {
      expectExact(item);
      const p = products.get(item.productId)!;
      const fits = p.ageMinMonths < 72 && p.ageMaxMonths >= 36;
      const fit = item.explanation.contributions.find((c) => c.feature === 'profile.child_age_fit');
      // Contributions are relative to the candidates' mean, so a fitting product's term is positive.
      if (fit) expect(fit.value).toBe(fits ? 1 : 0);
      if (fits && fit && fit.phi > 0 && item.reasons.en.length < 3) expect(item.reasons.en).toContain('It suits the age you gave for your child');
    }
    expect(list.items.some((i) => i.explanation.contributions.some((c) => c.feature === 'profile.child_age_fit'))).toBe(true);
    // Declared child ages never reach the decision log (personal features are not logged).
    const logged = await t.app.services.storage.db.selectFrom('recommendation_decisions').select('context').execute();
    expect(logged.some((r) => r.context.includes('child_age'))).toBe(false);

    // Without the consent the same declaration is not used.
    const declined = 'child-age-recs-00000000002';
    await decide(declined, []);
    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': declined }, payload: { brandId: BRAND, childAgeBand: '0_6m' } });
    const plain = await recs(declined, 6);
    expect(plain.personalised).toBe(false);
    expect(plain.items.some((i) => i.explanation.contributions.some((c) => c.feature.startsWith('profile.')))).toBe(false);

    // Bad input, and clearing it.
    const bad = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': parent }, payload: { brandId: BRAND, childAgeBand: '12y' } });
    expect(bad.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': parent }, payload: { brandId: BRAND, childAgeBand: null } })).json().childAgeBand).toBeNull();
  });

  it('learns what parents of each declared child age band choose, from learnable feedback only, and explains it', async () => {
    const products = new Map((await room()).products.map((p) => [p.id, p]));
    const popularOf = (item: Item) => item.explanation.contributions.find((c) => c.feature === 'profile.age_band_popular')?.value;
    const parent = async (deviceId: string, band: string, granted: string[]) => {
      await decide(deviceId, granted);
      const res = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': deviceId }, payload: { brandId: BRAND, childAgeBand: band } });
      expect(res.statusCode, res.body).toBe(200);
    };
    // Before any feedback every category reads "as for everyone".
    await parent('band-popular-newborn-0000', '0_6m', [...PURPOSES]);
    await parent('band-popular-preschool-0000', '3_6y', [...PURPOSES]);
    const first = await recs('band-popular-newborn-0000', 10);
    for (const item of first.items) expect(popularOf(item) ?? 0.5).toBe(0.5);

    // Twelve newborn parents who allow model improvement click whatever diapers they are shown;
    // twelve parents of 3–6-year-olds click toys instead.
    const clicks = { diapers: 0, toys: 0 };
    for (const [band, category, prefix] of [['0_6m', 'diapers', 'band-popular-newborn-'], ['3_6y', 'toys', 'band-popular-preschool-']] as const) {
      for (let i = 0; i < 12; i++) {
        const device = `${prefix}${String(i).padStart(4, '0')}`;
        if (i > 0) await parent(device, band, [...PURPOSES]);
        for (const item of (await recs(device, 10)).items) {
          if (products.get(item.productId)!.category !== category) continue;
          expect((await feedback(item.decisionId, 'click', device)).json().learned).toBe(true);
          clicks[category]++;
        }
      }
    }
    expect(clicks.diapers).toBeGreaterThan(0);
    expect(clicks.toys).toBeGreaterThan(0);
    // Newborn parents who did not allow model improvement clicking toys count for nothing (F1).
    for (let i = 0; i < 6; i++) {
      const device = `band-popular-private-${String(i).padStart(4, '0')}`;
      await parent(device, '0_6m', ['personalised_recommendations']);
      for (const item of (await recs(device, 10)).items) if (products.get(item.productId)!.category === 'toys') await feedback(item.decisionId, 'click', device);
    }

    // The cards passed over count as shown once the model learns from them, when their reward wait ends.
    skew += t.app.services.recommender.options.rewardWaitMs + 1_000;
    while ((await t.app.services.recommender.settleRewards()) > 0);
    const interest = t.app.services.recommender.ageBandInterest;
    const model = first.modelVersion.split(':')[0]!;
    // A list reads the counts as they stand before it (its own items count as shown after ranking).
    const expectedNewborn = interest.value(model, '0_6m', 'diapers');
    const newborn = await recs('band-popular-newborn-0000', 10);
    const expectedPreschool = interest.value(model, '3_6y', 'diapers');
    const preschool = await recs('band-popular-preschool-0000', 10);
    for (const list of [newborn, preschool]) for (const item of list.items) expectExact(item);
    const valueFor = (list: typeof newborn, category: string) => list.items.filter((i) => products.get(i.productId)!.category === category).map(popularOf);
    expect(interest.counts(model, '0_6m', 'diapers').positive).toBe(clicks.diapers);
    expect(interest.counts(model, '3_6y', 'toys').positive).toBe(clicks.toys);
    expect(interest.counts(model, '0_6m', 'toys').positive).toBe(0);
    // Each band reads its own choice above the other band's.
    expect(interest.value(model, '0_6m', 'diapers')).toBeGreaterThan(interest.value(model, '3_6y', 'diapers'));
    expect(interest.value(model, '3_6y', 'toys')).toBeGreaterThan(interest.value(model, '0_6m', 'toys'));
    // The lists carry exactly these values.
    for (const v of valueFor(newborn, 'diapers')) expect(v).toBeCloseTo(expectedNewborn, 12);
    for (const v of valueFor(preschool, 'diapers')) expect(v).toBeCloseTo(expectedPreschool, 12);
    // It reaches the viewer's reasons, on cards it lifts and only there.
    const REASON = 'Parents of children your child’s age often choose this kind of product';
    let explained = 0;
    for (const item of [...newborn.items, ...preschool.items]) {
      if (!item.reasons.en.includes(REASON)) continue;
      explained++;
      expect(item.explanation.contributions.find((c) => c.feature === 'profile.age_band_popular')!.phi).toBeGreaterThan(0);
      expect(item.reasons.zh).toContain('和您宝宝同月龄段的家长常选这类商品');
    }
    expect(explained).toBeGreaterThan(0);
    // Counts only: no device id, subject or band-and-person pair is kept.
    expect(JSON.stringify(interest.counts(model, '0_6m', 'diapers'))).not.toContain('band-popular');
  });

  it('learns from feedback only under the model-improvement consent, once per key, only for items shown (F1)', async () => {
    const learner = 'learner-recs-0000000000001';
    const personalOnly = 'personal-only-recs-000001';
    await decide(learner, [...PURPOSES]);
    await decide(personalOnly, ['personalised_recommendations']);
    const before = t.app.services.recommender.updates;

    const mine = (await recs(learner)).items[0]!;
    const key = `dup-${dialect}-key-0001`;
    expect((await feedback(mine.decisionId, 'click', learner, key)).json()).toEqual({ learned: true, duplicate: false });
    expect(t.app.services.recommender.updates).toBe(before + 1);
    // The same key again: a no-op, never a second update.
    expect((await feedback(mine.decisionId, 'click', learner, key)).json()).toEqual({ learned: false, duplicate: true });
    expect(t.app.services.recommender.updates).toBe(before + 1);

    const theirs = (await recs(personalOnly)).items[0]!;
    expect((await feedback(theirs.decisionId, 'like', personalOnly)).json()).toEqual({ learned: false, duplicate: false });
    const anonymous = (await recs()).items[0]!;
    expect((await feedback(anonymous.decisionId, 'dislike')).json()).toEqual({ learned: false, duplicate: false });
    expect(t.app.services.recommender.updates).toBe(before + 1);

    // Never shown, or shown in another session: refused, nothing recorded.
    const unknown = await feedback('never-shown-decision-01', 'click', learner);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'DECISION_NOT_FOUND']);
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: { cookie: admin.cookie }, payload: { id: 'other-room', brandId: BRAND, title: { zh: '另一场', en: 'Other' } } });
    const elsewhere = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/other-room/recommendations/feedback', payload: { decisionId: mine.decisionId, type: 'click', idempotencyKey: 'elsewhere-key-01' } });
    expect([elsewhere.statusCode, elsewhere.json().code]).toEqual([404, 'DECISION_NOT_FOUND']);
    const rows = await t.app.services.storage.db.selectFrom('recommendation_feedback').selectAll().execute();
    expect(rows.map((r) => [r.type, Number(r.learned)]).sort()).toEqual([
      ['click', 1],
      ['dislike', 0],
      ['like', 0],
    ]);
  });

  it('counts a kind of feedback once per card whatever the keys, learns a card once, takes feedback only from the viewer it was shown to, and refuses a key reused for other feedback', async () => {
    const viewer = 'once-per-card-viewer-00001';
    const other = 'once-per-card-other-000001';
    await decide(viewer, [...PURPOSES]);
    await decide(other, [...PURPOSES]);
    const card = (await recs(viewer)).items[0]!;
    const popularity = () => t.app.services.recommender.popularity.snapshot('demo', Date.now() + skew).session.get(card.productId) ?? 0;
    const before = { updates: t.app.services.recommender.updates, popular: popularity() };

    // Forty clicks on one card under forty keys: one is recorded and learnt, the rest are the same act again.
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => feedback(card.decisionId, 'click', viewer, `once-click-${dialect}-${i}-key`)));
    expect(replies.map((r) => r.statusCode)).toEqual(Array(40).fill(202));
    expect(replies.filter((r) => r.json().duplicate === false)).toHaveLength(1);
    expect(t.app.services.recommender.updates).toBe(before.updates + 1);
    expect(popularity()).toBe(before.popular + 1); // one click's weight, not forty
    // Another kind on the same card is recorded (the funnel: added to the cart) but the card taught the model once already.
    expect((await feedback(card.decisionId, 'add_to_cart', viewer)).json()).toEqual({ learned: false, duplicate: false });
    expect(t.app.services.recommender.updates).toBe(before.updates + 1);
    // An order is the room's own event and counts in popularity once; the purchase feedback that follows adds nothing more.
    const order = await placeOrder(viewer, card.productId, `once-order-${dialect}-0001`);
    expect(popularity()).toBe(before.popular + 1 + 3);
    expect((await feedback(card.decisionId, 'purchase', viewer, undefined, order)).json()).toEqual({ learned: false, duplicate: false });
    expect(popularity()).toBe(before.popular + 1 + 3);
    const [row] = await t.app.services.storage.db.selectFrom('recommendation_decisions').select(['clicked', 'carted']).where('id', '=', card.decisionId).execute();
    expect([Number(row!.clicked), Number(row!.carted)]).toEqual([1, 1]);

    // Somebody else, or nobody, answering for this viewer's card: as if it had never been shown.
    const second = (await recs(viewer)).items[1]!;
    for (const reply of [await feedback(second.decisionId, 'like', other), await feedback(second.decisionId, 'like')]) {
      expect([reply.statusCode, reply.json().code]).toEqual([404, 'DECISION_NOT_FOUND']);
    }
    expect(t.app.services.recommender.updates).toBe(before.updates + 1);
    expect(await t.app.services.storage.db.selectFrom('recommendation_feedback').select('type').where('decision_id', '=', second.decisionId).execute()).toEqual([]);

    // A key already used for other feedback: 409, nothing recorded.
    const reused = await feedback(second.decisionId, 'like', viewer, `once-click-${dialect}-0-key`);
    expect([reused.statusCode, reused.json().code]).toEqual([409, 'DUPLICATE_REQUEST']);
    expect((await feedback(second.decisionId, 'like', viewer)).json()).toEqual({ learned: true, duplicate: false });
    // An unknown room is named as such.
    const nowhere = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/no-such-room/recommendations/feedback', payload: { decisionId: card.decisionId, type: 'click', idempotencyKey: 'nowhere-key-0001' } });
    expect([nowhere.statusCode, nowhere.json().code]).toEqual([404, 'SESSION_NOT_FOUND']);
  });

  it('takes a purchase only with the order it placed: in this room, of the card’s product, after the card was shown, and for one card only', async () => {
    const viewer = 'purchase-order-viewer-0001';
    await decide(viewer, [...PURPOSES]);
    const [card, other] = (await recs(viewer)).items as [Item, Item];
    const before = t.app.services.recommender.updates;
    const purchased = async () => (await t.app.services.recommender.flush(), t.app.services.storage.db).selectFrom('recommendation_decisions').select('purchased').where('id', 'in', [card.decisionId, other.decisionId]).orderBy('id').execute();
    const refused = async (reply: Awaited<ReturnType<typeof feedback>>, status: number, code: string) => {
      expect([reply.statusCode, reply.json().code], reply.body).toEqual([status, code]);
      expect((await purchased()).map((r) => Number(r.purchased))).toEqual([0, 0]);
      expect(t.app.services.recommender.updates).toBe(before);
    };

    // No order named, an order that does not exist, an order of another product, an order placed before the card was shown.
    await refused(await feedback(card.decisionId, 'purchase', viewer), 400, 'VALIDATION_FAILED');
    await refused(await feedback(card.decisionId, 'purchase', viewer, undefined, 'no-such-order-00000001'), 404, 'ORDER_NOT_FOUND');
    const elsewhere = await placeOrder(viewer, other.productId, `purchase-order-${dialect}-other`);
    await refused(await feedback(card.decisionId, 'purchase', viewer, undefined, elsewhere), 409, 'ORDER_NOT_OF_RECOMMENDATION');
    const earlier = await placeOrder(viewer, card.productId, `purchase-order-${dialect}-early`);
    await t.app.services.storage.db.updateTable('orders').set({ created_at: Date.now() + skew - 60_000 }).where('id', '=', earlier).execute();
    await refused(await feedback(card.decisionId, 'purchase', viewer, undefined, earlier), 409, 'ORDER_NOT_OF_RECOMMENDATION');
    // Only a purchase names an order.
    await refused(await feedback(card.decisionId, 'like', viewer, undefined, elsewhere), 400, 'VALIDATION_FAILED');

    // The order it placed: recorded and learnt; the same request again is a duplicate.
    const bought = await placeOrder(viewer, card.productId, `purchase-order-${dialect}-card`);
    const key = `purchase-order-${dialect}-key1`;
    expect((await feedback(card.decisionId, 'purchase', viewer, key, bought)).json()).toEqual({ learned: true, duplicate: false });
    expect((await feedback(card.decisionId, 'purchase', viewer, key, bought)).json()).toEqual({ learned: false, duplicate: true });
    expect(t.app.services.recommender.updates).toBe(before + 1);

    // That order answers for that card only, even on another card of the same product.
    const again = (await recs(viewer)).items.find((i) => i.productId === card.productId);
    expect(again).toBeDefined();
    const claimed = await feedback(again!.decisionId, 'purchase', viewer, undefined, bought);
    expect([claimed.statusCode, claimed.json().code]).toEqual([409, 'ORDER_ALREADY_CLAIMED']);
    const rows = await t.app.services.storage.db.selectFrom('recommendation_feedback').select(['decision_id', 'order_id']).where('order_id', '=', bought).execute();
    expect(rows).toEqual([{ decision_id: card.decisionId, order_id: bought }]);
    expect(t.app.services.recommender.updates).toBe(before + 1);
  });

  it('documents the error answers of its routes as problem details', async () => {
    const spec = (await t.app.inject('/api/docs/json')).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const codes = (path: string, method: string) => Object.keys(spec.paths[path]![method]!.responses).sort();
    expect(codes('/api/v1/sessions/{sessionId}/recommendations', 'get')).toEqual(['200', '400', '404', '409', '429']);
    expect(codes('/api/v1/sessions/{sessionId}/recommendations/feedback', 'post')).toEqual(['202', '400', '404', '409', '429']);
    expect(codes('/api/v1/sessions/{sessionId}/recommendations/health', 'get')).toEqual(['200', '401', '403', '404']);
    // And an error answer still carries everything the problem details say (the schema keeps extra fields).
    const nowhere = await t.app.inject('/api/v1/sessions/no-such-room/recommendations');
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.json()).toMatchObject({ status: 404, code: 'SESSION_NOT_FOUND', title: expect.any(String), type: expect.any(String) });
  });

  it('never changes a price: viewers of every profile pay the same for the same product (A6)', async () => {
    const viewers = ['parity-consent-0000000001', 'parity-declined-000000001', 'parity-teen-0000000000001'];
    await decide(viewers[0]!, [...PURPOSES]);
    await decide(viewers[1]!, []);
    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/age', headers: { 'x-qingliu-device': viewers[2]! }, payload: { brandId: BRAND, ageBand: '14_to_17' } });
    const product = (await room()).products.find((p) => p.priceFen <= 5_000 && p.stock > 10)!;
    const flash = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/flash-sales',
      headers: { cookie: admin.cookie },
      payload: { productId: product.id, price: ((product.priceFen - 100) / 100).toFixed(2), quantity: 5, durationSeconds: 300 },
    });
    expect(flash.statusCode, flash.body).toBe(201);
    const paid: number[] = [];
    for (const viewer of viewers) {
      const list = await recs(viewer, 10);
      // A recommendation carries no price of its own.
      expect(JSON.stringify(list)).not.toMatch(/priceFen|discount|coupon/i);
      const order = await t.app.inject({
        method: 'POST',
        url: '/api/v1/sessions/demo/orders',
        headers: { 'x-qingliu-device': viewer },
        payload: { productId: product.id, quantity: 1, clientOrderId: `parity-${viewer}` },
      });
      expect(order.statusCode, order.body).toBe(201);
      paid.push(order.json().order.unitPriceFen);
    }
    expect(new Set(paid)).toEqual(new Set([product.priceFen - 100]));
  });

  it('refuses bad input with problems', async () => {
    const cases: [string, number, string][] = [
      ['/api/v1/sessions/demo/recommendations?k=0', 400, 'VALIDATION_FAILED'],
      ['/api/v1/sessions/demo/recommendations?k=11', 400, 'VALIDATION_FAILED'],
      ['/api/v1/sessions/demo/recommendations?viewer=short', 400, 'VALIDATION_FAILED'],
      ['/api/v1/sessions/nope/recommendations', 404, 'SESSION_NOT_FOUND'],
      ['/api/v1/sessions/demo/recommendations?extra=1', 400, 'VALIDATION_FAILED'],
    ];
    for (const [url, status, code] of cases) {
      const res = await t.app.inject({ method: 'GET', url });
      expect([res.statusCode, res.json().code], url).toEqual([status, code]);
    }
    const item = (await recs()).items[0]!;
    for (const payload of [
      { decisionId: item.decisionId, type: 'stare', idempotencyKey: 'bad-key-00001' },
      { decisionId: item.decisionId, type: 'click' },
      { decisionId: item.decisionId, type: 'click', idempotencyKey: 'bad-key-00002', extra: true },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/recommendations/feedback', payload });
      expect([res.statusCode, res.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await t.app.services.storage.db.selectFrom('recommendation_feedback').selectAll().execute()).toEqual([]);
    // A show not yet on: nothing is ranked, logged or learnt.
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: { cookie: admin.cookie }, payload: { id: 'not-yet-live', brandId: BRAND, title: { zh: '预告', en: 'Coming up' } } });
    const early = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/not-yet-live/recommendations' });
    expect([early.statusCode, early.json().code]).toEqual([409, 'SESSION_NOT_LIVE']);
    expect(await t.app.services.storage.db.selectFrom('recommendation_decisions').select('id').where('session_id', '=', 'not-yet-live').execute()).toEqual([]);
  });

  it('shows hosts the health of their room, publishes how it works, and exports the decision log', async () => {
    const viewer = 'health-recs-00000000000001';
    await decide(viewer, [...PURPOSES]);
    const shown = await recs(viewer);
    await recs();
    await feedback(shown.items[0]!.decisionId, 'click', viewer);
    const host = await signIn(t.app, 'host');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations/health', headers: { cookie: host.cookie } })).statusCode).toBe(403);
    // No such room: said so, not "forbidden".
    const nowhere = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/no-such-room/recommendations/health', headers: { cookie: admin.cookie } });
    expect([nowhere.statusCode, nowhere.json().code]).toEqual([404, 'SESSION_NOT_FOUND']);
    const health = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations/health', headers: { cookie: admin.cookie } })).json();
    expect(health.impressions).toBe(8);
    expect(health.personalisedShare).toBe(0.5);
    expect(health.products.find((p: { productId: string }) => p.productId === shown.items[0]!.productId)).toMatchObject({ clicks: 1 });
    const how = (await t.app.inject({ method: 'GET', url: '/api/v1/recommendations/how-it-works?locale=en' })).json();
    expect(how.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(how.features.some((f: { name: string; personal: boolean }) => f.name === 'behaviour.tag_weight' && f.personal)).toBe(true);
    expect(how.neverUsed.length).toBeGreaterThan(3);
    const card = (await t.app.inject({ method: 'GET', url: '/api/v1/recommender/model-card', headers: { cookie: host.cookie } })).json();
    expect(card).toMatchObject({ kind: 'linucb', updates: expect.any(Number) });
    const officer = await signIn(t.app, 'compliance');
    const csv = (await t.app.inject({ method: 'GET', url: '/api/v1/compliance/recommendations/decisions.csv', headers: { cookie: officer.cookie } })).body.trim().split('\r\n');
    expect(csv[0]).toMatch(/^decision_id,timestamp,item_id,position,click,propensity_score,bias,/);
    expect(csv).toHaveLength(9);
    expect(csv.join('\n')).not.toContain(viewer);
    expect(csv[0]).not.toContain('behaviour.');
  });

  it('pushes a fresh list over the room socket after a pin', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const socket = await connectViewer(t.app, 'demo');
    await socket.next('snapshot');
    socket.send({ type: 'watch_recommendations', k: 3 });
    const first = (await socket.next('recommendations')).recommendations as { items: Item[] };
    expect(first.items).toHaveLength(3);
    const target = (await room()).products[40]!;
    await t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${target.id}`, headers: { cookie: admin.cookie } });
    const pushed = (await socket.next('recommendations')).recommendations as { items: Item[] };
    expect(pushed.items[0]!.productId).toBe(target.id);
    socket.send({ type: 'watch_recommendations', k: 99 });
    expect((await socket.next('error')).code).toBe('VALIDATION_FAILED');
  });

  it('pushes a non-personalised list to a page left open when the viewer switches personalisation off elsewhere (another tab, the privacy centre)', async () => {
    const viewer = 'open-tab-viewer-000000001';
    await decide(viewer, [...PURPOSES]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const socket = await connectViewer(t.app, 'demo');
    await socket.next('snapshot');
    socket.send({ type: 'watch_recommendations', k: 3, deviceId: viewer });
    expect(((await socket.next('recommendations')).recommendations as { personalised: boolean }).personalised).toBe(true);
    const off = await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: { 'x-qingliu-device': viewer }, payload: { brandId: BRAND, on: false } });
    expect(off.statusCode, off.body).toBe(200);
    let pushed = (await socket.next('recommendations')).recommendations as { personalised: boolean };
    while (pushed.personalised) pushed = (await socket.next('recommendations')).recommendations as { personalised: boolean };
    expect(pushed.personalised).toBe(false);
  });
});

describe('the model survives a restart', () => {
  it('restores the snapshot plus the updates since, to the same version, weights and age-band counts', async () => {
    const { storage, dispose } = await freshStorage('sqlite');
    const t = await testApp('sqlite');
    await t.close();
    const config = t.config;
    const first = await buildApp(config, { logger: false, storage });
    const admin = await signIn(first, 'admin');
    await first.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    const notice = (await first.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    const device = 'restart-recs-0000000000001';
    await first.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: device, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] } });
    // A declared child age band: what the model learns from this viewer also counts toward the band's interest.
    const declared = await first.inject({ method: 'PUT', url: '/api/v1/privacy/child-age', headers: { 'x-qingliu-device': device }, payload: { brandId: BRAND, childAgeBand: '6_12m' } });
    expect(declared.statusCode, declared.body).toBe(200);
    for (let i = 0; i < 5; i++) {
      const item = (await first.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', headers: { 'x-qingliu-device': device } })).json().items[0];
      await first.inject({ method: 'POST', url: '/api/v1/sessions/demo/recommendations/feedback', payload: { decisionId: item.decisionId, type: i % 2 ? 'dislike' : 'like', idempotencyKey: `restart-key-${i}-0`, deviceId: device } });
    }
    const version = first.services.recommender.modelVersion;
    const card = (await first.inject({ method: 'GET', url: '/api/v1/recommender/model-card', headers: { cookie: admin.cookie } })).json();
    const categories = [...new Set(((await first.inject('/api/v1/sessions/demo')).json() as { products: { category: string }[] }).products.map((p) => p.category))];
    const model = version.split(':')[0]!;
    const countsOf = (app: typeof first) => categories.map((c) => ({ c, ...app.services.recommender.ageBandInterest.counts(model, '6_12m', c), value: app.services.recommender.ageBandInterest.value(model, '6_12m', c) }));
    const before = countsOf(first);
    // Five items learnt from, three of them purchased.
    expect(before.reduce((n, c) => n + c.shown, 0)).toBe(5);
    expect(before.reduce((n, c) => n + c.positive, 0)).toBe(3);
    await first.close();
    const second = await buildApp(config, { logger: false, storage });
    expect(second.services.recommender.modelVersion).toBe(version);
    expect(second.services.recommender.updates).toBe(5);
    expect(card.updates).toBe(5);
    expect(countsOf(second)).toEqual(before);
    await second.close();
    await dispose();
  });
});

describe('the decision log feeds qingliu evaluate', () => {
  it('exports a log the evaluator reads, and the logged policy’s value is the log’s click-through rate', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { loadBanditLog, evaluateLog } = await import('../../src/modules/evaluation/index.js');
    const t = await testApp('sqlite');
    const admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    let clicks = 0;
    for (let v = 0; v < 12; v++) {
      const device = `evaluate-viewer-${String(v).padStart(10, '0')}`;
      if (v % 2 === 0) {
        await t.app.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: device, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] } });
      }
      const items = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', headers: { 'x-qingliu-device': device } })).json().items as Item[];
      if (v % 3 === 0) {
        await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/recommendations/feedback', payload: { decisionId: items[v % 4]!.decisionId, type: 'click', idempotencyKey: `evaluate-key-${v}-00`, deviceId: device } });
        clicks++;
      }
    }
    const officer = await signIn(t.app, 'compliance');
    const csv = (await t.app.inject({ method: 'GET', url: '/api/v1/compliance/recommendations/decisions.csv', headers: { cookie: officer.cookie } })).body;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-decisions-'));
    try {
      writeFileSync(path.join(dir, 'decisions.csv'), csv);
      const loaded = await loadBanditLog(dir);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.problem));
      expect(loaded.log.layout).toBe('qingliu');
      const result = await evaluateLog(loaded.log, { policies: ['logged'], estimators: ['ips', 'snips'], trainFraction: 0, bootstrap: 50 });
      if (!result.ok) throw new Error(result.message);
      expect(result.report.rows).toBe(48);
      expect(result.report.clicks).toBe(clicks);
      for (const e of result.report.estimates) expect(e.value).toBeCloseTo(clicks / 48, 12);
      // Qingliu's own models train on the export (its features, the intercept column among them) and are evaluated on the rest.
      const models = await evaluateLog(loaded.log, { policies: ['linucb', 'lints'], estimators: ['ips', 'snips', 'dm', 'dr'], trainFraction: 0.5, bootstrap: 20 });
      if (!models.ok) throw new Error(models.message);
      expect(models.report.estimates).toHaveLength(8);
      for (const e of models.report.estimates) expect(Number.isFinite(e.value), `${e.policy} ${e.estimator}`).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await t.close();
    }
  });
});

describe.each(DIALECTS)('the reward wait on %s', (dialect) => {
  it('learns the default reward for cards passed over once the wait ends, honours a withdrawal meanwhile, and records a late reward without learning it', async () => {
    let now = Date.UTC(2026, 10, 30, 10, 0, 0);
    const t = await testApp(dialect, { deps: { clock: { now: () => now } } });
    try {
      const admin = await signIn(t.app, 'admin');
      await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
      const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
      const decide = async (deviceId: string, granted: string[]) => {
        const method = granted.length === PURPOSES.length ? 'accept_all' : granted.length ? 'custom' : 'decline_all';
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method, granted } });
        expect(res.statusCode, res.body).toBe(201);
      };
      const recs = async (deviceId: string) =>
        ((await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', headers: { 'x-qingliu-device': deviceId } })).json() as { items: Item[] }).items;
      const feedback = (decisionId: string, type: string, deviceId: string, key: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/recommendations/feedback', payload: { decisionId, type, idempotencyKey: key, deviceId } });
      const recommender = t.app.services.recommender;

      const learner = 'wait-learner-000000000001';
      const withdrawer = 'wait-withdrawer-000000001';
      const personalOnly = 'wait-personal-only-000001';
      await decide(learner, [...PURPOSES]);
      await decide(withdrawer, [...PURPOSES]);
      await decide(personalOnly, ['personalised_recommendations']);
      const mine = await recs(learner);
      await recs(withdrawer);
      await recs(personalOnly);
      expect(mine).toHaveLength(4);
      const before = recommender.updates;
      expect((await feedback(mine[0]!.decisionId, 'click', learner, 'wait-click-key-0001')).json()).toEqual({ learned: true, duplicate: false });
      expect(recommender.updates).toBe(before + 1);

      // Within the wait nothing is settled.
      now += 59_000;
      expect(await recommender.settleRewards()).toBe(0);
      // The withdrawer takes back the model-improvement consent before the wait ends.
      await decide(withdrawer, ['personalised_recommendations']);
      now += 2_000;
      // The learner's three cards passed over are learnt with reward 0: not the clicked one, nothing of
      // the viewer who withdrew, nothing of the one who never allowed model improvement.
      expect(await recommender.settleRewards()).toBe(3);
      expect(recommender.updates).toBe(before + 4);
      expect(await recommender.settleRewards()).toBe(0);

      // A click after the wait is recorded, not learnt (the earliest reward counts).
      expect((await feedback(mine[1]!.decisionId, 'click', learner, 'wait-click-key-0002')).json()).toEqual({ learned: false, duplicate: false });
      expect(recommender.updates).toBe(before + 4);
      const rows = await t.app.services.storage.db.selectFrom('recommendation_feedback').select(['decision_id', 'learned']).execute();
      expect(rows.map((r) => [r.decision_id, Number(r.learned)]).sort()).toEqual(
        [
          [mine[0]!.decisionId, 1],
          [mine[1]!.decisionId, 0],
        ].sort(),
      );
    } finally {
      await t.close();
    }
  });
});

describe('the reward wait under load', () => {
  /** Starts the demo show, lets the viewer accept every purpose, and asks for `lists` lists of 10 for them. */
  async function learnableLists(t: TestApp, viewer: string, lists: number): Promise<void> {
    const admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
    const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    await t.app.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: viewer, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] } });
    for (let i = 0; i < lists; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations?k=10', headers: { 'x-qingliu-device': viewer } });
      if (res.statusCode !== 200) throw new Error(`list ${i}: ${res.statusCode}`);
    }
  }

  it('settles the oldest decisions at once when more than 50,000 wait, each once, without the clock moving', async () => {
    const now = Date.UTC(2026, 10, 30, 11, 0, 0);
    const t = await testApp('sqlite', { deps: { clock: { now: () => now } } });
    try {
      const recommender = t.app.services.recommender;
      const before = recommender.updates;
      // 5,002 lists of 10: 50,020 learnable decisions, 20 more than may wait.
      await learnableLists(t, 'busy-learner-000000000001', 5_002);
      // (A settling the last request started may still be running: settle until nothing more is due.)
      while ((await recommender.settleRewards()) > 0);
      expect(recommender.updates - before).toBe(20);
      // Nothing more is due until the wait ends.
      expect(await recommender.settleRewards()).toBe(0);
      expect(recommender.updates - before).toBe(20);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('settles a long batch in slices, letting the event loop serve in between, and learns each decision once', async () => {
    let now = Date.UTC(2026, 10, 30, 12, 0, 0);
    const t = await testApp('sqlite', { deps: { clock: { now: () => now } } });
    try {
      const recommender = t.app.services.recommender;
      const before = recommender.updates;
      // 300 lists of 10: 3,000 learnable decisions, all due together once the wait is over.
      await learnableLists(t, 'patient-learner-00000000001', 300);
      expect(await recommender.settleRewards()).toBe(0);
      now += recommender.options.rewardWaitMs + 1;
      // What the event loop did while the batch settled: an I/O-phase callback queued now runs
      // between two slices, not after the whole batch.
      const seen: number[] = [];
      setImmediate(() => seen.push(recommender.updates - before));
      const settled = await recommender.settleRewards();
      expect(settled).toBe(3_000);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBeGreaterThan(0);
      expect(seen[0]).toBeLessThan(3_000);
      expect(recommender.updates - before).toBe(3_000);
      expect(await recommender.settleRewards()).toBe(0);
    } finally {
      await t.close();
    }
  }, 120_000);
});
