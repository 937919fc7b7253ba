/** Question → ranked documents: analysis, expansion, BM25F, deixis and stage context. */
import { buildBm25, scoreTerms, type Bm25Index, type Bm25Options, type RetrievalDocument } from './bm25.js';
import { INTENT_TERMS, detectIntents, expandSynonyms, hasDeixis, withinOneEdit, type RankedIntent } from './synonyms.js';
import { tokenize, type Locale } from './tokenize.js';

/** Query-term weights: words of the question 1, one-edit corrections 0.8, intent phrases 0.3, synonyms 0.6, intent tags 0.5. */
export const QUERY_WEIGHTS = { term: 1, typo: 0.8, intentTerm: 0.3, synonym: 0.6, intentTag: 0.5 } as const;
/** Multipliers for context: a product on stage, the pinned one, the pinned one when the question says 这个/it. */
export const CONTEXT_BOOST = { onStage: 1.15, pinned: 1.3, pinnedDeixis: 1.6 } as const;
/**
 * When the question names products, a document containing none of the naming terms (in its text or
 * its product's name) is weighed by this: "母乳冻起来能放多久" is about the milk bags, not the wipes'
 * "开封后能放多久？", however well the rest of the wording matches.
 */
export const NAMING_MISS = 0.5;

export interface RetrievalIndex {
  readonly bm25: Bm25Index;
  /** Document number of each product's own document. */
  readonly productDoc: ReadonlyMap<string, number>;
  /** In how many products' names a term occurs. */
  readonly nameDf: ReadonlyMap<string, number>;
  readonly productCount: number;
  /** Latin terms of the index, for one-edit typo correction of unknown question words. */
  readonly latinVocabulary: readonly string[];
}

export function buildIndex(docs: readonly RetrievalDocument[], options: Bm25Options = {}): RetrievalIndex {
  const bm25 = buildBm25(docs, options);
  const productDoc = new Map<string, number>();
  const nameDf = new Map<string, number>();
  docs.forEach((d, i) => {
    if (d.kind !== 'product' || d.productId === undefined) return;
    productDoc.set(d.productId, i);
    const terms = new Set(
      Object.entries(d.fields)
        .filter(([f]) => f === 'name' || f.startsWith('name.'))
        .flatMap(([, text]) => bm25.analyse(text)),
    );
    for (const t of terms) nameDf.set(t, (nameDf.get(t) ?? 0) + 1);
  });
  const latinVocabulary = [...bm25.postings.keys()].filter((t) => /^[a-z]{4,}$/.test(t)).sort();
  return { bm25, productDoc, nameDf, productCount: productDoc.size, latinVocabulary };
}

export interface SearchOptions {
  locale?: Locale;
  pinnedProductId?: string;
  onStageProductIds?: readonly string[];
  /** How many hits; default 5. */
  k?: number;
}

export interface Hit {
  id: string;
  kind: 'product' | 'faq';
  productId?: string;
  score: number;
  /** Fields where a question term occurred, best-weighted first; a pinned product put first by deixis may have none. */
  matchedFields: string[];
  /** `pinned`: the question said 这个/it without naming a product, so the pinned product answers it. */
  via?: 'pinned';
}

export interface SearchResult {
  hits: Hit[];
  /** Distinct products of the hits, in hit order. */
  productIds: string[];
  intents: RankedIntent[];
  /** The question's own terms (before expansion). */
  terms: string[];
  /** Whether the question points at the thing on show (这个, it), or asks only an intent ("多少钱？"). */
  deixis: boolean;
  /** Whether a term of the question picks out particular products by name. */
  namesProduct: boolean;
  /** The terms that do so (the question's own, typo corrections and synonyms), sorted. */
  namingTerms: string[];
  /** Set when deixis resolved the question to the pinned product. */
  resolvedProductId?: string;
}

/** A name term "names" products when it occurs in at most this share of the product names (婴儿 does not). */
const NAMING_SHARE = 0.25;

