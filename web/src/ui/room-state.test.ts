import { describe, expect, it } from 'vitest';
import type { FlashSaleView, RoomState, ServerMessage, ShowcaseProduct } from './contract.ts';
import { activeFlashSaleFor, applyServerMessage, pinnedProducts, productsInOrder, withPins, withSoldOut } from './room-state.ts';

function product(id: string, position: number, extra: Partial<ShowcaseProduct> = {}): ShowcaseProduct {
  return {
    id,
    sku: `SKU-${id}`,
    name: { zh: `商品${id}`, en: `Product ${id}` },
    description: { zh: '', en: '' },
    category: 'bottles',
    currency: 'CNY',
    priceFen: 12900,
    listPriceFen: 15900,
    stock: 10,
    ageMinMonths: 0,
    ageMaxMonths: 36,
    attributes: {},
    imageUrl: '/img/products/bottles.svg',
    position,
    soldOut: false,
    markedSoldOut: false,
    pinnedAt: null,
    ...extra,
  };
}

function sale(id: string, productId: string, extra: Partial<FlashSaleView> = {}): FlashSaleView {
  return {
    id,
    productId,
    priceFen: 9900,
    previousPriceFen: 12900,
    quantity: 20,
    remaining: 20,
    startsAt: 1_000,
    endsAt: 301_000,
    status: 'active',
    endReason: null,
    ...extra,
  };
}

function room(extra: Partial<RoomState> = {}): RoomState {
  return {
    session: { id: 'demo', brandId: 'b', title: { zh: '直播', en: 'Live' }, status: 'live', hlsUrl: null, posterUrl: null, hostName: null, startedAt: 1, endedAt: null },
    brand: { id: 'b', name: { zh: '暖芽', en: 'NuanYa' }, operator: { zh: '公司', en: 'Co' }, merchantLicence: 'L', contactEmail: 'e@x', contactPhone: '400' },
    products: [product('p2', 2), product('p1', 1), product('p3', 3)],
    pins: [],
    flashSales: [],
    counters: { viewers: 1, likes: 0, addToCart: 0, orders: 0, unitsSold: 0 },
    serverTime: 1_000,
    seq: 5,
    ...extra,
  };
}

function applied(state: RoomState | null, message: ServerMessage): RoomState {
  const update = applyServerMessage(state, message);
  if (update.kind !== 'state') throw new Error(`expected a state, got ${update.kind}`);
  return update.state;
}

