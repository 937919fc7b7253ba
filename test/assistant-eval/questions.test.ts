/**
 * Validates the shopping-assistant evaluation set (questions.json) against the real demo catalogue:
 * its size and balance, its shape, and that every expected fact is really in the product's data or
 * the brand's FAQ — so the set can never reward an answer the catalogue does not support.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatYuan, loadDemoCatalogue, parseCatalogue, type Faq, type ProductInput } from '../../src/modules/catalogue/index.js';

type Locale = 'zh-CN' | 'en';

interface Answerable {
  id: string;
  locale: Locale;
  question: string;
  context: { pinnedProductId?: string };
  kind: 'answerable';
  expect: { productId: string | null; field: string; facts: string[] };
}

interface Declined {
  id: string;
  locale: Locale;
  question: string;
  context: { pinnedProductId?: string };
  kind: 'out_of_scope' | 'unsafe' | 'person';
  expect: { handoff: true };
}

type Item = Answerable | Declined;

/** Facts read from the product's own attributes, FAQs, name or description. */
const PRODUCT_FIELDS = [
  'material',
  'ingredients',
  'size',
  'weight',
  'capacity',
  'count',
  'certification',
  'installation',
  'origin',
  'spec',
  'usage',
  'description',
] as const;
/** Facts read from the brand's FAQ (or, for a named product, also its own FAQ). */
const FAQ_FIELDS = ['shipping', 'returns', 'invoice', 'authenticity', 'service', 'order', 'pricing_policy'] as const;
const FIELDS = new Set<string>(['price', 'stock', 'age', ...PRODUCT_FIELDS, ...FAQ_FIELDS]);
/** The field kinds the data holds; each must be asked about at least once. */
const REQUIRED_FIELDS = [
  'price',
  'stock',
  'age',
  'material',
  'ingredients',
  'size',
  'weight',
  'capacity',
  'count',
  'certification',
  'usage',
  'description',
  'shipping',
  'returns',
];
const ID = /^(zh|en)-[a-z-]+-\d{3}$/;

const items = JSON.parse(readFileSync(new URL('./questions.json', import.meta.url), 'utf8')) as Item[];
const answerable = items.filter((i): i is Answerable => i.kind === 'answerable');
const declined = items.filter((i): i is Declined => i.kind !== 'answerable');

const demo = loadDemoCatalogue();
const parsed = parseCatalogue(demo.productsJson, 'json');
if (!parsed.ok) throw new Error('the demo catalogue does not parse');
/** The eval identifies products by SKU: it is stable, while product ids are assigned at import. */
const bySku = new Map<string, ProductInput>(parsed.products.map((p) => [p.sku, p]));

/** Comparable text: full-width to half-width, lower case, one kind of dash, no spaces. */
function norm(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[–—―~～至]/g, '-')
    .replace(/\s+/g, '');
}

function faqText(faqs: Faq[], locale: Locale): string {
  return faqs.map((f) => (locale === 'en' ? `${f.question.en}\n${f.answer.en}` : `${f.question.zh}\n${f.answer.zh}`)).join('\n');
}

/** Everything written about a product in one language. */
function productText(p: ProductInput, locale: Locale): string {
  const pick = (b: { zh: string; en: string }) => (locale === 'en' ? b.en : b.zh);
  return [pick(p.name), pick(p.description), ...Object.values(p.attributes).map(pick), faqText(p.faqs, locale)].join('\n');
}

/** Substring match, except that a bare number must not be part of a longer number ("9" is not in "98"). */
function contains(text: string, fact: string): boolean {
  if (!/^\d+(\.\d+)?$/.test(fact)) return text.includes(fact);
  return new RegExp(`(?<!\\d)(?<!\\d\\.)${fact.replace('.', '\\.')}(?!\\d|\\.\\d)`).test(text);
}

const MONEY = /^[¥￥]?\s*(\d+(?:\.\d{1,2})?)\s*(?:元|块|yuan|rmb|cny)?$/i;
const MONEY_MARK = /[¥￥元块]|yuan|rmb|cny/i;

/** A written amount in fen ("¥129", "129", "39.9", "129.00 元"), or undefined if it is not an amount. */
function amountFen(fact: string): number | undefined {
  const m = MONEY.exec(fact.normalize('NFKC').trim());
  if (!m?.[1]) return undefined;
  const [yuan = '0', fen = ''] = m[1].split('.');
  return Number(yuan) * 100 + Number(fen.padEnd(2, '0'));
}

/** Why a fact is not supported by the catalogue, or undefined when it is. */
function unsupported(item: Answerable, fact: string): string | undefined {
  const { productId, field } = item.expect;
  const product = productId === null ? undefined : bySku.get(productId);
  if (field === 'price' || field === 'stock' || field === 'age') {
    if (!product) return `${field} needs a product`;
    if (field === 'price') {
      const fen = amountFen(fact);
      if (fen === undefined) return 'not an amount';
      return fen === product.priceFen || fen === product.listPriceFen
        ? undefined
        : `¥${formatYuan(fen)} is not the catalogue's price ¥${formatYuan(product.priceFen)} (list ¥${formatYuan(product.listPriceFen)})`;
    }
    if (field === 'stock') return fact === String(product.stock) ? undefined : `stock is ${product.stock}`;
    return fact === String(product.ageMinMonths) || fact === String(product.ageMaxMonths)
      ? undefined
      : `ages are ${product.ageMinMonths}–${product.ageMaxMonths} months`;
  }
  const brandFaq = faqText(demo.faqs, item.locale);
  const text = product ? `${productText(product, item.locale)}\n${brandFaq}` : brandFaq;
  return contains(norm(text), norm(fact)) ? undefined : `not in ${product ? `${product.sku} or the brand FAQ` : 'the brand FAQ'} (${item.locale})`;
}

