/**
 * The live room's WebSocket on a listening server, on every database: a snapshot first, then every
 * showcase change in seq order without gaps to every viewer; real viewer counts; likes over the
 * socket; and bad clients (invalid, oversized, flooding, foreign origin) handled without harming others.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import type { FlashSaleView, RoomState, ServerMessage, ShowcaseProduct } from '../../src/modules/live-room/index.js';
import { formatYuan } from '../../src/modules/catalogue/index.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/databases.js';
import { closeAllViewers, connectViewer, type Viewer } from '../support/ws.js';

type Method = NonNullable<InjectOptions['method']>;

const seqOf = (m: ServerMessage): number | undefined => ('seq' in m ? m.seq : undefined);

describe.each(DIALECTS)('live room WebSocket on %s', (dialect) => {
  afterEach(() => closeAllViewers());

  describe('with a host at work', () => {
    let t: TestApp;
    let admin: Awaited<ReturnType<typeof signIn>>;
    let pool: ShowcaseProduct[];
    let rooms = 0;

    beforeAll(async () => {
      t = await testApp(dialect);
      admin = await signIn(t.app, 'admin');
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      pool = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<RoomState>().products.slice();
    });
    afterAll(async () => t?.close());

    const http = async (method: Method, url: string, body?: unknown, asAdmin = true) => {
      const res = await t.app.inject({
        method,
        url,
        headers: asAdmin ? { cookie: admin.cookie } : {},
        ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      return res.json();
    };

    const take = (n: number) => {
      const chosen = pool.splice(0, n);
      if (chosen.length < n) throw new Error('not enough demo products left');
      return chosen.map((p) => p.id);
    };

    async function newRoom(productIds: string[]): Promise<string> {
      const id = `ws-${++rooms}`;
      await http('POST', '/api/v1/sessions', { id, brandId: 'demo-brand', title: { zh: `房间 ${rooms}`, en: `Room ${rooms}` }, productIds });
      await http('POST', `/api/v1/sessions/${id}/start`);
      return id;
    }

    async function viewerOf(room: string): Promise<{ viewer: Viewer; snapshot: RoomState }> {
      const viewer = await connectViewer(t.app, room);
      const { state } = await viewer.next('snapshot');
      expect(viewer.received[0]?.type).toBe('snapshot');
      return { viewer, snapshot: state };
    }

    it('a sale in another room showing the same product reaches this room as a stock change', async () => {
      const [product] = take(1);
      const roomA = await newRoom([product!]);
      const roomB = await newRoom([product!]);
      const { viewer, snapshot } = await viewerOf(roomA);
      const before = snapshot.products[0]!.stock;
      await http('POST', `/api/v1/sessions/${roomB}/orders`, { productId: product, quantity: 2, clientOrderId: `cross-room-${dialect}` }, false);
      const change = await viewer.next('stock');
      expect(change).toMatchObject({ productId: product, stock: before - 2, soldOut: false, seq: snapshot.seq + 1 });
    });

    it('a viewer first receives a snapshot of the room as it is', async () => {
      const products = take(3);
      const room = await newRoom(products);
      await http('PUT', `/api/v1/sessions/${room}/pins/${products[1]}`);
      const { snapshot } = await viewerOf(room);
      const viaHttp = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${room}` })).json<RoomState>();
      expect(snapshot.session).toMatchObject({ id: room, status: 'live' });
      expect(snapshot.products.map((p) => p.id)).toEqual(products);
      expect(snapshot.pins).toEqual([products[1]]);
      expect(snapshot.counters.viewers).toBe(1);
      expect(snapshot.seq).toBe(viaHttp.seq);
      const { serverTime: _a, counters: _b, ...restSnapshot } = snapshot;
      const { serverTime: _c, counters: _d, ...restHttp } = viaHttp;
      expect(restSnapshot).toEqual(restHttp);
    });

    it('host changes reach every viewer in seq order with no gaps: pinned, unpinned, sold_out, flash sale, stock', async () => {
      const [p1, p2, p3] = take(3);
      const room = await newRoom([p1!, p2!, p3!]);
      const a = await viewerOf(room);
      const b = await viewerOf(room);
      expect(b.snapshot.seq).toBe(a.snapshot.seq);
      const s = a.snapshot.seq;

      const pinned = await http('PUT', `/api/v1/sessions/${room}/pins/${p1}`);
      for (const v of [a.viewer, b.viewer]) {
        const m = await v.next('pinned');
        expect(m).toEqual({ type: 'pinned', seq: s + 1, productId: p1, pinnedAt: expect.any(Number), pins: [p1] });
        expect(m.pins).toEqual(pinned.pins);
      }
      await http('DELETE', `/api/v1/sessions/${room}/pins/${p1}`);
      await http('PUT', `/api/v1/sessions/${room}/products/${p2}/sold-out`, { soldOut: true });
      const product3 = a.snapshot.products.find((p) => p.id === p3)!;
      const sale = (await http('POST', `/api/v1/sessions/${room}/flash-sales`, {
        productId: p3,
        price: formatYuan(product3.priceFen - 1),
        quantity: 5,
        durationSeconds: 120,
      })) as FlashSaleView;
      await http('POST', `/api/v1/sessions/${room}/orders`, { productId: p3, quantity: 2, clientOrderId: `ws-order-${room}` }, false);

      for (const v of [a.viewer, b.viewer]) {
        expect(await v.next('unpinned')).toEqual({ type: 'unpinned', seq: s + 2, productId: p1, pins: [] });
        expect(await v.next('sold_out')).toEqual({ type: 'sold_out', seq: s + 3, productId: p2, soldOut: true, markedSoldOut: true });
        expect(await v.next('flash_sale_started')).toEqual({ type: 'flash_sale_started', seq: s + 4, flashSale: sale });
        expect(await v.next('stock')).toEqual({ type: 'stock', seq: s + 5, productId: p3, stock: product3.stock - 2, soldOut: false });
        const updated = await v.next('flash_sale_updated');
        expect(updated.seq).toBe(s + 6);
        expect(updated.flashSale).toMatchObject({ id: sale.id, remaining: 3, status: 'active' });
        // Every change, in order, once: seq runs s+1, s+2, … with no gap and no repeat.
        const seqs = v.received.map(seqOf).filter((x): x is number => x !== undefined);
        expect(seqs).toEqual([s + 1, s + 2, s + 3, s + 4, s + 5, s + 6]);
      }
      const state = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${room}` })).json<RoomState>();
      expect(state.seq).toBe(s + 6);
    });

    it('a viewer that reconnects gets a snapshot with the pins as they are now', async () => {
      const [p1, p2, p3] = take(3);
      const room = await newRoom([p1!, p2!, p3!]);
      const first = await viewerOf(room);
      await http('PUT', `/api/v1/sessions/${room}/pins/${p1}`);
      await http('PUT', `/api/v1/sessions/${room}/pins/${p2}`);
      await first.viewer.next('pinned', { where: (m) => m.productId === p2 });
      await first.viewer.close();

      // Changes while away.
      await http('PUT', `/api/v1/sessions/${room}/pins/${p3}`);
      await http('DELETE', `/api/v1/sessions/${room}/pins/${p1}`);

      const again = await viewerOf(room);
      expect(again.snapshot.pins).toEqual([p2, p3]);
      expect(again.snapshot.seq).toBe(first.snapshot.seq + 4);
      expect(again.snapshot.products.find((p) => p.id === p1)!.pinnedAt).toBeNull();
      // Nothing from before the snapshot is replayed.
      await http('PUT', `/api/v1/sessions/${room}/products/${p1}/sold-out`, { soldOut: true });
      expect((await again.viewer.next('sold_out')).seq).toBe(again.snapshot.seq + 1);
      expect(again.viewer.received.filter((m) => m.type === 'pinned' || m.type === 'unpinned')).toEqual([]);
    });

    it('counters show as many viewers as there are open sockets', async () => {
      const room = await newRoom(take(1));
      const viewers = [await viewerOf(room), await viewerOf(room), await viewerOf(room)].map((v) => v.viewer);
      // Counters are pushed at most every 250 ms: wait for the one that has seen all three.
      await viewers[0]!.next('counters', { where: (m) => m.counters.viewers === 3 });
      await viewers[2]!.next('counters', { where: (m) => m.counters.viewers === 3 });

      await viewers[0]!.close();
      const after = await viewers[1]!.next('counters', { where: (m) => m.counters.viewers === 2 });
      expect(after.counters).toMatchObject({ viewers: 2, likes: 0 });
      const state = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${room}` })).json<RoomState>();
      expect(state.counters.viewers).toBe(2);
    });

    it('a like over the socket is acknowledged, counted once per clientEventId, and moves the like counter', async () => {
      const [p] = take(1);
      const room = await newRoom([p!]);
      const { viewer } = await viewerOf(room);
      viewer.send({ type: 'like', clientEventId: 'ws-like-0001' });
      expect(await viewer.next('ack')).toEqual({ type: 'ack', clientEventId: 'ws-like-0001', duplicate: false });
      await viewer.next('counters', { where: (m) => m.counters.likes === 1 });

      viewer.send({ type: 'like', clientEventId: 'ws-like-0001' });
      expect(await viewer.next('ack')).toEqual({ type: 'ack', clientEventId: 'ws-like-0001', duplicate: true });
      viewer.send({ type: 'add_to_cart', clientEventId: 'ws-cart-0001', productId: p });
      expect(await viewer.next('ack')).toEqual({ type: 'ack', clientEventId: 'ws-cart-0001', duplicate: false });
      await viewer.next('counters', { where: (m) => m.counters.addToCart === 1 });
      viewer.send({ type: 'add_to_cart', clientEventId: 'ws-cart-0002', productId: 'not-in-this-room' });
      expect(await viewer.next('error')).toMatchObject({ code: 'PRODUCT_NOT_IN_SESSION', clientEventId: 'ws-cart-0002' });

      const counters = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${room}` })).json<RoomState>().counters;
      expect(counters).toMatchObject({ likes: 1, addToCart: 1 });
    });

    it('invalid client messages get an error frame and the connection stays open', async () => {
      const room = await newRoom(take(1));
      const { viewer } = await viewerOf(room);
      const cases: [unknown, string][] = [
        ['this is not JSON', 'MALFORMED_JSON'],
        [{ type: 'superlike', clientEventId: 'abcdefgh' }, 'VALIDATION_FAILED'],
        [{ type: 'ping', extra: true }, 'VALIDATION_FAILED'],
        [{ type: 'like', clientEventId: 'short' }, 'VALIDATION_FAILED'],
        [{ type: 'like', clientEventId: 'abcdefgh', count: 1000 }, 'VALIDATION_FAILED'],
        [[1, 2, 3], 'VALIDATION_FAILED'],
      ];
      for (const [message, code] of cases) {
        viewer.send(message);
        const error = await viewer.next('error');
        expect(error.code, JSON.stringify(message)).toBe(code);
        expect(error.detail.length).toBeGreaterThan(0);
      }
      viewer.socket.send(Buffer.from([0xff, 0x00, 0x01]), { binary: true });
      expect((await viewer.next('error')).code).toBe('MALFORMED_JSON');

      viewer.send({ type: 'ping' });
      expect((await viewer.next('pong')).serverTime).toEqual(expect.any(Number));
      expect(viewer.socket.readyState).toBe(viewer.socket.OPEN);
      const counters = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${room}` })).json<RoomState>().counters;
      expect(counters.likes).toBe(0);
    });

    it('an unknown session gets an error frame and close code 4404', async () => {
      const viewer = await connectViewer(t.app, 'no-such-room');
      expect(await viewer.next('error')).toMatchObject({ code: 'SESSION_NOT_FOUND' });
      expect((await viewer.closed).code).toBe(4404);
      expect(viewer.received.map((m) => m.type)).toEqual(['error']);
    });

    it('an upgrade from a foreign Origin is refused with 403; the server’s own origin is accepted', async () => {
      const refused = connectViewer(t.app, 'demo', { origin: 'https://evil.example' });
      await expect(refused).rejects.toMatchObject({ statusCode: 403 });
      const body = JSON.parse(((await refused.catch((e: unknown) => e)) as { body: string }).body);
      expect(body.code).toBe('ORIGIN_NOT_ALLOWED');

      const address = t.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const own = await connectViewer(t.app, 'demo', { origin: `http://127.0.0.1:${port}` });
      expect((await own.next('snapshot')).state.session.id).toBe('demo');
    });
  });

  describe('with a 1 KiB message limit', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await testApp(dialect, { env: { QINGLIU_WS_MAX_PAYLOAD_BYTES: '1024' } });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => t?.close());

    it('a message over the limit closes that connection with 1009; other viewers keep receiving', async () => {
      const big = await connectViewer(t.app, 'demo');
      const other = await connectViewer(t.app, 'demo');
      const nearLimit = await connectViewer(t.app, 'demo');
      for (const v of [big, other, nearLimit]) await v.next('snapshot');

      nearLimit.send({ type: 'ping', pad: 'x'.repeat(900) });
      expect((await nearLimit.next('error')).code).toBe('VALIDATION_FAILED');
      big.send({ type: 'ping', pad: 'x'.repeat(2000) });
      expect((await big.closed).code).toBe(1009);

      const state = (await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo' })).json<RoomState>();
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/sessions/demo/events',
        payload: { type: 'add_to_cart', clientEventId: 'after-big-0001', productId: state.products[0]!.id },
      });
      expect(res.statusCode).toBe(202);
      for (const v of [other, nearLimit]) {
        expect((await v.next('counters', { where: (m) => m.counters.addToCart === 1 })).counters.viewers).toBe(2);
        v.send({ type: 'ping' });
        await v.next('pong');
      }
    });
  });

  describe('with at most 2 messages a second per connection', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await testApp(dialect, { env: { QINGLIU_WS_MESSAGES_PER_SECOND: '2' } });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => t?.close());

    it('a flood gets RATE_LIMITED error frames; a sustained flood is disconnected (4429); others are unaffected', async () => {
      const flooder = await connectViewer(t.app, 'demo');
      const calm = await connectViewer(t.app, 'demo');
      await flooder.next('snapshot');
      await calm.next('snapshot');

      for (let i = 0; i < 10; i++) flooder.send({ type: 'ping' });
      const limited = await flooder.next('error');
      expect(limited.code).toBe('RATE_LIMITED');
      // The burst allowance (twice the rate) was answered; the rest was not.
      await flooder.next('pong');
      expect(flooder.received.filter((m) => m.type === 'pong').length).toBeLessThan(10);

      for (let i = 0; i < 40; i++) if (flooder.socket.readyState === flooder.socket.OPEN) flooder.send({ type: 'ping' });
      expect((await flooder.closed).code).toBe(4429);

      calm.send({ type: 'ping' });
      await calm.next('pong');
      expect(calm.received.some((m) => m.type === 'error')).toBe(false);
    });
  });
});
