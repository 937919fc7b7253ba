/**
 * Every error code Qingliu can answer with, and the one table mapping each to its HTTP status.
 * Codes are stable: clients and docs/errors.md rely on them (a test checks every code is documented).
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  SETUP_TOKEN_INVALID: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  FLASH_SALE_NOT_FOUND: 404,
  TICKET_NOT_FOUND: 404,
  UNKNOWN_PURPOSE: 400,
  REASON_REQUIRED: 400,
  METHOD_NOT_ALLOWED: 405,
  USER_EXISTS: 409,
  SESSION_EXISTS: 409,
  SETUP_ALREADY_DONE: 409,
  SESSION_NOT_LIVE: 409,
  SESSION_ENDED: 409,
  SESSION_ALREADY_LIVE: 409,
  PIN_LIMIT_REACHED: 409,
  PRODUCT_NOT_IN_SESSION: 409,
  PRODUCT_SOLD_OUT: 409,
  INSUFFICIENT_STOCK: 409,
  FLASH_SALE_ACTIVE: 409,
  FLASH_SALE_ENDED: 409,
  PRICE_CHANGED: 409,
  NOTICE_OUTDATED: 409,
  NOTICE_MISMATCH: 409,
  NOTICE_NOT_FOUND: 404,
  DUPLICATE_REQUEST: 409,
  TICKET_CLOSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IMPORT_INVALID: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_READY: 503,
  OVERLOADED: 503,
  AUDIT_KEY_UNAVAILABLE: 503,
  AUDIT_ENTRY_UNSIGNED: 409,
  AGE_DECLARATION_LOCKED: 409,
  GUARDIAN_CONSENT_REQUIRED: 403,
  MINORS_MODE_RESTRICTED: 403,
  GUARDIAN_CODE_INVALID: 404,
  GUARDIAN_SAME_DEVICE: 409,
  SPENDING_LIMIT_REACHED: 403,
  TAG_NOT_FOUND: 404,
  DECISION_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  ORDER_NOT_OF_RECOMMENDATION: 409,
  ORDER_ALREADY_CLAIMED: 409,
  TRANSFER_NOT_ALLOWED: 451,
  TRANSFER_FAILED: 502,
  DESTINATION_NOT_FOUND: 404,
  DESTINATION_EXISTS: 409,
  BASIS_NOT_FOUND: 404,
  BASIS_ALREADY_REVOKED: 409,
  EXPERIMENT_NOT_FOUND: 404,
  EXPERIMENT_STATE: 409,
  EXPERIMENT_CONFLICT: 409,
  SIMULATION_REFUSED: 403,
  AUDIT_NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404,
  AUDIT_EMPTY: 422,
  AUDIT_UNAVAILABLE: 503,
  CHAT_EMPTY: 400,
  CHAT_TOO_LONG: 400,
  CHAT_LINK_NOT_ALLOWED: 403,
  CHAT_BLOCKED_WORDS: 422,
  CHAT_BANNED: 403,
  CHAT_RATE_LIMITED: 429,
  CHAT_SLOW_MODE: 429,
  MESSAGE_NOT_FOUND: 404,
  BAN_NOT_FOUND: 404,
  HANDOFF_NOT_FOUND: 404,
  SESSION_NOT_ENDED: 409,
  ASSISTANT_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request did not match its schema',
  MALFORMED_JSON: 'The request body is not valid JSON',
  UNAUTHENTICATED: 'Sign in required',
  INVALID_CREDENTIALS: 'Name or password is wrong',
  FORBIDDEN: 'Your role may not do this',
  ORIGIN_NOT_ALLOWED: 'The request came from an origin that is not allowed',
  SETUP_TOKEN_INVALID: 'The setup link is invalid or already used',
  NOT_FOUND: 'Not found',
  ROUTE_NOT_FOUND: 'No such route',
  PRODUCT_NOT_FOUND: 'No such product',
  SESSION_NOT_FOUND: 'No such live session',
  USER_NOT_FOUND: 'No such staff account',
  FLASH_SALE_NOT_FOUND: 'No such flash sale',
  TICKET_NOT_FOUND: 'No such rights request',
  UNKNOWN_PURPOSE: 'No such processing purpose',
  REASON_REQUIRED: 'A rejected rights request needs a reason',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  USER_EXISTS: 'A staff account with this name exists',
  SESSION_EXISTS: 'A live session with this id exists',
  SETUP_ALREADY_DONE: 'An administrator already exists',
  SESSION_NOT_LIVE: 'The live session is not live',
  SESSION_ENDED: 'The live session has ended',
  SESSION_ALREADY_LIVE: 'The live session is already live',
  PIN_LIMIT_REACHED: 'At most 3 products can be pinned at once',
  PRODUCT_NOT_IN_SESSION: 'The product is not in this live session',
  PRODUCT_SOLD_OUT: 'The product is sold out',
  INSUFFICIENT_STOCK: 'Not enough stock',
  FLASH_SALE_ACTIVE: 'A flash sale is already running for this product',
  FLASH_SALE_ENDED: 'The flash sale has ended',
  PRICE_CHANGED: 'The price changed since it was shown; nothing was charged',
  NOTICE_OUTDATED: 'The privacy notice has changed; the viewer must be asked again',
  NOTICE_MISMATCH: 'The decision does not refer to the notice text that was shown',
  NOTICE_NOT_FOUND: 'No archived notice text has this hash',
  DUPLICATE_REQUEST: 'This request id was already used for a different request',
  TICKET_CLOSED: 'The rights request is already closed',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  IMPORT_INVALID: 'The catalogue file has invalid rows; nothing was imported',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
  NOT_READY: 'The service is not ready',
  OVERLOADED: 'The server is busy; try again shortly',
  AUDIT_KEY_UNAVAILABLE: 'The access-log signing key is missing, unreadable or not the key that signed the log',
  AUDIT_ENTRY_UNSIGNED: 'The access-log entry is not covered by a signed checkpoint yet; sign one and ask again',
  AGE_DECLARATION_LOCKED: 'A declared minor age cannot be raised; erase your data to start again',
  GUARDIAN_CONSENT_REQUIRED: "A viewer under 14 needs a guardian's consent for this",
  MINORS_MODE_RESTRICTED: 'Minors mode does not allow this purpose',
  GUARDIAN_CODE_INVALID: 'The guardian link is invalid, expired or already used',
  GUARDIAN_SAME_DEVICE: 'A guardian must consent from their own device',
  SPENDING_LIMIT_REACHED: 'This order is over the minors-mode spending limit',
  TAG_NOT_FOUND: 'No such interest tag',
  DECISION_NOT_FOUND: 'No such recommendation was shown in this session',
  ORDER_NOT_FOUND: 'No such order was placed in this session',
  ORDER_NOT_OF_RECOMMENDATION: 'This order did not come from this recommendation: another product, or placed before it was shown',
  ORDER_ALREADY_CLAIMED: 'This order already answers for another recommendation',
  TRANSFER_NOT_ALLOWED: 'The transfer of personal information out of the region is not allowed: a transfer basis, a separate consent or a declared category is missing',
  TRANSFER_FAILED: 'The recipient did not accept the transfer',
  DESTINATION_NOT_FOUND: 'No such transfer destination',
  DESTINATION_EXISTS: 'A transfer destination with this id exists',
  BASIS_NOT_FOUND: 'No such transfer basis',
  BASIS_ALREADY_REVOKED: 'The transfer basis is already revoked',
  EXPERIMENT_NOT_FOUND: 'No such experiment',
  EXPERIMENT_STATE: 'The experiment is not in a state that allows this',
  EXPERIMENT_CONFLICT: 'Another experiment already runs in this room',
  SIMULATION_REFUSED: 'Simulated traffic is refused outside demo mode (no faked traffic in real rooms)',
  AUDIT_NOT_FOUND: 'No such fairness audit',
  ALERT_NOT_FOUND: 'No such fairness alert, or it was acknowledged already',
  AUDIT_EMPTY: 'No decisions to audit in that scope',
  AUDIT_UNAVAILABLE: 'The audit could not be computed just now; try again',
  CHAT_EMPTY: 'The chat message is empty',
  CHAT_TOO_LONG: 'The chat message is longer than the room allows',
  CHAT_LINK_NOT_ALLOWED: 'Only staff may post links or QR codes in the chat',
  CHAT_BLOCKED_WORDS: "The chat message contains a word this room's filter blocks",
  CHAT_BANNED: 'You are banned from this chat',
  CHAT_RATE_LIMITED: 'Too many chat messages; wait a moment',
  CHAT_SLOW_MODE: 'Slow mode is on in this room; wait before sending again',
  MESSAGE_NOT_FOUND: 'No such chat message in this session',
  BAN_NOT_FOUND: 'No such chat ban, or it was lifted already',
  HANDOFF_NOT_FOUND: 'No such question in the host queue, or it was handled already',
  SESSION_NOT_ENDED: 'The live session has not ended yet',
  ASSISTANT_UNAVAILABLE: 'The shopping assistant is not available right now',
};

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** A fault or a refused request with a stable code. `detail` must never contain personal data. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extensions: Record<string, unknown>;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, detail?: string, extensions: Record<string, unknown> = {}) {
    super(detail ?? ERROR_TITLES[code]);
    this.name = 'AppError';
    this.code = code;
    this.detail = detail;
    this.status = ERROR_STATUS[code];
    this.extensions = extensions;
  }
}

export function problemOf(code: ErrorCode, detail?: string, extensions: Record<string, unknown> = {}): ProblemDetails {
  return {
    type: `urn:qingliu:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    code,
    ...(detail !== undefined ? { detail } : {}),
    ...extensions,
  };
}

/** Expected outcomes are values: services return these; routes turn failures into problems. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; detail?: string; extensions?: Record<string, unknown> };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ErrorCode, detail?: string, extensions?: Record<string, unknown>): Result<T> => ({
  ok: false,
  code,
  ...(detail !== undefined ? { detail } : {}),
  ...(extensions !== undefined ? { extensions } : {}),
});

/** Returns the value or throws the failure as an AppError (for route handlers and the CLI). */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new AppError(result.code, result.detail, result.extensions);
}
