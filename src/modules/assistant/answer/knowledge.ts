/**
 * The quotable units of the catalogue, analysed once when the assistant is built: per product its
 * name, attributes, description sentences and FAQ entries, and the brand's FAQ entries.
 *
 * Retrieval has already picked the product; here the question is matched against that product's
 * units to pick what to quote, so the analysis is finer than retrieval's:
 *  - retrieval's terms (words, Han bigrams, number+unit terms) of both languages, so a zh question
 *    reaches an en-only spelling such as "PPSU";
 *  - English words reduced to a rough lemma ("washable", "washed", "washing" → wash), since FAQ
 *    questions and viewers rarely use the same form, and a few variants tried for a word the
 *    catalogue does not use;
 *  - single Han characters ("煮" in "能煮吗" and in "煮沸"; "冻" in "冻起来" and "冷冻"), weighted half;
 *  - a few concept tags shared by words that ask the same thing (清洗 / 消毒 / clean / sterilise).
 * Weights are idf over the units, so a word every product's FAQ uses ("宝宝") decides little;
 * question words ("how", "怎么") weigh a fifth.
 *
 * `coverage` says how much of a question a unit answers: the weighted share of the question's terms
 * found in it. For one product, the terms of its name (and their synonyms) are left out: every unit
 * of the product is about the product. Terms no unit uses are ignored, except where a question that
 * names no product must be covered as a whole (`unknownWeight`).
 */
import type { Bilingual, Faq } from '../../catalogue/index.js';
import { PRODUCT_SYNONYMS, STOP_WORDS, tokenize } from '../retrieval/index.js';
import { topicsOf, type Aspect } from './aspects.js';
import { sentences } from './format.js';
import type { AnswerLocale, AssistantCatalogue, AssistantProduct } from './types.js';

export interface FaqUnit {
  /** 1-based position among the product's FAQs, or the brand's. */
  n: number;
  productId: string | null;
  faq: Faq;
  questionTerms: ReadonlySet<string>;
  answerTerms: ReadonlySet<string>;
  /** The shop topics (shipping, returns …) its question is about. */
  topics: readonly Aspect[];
}

export interface AttributeUnit {
  key: string;
  value: Bilingual;
  /** Terms of the value in both languages and of the key's words ("measurementRange" → measurement, range). */
  terms: ReadonlySet<string>;
}

export interface SentenceUnit {
  text: string;
  terms: ReadonlySet<string>;
}

export interface ProductKnowledge {
  product: AssistantProduct;
  /** Terms naming the product: its name and the synonyms of the product words in it (尿不湿 for 纸尿裤). */
  nameTerms: ReadonlySet<string>;
  attributes: readonly AttributeUnit[];
  sentences: Readonly<Record<AnswerLocale, readonly SentenceUnit[]>>;
  faqs: readonly FaqUnit[];
  /** Every term of every unit of the product (and of the brand's FAQ). */
  allTerms: ReadonlySet<string>;
}

export interface Knowledge {
  products: ReadonlyMap<string, ProductKnowledge>;
  brandFaqs: readonly FaqUnit[];
  /** Every FAQ, product and brand, for questions that name no product. */
  allFaqs: readonly FaqUnit[];
  /** idf of each term over all units. */
  idf: ReadonlyMap<string, number>;
  /** idf of the words behind concept tags. */
  wordIdf: ReadonlyMap<string, number>;
}

/** Characters too common to say anything on their own (particles, pronouns, "有", "能" …). */
const STOP_CHARS = new Set([...'的了吗呢吧啊呀哦嘛么是和与及或在也都就还这那它我你您他她们个只件款请问下什能会给把被让哪呃嗯有要可以不没很吃用多少几怎啥么一']);

/** English particles and chat shorthand that match by accident ("sold out" ~ "outings"). */
const STOP_LATIN = new Set(['out', 'up', 'off', 'down', 'over', 'into', 'onto', 'just', 'also', 'still', 'yet', 'some', 'much', 'many', 'very', 'really', 'pls', 'plz', 'u', 'r', 'ur', 'thx', 'ok', 'okay', 'need', 'get', 'have', 'has', 'want']);