describe('applyServerMessage', () => {
  it('takes a snapshot whole, whatever came before', () => {
    const snapshot = room({ seq: 42 });
    expect(applied(room({ seq: 50 }), { type: 'snapshot', state: snapshot })).toBe(snapshot);
    expect(applied(null, { type: 'snapshot', state: snapshot })).toBe(snapshot);
  });

  it('replaces products whose catalogue data changed, keeping the others', () => {
    const next = applied(room(), { type: 'products_updated', seq: 6, products: [product('p1', 1, { priceFen: 4_200 })] });
    expect(next.products.find((p) => p.id === 'p1')?.priceFen).toBe(4_200);
    expect(next.products.find((p) => p.id === 'p2')).toEqual(room().products[0]);
    expect(next.seq).toBe(6);
  });

  it('applies the next seq and advances', () => {
    const next = applied(room(), { type: 'pinned', seq: 6, productId: 'p3', pinnedAt: 2_000, pins: ['p3'] });
    expect(next.seq).toBe(6);
    expect(next.pins).toEqual(['p3']);
    expect(next.products.find((p) => p.id === 'p3')?.pinnedAt).toBe(2_000);
  });

  it('drops repeats and asks for a resync on a gap', () => {
    expect(applyServerMessage(room(), { type: 'unpinned', seq: 5, productId: 'p1', pins: [] }).kind).toBe('unchanged');
    expect(applyServerMessage(room(), { type: 'unpinned', seq: 3, productId: 'p1', pins: [] }).kind).toBe('unchanged');
    expect(applyServerMessage(room(), { type: 'unpinned', seq: 7, productId: 'p1', pins: [] })).toEqual({ kind: 'resync', expectedSeq: 6, receivedSeq: 7 });
  });

  it('waits for a snapshot before applying changes', () => {
    expect(applyServerMessage(null, { type: 'stock', seq: 1, productId: 'p1', stock: 0, soldOut: true }).kind).toBe('unchanged');
    expect(applyServerMessage(null, { type: 'counters', counters: room().counters }).kind).toBe('unchanged');
  });

  it('replaces counters without touching seq', () => {
    const counters = { viewers: 9, likes: 100, addToCart: 3, orders: 2, unitsSold: 4 };
    const next = applied(room(), { type: 'counters', counters });
    expect(next.counters).toEqual(counters);
    expect(next.seq).toBe(5);
  });

  it('follows session status, sold-out and stock changes', () => {
    let state = applied(room(), { type: 'session_status', seq: 6, status: 'ended', startedAt: 1, endedAt: 9 });
    expect(state.session).toMatchObject({ status: 'ended', endedAt: 9 });
    state = applied(state, { type: 'sold_out', seq: 7, productId: 'p2', soldOut: true, markedSoldOut: true });
    expect(state.products.find((p) => p.id === 'p2')).toMatchObject({ soldOut: true, markedSoldOut: true });
    state = applied(state, { type: 'stock', seq: 8, productId: 'p1', stock: 0, soldOut: true });
    expect(state.products.find((p) => p.id === 'p1')).toMatchObject({ stock: 0, soldOut: true });
  });

  it('tracks flash sales from start through updates to the end', () => {
    let state = applied(room(), { type: 'flash_sale_started', seq: 6, flashSale: sale('f1', 'p1') });
    expect(activeFlashSaleFor(state, 'p1')?.remaining).toBe(20);
    state = applied(state, { type: 'flash_sale_updated', seq: 7, flashSale: sale('f1', 'p1', { remaining: 12 }) });
    expect(state.flashSales).toHaveLength(1);
    expect(activeFlashSaleFor(state, 'p1')?.remaining).toBe(12);
    state = applied(state, { type: 'flash_sale_ended', seq: 8, flashSale: sale('f1', 'p1', { status: 'ended', endReason: 'expired' }) });
    expect(state.flashSales).toEqual([]);
    expect(activeFlashSaleFor(state, 'p1')).toBeUndefined();
  });

  it('ignores acks, errors, pongs and reconnects', () => {
    for (const message of [
      { type: 'ack', clientEventId: 'abcdefgh', duplicate: false },
      { type: 'error', code: 'RATE_LIMITED', detail: 'slow down' },
      { type: 'pong', serverTime: 5 },
      { type: 'reconnect', reason: 'shutdown' },
    ] satisfies ServerMessage[]) {
      expect(applyServerMessage(room(), message).kind).toBe('unchanged');
    }
  });
});

describe('views and host patches', () => {
  it('orders products by position and pins by pin order', () => {
    const state = room({ pins: ['p3', 'p1', 'gone'] });
    expect(productsInOrder(state).map((p) => p.id)).toEqual(['p1', 'p2', 'p3']);
    expect(pinnedProducts(state).map((p) => p.id)).toEqual(['p3', 'p1']);
  });

  it('folds a pins answer in without changing seq', () => {
    const state = withPins(room({ products: [product('p1', 1, { pinnedAt: 5 }), product('p2', 2)] }), ['p2'], 77);
    expect(state.pins).toEqual(['p2']);
    expect(state.products.map((p) => p.pinnedAt)).toEqual([null, 77]);
    expect(state.seq).toBe(5);
  });

  it('folds a sold-out answer in', () => {
    const state = withSoldOut(room(), { productId: 'p3', soldOut: true, markedSoldOut: true });
    expect(state.products.find((p) => p.id === 'p3')).toMatchObject({ soldOut: true, markedSoldOut: true });
  });
});
