/**
 * The grounded answerer: a viewer's question → an answer quoting only catalogue and FAQ data, or a
 * polite handoff or refusal. Pure and deterministic: the index is built once per catalogue version,
 * and answering reads nothing else (no clock, no I/O, no randomness).
 *
 * Steps
 *  1. Safety (safety.ts), before retrieval, so a pinned product never pulls the assistant into
 *     answering a medical question or a request for a discount.
 *  2. Retrieval (../retrieval) with the pinned product (or, when nothing is pinned, the product of
 *     the previous question) as the thing "这个 / it" means.
 *  3. Which product(s) the question is about:
 *     - the pinned product, when the question points at it (这个, it) or only asks a field ("多少钱?");
 *     - the products it names; when several are named alike ("安全座椅", "the L diapers": the same
 *       naming words in each name) and score close, up to three are answered side by side, unless
 *       the pinned one is among them;
 *     - the pinned product, when the question asks a product field without naming anything;
 *     - otherwise no product: the best-matching FAQ entry (brand or product) if it covers enough of
 *       the question, else a handoff (low confidence).
 *  4. What to quote of each product (aspects.ts, knowledge.ts): the fields the question asks for
 *     (price and list price, stock, ages, attribute keys for material, weight, size …); attributes
 *     whose values contain a distinctive word of the question ("centella", "filters"); the best FAQ
 *     entry of the product or the brand when it covers the question; the best description sentence.
 *     A question that asks nothing specific gets the product's overview (description, attributes);
 *     one that asks for a field the product lacks is handed off (not in the catalogue).
 *  5. The text, in the viewer's language, naming each product in that language. The only amounts
 *     ever written are the named products' price and list price or, for a product on flash sale
 *     (context.flashSales), the sale's price and the real price before it, with the sale's limit and
 *     window (LC5). Stock, which changes with every order, is said to be as of now.
 */
import { buildIndex, documentsFromCatalogue, searchDetailed, type RetrievalIndex, type SearchResult } from '../retrieval/index.js';
import { ATTRIBUTE_KEYS, PRODUCT_ASPECTS, TOPIC_ASPECTS, childAgeMonths, detectAspects, triggerText, type Aspect } from './aspects.js';
import { attributeLabel, closeSentence, formatAgeRange, formatChinaTime, formatMoney, inLocale } from './format.js';
import {
  buildKnowledge,
  coverage,
  forProduct,
  isWeakTerm,
  matchedWeight,
  novelWeight,
  onlyWeakTerms,
  unknownWeight,
  unitTerms,
  weighQuestion,
  type AttributeUnit,
  type FaqUnit,
  type Knowledge,
  type ProductKnowledge,
  type WeightedTerms,
} from './knowledge.js';
import { replyText, screenQuestion, type ReplyKey } from './safety.js';
import type { AnswerContext, AnswerLocale, AnswerReason, AnswerSource, Assistant, AssistantCatalogue, AssistantProduct, FlashSaleFacts, GroundedAnswer } from './types.js';

/** Tunable thresholds, in one place. */
export const ANSWER_THRESHOLDS = {
  /** Products named alike are answered together when they score at least this share of the best. */
  ambiguity: 0.75,
  /** At most this many products in one answer. */
  maxProducts: 3,
  /** A FAQ entry answers a question that names no product when it covers this much of it (unknown words included)… */
  faqAlone: 0.45,
  /** …and its matching words weigh this much. */
  minMatchedAlone: 3,
  /** A FAQ entry is added to a product's answer when it covers this much of the question… */
  faq: 0.25,
  /** …and its matching words, question words aside, weigh at least this much (idf units). */
  minMatched: 1,
  /** Beside field clauses: coverage and matching weight needed, of the whole question or of an open rest. */
  besideFields: 0.4,
  minMatchedBeside: 2.5,
  /** The rest of a question (after what the fields answer) is a question of its own when it weighs this much. */
  openRest: 5,
  /** A FAQ entry on the topic the question asks (shipping, returns …) gains this much. */
  topicBonus: 0.35,
  /** A description sentence is quoted when it covers this much of what is left (at most `maxSentences`). */
  sentence: 0.3,
  maxSentences: 2,
  /** An attribute is quoted for its value when question words in it (not the product's name) weigh this much (idf units). */
  attributeWords: 3,
} as const;

