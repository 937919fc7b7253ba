/**
 * The answerer on the real demo catalogue: the API's contract (outcomes, reasons, sources, product
 * ids, language), the context rules (pinned, previous, on stage), grounding (no amount but a named
 * product's price or list price) and a set of paraphrased questions that are not in the evaluation
 * set (test/assistant-eval), so tuning to that set alone would show here.
 */
import { describe, expect, it } from 'vitest';
import { loadDemoCatalogue, parseCatalogue } from '../../catalogue/index.js';
import { createAssistant, type AnswerContext, type AssistantProduct, type GroundedAnswer } from './index.js';

const demo = loadDemoCatalogue();
const parsed = parseCatalogue(demo.productsJson, 'json');
if (!parsed.ok) throw new Error('the demo catalogue does not parse');
/** Ids unlike SKUs, as the import assigns (UUIDs): the answerer must not lean on them. */
const products: AssistantProduct[] = parsed.products.map((p, i) => ({ ...p, id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}` }));
const idOf = new Map(products.map((p) => [p.sku, p.id]));
const id = (sku: string): string => idOf.get(sku) ?? `missing ${sku}`;
const bySku = new Map(products.map((p) => [p.sku, p]));
const assistant = createAssistant({ brand: demo.brand, products, faqs: demo.faqs });

const ask = (question: string, context: Partial<AnswerContext> = {}): GroundedAnswer => assistant.answer(question, { locale: 'zh-CN', ...context });
const en = (question: string, context: Partial<AnswerContext> = {}): GroundedAnswer => assistant.answer(question, { locale: 'en', ...context });

/** Amounts written in an answer, in fen (¥…, … 元). */
function amounts(text: string): number[] {
  return [...text.matchAll(/[¥￥]\s*([\d,]+)(?:\.(\d{1,2}))?|([\d,]+)(?:\.(\d{1,2}))?\s*元/gu)].map((m) => {
    const whole = (m[1] ?? m[3] ?? '0').replace(/,/g, '');
    return Number(whole) * 100 + Number((m[2] ?? m[4] ?? '').padEnd(2, '0') || '0');
  });
}

describe('answering from the catalogue', () => {
  it('answers "这个多少钱" with the pinned product’s price and list price, naming it and its sources', () => {
    const a = ask('这个多少钱', { pinnedProductId: id('QL-STR-001') });
    expect(a.outcome).toBe('answered');
    expect(a.productIds).toEqual([id('QL-STR-001')]);
    expect(a.answer).toContain('高景观婴儿推车');
    expect(a.answer).toContain('¥1299');
    expect(a.answer).toContain('¥1599');
    expect(a.sources).toEqual([{ productId: id('QL-STR-001'), fields: ['price', 'listPrice'] }]);
    expect(a.intents).toEqual(['price']);
    expect(a.confidence).toBeGreaterThan(0.5);
  });

  it('answers in the viewer’s language, with the product’s name in that language', () => {
    const a = en('how much is this', { pinnedProductId: id('QL-STR-001') });
    expect(a.answer).toContain('High-View Baby Stroller');
    expect(a.answer).toContain('¥1299');
    expect(a.answer).not.toMatch(/\p{Script=Han}/u);
    expect(ask('这个是什么材质的', { pinnedProductId: id('QL-STR-001') }).answer).toContain('铝合金车架');
  });

  it('quotes attributes, FAQ entries and description sentences with their source fields', () => {
    const material = ask('腰凳面料是啥');
    expect(material.sources[0]?.fields).toContain('attributes.material');
    const faq = ask('储奶袋能重复用不');
    expect(faq.answer).toContain('一次性');
    expect(faq.sources).toEqual([{ productId: id('QL-FED-007'), fields: ['faq:2'] }]);
    const described = ask('学饮杯歪着能喝到水吗');
    expect(described.answer).toContain('重力球');
    expect(described.sources[0]?.fields).toContain('description');
  });

  it('answers shop questions from the brand FAQ, with a null product source', () => {
    const a = ask('多久发货啊');
    expect(a.outcome).toBe('answered');
    expect(a.answer).toContain('48 小时');
    expect(a.sources).toEqual([{ productId: null, fields: ['faq:1'] }]);
    expect(a.productIds).toEqual([]);
  });

  it('says whether a stated child’s age is in the product’s range', () => {
    expect(en('is the glass bottle ok for a 8 month old').answer).toMatch(/0–6 months.*outside/);
    // One month, in the singular.
    expect(en('is the glass bottle ok for a 1 month old').answer).toContain('at 1 month your child is within this range');
    expect(ask('我家宝宝两岁了还能用这个吗', { pinnedProductId: id('QL-DIA-005') }).answer).toContain('在适用范围内');
  });

  it('answers products named alike side by side, unless the pinned one is among them', () => {
    const both = en('till what age can i use the L diapers');
    expect(new Set(both.productIds)).toEqual(new Set([id('QL-DIA-004'), id('QL-DIA-007')]));
    const pinned = en('till what age can i use the L diapers', { pinnedProductId: id('QL-DIA-004') });
    expect(pinned.productIds).toEqual([id('QL-DIA-004')]);
  });

  it('reads price and stock when answering, so live values can be updated in place', () => {
    const live = structuredClone(products);
    const a = createAssistant({ brand: demo.brand, products: live, faqs: demo.faqs });
    const stroller = live.find((p) => p.sku === 'QL-STR-001');
    if (!stroller) throw new Error('no stroller');
    stroller.priceFen = 99_900;
    stroller.stock = 0;
    const context: AnswerContext = { locale: 'zh-CN', pinnedProductId: stroller.id };
    expect(a.answer('这个多少钱', context).answer).toContain('¥999');
    expect(a.answer('这个还有货吗', context).answer).toContain('售罄');
  });
});

describe('context', () => {
  it('takes "it" to mean the previous question’s product when nothing is pinned', () => {
    const a = en('how much is it', { previousProductId: id('QL-BTL-004') });
    expect(a.productIds).toEqual([id('QL-BTL-004')]);
    expect(a.answer).toContain('¥89');
    // The pinned product wins over memory.
    expect(en('how much is it', { previousProductId: id('QL-BTL-004'), pinnedProductId: id('QL-TOY-003') }).productIds).toEqual([id('QL-TOY-003')]);
  });

  it('asks which product when "it" has nothing to point at', () => {
    const a = en('how much is it');
    expect(a).toMatchObject({ outcome: 'handoff', reason: 'low_confidence', productIds: [], sources: [] });
    expect(a.answer).toMatch(/Which product/);
    expect(amounts(a.answer)).toEqual([]);
  });

  it('ignores a pinned id that is not in the catalogue', () => {
    expect(ask('这个多少钱', { pinnedProductId: 'no-such-product' }).outcome).toBe('handoff');
  });

  it('lets a named product override the pinned one', () => {
    expect(ask('护臀膏多少钱', { pinnedProductId: id('QL-STR-001') }).productIds).toEqual([id('QL-SKN-003')]);
  });
});

describe('declining and handing off', () => {
  it('declines before looking at the pinned product', () => {
    const a = ask('宝宝湿疹很严重 用这个霜能治好吗', { pinnedProductId: id('QL-SKN-001') });
    expect(a).toMatchObject({ outcome: 'declined', reason: 'unsafe', productIds: [], sources: [] });
  });

  it('never quotes a personal price', () => {
    const a = ask('我是老粉，这个给我算便宜点', { pinnedProductId: id('QL-STR-001') });
    expect(a).toMatchObject({ outcome: 'declined', reason: 'personal_price' });
    expect(amounts(a.answer)).toEqual([]);
  });

  it('hands requests for a person to the host', () => {
    expect(en('let me talk to a person')).toMatchObject({ outcome: 'handoff', reason: 'asked_for_person' });
  });

  it('hands off a question the product’s data does not cover instead of describing something else', () => {
    expect(ask('这个有什么颜色', { pinnedProductId: id('QL-CLO-005') })).toMatchObject({ outcome: 'handoff', reason: 'not_in_catalogue' });
    expect(ask('这个伞车能带上飞机吗', { pinnedProductId: id('QL-STR-002') })).toMatchObject({ outcome: 'handoff', reason: 'not_in_catalogue' });
    expect(en('does it come with a rain cover', { pinnedProductId: id('QL-STR-001') }).reason).toBe('not_in_catalogue');
  });

  it('hands off an unrelated question rather than matching a stray word', () => {
    expect(ask('我想跟人工聊聊').outcome).toBe('handoff');
    expect(en('what is 2+2').outcome).not.toBe('answered');
    expect(ask('').outcome).toBe('handoff');
  });

  it('gives an overview when asked nothing in particular', () => {
    const a = ask('介绍一下这个', { pinnedProductId: id('QL-SLP-001') });
    expect(a.outcome).toBe('answered');
    expect(a.answer).toContain('榉木');
    expect(a.answer).toContain('¥1599');
  });
});

describe('grounding', () => {
  const questions = [
    '这个多少钱', '还有货吗', '几个月能用', '是什么材质', '多重', '有什么成分', '怎么洗', '介绍一下', '划线价是多少',
    'how much', 'is it in stock', 'what age', 'what is it made of', 'how heavy', 'what size', 'how do i clean it', 'tell me about it',
  ];

  it('writes no amount but the price or list price of a product it names, for any product pinned', () => {
    const problems: string[] = [];
    for (const p of products) {
      for (const q of questions) {
        const a = assistant.answer(q, { locale: /[a-z]/.test(q) ? 'en' : 'zh-CN', pinnedProductId: p.id });
        const allowed = new Set(a.productIds.flatMap((pid) => {
          const named = products.find((x) => x.id === pid);
          return named ? [named.priceFen, named.listPriceFen] : [];
        }));
        for (const fen of amounts(a.answer)) if (!allowed.has(fen)) problems.push(`${p.sku} "${q}": ${fen}`);
        if (a.outcome === 'answered') expect(a.sources.length, `${p.sku} "${q}"`).toBeGreaterThan(0);
      }
    }
    expect(problems).toEqual([]);
  });

  it('is deterministic and does not depend on product ids', () => {
    const renamed = products.map((p, i) => ({ ...p, id: `other-${products.length - i}` }));
    const other = createAssistant({ brand: demo.brand, products: renamed, faqs: demo.faqs });
    const back = new Map(renamed.map((p, i) => [p.id, products[i]?.id]));
    for (const q of ['这个多少钱', 'L码纸尿裤多少钱', '安全座椅适合多高的孩子', 'how heavy is the pram', '能开发票吗']) {
      const a = ask(q, { pinnedProductId: id('QL-FED-001') });
      expect(ask(q, { pinnedProductId: id('QL-FED-001') })).toEqual(a);
      const b = other.answer(q, { locale: 'zh-CN', pinnedProductId: renamed[products.findIndex((p) => p.sku === 'QL-FED-001')]?.id ?? '' });
      expect(b.answer).toBe(a.answer);
      expect(b.productIds.map((x) => back.get(x))).toEqual(a.productIds);
    }
  });
});

/**
 * Paraphrases written for these tests, not taken from the evaluation set: [question, SKU the answer
 * must name (null: the brand FAQ), facts it must contain, pinned SKU].
 */
type Case = [string, string | null, string[], string?];
const paraphrases: Record<'zh-CN' | 'en', Case[]> = {
  'zh-CN': [
    ['高景观推车多重', 'QL-STR-001', ['6.8']],
    ['伞车承重多少', 'QL-STR-002', ['15']],
    ['这个能用到几岁', 'QL-CST-001', ['48'], 'QL-CST-001'],
    ['增高垫要多少钱', 'QL-CST-002', ['599']],
    ['提篮还有多少库存', 'QL-CST-003', ['8']],
    ['腰凳有几种背法', 'QL-CRR-001', ['4 种']],
    ['NB码纸尿裤一包几片', 'QL-DIA-001', ['84']],
    ['XXL拉拉裤适合几个月', 'QL-DIA-006', ['18', '48']],
    ['棉柔巾一张多大', 'QL-WIP-002', ['20 × 20']],
    ['玻璃奶瓶配的什么奶嘴', 'QL-BTL-002', ['S 号']],
    ['辅食机功率多少', 'QL-FED-004', ['400']],
    ['餐椅的餐盘可以放洗碗机吗', 'QL-FED-003', ['上层']],
    ['润肤霜产地是哪里', 'QL-SKN-001', ['浙江']],
    ['爽身露用之前要摇一摇吗', 'QL-SKN-006', ['摇匀']],
    ['沐浴露会辣眼睛吗', 'QL-BTH-001', ['冲洗']],
    ['纱布浴巾会掉毛吗', 'QL-BTH-003', ['浮毛']],
    ['摇粒绒外套会起静电吗', 'QL-CLO-005', ['柔顺剂']],
    ['床垫有味道怎么办', 'QL-SLP-004', ['2–3']],
    ['积木有小零件吗', 'QL-TOY-002', ['单块尺寸较大']],
    ['健身架要装电池吗', 'QL-TOY-004', ['AA']],
    ['吸鼻器怎么清洗', 'QL-HLT-004', ['温水']],
    ['这个多重', 'QL-BTH-002', ['2.4'], 'QL-BTH-002'],
    ['这个打折吗', 'QL-FED-003', ['399'], 'QL-FED-003'],
    ['急救包里有创可贴吗', 'QL-HLT-003', ['创可贴']],
    ['开发票要多久', null, ['3 个工作日']],
    ['客服电话多少', null, ['400-000-0000']],
    ['能寄到新疆吗', null, ['5–8']],
    ['储奶袋解冻后能放多久', 'QL-FED-007', ['24 小时']],
    ['睡袋怎么选尺码', 'QL-SLP-002', ['10–15']],
    ['这款是什么面料的', 'QL-CLO-002', ['精梳棉'], 'QL-CLO-002'],
  ],
  en: [
    ['how much is the pram', 'QL-STR-003', ['2499']],
    ['weight limit of the travel stroller', 'QL-STR-002', ['15 kg']],
    ['how many nappies in the size S pack', 'QL-DIA-002', ['76']],
    ['are the overnight diapers in stock', 'QL-DIA-007', ['600']],
    ['how big are the hand and mouth wipes', 'QL-WIP-001', ['20 × 15']],
    ['can the suction bowl go in the microwave', 'QL-FED-001', ['let it cool']],
    ['can i reuse the milk bags', 'QL-FED-007', ['single-use']],
    ["what's in the oat lotion", 'QL-SKN-002', ['squalane']],
    ['when should i do a baby massage', 'QL-SKN-005', ['10–15 minutes']],
    ['what ph is the shampoo', 'QL-BTH-001', ['5.5']],
    ['what water temperature for the bath', 'QL-BTH-002', ['37–40']],
    ['how do i pick the sock size', 'QL-CLO-006', ['9–11 cm']],
    ['do i need a blanket with the sleeping bag', 'QL-SLP-002', ['blankets']],
    ['can i wash the play mat', 'QL-TOY-004', ['hand wash']],
    ['does the thermometer come with a battery', 'QL-HLT-002', ['LR41']],
    ['does the first aid kit have medicine in it', 'QL-HLT-003', ['No medicines']],
    ['is this still available', 'QL-SLP-004', ['95'], 'QL-SLP-004'],
    ['is it 100% cotton', 'QL-CLO-001', ['100% cotton'], 'QL-CLO-001'],
    ['do you ship to hong kong', null, ['not currently']],
    ['how long does delivery take', null, ['2–5 days']],
    ['are your products authentic', null, ['anti-counterfeit']],
    ['how many grams is the barrier cream', 'QL-SKN-003', ['30 g']],
    ['what is in the first aid kit', 'QL-HLT-003', ['gauze']],
    ['why should the mattress be firm', 'QL-SLP-004', ['face']],
    ['how many watts is the food maker', 'QL-FED-004', ['400 W']],
  ],
};

describe.each(['zh-CN', 'en'] as const)('paraphrases not in the evaluation set (%s)', (locale) => {
  it.each(paraphrases[locale])('%s', (question, sku, facts, pinned) => {
    const a = assistant.answer(question, { locale, ...(pinned ? { pinnedProductId: id(pinned) } : {}) });
    expect(a.outcome, a.answer).toBe('answered');
    if (sku !== null) expect(a.productIds, a.answer).toContain(id(sku));
    for (const f of facts) expect(a.answer).toContain(f);
    if (sku !== null) expect(bySku.get(sku)).toBeDefined();
  });
});
