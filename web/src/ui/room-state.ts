/**
 * Folds live-room messages into the page's copy of the room. Pure, so the seq rules are tested
 * without a socket: a snapshot replaces everything; a showcase change applies only when its seq is
 * exactly one more than ours; an older seq is a repeat and is dropped; a gap means we missed
 * something, and the only honest fix is a fresh snapshot (resync).
 */
import type { FlashSaleView, RoomSession, RoomState, ServerMessage, ShowcaseChange, ShowcaseProduct } from './contract.ts';

export type RoomUpdate =
  | { kind: 'state'; state: RoomState }
  | { kind: 'resync'; expectedSeq: number; receivedSeq: number }
  | { kind: 'unchanged' };

export function applyServerMessage(state: RoomState | null, message: ServerMessage): RoomUpdate {
  switch (message.type) {
    case 'snapshot':
      return { kind: 'state', state: message.state };
    case 'counters':
      return state ? { kind: 'state', state: { ...state, counters: message.counters } } : { kind: 'unchanged' };
    // The chat's frames share the socket but not the showcase: chat-state.ts folds them.
    case 'ack':
    case 'error':
    case 'pong':
    case 'reconnect':
    case 'recommendations':
    case 'chat_history':
    case 'chat_message':
    case 'chat_messages':
    case 'chat_removed':
    case 'chat_restored':
    case 'chat_pinned':
    case 'chat_settings':
    case 'chat_ack':
    case 'slow_down':
      return { kind: 'unchanged' };
    default:
      return applyShowcaseChange(state, message);
  }
}

function applyShowcaseChange(state: RoomState | null, change: ShowcaseChange): RoomUpdate {
  if (!state) return { kind: 'unchanged' }; // the snapshot is always first on a socket
  if (change.seq <= state.seq) return { kind: 'unchanged' };
  if (change.seq !== state.seq + 1) return { kind: 'resync', expectedSeq: state.seq + 1, receivedSeq: change.seq };
  const next: RoomState = { ...state, seq: change.seq };
  switch (change.type) {
    case 'session_status':
      next.session = { ...state.session, status: change.status, startedAt: change.startedAt, endedAt: change.endedAt };
      break;
    case 'pinned':
      next.pins = change.pins;
      next.products = updateProduct(state.products, change.productId, { pinnedAt: change.pinnedAt });
      break;
    case 'unpinned':
      next.pins = change.pins;
      next.products = updateProduct(state.products, change.productId, { pinnedAt: null });
      break;
    case 'sold_out':
      next.products = updateProduct(state.products, change.productId, { soldOut: change.soldOut, markedSoldOut: change.markedSoldOut });
      break;
    case 'stock':
      next.products = updateProduct(state.products, change.productId, { stock: change.stock, soldOut: change.soldOut });
      break;
    case 'products_updated': {
      const fresh = new Map(change.products.map((p) => [p.id, p]));
      next.products = state.products.map((p) => fresh.get(p.id) ?? p);
      break;
    }
    case 'flash_sale_started':
    case 'flash_sale_updated':
      next.flashSales = upsertFlashSale(state.flashSales, change.flashSale);
      break;
    case 'flash_sale_ended':
      next.flashSales = state.flashSales.filter((sale) => sale.id !== change.flashSale.id);
      break;
  }
  return { kind: 'state', state: next };
}

function updateProduct(products: ShowcaseProduct[], productId: string, patch: Partial<ShowcaseProduct>): ShowcaseProduct[] {
  return products.map((product) => (product.id === productId ? { ...product, ...patch } : product));
}

function upsertFlashSale(sales: FlashSaleView[], sale: FlashSaleView): FlashSaleView[] {
  if (sale.status !== 'active') return sales.filter((s) => s.id !== sale.id);
  const index = sales.findIndex((s) => s.id === sale.id);
  if (index === -1) return [...sales, sale];
  return sales.map((s, i) => (i === index ? sale : s));
}

// ---- answers to the host's own REST calls, folded in before the broadcast arrives (seq untouched) ----

export function withSession(state: RoomState, session: RoomSession): RoomState {
  return { ...state, session };
}

export function withPins(state: RoomState, pins: string[], now: number): RoomState {
  const pinned = new Set(pins);
  return {
    ...state,
    pins,
    products: state.products.map((p) => {
      if (pinned.has(p.id)) return p.pinnedAt === null ? { ...p, pinnedAt: now } : p;
      return p.pinnedAt === null ? p : { ...p, pinnedAt: null };
    }),
  };
}

export function withSoldOut(state: RoomState, answer: { productId: string; soldOut: boolean; markedSoldOut: boolean }): RoomState {
  return { ...state, products: updateProduct(state.products, answer.productId, { soldOut: answer.soldOut, markedSoldOut: answer.markedSoldOut }) };
}

export function withFlashSale(state: RoomState, sale: FlashSaleView): RoomState {
  return { ...state, flashSales: upsertFlashSale(state.flashSales, sale) };
}

// ---- views ----

export function productsInOrder(state: RoomState): ShowcaseProduct[] {
  return [...state.products].sort((a, b) => a.position - b.position);
}

/** Pinned products in pin order (oldest first), skipping ids the product list does not hold. */
export function pinnedProducts(state: RoomState): ShowcaseProduct[] {
  const byId = new Map(state.products.map((p) => [p.id, p]));
  return state.pins.flatMap((id) => {
    const product = byId.get(id);
    return product ? [product] : [];
  });
}

export function activeFlashSaleFor(state: RoomState, productId: string): FlashSaleView | undefined {
  return state.flashSales.find((sale) => sale.productId === productId && sale.status === 'active');
}
