import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fastJson from 'fast-json-stringify';
import { AppError, unwrap } from '../../errors/index.js';
import type { RequestContext } from '../../context/index.js';
import type { Result } from '../../errors/index.js';
import type { CatalogueFormat } from './import.js';
import type { CatalogueService } from './service.js';
import type { ImportSummary } from './types.js';

export interface CatalogueRouteOptions {
  importBodyLimitBytes: number;
  /** Imports and then lets whoever shows these products know (a workflow across modules). */
  importCatalogue(ctx: RequestContext, brandId: string, content: string, format: CatalogueFormat): Promise<Result<ImportSummary>>;
}

const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });
const Faq = Type.Object({ question: Bilingual, answer: Bilingual });
export const ProductSchema = Type.Object({
  id: Type.String(),
  brandId: Type.String(),
  sku: Type.String(),
  name: Bilingual,
  description: Bilingual,
  category: Type.String(),
  currency: Type.Literal('CNY'),
  priceFen: Type.Integer({ description: 'Price in fen (1/100 CNY)' }),
  listPriceFen: Type.Integer(),
  stock: Type.Integer(),
  ageMinMonths: Type.Integer(),
  ageMaxMonths: Type.Integer(),
  attributes: Type.Record(Type.String(), Bilingual),
  imageUrl: Type.String(),
  updatedAt: Type.Integer(),
});
const ProductList = Type.Object({ items: Type.Array(ProductSchema), nextAfter: Type.Union([Type.String(), Type.Null()]) });
const ProductDetail = Type.Composite([ProductSchema, Type.Object({ faqs: Type.Array(Faq) })]);
const Problem = { $ref: 'Problem#' };

export function catalogueRoutes(service: CatalogueService, options: CatalogueRouteOptions) {
  const listingBodies = new BoundedMap<string, string>(256);
  const serializeListing = fastJson(ProductList);
  return async function routes(app: FastifyInstance): Promise<void> {
    // Catalogue files arrive as CSV text; JSON uses Fastify's own parser.
    app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: options.importBodyLimitBytes }, (_req, body, done) =>
      done(null, body),
    );

    app.get(
      '/api/v1/products',
      {
        config: { access: 'public' },
        schema: {
          tags: ['catalogue'],
          summary: 'List products (keyset pagination by SKU)',
          querystring: Type.Object(
            {
              brandId: Type.Optional(Type.String({ maxLength: 64 })),
              category: Type.Optional(Type.String({ maxLength: 40 })),
              q: Type.Optional(Type.String({ maxLength: 100 })),
              after: Type.Optional(Type.String({ maxLength: 64 })),
              limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
              lang: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
          response: { 200: ProductList },
        },
      },
      async (request, reply) => {
        const q = request.query as { brandId?: string; category?: string; q?: string; after?: string; limit: number };
        const items = await service.listProducts(request.ctx, {
          limit: q.limit,
          ...(q.brandId ? { brandId: q.brandId } : {}),
          ...(q.category ? { category: q.category } : {}),
          ...(q.q ? { search: q.q } : {}),
          ...(q.after ? { afterSku: q.after } : {}),
        });
        // A page's body depends only on its products' ids, versions and stock: serialise each such
        // page once. The key comes from this read, so a change anywhere gives a new key.
        const key = `${q.limit}|${items.map((p) => `${p.id}@${p.updatedAt}:${p.stock}`).join(',')}`;
        let body = listingBodies.get(key);
        if (body === undefined) {
          const fresh = serializeListing({ items, nextAfter: items.length === q.limit ? (items[items.length - 1]?.sku ?? null) : null });
          listingBodies.set(key, fresh);
          body = fresh;
        }
        return reply.type('application/json; charset=utf-8').send(body);
      },
    );

    app.get(
      '/api/v1/products/:productId',
      {
        config: { access: 'public' },
        schema: {
          tags: ['catalogue'],
          summary: 'One product with its FAQ',
          params: Type.Object({ productId: Type.String({ maxLength: 64 }) }),
          response: { 200: ProductDetail, 404: Problem },
        },
      },
      async (request) => {
        const { productId } = request.params as { productId: string };
        const product = await service.getProduct(request.ctx, productId);
        if (!product) throw new AppError('PRODUCT_NOT_FOUND');
        return product;
      },
    );

    app.get(
      '/api/v1/brands/:brandId',
      {
        config: { access: 'public' },
        schema: {
          tags: ['catalogue'],
          summary: 'A brand: operator identity, contact and brand-wide FAQ (shipping, returns …)',
          params: Type.Object({ brandId: Type.String({ maxLength: 64 }) }),
        },
      },
      async (request) => {
        const { brandId } = request.params as { brandId: string };
        const brand = await service.getBrand(brandId);
        if (!brand) throw new AppError('NOT_FOUND', 'no such brand');
        return { brand, faqs: await service.brandFaqs(brandId) };
      },
    );

    app.post(
      '/api/v1/brands/:brandId/products/import',
      {
        config: { access: ['admin'] },
        bodyLimit: options.importBodyLimitBytes,
        schema: {
          tags: ['catalogue'],
          summary: 'Import products from CSV (text/csv) or JSON (an array, or {"products": [...]}). All rows or none.',
          params: Type.Object({ brandId: Type.String({ maxLength: 64 }) }),
          response: { 200: Type.Object({ created: Type.Integer(), updated: Type.Integer() }), 422: Problem },
        },
      },
      async (request) => {
        const { brandId } = request.params as { brandId: string };
        const type = String(request.headers['content-type'] ?? '').split(';')[0]?.trim();
        const isCsv = type === 'text/csv' || type === 'application/csv';
        const content = isCsv ? (request.body as string) : JSON.stringify(request.body);
        const { created, updated } = unwrap(await options.importCatalogue(request.ctx, brandId, content, isCsv ? 'csv' : 'json'));
        return { created, updated };
      },
    );
  };
}

/** A Map that forgets its oldest entry past a size. */
class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  get(key: K): V | undefined {
    return this.#map.get(key);
  }
  set(key: K, value: V): void {
    if (this.#map.size >= this.capacity) this.#map.delete(this.#map.keys().next().value as K);
    this.#map.set(key, value);
  }
}
