/**
 * The live-room contract shared with the server: the TypeBox schemas in
 * src/modules/live-room/messages.ts give the server its validation and the pages these types.
 * Types only: nothing from the server is bundled into the pages.
 */
export type {
  ClientMessage,
  Counters,
  FlashSaleView,
  RoomState,
  ServerMessage,
  SessionStatus,
  ShowcaseChange,
  ShowcaseProduct,
} from '../../../src/modules/live-room/messages.ts';

import type { RoomState } from '../../../src/modules/live-room/messages.ts';

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
