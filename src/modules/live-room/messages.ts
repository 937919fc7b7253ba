/**
 * The live room's WebSocket protocol: one schema per message, joined in discriminated unions on
 * `type`. The schemas validate what clients send and type what the server sends.
 * Path: GET /api/v1/sessions/:sessionId/live (WebSocket).
 */
import { Type, type Static } from '@sinclair/typebox';

const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

export const SessionStatus = Type.Union([Type.Literal('scheduled'), Type.Literal('live'), Type.Literal('ended')]);
export type SessionStatus = Static<typeof SessionStatus>;

export const ShowcaseProduct = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  name: Bilingual,
  description: Bilingual,
  category: Type.String(),
  currency: Type.Literal('CNY'),
  priceFen: Type.Integer(),
  listPriceFen: Type.Integer(),
  stock: Type.Integer(),
  ageMinMonths: Type.Integer(),
  ageMaxMonths: Type.Integer(),
  attributes: Type.Record(Type.String(), Bilingual),
  imageUrl: Type.String(),
  position: Type.Integer(),
  /** True when the host marked it sold out or real stock is zero. */
  soldOut: Type.Boolean(),
  /** True when the host marked it sold out (kept apart from stock so the host can undo it). */
  markedSoldOut: Type.Boolean(),
  pinnedAt: Type.Union([Type.Integer(), Type.Null()]),
});
export type ShowcaseProduct = Static<typeof ShowcaseProduct>;

export const FlashSaleView = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  priceFen: Type.Integer(),
  /** The product's real price right before the sale (LC5). */
  previousPriceFen: Type.Integer(),
  quantity: Type.Integer(),
  /** min(quantity − sold, product stock): real stock, never a display number (A9). */
  remaining: Type.Integer(),
  startsAt: Type.Integer(),
  endsAt: Type.Integer(),
  status: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
  endReason: Type.Union([
    Type.Literal('expired'),
    Type.Literal('sold_out'),
    Type.Literal('ended_by_host'),
    Type.Literal('session_ended'),
    Type.Null(),
  ]),
});
export type FlashSaleView = Static<typeof FlashSaleView>;

export const Counters = Type.Object({
  /** WebSocket connections open to this room now. */
  viewers: Type.Integer(),
  likes: Type.Integer(),
  addToCart: Type.Integer(),
  orders: Type.Integer(),
  unitsSold: Type.Integer(),
});
export type Counters = Static<typeof Counters>;

export const RoomState = Type.Object({
  session: Type.Object({
    id: Type.String(),
    brandId: Type.String(),
    title: Bilingual,
    status: SessionStatus,
    hlsUrl: Type.Union([Type.String(), Type.Null()]),
    posterUrl: Type.Union([Type.String(), Type.Null()]),
    hostName: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.Union([Type.Integer(), Type.Null()]),
    endedAt: Type.Union([Type.Integer(), Type.Null()]),
  }),
  /** Who runs the room and sells in it (LC1). */
  brand: Type.Object({
    id: Type.String(),
    name: Bilingual,
    operator: Bilingual,
    merchantLicence: Type.String(),
    contactEmail: Type.String(),
    contactPhone: Type.String(),
  }),
  products: Type.Array(ShowcaseProduct),
  /** Pinned product ids, oldest pin first (at most 3). */
  pins: Type.Array(Type.String()),
  /** Flash sales running now. */
  flashSales: Type.Array(FlashSaleView),
  counters: Counters,
  /** Server clock when the state was read, so pages can correct countdowns for clock skew. */
  serverTime: Type.Integer(),
  /** Showcase version: every change raises it by one; a gap tells a client to resync. */
  seq: Type.Integer(),
});
export type RoomState = Static<typeof RoomState>;

