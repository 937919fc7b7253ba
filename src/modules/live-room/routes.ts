import { deviceClassOf } from '../../shared/device-class.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError, unwrap, type Result } from '../../errors/index.js';
import type { RequestContext } from '../../context/index.js';
import { originAllowed } from '../../http/index.js';
import { ClientEventId, FlashSaleView, RoomState } from './messages.js';
import type { LiveRoomService } from './service.js';
import type { LiveRoomGateway } from './ws-gateway.js';
import type { OrderRecord, SessionRecord } from './ports.js';
import type { OrderInput } from './service.js';

const SessionId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
const ProductId = Type.String({ minLength: 1, maxLength: 64 });
const Problem = { $ref: 'Problem#' };
const Bilingual = Type.Object({ zh: Type.String({ minLength: 1, maxLength: 200 }), en: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const StreamUrl = Type.Union([Type.String({ maxLength: 2000, pattern: '^(https://|/)[^\\s"\'<>]*$' }), Type.Null()]);
const SessionView = RoomState.properties.session;
const Price = Type.String({ pattern: '^(0|[1-9]\\d{0,8})(\\.\\d{1,2})?$', description: 'CNY amount, e.g. "99.00"' });

const OrderReceipt = Type.Object({
  order: Type.Object({
    id: Type.String(),
    productId: Type.String(),
    quantity: Type.Integer(),
    unitPriceFen: Type.Integer(),
    flashSaleId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.Integer(),
  }),
  duplicate: Type.Boolean(),
});

const sessionParams = Type.Object({ sessionId: SessionId });
const productParams = Type.Object({ sessionId: SessionId, productId: ProductId });

export function sessionView(s: SessionRecord) {
  return {
    id: s.id,
    brandId: s.brandId,
    title: s.title,
    status: s.status,
    hlsUrl: s.hlsUrl,
    posterUrl: s.posterUrl,
    hostName: s.hostName,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
  };
}

export function yuanToFen(price: string): number {
  const [yuan = '0', fen = ''] = price.split('.');
  return Number(yuan) * 100 + Number(fen.padEnd(2, '0'));
}

export type PlaceOrder = (
  ctx: RequestContext,
  sessionId: string,
  input: OrderInput,
  deviceId: string | undefined,
) => Promise<Result<{ order: OrderRecord; duplicate: boolean }>>;

export interface LiveRoomRouteOptions {
  allowedOrigins: readonly string[];
  /** Orders go through this (e.g. minors' spending limits, keyed by the optional device id header). */
  placeOrder?: PlaceOrder;
}

export function liveRoomRoutes(service: LiveRoomService, gateway: LiveRoomGateway, options: LiveRoomRouteOptions) {
  const placeOrder: PlaceOrder = options.placeOrder ?? ((ctx, sessionId, input) => service.placeOrder(ctx, sessionId, input));
  return async function routes(app: FastifyInstance): Promise<void> {
    // ---- public: viewers ----
    app.get(
      '/api/v1/sessions/:sessionId',
      {
        config: { access: 'public' },
        schema: { tags: ['live room'], summary: 'The room now: session, showcase, running flash sales, counters', params: sessionParams, response: { 200: RoomState, 404: Problem } },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        const state = await service.roomState(sessionId, gateway.viewerCount(sessionId));
        if (!state) throw new AppError('SESSION_NOT_FOUND');
        return state;
      },
    );

    app.get(
      '/api/v1/sessions/:sessionId/live',
      {
        websocket: true,
        config: { access: 'public' },
        schema: { tags: ['live room'], summary: 'WebSocket: snapshot then live showcase changes (see messages.ts)', params: sessionParams },
        preValidation: async (request) => {
          if (!originAllowed(request, options.allowedOrigins)) throw new AppError('ORIGIN_NOT_ALLOWED');
        },
      },
      (socket, request) => {
        const { sessionId } = request.params as { sessionId: string };
        // Only the device's coarse class is kept, never the User-Agent itself.
        void gateway.join(sessionId, socket, { countAsViewer: request.ctx.actor.kind !== 'staff', device: deviceClassOf(request.headers['user-agent']) }).catch((err) => {
          request.log.error({ err }, 'websocket join failed');
          socket.close(1011, 'internal error');
        });
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/events',
      {
        config: { access: 'public' },
        schema: {
          tags: ['live room'],
          summary: 'Count a like or an add-to-cart (anonymous; once per clientEventId)',
          params: sessionParams,
          body: Type.Object(
            {
              type: Type.Union([Type.Literal('like'), Type.Literal('add_to_cart')]),
              clientEventId: ClientEventId,
              productId: Type.Optional(ProductId),
            },
            { additionalProperties: false },
          ),
          response: { 202: Type.Object({ accepted: Type.Literal(true), duplicate: Type.Boolean() }), 404: Problem, 409: Problem },
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const body = request.body as { type: 'like' | 'add_to_cart'; clientEventId: string; productId?: string };
        const { duplicate } = unwrap(await service.recordEvent(request.ctx, sessionId, body));
        return reply.status(202).send({ accepted: true, duplicate });
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/orders',
      {
        config: { access: 'public' },
        schema: {
          tags: ['live room'],
          summary: 'Buy from the live room at the current (or flash-sale) price; idempotent per clientOrderId',
          params: sessionParams,
          body: Type.Object(
            {
              productId: ProductId,
              quantity: Type.Integer({ minimum: 1, maximum: 99 }),
              clientOrderId: ClientEventId,
              expectedUnitPriceFen: Type.Optional(
                Type.Integer({ minimum: 0, description: 'The unit price shown to the viewer; a different current price answers 409 PRICE_CHANGED' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: OrderReceipt, 201: OrderReceipt, 409: Problem },
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const body = request.body as { productId: string; quantity: number; clientOrderId: string; expectedUnitPriceFen?: number };
        const device = request.headers['x-qingliu-device'];
        const deviceId = typeof device === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(device) ? device : undefined;
        const { order, duplicate } = unwrap(await placeOrder(request.ctx, sessionId, body, deviceId));
        return reply.status(duplicate ? 200 : 201).send({ order, duplicate });
      },
    );

    // ---- staff ----
    app.get(
      '/api/v1/sessions',
      {
        config: { access: 'staff' },
        schema: { tags: ['live room'], summary: 'Live sessions', response: { 200: Type.Object({ items: Type.Array(SessionView) }) } },
      },
      async (request) => ({ items: (await service.listSessions(request.ctx)).map(sessionView) }),
    );

    app.post(
      '/api/v1/sessions',
      {
        config: { access: ['admin'] },
        schema: {
          tags: ['live room'],
          summary: 'Schedule a live session (products default to the whole brand catalogue)',
          body: Type.Object(
            {
              id: Type.Optional(SessionId),
              brandId: Type.String({ maxLength: 64 }),
              title: Bilingual,
              hostUserId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
              hlsUrl: Type.Optional(StreamUrl),
              posterUrl: Type.Optional(StreamUrl),
              productIds: Type.Optional(Type.Array(ProductId, { maxItems: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ session: SessionView }) },
        },
      },
      async (request, reply) => {
        const session = unwrap(await service.createSession(request.ctx, request.body as Parameters<LiveRoomService['createSession']>[1]));
        return reply.status(201).send({ session: sessionView(session) });
      },
    );

    app.patch(
      '/api/v1/sessions/:sessionId',
      {
        config: { access: ['admin', 'host'] },
        schema: {
          tags: ['live room'],
          summary: 'Change title, stream URL or poster (hosts of the session); assign the host (admins)',
          params: sessionParams,
          body: Type.Object(
            {
              title: Type.Optional(Bilingual),
              hostUserId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
              hlsUrl: Type.Optional(StreamUrl),
              posterUrl: Type.Optional(StreamUrl),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: Type.Object({ session: SessionView }) },
        },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        const session = unwrap(await service.updateSession(request.ctx, sessionId, request.body as object));
        return { session: sessionView(session) };
      },
    );

    const hostRoute = { access: ['admin', 'host'] as const };

    app.post(
      '/api/v1/sessions/:sessionId/start',
      { config: hostRoute, schema: { tags: ['host'], summary: 'Go live', params: sessionParams, response: { 200: Type.Object({ session: SessionView }) } } },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        return { session: sessionView(unwrap(await service.goLive(request.ctx, sessionId))) };
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/end',
      {
        config: hostRoute,
        schema: { tags: ['host'], summary: 'End the live session (ends running flash sales)', params: sessionParams, response: { 200: Type.Object({ session: SessionView }) } },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        return { session: sessionView(unwrap(await service.endSession(request.ctx, sessionId))) };
      },
    );

    const Pins = Type.Object({ pins: Type.Array(Type.String()) });
    app.put(
      '/api/v1/sessions/:sessionId/pins/:productId',
      { config: hostRoute, schema: { tags: ['host'], summary: 'Pin a product (at most 3 at once)', params: productParams, response: { 200: Pins } } },
      async (request) => {
        const { sessionId, productId } = request.params as { sessionId: string; productId: string };
        return unwrap(await service.pin(request.ctx, sessionId, productId));
      },
    );

    app.delete(
      '/api/v1/sessions/:sessionId/pins/:productId',
      { config: hostRoute, schema: { tags: ['host'], summary: 'Unpin a product', params: productParams, response: { 200: Pins } } },
      async (request) => {
        const { sessionId, productId } = request.params as { sessionId: string; productId: string };
        return unwrap(await service.unpin(request.ctx, sessionId, productId));
      },
    );

    app.put(
      '/api/v1/sessions/:sessionId/products/:productId/sold-out',
      {
        config: hostRoute,
        schema: {
          tags: ['host'],
          summary: 'Mark or unmark a product sold out in this session',
          params: productParams,
          body: Type.Object({ soldOut: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: Type.Object({ productId: Type.String(), soldOut: Type.Boolean(), markedSoldOut: Type.Boolean() }) },
        },
      },
      async (request) => {
        const { sessionId, productId } = request.params as { sessionId: string; productId: string };
        const { soldOut } = request.body as { soldOut: boolean };
        return unwrap(await service.setSoldOut(request.ctx, sessionId, productId, soldOut));
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/flash-sales',
      {
        config: hostRoute,
        schema: {
          tags: ['host'],
          summary: 'Start a flash sale: real quantity (≤ stock) and a real end time',
          params: sessionParams,
          body: Type.Object(
            {
              productId: ProductId,
              price: Price,
              quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
              durationSeconds: Type.Integer({ minimum: 10, maximum: 86_400 }),
            },
            { additionalProperties: false },
          ),
          response: { 201: FlashSaleView },
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const b = request.body as { productId: string; price: string; quantity: number; durationSeconds: number };
        const sale = unwrap(
          await service.startFlashSale(request.ctx, sessionId, {
            productId: b.productId,
            priceFen: yuanToFen(b.price),
            quantity: b.quantity,
            durationSeconds: b.durationSeconds,
          }),
        );
        return reply.status(201).send(sale);
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/flash-sales/:flashSaleId/end',
      {
        config: hostRoute,
        schema: {
          tags: ['host'],
          summary: 'End a flash sale now',
          params: Type.Object({ sessionId: SessionId, flashSaleId: Type.String({ maxLength: 64 }) }),
          response: { 200: FlashSaleView },
        },
      },
      async (request) => {
        const { sessionId, flashSaleId } = request.params as { sessionId: string; flashSaleId: string };
        return unwrap(await service.endFlashSale(request.ctx, sessionId, flashSaleId));
      },
    );
  };
}

