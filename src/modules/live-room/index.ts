/** Live room: sessions, showcase (pins, sold-out, flash sales), orders, real counters, WebSocket gateway. */
export { LiveRoomService, roomTopic, isRoomBookkeeping, flashSaleView, SESSION_ID_PATTERN, type RoomBusMessage, type NewSessionInput, type OrderInput, type ActivityListener, type RoomActivityEvent } from './service.js';
export { LiveRoomGateway, CLOSE, type GatewayMetrics } from './ws-gateway.js';
export { KyselyLiveStore } from './adapters/live-store.kysely.js';
export { liveRoomRoutes, sessionView, yuanToFen, type PlaceOrder, type LiveRoomRouteOptions } from './routes.js';
export * from './messages.js';
export type * from './ports.js';
