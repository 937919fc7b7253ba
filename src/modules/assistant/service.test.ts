/**
 * The assistant with the room's live facts (the answerer alone: answer/compose.test.ts). What it says
 * of price and stock comes from the room's real state: a running flash sale is quoted as the room
 * shows it — its price, the real price before it, its limit and window (LC5), the same for every
 * viewer (A6, AI5) — and never once its time is up, even from facts read while it ran; stock is
 * said to be as of now; a product the host marked sold out is sold out.
 */
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../context/index.js';
import { loadDemoCatalogue, parseCatalogue, type ProductDetail } from '../catalogue/index.js';
import type { LanguageModel } from './model.js';
import { AssistantService, type AssistantDeps, type RoomFacts } from './service.js';
import type { StoredSessionMemory } from '../chat/ports.js';

const demo = loadDemoCatalogue();
const parsed = parseCatalogue(demo.productsJson, 'json');
if (!parsed.ok) throw new Error('the demo catalogue does not parse');
const catalogue: ProductDetail[] = parsed.products.map((p, i) => ({ ...p, id: `product-${i + 1}`, brandId: 'demo-brand', currency: 'CNY', updatedAt: 0 }));
const stroller = catalogue.find((p) => p.sku === 'QL-STR-001')!;

/** 20:30 in China (12:30 UTC). */
const T0 = Date.UTC(2026, 11, 1, 12, 30);
const MINUTE = 60_000;
const ctx: RequestContext = { requestId: 'assistant-test', actor: { kind: 'anonymous' }, locale: 'zh-CN' };

/** The stroller pinned, on flash sale from 20:30 to 20:35: ¥999, down from its real price ¥1299 (its list price is ¥1599). */
function roomWithSale(over: { soldOut?: boolean; remaining?: number } = {}): RoomFacts {
  return {
    brandId: 'demo-brand',
    status: 'live',
    pins: [stroller.id],
    products: catalogue.map((p) => ({ id: p.id, priceFen: p.priceFen, listPriceFen: p.listPriceFen, stock: p.stock, soldOut: p.id === stroller.id && over.soldOut === true })),
    flashSales: [
      {
        productId: stroller.id,
        priceFen: 99_900,
        previousPriceFen: stroller.priceFen,
        quantity: 5,
        remaining: over.remaining ?? 5,
        startsAt: T0,
        endsAt: T0 + 5 * MINUTE,
        status: 'active',
      },
    ],
  };
}

/** No memory across shows (no consent here); the show's memory in a map, written as the database does: only over what was read. */
function showMemoryStore(): AssistantDeps['memoryStore'] {
  const rows = new Map<string, StoredSessionMemory>();
  const key = (sessionId: string, subject: string) => `${sessionId}\u0000${subject}`;
  return {
    memory: async () => undefined,
    putMemory: async () => undefined,
    deleteMemory: async () => 0,
    sessionMemory: async (sessionId, subject) => rows.get(key(sessionId, subject)),
    putSessionMemory: async (m, expected) => {
      if ((rows.get(key(m.sessionId, m.subject))?.turnsSealed ?? null) !== expected) return false;
      rows.set(key(m.sessionId, m.subject), m);
      return true;
    },
    sessionMemoriesOfSubject: async (subject) => [...rows.values()].filter((m) => m.subject === subject),
    deleteSessionMemory: async (of) => {
      let n = 0;
      for (const [k, m] of rows) if ('sessionId' in of ? m.sessionId === of.sessionId : m.subject === of.subject) n += Number(rows.delete(k));
      return n;
    },
  };
}

/** The service over one room's facts, read once (as app.ts keeps them until the showcase changes), at a clock the test sets. */
function assistantFor(room: RoomFacts, model?: LanguageModel) {
  const clock = { now: T0 + MINUTE };
  let sealed = 0;
  const service = new AssistantService({
    ...(model ? { model } : {}),
    catalogueOf: async () => ({ brand: demo.brand, products: structuredClone(catalogue), faqs: demo.faqs }),
    room: async () => room,
    chat: {
      postAssistant: async () => {
        throw new Error('not used here');
      },
      addHandoff: async () => {
        throw new Error('not used here');
      },
    },
    allowsMemory: async () => false,
    memoryStore: showMemoryStore(),
    // Like the real envelope, every sealing differs (its nonce), even of the same text.
    sealer: { sealTextFor: async (_s, _f, text) => `${++sealed}:${text}`, openTextFor: async (_s, _f, text) => text.slice(text.indexOf(':') + 1) },
    subjectOf: (deviceId) => `subject-${deviceId}`,
    clock: { now: () => clock.now },
    onError: (err) => {
      throw err;
    },
  });
  const ask = async (question: string, locale: 'zh-CN' | 'en' = 'zh-CN', deviceId?: string) => {
    const reply = await service.ask(ctx, 'show', { question, locale, ...(deviceId ? { deviceId } : {}) });
    if (!reply.ok) throw new Error(reply.code);
    expect(reply.value.outcome, question).toBe('answered');
    return reply.value;
  };
  return { clock, ask, service };
}