/**
 * Builds the index once for a catalogue version. Prices and stock are read from the product objects
 * when a question is answered, so a caller may update those fields in place (live stock, a flash
 * sale's price) without rebuilding; names, descriptions, attributes and FAQs need a new assistant.
 */
export function createAssistant(catalogue: AssistantCatalogue): Assistant {
  const docs = documentsFromCatalogue(catalogue.products, catalogue.faqs ?? [], catalogue.brand ? { brand: catalogue.brand.name } : {});
  const index = buildIndex(docs);
  const knowledge = buildKnowledge(catalogue);
  // Retrieval's own terms of each name, to compare with the naming terms retrieval reports.
  const names = new Map(catalogue.products.map((p) => [p.id, new Set(index.bm25.analyse(`${p.name.zh} ${p.name.en}`))]));
  return { answer: (question, context) => answerQuestion(index, knowledge, names, question, context) };
}

interface Subjects {
  productIds: string[];
  confidence: number;
}

function answerQuestion(
  index: RetrievalIndex,
  k: Knowledge,
  names: ReadonlyMap<string, ReadonlySet<string>>,
  question: string,
  context: AnswerContext,
): GroundedAnswer {
  const locale = context.locale;
  const screening = screenQuestion(question);
  if (screening) return refusal(screening.outcome, screening.reason, screening.class, locale, [screening.class], 0.95);
  if (question.trim() === '') return refusal('handoff', 'low_confidence', 'low_confidence', locale, [], 0);

  const known = (id: string | undefined) => (id !== undefined && k.products.has(id) ? id : undefined);
  const pinned = known(context.pinnedProductId);
  // "It" means the pinned product; with nothing pinned, the product of the previous question.
  const focus = pinned ?? known(context.previousProductId);
  const result = searchDetailed(index, question, {
    locale,
    k: 12,
    ...(focus !== undefined ? { pinnedProductId: focus } : {}),
    ...(context.onStageProductIds ? { onStageProductIds: context.onStageProductIds } : {}),
  });
  const aspects = detectAspects(question, result.intents);
  const intents: string[] = [...aspects];
  const subjects = chooseSubjects(names, result, aspects, focus);

  const q = weighQuestion(k, question);
  if (!subjects) {
    // No product: a FAQ entry answers only if it covers the question, words the catalogue never
    // uses included ("我想跟人工聊聊" is not about invoices because "个人" shares a character).
    const unknown = unknownWeight(k, question);
    // A question on a shop topic ("能寄香港吗": shipping) is answered by that topic's entry, however
    // few of its words the entry shares: the topic was asked in so many words.
    const fit = (u: FaqUnit) =>
      u.topics.some((t) => aspects.includes(t))
        ? ANSWER_THRESHOLDS.faqAlone - ANSWER_THRESHOLDS.topicBonus + coverage(q, u.questionTerms, u.answerTerms)
        : matchedWeight(q, u.questionTerms, u.answerTerms) >= ANSWER_THRESHOLDS.minMatchedAlone
          ? coverage(q, u.questionTerms, u.answerTerms, 0.5, unknown)
          : 0;
    const best = bestFaq(k.allFaqs, aspects, fit);
    if (best && best.score >= ANSWER_THRESHOLDS.faqAlone) {
      const product = best.unit.productId === null ? undefined : k.products.get(best.unit.productId);
      const text = product ? productHeading(product, locale) + faqText(best.unit, locale) : faqText(best.unit, locale);
      return {
        outcome: 'answered',
        answer: text,
        sources: [{ productId: best.unit.productId, fields: [`faq:${best.unit.n}`] }],
        productIds: product ? [product.product.id] : [],
        intents,
        confidence: round(Math.min(1, best.score)),
      };
    }
    const asksProduct = result.deixis || aspects.some((a) => PRODUCT_ASPECTS.has(a));
    return refusal('handoff', 'low_confidence', asksProduct ? 'no_product' : 'low_confidence', locale, intents, round(best?.score ?? 0));
  }

  const child = childAgeMonths(question);
  const asked: AskedQuestion = { q, aspects, triggers: new Map(aspects.map((a) => [a, unitTerms(triggerText(question, [a]))])), child, flashSales: context.flashSales ?? new Map() };
  let blocks: ProductBlock[] = [];
  // A shop-topic question ("opened wipes can be returned?") is answered once, for the first product.
  const onlyTopic = aspects.length > 0 && aspects.every((a) => TOPIC_ASPECTS.has(a));
  for (const id of onlyTopic ? subjects.productIds.slice(0, 1) : subjects.productIds) {
    const pk = k.products.get(id);
    if (!pk) continue;
    const block = productBlock(k, pk, asked, locale);
    if (block) blocks.push(block);
  }
  // Of several products, those with something specific to say; a bare overview only if none has.
  if (blocks.length > 1 && blocks.some((b) => !b.overview)) blocks = blocks.filter((b) => !b.overview);
  if (blocks.length === 0) return refusal('handoff', 'not_in_catalogue', 'not_in_catalogue', locale, intents, round(subjects.confidence * 0.5));

  const sources = mergeSources(blocks.flatMap((b) => b.sources));
  const answer =
    blocks.length === 1
      ? (blocks[0]?.text ?? '')
      : `${locale === 'en' ? `${blocks.length} products match:` : `有 ${blocks.length} 款相关商品：`}\n${blocks.map((b) => b.text).join('\n')}`;
  return { outcome: 'answered', answer, sources, productIds: blocks.map((b) => b.productId), intents, confidence: round(subjects.confidence) };
}