// ---- server → client ----
const Seq = { seq: Type.Integer() };
export const ServerMessage = Type.Union([
  Type.Object({ type: Type.Literal('snapshot'), state: RoomState }),
  Type.Object({
    type: Type.Literal('session_status'),
    ...Seq,
    status: SessionStatus,
    startedAt: Type.Union([Type.Integer(), Type.Null()]),
    endedAt: Type.Union([Type.Integer(), Type.Null()]),
  }),
  Type.Object({ type: Type.Literal('pinned'), ...Seq, productId: Type.String(), pinnedAt: Type.Integer(), pins: Type.Array(Type.String()) }),
  Type.Object({ type: Type.Literal('unpinned'), ...Seq, productId: Type.String(), pins: Type.Array(Type.String()) }),
  Type.Object({
    type: Type.Literal('sold_out'),
    ...Seq,
    productId: Type.String(),
    soldOut: Type.Boolean(),
    markedSoldOut: Type.Boolean(),
  }),
  Type.Object({ type: Type.Literal('stock'), ...Seq, productId: Type.String(), stock: Type.Integer(), soldOut: Type.Boolean() }),
  /** Catalogue data of products in this room changed (price, names, stock …): replace them. */
  Type.Object({ type: Type.Literal('products_updated'), ...Seq, products: Type.Array(ShowcaseProduct) }),
  Type.Object({ type: Type.Literal('flash_sale_started'), ...Seq, flashSale: FlashSaleView }),
  Type.Object({ type: Type.Literal('flash_sale_updated'), ...Seq, flashSale: FlashSaleView }),
  Type.Object({ type: Type.Literal('flash_sale_ended'), ...Seq, flashSale: FlashSaleView }),
  Type.Object({ type: Type.Literal('counters'), counters: Counters }),
  Type.Object({ type: Type.Literal('ack'), clientEventId: Type.String(), duplicate: Type.Boolean() }),
  Type.Object({
    type: Type.Literal('error'),
    code: Type.String(),
    detail: Type.String(),
    clientEventId: Type.Optional(Type.String()),
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
  /**
   * Send nothing for this long: this connection sent too fast (`rate_limited`), or the node is
   * overloaded (`overloaded`). Writes refused meanwhile were answered with an error naming their
   * clientEventId; resend them (same id) after the wait.
   */
  Type.Object({ type: Type.Literal('slow_down'), reason: Type.Union([Type.Literal('rate_limited'), Type.Literal('overloaded')]), retryAfterMs: Type.Integer({ minimum: 1 }) }),
  Type.Object({ type: Type.Literal('pong'), serverTime: Type.Integer() }),
  /** The server is going away (shutdown) or dropped this client: reconnect (with backoff). */
  Type.Object({ type: Type.Literal('reconnect'), reason: Type.String() }),
  /** This viewer's recommendations (after watch_recommendations, then whenever they change). */
  Type.Object({ type: Type.Literal('recommendations'), recommendations: Type.Unknown() }),
  // Chat (src/modules/chat/contract.ts types the payloads).
  Type.Object({ type: Type.Literal('chat_history'), messages: Type.Array(Type.Unknown()), pinned: Type.Unknown(), settings: Type.Unknown() }),
  Type.Object({ type: Type.Literal('chat_message'), message: Type.Unknown() }),
  Type.Object({ type: Type.Literal('chat_messages'), messages: Type.Array(Type.Unknown()) }),
  Type.Object({ type: Type.Literal('chat_removed'), ids: Type.Array(Type.String()), reason: Type.String() }),
  Type.Object({ type: Type.Literal('chat_restored'), message: Type.Unknown() }),
  Type.Object({ type: Type.Literal('chat_pinned'), message: Type.Unknown() }),
  Type.Object({ type: Type.Literal('chat_settings'), settings: Type.Unknown() }),
  /** A chat message is stored (acked after its commit); `duplicate`: a resend of one stored already, named by its id. */
  Type.Object({ type: Type.Literal('chat_ack'), clientEventId: Type.String(), messageId: Type.String(), duplicate: Type.Optional(Type.Boolean()) }),
]);
export type ServerMessage = Static<typeof ServerMessage>;

/** Messages that change the showcase carry a seq; the rest do not. */
export type ShowcaseChange = Extract<ServerMessage, { seq: number }>;

// ---- client → server ----
const ClientEventId = Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const ClientMessage = Type.Union([
  Type.Object({ type: Type.Literal('like'), clientEventId: ClientEventId }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('add_to_cart'), clientEventId: ClientEventId, productId: Type.String({ minLength: 1, maxLength: 64 }) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('ping') }, { additionalProperties: false }),
  /** Ask for this viewer's recommendations over the socket, now and whenever they change. */
  Type.Object(
    {
      type: Type.Literal('watch_recommendations'),
      deviceId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{16,128}$' })),
      k: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    },
    { additionalProperties: false },
  ),
  /** Post in the room's chat (text only; its length and content are checked by the chat). */
  Type.Object(
    {
      type: Type.Literal('chat_send'),
      clientEventId: ClientEventId,
      deviceId: Type.String({ pattern: '^[A-Za-z0-9_-]{16,128}$' }),
      text: Type.String({ maxLength: 4000 }),
      nickname: Type.Optional(Type.String({ maxLength: 64 })),
      locale: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])),
    },
    { additionalProperties: false },
  ),
]);
export type ClientMessage = Static<typeof ClientMessage>;

export { ClientEventId };
