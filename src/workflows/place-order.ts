/**
 * Orders under minors mode (M2): a viewer who declared an age under 18 may spend at most a set
 * amount per order and per calendar month. The amount is reserved before the order (atomically, so
 * two orders at once cannot both pass) and released if the order does not go through. The price
 * reserved is the price charged: the order is placed with that price as the expected price.
 */
import { fail, type Result } from '../errors/index.js';
import type { RequestContext } from '../context/index.js';
import type { LiveRoomService, OrderInput, OrderRecord } from '../modules/live-room/index.js';
import type { ViewerProfileService } from '../modules/viewer-profile/index.js';

export async function placeOrderWithinLimits(
  m: { liveRoom: LiveRoomService; profile: ViewerProfileService },
  ctx: RequestContext,
  sessionId: string,
  input: OrderInput,
  deviceId: string | undefined,
): Promise<Result<{ order: OrderRecord; duplicate: boolean }>> {
  if (deviceId === undefined) return m.liveRoom.placeOrder(ctx, sessionId, input);
  if (!(await m.profile.declared(deviceId)).minor) return m.liveRoom.placeOrder(ctx, sessionId, input);

  const unitPriceFen = await m.liveRoom.unitPriceNow(sessionId, input.productId);
  // Unknown session or product: let the order path answer with its own precise error.
  if (unitPriceFen === undefined) return m.liveRoom.placeOrder(ctx, sessionId, input);
  if (input.expectedUnitPriceFen !== undefined && input.expectedUnitPriceFen !== unitPriceFen) {
    return fail('PRICE_CHANGED', `the unit price is now ${unitPriceFen} fen`, { unitPriceFen });
  }
  const reserved = await m.profile.reserveSpend(deviceId, unitPriceFen * input.quantity);
  if (!reserved.ok) return reserved;
  try {
    const placed = await m.liveRoom.placeOrder(ctx, sessionId, { ...input, expectedUnitPriceFen: unitPriceFen });
    if (!placed.ok || placed.value.duplicate) await reserved.value();
    return placed;
  } catch (err) {
    await reserved.value();
    throw err;
  }
}
