/**
 * The live-room contract shared with the server: the TypeBox schemas in
 * src/modules/live-room/messages.ts give the server its validation and the pages these types.
 * Types only: nothing from the server is bundled into the pages.
 */
export type {
  Counters,
  FlashSaleView,
  RoomState,
  SessionStatus,
  ShowcaseChange,
  ShowcaseProduct,
} from '../../../src/modules/live-room/messages.ts';

import type { ClientMessage as RoomClientMessage, RoomState, ServerMessage as RoomServerMessage } from '../../../src/modules/live-room/messages.ts';
import type { ChatSendFrame, ChatServerFrame } from '../../../src/modules/chat/contract.ts';

/**
 * What the room socket sends: the live room's messages and, on the same socket, the chat's frames
 * (the room's schema leaves their payloads open; src/modules/chat/contract.ts types them).
 */
export type ServerMessage = Exclude<RoomServerMessage, { type: ChatServerFrame['type'] }> | ChatServerFrame;
/** What the page may send on the room socket. */
export type ClientMessage = RoomClientMessage | ChatSendFrame;
/** The room socket's `error` frame (also used for refused chat messages). */
export type ErrorFrame = Extract<RoomServerMessage, { type: 'error' }>;

export type RoomSession = RoomState['session'];
export type RoomBrand = RoomState['brand'];

export type StaffRole = 'admin' | 'host' | 'moderator' | 'compliance';

export interface StaffUser {
  id: string;
  name: string;
  role: StaffRole;
}

export interface Order {
  id: string;
  productId: string;
  quantity: number;
  unitPriceFen: number;
  flashSaleId: string | null;
  createdAt: number;
}
