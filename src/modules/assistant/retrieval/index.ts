/**
 * The assistant's retrieval core: which catalogue products and FAQ entries a viewer's question is
 * about, and what it asks of them. Pure and local: no I/O, no clock, no model download. On the demo
 * catalogue (56 products, 164 documents) a question takes ~0.2 ms (p50); building the index takes
 * ~80–150 ms, almost all of it ICU word segmentation (`Intl.Segmenter`, ~50 µs a sentence), so build
 * it once per catalogue version.
 *
 * Design
 *  - Documents (documents.ts): one per product (name, SKU, category words, brand, description and
 *    attributes, each language its own field: `name.zh`, `name.en` …), one per product FAQ entry
 *    (question, answer, the product's name at low weight) and one per brand FAQ entry. FAQ documents
 *    carry the intents of their question (`intent: shipping`) so "包邮吗" reaches "多久发货？".
 *  - Analysis (tokenize.ts): NFKC + lower case, `Intl.Segmenter('zh')` words, Han character bigrams
 *    (robust to segmentation misses and typos), lightly stemmed English words, canonical number+unit
 *    terms shared by both languages ("6个月" = "6 months"), a small stop-word list. The same analysis
 *    for documents and questions, so zh and en questions both reach the bilingual fields.
 *  - Ranking (bm25.ts): BM25F, k1 = 1.2, b = 0.75, per-field length normalisation and weights: name 3
 *    > SKU 2.5 > category/brand 2 > description/FAQ question 1.2 > attributes 1 > answer 0.6.
 *  - Questions (synonyms.ts, search.ts): colloquial phrases → intents (price, stock, age, material,
 *    size, usage, shipping, returns), typo-tolerant (English one edit, Chinese IME homophones). Intent
 *    phrases weigh 0.3 in the query so "多少钱" does not decide *which* product; product synonyms
 *    (尿不湿 → 纸尿裤, nappy → diaper) are added at 0.6, the intent tags at 0.5.
 *  - Context: a question that points at the thing on show (这个/这款/它/this/it, or only an intent such
 *    as "多少钱？") and names no product resolves to the pinned product: its document leads, and only
 *    its own FAQs and the brand's FAQs follow. A question that names products ranks normally, with the
 *    pinned product ×1.3 (×1.6 under deixis) and products on stage ×1.15. "Names a product" means a
 *    term of the question occurs in at most a quarter of the product names (婴儿/baby does not; nor
 *    does a single Han character or a bare number: "服" of 客服, "2" of 2+2); a document with none
 *    of those naming terms is then weighed ×0.5 (NAMING_MISS), so a product's FAQ that merely shares
 *    the wording of the question ("能放多久") does not beat the named one. Multi-word English
 *    synonyms match only as adjacent words ("infant carrier", not "baby … carrier").
 *  - Determinism: equal scores are ordered by document id.
 *
 * Not here: answering (which field values to quote, in which language: ../answer), HTTP, chat state.
 */
export { tokenize, normalise, stem, STOP_WORDS, type Locale } from './tokenize.js';
export {
  INTENTS,
  INTENT_FIELDS,
  INTENT_TERMS,
  PRODUCT_SYNONYMS,
  detectIntents,
  expandSynonyms,
  hasDeixis,
  withinOneEdit,
  type Intent,
  type RankedIntent,
} from './synonyms.js';
export { DEFAULT_FIELD_WEIGHTS, buildBm25, scoreTerms, idf, fieldWeight, type Bm25Index, type Bm25Options, type DocScore, type RetrievalDocument } from './bm25.js';
export { documentsFromCatalogue, productDocId, type CatalogueProduct } from './documents.js';
export {
  CONTEXT_BOOST,
  NAMING_MISS,
  QUERY_WEIGHTS,
  buildIndex,
  search,
  searchDetailed,
  type Hit,
  type RetrievalIndex,
  type SearchOptions,
  type SearchResult,
} from './search.js';