describe('the assistant with the room’s live facts', () => {
  it('quotes a running flash sale as the room shows it: its price, the real price before it, its limit and window', async () => {
    const { ask } = assistantFor(roomWithSale());
    const zh = await ask('这个多少钱');
    expect(zh.answer).toContain('秒杀价 ¥999（秒杀前价格 ¥1299），限量 5 件，活动时间 20:30–20:35（北京时间）');
    // The list price is not the price before the sale (LC5).
    expect(zh.answer).not.toContain('¥1599');
    expect(zh.sources).toEqual([{ productId: stroller.id, fields: ['flashSale'] }]);
    const en = await ask('how much is this', 'en');
    expect(en.answer).toContain('flash price ¥999 (price before the sale ¥1299), limited to 5, sale window 20:30–20:35 China time');
    // The same words for every viewer (A6, AI5).
    expect((await ask('这个多少钱', 'zh-CN', 'device-a-0000000000000001')).answer).toBe(zh.answer);
    expect((await ask('这个多少钱', 'zh-CN', 'device-b-0000000000000002')).answer).toBe(zh.answer);
  });

  it('takes an external model’s rewording only when it keeps every fact and qualifier of the sale', async () => {
    const rewordings: Array<(grounded: string) => string> = [];
    const model: LanguageModel = { provider: 'test-model', reword: async (_ctx, input) => ({ ok: true, text: rewordings.shift()!(input.grounded), provider: 'test-model' }) };
    const { ask } = assistantFor(roomWithSale(), model);
    rewordings.push((g) => `亲～${g}`);
    expect((await ask('这个多少钱')).answer).toMatch(/^亲～.*秒杀价 ¥999（秒杀前价格 ¥1299），限量 5 件，活动时间 20:30–20:35（北京时间）/);
    // Drops the window and the limit: the grounded answer is given instead.
    rewordings.push(() => '亲，婴儿推车秒杀价只要 ¥999（秒杀前价格 ¥1299），快抢！');
    const dropped = (await ask('这个多少钱')).answer;
    expect(dropped).not.toMatch(/^亲/);
    expect(dropped).toContain('限量 5 件，活动时间 20:30–20:35（北京时间）');
    // Drops "as of now" from the stock.
    rewordings.push((g) => g.replace('截至此刻库存', '库存还有'));
    expect((await ask('这个还有货吗')).answer).toContain('截至此刻库存');
  });

  it('says stock is as of now, with what is left at the sale’s price', async () => {
    const { ask } = assistantFor(roomWithSale({ remaining: 3 }));
    expect((await ask('这个还有货吗')).answer).toContain(`截至此刻库存 ${stroller.stock} 件，其中秒杀价还剩 3 件`);
    expect((await ask('is it in stock', 'en')).answer).toContain(`${stroller.stock} in stock as of now, 3 of them still at the flash price`);
  });

  it('never quotes a sale whose time is up, though the facts were read while it ran', async () => {
    const { clock, ask } = assistantFor(roomWithSale());
    expect((await ask('这个多少钱')).answer).toContain('¥999');
    clock.now = T0 + 5 * MINUTE;
    const after = await ask('这个多少钱');
    expect(after.answer).toContain('现价 ¥1299，划线价 ¥1599');
    expect(after.answer).not.toMatch(/¥999|秒杀/);
    expect((await ask('这个还有货吗')).answer).toContain(`截至此刻库存 ${stroller.stock} 件。`);
  });

  it('says a product the host marked sold out is sold out, whatever its count', async () => {
    const { ask } = assistantFor(roomWithSale({ soldOut: true }));
    const zh = (await ask('这个还有货吗')).answer;
    expect(zh).toContain('目前已售罄');
    expect(zh).not.toContain(String(stroller.stock));
    expect((await ask('is it in stock', 'en')).answer).toContain('sold out right now');
    // Nor is its flash sale quoted: nobody can order it at that price (no false urgency).
    const price = (await ask('这个多少钱')).answer;
    expect(price).not.toMatch(/¥999|秒杀|限量/);
    expect((await ask('how much is this', 'en')).answer).not.toMatch(/¥999|flash/i);
  });
});

describe('the viewer’s memory of the show when answers overlap', () => {
  const device = 'device-overlap-000000000001';
  const subject = `subject-${device}`;
  /** A model whose rewording waits until the test lets it go: the question is between its read and its write. */
  function heldModel() {
    const held: Array<() => void> = [];
    const model: LanguageModel = {
      provider: 'test-model',
      reword: (_ctx, input) => new Promise((resolve) => held.push(() => resolve({ ok: true, text: input.grounded, provider: 'test-model' }))),
    };
    const waiting = async () => {
      while (held.length === 0) await new Promise((r) => setTimeout(r, 1));
    };
    return { model, held, waiting };
  }
  const productsOf = async (service: AssistantService) =>
    ((await service.exportFor(subject, [])).find((m) => m.kind === 'session_memory')?.turns as Array<{ productIds: string[] }> | undefined)?.map((t) => t.productIds[0]);

  it('keeps both turns when a second answer lands while the first is being written', async () => {
    const { model, held, waiting } = heldModel();
    const { ask, service } = assistantFor(roomWithSale(), model);
    const first = ask('这个多少钱', 'zh-CN', device);
    await waiting();
    const seat = catalogue.find((p) => p.sku === 'QL-CST-001')!;
    const second = ask('ISOFIX 安全座椅多少钱', 'zh-CN', device);
    while (held.length < 2) await new Promise((r) => setTimeout(r, 1));
    held[1]!(); // the second answer is written first
    await second;
    held[0]!();
    await first;
    expect(await productsOf(service)).toEqual([seat.id, stroller.id]);
  });

  it('does not bring back memory deleted while an answer was being written (the show ended, the viewer was erased)', async () => {
    const { model, held, waiting } = heldModel();
    const { ask, service } = assistantFor(roomWithSale(), model);
    const earlier = ask('这个多少钱', 'zh-CN', device);
    await waiting();
    held.shift()!();
    await earlier;
    expect(await productsOf(service)).toEqual([stroller.id]);
    const inFlight = ask('这个还有货吗', 'zh-CN', device);
    await waiting();
    await service.forgetViewer(subject);
    held.shift()!();
    await inFlight;
    expect(await productsOf(service)).toBeUndefined();
  });
});
