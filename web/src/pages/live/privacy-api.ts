/**
 * The privacy calls of the live page (src/workflows/privacy.routes.ts) and the order call with the
 * device id. Like the consent calls, these are the only ones that carry the device id, and only when
 * the viewer has one (they decided); nothing here creates it.
 */
import { apiRequest } from '../../ui/api.ts';
import type { AgeBand, ViewerMode } from '../../ui/consent.ts';
import type { Order } from '../../ui/contract.ts';
import { DEVICE_HEADER } from '../../ui/device.ts';

const enc = encodeURIComponent;

/** GET /api/v1/privacy/profile (the fields the live page reads). */
export interface PrivacyProfile {
  ageBand: AgeBand | null;
  declaredAt: number | null;
  mode: ViewerMode | (string & {});
  minorsMode: boolean;
  personalisation: boolean;
  guardianPurposes: string[];
}

const device = (deviceId: string): Record<string, string> => ({ [DEVICE_HEADER]: deviceId });

export const privacyProfile = (brandId: string, deviceId: string): Promise<PrivacyProfile> =>
  apiRequest('GET', `/api/v1/privacy/profile?brandId=${enc(brandId)}`, undefined, device(deviceId));

export const declareAge = (brandId: string, ageBand: AgeBand, deviceId: string): Promise<PrivacyProfile> =>
  apiRequest('PUT', '/api/v1/privacy/age', { brandId, ageBand }, device(deviceId));

export const setPersonalisation = (brandId: string, on: boolean, deviceId: string): Promise<PrivacyProfile> =>
  apiRequest('PUT', '/api/v1/privacy/personalisation', { brandId, on }, device(deviceId));

export const requestGuardian = (brandId: string, deviceId: string): Promise<{ code: string; expiresAt: number; path: string }> =>
  apiRequest('POST', '/api/v1/privacy/guardian-requests', { brandId }, device(deviceId));

/** POST /orders; with the device id (when there is one) the server applies minors' spending limits. */
export const placeOrderAs = (
  sessionId: string,
  order: { productId: string; quantity: number; clientOrderId: string; expectedUnitPriceFen?: number },
  deviceId: string | null,
): Promise<{ order: Order }> => apiRequest('POST', `/api/v1/sessions/${enc(sessionId)}/orders`, order, deviceId ? device(deviceId) : undefined);
