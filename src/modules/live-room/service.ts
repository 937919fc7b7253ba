/**
 * The live room: sessions, the showcase (pins, sold-out, flash sales bound to real stock and time),
 * orders, and counters that only real events move (LC4, A9).
 *
 * Every change to a room runs in one transaction holding the room's lock, raises the room's seq,
 * and is published on the bus after commit, in seq order on this node.
 */
import { randomUUID } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Bus } from '../../bus/index.js';
import type { Clock, RequestContext } from '../../context/index.js';
import type { Brand } from '../catalogue/index.js';
import type { FlashSaleView, RoomState, ShowcaseChange, ShowcaseProduct } from './messages.js';
import type {
  CounterRecord,
  FlashSaleEndReason,
  FlashSaleRecord,
  LiveStore,
  OrderRecord,
  RoomEventType,
  RoomTx,
  SessionPatch,
  SessionProductRecord,
  SessionRecord,
} from './ports.js';

/** What travels on a room's bus topic: showcase changes (with seq) and stored counters. */
/** Events of one room per transaction at most, and waiting per room at most (then OVERLOADED). */
const MAX_EVENTS_PER_COMMIT = 500;
const MAX_QUEUED_EVENTS = 10_000;

interface QueuedEvent {
  event: { type: RoomEventType; clientEventId: string; productId: string | null };
  resolve: (r: Result<{ duplicate: boolean }>) => void;
  reject: (err: unknown) => void;
}
interface EventBatch {
  queue: QueuedEvent[];
  running: boolean;
}

export type RoomBusMessage =
  | ShowcaseChange
  | { type: 'stored_counters'; counters: CounterRecord }
  /** Between nodes' gateways: how many viewers a node holds in the room (`ask`: tell me yours). */
  | { type: 'node_viewers'; node: string; count: number; ask?: true };

/** Bus messages on a room's topic that change nothing viewers see in the showcase. */
export const isRoomBookkeeping = (m: { type?: unknown }): boolean => m.type === 'stored_counters' || m.type === 'node_viewers';

export const roomTopic = (sessionId: string) => `room.${sessionId}`;

export interface BrandReader {
  getBrand(brandId: string): Promise<Brand | undefined>;
}

export interface NewSessionInput {
  id?: string;
  brandId: string;
  title: { zh: string; en: string };
  hostUserId?: string | null;
  hlsUrl?: string | null;
  posterUrl?: string | null;
  scheduledAt?: number | null;
  /** Defaults to every product of the brand, in SKU order. */
  productIds?: string[];
}

export interface FlashSaleInput {
  productId: string;
  priceFen: number;
  quantity: number;
  durationSeconds: number;
}

export interface RoomActivityEvent {
  kind: 'add_to_cart' | 'purchase';
  productId: string;
  quantity: number;
}
export type ActivityListener = (sessionId: string, activity: RoomActivityEvent) => void;

export interface OrderInput {
  productId: string;
  quantity: number;
  clientOrderId: string;
  /** The unit price the viewer saw; if the price is different now, nothing is charged (PRICE_CHANGED). */
  expectedUnitPriceFen?: number;
}

export interface RoomEventInput {
  type: RoomEventType;
  clientEventId: string;
  productId?: string;
}

type BaseState = Omit<RoomState, 'counters' | 'serverTime'>;
type Change<T> = Result<{ value: T; messages: ShowcaseChange[] }>;

