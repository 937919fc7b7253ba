import type { AccessLogDb, AccessRecord } from '../access-log/index.js';
import type { Locale, RequestContext } from '../../context/index.js';

import type { TicketKind, TicketOutcome, TicketStatus } from './contract.js';

export { TICKET_KINDS, TICKET_STATUSES, type TicketKind, type TicketOutcome, type TicketStatus } from './contract.js';

/** One ticket as stored. */
export interface StoredTicket {
  /** Random 128-bit id (base64url), the reference number given to the viewer. */
  id: string;
  /** The viewer's keyed subject id: whose data key seals the details, and whom a deletion erases. */
  subject: string;
  kind: TicketKind;
  status: TicketStatus;
  /** The viewer's words, sealed under the subject's data key (envelope text). */
  detailsSealed: string;
  locale: Locale;
  region: string;
  createdAt: number;
  updatedAt: number;
  dueAt: number;
  closedAt: number | null;
  handledBy: string | null;
  reason: string | null;
}

export interface TicketListQuery {
  /** Omit for every status. */
  status?: TicketStatus;
  /** Only open tickets due before this time (epoch ms). */
  overdueAt?: number;
  limit: number;
  /** The last ticket of the previous page (lists run newest first). */
  before?: { createdAt: number; id: string };
}

export interface TicketCounts {
  /** Tickets per kind and status (every kind and status present, zero if none). */
  byKind: Record<TicketKind, Record<TicketStatus, number>>;
  /** Open tickets whose due date has passed. */
  overdue: number;
}

export interface TicketClosure {
  status: TicketOutcome;
  reason: string | null;
  handledBy: string;
  at: number;
}

export interface RightsTicketStore {
  insert(ticket: StoredTicket): Promise<void>;
  get(id: string): Promise<StoredTicket | undefined>;
  /** One viewer's tickets, newest first. */
  bySubject(subject: string): Promise<StoredTicket[]>;
  /** Tickets newest first (time, then id), filtered. */
  list(query: TicketListQuery): Promise<StoredTicket[]>;
  counts(now: number): Promise<TicketCounts>;
  /**
   * Closes an open ticket: compare-and-set on status, so of two officers resolving at once exactly
   * one succeeds. False when the ticket is not open (or does not exist).
   */
  close(id: string, closure: TicketClosure): Promise<boolean>;
  /** Retention: deletes closed tickets closed before `cutoff`; returns how many. */
  purgeClosedBefore(cutoff: number): Promise<number>;
  /**
   * Runs `work` in one transaction, with a store bound to it and the transaction itself (to append
   * to the access log in it): both commit or neither does.
   */
  transaction<T>(work: (scope: { tickets: RightsTicketStore; db: AccessLogDb }) => Promise<T>): Promise<T>;
}

/** Seals and opens one subject's values (the protection module). Opening an erased subject's value throws. */
export interface Sealer {
  sealTextFor(subject: string, field: { table: string; column: string; rowId: string }, plaintext: string): Promise<string>;
  openTextFor(subject: string, field: { table: string; column: string; rowId: string }, sealed: string): Promise<string>;
}

/** Appends to the access log, inside the given transaction (the access-log module). */
export interface AccessRecorder {
  record(ctx: RequestContext, access: AccessRecord, tx?: AccessLogDb): Promise<unknown>;
}

/** Staff accounts' sign-in names by id (the staff module), so officers see who handled a ticket. */
export interface StaffDirectory {
  /** Null when no account has this id. */
  nameOf(staffId: string): Promise<string | null>;
}

/**
 * Erases a viewer everywhere (the erasure workflow): idempotent, runs its own transaction, throws
 * if it could not finish.
 */
export type EraseSubject = (ctx: RequestContext, subject: string) => Promise<void>;