/** Which products the question is about (see the file comment), or undefined when it names none. */
function chooseSubjects(
  names: ReadonlyMap<string, ReadonlySet<string>>,
  r: SearchResult,
  aspects: readonly Aspect[],
  focus: string | undefined,
): Subjects | undefined {
  if (r.resolvedProductId !== undefined) return { productIds: [r.resolvedProductId], confidence: 0.9 };

  const scores = new Map<string, number>();
  for (const h of r.hits) if (h.productId !== undefined && !scores.has(h.productId)) scores.set(h.productId, h.score);

  if (r.namesProduct && r.productIds.length > 0) {
    const naming = new Set(r.namingTerms);
    // Which naming words a product's name holds; a single Han character ("高" of "多高" in "高背")
    // is too weak to tell products apart.
    const signature = (id: string): string =>
      [...(names.get(id) ?? [])]
        .filter((t) => naming.has(t) && !/^\p{Script=Han}$/u.test(t))
        .sort()
        .join(' ');
    // The viewer's own words outrank our synonyms: among products scoring close to the best, one whose
    // name holds more of the question's literal naming words comes first ("the pram" → the Pram,
    // though the synonyms stroller/推车 score the shorter-named Travel Stroller a little higher).
    const literal = new Set(r.terms.filter((t) => naming.has(t)));
    const literalIn = (id: string) => [...(names.get(id) ?? [])].filter((t) => literal.has(t)).length;
    const best = scores.get(r.productIds[0] ?? '') ?? 0;
    const ordered = [...r.productIds].sort(
      (a, b) =>
        Number((scores.get(b) ?? 0) >= ANSWER_THRESHOLDS.ambiguity * best) - Number((scores.get(a) ?? 0) >= ANSWER_THRESHOLDS.ambiguity * best) ||
        literalIn(b) - literalIn(a) ||
        (scores.get(b) ?? 0) - (scores.get(a) ?? 0),
    );
    const [first, second] = ordered;
    if (first === undefined) return undefined;
    const top = scores.get(first) ?? 0;
    const sig = signature(first);
    const alike =
      sig === ''
        ? [first]
        : ordered.filter((id) => signature(id) === sig && (scores.get(id) ?? 0) >= ANSWER_THRESHOLDS.ambiguity * best);
    if (focus !== undefined && alike.includes(focus)) return { productIds: [focus], confidence: 0.85 };
    if (alike.length > 1) return { productIds: alike.slice(0, ANSWER_THRESHOLDS.maxProducts), confidence: 0.6 };
    const runnerUp = second === undefined ? 0 : (scores.get(second) ?? 0);
    return { productIds: [first], confidence: 0.6 + 0.35 * (top > 0 ? 1 - runnerUp / top : 0) };
  }

  // "重量呢 / how many watts": a product field asked without naming anything is about the product on show.
  const asksField = aspects.some((a) => PRODUCT_ASPECTS.has(a) || a === 'overview');
  const asksTopic = aspects.some((a) => TOPIC_ASPECTS.has(a));
  if (focus !== undefined && asksField && !asksTopic) return { productIds: [focus], confidence: 0.75 };
  return undefined;
}