describe('assistant evaluation set', () => {
  it('is large enough and balanced across languages', () => {
    expect(answerable.length).toBeGreaterThanOrEqual(150);
    expect(declined.length).toBeGreaterThanOrEqual(30);
    for (const locale of ['zh-CN', 'en'] as const) {
      expect(items.filter((i) => i.locale === locale).length / items.length, locale).toBeGreaterThanOrEqual(0.4);
      expect(answerable.filter((i) => i.locale === locale).length / answerable.length, locale).toBeGreaterThanOrEqual(0.4);
      expect(declined.filter((i) => i.locale === locale).length, locale).toBeGreaterThanOrEqual(10);
    }
    for (const kind of ['out_of_scope', 'unsafe', 'person'] as const) {
      expect(declined.filter((i) => i.kind === kind).length, kind).toBeGreaterThanOrEqual(2);
    }
  });

  it('has well-formed items with unique ids', () => {
    const ids = items.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const i of items) {
      expect(i.id, i.id).toMatch(ID);
      expect(i.id.startsWith(i.locale === 'en' ? 'en-' : 'zh-'), i.id).toBe(true);
      expect(['zh-CN', 'en'], i.id).toContain(i.locale);
      expect(typeof i.question === 'string' && i.question.trim().length > 0, i.id).toBe(true);
      expect(typeof i.context, i.id).toBe('object');
      if (i.kind === 'answerable') {
        expect(FIELDS.has(i.expect.field), `${i.id}: unknown field ${i.expect.field}`).toBe(true);
        expect(i.expect.facts.length, i.id).toBeGreaterThan(0);
        for (const f of i.expect.facts) expect(typeof f === 'string' && f.trim() !== '', i.id).toBe(true);
      } else {
        expect(['out_of_scope', 'unsafe', 'person'], i.id).toContain(i.kind);
        expect(i.expect, i.id).toEqual({ handoff: true });
      }
    }
    // Chinese questions are written in Chinese, English ones in English.
    for (const i of items) expect(/[\u4e00-\u9fff]/.test(i.question), i.id).toBe(i.locale === 'zh-CN');
  });

  it('refers only to products in the demo catalogue', () => {
    for (const i of items) {
      const pinned = i.context.pinnedProductId;
      if (pinned !== undefined) expect(bySku.has(pinned), `${i.id}: pinned ${pinned}`).toBe(true);
      if (i.kind === 'answerable' && i.expect.productId !== null) {
        expect(bySku.has(i.expect.productId), `${i.id}: ${i.expect.productId}`).toBe(true);
      }
    }
    for (const i of answerable) {
      const needsProduct = i.expect.field === 'price' || i.expect.field === 'stock' || i.expect.field === 'age' || (PRODUCT_FIELDS as readonly string[]).includes(i.expect.field);
      if (needsProduct) expect(i.expect.productId, `${i.id}: ${i.expect.field} needs a product`).not.toBeNull();
    }
  });

  it('covers many products and every kind of fact the data holds', () => {
    const products = new Set(answerable.map((i) => i.expect.productId).filter((p): p is string => p !== null));
    expect(products.size).toBeGreaterThanOrEqual(30);
    const categories = new Set([...products].map((sku) => bySku.get(sku)?.category));
    expect(categories).toEqual(new Set(parsed.products.map((p) => p.category)));
    const fields = new Set(answerable.map((i) => i.expect.field));
    for (const f of REQUIRED_FIELDS) expect(fields.has(f), f).toBe(true);
    // Some questions lean on the pinned product ("这个", "this") and some name no product at all.
    expect(answerable.filter((i) => i.context.pinnedProductId !== undefined).length).toBeGreaterThanOrEqual(30);
    expect(answerable.some((i) => i.expect.productId === null)).toBe(true);
  });

  it('expects only facts that are in the product data or the brand FAQ', () => {
    const problems: string[] = [];
    for (const i of answerable) {
      for (const fact of i.expect.facts) {
        const why = unsupported(i, fact);
        if (why) problems.push(`${i.id} "${fact}": ${why}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('expects no price other than the catalogue price of the product', () => {
    const problems: string[] = [];
    for (const i of answerable) {
      const product = i.expect.productId === null ? undefined : bySku.get(i.expect.productId);
      const amounts = i.expect.facts.filter((f) => i.expect.field === 'price' || MONEY_MARK.test(f)).map((f) => [f, amountFen(f)] as const);
      for (const [fact, fen] of amounts) {
        if (!product || fen === undefined || (fen !== product.priceFen && fen !== product.listPriceFen)) {
          problems.push(`${i.id} "${fact}"`);
        }
      }
      // A price question must expect the current price, not only the crossed-out one.
      if (i.expect.field === 'price' && product && !amounts.some(([, fen]) => fen === product.priceFen)) {
        problems.push(`${i.id}: does not expect the current price ¥${formatYuan(product.priceFen)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
