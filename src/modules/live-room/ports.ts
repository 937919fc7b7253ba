import type { Product } from '../catalogue/index.js';
import type { SessionStatus } from './messages.js';

export interface SessionRecord {
  id: string;
  brandId: string;
  title: { zh: string; en: string };
  hostUserId: string | null;
  hostName: string | null;
  status: SessionStatus;
  hlsUrl: string | null;
  posterUrl: string | null;
  scheduledAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  createdAt: number;
  /** Showcase version (the seq of the last change). */
  version: number;
}

export interface SessionProductRecord {
  product: Product;
  position: number;
  markedSoldOut: boolean;
  pinnedAt: number | null;
}

export type FlashSaleEndReason = 'expired' | 'sold_out' | 'ended_by_host' | 'session_ended';

export interface FlashSaleRecord {
  id: string;
  sessionId: string;
  productId: string;
  priceFen: number;
  previousPriceFen: number;
  quantity: number;
  sold: number;
  startsAt: number;
  endsAt: number;
  endedAt: number | null;
  endReason: FlashSaleEndReason | null;
  createdAt: number;
}

export interface CounterRecord {
  likes: number;
  addToCart: number;
  orders: number;
  unitsSold: number;
}

export interface OrderRecord {
  id: string;
  sessionId: string;
  productId: string;
  clientOrderId: string;
  quantity: number;
  unitPriceFen: number;
  flashSaleId: string | null;
  replayOffsetMs: number | null;
  createdAt: number;
}

export interface NewSession {
  id: string;
  brandId: string;
  title: { zh: string; en: string };
  hostUserId: string | null;
  hlsUrl: string | null;
  posterUrl: string | null;
  scheduledAt: number | null;
  productIds: readonly string[];
}

export interface SessionPatch {
  title?: { zh: string; en: string };
  hostUserId?: string | null;
  hlsUrl?: string | null;
  posterUrl?: string | null;
}

export interface RoomRecord {
  session: SessionRecord;
  products: SessionProductRecord[];
  /** Flash sales not yet ended in storage (the service also checks their end time). */
  openFlashSales: FlashSaleRecord[];
  counters: CounterRecord;
}

export type RoomEventType = 'like' | 'add_to_cart';

/**
 * One room's data inside a transaction that holds the room's lock: changes to one room are
 * serialised, so rules like "at most 3 pins" or "never sell more than the stock" hold under load.
 */
export interface RoomTx {
  readonly session: SessionRecord;
  products(): Promise<SessionProductRecord[]>;
  product(productId: string): Promise<SessionProductRecord | undefined>;
  openFlashSales(): Promise<FlashSaleRecord[]>;
  flashSale(flashSaleId: string): Promise<FlashSaleRecord | undefined>;
  setStatus(status: SessionStatus, at: { startedAt?: number; endedAt?: number }): Promise<void>;
  setPinnedAt(productId: string, pinnedAt: number | null): Promise<void>;
  setMarkedSoldOut(productId: string, soldOut: boolean): Promise<void>;
  insertFlashSale(sale: FlashSaleRecord): Promise<void>;
  updateFlashSale(flashSaleId: string, change: { sold?: number; endedAt?: number; endReason?: FlashSaleEndReason }): Promise<void>;
  /** Takes stock only if enough is left; returns the new stock, or undefined when there was not enough. */
  takeStock(productId: string, quantity: number): Promise<number | undefined>;
  orderByClientId(clientOrderId: string): Promise<OrderRecord | undefined>;
  insertOrder(order: OrderRecord): Promise<void>;
  addToCounters(change: Partial<CounterRecord>): Promise<void>;
  /** Raises the showcase version by one and returns it: the seq of the change being made. */
  nextSeq(): Promise<number>;
}

export interface LiveStore {
  /** Returns false when a session with this id exists. */
  createSession(session: NewSession, now: number): Promise<boolean>;
  getSession(sessionId: string): Promise<SessionRecord | undefined>;
  listSessions(): Promise<SessionRecord[]>;
  updateSession(sessionId: string, patch: SessionPatch): Promise<boolean>;
  readRoom(sessionId: string): Promise<RoomRecord | undefined>;
  /** Runs `work` in one transaction holding the room's lock; undefined when the room does not exist. */
  inRoom<T>(sessionId: string, work: (room: RoomTx) => Promise<T>): Promise<T | undefined>;
  /** Stores an anonymous room event once per client event id and counts it; no viewer identity is kept. */
  recordEvent(
    sessionId: string,
    event: { type: RoomEventType; clientEventId: string; productId: string | null },
    now: number,
  ): Promise<{ duplicate: boolean; counters: CounterRecord }>;
  /**
   * The same for several events of one room in one transaction (group commit): `duplicates[i]` says
   * whether events[i] was stored before (or earlier in this batch); the counters are those after it.
   */
  recordEvents(
    sessionId: string,
    events: readonly { type: RoomEventType; clientEventId: string; productId: string | null }[],
    now: number,
  ): Promise<{ duplicates: boolean[]; counters: CounterRecord }>;
  counters(sessionId: string): Promise<CounterRecord | undefined>;
  /** An order placed in this session, by its id; undefined when there is none there. */
  order(sessionId: string, orderId: string): Promise<OrderRecord | undefined>;
  sessionHasProduct(sessionId: string, productId: string): Promise<boolean>;
  /** Sessions not yet ended whose showcase holds any of these products. */
  openSessionsWithProducts(productIds: readonly string[]): Promise<string[]>;
  /** Retention: deletes anonymous room events (their only use is de-duplicating retries) older than cutoff. */
  purgeRoomEvents(cutoff: number): Promise<number>;
  /** Retention: deletes commerce records older than cutoff. */
  purgeOrders(cutoff: number): Promise<number>;
  /** Flash sales whose end time has passed but that are not yet marked ended. */
  dueFlashSales(now: number): Promise<{ sessionId: string; flashSaleId: string }[]>;
}
