/** LiveStore contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyCatalogueStore, type ProductInput } from '../../src/modules/catalogue/index.js';
import { KyselyLiveStore, type FlashSaleRecord } from '../../src/modules/live-room/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const product = (sku: string, stock: number): ProductInput => ({
  sku,
  name: { zh: sku, en: sku },
  description: { zh: '', en: '' },
  category: 'toys',
  priceFen: 1000,
  listPriceFen: 1000,
  stock,
  ageMinMonths: 0,
  ageMaxMonths: 12,
  attributes: {},
  imageUrl: '/img/products/toys.svg',
  faqs: [],
});

const sale = (id: string, productId: string, endsAt: number): FlashSaleRecord => ({
  id,
  sessionId: 's1',
  productId,
  priceFen: 800,
  previousPriceFen: 1000,
  quantity: 5,
  sold: 0,
  startsAt: 0,
  endsAt,
  endedAt: null,
  endReason: null,
  createdAt: 0,
});

for (const dialect of DIALECTS) {
  describe(`LiveStore on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyLiveStore;
    let ids: string[];
    beforeEach(async () => {
      t = await freshStorage(dialect);
      const catalogue = new KyselyCatalogueStore(t.storage.db);
      await catalogue.upsertBrand(
        { id: 'b', name: { zh: 'b', en: 'b' }, operator: { zh: 'o', en: 'o' }, contactEmail: 'e', contactPhone: 'p', merchantLicence: 'l' },
        [],
        0,
      );
      await catalogue.importProducts('b', [product('P1', 5), product('P2', 0), product('P3', 9)], 0);
      ids = (await catalogue.listProducts({ limit: 10 })).map((p) => p.id);
      store = new KyselyLiveStore(t.storage.db, t.storage.capabilities);
      expect(
        await store.createSession(
          { id: 's1', brandId: 'b', title: { zh: '直播', en: 'Live' }, hostUserId: null, hlsUrl: null, posterUrl: null, scheduledAt: null, productIds: ids },
          1,
        ),
      ).toBe(true);
    });
    afterEach(async () => t.dispose());

    it('creates a session once, with its lineup in order and zero counters', async () => {
      expect(
        await store.createSession(
          { id: 's1', brandId: 'b', title: { zh: 'x', en: 'x' }, hostUserId: null, hlsUrl: null, posterUrl: null, scheduledAt: null, productIds: [] },
          2,
        ),
      ).toBe(false);
      const room = await store.readRoom('s1');
      expect(room?.session).toMatchObject({ id: 's1', status: 'scheduled', version: 0, hostName: null });
      expect(room?.products.map((p) => [p.product.sku, p.position])).toEqual([
        ['P1', 1],
        ['P2', 2],
        ['P3', 3],
      ]);
      expect(room?.counters).toEqual({ likes: 0, addToCart: 0, orders: 0, unitsSold: 0 });
      expect(await store.readRoom('nope')).toBeUndefined();
      expect(await store.inRoom('nope', async () => 1)).toBeUndefined();
    });

    it('shows catalogue changes made by any writer in the next read of the room', async () => {
      expect((await store.readRoom('s1'))?.products[0]?.product.priceFen).toBe(1000);
      const writer = new KyselyCatalogueStore(t.storage.db);
      await writer.importProducts('b', [{ ...product('P1', 5), priceFen: 900, name: { zh: '新名', en: 'New name' } }], 0);
      await t.storage.db.updateTable('products').set({ stock: 2 }).where('sku', '=', 'P1').execute();
      const p1 = (await store.readRoom('s1'))?.products[0]?.product;
      expect(p1).toMatchObject({ sku: 'P1', priceFen: 900, stock: 2, name: { zh: '新名', en: 'New name' } });
    });

    it('updates the session fields it is given', async () => {
      expect(await store.updateSession('s1', { hlsUrl: 'https://cdn.example/live.m3u8', title: { zh: '新', en: 'New' } })).toBe(true);
      expect(await store.getSession('s1')).toMatchObject({ hlsUrl: 'https://cdn.example/live.m3u8', title: { zh: '新', en: 'New' } });
      expect(await store.updateSession('nope', { hlsUrl: null })).toBe(false);
      expect((await store.listSessions()).map((s) => s.id)).toEqual(['s1']);
    });

    it('changes the showcase inside a room transaction and raises the seq each time', async () => {
      const seqs = await store.inRoom('s1', async (room) => {
        await room.setStatus('live', { startedAt: 10 });
        await room.setPinnedAt(ids[0]!, 11);
        await room.setMarkedSoldOut(ids[2]!, true);
        return [await room.nextSeq(), await room.nextSeq()];
      });
      expect(seqs).toEqual([1, 2]);
      const room = await store.readRoom('s1');
      expect(room?.session).toMatchObject({ status: 'live', startedAt: 10, version: 2 });
      expect(room?.products.map((p) => [p.pinnedAt, p.markedSoldOut])).toEqual([
        [11, false],
        [null, false],
        [null, true],
      ]);
    });

    it('rolls back everything when the work throws', async () => {
      await expect(
        store.inRoom('s1', async (room) => {
          await room.setPinnedAt(ids[0]!, 5);
          await room.nextSeq();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const room = await store.readRoom('s1');
      expect(room?.session.version).toBe(0);
      expect(room?.products[0]?.pinnedAt).toBeNull();
    });

    it('never takes more stock than there is', async () => {
      const [a, b, c] = await store.inRoom('s1', async (room) => [
        await room.takeStock(ids[0]!, 3),
        await room.takeStock(ids[0]!, 3),
        await room.takeStock(ids[1]!, 1),
      ]) ?? [];
      expect([a, b, c]).toEqual([2, undefined, undefined]);
      expect((await store.readRoom('s1'))?.products[0]?.product.stock).toBe(2);
    });

    it('serialises concurrent changes to one room', async () => {
      // Read-modify-write of the stock under the room lock: no lost update, no oversell.
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.inRoom('s1', async (room) => {
            const before = (await room.product(ids[2]!))!.product.stock;
            if (before < 2) return 'refused';
            await room.takeStock(ids[2]!, 2);
            await room.nextSeq();
            return 'sold';
          }),
        ),
      );
      expect(results.filter((r) => r === 'sold')).toHaveLength(4);
      const room = await store.readRoom('s1');
      expect(room?.products[2]?.product.stock).toBe(1);
      expect(room?.session.version).toBe(4);
    });

    it('keeps flash sales, orders and counters', async () => {
      await store.inRoom('s1', async (room) => {
        await room.insertFlashSale(sale('f1', ids[0]!, 100));
        await room.insertFlashSale(sale('f2', ids[2]!, 300));
        await room.updateFlashSale('f1', { sold: 2 });
        await room.insertOrder({
          id: 'o1',
          sessionId: 's1',
          productId: ids[0]!,
          clientOrderId: 'client-1',
          quantity: 2,
          unitPriceFen: 800,
          flashSaleId: 'f1',
          replayOffsetMs: 5,
          createdAt: 50,
        });
        await room.addToCounters({ orders: 1, unitsSold: 2 });
        expect((await room.orderByClientId('client-1'))?.unitPriceFen).toBe(800);
        expect(await room.orderByClientId('client-2')).toBeUndefined();
        expect((await room.flashSale('f1'))?.sold).toBe(2);
      });
      expect(await store.dueFlashSales(200)).toEqual([{ sessionId: 's1', flashSaleId: 'f1' }]);
      await store.inRoom('s1', (room) => room.updateFlashSale('f1', { endedAt: 200, endReason: 'expired' }));
      expect(await store.dueFlashSales(400)).toEqual([{ sessionId: 's1', flashSaleId: 'f2' }]);
      const room = await store.readRoom('s1');
      expect(room?.openFlashSales.map((f) => f.id)).toEqual(['f2']);
      expect(room?.counters).toEqual({ likes: 0, addToCart: 0, orders: 1, unitsSold: 2 });
      // An order is read by its id, in its own session only.
      expect(await store.order('s1', 'o1')).toEqual({ id: 'o1', sessionId: 's1', productId: ids[0]!, clientOrderId: 'client-1', quantity: 2, unitPriceFen: 800, flashSaleId: 'f1', replayOffsetMs: 5, createdAt: 50 });
      expect(await store.order('s2', 'o1')).toBeUndefined();
      expect(await store.order('s1', 'o9')).toBeUndefined();
      // The same client order id cannot be stored twice in a session.
      await expect(
        store.inRoom('s1', (room) =>
          room.insertOrder({
            id: 'o2',
            sessionId: 's1',
            productId: ids[0]!,
            clientOrderId: 'client-1',
            quantity: 1,
            unitPriceFen: 1000,
            flashSaleId: null,
            replayOffsetMs: null,
            createdAt: 60,
          }),
        ),
      ).rejects.toThrow();
    });

    it('counts each room event once per client event id', async () => {
      const e = (id: string, type: 'like' | 'add_to_cart' = 'like') => store.recordEvent('s1', { type, clientEventId: id, productId: null }, 5);
      expect((await e('event-0001')).duplicate).toBe(false);
      expect((await e('event-0001')).duplicate).toBe(true);
      const last = await e('event-0002', 'add_to_cart');
      expect(last).toEqual({ duplicate: false, counters: { likes: 1, addToCart: 1, orders: 0, unitsSold: 0 } });
      expect(await store.counters('s1')).toEqual(last.counters);
      const concurrent = await Promise.all(Array.from({ length: 10 }, () => e('event-0003')));
      expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
      expect((await store.counters('s1'))?.likes).toBe(2);
    });

    it('stores a batch of room events in one go, each once, and counts only the new ones', async () => {
      const ev = (id: string, type: 'like' | 'add_to_cart' = 'like') => ({ type, clientEventId: id, productId: null });
      expect((await store.recordEvent('s1', ev('batch-0001'), 5)).duplicate).toBe(false);
      // An id stored before, one repeated within the batch, and 300 new ones (more than one statement's worth).
      const fresh = Array.from({ length: 300 }, (_, i) => ev(`batch-new-${String(i).padStart(4, '0')}`, i % 3 === 0 ? 'add_to_cart' : 'like'));
      const batch = [ev('batch-0001'), ev('batch-0002'), ev('batch-0002'), ...fresh];
      const r = await store.recordEvents('s1', batch, 6);
      expect(r.duplicates.slice(0, 3)).toEqual([true, false, true]);
      expect(r.duplicates.slice(3).every((d) => !d)).toBe(true);
      expect(r.counters).toEqual({ likes: 1 + 1 + 200, addToCart: 100, orders: 0, unitsSold: 0 });
      expect(await store.counters('s1')).toEqual(r.counters);
      // Sent again as a whole: all duplicates, nothing counted.
      const again = await store.recordEvents('s1', batch, 7);
      expect(again.duplicates.every((d) => d)).toBe(true);
      expect(again.counters).toEqual(r.counters);
    });
  });
}