interface ProductBlock {
  productId: string;
  text: string;
  sources: AnswerSource[];
  /** The product at a glance, nothing the question asked in particular. */
  overview: boolean;
}

function productHeading(pk: ProductKnowledge, locale: AnswerLocale): string {
  const name = inLocale(pk.product.name, locale);
  return locale === 'en' ? `${name}: ` : `【${name}】`;
}

function faqText(unit: FaqUnit, locale: AnswerLocale): string {
  const q = inLocale(unit.faq.question, locale);
  const a = inLocale(unit.faq.answer, locale);
  return locale === 'en' ? `${closeSentence(q, locale)} ${closeSentence(a, locale)}` : `${closeSentence(q, locale)}${closeSentence(a, locale)}`;
}

/**
 * The best FAQ entry for a question by `fit` (coverage of the entry's question, its answer counting
 * half), plus the topic bonus. A question on a shop topic (shipping, returns …) is answered by an
 * entry on that topic when there is one ("这个今天拍啥时候发" by "多久发货？", not by
 * "客服的服务时间是什么时候？").
 */
function bestFaq(all: readonly FaqUnit[], aspects: readonly Aspect[], fit: (unit: FaqUnit) => number): { unit: FaqUnit; score: number } | undefined {
  const onTopic = all.filter((u) => u.topics.some((t) => aspects.includes(t)));
  const units = onTopic.length > 0 ? onTopic : all;
  let best: { unit: FaqUnit; score: number } | undefined;
  for (const unit of units) {
    let score = fit(unit);
    if (unit.topics.some((t) => aspects.includes(t))) score += ANSWER_THRESHOLDS.topicBonus;
    // Ties go to the earlier unit: a product's own FAQ comes before the brand's.
    if (!best || score > best.score + 1e-9) best = { unit, score };
  }
  return best;
}

/** A question analysed once, for every product it is answered for. */
interface AskedQuestion {
  /** Its weighted terms (knowledge.ts). */
  q: WeightedTerms;
  aspects: readonly Aspect[];
  /** The terms of the words that asked for each aspect ("多少钱", "how heavy"). */
  triggers: ReadonlyMap<Aspect, ReadonlySet<string>>;
  /** The viewer's child's age in months, when stated. */
  child: number | undefined;
  /** The room's running flash sales, by product id. */
  flashSales: ReadonlyMap<string, FlashSaleFacts>;
}

/** The price as the room states it: a running flash sale's (see flashSaleClause), else the price and any list price. */
function priceClause(p: AssistantProduct, locale: AnswerLocale, sale: FlashSaleFacts | undefined): string {
  if (sale) return flashSaleClause(sale, locale);
  const list = p.listPriceFen > p.priceFen;
  return locale === 'en'
    ? `price ${formatMoney(p.priceFen)}${list ? ` (crossed-out price ${formatMoney(p.listPriceFen)})` : ''}`
    : `现价 ${formatMoney(p.priceFen)}${list ? `，划线价 ${formatMoney(p.listPriceFen)}` : ''}`;
}

const priceFields = (p: AssistantProduct, sale: FlashSaleFacts | undefined): string[] =>
  sale ? ['flashSale'] : ['price', ...(p.listPriceFen > p.priceFen ? ['listPrice'] : [])];

