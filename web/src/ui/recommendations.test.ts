import { describe, expect, it } from 'vitest';
import type { FlashSaleView, RoomState, ShowcaseProduct } from './contract.ts';
import { ApiError } from './api.ts';
import {
  IDEMPOTENCY_KEY_PATTERN,
  cardPrice,
  checkExplanation,
  contributionRows,
  feedbackBody,
  formatShare,
  formatSigned,
  failureOf,
  feedbackFailed,
  feedbackFailedFor,
  giveFeedback,
  givenFor,
  groupFeatures,
  howItWorksHref,
  newIdempotencyKey,
  parseHowQuery,
  parseModelVersion,
  parseRecList,
  privacyHref,
  reasonsFor,
  requestK,
  sendPurchaseFeedback,
  sendRecFeedback,
  showcaseKey,
  socketCarriesRecommendations,
  visibleItems,
  type RecItem,
} from './recommendations.ts';

const product = (id: string, over: Partial<ShowcaseProduct> = {}): ShowcaseProduct =>
  ({ id, name: { zh: id, en: id }, priceFen: 12_900, listPriceFen: 15_900, soldOut: false, stock: 10, imageUrl: '/x.png', position: 0, category: 'c', ...over }) as unknown as ShowcaseProduct;

const item = (productId: string, over: Partial<RecItem> = {}): RecItem => ({
  decisionId: `d-${productId}-xxxxxx`,
  productId,
  position: 1,
  personalised: false,
  explanation: { score: 1.5, base: 0.25, contributions: [{ feature: 'room.pinned', value: 1, phi: 1.25 }], exploration: { active: false, bonus: 0 }, modelVersion: 'v1' },
  reasons: { zh: ['主播正在讲解'], en: ['the host is presenting it'] },
  propensity: 0.9,
  ...over,
});

describe('explanations', () => {
  it('checks base + Σφ = score within 1e-9 and flags a mismatch', () => {
    const contributions = [
      { feature: 'a', value: 1, phi: 0.1 },
      { feature: 'b', value: 1, phi: 0.2 },
      { feature: 'c', value: 1, phi: -0.05 },
    ];
    const exact = checkExplanation({ base: 0.3, score: 0.3 + 0.1 + 0.2 - 0.05, contributions });
    expect(exact.exact).toBe(true);
    expect(exact.sum).toBeCloseTo(0.25, 12);
    expect(checkExplanation({ base: 0.3, score: 0.55 + 1e-6, contributions }).exact).toBe(false);
    expect(checkExplanation({ base: 0, score: 0, contributions: [] }).exact).toBe(true);
  });

  it('orders contributions by |φ| and signs them', () => {
    const rows = contributionRows({
      contributions: [
        { feature: 'small', value: 1, phi: 0.01 },
        { feature: 'neg', value: 1, phi: -0.5 },
        { feature: 'pos', value: 0.5, phi: 0.25 },
      ],
    });
    expect(rows.map((r) => r.feature)).toEqual(['neg', 'pos', 'small']);
    expect(rows.map((r) => r.phiText)).toEqual(['−0.500', '+0.250', '+0.010']);
    expect(rows.map((r) => r.direction)).toEqual(['down', 'up', 'up']);
  });

  it('formats signed numbers and shares without a negative zero', () => {
    expect(formatSigned(0)).toBe('0.000');
    expect(formatSigned(-0.0000001)).toBe('0.000');
    expect(formatSigned(1.23456, 2)).toBe('+1.23');
    expect(formatShare(0.1234)).toBe('12.3%');
    expect(formatShare(0)).toBe('0.0%');
    expect(formatShare(Number.NaN)).toBe('—');
  });
});