/** Words asking the same thing, tagged alike (a tag is a term like any other). */
const CONCEPTS: readonly { tag: string; words: RegExp }[] = [
  { tag: '#clean', words: /^(清洗|清洁|消毒|洗|擦|拆洗|水洗|机洗|手洗|wash|clean|sterilis|steriliz|disinfect|rins)$/u },
  { tag: '#choose', words: /^(选|挑|选择|怎么选|choos|pick|select)$/u },
  { tag: '#ship', words: /^(发货|配送|快递|物流|送达|ship|deliver|delivery|courier)$/u },
];

/**
 * A rough English lemma: -able/-ible, -ing, -ed, a doubled final consonant, a final e (plurals are
 * already stemmed by tokenize). Crude, but the same on both sides: "use", "used", "using", "uses"
 * all become "us"; "washable", "washed", "washing" become "wash".
 */
export function lemma(word: string): string {
  if (!/^[a-z]{3,}$/.test(word)) return word;
  const voweled = (stem: string) => stem.length >= 2 && /[aeiouy]/.test(stem);
  let w = word;
  if (/(?:able|ible)$/.test(w) && w.length - 4 >= 3) w = w.slice(0, -4);
  else if (w.endsWith('ing') && voweled(w.slice(0, -3))) w = w.slice(0, -3);
  else if (w.endsWith('ed') && voweled(w.slice(0, -2))) w = w.slice(0, -2);
  if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ss|ll)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('e') && w.length >= 3) w = w.slice(0, -1);
  return w;
}

/** A word's concept tag, if it has one. */
function conceptOf(term: string): string | undefined {
  return CONCEPTS.find((c) => c.words.test(term))?.tag;
}

/**
 * The terms of a text for matching units (see the file comment). A word with a concept tag is
 * replaced by the tag ("消毒" and "清洁" both become #clean), and its characters are not added
 * one by one; `conceptWords`, when given, receives the words behind each tag (so the tag can carry
 * the rarity of the word the viewer used).
 */
export function unitTerms(text: string, conceptWords?: Map<string, string[]>): Set<string> {
  const out = new Set<string>();
  const inConcept = new Set<string>();
  for (const t of tokenize(text)) {
    if (STOP_LATIN.has(t)) continue;
    const l = /^[a-z]+$/.test(t) ? lemma(t) : t;
    const tag = conceptOf(l);
    if (tag === undefined) {
      out.add(l);
      continue;
    }
    out.add(tag);
    conceptWords?.set(tag, [...(conceptWords.get(tag) ?? []), t]);
    for (const ch of l) inConcept.add(ch);
  }
  for (const run of text.normalize('NFKC').matchAll(/\p{Script=Han}+/gu)) {
    for (const ch of run[0]) {
      if (STOP_CHARS.has(ch) || STOP_WORDS.has(ch) || inConcept.has(ch)) continue;
      out.add(conceptOf(ch) ?? ch);
    }
  }
  return out;
}