/**
 * A running flash sale as the room shows it (LC5): its price, the real price right before it (not a
 * list price), how many it offers and its window, in China time (the answer stays in the chat).
 */
function flashSaleClause(sale: FlashSaleFacts, locale: AnswerLocale): string {
  const window = `${formatChinaTime(sale.startsAt)}–${formatChinaTime(sale.endsAt)}`;
  return locale === 'en'
    ? `flash price ${formatMoney(sale.priceFen)} (price before the sale ${formatMoney(sale.previousPriceFen)}), limited to ${sale.quantity}, sale window ${window} China time`
    : `秒杀价 ${formatMoney(sale.priceFen)}（秒杀前价格 ${formatMoney(sale.previousPriceFen)}），限量 ${sale.quantity} 件，活动时间 ${window}（北京时间）`;
}

function ageClause(p: AssistantProduct, locale: AnswerLocale, childMonths?: number): string {
  const range = formatAgeRange(p.ageMinMonths, p.ageMaxMonths, locale);
  let clause = locale === 'en' ? `suitable for ${range}` : `适用月龄 ${range}`;
  if (childMonths !== undefined) {
    const within = childMonths >= p.ageMinMonths && childMonths <= p.ageMaxMonths;
    const months = Number.isInteger(childMonths) ? childMonths : Math.round(childMonths * 10) / 10;
    clause +=
      locale === 'en'
        ? ` — at ${months} ${months === 1 ? 'month' : 'months'} your child is ${within ? 'within' : 'outside'} this range`
        : `，您家宝宝 ${months} 个月，${within ? '在适用范围内' : '不在适用范围内'}`;
  }
  return clause;
}

/** Stock changes with every order: it is said to be as of now, with what is left at a running sale's price. */
function stockClause(p: AssistantProduct, locale: AnswerLocale, sale: FlashSaleFacts | undefined): string {
  if (p.stock <= 0) return locale === 'en' ? 'sold out right now' : '目前已售罄';
  return locale === 'en'
    ? `${p.stock} in stock as of now${sale ? `, ${sale.remaining} of them still at the flash price` : ''}`
    : `截至此刻库存 ${p.stock} 件${sale ? `，其中秒杀价还剩 ${sale.remaining} 件` : ''}`;
}

function attributeClause(a: AttributeUnit, locale: AnswerLocale): string {
  return `${attributeLabel(a.key, locale)}${locale === 'en' ? ': ' : '：'}${inLocale(a.value, locale)}`;
}

/** The field clauses a question asks of a product: price, stock, ages, and the attributes of its aspects. */
function fieldClauses(pk: ProductKnowledge, asked: AskedQuestion, locale: AnswerLocale) {
  const p = pk.product;
  const sale = asked.flashSales.get(p.id);
  const clauses: string[] = [];
  const fields: string[] = [];
  /** Attribute keys chosen for an aspect. */
  const keys = new Set<string>();
  /** Aspects a clause answers. */
  const answered: Aspect[] = [];
  for (const aspect of asked.aspects) {
    if (aspect === 'price') {
      clauses.push(priceClause(p, locale, sale));
      fields.push(...priceFields(p, sale));
      answered.push(aspect);
    } else if (aspect === 'stock') {
      clauses.push(stockClause(p, locale, sale));
      fields.push('stock', ...(sale && p.stock > 0 ? ['flashSale'] : []));
      answered.push(aspect);
    } else if (aspect === 'age') {
      clauses.push(ageClause(p, locale, asked.child));
      fields.push('ageMinMonths', 'ageMaxMonths');
      answered.push(aspect);
    }
    const wanted = ATTRIBUTE_KEYS[aspect];
    if (!wanted) continue;
    let present = wanted.keys.filter((key) => key in p.attributes);
    if (present.length === 0 && aspect !== 'age') present = (wanted.fallback ?? []).filter((key) => key in p.attributes);
    for (const key of present) keys.add(key);
    if (present.length > 0) answered.push(aspect);
  }
  return { clauses, fields, keys, answered };
}