export const SESSION_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class LiveRoomService {
  readonly #rooms = new Map<string, Promise<unknown>>();
  readonly #counters = new Map<string, CounterRecord>();
  /** Room events waiting for their group commit, per room (see #storeEvent). */
  readonly #eventBatches = new Map<string, EventBatch>();
  readonly #expiryTimers = new Map<string, NodeJS.Timeout>();
  readonly #activity: ActivityListener[] = [];
  #sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: LiveStore,
    private readonly brands: BrandReader,
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly options: { maxPins: number; listProductIds: (brandId: string) => Promise<string[]> },
  ) {}

  // ---- lifecycle ----

  /** Starts ending flash sales on time: a timer per sale, and a sweep as a safety net. */
  async start(): Promise<void> {
    this.#sweep = setInterval(() => void this.expireDueFlashSales().catch(() => undefined), 5000);
    this.#sweep.unref();
    await this.expireDueFlashSales();
    for (const s of await this.store.listSessions()) {
      if (s.status !== 'live') continue;
      const room = await this.store.readRoom(s.id);
      for (const sale of room?.openFlashSales ?? []) this.#scheduleExpiry(sale);
    }
  }

  stop(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    for (const t of this.#expiryTimers.values()) clearTimeout(t);
    this.#expiryTimers.clear();
  }

  // ---- retention ----

  purgeRoomEvents(cutoff: number): Promise<number> {
    return this.store.purgeRoomEvents(cutoff);
  }

  purgeOrders(cutoff: number): Promise<number> {
    return this.store.purgeOrders(cutoff);
  }

  // ---- reading ----

  getSession(sessionId: string): Promise<SessionRecord | undefined> {
    return this.store.getSession(sessionId);
  }

  /** An order placed in this session (what it bought and when); undefined when there is none there. */
  order(sessionId: string, orderId: string): Promise<OrderRecord | undefined> {
    return this.store.order(sessionId, orderId);
  }

  sessionHasProduct(sessionId: string, productId: string): Promise<boolean> {
    return this.store.sessionHasProduct(sessionId, productId);
  }

  listSessions(_ctx: RequestContext): Promise<SessionRecord[]> {
    return this.store.listSessions();
  }

  /** The room as a viewer sees it now; `viewers` is the live connection count. */
  async roomState(sessionId: string, viewers: number): Promise<RoomState | undefined> {
    // Read fresh every time: products (stock, price) are shared with other rooms and written by
    // imports, so a cached picture could show a price or stock that orders would not honour.
    const base = await this.#readBaseState(sessionId);
    if (!base) return undefined;
    const now = this.clock.now();
    const counters = await this.storedCounters(sessionId);
    return {
      ...base,
      // A sale whose time is up is never shown as running, even before the timer marks it ended.
      flashSales: base.flashSales.filter((f) => f.endsAt > now),
      counters: { viewers, ...(counters ?? zeroCounters()) },
      serverTime: now,
    };
  }

  /** The unit price an order for this product would pay now (the running flash sale's, else the product's). */
  async unitPriceNow(sessionId: string, productId: string): Promise<number | undefined> {
    const room = await this.store.readRoom(sessionId);
    const target = room?.products.find((p) => p.product.id === productId);
    if (!room || !target) return undefined;
    const now = this.clock.now();
    const sale = room.openFlashSales.find((f) => f.productId === productId && f.endsAt > now);
    return sale ? sale.priceFen : target.product.priceFen;
  }

  async storedCounters(sessionId: string): Promise<CounterRecord | undefined> {
    const cached = this.#counters.get(sessionId);
    if (cached) return cached;
    const read = await this.store.counters(sessionId);
    if (read) this.#counters.set(sessionId, read);
    return read;
  }

  /** Counters learned from another node (or any source that read them after a commit). */
  /** The bus was down (other nodes' counter updates were missed): read them from the store again. */
  forgetCachedCounters(): void {
    this.#counters.clear();
  }

  noteStoredCounters(sessionId: string, counters: CounterRecord): void {
    this.#counters.set(sessionId, counters);
  }

  async #readBaseState(sessionId: string): Promise<BaseState | undefined> {
    const room = await this.store.readRoom(sessionId);
    if (!room) return undefined;
    const brand = await this.brands.getBrand(room.session.brandId);
    if (!brand) throw new Error('session refers to a missing brand');
    const s = room.session;
    const byId = new Map(room.products.map((p) => [p.product.id, p]));
    if (room.counters) this.#counters.set(sessionId, room.counters);
    return {
      session: {
        id: s.id,
        brandId: s.brandId,
        title: s.title,
        status: s.status,
        hlsUrl: s.hlsUrl,
        posterUrl: s.posterUrl,
        hostName: s.hostName,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
      },
      brand: {
        id: brand.id,
        name: brand.name,
        operator: brand.operator,
        merchantLicence: brand.merchantLicence,
        contactEmail: brand.contactEmail,
        contactPhone: brand.contactPhone,
      },
      products: room.products.map(showcaseProduct),
      pins: pinsOf(room.products),
      flashSales: room.openFlashSales.map((f) => flashSaleView(f, byId.get(f.productId)?.product.stock ?? 0, this.clock.now())),
      seq: s.version,
    };
  }

  // ---- sessions ----

  canManage(ctx: RequestContext, session: Pick<SessionRecord, 'hostUserId'>): boolean {
    const a = ctx.actor;
    if (a.kind === 'system') return true;
    if (a.kind !== 'staff') return false;
    return a.role === 'admin' || (a.role === 'host' && session.hostUserId === a.id);
  }

  async createSession(_ctx: RequestContext, input: NewSessionInput): Promise<Result<SessionRecord>> {
    const id = input.id ?? randomUUID().slice(0, 8);
    if (!SESSION_ID_PATTERN.test(id)) return fail('VALIDATION_FAILED', 'id: lower-case letters, digits and "-", at most 63');
    if (!(await this.brands.getBrand(input.brandId))) return fail('NOT_FOUND', 'no such brand');
    const catalogue = await this.options.listProductIds(input.brandId);
    const productIds = input.productIds ?? catalogue;
    const known = new Set(catalogue);
    const unknown = productIds.filter((p) => !known.has(p));
    if (unknown.length) return fail('PRODUCT_NOT_FOUND', `${unknown.length === 1 ? '1 product id is' : `${unknown.length} product ids are`} not in this brand's catalogue`);
    if (new Set(productIds).size !== productIds.length) return fail('VALIDATION_FAILED', 'productIds: each product at most once');
    const created = await this.store.createSession(
      {
        id,
        brandId: input.brandId,
        title: input.title,
        hostUserId: input.hostUserId ?? null,
        hlsUrl: input.hlsUrl ?? null,
        posterUrl: input.posterUrl ?? null,
        scheduledAt: input.scheduledAt ?? null,
        productIds,
      },
      this.clock.now(),
    );
    if (!created) return fail('SESSION_EXISTS');
    const session = await this.store.getSession(id);
    return session ? ok(session) : fail('SESSION_NOT_FOUND');
  }

  async updateSession(ctx: RequestContext, sessionId: string, patch: SessionPatch): Promise<Result<SessionRecord>> {
    const session = await this.store.getSession(sessionId);
    if (!session) return fail('SESSION_NOT_FOUND');
    if (!this.canManage(ctx, session)) return fail('FORBIDDEN', 'you do not host this session');
    // Only an administrator assigns hosts.
    if (patch.hostUserId !== undefined && !(ctx.actor.kind === 'system' || (ctx.actor.kind === 'staff' && ctx.actor.role === 'admin'))) {
      return fail('FORBIDDEN', 'only an administrator assigns hosts');
    }
    await this.store.updateSession(sessionId, patch);
    return ok((await this.store.getSession(sessionId))!);
  }

  goLive(ctx: RequestContext, sessionId: string): Promise<Result<SessionRecord>> {
    return this.#change(ctx, sessionId, async (room) => {
      const s = room.session;
      if (s.status === 'live') return fail('SESSION_ALREADY_LIVE');
      if (s.status === 'ended') return fail('SESSION_ENDED');
      const now = this.clock.now();
      await room.setStatus('live', { startedAt: now });
      const seq = await room.nextSeq();
      return ok({
        value: { ...s, status: 'live' as const, startedAt: now, version: seq },
        messages: [{ type: 'session_status', seq, status: 'live', startedAt: now, endedAt: null }],
      });
    });
  }

  endSession(ctx: RequestContext, sessionId: string): Promise<Result<SessionRecord>> {
    return this.#change(ctx, sessionId, async (room) => {
      const s = room.session;
      if (s.status === 'ended') return fail('SESSION_ENDED');
      const now = this.clock.now();
      const messages: ShowcaseChange[] = [];
      const stock = new Map((await room.products()).map((p) => [p.product.id, p.product.stock]));
      for (const sale of await room.openFlashSales()) {
        messages.push(await this.#endSale(room, sale, 'session_ended', stock.get(sale.productId) ?? 0, now));
      }
      await room.setStatus('ended', { endedAt: now });
      const seq = await room.nextSeq();
      messages.push({ type: 'session_status', seq, status: 'ended', startedAt: s.startedAt, endedAt: now });
      return ok({ value: { ...s, status: 'ended' as const, endedAt: now, version: seq }, messages });
    });
  }

  // ---- showcase ----

  pin(ctx: RequestContext, sessionId: string, productId: string): Promise<Result<{ pins: string[] }>> {
    return this.#change(ctx, sessionId, async (room) => {
      if (room.session.status === 'ended') return fail('SESSION_ENDED');
      const products = await room.products();
      const target = products.find((p) => p.product.id === productId);
      if (!target) return fail('PRODUCT_NOT_IN_SESSION');
      if (target.pinnedAt !== null) return ok({ value: { pins: pinsOf(products) }, messages: [] });
      if (products.filter((p) => p.pinnedAt !== null).length >= this.options.maxPins) {
        return fail('PIN_LIMIT_REACHED', `at most ${this.options.maxPins} products can be pinned at once; unpin one first`);
      }
      // Keep pin times strictly increasing so "oldest pin first" is a total order.
      const latest = Math.max(0, ...products.map((p) => p.pinnedAt ?? 0));
      const pinnedAt = Math.max(this.clock.now(), latest + 1);
      await room.setPinnedAt(productId, pinnedAt);
      target.pinnedAt = pinnedAt;
      const pins = pinsOf(products);
      const seq = await room.nextSeq();
      return ok({ value: { pins }, messages: [{ type: 'pinned', seq, productId, pinnedAt, pins }] });
    });
  }

  unpin(ctx: RequestContext, sessionId: string, productId: string): Promise<Result<{ pins: string[] }>> {
    return this.#change(ctx, sessionId, async (room) => {
      const products = await room.products();
      const target = products.find((p) => p.product.id === productId);
      if (!target) return fail('PRODUCT_NOT_IN_SESSION');
      if (target.pinnedAt === null) return ok({ value: { pins: pinsOf(products) }, messages: [] });
      await room.setPinnedAt(productId, null);
      target.pinnedAt = null;
      const pins = pinsOf(products);
      const seq = await room.nextSeq();
      return ok({ value: { pins }, messages: [{ type: 'unpinned', seq, productId, pins }] });
    });
  }

  setSoldOut(
    ctx: RequestContext,
    sessionId: string,
    productId: string,
    soldOut: boolean,
  ): Promise<Result<{ productId: string; soldOut: boolean; markedSoldOut: boolean }>> {
    return this.#change(ctx, sessionId, async (room) => {
      const target = await room.product(productId);
      if (!target) return fail('PRODUCT_NOT_IN_SESSION');
      const effective = soldOut || target.product.stock === 0;
      const value = { productId, soldOut: effective, markedSoldOut: soldOut };
      if (target.markedSoldOut === soldOut) return ok({ value, messages: [] });
      await room.setMarkedSoldOut(productId, soldOut);
      const messages: ShowcaseChange[] = [];
      const now = this.clock.now();
      if (soldOut) {
        // A product marked sold out cannot keep a flash sale running.
        for (const sale of await room.openFlashSales()) {
          if (sale.productId === productId) messages.push(await this.#endSale(room, sale, 'sold_out', target.product.stock, now));
        }
      }
      const seq = await room.nextSeq();
      messages.push({ type: 'sold_out', seq, ...value });
      return ok({ value, messages });
    });
  }

  startFlashSale(ctx: RequestContext, sessionId: string, input: FlashSaleInput): Promise<Result<FlashSaleView>> {
    return this.#change(ctx, sessionId, async (room) => {
      if (room.session.status === 'ended') return fail('SESSION_ENDED');
      if (room.session.status !== 'live') return fail('SESSION_NOT_LIVE', 'go live before starting a flash sale');
      const target = await room.product(input.productId);
      if (!target) return fail('PRODUCT_NOT_IN_SESSION');
      const p = target.product;
      if (target.markedSoldOut || p.stock === 0) return fail('PRODUCT_SOLD_OUT');
      if (input.priceFen >= p.priceFen) {
        return fail('VALIDATION_FAILED', 'price: a flash-sale price must be below the current price', {
          errors: [{ field: 'price', reason: 'must be below the current price' }],
        });
      }
      if (input.quantity > p.stock) {
        return fail('INSUFFICIENT_STOCK', `only ${p.stock} in stock`, { available: p.stock });
      }
      const now = this.clock.now();
      const running = (await room.openFlashSales()).find((f) => f.productId === input.productId && f.endsAt > now);
      if (running) return fail('FLASH_SALE_ACTIVE');
      const sale: FlashSaleRecord = {
        id: randomUUID(),
        sessionId,
        productId: p.id,
        priceFen: input.priceFen,
        previousPriceFen: p.priceFen,
        quantity: input.quantity,
        sold: 0,
        startsAt: now,
        endsAt: now + input.durationSeconds * 1000,
        endedAt: null,
        endReason: null,
        createdAt: now,
      };
      await room.insertFlashSale(sale);
      const seq = await room.nextSeq();
      const view = flashSaleView(sale, p.stock, now);
      return ok({ value: view, messages: [{ type: 'flash_sale_started', seq, flashSale: view }] });
    }).then((r) => {
      if (r.ok) this.#scheduleExpiry({ id: r.value.id, sessionId, endsAt: r.value.endsAt });
      return r;
    });
  }

  endFlashSale(ctx: RequestContext, sessionId: string, flashSaleId: string): Promise<Result<FlashSaleView>> {
    return this.#change(ctx, sessionId, async (room) => {
      const sale = await room.flashSale(flashSaleId);
      if (!sale) return fail('FLASH_SALE_NOT_FOUND');
      const product = await room.product(sale.productId);
      const stock = product?.product.stock ?? 0;
      if (sale.endedAt !== null) return ok({ value: flashSaleView(sale, stock, this.clock.now()), messages: [] });
      const message = await this.#endSale(room, sale, 'ended_by_host', stock, this.clock.now());
      return ok({ value: message.flashSale, messages: [message] });
    });
  }

  /** Ends every flash sale whose time is up. Safe to run on many nodes at once. */
  async expireDueFlashSales(): Promise<number> {
    let ended = 0;
    for (const due of await this.store.dueFlashSales(this.clock.now())) {
      const r = await this.#expire(due.sessionId, due.flashSaleId);
      if (r) ended++;
    }
    return ended;
  }

  async #expire(sessionId: string, flashSaleId: string): Promise<boolean> {
    const result = await this.#change({ requestId: 'flash-sale-expiry', actor: { kind: 'system', reason: 'flash sale ended on time' }, locale: 'zh-CN' }, sessionId, async (room) => {
      const sale = await room.flashSale(flashSaleId);
      const now = this.clock.now();
      if (!sale || sale.endedAt !== null || sale.endsAt > now) return ok({ value: false, messages: [] });
      const product = await room.product(sale.productId);
      const message = await this.#endSale(room, sale, 'expired', product?.product.stock ?? 0, now);
      return ok({ value: true, messages: [message] });
    });
    return result.ok && result.value;
  }

  #scheduleExpiry(sale: { id: string; sessionId: string; endsAt: number }): void {
    const delay = Math.max(0, sale.endsAt - this.clock.now());
    // Timers beyond ~24.8 days overflow; the sweep catches anything longer.
    if (delay > 2 ** 31 - 1) return;
    const timer = setTimeout(() => {
      this.#expiryTimers.delete(sale.id);
      void this.#expire(sale.sessionId, sale.id).catch(() => undefined);
    }, delay + 5);
    timer.unref();
    this.#expiryTimers.set(sale.id, timer);
  }

  async #endSale(room: RoomTx, sale: FlashSaleRecord, reason: FlashSaleEndReason, stock: number, now: number) {
    await room.updateFlashSale(sale.id, { endedAt: now, endReason: reason });
    const timer = this.#expiryTimers.get(sale.id);
    if (timer) clearTimeout(timer);
    this.#expiryTimers.delete(sale.id);
    const seq = await room.nextSeq();
    const ended = { ...sale, endedAt: now, endReason: reason };
    return { type: 'flash_sale_ended' as const, seq, flashSale: flashSaleView(ended, stock, now) };
  }

  // ---- commerce and events ----

  placeOrder(ctx: RequestContext, sessionId: string, input: OrderInput): Promise<Result<{ order: OrderRecord; duplicate: boolean }>> {
    return this.#change(ctx, sessionId, async (room) => {
      const earlier = await room.orderByClientId(input.clientOrderId);
      if (earlier) {
        if (earlier.productId !== input.productId || earlier.quantity !== input.quantity) return fail('DUPLICATE_REQUEST');
        return ok({ value: { order: earlier, duplicate: true }, messages: [] });
      }
      const s = room.session;
      if (s.status === 'ended') return fail('SESSION_ENDED');
      if (s.status !== 'live') return fail('SESSION_NOT_LIVE');
      const target = await room.product(input.productId);
      if (!target) return fail('PRODUCT_NOT_IN_SESSION');
      if (target.markedSoldOut || target.product.stock === 0) return fail('PRODUCT_SOLD_OUT');
      const now = this.clock.now();
      const sale = (await room.openFlashSales()).find((f) => f.productId === input.productId && f.endsAt > now);
      if (sale && input.quantity > Math.min(sale.quantity - sale.sold, target.product.stock)) {
        const available = Math.min(sale.quantity - sale.sold, target.product.stock);
        return fail('INSUFFICIENT_STOCK', `only ${available} left at the flash-sale price`, { available });
      }
      const unitPriceFen = sale ? sale.priceFen : target.product.priceFen;
      if (input.expectedUnitPriceFen !== undefined && input.expectedUnitPriceFen !== unitPriceFen) {
        return fail('PRICE_CHANGED', `the unit price is now ${unitPriceFen} fen`, { unitPriceFen });
      }
      const stock = await room.takeStock(input.productId, input.quantity);
      if (stock === undefined) {
        return fail('INSUFFICIENT_STOCK', `only ${target.product.stock} in stock`, { available: target.product.stock });
      }
      const order: OrderRecord = {
        id: randomUUID(),
        sessionId,
        productId: input.productId,
        clientOrderId: input.clientOrderId,
        quantity: input.quantity,
        // Price parity (A6): the price is the product's or the running sale's, the same for everyone.
        unitPriceFen,
        flashSaleId: sale?.id ?? null,
        replayOffsetMs: s.startedAt === null ? null : now - s.startedAt,
        createdAt: now,
      };
      await room.insertOrder(order);
      await room.addToCounters({ orders: 1, unitsSold: input.quantity });

      const messages: ShowcaseChange[] = [];
      messages.push({ type: 'stock', seq: await room.nextSeq(), productId: input.productId, stock, soldOut: target.markedSoldOut || stock === 0 });
      // Other open sales of this product cannot exceed the stock left either.
      if (sale) {
        const updated = { ...sale, sold: sale.sold + input.quantity };
        await room.updateFlashSale(sale.id, { sold: updated.sold });
        if (updated.sold >= updated.quantity || stock === 0) messages.push(await this.#endSale(room, updated, 'sold_out', stock, now));
        else messages.push({ type: 'flash_sale_updated', seq: await room.nextSeq(), flashSale: flashSaleView(updated, stock, now) });
      }
      return ok({ value: { order, duplicate: false }, messages });
    }, 'any').then(async (r) => {
      if (r.ok && !r.value.duplicate) {
        this.#tellActivity(sessionId, { kind: 'purchase', productId: input.productId, quantity: input.quantity });
        await this.#publishStoredCounters(sessionId);
        // The product's stock is shared: other rooms showing it learn the new stock too.
        await this.refreshProducts([input.productId], { except: sessionId, kind: 'stock' });
      }
      return r;
    });
  }

  /**
   * Tells every open room showing these products about their current data: 'stock' messages after a
   * sale elsewhere, 'products_updated' after a catalogue change. Flash sales left with no stock end.
   */
  async refreshProducts(productIds: readonly string[], options: { except?: string; kind: 'stock' | 'products' }): Promise<void> {
    const wanted = new Set(productIds);
    const system: RequestContext = { requestId: 'refresh-products', actor: { kind: 'system', reason: 'shared product changed' }, locale: 'zh-CN' };
    for (const sessionId of await this.store.openSessionsWithProducts([...wanted])) {
      if (sessionId === options.except) continue;
      await this.#change(system, sessionId, async (room) => {
        const now = this.clock.now();
        const changed = (await room.products()).filter((p) => wanted.has(p.product.id));
        if (changed.length === 0) return ok({ value: undefined, messages: [] });
        const messages: ShowcaseChange[] = [];
        if (options.kind === 'products') {
          messages.push({ type: 'products_updated', seq: await room.nextSeq(), products: changed.map(showcaseProduct) });
        } else {
          for (const p of changed) {
            messages.push({
              type: 'stock',
              seq: await room.nextSeq(),
              productId: p.product.id,
              stock: p.product.stock,
              soldOut: p.markedSoldOut || p.product.stock === 0,
            });
          }
        }
        const stockOf = new Map(changed.map((p) => [p.product.id, p.product.stock]));
        for (const sale of await room.openFlashSales()) {
          const stock = stockOf.get(sale.productId);
          if (stock === undefined || sale.endsAt <= now) continue;
          if (stock === 0) messages.push(await this.#endSale(room, sale, 'sold_out', 0, now));
          else messages.push({ type: 'flash_sale_updated', seq: await room.nextSeq(), flashSale: flashSaleView(sale, stock, now) });
        }
        return ok({ value: undefined, messages });
      });
    }
  }

  /** Counts a like or add-to-cart once per client event id. No viewer identity is stored. */
  async recordEvent(_ctx: RequestContext, sessionId: string, input: RoomEventInput): Promise<Result<{ duplicate: boolean }>> {
    const session = await this.store.getSession(sessionId);
    if (!session) return fail('SESSION_NOT_FOUND');
    if (session.status === 'ended') return fail('SESSION_ENDED');
    if (input.type === 'like' && session.status !== 'live') return fail('SESSION_NOT_LIVE');
    if (input.type === 'add_to_cart') {
      if (!input.productId) return fail('VALIDATION_FAILED', 'productId: required for add_to_cart');
      if (!(await this.store.sessionHasProduct(sessionId, input.productId))) return fail('PRODUCT_NOT_IN_SESSION');
    } else if (input.productId !== undefined) {
      return fail('VALIDATION_FAILED', 'productId: only for add_to_cart');
    }
    const stored = await this.#storeEvent(sessionId, { type: input.type, clientEventId: input.clientEventId, productId: input.productId ?? null });
    if (!stored.ok) return stored;
    const { duplicate } = stored.value;
    if (!duplicate && input.type === 'add_to_cart' && input.productId) this.#tellActivity(sessionId, { kind: 'add_to_cart', productId: input.productId, quantity: 1 });
    return ok({ duplicate });
  }

  /**
   * Group commit: the event is answered once the transaction holding it has committed. While one
   * room's transaction runs, that room's new events queue, and the next transaction takes them all
   * (up to MAX_EVENTS_PER_COMMIT), with one counters update and one counters message on the bus for
   * the lot — so a busy room pays one commit (one fsync on SQLite, one row lock on the shared
   * counters row on PostgreSQL) per batch rather than per event, and a quiet one waits for nothing.
   * The queue is bounded: past MAX_QUEUED_EVENTS the event is refused with OVERLOADED.
   */
  #storeEvent(sessionId: string, event: QueuedEvent['event']): Promise<Result<{ duplicate: boolean }>> {
    let batch = this.#eventBatches.get(sessionId);
    if (!batch) this.#eventBatches.set(sessionId, (batch = { queue: [], running: false }));
    if (batch.queue.length >= MAX_QUEUED_EVENTS) return Promise.resolve(fail('OVERLOADED', 'too many events waiting to be stored; retry shortly', { retryAfterSeconds: 1 }));
    const answer = new Promise<Result<{ duplicate: boolean }>>((resolve, reject) => batch.queue.push({ event, resolve, reject }));
    if (!batch.running) {
      // The first transaction starts once the events read in this turn of the event loop have queued:
      // on SQLite a transaction runs to its end without yielding to I/O, so starting at once would
      // commit (and fsync) every event alone.
      batch.running = true;
      setImmediate(() => void this.#commitEvents(sessionId, batch));
    }
    return answer;
  }

  async #commitEvents(sessionId: string, batch: EventBatch): Promise<void> {
    try {
      while (batch.queue.length > 0) {
        const items = batch.queue.splice(0, MAX_EVENTS_PER_COMMIT);
        let outcome: { duplicates: boolean[]; counters: CounterRecord };
        try {
          outcome = await this.store.recordEvents(
            sessionId,
            items.map((i) => i.event),
            this.clock.now(),
          );
        } catch (err) {
          for (const i of items) i.reject(err);
          continue;
        }
        this.#counters.set(sessionId, outcome.counters);
        outcome.duplicates.forEach((duplicate, n) => items[n]!.resolve(ok({ duplicate })));
        // Stored whatever the bus says: the counters reach the other nodes with the next batch.
        if (outcome.duplicates.some((d) => !d)) {
          await this.bus.publish(roomTopic(sessionId), { type: 'stored_counters', counters: outcome.counters } satisfies RoomBusMessage).catch(() => undefined);
        }
      }
    } finally {
      batch.running = false;
      if (batch.queue.length === 0 && this.#eventBatches.get(sessionId) === batch) this.#eventBatches.delete(sessionId);
    }
  }

  /** Told of room activity with no viewer identity (add-to-cart, orders): e.g. for anonymous popularity. */
  onActivity(listener: ActivityListener): void {
    this.#activity.push(listener);
  }

  #tellActivity(sessionId: string, activity: RoomActivityEvent): void {
    for (const listener of this.#activity) {
      try {
        listener(sessionId, activity);
      } catch {
        // a listener's failure never fails the viewer's action
      }
    }
  }

  async #publishStoredCounters(sessionId: string): Promise<void> {
    const counters = await this.store.counters(sessionId);
    if (!counters) return;
    this.#counters.set(sessionId, counters);
    await this.bus.publish(roomTopic(sessionId), { type: 'stored_counters', counters } satisfies RoomBusMessage);
  }

  /**
   * Runs one change to a room: checks the actor may manage it (unless `access` is 'any', as for orders),
   * commits, then publishes the change messages in order. Changes to one room are queued on this
   * node so that messages leave in seq order.
   */
  #change<T>(
    ctx: RequestContext,
    sessionId: string,
    work: (room: RoomTx) => Promise<Change<T>>,
    access: 'manage' | 'any' = 'manage',
  ): Promise<Result<T>> {
    const previous = this.#rooms.get(sessionId) ?? Promise.resolve();
    const run = previous.then(async (): Promise<Result<T>> => {
      const outcome = await this.store.inRoom(sessionId, async (room) => {
        if (access === 'manage' && !this.canManage(ctx, room.session)) return fail<{ value: T; messages: ShowcaseChange[] }>('FORBIDDEN', 'you do not host this session');
        return work(room);
      });
      if (outcome === undefined) return fail('SESSION_NOT_FOUND');
      if (!outcome.ok) return outcome;
      const { value, messages } = outcome.value;
      if (messages.length) {
        for (const m of messages) await this.bus.publish(roomTopic(sessionId), m satisfies RoomBusMessage);
      }
      return ok(value);
    });
    const tail = run.catch(() => undefined);
    this.#rooms.set(sessionId, tail);
    void tail.then(() => {
      if (this.#rooms.get(sessionId) === tail) this.#rooms.delete(sessionId);
    });
    return run;
  }
}

