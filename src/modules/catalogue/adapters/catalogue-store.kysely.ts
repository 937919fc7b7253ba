/** CatalogueStore on Kysely: the same code serves SQLite and PostgreSQL. */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { FaqTable, ProductTable } from '../../../storage/schema.js';
import type { CatalogueStore } from '../ports.js';
import type { Brand, Faq, ImportSummary, Product, ProductDetail, ProductInput, ProductQuery } from '../types.js';

export class KyselyCatalogueStore implements CatalogueStore {
  private readonly rows = new ProductRowCache(10_000);

  constructor(private readonly db: Kysely<Database>) {}

  async upsertBrand(brand: Brand, brandFaqs: Faq[], now: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = {
        name_zh: brand.name.zh,
        name_en: brand.name.en,
        operator_zh: brand.operator.zh,
        operator_en: brand.operator.en,
        contact_email: brand.contactEmail,
        contact_phone: brand.contactPhone,
        merchant_licence: brand.merchantLicence,
      };
      await tx
        .insertInto('brands')
        .values({ id: brand.id, ...row, created_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      await tx.deleteFrom('faqs').where('brand_id', '=', brand.id).where('product_id', 'is', null).execute();
      if (brandFaqs.length) {
        await tx.insertInto('faqs').values(brandFaqs.map((f, i) => faqRow(brand.id, null, i, f))).execute();
      }
    });
  }

  async getBrand(brandId: string): Promise<Brand | undefined> {
    const r = await this.db.selectFrom('brands').selectAll().where('id', '=', brandId).executeTakeFirst();
    if (!r) return undefined;
    return {
      id: r.id,
      name: { zh: r.name_zh, en: r.name_en },
      operator: { zh: r.operator_zh, en: r.operator_en },
      contactEmail: r.contact_email,
      contactPhone: r.contact_phone,
      merchantLicence: r.merchant_licence,
    };
  }

  async brandFaqs(brandId: string): Promise<Faq[]> {
    const rows = await this.db
      .selectFrom('faqs')
      .selectAll()
      .where('brand_id', '=', brandId)
      .where('product_id', 'is', null)
      .orderBy('position')
      .execute();
    return rows.map(faqOfRow);
  }

  async importProducts(brandId: string, products: ProductInput[], now: number): Promise<ImportSummary> {
    return this.db.transaction().execute(async (tx) => {
      const existing = new Map<string, string>();
      // Look up existing SKUs in chunks so the parameter count stays within every dialect's limit.
      for (let i = 0; i < products.length; i += 500) {
        const skus = products.slice(i, i + 500).map((p) => p.sku);
        const rows = await tx.selectFrom('products').select(['id', 'sku']).where('brand_id', '=', brandId).where('sku', 'in', skus).execute();
        for (const r of rows) existing.set(r.sku, r.id);
      }
      let created = 0;
      let updated = 0;
      const productIds: string[] = [];
      for (const p of products) {
        const values = {
          name_zh: p.name.zh,
          name_en: p.name.en,
          description_zh: p.description.zh,
          description_en: p.description.en,
          category: p.category,
          price_fen: p.priceFen,
          list_price_fen: p.listPriceFen,
          stock: p.stock,
          age_min_months: p.ageMinMonths,
          age_max_months: p.ageMaxMonths,
          attributes: JSON.stringify(p.attributes),
          image_url: p.imageUrl,
        };
        let id = existing.get(p.sku);
        if (id) {
          // updated_at is the row's version for the row cache: strictly increasing, even within one ms.
          await tx
            .updateTable('products')
            .set({ ...values, updated_at: sql<number>`case when updated_at >= ${now} then updated_at + 1 else ${now} end` })
            .where('id', '=', id)
            .execute();
          await tx.deleteFrom('faqs').where('product_id', '=', id).execute();
          updated++;
        } else {
          id = randomUUID();
          await tx.insertInto('products').values({ id, brand_id: brandId, sku: p.sku, created_at: now, updated_at: now, ...values }).execute();
          created++;
        }
        productIds.push(id);
        if (p.faqs.length) {
          const productId = id;
          await tx.insertInto('faqs').values(p.faqs.map((f, i) => faqRow(brandId, productId, i, f))).execute();
        }
      }
      return { created, updated, productIds };
    });
  }