describe('reasons and lists', () => {
  it('chooses reasons by locale, falling back to the other language when one is empty', () => {
    expect(reasonsFor(item('p'), 'zh-CN')).toEqual(['主播正在讲解']);
    expect(reasonsFor(item('p'), 'en')).toEqual(['the host is presenting it']);
    expect(reasonsFor(item('p', { reasons: { zh: ['只有中文'], en: [] } }), 'en')).toEqual(['只有中文']);
  });

  it('parses a server list and refuses a malformed one', () => {
    const raw = { personalised: true, label: { zh: '个性化推荐', en: 'Personalised' }, modelVersion: 'm@3', items: [item('a')], at: 5 };
    const parsed = parseRecList(raw);
    expect(parsed?.items[0]?.productId).toBe('a');
    expect(parsed?.personalised).toBe(true);
    expect(parseRecList(null)).toBeNull();
    expect(parseRecList({ ...raw, items: [{ decisionId: 'x' }] })).toBeNull();
    expect(parseRecList({ ...raw, label: 'x' })).toBeNull();
  });

  it('shows at most four items whose product is in the room, skipping hidden ones, with the room price', () => {
    const products = [product('a', { priceFen: 100 }), product('b'), product('c'), product('d'), product('e')];
    const list = { items: ['a', 'gone', 'b', 'c', 'd', 'e'].map((id) => item(id, { decisionId: `dec-${id}-1234` })) };
    const shown = visibleItems(list, products, new Set(['b']));
    expect(shown.map((s) => s.product.id)).toEqual(['a', 'c', 'd', 'e']);
    expect(shown[0]!.product.priceFen).toBe(100);
    expect(visibleItems(null, products, new Set())).toEqual([]);
    expect(requestK(0)).toBe(4);
    expect(requestK(2)).toBe(6);
    expect(requestK(50)).toBe(10);
  });

  it('prices a card exactly as the showcase does', () => {
    const p = product('a', { priceFen: 12_900, listPriceFen: 15_900 });
    expect(cardPrice(p, undefined)).toEqual({ priceFen: 12_900, struckFen: 15_900, flash: false });
    expect(cardPrice(product('b', { priceFen: 100, listPriceFen: 100 }), undefined).struckFen).toBeNull();
    const sale = { priceFen: 9_900, previousPriceFen: 12_900, remaining: 3 } as FlashSaleView;
    expect(cardPrice(p, sale)).toEqual({ priceFen: 9_900, struckFen: 12_900, flash: true });
    expect(cardPrice(p, { ...sale, remaining: 0 }).priceFen).toBe(12_900);
  });

  it('changes the showcase key on pins, sales and sold-outs only', () => {
    const state = {
      session: { status: 'live' },
      pins: [],
      flashSales: [],
      products: [product('a'), product('b')],
      counters: { likes: 1 },
    } as unknown as RoomState;
    const key = showcaseKey(state);
    expect(showcaseKey({ ...state, counters: { likes: 2 } } as unknown as RoomState)).toBe(key);
    expect(showcaseKey({ ...state, pins: ['a'] })).not.toBe(key);
    expect(showcaseKey({ ...state, products: [product('a', { soldOut: true }), product('b')] })).not.toBe(key);
    expect(showcaseKey(null)).toBe('');
  });
});

describe('feedback', () => {
  it('makes random idempotency keys the server accepts', () => {
    const a = newIdempotencyKey();
    const b = newIdempotencyKey();
    expect(a).toMatch(IDEMPOTENCY_KEY_PATTERN);
    expect(a).toHaveLength(22);
    expect(a).not.toBe(b);
    expect(newIdempotencyKey((bytes) => bytes.fill(255))).toBe('_____________________w');
  });

  it('carries the device id only when there is one', () => {
    expect(feedbackBody('dec-123456', 'like', null, 'key-12345')).toEqual({ decisionId: 'dec-123456', type: 'like', idempotencyKey: 'key-12345' });
    expect(feedbackBody('dec-123456', 'dislike', 'device-id-1234567890', 'key-12345')).toEqual({
      decisionId: 'dec-123456',
      type: 'dislike',
      idempotencyKey: 'key-12345',
      deviceId: 'device-id-1234567890',
    });
  });

  it('never rejects, and each send has its own key', async () => {
    const bodies: unknown[] = [];
    const ok = await sendRecFeedback('demo', 'dec-123456', 'like', null, async (_s, body) => {
      bodies.push(body);
      return { learned: false, duplicate: false };
    });
    expect(ok).toEqual({ learned: false, duplicate: false });
    await sendRecFeedback('demo', 'dec-123456', 'like', null, async (_s, body) => {
      bodies.push(body);
      return { learned: false, duplicate: false };
    });
    expect((bodies[0] as { idempotencyKey: string }).idempotencyKey).not.toBe((bodies[1] as { idempotencyKey: string }).idempotencyKey);
    expect(await sendRecFeedback('demo', 'd', 'like', null, () => Promise.reject(new Error('down')))).toBeNull();
    expect(
      await sendRecFeedback('demo', 'd', 'like', null, () => {
        throw new Error('sync');
      }),
    ).toBeNull();
  });

  it('names the order a purchase placed, and never rejects', async () => {
    const bodies: unknown[] = [];
    const answer = await sendPurchaseFeedback('demo', 'dec-123456', 'order-0000-0001', 'device-id-1234567890', async (_s, body) => {
      bodies.push(body);
      return { learned: true, duplicate: false };
    });
    expect(answer).toEqual({ learned: true, duplicate: false });
    expect(bodies[0]).toMatchObject({ decisionId: 'dec-123456', type: 'purchase', orderId: 'order-0000-0001', deviceId: 'device-id-1234567890' });
    expect(await sendPurchaseFeedback('demo', 'd', 'o', null, () => Promise.reject(new Error('down')))).toBeNull();
  });
});

