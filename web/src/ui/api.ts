/**
 * The HTTP client for /api/v1. Errors arrive as application/problem+json; every failure, including
 * a network error or a non-JSON answer, becomes an ApiError carrying a problem with `title` and `code`.
 */
import type { ArchivedNotice, ConsentDecisionBody, ConsentNotice, ConsentReceipt, ConsentStatus } from './consent.ts';
import type { FlashSaleView, Order, RoomSession, RoomState, StaffUser } from './contract.ts';
import { DEVICE_HEADER } from './device.ts';
import type { Locale } from '../i18n/index.ts';
import { withRetries } from './resend.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: unknown[];
  /** With OVERLOADED and RATE_LIMITED: how long to wait before sending the same request again. */
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

export const NETWORK_ERROR = 'NETWORK_ERROR';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a problem body defensively: a proxy or a crash may answer with HTML or nothing. */
export function toProblem(status: number, statusText: string, body: unknown): Problem {
  const problem: Problem = {
    type: 'about:blank',
    title: statusText || `HTTP ${status}`,
    status,
    code: `HTTP_${status}`,
  };
  if (!isRecord(body)) return problem;
  if (typeof body['type'] === 'string') problem.type = body['type'];
  if (typeof body['title'] === 'string' && body['title']) problem.title = body['title'];
  if (typeof body['code'] === 'string' && body['code']) problem.code = body['code'];
  if (typeof body['status'] === 'number') problem.status = body['status'];
  if (typeof body['detail'] === 'string') problem.detail = body['detail'];
  if (Array.isArray(body['errors'])) problem.errors = body['errors'];
  if (typeof body['retryAfterSeconds'] === 'number') problem.retryAfterSeconds = body['retryAfterSeconds'];
  return problem;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Calls the API. Writes always send a JSON body (`{}` when there is nothing to say) so the server's
 * content-type check and CSRF origin check see a normal JSON request.
 */
export async function apiRequest<T>(method: Method, path: string, body?: unknown, extraHeaders?: Record<string, string>): Promise<T> {
  const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json, application/problem+json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new ApiError({ type: 'about:blank', title: cause instanceof Error ? cause.message : 'Network error', status: 0, code: NETWORK_ERROR });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) throw new ApiError(toProblem(response.status, response.statusText, parsed));
  // The boundary: the server's schemas guarantee the shape, so the parsed JSON is taken as T.
  return parsed as T;
}

const enc = encodeURIComponent;
const sessionPath = (sessionId: string): string => `/api/v1/sessions/${enc(sessionId)}`;

// ---- viewer ----
export const getRoomState = (sessionId: string): Promise<RoomState> => apiRequest('GET', sessionPath(sessionId));

export const sendRoomEvent = (
  sessionId: string,
  event: { type: 'like'; clientEventId: string } | { type: 'add_to_cart'; clientEventId: string; productId: string },
): Promise<{ accepted: boolean; duplicate: boolean }> =>
  // Idempotent by its clientEventId: retried through load refusals and network failures.
  withRetries(() => apiRequest('POST', `${sessionPath(sessionId)}/events`, event));

export const placeOrder = (
  sessionId: string,
  order: { productId: string; quantity: number; clientOrderId: string; expectedUnitPriceFen?: number },
): Promise<{ order: Order }> => apiRequest('POST', `${sessionPath(sessionId)}/orders`, order);

// ---- consent (the only calls that carry the device id) ----
export const getNotice = (brandId: string, locale: Locale): Promise<ConsentNotice> =>
  apiRequest('GET', `/api/v1/consent/notice?brandId=${enc(brandId)}&locale=${enc(locale)}`);
/** The words behind a record's notice hash (public: every archived text was shown to viewers). */
export const getArchivedNotice = (hash: string): Promise<ArchivedNotice> => apiRequest('GET', `/api/v1/notices/${enc(hash)}`);
export const decideConsent = (decision: ConsentDecisionBody): Promise<ConsentReceipt> => apiRequest('POST', '/api/v1/consent', decision);
export const consentStatus = (brandId: string, deviceId: string): Promise<ConsentStatus> =>
  apiRequest('GET', `/api/v1/consent/status?brandId=${enc(brandId)}`, undefined, { [DEVICE_HEADER]: deviceId });
export const consentReceipts = (deviceId: string): Promise<{ items: ConsentReceipt[] }> =>
  apiRequest('GET', '/api/v1/consent/receipts', undefined, { [DEVICE_HEADER]: deviceId });

// ---- staff auth ----
export const login = (name: string, password: string): Promise<{ user: StaffUser; expiresAt: number }> =>
  apiRequest('POST', '/api/v1/auth/login', { name, password });
export const logout = (): Promise<void> => apiRequest('POST', '/api/v1/auth/logout');
export const currentUser = (): Promise<{ user: StaffUser }> => apiRequest('GET', '/api/v1/auth/me');
export const setupStatus = (): Promise<{ needed: boolean }> => apiRequest('GET', '/api/v1/auth/setup');
export const createFirstAdmin = (token: string, name: string, password: string): Promise<{ user: StaffUser }> =>
  apiRequest('POST', '/api/v1/auth/setup', { token, name, password });

// ---- host ----
export const startSession = (sessionId: string): Promise<{ session: RoomSession }> => apiRequest('POST', `${sessionPath(sessionId)}/start`);
export const endSession = (sessionId: string): Promise<{ session: RoomSession }> => apiRequest('POST', `${sessionPath(sessionId)}/end`);
export const pinProduct = (sessionId: string, productId: string): Promise<{ pins: string[] }> =>
  apiRequest('PUT', `${sessionPath(sessionId)}/pins/${enc(productId)}`);
export const unpinProduct = (sessionId: string, productId: string): Promise<{ pins: string[] }> =>
  apiRequest('DELETE', `${sessionPath(sessionId)}/pins/${enc(productId)}`);
export const setSoldOut = (
  sessionId: string,
  productId: string,
  soldOut: boolean,
): Promise<{ productId: string; soldOut: boolean; markedSoldOut: boolean }> =>
  apiRequest('PUT', `${sessionPath(sessionId)}/products/${enc(productId)}/sold-out`, { soldOut });
export const startFlashSale = (
  sessionId: string,
  sale: { productId: string; price: string; quantity: number; durationSeconds: number },
): Promise<FlashSaleView> => apiRequest('POST', `${sessionPath(sessionId)}/flash-sales`, sale);
export const endFlashSale = (sessionId: string, flashSaleId: string): Promise<FlashSaleView> =>
  apiRequest('POST', `${sessionPath(sessionId)}/flash-sales/${enc(flashSaleId)}/end`);