  async listProducts(query: ProductQuery): Promise<Product[]> {
    // Read only what changes often (stock) and each row's version; the rest comes from the row
    // cache when the version matches, else from one more query for the rows that changed.
    let q = this.db.selectFrom('products').select(['id', 'stock', 'updated_at']);
    if (query.brandId) q = q.where('brand_id', '=', query.brandId);
    if (query.category) q = q.where('category', '=', query.category);
    if (query.search) {
      // Wildcards are dropped rather than escaped (SQLite's LIKE has no default escape character);
      // both sides are lower-cased because LIKE is case-insensitive on SQLite but not on PostgreSQL.
      const like = `%${query.search.toLowerCase().replace(/[\\%_]/g, '')}%`;
      q = q.where((eb) =>
        eb.or([
          eb(eb.fn('lower', ['sku']), 'like', eb.val(like)),
          eb(eb.fn('lower', ['name_en']), 'like', eb.val(like)),
          eb(eb.fn('lower', ['name_zh']), 'like', eb.val(like)),
        ]),
      );
    }
    if (query.afterSku) q = q.where('sku', '>', query.afterSku);
    const heads = await q.orderBy('sku').limit(query.limit).execute();
    const missing = heads.filter((h) => !this.rows.get(h.id, Number(h.updated_at)));
    if (missing.length) {
      const rows = await this.db.selectFrom('products').selectAll().where('id', 'in', missing.map((m) => m.id)).execute();
      for (const r of rows) this.rows.put(productOfRow(r));
    }
    return heads.map((h) => {
      const cached = this.rows.get(h.id, Number(h.updated_at));
      // A row changed between the two reads: its newer version is what the second read cached.
      const product = cached ?? this.rows.latest(h.id);
      if (!product) throw new Error('product vanished while listing');
      return { ...product, stock: Number(h.stock) };
    });
  }

  async getProduct(productId: string): Promise<ProductDetail | undefined> {
    const row = await this.db.selectFrom('products').selectAll().where('id', '=', productId).executeTakeFirst();
    if (!row) return undefined;
    const faqs = await this.db.selectFrom('faqs').selectAll().where('product_id', '=', productId).orderBy('position').execute();
    return { ...productOfRow(row), faqs: faqs.map(faqOfRow) };
  }

  async getProducts(productIds: readonly string[]): Promise<Product[]> {
    if (productIds.length === 0) return [];
    const rows = await this.db.selectFrom('products').selectAll().where('id', 'in', [...productIds]).execute();
    return rows.map(productOfRow);
  }

  async countProducts(brandId: string): Promise<number> {
    const r = await this.db
      .selectFrom('products')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('brand_id', '=', brandId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

function faqRow(brandId: string, productId: string | null, position: number, f: Faq): FaqTable {
  return {
    id: randomUUID(),
    brand_id: brandId,
    product_id: productId,
    position,
    question_zh: f.question.zh,
    answer_zh: f.answer.zh,
    question_en: f.question.en,
    answer_en: f.answer.en,
  };
}

function faqOfRow(r: Selectable<FaqTable>): Faq {
  return { question: { zh: r.question_zh, en: r.question_en }, answer: { zh: r.answer_zh, en: r.answer_en } };
}

export function productOfRow(r: Selectable<ProductTable>): Product {
  return {
    id: r.id,
    brandId: r.brand_id,
    sku: r.sku,
    name: { zh: r.name_zh, en: r.name_en },
    description: { zh: r.description_zh, en: r.description_en },
    category: r.category,
    currency: 'CNY',
    priceFen: Number(r.price_fen),
    listPriceFen: Number(r.list_price_fen),
    stock: Number(r.stock),
    ageMinMonths: r.age_min_months,
    ageMaxMonths: r.age_max_months,
    attributes: JSON.parse(r.attributes) as Product['attributes'],
    imageUrl: r.image_url,
    updatedAt: Number(r.updated_at),
  };
}

/**
 * Products by id at a version (their updated_at). Entries are only used when the database says the
 * row still has that version, so a write by any process or node is never hidden. Bounded (LRU).
 */
export class ProductRowCache {
  readonly #entries = new Map<string, Product>();
  constructor(private readonly capacity: number) {}

  get(id: string, version: number): Product | undefined {
    const p = this.#entries.get(id);
    return p && p.updatedAt === version ? p : undefined;
  }

  latest(id: string): Product | undefined {
    return this.#entries.get(id);
  }

  put(product: Product): void {
    this.#entries.delete(product.id);
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(product.id, Object.freeze(product));
  }
}