describe('feedback given on a product', () => {
  it('stays given when a refreshed list shows the product under a new decision, and is given once', () => {
    let n = 0;
    const key = () => `product-key-${++n}`;
    const shown = item('p1', { decisionId: 'd-first-000001' });
    const refreshed = item('p1', { decisionId: 'd-later-000002' });
    const first = giveFeedback(new Map(), shown.productId, 'like', key)!;
    expect(first.feedback).toEqual({ type: 'like', idempotencyKey: 'product-key-1' });
    expect(givenFor(first.given, shown)).toBe('like');
    expect(givenFor(first.given, refreshed)).toBe('like');
    expect(givenFor(first.given, item('p2'))).toBeUndefined();
    // A second 👍 or 👎 on the same product (any decision) sends nothing.
    expect(giveFeedback(first.given, refreshed.productId, 'like', key)).toBeNull();
    expect(giveFeedback(first.given, refreshed.productId, 'dislike', key)).toBeNull();
    // Another product has its own key; the first map is left as it was.
    const second = giveFeedback(first.given, 'p2', 'dislike', key)!;
    expect(second.feedback.idempotencyKey).toBe('product-key-2');
    expect(givenFor(second.given, item('p2'))).toBe('dislike');
    expect(first.given.has('p2')).toBe(false);
  });

  it('is undone when it did not go through, so the viewer can give it again under the same key', async () => {
    let n = 0;
    const key = () => `product-key-${++n}`;
    const card = item('p1');
    const liked = giveFeedback(new Map(), card.productId, 'like', key)!;
    // The POST failed: sendRecFeedback resolves null, nothing was recorded.
    expect(await sendRecFeedback('demo', card.decisionId, 'like', null, () => Promise.reject(new Error('offline')), liked.feedback.idempotencyKey)).toBeNull();
    const undone = feedbackFailed(liked.given, card.productId, liked.feedback);
    expect(givenFor(undone, card)).toBeUndefined(); // 👍 no longer pressed, the buttons work again
    expect(feedbackFailedFor(undone, card)).toBe('retry'); // and the card says it did not go through
    expect(feedbackFailedFor(liked.given, card)).toBeUndefined();
    // The retry goes out under the same key: had the first reached the server, it counts once.
    const retried = giveFeedback(undone, card.productId, 'like', key)!;
    expect(retried.feedback).toEqual({ type: 'like', idempotencyKey: 'product-key-1' });
    expect(givenFor(retried.given, card)).toBe('like');
    expect(feedbackFailedFor(retried.given, card)).toBeUndefined();
    expect(giveFeedback(retried.given, card.productId, 'like', key)).toBeNull();
    // A failure that arrives after the product's feedback was given again changes nothing.
    expect(feedbackFailed(retried.given, card.productId, liked.feedback)).toBe(retried.given);
    // Other feedback after the failure is a new answer under a new key: under the old one the server
    // would keep the first (had it landed) while the card showed the second.
    const changed = giveFeedback(undone, card.productId, 'dislike', key)!;
    expect(changed.feedback).toEqual({ type: 'dislike', idempotencyKey: 'product-key-2' });
    // Other products are left as they were.
    const both = giveFeedback(liked.given, 'p2', 'dislike', key)!;
    expect(givenFor(feedbackFailed(both.given, card.productId, liked.feedback), item('p2'))).toBe('dislike');
  });

  it('tells a failure worth retrying (no answer, busy, failing) from a refusal (the server cannot take it)', async () => {
    const problem = (status: number) => new ApiError({ type: 'about:blank', title: 't', status, code: `HTTP_${status}` });
    expect([0, 408, 429, 500, 503].map((s) => failureOf(problem(s)))).toEqual(['retry', 'retry', 'retry', 'retry', 'retry']);
    expect([400, 404, 409, 422].map((s) => failureOf(problem(s)))).toEqual(['refused', 'refused', 'refused', 'refused']);
    expect(failureOf(new TypeError('Failed to fetch'))).toBe('retry');
    const told: string[] = [];
    expect(await sendRecFeedback('demo', 'd', 'like', null, () => Promise.reject(problem(404)), 'k', (f) => told.push(f))).toBeNull();
    expect(await sendRecFeedback('demo', 'd', 'like', null, () => Promise.reject(problem(503)), 'k', (f) => told.push(f))).toBeNull();
    expect(told).toEqual(['refused', 'retry']);
    // Refused feedback is kept as refused on the card.
    const liked = giveFeedback(new Map(), 'p1', 'like', () => 'k1')!;
    expect(feedbackFailedFor(feedbackFailed(liked.given, 'p1', liked.feedback, 'refused'), item('p1'))).toBe('refused');
  });

  it("sends a product's feedback under its own key", async () => {
    const bodies: { idempotencyKey: string; decisionId: string }[] = [];
    const post = async (_s: string, body: { idempotencyKey: string; decisionId: string }) => {
      bodies.push(body);
      return { learned: false, duplicate: bodies.length > 1 };
    };
    await sendRecFeedback('demo', 'd-first-000001', 'like', null, post, 'product-key-1');
    await sendRecFeedback('demo', 'd-later-000002', 'like', null, post, 'product-key-1');
    expect(bodies.map((b) => b.idempotencyKey)).toEqual(['product-key-1', 'product-key-1']);
  });
});

