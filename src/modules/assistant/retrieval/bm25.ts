/**
 * BM25F over fielded documents (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25
 * and Beyond", §3.6, simple BM25F):
 *
 *   B_f(d)   = 1 − b + b · len_f(d) / avglen_f
 *   tf̃(t,d)  = Σ_f w_f · tf_f(t,d) / B_f(d)
 *   idf(t)   = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))        (Lucene's non-negative form)
 *   score(d) = Σ_t q_t · idf(t) · tf̃(t,d) / (k1 + tf̃(t,d))
 *
 * with k1 = 1.2, b = 0.75, N the number of documents, df the documents with t in any field, len_f
 * the number of terms in field f, avglen_f its mean over the documents that have the field, and q_t
 * the weight of the query term (1, or less for expansions). A field's weight w_f is looked up by
 * its name before the first dot (`name.zh` → `name`).
 */
import { tokenize } from './tokenize.js';

export interface RetrievalDocument {
  id: string;
  kind: 'product' | 'faq';
  /** The product a document belongs to: the product itself, or a product's FAQ. Absent for brand FAQs. */
  productId?: string;
  fields: Record<string, string>;
}

/** Name highest, then category/brand, then description and FAQ question, then the answer. */
export const DEFAULT_FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  name: 3,
  sku: 2.5,
  category: 2,
  brand: 2,
  description: 1.2,
  question: 1.2,
  intent: 1.2,
  attributes: 1,
  product: 0.6,
  answer: 0.6,
};

export interface Bm25Options {
  k1?: number;
  b?: number;
  fieldWeights?: Readonly<Record<string, number>>;
  /** Defaults to `tokenize`. */
  analyse?: (text: string) => string[];
}

interface Posting {
  doc: number;
  /** Pairs of field number and term frequency in that field. */
  fields: [number, number][];
}

export interface Bm25Index {
  readonly docs: readonly RetrievalDocument[];
  readonly k1: number;
  readonly b: number;
  readonly fieldNames: readonly string[];
  readonly fieldWeights: readonly number[];
  /** avglen per field number. */
  readonly avgLen: readonly number[];
  /** lengths[doc][field]. */
  readonly lengths: readonly (readonly number[])[];
  readonly postings: ReadonlyMap<string, readonly Posting[]>;
  readonly analyse: (text: string) => string[];
  /** Document numbers by productId. */
  readonly byProduct: ReadonlyMap<string, readonly number[]>;
}

export function fieldWeight(weights: Readonly<Record<string, number>>, field: string): number {
  const base = field.split('.', 1)[0] ?? field;
  return weights[field] ?? weights[base] ?? 1;
}

export function buildBm25(docs: readonly RetrievalDocument[], options: Bm25Options = {}): Bm25Index {
  const k1 = options.k1 ?? 1.2;
  const b = options.b ?? 0.75;
  const weights = options.fieldWeights ?? DEFAULT_FIELD_WEIGHTS;
  const analyse = options.analyse ?? ((text: string) => tokenize(text));

  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.id)) throw new Error(`duplicate document id ${d.id}`);
    seen.add(d.id);
  }

  const fieldNames = [...new Set(docs.flatMap((d) => Object.keys(d.fields)))].sort();
  const fieldNo = new Map(fieldNames.map((f, i) => [f, i]));
  const totals = new Array<number>(fieldNames.length).fill(0);
  const counts = new Array<number>(fieldNames.length).fill(0);
  const lengths: number[][] = [];
  const postings = new Map<string, Posting[]>();
  const byProduct = new Map<string, number[]>();

  docs.forEach((d, doc) => {
    const lens = new Array<number>(fieldNames.length).fill(0);
    const tfs = new Map<string, Map<number, number>>();
    for (const [field, text] of Object.entries(d.fields)) {
      const f = fieldNo.get(field) ?? 0;
      const terms = analyse(text);
      lens[f] = terms.length;
      totals[f] = (totals[f] ?? 0) + terms.length;
      counts[f] = (counts[f] ?? 0) + 1;
      for (const t of terms) {
        let byField = tfs.get(t);
        if (!byField) tfs.set(t, (byField = new Map()));
        byField.set(f, (byField.get(f) ?? 0) + 1);
      }
    }
    lengths.push(lens);
    for (const [t, byField] of tfs) {
      let list = postings.get(t);
      if (!list) postings.set(t, (list = []));
      list.push({ doc, fields: [...byField].sort((x, y) => x[0] - y[0]) });
    }
    if (d.productId !== undefined) {
      const list = byProduct.get(d.productId) ?? [];
      list.push(doc);
      byProduct.set(d.productId, list);
    }
  });

  return {
    docs,
    k1,
    b,
    fieldNames,
    fieldWeights: fieldNames.map((f) => fieldWeight(weights, f)),
    avgLen: totals.map((t, i) => (counts[i] ? t / (counts[i] ?? 1) : 0)),
    lengths,
    postings,
    analyse,
    byProduct,
  };
}

export function idf(index: Bm25Index, term: string): number {
  const df = index.postings.get(term)?.length ?? 0;
  const n = index.docs.length;
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

export interface DocScore {
  doc: number;
  score: number;
  /** Field numbers where some query term occurred. */
  fields: Set<number>;
  /** The query terms that occurred in the document. */
  terms: Set<string>;
}

/** BM25F scores of every document containing at least one of the weighted query terms. */
export function scoreTerms(index: Bm25Index, query: ReadonlyMap<string, number>): Map<number, DocScore> {
  const out = new Map<number, DocScore>();
  const { k1, b } = index;
  for (const [term, qWeight] of query) {
    const list = index.postings.get(term);
    if (!list || qWeight <= 0) continue;
    const w = qWeight * idf(index, term);
    for (const p of list) {
      let tf = 0;
      const lens = index.lengths[p.doc] ?? [];
      for (const [f, n] of p.fields) {
        const avg = index.avgLen[f] ?? 0;
        const norm = avg > 0 ? 1 - b + (b * (lens[f] ?? 0)) / avg : 1;
        tf += ((index.fieldWeights[f] ?? 1) * n) / norm;
      }
      let s = out.get(p.doc);
      if (!s) out.set(p.doc, (s = { doc: p.doc, score: 0, fields: new Set(), terms: new Set() }));
      s.score += (w * tf) / (k1 + tf);
      for (const [f] of p.fields) s.fields.add(f);
      s.terms.add(term);
    }
  }
  return out;
}
