/**
 * LiveStore on Kysely, one code path for SQLite and PostgreSQL. The only dialect difference is a
 * capability flag: PostgreSQL locks the room row (FOR UPDATE) so concurrent writers on many nodes are
 * serialised; SQLite has a single writer already.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, StorageCapabilities } from '../../../storage/index.js';
import type { FlashSaleTable, LiveSessionTable, ProductTable, SessionProductTable } from '../../../storage/schema.js';
import { ProductRowCache, productOfRow } from '../../catalogue/index.js';
import type { SessionStatus } from '../messages.js';
import type {
  CounterRecord,
  FlashSaleEndReason,
  FlashSaleRecord,
  LiveStore,
  NewSession,
  OrderRecord,
  RoomRecord,
  RoomTx,
  SessionPatch,
  SessionProductRecord,
  SessionRecord,
} from '../ports.js';

type Db = Kysely<Database> | Transaction<Database>;

export class KyselyLiveStore implements LiveStore {
  readonly #rows = new ProductRowCache(10_000);

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: StorageCapabilities,
  ) {}

  async createSession(s: NewSession, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('live_sessions')
        .values({
          id: s.id,
          brand_id: s.brandId,
          title_zh: s.title.zh,
          title_en: s.title.en,
          host_user_id: s.hostUserId,
          status: 'scheduled',
          hls_url: s.hlsUrl,
          poster_url: s.posterUrl,
          scheduled_at: s.scheduledAt,
          started_at: null,
          ended_at: null,
          created_at: now,
          version: 0,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      if (s.productIds.length) {
        for (let i = 0; i < s.productIds.length; i += 200) {
          await tx
            .insertInto('session_products')
            .values(
              s.productIds.slice(i, i + 200).map((productId, j) => ({
                session_id: s.id,
                product_id: productId,
                position: i + j + 1,
                sold_out: 0,
                pinned_at: null,
              })),
            )
            .execute();
        }
      }
      await tx.insertInto('session_counters').values({ session_id: s.id, likes: 0, add_to_cart: 0, orders: 0, units_sold: 0 }).execute();
      return true;
    });
  }

  async getSession(sessionId: string): Promise<SessionRecord | undefined> {
    return sessionById(this.db, sessionId, false);
  }

  async listSessions(): Promise<SessionRecord[]> {
    const rows = await sessionQuery(this.db).orderBy('s.created_at', 'desc').execute();
    return rows.map(sessionOf);
  }

  async updateSession(sessionId: string, patch: SessionPatch): Promise<boolean> {
    const set: Partial<LiveSessionTable> = {};
    if (patch.title) {
      set.title_zh = patch.title.zh;
      set.title_en = patch.title.en;
    }
    if (patch.hostUserId !== undefined) set.host_user_id = patch.hostUserId;
    if (patch.hlsUrl !== undefined) set.hls_url = patch.hlsUrl;
    if (patch.posterUrl !== undefined) set.poster_url = patch.posterUrl;
    if (Object.keys(set).length === 0) return (await this.getSession(sessionId)) !== undefined;
    const r = await this.db.updateTable('live_sessions').set(set).where('id', '=', sessionId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async readRoom(sessionId: string): Promise<RoomRecord | undefined> {
    // One read transaction so the session, showcase, sales and counters are a consistent picture.
    return this.db.transaction().execute(async (tx) => {
      const session = await sessionById(tx, sessionId, false);
      if (!session) return undefined;
      const [products, openFlashSales, counters] = await Promise.all([
        this.#showcase(tx, sessionId),
        openSales(tx, sessionId),
        countersOf(tx, sessionId),
      ]);
      return { session, products, openFlashSales, counters: counters ?? zeroCounters() };
    });
  }

  /**
   * The room's products for a snapshot: position, pin, sold-out, stock and version are read fresh;
   * names, descriptions and attributes come from the row cache while the version matches.
   */
  async #showcase(db: Db, sessionId: string): Promise<SessionProductRecord[]> {
    const heads = await db
      .selectFrom('session_products as sp')
      .innerJoin('products as p', 'p.id', 'sp.product_id')
      .select(['p.id', 'p.stock', 'p.updated_at', 'sp.position', 'sp.sold_out', 'sp.pinned_at'])
      .where('sp.session_id', '=', sessionId)
      .orderBy('sp.position')
      .execute();
    const missing = heads.filter((h) => !this.#rows.get(h.id, Number(h.updated_at))).map((h) => h.id);
    for (let i = 0; i < missing.length; i += 500) {
      const rows = await db.selectFrom('products').selectAll().where('id', 'in', missing.slice(i, i + 500)).execute();
      for (const r of rows) this.#rows.put(productOfRow(r));
    }
    return heads.map((h) => {
      const product = this.#rows.get(h.id, Number(h.updated_at)) ?? this.#rows.latest(h.id);
      if (!product) throw new Error('product vanished while reading the room');
      return {
        product: { ...product, stock: Number(h.stock) },
        position: h.position,
        markedSoldOut: h.sold_out === 1,
        pinnedAt: h.pinned_at === null ? null : Number(h.pinned_at),
      };
    });
  }

  async inRoom<T>(sessionId: string, work: (room: RoomTx) => Promise<T>): Promise<T | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const session = await sessionById(tx, sessionId, this.capabilities.rowLocks);
      if (!session) return undefined;
      return work(new KyselyRoomTx(tx, session));
    });
  }

  async recordEvent(
    sessionId: string,
    event: { type: 'like' | 'add_to_cart'; clientEventId: string; productId: string | null },
    now: number,
  ): Promise<{ duplicate: boolean; counters: CounterRecord }> {
    return this.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('room_events')
        .values({ session_id: sessionId, client_event_id: event.clientEventId, type: event.type, product_id: event.productId, created_at: now })
        .onConflict((oc) => oc.columns(['session_id', 'client_event_id']).doNothing())
        .executeTakeFirst();
      const duplicate = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0;
      if (!duplicate) {
        const column = event.type === 'like' ? 'likes' : 'add_to_cart';
        await tx
          .updateTable('session_counters')
          .set((eb) => ({ [column]: eb(column, '+', 1) }))
          .where('session_id', '=', sessionId)
          .execute();
      }
      return { duplicate, counters: (await countersOf(tx, sessionId)) ?? zeroCounters() };
    });
  }

  async recordEvents(
    sessionId: string,
    events: readonly { type: 'like' | 'add_to_cart'; clientEventId: string; productId: string | null }[],
    now: number,
  ): Promise<{ duplicates: boolean[]; counters: CounterRecord }> {
    if (events.length === 0) return { duplicates: [], counters: (await countersOf(this.db, sessionId)) ?? zeroCounters() };
    return this.db.transaction().execute(async (tx) => {
      const inserted = new Set<string>();
      // Chunks keep each statement under SQLite's bound-parameter limit.
      for (let i = 0; i < events.length; i += 200) {
        const rows = await tx
          .insertInto('room_events')
          .values(events.slice(i, i + 200).map((e) => ({ session_id: sessionId, client_event_id: e.clientEventId, type: e.type, product_id: e.productId, created_at: now })))
          .onConflict((oc) => oc.columns(['session_id', 'client_event_id']).doNothing())
          .returning('client_event_id')
          .execute();
        for (const r of rows) inserted.add(r.client_event_id);
      }
      // The first of a batch's events with an id is the one stored; any later one is its duplicate.
      const seen = new Set<string>();
      let likes = 0;
      let carts = 0;
      const duplicates = events.map((e) => {
        const stored = inserted.has(e.clientEventId) && !seen.has(e.clientEventId);
        seen.add(e.clientEventId);
        if (stored) {
          if (e.type === 'like') likes++;
          else carts++;
        }
        return !stored;
      });
      if (likes + carts > 0) {
        await tx
          .updateTable('session_counters')
          .set((eb) => ({ likes: eb('likes', '+', likes), add_to_cart: eb('add_to_cart', '+', carts) }))
          .where('session_id', '=', sessionId)
          .execute();
      }
      return { duplicates, counters: (await countersOf(tx, sessionId)) ?? zeroCounters() };
    });
  }

  counters(sessionId: string): Promise<CounterRecord | undefined> {
    return countersOf(this.db, sessionId);
  }

  async order(sessionId: string, orderId: string): Promise<OrderRecord | undefined> {
    const r = await this.db.selectFrom('orders').selectAll().where('id', '=', orderId).where('session_id', '=', sessionId).executeTakeFirst();
    return r && orderOf(r);
  }

  async sessionHasProduct(sessionId: string, productId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('session_products')
      .select('product_id')
      .where('session_id', '=', sessionId)
      .where('product_id', '=', productId)
      .executeTakeFirst();
    return r !== undefined;
  }

  async openSessionsWithProducts(productIds: readonly string[]): Promise<string[]> {
    if (productIds.length === 0) return [];
    const found = new Set<string>();
    for (let i = 0; i < productIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('session_products as sp')
        .innerJoin('live_sessions as s', 's.id', 'sp.session_id')
        .select('sp.session_id')
        .distinct()
        .where('sp.product_id', 'in', productIds.slice(i, i + 500))
        .where('s.status', '!=', 'ended')
        .execute();
      for (const r of rows) found.add(r.session_id);
    }
    return [...found].sort();
  }

  async purgeRoomEvents(cutoff: number): Promise<number> {
    const r = await this.db.deleteFrom('room_events').where('created_at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async purgeOrders(cutoff: number): Promise<number> {
    const r = await this.db.deleteFrom('orders').where('created_at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async dueFlashSales(now: number): Promise<{ sessionId: string; flashSaleId: string }[]> {
    const rows = await this.db
      .selectFrom('flash_sales')
      .select(['id', 'session_id'])
      .where('ended_at', 'is', null)
      .where('ends_at', '<=', now)
      .execute();
    return rows.map((r) => ({ sessionId: r.session_id, flashSaleId: r.id }));
  }
}

class KyselyRoomTx implements RoomTx {
  constructor(
    private readonly tx: Transaction<Database>,
    readonly session: SessionRecord,
  ) {}

  products(): Promise<SessionProductRecord[]> {
    return sessionProducts(this.tx, this.session.id);
  }

  async product(productId: string): Promise<SessionProductRecord | undefined> {
    const r = await joinedProducts(this.tx, this.session.id).where('sp.product_id', '=', productId).executeTakeFirst();
    return r ? sessionProductOf(r) : undefined;
  }

  openFlashSales(): Promise<FlashSaleRecord[]> {
    return openSales(this.tx, this.session.id);
  }

  async flashSale(flashSaleId: string): Promise<FlashSaleRecord | undefined> {
    const r = await this.tx
      .selectFrom('flash_sales')
      .selectAll()
      .where('id', '=', flashSaleId)
      .where('session_id', '=', this.session.id)
      .executeTakeFirst();
    return r ? flashSaleOf(r) : undefined;
  }

  async setStatus(status: SessionStatus, at: { startedAt?: number; endedAt?: number }): Promise<void> {
    await this.tx
      .updateTable('live_sessions')
      .set({
        status,
        ...(at.startedAt !== undefined ? { started_at: at.startedAt } : {}),
        ...(at.endedAt !== undefined ? { ended_at: at.endedAt } : {}),
      })
      .where('id', '=', this.session.id)
      .execute();
  }

  async setPinnedAt(productId: string, pinnedAt: number | null): Promise<void> {
    await this.tx
      .updateTable('session_products')
      .set({ pinned_at: pinnedAt })
      .where('session_id', '=', this.session.id)
      .where('product_id', '=', productId)
      .execute();
  }

  async setMarkedSoldOut(productId: string, soldOut: boolean): Promise<void> {
    await this.tx
      .updateTable('session_products')
      .set({ sold_out: soldOut ? 1 : 0 })
      .where('session_id', '=', this.session.id)
      .where('product_id', '=', productId)
      .execute();
  }

  async insertFlashSale(s: FlashSaleRecord): Promise<void> {
    await this.tx
      .insertInto('flash_sales')
      .values({
        id: s.id,
        session_id: s.sessionId,
        product_id: s.productId,
        price_fen: s.priceFen,
        previous_price_fen: s.previousPriceFen,
        quantity: s.quantity,
        sold: s.sold,
        starts_at: s.startsAt,
        ends_at: s.endsAt,
        ended_at: s.endedAt,
        end_reason: s.endReason,
        created_at: s.createdAt,
      })
      .execute();
  }

  async updateFlashSale(flashSaleId: string, change: { sold?: number; endedAt?: number; endReason?: FlashSaleEndReason }): Promise<void> {
    await this.tx
      .updateTable('flash_sales')
      .set({
        ...(change.sold !== undefined ? { sold: change.sold } : {}),
        ...(change.endedAt !== undefined ? { ended_at: change.endedAt } : {}),
        ...(change.endReason !== undefined ? { end_reason: change.endReason } : {}),
      })
      .where('id', '=', flashSaleId)
      .execute();
  }

  async takeStock(productId: string, quantity: number): Promise<number | undefined> {
    const r = await this.tx
      .updateTable('products')
      .set((eb) => ({ stock: eb('stock', '-', quantity) }))
      .where('id', '=', productId)
      .where('stock', '>=', quantity)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return undefined;
    const row = await this.tx.selectFrom('products').select('stock').where('id', '=', productId).executeTakeFirstOrThrow();
    return Number(row.stock);
  }

  async orderByClientId(clientOrderId: string): Promise<OrderRecord | undefined> {
    const r = await this.tx
      .selectFrom('orders')
      .selectAll()
      .where('session_id', '=', this.session.id)
      .where('client_order_id', '=', clientOrderId)
      .executeTakeFirst();
    return r && orderOf(r);
  }

  async insertOrder(o: OrderRecord): Promise<void> {
    await this.tx
      .insertInto('orders')
      .values({
        id: o.id,
        session_id: o.sessionId,
        product_id: o.productId,
        client_order_id: o.clientOrderId,
        quantity: o.quantity,
        unit_price_fen: o.unitPriceFen,
        flash_sale_id: o.flashSaleId,
        replay_offset_ms: o.replayOffsetMs,
        created_at: o.createdAt,
      })
      .execute();
  }

  async addToCounters(change: Partial<CounterRecord>): Promise<void> {
    await this.tx
      .updateTable('session_counters')
      .set((eb) => ({
        likes: eb('likes', '+', change.likes ?? 0),
        add_to_cart: eb('add_to_cart', '+', change.addToCart ?? 0),
        orders: eb('orders', '+', change.orders ?? 0),
        units_sold: eb('units_sold', '+', change.unitsSold ?? 0),
      }))
      .where('session_id', '=', this.session.id)
      .execute();
  }

  async nextSeq(): Promise<number> {
    await this.tx
      .updateTable('live_sessions')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', this.session.id)
      .execute();
    const r = await this.tx.selectFrom('live_sessions').select('version').where('id', '=', this.session.id).executeTakeFirstOrThrow();
    return Number(r.version);
  }
}

function sessionQuery(db: Db) {
  return db
    .selectFrom('live_sessions as s')
    .leftJoin('staff_users as u', 'u.id', 's.host_user_id')
    .selectAll('s')
    .select('u.name as host_name');
}

async function sessionById(db: Db, sessionId: string, lock: boolean): Promise<SessionRecord | undefined> {
  if (lock) {
    // Lock the room row first (a plain row lock; the join below cannot be locked on its nullable side).
    const locked = await db.selectFrom('live_sessions').select('id').where('id', '=', sessionId).forUpdate().executeTakeFirst();
    if (!locked) return undefined;
  }
  const r = await sessionQuery(db).where('s.id', '=', sessionId).executeTakeFirst();
  return r ? sessionOf(r) : undefined;
}

function sessionOf(r: Selectable<LiveSessionTable> & { host_name: string | null }): SessionRecord {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: r.id,
    brandId: r.brand_id,
    title: { zh: r.title_zh, en: r.title_en },
    hostUserId: r.host_user_id,
    hostName: r.host_name,
    status: r.status as SessionStatus,
    hlsUrl: r.hls_url,
    posterUrl: r.poster_url,
    scheduledAt: n(r.scheduled_at),
    startedAt: n(r.started_at),
    endedAt: n(r.ended_at),
    createdAt: Number(r.created_at),
    version: Number(r.version),
  };
}