function pinsOf(products: SessionProductRecord[]): string[] {
  return products
    .filter((p) => p.pinnedAt !== null)
    .sort((a, b) => (a.pinnedAt ?? 0) - (b.pinnedAt ?? 0))
    .map((p) => p.product.id);
}

function showcaseProduct(sp: SessionProductRecord): ShowcaseProduct {
  const p = sp.product;
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    category: p.category,
    currency: 'CNY',
    priceFen: p.priceFen,
    listPriceFen: p.listPriceFen,
    stock: p.stock,
    ageMinMonths: p.ageMinMonths,
    ageMaxMonths: p.ageMaxMonths,
    attributes: p.attributes,
    imageUrl: p.imageUrl,
    position: sp.position,
    soldOut: sp.markedSoldOut || p.stock === 0,
    markedSoldOut: sp.markedSoldOut,
    pinnedAt: sp.pinnedAt,
  };
}

export function flashSaleView(f: FlashSaleRecord, stock: number, now: number): FlashSaleView {
  const ended = f.endedAt !== null || f.endsAt <= now;
  return {
    id: f.id,
    productId: f.productId,
    priceFen: f.priceFen,
    previousPriceFen: f.previousPriceFen,
    quantity: f.quantity,
    remaining: ended ? 0 : Math.max(0, Math.min(f.quantity - f.sold, stock)),
    startsAt: f.startsAt,
    endsAt: f.endsAt,
    status: ended ? 'ended' : 'active',
    endReason: f.endReason ?? (ended ? 'expired' : null),
  };
}

function zeroCounters(): CounterRecord {
  return { likes: 0, addToCart: 0, orders: 0, unitsSold: 0 };
}

