/** The retrieval core on the real demo catalogue (loaded through the catalogue module). */
import { describe, expect, it } from 'vitest';
import { loadDemoCatalogue, parseCatalogue } from '../../catalogue/index.js';
import { buildIndex, documentsFromCatalogue, search, searchDetailed, type CatalogueProduct, type SearchOptions } from './index.js';

function demoProducts(): CatalogueProduct[] {
  const parsed = parseCatalogue(loadDemoCatalogue().productsJson, 'json');
  if (!parsed.ok) throw new Error('demo catalogue does not parse');
  return parsed.products.map((p) => ({ ...p, id: p.sku }));
}
const demo = loadDemoCatalogue();
const products = demoProducts();
const docs = documentsFromCatalogue(products, demo.faqs, { brand: demo.brand.name });
const index = buildIndex(docs);

/** [question, acceptable products (any in the top 3), options] */
type Case = [string, string[], SearchOptions?];
const STROLLERS = ['QL-STR-001', 'QL-STR-002', 'QL-STR-003'];

const zh: Case[] = [
  ['推车多少钱', STROLLERS],
  ['尿不湿M码还有货吗', ['QL-DIA-003']],
  ['NB码纸尿裤', ['QL-DIA-001']],
  ['奶瓶240ml', ['QL-BTL-001']],
  ['玻璃奶瓶适合新生儿吗', ['QL-BTL-002']],
  ['安全座椅有ISOFIX吗', ['QL-CST-001']],
  ['腰凳几个月可以用', ['QL-CRR-001']],
  ['护臀霜怎么用', ['QL-SKN-003']],
  ['宝宝餐椅能折叠吗', ['QL-FED-003']],
  ['辅食机怎么清洗', ['QL-FED-004']],
  ['储奶袋能放多久', ['QL-FED-007']],
  ['婴儿床要另外买床垫吗', ['QL-SLP-001']],
  ['体温计准吗', ['QL-HLT-002']],
  ['吸鼻器是什么材质的', ['QL-HLT-004']],
  ['拉拉裤XL码', ['QL-DIA-005']],
  ['积木有小零件吗', ['QL-TOY-002']],
  ['洗澡盆', ['QL-BTH-002']],
  ['手口湿巾', ['QL-WIP-001']],
  ['ＰＰＳＵ奶瓶', ['QL-BTL-001']], // full-width
  ['纸尿库L码', ['QL-DIA-004', 'QL-DIA-007']], // typo 裤 → 库
];
const en: Case[] = [
  ['how much is the stroller', STROLLERS],
  ['do you have size M diapers in stock', ['QL-DIA-003']],
  ['nappy cream', ['QL-SKN-003']],
  ['glass bottle for newborn', ['QL-BTL-002']],
  ['car seat with isofix', ['QL-CST-001']],
  ['sippy cup', ['QL-BTL-004']],
  ['high chair', ['QL-FED-003']],
  ['baby food maker how to clean', ['QL-FED-004']],
  ['breast milk storage bags', ['QL-FED-007']],
  ['what is the thermometer made of', ['QL-HLT-002']],
  ['crib mattress', ['QL-SLP-004']],
  ['teddy bear', ['QL-TOY-003']],
  ['pull-ups xxl', ['QL-DIA-006']],
  ['bamboo pyjamas size', ['QL-CLO-004']],
  ['nail clippers', ['QL-HLT-001']],
  ['play gym', ['QL-TOY-004']],
  ['wooden blocks', ['QL-TOY-002']],
  ['can I return opened diapers', ['QL-DIA-001', 'QL-DIA-002', 'QL-DIA-003', 'QL-DIA-006', 'QL-DIA-007']],
  ['strolller price', STROLLERS], // typo
];

const top3 = (q: string, options?: SearchOptions) => searchDetailed(index, q, { k: 10, ...options }).productIds.slice(0, 3);

