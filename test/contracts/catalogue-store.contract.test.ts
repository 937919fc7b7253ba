/** CatalogueStore contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyCatalogueStore, type Brand, type ProductInput } from '../../src/modules/catalogue/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const brand: Brand = {
  id: 'b1',
  name: { zh: '品牌', en: 'Brand' },
  operator: { zh: '运营方', en: 'Operator' },
  contactEmail: 'c@example.test',
  contactPhone: '400-000-0000',
  merchantLicence: 'L-1',
};

function product(sku: string, over: Partial<ProductInput> = {}): ProductInput {
  return {
    sku,
    name: { zh: `商品${sku}`, en: `Product ${sku}` },
    description: { zh: '描述', en: 'Description' },
    category: 'diapers',
    priceFen: 12900,
    listPriceFen: 15900,
    stock: 10,
    ageMinMonths: 0,
    ageMaxMonths: 24,
    attributes: { material: { zh: '棉', en: 'Cotton' } },
    imageUrl: '/img/products/diapers.svg',
    faqs: [{ question: { zh: '问', en: 'Q' }, answer: { zh: '答', en: 'A' } }],
    ...over,
  };
}

for (const dialect of DIALECTS) {
  describe(`CatalogueStore on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyCatalogueStore;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyCatalogueStore(t.storage.db);
      await store.upsertBrand(brand, [{ question: { zh: '发货', en: 'Shipping' }, answer: { zh: '48小时', en: '48 h' } }], 1);
    });
    afterEach(async () => t.dispose());

    it('keeps a brand, its identity and its FAQ, and replaces the FAQ on upsert', async () => {
      expect(await store.getBrand('b1')).toEqual(brand);
      expect((await store.brandFaqs('b1')).map((f) => f.question.en)).toEqual(['Shipping']);
      await store.upsertBrand({ ...brand, merchantLicence: 'L-2' }, [], 2);
      expect((await store.getBrand('b1'))?.merchantLicence).toBe('L-2');
      expect(await store.brandFaqs('b1')).toEqual([]);
      expect(await store.getBrand('nope')).toBeUndefined();
    });

    it('imports new SKUs and updates existing ones without duplicating', async () => {
      const first = await store.importProducts('b1', [product('A'), product('B')], 10);
      expect(first).toMatchObject({ created: 2, updated: 0 });
      const second = await store.importProducts('b1', [product('B', { priceFen: 9900, faqs: [] }), product('C')], 20);
      expect(second).toMatchObject({ created: 1, updated: 1 });
      // Every touched product is named, an updated one by its existing id.
      expect(second.productIds).toHaveLength(2);
      expect(second.productIds[0]).toBe(first.productIds[1]);
      expect(await store.countProducts('b1')).toBe(3);
      const [b] = await store.listProducts({ brandId: 'b1', search: 'product b', limit: 10 });
      expect(b).toMatchObject({ sku: 'B', priceFen: 9900, updatedAt: 20, currency: 'CNY' });
      const detail = await store.getProduct(b!.id);
      expect(detail?.faqs).toEqual([]);
      expect(detail?.attributes).toEqual({ material: { zh: '棉', en: 'Cotton' } });
    });

    it('never serves a listing older than the database, whoever wrote it', async () => {
      // Two stores on one database stand for two nodes (or the server and the CLI).
      const other = new KyselyCatalogueStore(t.storage.db);
      await store.importProducts('b1', [product('A'), product('B')], 10);
      expect((await store.listProducts({ limit: 10 })).map((p) => p.priceFen)).toEqual([12900, 12900]);
      // Same millisecond, twice: versions still move on.
      await other.importProducts('b1', [product('A', { priceFen: 100, name: { zh: '新', en: 'New' } })], 10);
      await other.importProducts('b1', [product('A', { priceFen: 200, name: { zh: '新', en: 'New' } })], 10);
      const listed = await store.listProducts({ limit: 10 });
      expect(listed.map((p) => [p.sku, p.priceFen, p.name.en])).toEqual([
        ['A', 200, 'New'],
        ['B', 12900, 'Product B'],
      ]);
      // Stock is always read fresh.
      await t.storage.db.updateTable('products').set({ stock: 3 }).where('sku', '=', 'B').execute();
      expect((await store.listProducts({ limit: 10 }))[1]?.stock).toBe(3);
    });

    it('imports all or nothing', async () => {
      await store.importProducts('b1', [product('A')], 1);
      // A negative stock violates the table's check: the whole batch must roll back.
      await expect(store.importProducts('b1', [product('X'), product('Y', { stock: -1 })], 2)).rejects.toThrow();
      expect(await store.countProducts('b1')).toBe(1);
    });

    it('lists by category, search and keyset pages in SKU order', async () => {
      await store.importProducts(
        'b1',
        ['D', 'A', 'C', 'B', 'E'].map((s) => product(s, { category: s < 'C' ? 'wipes' : 'diapers' })),
        1,
      );
      const first = await store.listProducts({ brandId: 'b1', limit: 2 });
      expect(first.map((p) => p.sku)).toEqual(['A', 'B']);
      const next = await store.listProducts({ brandId: 'b1', limit: 2, afterSku: 'B' });
      expect(next.map((p) => p.sku)).toEqual(['C', 'D']);
      expect((await store.listProducts({ category: 'wipes', limit: 10 })).map((p) => p.sku)).toEqual(['A', 'B']);
      expect((await store.listProducts({ search: '商品E', limit: 10 })).map((p) => p.sku)).toEqual(['E']);
      // Wildcards in a search are literal text, never a pattern that matches everything.
      expect(await store.listProducts({ search: '%', limit: 10 })).toHaveLength(5);
      expect(await store.listProducts({ search: 'zzz', limit: 10 })).toEqual([]);
    });

    it('reads several products by id, and nothing for unknown ids', async () => {
      await store.importProducts('b1', [product('A'), product('B')], 1);
      const all = await store.listProducts({ limit: 10 });
      expect((await store.getProducts(all.map((p) => p.id))).map((p) => p.sku).sort()).toEqual(['A', 'B']);
      expect(await store.getProducts([])).toEqual([]);
      expect(await store.getProduct('missing')).toBeUndefined();
    });
  });
}
