export interface Bilingual {
  zh: string;
  en: string;
}

export interface Faq {
  question: Bilingual;
  answer: Bilingual;
}

export interface Brand {
  id: string;
  name: Bilingual;
  operator: Bilingual;
  contactEmail: string;
  contactPhone: string;
  merchantLicence: string;
}

/** What an import row or the seed gives for one product (money already in fen). */
export interface ProductInput {
  sku: string;
  name: Bilingual;
  description: Bilingual;
  category: string;
  priceFen: number;
  listPriceFen: number;
  stock: number;
  ageMinMonths: number;
  ageMaxMonths: number;
  attributes: Record<string, Bilingual>;
  imageUrl: string;
  faqs: Faq[];
}

export interface Product extends Omit<ProductInput, 'faqs'> {
  id: string;
  brandId: string;
  currency: 'CNY';
  updatedAt: number;
}

export interface ProductDetail extends Product {
  faqs: Faq[];
}

export interface ProductQuery {
  brandId?: string;
  category?: string;
  /** Case-insensitive match on SKU or either name. */
  search?: string;
  /** Keyset pagination: products whose SKU sorts after this one. */
  afterSku?: string;
  limit: number;
}

export interface ImportSummary {
  created: number;
  updated: number;
  /** Every product the import created or changed. */
  productIds: string[];
}

export interface RowProblem {
  /** 1-based position of the record among the data rows (the CSV header is not a row). */
  row: number;
  field: string;
  reason: string;
  /** CSV only: the line in the file where the record starts. */
  line?: number;
}
