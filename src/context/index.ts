/**
 * The explicit context every service method takes first: who acts, in which language, for which
 * request. Audits, consent checks and metering read it; nothing reads a global instead.
 */
export type StaffRole = 'admin' | 'host' | 'moderator' | 'compliance';
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'host', 'moderator', 'compliance'];

export type Locale = 'zh-CN' | 'en';

export interface StaffActor {
  readonly kind: 'staff';
  readonly id: string;
  readonly name: string;
  readonly role: StaffRole;
}

export interface AnonymousActor {
  readonly kind: 'anonymous';
}

/** The shell (CLI) acts with the operator's authority on this machine. */
export interface SystemActor {
  readonly kind: 'system';
  readonly reason: string;
}

export type Actor = StaffActor | AnonymousActor | SystemActor;

export interface RequestContext {
  readonly requestId: string;
  readonly actor: Actor;
  readonly locale: Locale;
}

export const ANONYMOUS: AnonymousActor = Object.freeze({ kind: 'anonymous' });

export function systemContext(reason: string, requestId = `system-${Date.now()}`): RequestContext {
  return { requestId, actor: { kind: 'system', reason }, locale: 'zh-CN' };
}

/** Time as a port, so countdowns and expiries can be tested without waiting. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