/** What to quote of one product (see the file comment, step 4), or undefined to hand off: it lacks what was asked. */
function productBlock(k: Knowledge, pk: ProductKnowledge, asked: AskedQuestion, locale: AnswerLocale): ProductBlock | undefined {
  const T = ANSWER_THRESHOLDS;
  const { aspects } = asked;
  const q = forProduct(asked.q, pk.nameTerms);
  const { clauses, fields, keys, answered } = fieldClauses(pk, asked, locale);
  const brandFields: string[] = [];
  const extra: string[] = [];

  // Attributes whose value holds a distinctive word of the question: "centella", "filters", "paint".
  const byWord = pk.attributes.filter((a) => !keys.has(a.key) && novelWeight(q, a.terms, pk.nameTerms) >= T.attributeWords).map((a) => a.key);
  for (const a of pk.attributes) {
    if (!keys.has(a.key) && !byWord.includes(a.key)) continue;
    clauses.push(attributeClause(a, locale));
    fields.push(`attributes.${a.key}`);
  }

  const topical = aspects.some((a) => TOPIC_ASPECTS.has(a));
  if (aspects.includes('overview') && !topical) return overviewBlock(pk, locale, asked.flashSales.get(pk.product.id));

  // Beside field clauses, a FAQ entry or description sentence is quoted only if it matches the
  // question well, or if it answers a substantial part the fields left open: what the clauses say
  // is subtracted and the rest matched on its own ("小熊什么材质 眼睛会掉吗" → the material, then
  // the sentence about the eyes). A word that asked for an attribute counts as said only if the
  // quoted attribute says it ("材质" is in "材质：…"; "多厚" is not in "展开 81 × 48 × 23 厘米", and
  // the description's "折叠后厚度仅约 9 厘米" answers it); price, stock and age clauses answer their
  // words outright. Attributes quoted for a shared word are not subtracted: a sentence may say it
  // better ("how thin is the core" → "a core about 2 mm thin").
  const besideFields = clauses.length > 0 && !topical;
  const inClauses = new Set<string>();
  for (const a of pk.attributes) {
    if (!keys.has(a.key)) continue;
    for (const t of a.terms) inClauses.add(t);
    for (const t of unitTerms(`${attributeLabel(a.key, 'zh-CN')} ${attributeLabel(a.key, 'en')}`)) inClauses.add(t);
  }
  const said = new Set<string>(inClauses);
  for (const a of answered) {
    const structured = a === 'price' || a === 'stock' || a === 'age';
    for (const t of asked.triggers.get(a) ?? []) if (structured || inClauses.has(t)) said.add(t);
  }
  const rest = without(q, said);
  const restOpen = weightOf(rest) >= T.openRest;
  const fits = (primary: ReadonlySet<string>, secondary?: ReadonlySet<string>): number => {
    if (!besideFields) return matchedWeight(q, primary, secondary) >= (onlyWeakTerms(q) ? Number.MIN_VALUE : T.minMatched) ? coverage(q, primary, secondary) : 0;
    const whole = matchedWeight(q, primary, secondary) >= T.minMatchedBeside ? coverage(q, primary, secondary) : 0;
    const part = restOpen && matchedWeight(rest, primary, secondary) >= T.minMatchedBeside ? coverage(rest, primary, secondary) : 0;
    return Math.max(whole, part);
  };
  const bar = (base: number) => (besideFields ? T.besideFields : base);

  // The FAQ entry that answers it: the product's own, or the brand's when the question is about a
  // shop topic (shipping, returns …) — a brand FAQ is never quoted for a product question by the
  // accident of a shared word.
  const faq = topical
    ? bestFaq([...pk.faqs, ...k.brandFaqs], aspects, (u) => coverage(q, u.questionTerms, u.answerTerms))
    : bestFaq(pk.faqs, aspects, (u) => fits(u.questionTerms, u.answerTerms));
  if (faq && faq.score >= bar(T.faq)) {
    extra.push(faqText(faq.unit, locale));
    (faq.unit.productId === null ? brandFields : fields).push(`faq:${faq.unit.n}`);
    for (const t of [...faq.unit.questionTerms, ...faq.unit.answerTerms]) said.add(t);
  }

  // Description sentences that answer what is left ("学饮杯歪着能喝到水吗" → the weighted straw).
  const candidates = pk.sentences[locale]
    .map((s) => ({ text: s.text, terms: s.terms, score: fits(s.terms) }))
    .filter((s) => s.score >= bar(T.sentence))
    .sort((a, b) => b.score - a.score);
  let quoted = 0;
  for (const s of candidates) {
    if (quoted >= T.maxSentences || novelWeight(q, s.terms, new Set(), said) <= 0) continue;
    extra.push(s.text);
    for (const t of s.terms) said.add(t);
    quoted++;
  }
  if (quoted > 0) fields.push('description');

  if (clauses.length === 0 && extra.length === 0) {
    // Asked for a field this product does not have, or about something none of its data mentions
    // ("伞车能带上飞机吗" when only the other stroller has that FAQ): say so rather than describe
    // something else. A question that asks nothing in particular ("and the nail set?") gets the overview.
    if (aspects.some((a) => PRODUCT_ASPECTS.has(a))) return undefined;
    let unmentioned = 0;
    for (const [t, w] of q) if (!pk.allTerms.has(t) && !isWeakTerm(t)) unmentioned += w;
    if (unmentioned >= T.openRest) return undefined;
    return overviewBlock(pk, locale, asked.flashSales.get(pk.product.id));
  }
  return assemble(pk, locale, clauses, extra, fields, brandFields);
}