export function buildKnowledge(catalogue: AssistantCatalogue): Knowledge {
  const df = new Map<string, number>();
  let units = 0;
  // Concept words keep their own rarity: "消毒" asks as precisely as the rare word it is.
  const wordDf = new Map<string, number>();
  const analyse = (text: string): Set<string> => {
    const words = new Map<string, string[]>();
    const terms = unitTerms(text, words);
    units++;
    for (const t of terms) df.set(t, (df.get(t) ?? 0) + 1);
    for (const w of new Set([...words.values()].flat())) wordDf.set(w, (wordDf.get(w) ?? 0) + 1);
    return terms;
  };
  const faqUnit = (faq: Faq, n: number, productId: string | null): FaqUnit => ({
    n,
    productId,
    faq,
    questionTerms: analyse(`${faq.question.zh} ${faq.question.en}`),
    answerTerms: analyse(`${faq.answer.zh} ${faq.answer.en}`),
    topics: topicsOf(`${faq.question.zh} ${faq.question.en}`),
  });

  // Each synonym group's members as their terms, single Han characters aside (too weak to name anything).
  const synonymWords = PRODUCT_SYNONYMS.map((group) => group.map((m) => [...unitTerms(m)].filter((t) => !/^\p{Script=Han}$/u.test(t))));
  const products = new Map<string, ProductKnowledge>();
  const brandFaqs = (catalogue.faqs ?? []).map((f, i) => faqUnit(f, i + 1, null));
  const brandTerms = brandFaqs.flatMap((u) => [...u.questionTerms, ...u.answerTerms]);
  for (const p of catalogue.products) {
    const attributes = Object.entries(p.attributes).map(([key, value]) => ({
      key,
      value,
      terms: analyse(`${value.zh} ${value.en} ${key.replace(/([a-z])([A-Z])/g, '$1 $2')}`),
    }));
    const split = (text: string): SentenceUnit[] => sentences(text).map((s) => ({ text: s, terms: analyse(s) }));
    const nameTerms = analyse(`${p.name.zh} ${p.name.en}`);
    // The synonym groups whose members occur in the name: "the tub" names the bathtub, "袜子" the floor socks.
    for (const words of synonymWords) {
      if (!words.some((w) => w.length > 0 && w.every((t) => nameTerms.has(t)))) continue;
      for (const w of words) for (const t of w) nameTerms.add(t);
    }
    const sentenceUnits = { 'zh-CN': split(p.description.zh), en: split(p.description.en) };
    const faqs = (p.faqs ?? []).map((f, i) => faqUnit(f, i + 1, p.id));
    const allTerms = new Set<string>([
      ...nameTerms,
      ...attributes.flatMap((a) => [...a.terms]),
      ...sentenceUnits['zh-CN'].flatMap((s) => [...s.terms]),
      ...sentenceUnits.en.flatMap((s) => [...s.terms]),
      ...faqs.flatMap((u) => [...u.questionTerms, ...u.answerTerms]),
      ...brandTerms,
    ]);
    products.set(p.id, { product: p, nameTerms, attributes, sentences: sentenceUnits, faqs, allTerms });
  }
  const idfOf = (n: number) => Math.log(1 + (units - n + 0.5) / (n + 0.5));
  const idf = new Map<string, number>();
  for (const [t, n] of df) idf.set(t, idfOf(n));
  const wordIdf = new Map<string, number>();
  for (const [t, n] of wordDf) wordIdf.set(t, idfOf(n));
  return { products, brandFaqs, allFaqs: [...[...products.values()].flatMap((k) => k.faqs), ...brandFaqs], idf, wordIdf };
}

/** A question's terms with their weights (for one product: its name's terms count little). */
export type WeightedTerms = ReadonlyMap<string, number>;

const CHAR_FACTOR = 0.5;
/** Question words: every FAQ question has one, so "how" matching "How do I choose the size?" says little. */
const INTERROGATIVES = new Set(['how', 'when', 'where', 'why', 'who', 'whether', '怎么', '怎样', '如何', '为什么', '为啥', '什么时候', '多少', '哪些', '哪里']);
const INTERROGATIVE_FACTOR = 0.2;

/**
 * An English word the catalogue does not use, in a form it does: the rough lemma misses short and
 * irregular forms ("used" → use, "sized" → size, "boxes" → box), so a few variants are tried.
 */
function knownForm(k: Knowledge, t: string): string {
  if (k.idf.has(t) || !/^[a-z]{3,}$/.test(t)) return t;
  const variants = [t.slice(0, -1), t.slice(0, -2), `${t}e`, t.replace(/ies$/, 'y'), t.replace(/(?:ed|ing)$/, 'e')].map(lemma);
  return variants.find((v) => v.length >= 3 && k.idf.has(v)) ?? t;
}

