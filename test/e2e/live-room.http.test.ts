/**
 * The live room through HTTP (app.inject), on every database: what viewers read (LC1), what hosts may
 * change (pins, sold out, flash sales bound to real stock and time: A9, LC5), orders (idempotent,
 * one price for everyone: A6), and counters that only real events move (LC4).
 *
 * One app per dialect with a frozen clock that tests advance by hand, and staff signed in once
 * (scrypt at OWASP cost is slow). Tests that change a room's state use a room of their own, with
 * products no other test orders, so they do not depend on each other's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { formatYuan } from '../../src/modules/catalogue/index.js';
import type { FlashSaleView, LiveStore, RoomState, ShowcaseProduct } from '../../src/modules/live-room/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';

type Staff = Awaited<ReturnType<typeof signIn>>;
type Method = NonNullable<InjectOptions['method']>;

const START = Date.UTC(2026, 2, 1, 12, 0, 0);

function expectProblem(res: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: res.statusCode, code: res.json<{ code?: string }>().code }, res.body).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

describe.each(DIALECTS)('live room over HTTP on %s', (dialect) => {
  let t: TestApp;
  let now = START;
  const clock = { now: () => now };
  let admin: Staff;
  let host: Staff;
  let moderator: Staff;
  let compliance: Staff;
  /** Demo products no test has claimed yet; a test that orders or sells takes its own. */
  let pool: ShowcaseProduct[];
  let rooms = 0;

  beforeAll(async () => {
    t = await testApp(dialect, { deps: { clock } });
    [admin, host, moderator, compliance] = await Promise.all([
      signIn(t.app, 'admin'),
      signIn(t.app, 'host'),
      signIn(t.app, 'moderator'),
      signIn(t.app, 'compliance'),
    ]);
    pool = (await roomOf('demo')).products.slice();
  });
  afterAll(async () => t?.close());

  const call = (method: Method, url: string, options: { as?: Staff; body?: unknown; headers?: Record<string, string> } = {}) =>
    t.app.inject({
      method,
      url,
      ...(options.body !== undefined ? { payload: options.body as InjectOptions['payload'] } : {}),
      headers: { ...(options.as ? { cookie: options.as.cookie } : {}), ...options.headers },
    });

  async function roomOf(sessionId: string, headers: Record<string, string> = {}): Promise<RoomState> {
    const res = await call('GET', `/api/v1/sessions/${sessionId}`, { headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<RoomState>();
  }

  const productIn = (state: RoomState, id: string) => {
    const p = state.products.find((x) => x.id === id);
    if (!p) throw new Error(`product ${id} is not in session ${state.session.id}`);
    return p;
  };

  /** Claims products for one test: the ones with the most stock, unless a filter says otherwise. */
  function take(n: number, pick: (p: ShowcaseProduct) => boolean = () => true): ShowcaseProduct[] {
    const chosen = pool.filter(pick).sort((a, b) => b.stock - a.stock).slice(0, n);
    if (chosen.length < n) throw new Error('the demo catalogue has too few suitable products left');
    pool = pool.filter((p) => !chosen.includes(p));
    return chosen;
  }

  /** A session of its own for one test, live unless asked otherwise. */
  async function newRoom(products: ShowcaseProduct[], options: { live?: boolean } = {}): Promise<string> {
    const id = `room-${++rooms}`;
    const created = await call('POST', '/api/v1/sessions', {
      as: admin,
      body: { id, brandId: 'demo-brand', title: { zh: `直播间 ${rooms}`, en: `Room ${rooms}` }, productIds: products.map((p) => p.id) },
    });
    expect(created.statusCode, created.body).toBe(201);
    if (options.live ?? true) {
      const started = await call('POST', `/api/v1/sessions/${id}/start`, { as: admin });
      expect(started.statusCode, started.body).toBe(200);
    }
    return id;
  }

  let orderIds = 0;
  const order = (sessionId: string, productId: string, quantity: number, clientOrderId = `order-${++orderIds}-${dialect}`, headers = {}) =>
    call('POST', `/api/v1/sessions/${sessionId}/orders`, { body: { productId, quantity, clientOrderId }, headers });

  const startSale = (sessionId: string, body: { productId: string; price: string; quantity: number; durationSeconds: number }, as: Staff = admin) =>
    call('POST', `/api/v1/sessions/${sessionId}/flash-sales`, { as, body });

  /** The view of a sale after it ended (ending an ended sale changes nothing and returns it). */
  async function endedSale(sessionId: string, saleId: string): Promise<FlashSaleView> {
    const res = await call('POST', `/api/v1/sessions/${sessionId}/flash-sales/${saleId}/end`, { as: admin });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<FlashSaleView>();
  }

  // ---- viewers ----

  it('a viewer reads the demo room: at least 40 bilingual products, and who operates and sells in it (LC1)', async () => {
    const res = await call('GET', '/api/v1/sessions/demo');
    expect(res.statusCode).toBe(200);
    const state = res.json<RoomState>();
    expect(state.session).toMatchObject({ id: 'demo', brandId: 'demo-brand' });
    expect(state.products.length).toBeGreaterThanOrEqual(40);
    for (const p of state.products) {
      expect(p.name.zh, p.sku).toMatch(/[\u4e00-\u9fff]/);
      expect(p.name.en, p.sku).toMatch(/[A-Za-z]{2}/);
      expect(p.priceFen).toBeGreaterThan(0);
      expect(p.listPriceFen).toBeGreaterThanOrEqual(p.priceFen);
    }
    expect(new Set(state.products.map((p) => p.id)).size).toBe(state.products.length);
    expect(state.brand.id).toBe('demo-brand');
    expect(state.brand.operator.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(state.brand.operator.en.length).toBeGreaterThan(3);
    expect(state.brand.name.zh.length).toBeGreaterThan(0);
    expect(state.brand.merchantLicence.trim().length).toBeGreaterThan(5);
    expect(state.brand.contactEmail).toMatch(/^[^@\s]+@[^@\s]+$/);
    expect(state.counters).toEqual({ viewers: 0, likes: 0, addToCart: 0, orders: 0, unitsSold: 0 });
    expect(state.serverTime).toBe(now);
  });

  // ---- hosts ----

  it('host flow: go live, pin at most 3 (a 4th is refused and changes nothing), unpin, pin again idempotently', async () => {
    const [p1, p2, p3, p4] = (await roomOf('demo')).products.map((p) => p.id);
    const live = await call('POST', '/api/v1/sessions/demo/start', { as: admin });
    expect(live.statusCode, live.body).toBe(200);
    expect(live.json().session).toMatchObject({ status: 'live', startedAt: now });
    expect((await roomOf('demo')).session.status).toBe('live');
    expectProblem(await call('POST', '/api/v1/sessions/demo/start', { as: admin }), 409, 'SESSION_ALREADY_LIVE');

    const pin = (id: string | undefined, as: Staff = admin) => call('PUT', `/api/v1/sessions/demo/pins/${id}`, { as });
    expect((await pin(p1)).json()).toEqual({ pins: [p1] });
    expect((await pin(p2)).json()).toEqual({ pins: [p1, p2] });
    expect((await pin(p3)).json()).toEqual({ pins: [p1, p2, p3] });

    const before = await roomOf('demo');
    expectProblem(await pin(p4), 409, 'PIN_LIMIT_REACHED');
    const after = await roomOf('demo');
    expect(after.pins).toEqual([p1, p2, p3]);
    expect(after.seq).toBe(before.seq);
    expect(productIn(after, p4!).pinnedAt).toBeNull();

    // Pinning a pinned product again is not a change.
    const again = await pin(p2);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ pins: [p1, p2, p3] });
    expect((await roomOf('demo')).seq).toBe(before.seq);

    const unpinned = await call('DELETE', `/api/v1/sessions/demo/pins/${p2}`, { as: admin });
    expect(unpinned.json()).toEqual({ pins: [p1, p3] });
    const afterUnpin = await roomOf('demo');
    expect(afterUnpin.pins).toEqual([p1, p3]);
    expect(productIn(afterUnpin, p2!).pinnedAt).toBeNull();
    expect(afterUnpin.seq).toBe(before.seq + 1);

    // With a slot free, the fourth product fits; the newest pin is last.
    expect((await pin(p4)).json()).toEqual({ pins: [p1, p3, p4] });
    expectProblem(await call('PUT', '/api/v1/sessions/demo/pins/no-such-product', { as: admin }), 409, 'PRODUCT_NOT_IN_SESSION');
  });

  it('only the admin or the host of the session may change it; an admin assigns the host', async () => {
    // Start from no pins, whatever other tests left.
    for (const id of (await roomOf('demo')).pins) {
      expect((await call('DELETE', `/api/v1/sessions/demo/pins/${id}`, { as: admin })).statusCode).toBe(200);
    }
    const target = (await roomOf('demo')).products[10]!.id;
    const pin = (as?: Staff) => call('PUT', `/api/v1/sessions/demo/pins/${target}`, as ? { as } : {});

    expectProblem(await pin(host), 403, 'FORBIDDEN'); // a host, but not of this session
    expectProblem(await pin(moderator), 403, 'FORBIDDEN');
    expectProblem(await pin(compliance), 403, 'FORBIDDEN');
    expectProblem(await pin(), 401, 'UNAUTHENTICATED');
    expectProblem(await call('PUT', `/api/v1/sessions/demo/products/${target}/sold-out`, { as: moderator, body: { soldOut: true } }), 403, 'FORBIDDEN');
    expectProblem(await call('POST', '/api/v1/sessions/demo/end', { as: compliance }), 403, 'FORBIDDEN');
    expectProblem(await call('POST', '/api/v1/sessions/demo/end'), 401, 'UNAUTHENTICATED');
    // A host cannot make themselves the host.
    expectProblem(await call('PATCH', '/api/v1/sessions/demo', { as: host, body: { hostUserId: host.id } }), 403, 'FORBIDDEN');
    const untouched = await roomOf('demo');
    expect(untouched.pins).toEqual([]);
    expect(untouched.session.status).toBe('live');
    expect(untouched.session.hostName).toBeNull();

    const assigned = await call('PATCH', '/api/v1/sessions/demo', { as: admin, body: { hostUserId: host.id } });
    expect(assigned.statusCode, assigned.body).toBe(200);
    expect(assigned.json().session.hostName).toBe(host.name);
    expect((await roomOf('demo')).session.hostName).toBe(host.name);

    const pinned = await pin(host);
    expect(pinned.statusCode, pinned.body).toBe(200);
    expect(pinned.json()).toEqual({ pins: [target] });
    // Hosting a session does not let a host reassign it.
    expectProblem(await call('PATCH', '/api/v1/sessions/demo', { as: host, body: { hostUserId: null } }), 403, 'FORBIDDEN');
    // Other roles stay out.
    expectProblem(await call('DELETE', `/api/v1/sessions/demo/pins/${target}`, { as: moderator }), 403, 'FORBIDDEN');
    expect((await roomOf('demo')).pins).toEqual([target]);
  });

  it('sold out: marking stops orders and flash sales and ends a running sale; unmarking restores them', async () => {
    const [p] = take(1);
    const room = await newRoom([p!]);
    const sale = await startSale(room, { productId: p!.id, price: formatYuan(p!.priceFen - 1), quantity: 2, durationSeconds: 600 });
    expect(sale.statusCode, sale.body).toBe(201);

    const marked = await call('PUT', `/api/v1/sessions/${room}/products/${p!.id}/sold-out`, { as: admin, body: { soldOut: true } });
    expect(marked.json()).toEqual({ productId: p!.id, soldOut: true, markedSoldOut: true });
    const state = await roomOf(room);
    expect(productIn(state, p!.id)).toMatchObject({ soldOut: true, markedSoldOut: true, stock: p!.stock });
    expect(state.flashSales).toEqual([]);
    expect(await endedSale(room, sale.json().id)).toMatchObject({ status: 'ended', endReason: 'sold_out', remaining: 0 });

    expectProblem(await order(room, p!.id, 1), 409, 'PRODUCT_SOLD_OUT');
    expectProblem(await startSale(room, { productId: p!.id, price: '1.00', quantity: 1, durationSeconds: 60 }), 409, 'PRODUCT_SOLD_OUT');
    expect(productIn(await roomOf(room), p!.id).stock).toBe(p!.stock);

    const unmarked = await call('PUT', `/api/v1/sessions/${room}/products/${p!.id}/sold-out`, { as: admin, body: { soldOut: false } });
    expect(unmarked.json()).toEqual({ productId: p!.id, soldOut: false, markedSoldOut: false });
    expect(productIn(await roomOf(room), p!.id).soldOut).toBe(false);
    expect((await order(room, p!.id, 1)).statusCode).toBe(201);
    expect(productIn(await roomOf(room), p!.id).stock).toBe(p!.stock - 1);
  });

  it('flash sale: a real lower price and a real quantity; orders count down `remaining` and stock; it ends when sold out (A9, LC5)', async () => {
    const [p] = take(1, (x) => x.priceFen >= 200);
    const room = await newRoom([p!]);
    const catalogued = await call('GET', `/api/v1/products/${p!.id}`);
    const price = catalogued.json<{ priceFen: number }>().priceFen;
    const stock = productIn(await roomOf(room), p!.id).stock;
    const salePrice = Math.floor(price / 2);

    expectProblem(await startSale(room, { productId: p!.id, price: formatYuan(salePrice), quantity: stock + 1, durationSeconds: 300 }), 409, 'INSUFFICIENT_STOCK');
    const same = await startSale(room, { productId: p!.id, price: formatYuan(price), quantity: 1, durationSeconds: 300 });
    expectProblem(same, 400, 'VALIDATION_FAILED');
    expect(same.json().errors).toEqual([expect.objectContaining({ field: 'price' })]);
    expectProblem(await startSale(room, { productId: p!.id, price: formatYuan(price + 100), quantity: 1, durationSeconds: 300 }), 400, 'VALIDATION_FAILED');
    expect((await roomOf(room)).flashSales).toEqual([]);

    const started = await startSale(room, { productId: p!.id, price: formatYuan(salePrice), quantity: 3, durationSeconds: 300 });
    expect(started.statusCode, started.body).toBe(201);
    const sale = started.json<FlashSaleView>();
    expect(sale).toMatchObject({
      productId: p!.id,
      priceFen: salePrice,
      previousPriceFen: price, // LC5: the real price right before
      quantity: 3,
      remaining: 3,
      startsAt: now,
      endsAt: now + 300_000,
      status: 'active',
      endReason: null,
    });
    expect((await roomOf(room)).flashSales).toEqual([sale]);
    expectProblem(await startSale(room, { productId: p!.id, price: formatYuan(salePrice - 1), quantity: 1, durationSeconds: 60 }), 409, 'FLASH_SALE_ACTIVE');

    const first = await order(room, p!.id, 2);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().order).toMatchObject({ unitPriceFen: salePrice, flashSaleId: sale.id, quantity: 2 });
    let state = await roomOf(room);
    expect(state.flashSales.map((f) => f.remaining)).toEqual([1]);
    expect(productIn(state, p!.id).stock).toBe(stock - 2);

    const tooMany = await order(room, p!.id, 2);
    expectProblem(tooMany, 409, 'INSUFFICIENT_STOCK');
    expect(tooMany.json().available).toBe(1);
    state = await roomOf(room);
    expect(state.flashSales.map((f) => f.remaining)).toEqual([1]);
    expect(productIn(state, p!.id).stock).toBe(stock - 2);

    const last = await order(room, p!.id, 1);
    expect(last.json().order).toMatchObject({ unitPriceFen: salePrice, flashSaleId: sale.id });
    state = await roomOf(room);
    expect(state.flashSales).toEqual([]);
    expect(productIn(state, p!.id).stock).toBe(stock - 3);
    expect(await endedSale(room, sale.id)).toMatchObject({ status: 'ended', endReason: 'sold_out', remaining: 0, previousPriceFen: price });

    // After the sale the price is the real one again.
    expect((await order(room, p!.id, 1)).json().order).toMatchObject({ unitPriceFen: price, flashSaleId: null });
    expect(state.counters).toMatchObject({ orders: 2, unitsSold: 3 });
  });

  it('a flash sale needs a live session', async () => {
    const [p] = take(1);
    const room = await newRoom([p!], { live: false });
    expectProblem(await startSale(room, { productId: p!.id, price: '0.01', quantity: 1, durationSeconds: 60 }), 409, 'SESSION_NOT_LIVE');
    expectProblem(await order(room, p!.id, 1), 409, 'SESSION_NOT_LIVE');
    expect((await roomOf(room)).flashSales).toEqual([]);
  });

  it('never sells more at the flash price than min(quantity − sold, stock), when another room took stock (A9)', async () => {
    const [p] = take(1, (x) => x.stock >= 6 && x.stock <= 99);
    const stock = p!.stock;
    const roomA = await newRoom([p!]);
    const roomB = await newRoom([p!]);
    const sale = (await startSale(roomA, { productId: p!.id, price: '0.01', quantity: stock - 2, durationSeconds: 600 })).json<FlashSaleView>();
    expect(sale.remaining).toBe(stock - 2);

    // Room B sells at the normal price from the same stock: stock - 4 left, so only that many at the flash price.
    const other = await order(roomB, p!.id, 4);
    expect(other.json().order).toMatchObject({ flashSaleId: null, unitPriceFen: p!.priceFen });
    const tooMany = await order(roomA, p!.id, stock - 3);
    expectProblem(tooMany, 409, 'INSUFFICIENT_STOCK');
    expect(tooMany.json().available).toBe(stock - 4);

    const rest = await order(roomA, p!.id, stock - 4);
    expect(rest.statusCode, rest.body).toBe(201);
    const state = await roomOf(roomA);
    expect(productIn(state, p!.id)).toMatchObject({ stock: 0, soldOut: true });
    expect(state.flashSales).toEqual([]);
    expect(await endedSale(roomA, sale.id)).toMatchObject({ endReason: 'sold_out', remaining: 0 });
    expectProblem(await order(roomB, p!.id, 1), 409, 'PRODUCT_SOLD_OUT');
  });

  it('two nodes on one database, taking orders at once, never sell more than the stock or the flash-sale quantity (A9)', async () => {
    const [p] = take(1, (x) => x.stock >= 6 && x.stock <= 40);
    const stock = p!.stock;
    const room = await newRoom([p!]);
    const sale = (await startSale(room, { productId: p!.id, price: '0.01', quantity: 5, durationSeconds: 600 })).json<FlashSaleView>();
    // A second node: its own app and bus, the same database.
    const node2 = await buildApp(t.config, { logger: false, clock, storage: t.app.services.storage });
    try {
      const attempts = stock + 5;
      const results = await Promise.all(
        Array.from({ length: attempts }, (_, i) =>
          (i % 2 ? t.app : node2).inject({
            method: 'POST',
            url: `/api/v1/sessions/${room}/orders`,
            payload: { productId: p!.id, quantity: 1, clientOrderId: `race-${dialect}-${i}` },
          }),
        ),
      );
      const sold = results.filter((r) => r.statusCode === 201).map((r) => r.json().order as { unitPriceFen: number; flashSaleId: string | null });
      expect(sold).toHaveLength(stock);
      expect(sold.filter((o) => o.flashSaleId === sale.id && o.unitPriceFen === 1)).toHaveLength(5);
      expect(sold.filter((o) => o.flashSaleId === null && o.unitPriceFen === p!.priceFen)).toHaveLength(stock - 5);
      for (const r of results.filter((x) => x.statusCode !== 201)) expect(r.statusCode, r.body).toBe(409);
      const state = await roomOf(room);
      expect(productIn(state, p!.id)).toMatchObject({ stock: 0, soldOut: true });
      expect(state.counters).toMatchObject({ orders: stock, unitsSold: stock });
      expect(await endedSale(room, sale.id)).toMatchObject({ endReason: 'sold_out', remaining: 0 });
    } finally {
      await node2.close();
    }
  });

  // Products are shared by every session of a brand: an order in room B lowers the stock room A
  // shows, and room A's flash-sale `remaining` with it (A9: never a display number).
  it('shows a flash sale’s `remaining` and the stock bounded by real stock after another room sold some (A9)', async () => {
    const [p] = take(1, (x) => x.stock >= 6 && x.stock <= 99);
    const stock = p!.stock;
    const roomA = await newRoom([p!]);
    const roomB = await newRoom([p!]);
    await startSale(roomA, { productId: p!.id, price: '0.01', quantity: stock - 2, durationSeconds: 600 });
    expect((await roomOf(roomA)).flashSales.map((f) => f.remaining)).toEqual([stock - 2]); // a viewer is watching room A

    expect((await order(roomB, p!.id, 4)).statusCode).toBe(201);
    const state = await roomOf(roomA);
    expect(productIn(state, p!.id).stock).toBe(stock - 4);
    expect(state.flashSales.map((f) => f.remaining)).toEqual([stock - 4]);
  });

  // A catalogue import that changes a price reaches the rooms showing it; an order placed with the
  // old price in hand is refused rather than charged a price the viewer never saw (A6, LC5).
  it('after a catalogue import changes a price, the room shows the price that orders are charged', async () => {
    const [p] = take(1);
    const room = await newRoom([p!]);
    expect(productIn(await roomOf(room), p!.id).priceFen).toBe(p!.priceFen); // a viewer is watching
    const newPrice = p!.priceFen + 1000;
    const imported = await call('POST', '/api/v1/brands/demo-brand/products/import', {
      as: admin,
      body: [{ sku: p!.sku, nameZh: p!.name.zh, nameEn: p!.name.en, category: p!.category, price: formatYuan(newPrice), listPrice: formatYuan(newPrice), stock: p!.stock }],
    });
    expect(imported.json()).toEqual({ created: 0, updated: 1 });
    const shown = productIn(await roomOf(room), p!.id).priceFen;
    expect((await order(room, p!.id, 1)).json().order.unitPriceFen).toBe(newPrice);
    expect(shown).toBe(newPrice);
    const stale = await call('POST', `/api/v1/sessions/${room}/orders`, {
      body: { productId: p!.id, quantity: 1, clientOrderId: `stale-price-${dialect}`, expectedUnitPriceFen: p!.priceFen },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'PRICE_CHANGED', unitPriceFen: newPrice });
    expect(productIn(await roomOf(room), p!.id).stock).toBe(p!.stock - 1);
  });

  it('a flash sale ends on time: past endsAt it is not listed even before the expiry job, and the job ends it as expired', async () => {
    const [p] = take(1);
    const room = await newRoom([p!]);
    const sale = (await startSale(room, { productId: p!.id, price: formatYuan(p!.priceFen - 1), quantity: 5, durationSeconds: 30 })).json<FlashSaleView>();
    expect(sale.endsAt).toBe(now + 30_000);

    now += 29_999;
    let state = await roomOf(room);
    expect(state.flashSales.map((f) => f.id)).toEqual([sale.id]);
    expect(state.serverTime).toBe(sale.endsAt - 1);

    now += 1; // exactly endsAt: the sale is over
    state = await roomOf(room);
    expect(state.flashSales).toEqual([]);
    // An order now pays the real price, even though no job has marked the sale ended yet.
    expect((await order(room, p!.id, 1)).json().order).toMatchObject({ unitPriceFen: p!.priceFen, flashSaleId: null });

    await t.app.services.liveRoom.expireDueFlashSales();
    expect((await roomOf(room)).flashSales).toEqual([]);
    expect(await t.app.services.liveRoom.expireDueFlashSales()).toBe(0);
    expect(await endedSale(room, sale.id)).toMatchObject({ status: 'ended', endReason: 'expired', remaining: 0, endsAt: sale.endsAt });
    // The product is free for a new sale.
    expect((await startSale(room, { productId: p!.id, price: formatYuan(p!.priceFen - 1), quantity: 1, durationSeconds: 10 })).statusCode).toBe(201);
  });

  // ---- orders ----

  it('orders are idempotent per clientOrderId: a retry returns the same order and takes stock once', async () => {
    const [p] = take(1);
    const room = await newRoom([p!]);
    const first = await order(room, p!.id, 2, 'retry-me-0001');
    expect(first.statusCode).toBe(201);
    expect(first.json().duplicate).toBe(false);

    const retry = await order(room, p!.id, 2, 'retry-me-0001');
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ order: first.json().order, duplicate: true });

    expectProblem(await order(room, p!.id, 3, 'retry-me-0001'), 409, 'DUPLICATE_REQUEST');
    const [other] = take(1);
    expectProblem(await order(room, other!.id, 2, 'retry-me-0001'), 409, 'DUPLICATE_REQUEST');

    const state = await roomOf(room);
    expect(productIn(state, p!.id).stock).toBe(p!.stock - 2);
    expect(state.counters).toMatchObject({ orders: 1, unitsSold: 2 });
  });

  it('price parity (A6): a signed-in English reader and an anonymous Chinese reader get the same prices at the same time', async () => {
    const [plain, onSale] = take(2);
    const room = await newRoom([plain!, onSale!]);
    const salePrice = onSale!.priceFen - 100;
    await startSale(room, { productId: onSale!.id, price: formatYuan(salePrice), quantity: 10, durationSeconds: 600 });

    const staffView = { cookie: host.cookie, 'accept-language': 'en-GB,en;q=0.9' };
    const anonymousView = { 'accept-language': 'zh-CN,zh;q=0.9' };
    const prices = (s: RoomState) => ({
      products: s.products.map((p) => [p.id, p.priceFen, p.listPriceFen]),
      flashSales: s.flashSales.map((f) => [f.productId, f.priceFen, f.previousPriceFen, f.remaining, f.endsAt]),
    });
    const a = await roomOf(room, staffView);
    const b = await roomOf(room, anonymousView);
    const c = await roomOf(`${room}?lang=en`, anonymousView);
    expect(prices(a)).toEqual(prices(b));
    expect(prices(c)).toEqual(prices(b));

    for (const [product, expected] of [
      [plain!, plain!.priceFen],
      [onSale!, salePrice],
    ] as const) {
      const staffOrder = await order(room, product.id, 1, undefined, staffView);
      const anonymousOrder = await order(room, product.id, 1, undefined, anonymousView);
      expect(staffOrder.json().order.unitPriceFen).toBe(expected);
      expect(anonymousOrder.json().order.unitPriceFen).toBe(expected);
      expect(staffOrder.json().order.flashSaleId).toBe(anonymousOrder.json().order.flashSaleId);
    }
    const detailA = await call('GET', `/api/v1/products/${onSale!.id}`, { headers: staffView });
    const detailB = await call('GET', `/api/v1/products/${onSale!.id}`, { headers: anonymousView });
    expect(detailA.json().priceFen).toBe(detailB.json().priceFen);
  });

  // ---- counters ----

  it('counters move by exactly one per distinct clientEventId, and no route sets them (LC4)', async () => {
    const [p] = take(1);
    const room = await newRoom([p!]);
    const event = (body: object) => call('POST', `/api/v1/sessions/${room}/events`, { body });
    const counters = async () => (await roomOf(room)).counters;
    expect(await counters()).toEqual({ viewers: 0, likes: 0, addToCart: 0, orders: 0, unitsSold: 0 });

    const like = await event({ type: 'like', clientEventId: 'like-0000001' });
    expect(like.statusCode).toBe(202);
    expect(like.json()).toEqual({ accepted: true, duplicate: false });
    expect((await counters()).likes).toBe(1);
    const retried = await event({ type: 'like', clientEventId: 'like-0000001' });
    expect(retried.json()).toEqual({ accepted: true, duplicate: true });
    expect((await counters()).likes).toBe(1);
    await event({ type: 'like', clientEventId: 'like-0000002' });
    expect((await counters()).likes).toBe(2);

    await event({ type: 'add_to_cart', clientEventId: 'cart-0000001', productId: p!.id });
    await event({ type: 'add_to_cart', clientEventId: 'cart-0000001', productId: p!.id });
    expect(await counters()).toEqual({ viewers: 0, likes: 2, addToCart: 1, orders: 0, unitsSold: 0 });
    expectProblem(await event({ type: 'like', clientEventId: 'like-0000003', productId: p!.id }), 400, 'VALIDATION_FAILED');
    expectProblem(await event({ type: 'add_to_cart', clientEventId: 'cart-0000002' }), 400, 'VALIDATION_FAILED');
    expectProblem(await event({ type: 'add_to_cart', clientEventId: 'cart-0000003', productId: 'not-here' }), 409, 'PRODUCT_NOT_IN_SESSION');

    // No way to set them, for anyone.
    const before = await counters();
    const demoBefore = (await roomOf('demo')).counters;
    const attempts: [Method, string, unknown][] = [];
    for (const s of [room, 'demo']) {
      for (const method of ['PUT', 'POST', 'PATCH'] as const) attempts.push([method, `/api/v1/sessions/${s}/counters`, { likes: 1000, viewers: 5000 }]);
      attempts.push(['PATCH', `/api/v1/sessions/${s}`, { counters: { likes: 1000 } }]);
      attempts.push(['PATCH', `/api/v1/sessions/${s}`, { likes: 5 }]);
      attempts.push(['PATCH', `/api/v1/sessions/${s}`, { title: { zh: '标题', en: 'Title' }, likes: 5 }]);
      attempts.push(['POST', `/api/v1/sessions/${s}/events`, { type: 'like', clientEventId: 'like-many-001', count: 100 }]);
      attempts.push(['POST', `/api/v1/sessions/${s}/events`, { type: 'likes', clientEventId: 'like-many-002' }]);
    }
    for (const [method, url, body] of attempts) {
      for (const as of [admin, undefined]) {
        const res = await call(method, url, { body, ...(as ? { as } : {}) });
        expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)} → ${res.statusCode}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }
    }
    expect(await counters()).toEqual(before);
    expect((await roomOf('demo')).counters).toEqual(demoBefore);
    expect((await roomOf(`${room}?likes=999&viewers=999`)).counters).toEqual(before);
  });

  it('events that arrive together are stored in one transaction (group commit), each answered once it is committed', async () => {
    const [p] = take(1);
    const room = await newRoom([p!]);
    // The store is the service's own; watched here from outside to count its transactions.
    const store = (t.app.services.liveRoom as unknown as { store: LiveStore }).store;
    const batches: number[] = [];
    const recordEvents = store.recordEvents.bind(store);
    store.recordEvents = (sessionId, events, at) => {
      if (sessionId === room) batches.push(events.length);
      return recordEvents(sessionId, events, at);
    };
    try {
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call('POST', `/api/v1/sessions/${room}/events`, { body: i % 4 === 3 ? { type: 'add_to_cart', clientEventId: `batch-cart-${i}`, productId: p!.id } : { type: 'like', clientEventId: `batch-like-${i}` } }),
        ),
      );
      expect(replies.map((r) => r.statusCode)).toEqual(new Array(40).fill(202));
      // Requests read in the same turn of the event loop share a transaction (on SQLite too, where a
      // transaction never yields to I/O): far fewer commits than events.
      expect(batches.reduce((a, b) => a + b, 0)).toBe(40);
      expect(batches.length).toBeLessThanOrEqual(4);
      expect((await roomOf(room)).counters).toMatchObject({ likes: 30, addToCart: 10 });
    } finally {
      store.recordEvents = recordEvents;
    }
  });

  // ---- ending ----

  it('ending the session ends its running flash sales (session_ended) and refuses further orders and changes', async () => {
    const [p, q] = take(2);
    const room = await newRoom([p!, q!]);
    const saleP = (await startSale(room, { productId: p!.id, price: formatYuan(p!.priceFen - 1), quantity: 2, durationSeconds: 600 })).json<FlashSaleView>();
    const saleQ = (await startSale(room, { productId: q!.id, price: formatYuan(q!.priceFen - 1), quantity: 2, durationSeconds: 600 })).json<FlashSaleView>();
    expect((await roomOf(room)).flashSales).toHaveLength(2);

    const ended = await call('POST', `/api/v1/sessions/${room}/end`, { as: admin });
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json().session).toMatchObject({ status: 'ended', endedAt: now });
    const state = await roomOf(room);
    expect(state.session.status).toBe('ended');
    expect(state.flashSales).toEqual([]);
    for (const sale of [saleP, saleQ]) expect(await endedSale(room, sale.id)).toMatchObject({ status: 'ended', endReason: 'session_ended' });

    expectProblem(await order(room, p!.id, 1), 409, 'SESSION_ENDED');
    expectProblem(await call('POST', `/api/v1/sessions/${room}/events`, { body: { type: 'like', clientEventId: 'like-after-end' } }), 409, 'SESSION_ENDED');
    expectProblem(await call('PUT', `/api/v1/sessions/${room}/pins/${p!.id}`, { as: admin }), 409, 'SESSION_ENDED');
    expectProblem(await call('POST', `/api/v1/sessions/${room}/start`, { as: admin }), 409, 'SESSION_ENDED');
    expectProblem(await call('POST', `/api/v1/sessions/${room}/end`, { as: admin }), 409, 'SESSION_ENDED');
    expectProblem(await startSale(room, { productId: q!.id, price: '0.01', quantity: 1, durationSeconds: 60 }), 409, 'SESSION_ENDED');
    const after = await roomOf(room);
    expect(productIn(after, p!.id).stock).toBe(p!.stock);
    expect(after.counters).toMatchObject({ orders: 0, likes: 0 });
  });
});