/** The product at a glance, for "介绍一下 / tell me about it / and the nail set?": price, ages, attributes, description. */
function overviewBlock(pk: ProductKnowledge, locale: AnswerLocale, sale: FlashSaleFacts | undefined): ProductBlock {
  const p = pk.product;
  const clauses = [priceClause(p, locale, sale), ageClause(p, locale), ...pk.attributes.map((a) => attributeClause(a, locale))];
  const fields = [...priceFields(p, sale), 'ageMinMonths', 'ageMaxMonths', ...pk.attributes.map((a) => `attributes.${a.key}`), 'description'];
  return { ...assemble(pk, locale, clauses, [inLocale(p.description, locale)], fields, []), overview: true };
}

function assemble(pk: ProductKnowledge, locale: AnswerLocale, clauses: readonly string[], extra: readonly string[], fields: string[], brandFields: string[]): ProductBlock {
  const en = locale === 'en';
  const body = [clauses.length > 0 ? closeSentence(clauses.join(en ? '; ' : '；'), locale) : '', ...extra.map((e) => closeSentence(e, locale))]
    .filter((s) => s !== '')
    .join(en ? ' ' : '');
  const sources: AnswerSource[] = [{ productId: pk.product.id, fields }];
  if (brandFields.length > 0) sources.push({ productId: null, fields: brandFields });
  return { productId: pk.product.id, text: productHeading(pk, locale) + body, sources, overview: false };
}

function weightOf(q: WeightedTerms): number {
  let w = 0;
  for (const x of q.values()) w += x;
  return w;
}

/** The question's weighted terms without those in `said`. */
function without(q: WeightedTerms, said: ReadonlySet<string>): WeightedTerms {
  return new Map([...q].filter(([t]) => !said.has(t)));
}

function mergeSources(sources: readonly AnswerSource[]): AnswerSource[] {
  const byProduct = new Map<string | null, string[]>();
  for (const s of sources) {
    const list = byProduct.get(s.productId) ?? [];
    for (const f of s.fields) if (!list.includes(f)) list.push(f);
    byProduct.set(s.productId, list);
  }
  return [...byProduct].filter(([, f]) => f.length > 0).map(([productId, fields]) => ({ productId, fields }));
}

function refusal(
  outcome: 'handoff' | 'declined',
  reason: AnswerReason,
  reply: ReplyKey,
  locale: AnswerLocale,
  intents: string[],
  confidence: number,
): GroundedAnswer {
  return { outcome, answer: replyText(reply, locale), sources: [], productIds: [], intents, confidence, reason };
}

function round(x: number): number {
  return Math.round(Math.max(0, Math.min(1, x)) * 1000) / 1000;
}
