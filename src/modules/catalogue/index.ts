/** Catalogue: brands, products and FAQs, and catalogue import from CSV or JSON. */
export { CatalogueService } from './service.js';
export { KyselyCatalogueStore, ProductRowCache, productOfRow } from './adapters/catalogue-store.kysely.js';
export { parseCatalogue, formatYuan, IMPORT_FIELDS, MAX_IMPORT_ROWS, type CatalogueFormat } from './import.js';
export { catalogueRoutes } from './routes.js';
export { loadDemoCatalogue, DEMO_BRAND_ID } from './seed.js';
export type { CatalogueStore } from './ports.js';
export type * from './types.js';
