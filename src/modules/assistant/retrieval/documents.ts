/** Catalogue products and FAQs → retrieval documents, both languages' fields in each. */
import type { Bilingual, Faq, Product } from '../../catalogue/index.js';
import type { RetrievalDocument } from './bm25.js';
import { detectIntents } from './synonyms.js';
import { tokenize } from './tokenize.js';

/** What retrieval needs of a product: the catalogue's Product (or ProductDetail, whose FAQs it indexes). */
export type CatalogueProduct = Pick<Product, 'id' | 'sku' | 'name' | 'description' | 'category'> &
  Partial<Pick<Product, 'attributes'>> & { faqs?: readonly Faq[] };

/** Category slugs in words a viewer would use. */
const CATEGORY_WORDS: Readonly<Record<string, Bilingual>> = {
  stroller: { zh: '推车 婴儿车', en: 'stroller pram' },
  car_seat: { zh: '安全座椅', en: 'car seat' },
  carrier: { zh: '背带 背巾', en: 'carrier' },
  diapers: { zh: '纸尿裤', en: 'diapers nappies' },
  wipes: { zh: '湿巾', en: 'wipes' },
  bottles: { zh: '奶瓶', en: 'bottles' },
  feeding: { zh: '喂养 辅食', en: 'feeding' },
  skincare: { zh: '护肤', en: 'skincare' },
  bath: { zh: '洗浴 洗澡', en: 'bath' },
  clothing: { zh: '服装 衣服', en: 'clothing clothes' },
  sleep: { zh: '睡眠', en: 'sleep' },
  toys: { zh: '玩具', en: 'toys' },
  health: { zh: '健康护理', en: 'health care' },
};

export const productDocId = (productId: string): string => `product:${productId}`;

function faqFields(f: Faq): Record<string, string> {
  const intents = detectIntents([...tokenize(f.question.zh), ...tokenize(f.question.en)])
    .filter((i) => i.score >= 0.5)
    .map((i) => i.intent);
  return {
    'question.zh': f.question.zh,
    'question.en': f.question.en,
    'answer.zh': f.answer.zh,
    'answer.en': f.answer.en,
    ...(intents.length > 0 ? { intent: intents.join(' ') } : {}),
  };
}

/**
 * One document per product (`product:<id>`), one per product FAQ (`faq:<productId>:<n>`, with the
 * product's name as a low-weight field so "纸尿裤尺码怎么选" finds the diapers' FAQ), one per brand
 * FAQ (`faq:brand:<n>`). FAQ documents carry the intents of their question as an `intent` field.
 */
export function documentsFromCatalogue(
  products: readonly CatalogueProduct[],
  faqs: readonly Faq[] = [],
  options: { brand?: Bilingual } = {},
): RetrievalDocument[] {
  const docs: RetrievalDocument[] = [];
  for (const p of products) {
    const attrs = Object.entries(p.attributes ?? {});
    const cat = CATEGORY_WORDS[p.category];
    docs.push({
      id: productDocId(p.id),
      kind: 'product',
      productId: p.id,
      fields: {
        'name.zh': p.name.zh,
        'name.en': p.name.en,
        sku: p.sku,
        category: [p.category.replace(/_/g, ' '), cat?.zh, cat?.en].filter(Boolean).join(' '),
        ...(options.brand ? { brand: `${options.brand.zh} ${options.brand.en}` } : {}),
        'description.zh': p.description.zh,
        'description.en': p.description.en,
        'attributes.zh': attrs.map(([, v]) => v.zh).join('；'),
        'attributes.en': attrs.map(([k, v]) => `${k.replace(/([a-z])([A-Z])/g, '$1 $2')}: ${v.en}`).join('; '),
      },
    });
    (p.faqs ?? []).forEach((f, i) => {
      docs.push({
        id: `faq:${p.id}:${i + 1}`,
        kind: 'faq',
        productId: p.id,
        fields: { ...faqFields(f), product: `${p.name.zh} ${p.name.en}` },
      });
    });
  }
  faqs.forEach((f, i) => docs.push({ id: `faq:brand:${i + 1}`, kind: 'faq', fields: faqFields(f) }));
  return docs;
}
