import type { Brand, Faq, ImportSummary, Product, ProductDetail, ProductInput, ProductQuery } from './types.js';

/** What the catalogue needs from storage. */
export interface CatalogueStore {
  upsertBrand(brand: Brand, brandFaqs: Faq[], now: number): Promise<void>;
  getBrand(brandId: string): Promise<Brand | undefined>;
  brandFaqs(brandId: string): Promise<Faq[]>;
  /** All-or-nothing: creates new SKUs and updates existing ones (replacing their FAQs). */
  importProducts(brandId: string, products: ProductInput[], now: number): Promise<ImportSummary>;
  listProducts(query: ProductQuery): Promise<Product[]>;
  getProduct(productId: string): Promise<ProductDetail | undefined>;
  getProducts(productIds: readonly string[]): Promise<Product[]>;
  countProducts(brandId: string): Promise<number>;
}