describe('the page helpers', () => {
  it('groups features in a fixed order', () => {
    const groups = groupFeatures([
      { name: 'behaviour.x', group: 'behaviour', personal: true, label: 'x' },
      { name: 'room.y', group: 'room', personal: false, label: 'y' },
      { name: 'product.z', group: 'product', personal: false, label: 'z' },
      { name: 'other.w', group: 'other', personal: false, label: 'w' },
    ]);
    expect(groups.map((g) => g.group)).toEqual(['product', 'room', 'behaviour', 'other']);
  });

  it('parses the query and builds the links', () => {
    expect(parseHowQuery('?brand=demo-brand&from=demo')).toEqual({ brandId: 'demo-brand', from: 'demo' });
    expect(parseHowQuery('?brand=<x>')).toEqual({ brandId: null, from: null });
    expect(howItWorksHref('demo-brand', 'demo')).toBe('/recommendations?brand=demo-brand&from=demo');
    expect(howItWorksHref(null, null)).toBe('/recommendations');
    expect(privacyHref('demo-brand', null)).toBe('/privacy?brand=demo-brand');
  });

  it('uses the socket only when the room reducer lets recommendations through', () => {
    expect(socketCarriesRecommendations(() => ({ kind: 'unchanged' }))).toBe(true);
    expect(socketCarriesRecommendations(() => ({ kind: 'resync' }))).toBe(false);
    expect(
      socketCarriesRecommendations(() => {
        throw new Error('x');
      }),
    ).toBe(false);
  });
});

describe('parseModelVersion', () => {
  it('reads the family, design and updates of a production model, and keeps anything else whole', () => {
    expect(parseModelVersion('qingliu-linear-v3:16')).toEqual({ family: 'linear', design: 3, updates: 16, technical: 'qingliu-linear-v3:16' });
    expect(parseModelVersion('qingliu-mlp-v1:0')).toEqual({ family: 'mlp', design: 1, updates: 0, technical: 'qingliu-mlp-v1:0' });
    for (const other of ['experiment:exp-0123456789ab:bandit:4', 'qingliu-linear-v3', 'something-else:3', '']) {
      expect(parseModelVersion(other)).toEqual({ family: 'other', design: null, updates: null, technical: other });
    }
  });
});
