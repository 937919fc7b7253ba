/** The answerer's public shapes: what it is given (catalogue, context) and what it returns. */
import type { Brand, Faq, Product } from '../../catalogue/index.js';

export type AnswerLocale = 'zh-CN' | 'en';

export interface AnswerContext {
  locale: AnswerLocale;
  /** The product the host pinned most recently. */
  pinnedProductId?: string;
  onStageProductIds?: readonly string[];
  /** The product the viewer's previous question was about (conversation memory), used when the question points at "it" and nothing is pinned. */
  previousProductId?: string;
  /**
   * The room's flash sales running now, by product id (the caller leaves out any whose time is up).
   * A product on sale is quoted at the sale's price with the real price before it, its limit and its
   * window (LC5), and with what is left at that price.
   */
  flashSales?: ReadonlyMap<string, FlashSaleFacts>;
}

/** A running flash sale as the live room shows it. */
export interface FlashSaleFacts {
  priceFen: number;
  /** The product's real price right before the sale (LC5). */
  previousPriceFen: number;
  /** How many the sale offers at its price. */
  quantity: number;
  /** Left at the sale's price when the room was read: min(quantity − sold, stock). */
  remaining: number;
  startsAt: number;
  endsAt: number;
}

export interface AnswerSource {
  /** null: the brand's FAQ. */
  productId: string | null;
  /**
   * What was quoted: `price`, `listPrice`, `stock`, `ageMinMonths`, `ageMaxMonths`, `description`,
   * `attributes.<key>`, `faq:<n>` (the n-th FAQ, 1-based, of the product or, with productId null, of the brand).
   */
  fields: string[];
}

export type AnswerOutcome = 'answered' | 'handoff' | 'declined';

export type AnswerReason =
  | 'asked_for_person'
  | 'low_confidence'
  | 'out_of_scope'
  | 'unsafe'
  | 'sensitive'
  | 'personal_price'
  | 'not_in_catalogue';

export interface GroundedAnswer {
  outcome: AnswerOutcome;
  /** In the viewer's language; an answered text quotes only catalogue and FAQ data. */
  answer: string;
  sources: AnswerSource[];
  /** Products the answer names (for scoring and the page). */
  productIds: string[];
  /** What the question asked (price, stock, material …, or the safety class that stopped it). */
  intents: string[];
  /** 0..1. */
  confidence: number;
  reason?: AnswerReason;
}

export interface Assistant {
  answer(question: string, context: AnswerContext): GroundedAnswer;
}

/**
 * What the answerer needs of a product: the catalogue's `ProductDetail` (a `Product` and its FAQs)
 * fits. It is a superset of retrieval's `CatalogueProduct`, plus the fields answers quote.
 */
export type AssistantProduct = Pick<
  Product,
  'id' | 'sku' | 'name' | 'description' | 'category' | 'priceFen' | 'listPriceFen' | 'stock' | 'ageMinMonths' | 'ageMaxMonths' | 'attributes'
> & { faqs?: readonly Faq[] };

/** One brand's catalogue as the answerer indexes it: its products (with their FAQs) and the brand's FAQ. */
export interface AssistantCatalogue {
  brand?: Pick<Brand, 'name'>;
  products: readonly AssistantProduct[];
  /** The brand's own FAQ (shipping, returns, invoices …). */
  faqs?: readonly Faq[];
}