function joinedProducts(db: Db, sessionId: string) {
  return db
    .selectFrom('session_products as sp')
    .innerJoin('products as p', 'p.id', 'sp.product_id')
    .selectAll('p')
    .select(['sp.position', 'sp.sold_out', 'sp.pinned_at'])
    .where('sp.session_id', '=', sessionId);
}

async function sessionProducts(db: Db, sessionId: string): Promise<SessionProductRecord[]> {
  const rows = await joinedProducts(db, sessionId).orderBy('sp.position').execute();
  return rows.map(sessionProductOf);
}

function sessionProductOf(r: Selectable<ProductTable> & Pick<SessionProductTable, 'position' | 'sold_out' | 'pinned_at'>): SessionProductRecord {
  return {
    product: productOfRow(r),
    position: r.position,
    markedSoldOut: r.sold_out === 1,
    pinnedAt: r.pinned_at === null ? null : Number(r.pinned_at),
  };
}

async function openSales(db: Db, sessionId: string): Promise<FlashSaleRecord[]> {
  const rows = await db
    .selectFrom('flash_sales')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('ended_at', 'is', null)
    .orderBy('starts_at')
    .execute();
  return rows.map(flashSaleOf);
}

function flashSaleOf(r: Selectable<FlashSaleTable>): FlashSaleRecord {
  return {
    id: r.id,
    sessionId: r.session_id,
    productId: r.product_id,
    priceFen: Number(r.price_fen),
    previousPriceFen: Number(r.previous_price_fen),
    quantity: Number(r.quantity),
    sold: Number(r.sold),
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    endReason: r.end_reason as FlashSaleEndReason | null,
    createdAt: Number(r.created_at),
  };
}

async function countersOf(db: Db, sessionId: string): Promise<CounterRecord | undefined> {
  const r = await db.selectFrom('session_counters').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  return r ? { likes: Number(r.likes), addToCart: Number(r.add_to_cart), orders: Number(r.orders), unitsSold: Number(r.units_sold) } : undefined;
}

function zeroCounters(): CounterRecord {
  return { likes: 0, addToCart: 0, orders: 0, unitsSold: 0 };
}

function orderOf(r: Selectable<Database['orders']>): OrderRecord {
  return {
    id: r.id,
    sessionId: r.session_id,
    productId: r.product_id,
    clientOrderId: r.client_order_id,
    quantity: Number(r.quantity),
    unitPriceFen: Number(r.unit_price_fen),
    flashSaleId: r.flash_sale_id,
    replayOffsetMs: r.replay_offset_ms === null ? null : Number(r.replay_offset_ms),
    createdAt: Number(r.created_at),
  };
}