/** The question's terms and weights (terms no unit uses are dropped). Analysed once per question. */
export function weighQuestion(k: Knowledge, question: string): WeightedTerms {
  const out = new Map<string, number>();
  const words = new Map<string, string[]>();
  for (const term of unitTerms(question, words)) {
    const t = knownForm(k, term);
    const idf = k.idf.get(t);
    if (idf === undefined) continue;
    const own = Math.max(0, ...(words.get(t) ?? []).map((w) => k.wordIdf.get(w) ?? 0));
    const single = /^\p{Script=Han}$/u.test(t);
    out.set(t, Math.max(idf, own) * (single ? CHAR_FACTOR : 1) * (INTERROGATIVES.has(t) ? INTERROGATIVE_FACTOR : 1));
  }
  return out;
}

/**
 * The question's terms for one product: without the terms of its name (and their synonyms). Every
 * unit of the product is about the product, so its name says nothing about which unit answers
 * ("and the nail set?" asks nothing in particular).
 */
export function forProduct(q: WeightedTerms, nameTerms: ReadonlySet<string>): WeightedTerms {
  return new Map([...q].filter(([t]) => !nameTerms.has(t)));
}

const WORDS = new Intl.Segmenter('zh', { granularity: 'word' });

/**
 * How much of a question is in words no unit of the catalogue uses ("人工", "老板", "football"):
 * each such word (a Han word of two or more characters, or an English word) counts as much as the
 * rarest catalogue word. A question that names no product is answered from a FAQ entry only if the
 * entry covers the question including these words.
 */
export function unknownWeight(k: Knowledge, question: string): number {
  const top = Math.max(0, ...k.idf.values());
  let w = 0;
  for (const seg of WORDS.segment(question.normalize('NFKC').toLowerCase())) {
    if (!seg.isWordLike) continue;
    const word = seg.segment;
    const han = /^\p{Script=Han}{2,}$/u.test(word);
    if (!han && !/^[a-z]{3,}$/.test(word)) continue;
    if (STOP_WORDS.has(word) || STOP_LATIN.has(word) || INTERROGATIVES.has(word)) continue;
    const known = [...unitTerms(word)].some((t) => k.idf.has(knownForm(k, t)) && !/^\p{Script=Han}$/u.test(t));
    if (!known) w += top;
  }
  return w;
}

/** Share (0..1) of the question's weight found in `primary`, with terms found only in `secondary` counting `secondaryFactor`. */
export function coverage(q: WeightedTerms, primary: ReadonlySet<string>, secondary?: ReadonlySet<string>, secondaryFactor = 0.5, unknown = 0): number {
  let total = unknown;
  let found = 0;
  for (const [t, w] of q) {
    total += w;
    if (primary.has(t)) found += w;
    else if (secondary?.has(t)) found += w * secondaryFactor;
  }
  return total > 0 ? found / total : 0;
}

/**
 * The weight of the question's terms found in a unit, question words and bare numbers aside ("what
 * is 2+2" matches nothing), unless the question has nothing else: "when should I do a baby massage"
 * asks "when" of the massage oil, and "When is a good time for massage?" answers it.
 */
/** A question word or a bare number: matches that say little about what a unit is about. */
export const isWeakTerm = (t: string): boolean => INTERROGATIVES.has(t) || /^\d+(\.\d+)?$/.test(t);

/** Whether all the question has left are question words and numbers. */
export function onlyWeakTerms(q: WeightedTerms): boolean {
  return [...q.keys()].every(isWeakTerm);
}

export function matchedWeight(q: WeightedTerms, primary: ReadonlySet<string>, secondary?: ReadonlySet<string>, secondaryFactor = 0.5): number {
  const onlyWeak = onlyWeakTerms(q);
  let found = 0;
  for (const [t, w] of q) {
    if (isWeakTerm(t) && !(onlyWeak && INTERROGATIVES.has(t))) continue;
    if (primary.has(t)) found += w;
    else if (secondary?.has(t)) found += w * secondaryFactor;
  }
  return found;
}

/** The weight of the question terms found in `terms` that are not the product's name or already `said`. */
export function novelWeight(q: WeightedTerms, terms: ReadonlySet<string>, nameTerms: ReadonlySet<string>, said: ReadonlySet<string> = new Set()): number {
  let w = 0;
  for (const [t, weight] of q) if (terms.has(t) && !nameTerms.has(t) && !said.has(t)) w += weight;
  return w;
}
