/**
 * Behaviour events of the viewer page (POST /api/v1/sessions/:id/behaviour): a product opened
 * (`click`), added to the cart, bought, a like. Sent only when this browser already has a device id —
 * the viewer has decided on consent — and never creates one. Fire and forget: a failure is ignored and
 * nothing waits for it. The page is not the guard: the server stores an event only under a live
 * consent for its purpose and otherwise counts it anonymously.
 */
import { apiRequest } from './api.ts';
import { storedDeviceId } from './device.ts';
import { newClientId } from './ids.ts';

export type BehaviourType = 'view' | 'click' | 'add_to_cart' | 'purchase' | 'like' | 'dislike' | 'not_interested';

export interface BehaviourBody {
  deviceId: string;
  type: BehaviourType;
  clientEventId: string;
  productId?: string;
}

/** The request body, or null when there is no device id (then nothing is sent). */
export function behaviourBody(type: BehaviourType, deviceId: string | null, productId?: string, clientEventId: string = newClientId()): BehaviourBody | null {
  if (!deviceId) return null;
  return productId ? { deviceId, type, clientEventId, productId } : { deviceId, type, clientEventId };
}

export type BehaviourPost = (path: string, body: BehaviourBody) => Promise<unknown>;

const defaultPost: BehaviourPost = (path, body) => apiRequest('POST', path, body);

/**
 * Sends one event if this browser has a device id; returns whether it was sent. Never throws and
 * never rejects.
 */
export function sendBehaviour(
  sessionId: string,
  type: BehaviourType,
  productId?: string,
  deps: { deviceId?: () => string | null; post?: BehaviourPost } = {},
): boolean {
  let body: BehaviourBody | null;
  try {
    body = behaviourBody(type, (deps.deviceId ?? storedDeviceId)(), productId);
  } catch {
    return false;
  }
  if (!body) return false;
  const post = deps.post ?? defaultPost;
  try {
    post(`/api/v1/sessions/${encodeURIComponent(sessionId)}/behaviour`, body).catch(() => undefined);
  } catch {
    return false;
  }
  return true;
}