export function searchDetailed(index: RetrievalIndex, query: string, options: SearchOptions = {}): SearchResult {
  const k = options.k ?? 5;
  const terms = tokenize(query, options.locale);
  const intents = detectIntents(terms);
  const corrections = correctTypos(index, terms);
  const synonyms = expandSynonyms([...terms, ...corrections]);

  const weighted = new Map<string, number>();
  const put = (t: string, w: number) => weighted.set(t, Math.max(weighted.get(t) ?? 0, w));
  for (const t of terms) put(t, INTENT_TERMS.has(t) ? QUERY_WEIGHTS.intentTerm : QUERY_WEIGHTS.term);
  for (const t of corrections) put(t, QUERY_WEIGHTS.typo);
  for (const t of synonyms) put(t, QUERY_WEIGHTS.synonym);
  for (const i of intents) if (i.score >= 0.5) for (const t of index.bm25.analyse(i.intent)) put(t, QUERY_WEIGHTS.intentTag);

  const maxNaming = Math.max(2, Math.floor(NAMING_SHARE * index.productCount));
  const content = [...terms.filter((t) => !INTENT_TERMS.has(t)), ...corrections, ...synonyms];
  // A single Han character or a bare number is too weak to name a product ("服" of "客服" is not
  // the "和尚服"; "2" of "what is 2+2" not the "2-Pack"). Numbers with units ("240ml") still name.
  const naming = new Set(
    content.filter((t) => {
      const df = index.nameDf.get(t) ?? 0;
      return df > 0 && df <= maxNaming && !/^\p{Script=Han}$/u.test(t) && !/^\d+(\.\d+)?$/.test(t);
    }),
  );
  const namesProduct = naming.size > 0;
  const deixis = hasDeixis(query) || (content.length === 0 && intents.length > 0);

  const scores = scoreTerms(index.bm25, weighted);
  const pinned = options.pinnedProductId;
  const pinnedDoc = pinned === undefined ? undefined : index.productDoc.get(pinned);
  const resolve = deixis && !namesProduct && pinnedDoc !== undefined;
  const onStage = new Set(options.onStageProductIds ?? []);
  const docs = index.bm25.docs;

  let ranked = [...scores.values()].map((s) => {
    const productId = docs[s.doc]?.productId;
    let score = s.score;
    if (namesProduct && ![...s.terms].some((t) => naming.has(t))) score *= NAMING_MISS;
    if (productId !== undefined) {
      if (onStage.has(productId)) score *= CONTEXT_BOOST.onStage;
      if (productId === pinned) score *= deixis ? CONTEXT_BOOST.pinnedDeixis : CONTEXT_BOOST.pinned;
    }
    return { ...s, score };
  });

  if (resolve) {
    // Only the pinned product's own documents and brand-wide FAQs can answer "这个…"; its product document leads.
    ranked = ranked.filter((s) => {
      const pid = docs[s.doc]?.productId;
      return pid === undefined || pid === pinned;
    });
    const top = ranked.reduce((m, s) => Math.max(m, s.score), 0);
    const own = ranked.find((s) => s.doc === pinnedDoc);
    const lead = { doc: pinnedDoc, score: top + 1e-6, fields: own?.fields ?? new Set<number>(), terms: own?.terms ?? new Set<string>() };
    ranked = [lead, ...ranked.filter((s) => s.doc !== pinnedDoc)];
  }

  ranked.sort((a, b) => b.score - a.score || cmp(docs[a.doc]?.id ?? '', docs[b.doc]?.id ?? ''));
  const hits: Hit[] = ranked
    .filter((s) => s.score > 0)
    .slice(0, k)
    .map((s) => {
      const d = docs[s.doc] as RetrievalDocument;
      const fields = [...s.fields].sort(
        (x, y) => (index.bm25.fieldWeights[y] ?? 1) - (index.bm25.fieldWeights[x] ?? 1) || cmp(index.bm25.fieldNames[x] ?? '', index.bm25.fieldNames[y] ?? ''),
      );
      return {
        id: d.id,
        kind: d.kind,
        ...(d.productId !== undefined ? { productId: d.productId } : {}),
        score: s.score,
        matchedFields: fields.map((f) => index.bm25.fieldNames[f] ?? ''),
        ...(resolve && s.doc === pinnedDoc ? { via: 'pinned' as const } : {}),
      };
    });

  const productIds = [...new Set(hits.flatMap((h) => (h.productId !== undefined ? [h.productId] : [])))];
  return { hits, productIds, intents, terms, deixis, namesProduct, namingTerms: [...naming].sort(), ...(resolve && pinned !== undefined ? { resolvedProductId: pinned } : {}) };
}

/** The ranked hits of a question (see `searchDetailed` for intents, deixis and the terms used). */
export function search(index: RetrievalIndex, query: string, options: SearchOptions = {}): Hit[] {
  return searchDetailed(index, query, options).hits;
}

/** English words of ≥ 5 letters the index does not know → the index's words within one edit ("strolller" → stroller). */
function correctTypos(index: RetrievalIndex, terms: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of terms) {
    if (!/^[a-z]{5,}$/.test(t) || index.bm25.postings.has(t) || INTENT_TERMS.has(t)) continue;
    for (const v of index.latinVocabulary) if (Math.abs(v.length - t.length) <= 1 && withinOneEdit(v, t)) out.add(v);
  }
  return [...out].sort();
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
