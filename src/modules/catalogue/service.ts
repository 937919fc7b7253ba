import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, RequestContext } from '../../context/index.js';
import { parseCatalogue, type CatalogueFormat } from './import.js';
import type { CatalogueStore } from './ports.js';
import type { Brand, Faq, ImportSummary, Product, ProductDetail, ProductQuery } from './types.js';

export class CatalogueService {
  constructor(
    private readonly store: CatalogueStore,
    private readonly clock: Clock,
  ) {}

  /** Validates the whole file first; imports nothing unless every row is valid. */
  async importCatalogue(_ctx: RequestContext, brandId: string, content: string, format: CatalogueFormat): Promise<Result<ImportSummary>> {
    if (!(await this.store.getBrand(brandId))) return fail('NOT_FOUND', 'no such brand');
    const parsed = parseCatalogue(content, format);
    if (!parsed.ok) {
      return fail('IMPORT_INVALID', `${parsed.problems.length} problem${parsed.problems.length === 1 ? '' : 's'} found; nothing was imported`, { errors: parsed.problems });
    }
    return ok(await this.store.importProducts(brandId, parsed.products, this.clock.now()));
  }

  listProducts(_ctx: RequestContext, query: ProductQuery): Promise<Product[]> {
    return this.store.listProducts(query);
  }

  getProduct(_ctx: RequestContext, productId: string): Promise<ProductDetail | undefined> {
    return this.store.getProduct(productId);
  }

  getBrand(brandId: string): Promise<Brand | undefined> {
    return this.store.getBrand(brandId);
  }

  brandFaqs(brandId: string): Promise<Faq[]> {
    return this.store.brandFaqs(brandId);
  }

  saveBrand(_ctx: RequestContext, brand: Brand, faqs: Faq[]): Promise<void> {
    return this.store.upsertBrand(brand, faqs, this.clock.now());
  }

  countProducts(brandId: string): Promise<number> {
    return this.store.countProducts(brandId);
  }
}