describe('retrieval on the demo catalogue', () => {
  it('indexes every product, product FAQ and brand FAQ', () => {
    const productFaqs = products.reduce((n, p) => n + (p.faqs?.length ?? 0), 0);
    expect(docs.filter((d) => d.kind === 'product')).toHaveLength(56);
    expect(docs).toHaveLength(56 + productFaqs + demo.faqs.length);
  });

  it.each(zh)('zh: %s', (q, want, options) => {
    expect(top3(q, options).some((p) => want.includes(p))).toBe(true);
  });

  it.each(en)('en: %s', (q, want, options) => {
    expect(top3(q, { locale: 'en', ...options }).some((p) => want.includes(p))).toBe(true);
  });

  it('names the fields it matched', () => {
    const [hit] = search(index, '纸尿裤 NB码');
    expect(hit?.productId).toBe('QL-DIA-001');
    expect(hit?.matchedFields.slice(0, 2).sort()).toEqual(['name.en', 'name.zh']);
    const [sippy] = search(index, 'sippy cup', { locale: 'en' });
    expect(sippy?.matchedFields).toContain('name.en');
  });

  it.each([
    ['这个多少钱', 'QL-FED-001', 'price'],
    ['这款还有货吗', 'QL-STR-003', 'stock'],
    ['它适合几个月的宝宝', 'QL-BTL-004', 'age'],
    ['多少钱？', 'QL-TOY-001', 'price'],
    ['how much is this', 'QL-SKN-002', 'price'],
    ['is it in stock', 'QL-CST-003', 'stock'],
    ['what is it made of', 'QL-CLO-004', 'material'],
  ])('"%s" with %s pinned resolves to the pinned product', (q, pinned, intent) => {
    const r = searchDetailed(index, q, { pinnedProductId: pinned, onStageProductIds: ['QL-STR-001', pinned] });
    expect(r.resolvedProductId).toBe(pinned);
    expect(r.hits[0]).toMatchObject({ id: `product:${pinned}`, via: 'pinned' });
    expect(r.intents[0]?.intent).toBe(intent);
    // Only the pinned product's documents and brand FAQs follow.
    for (const h of r.hits) expect([undefined, pinned]).toContain(h.productId);
  });

  it('does not resolve to the pinned product when the question names another one', () => {
    const r = searchDetailed(index, '这个推车多少钱', { pinnedProductId: 'QL-DIA-001' });
    expect(r.resolvedProductId).toBeUndefined();
    expect(STROLLERS).toContain(r.productIds[0]);
    // …but prefers the pinned product among those it names.
    expect(searchDetailed(index, '这个推车多少钱', { pinnedProductId: 'QL-STR-001' }).productIds[0]).toBe('QL-STR-001');
  });

  it('prefers documents holding a naming word over ones that only share the rest of the wording', () => {
    // "能放多久" is the wipes' FAQ wording, but 母乳 names the milk bags.
    const r = searchDetailed(index, '母乳冻起来能放多久');
    expect(r.namingTerms).toContain('母乳');
    expect(r.productIds[0]).toBe('QL-FED-007');
  });

  it('does not let a single character or a bare number name a product', () => {
    expect(searchDetailed(index, '客服几点下班').namesProduct).toBe(false); // 服 of 和尚服
    expect(searchDetailed(index, 'what is 2+2', { locale: 'en' }).namesProduct).toBe(false); // 2 of "2-Pack"
    expect(searchDetailed(index, '奶瓶240ml').namingTerms).toContain('240ml');
  });

  it('resolves "these" and other measure words to the pinned product', () => {
    expect(searchDetailed(index, 'how many of these do u have left', { pinnedProductId: 'QL-FED-004' }).resolvedProductId).toBe('QL-FED-004');
    expect(searchDetailed(index, '这包多少片', { pinnedProductId: 'QL-DIA-001' }).resolvedProductId).toBe('QL-DIA-001');
  });

  it('gives products on stage a small boost among equals', () => {
    const plain = top3('纸尿裤');
    const staged = top3('纸尿裤', { onStageProductIds: ['QL-DIA-004'] });
    expect(plain[0]).not.toBe('QL-DIA-004');
    expect(staged[0]).toBe('QL-DIA-004');
  });

  it('answers shipping and returns from the brand FAQ', () => {
    expect(search(index, '包邮吗？多久发货')[0]?.id).toBe('faq:brand:1');
    expect(search(index, 'when will my order ship', { locale: 'en' })[0]?.id).toBe('faq:brand:1');
    expect(search(index, '支持七天无理由退货吗')[0]?.id).toBe('faq:brand:2');
    expect(search(index, '可以开发票吗')[0]?.id).toBe('faq:brand:4');
  });

  it('is deterministic', () => {
    const again = buildIndex(documentsFromCatalogue(products, demo.faqs, { brand: demo.brand.name }));
    for (const [q] of [...zh, ...en]) expect(search(again, q)).toEqual(search(index, q));
  });

  it('builds and answers in a few milliseconds (figures printed, not asserted)', () => {
    const t0 = performance.now();
    const fresh = buildIndex(documentsFromCatalogue(products, demo.faqs, { brand: demo.brand.name }));
    const build = performance.now() - t0;
    const questions = [...zh, ...en].map(([q]) => q);
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      search(fresh, questions[i % questions.length] ?? '', { pinnedProductId: 'QL-FED-001' });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const p = (q: number) => (times[Math.floor(q * (times.length - 1))] ?? 0).toFixed(3);
    console.log(`[assistant retrieval] ${fresh.bm25.docs.length} docs; build ${build.toFixed(1)} ms; query p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`);
    expect(times).toHaveLength(2000);
  });
});
