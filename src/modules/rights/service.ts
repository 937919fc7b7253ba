/**
 * Rights requests as tickets (PIPL 44–50; R3, S3). A viewer files a request from their device; the
 * words they write are personal data, sealed under their own data key, so erasing them also makes
 * the words unreadable (shown as erased, never an error). Compliance officers see metadata in lists;
 * opening a ticket's words and closing a ticket are each appended to the access log in the same
 * transaction. A rejection always stores a reason the viewer is shown. Completing a deletion request
 * erases the viewer first; if that fails, the ticket stays open.
 */
import { randomBytes } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, Locale, RequestContext } from '../../context/index.js';
import type { AccessAction } from '../access-log/index.js';
import { isProtectionError } from '../protection/index.js';
import {
  TICKET_KINDS,
  TICKET_STATUSES,
  type AccessRecorder,
  type EraseSubject,
  type RightsTicketStore,
  type Sealer,
  type StaffDirectory,
  type StoredTicket,
  type TicketKind,
  type TicketOutcome,
  type TicketStatus,
} from './ports.js';

export const DETAILS_MAX = 2000;
export const REASON_MAX = 1000;
export const LIST_LIMIT_MAX = 500;
const DAY_MS = 86_400_000;
/** The access-log purpose of every staff access made while handling a ticket. */
export const RIGHTS_PURPOSE = 'rights-request';

export const RIGHTS_DEFAULTS = {
  /** Days from filing to the due date (PIPL 50: "promptly"; 15 days is the usual service commitment). */
  dueDays: 15,
} as const;

export interface RightsOptions {
  readonly dueDays?: number;
}

export interface RightsDeps {
  store: RightsTicketStore;
  sealer: Sealer;
  /** The viewer's keyed subject id for a device id (protection.subjectFor(deviceId, region)). */
  subjectOf(deviceId: string): string | Promise<string>;
  accessLog: AccessRecorder;
  eraseSubject: EraseSubject;
  clock: Clock;
  region: string;
  /** Told after a ticket is filed (e.g. experiments count complaints per arm). */
  onFiled?: (subject: string, kind: TicketKind) => void | Promise<void>;
  /** Names who handled a ticket; without it officers see the account id only. */
  staff?: StaffDirectory;
}

export interface NewTicket {
  kind: string;
  details: string;
  locale: Locale;
}

/** A ticket as its viewer sees it: their own words (or that they were erased), status, due date, reason. */
export interface ViewerTicket {
  id: string;
  kind: TicketKind;
  status: TicketStatus;
  details: string | null;
  detailsErased: boolean;
  locale: Locale;
  region: string;
  createdAt: number;
  updatedAt: number;
  dueAt: number;
  closedAt: number | null;
  reason: string | null;
}

import type { StaffTicket, TicketMetadata, TicketPage, TicketSummary } from './contract.js';

export type { StaffTicket, TicketMetadata, TicketPage, TicketSummary };

export interface TicketFilter {
  status: TicketStatus | 'all';
  overdue: boolean;
  limit: number;
  after?: string;
}

export interface Resolution {
  outcome: TicketOutcome;
  reason?: string;
}

export const isTicketKind = (v: unknown): v is TicketKind => (TICKET_KINDS as readonly unknown[]).includes(v);

/**
 * The access log names a viewer as `viewer:<subject id>`: subject ids are base64url and may begin
 * with "-" or "_", which the log does not accept as a first character.
 */
export const accessLogSubjectOf = (subject: string): string => `viewer:${subject}`;

export class RightsService {
  readonly #dueMs: number;

  constructor(
    private readonly deps: RightsDeps,
    options: RightsOptions = {},
  ) {
    const dueDays = options.dueDays ?? RIGHTS_DEFAULTS.dueDays;
    if (!(Number.isFinite(dueDays) && dueDays > 0)) throw new Error('rights: dueDays must be a positive number');
    this.#dueMs = Math.round(dueDays * DAY_MS);
  }

  /** A viewer files a request. Their words are sealed under their own data key before anything is stored. */
  async file(_ctx: RequestContext, deviceId: string, input: NewTicket): Promise<Result<ViewerTicket>> {
    if (!isTicketKind(input.kind)) return fail('VALIDATION_FAILED', `kind: one of ${TICKET_KINDS.join(', ')}`);
    if (input.locale !== 'zh-CN' && input.locale !== 'en') return fail('VALIDATION_FAILED', 'locale: zh-CN or en');
    const details = typeof input.details === 'string' ? input.details.trim() : '';
    if (details.length === 0 || codePoints(details) > DETAILS_MAX) return fail('VALIDATION_FAILED', `details: 1–${DETAILS_MAX} characters, not blank`);
    const subject = await this.deps.subjectOf(deviceId);
    const id = randomBytes(16).toString('base64url');
    const now = this.deps.clock.now();
    const ticket: StoredTicket = {
      id,
      subject,
      kind: input.kind,
      status: 'open',
      detailsSealed: await this.deps.sealer.sealTextFor(subject, detailsField(id), details),
      locale: input.locale,
      region: this.deps.region,
      createdAt: now,
      updatedAt: now,
      dueAt: now + this.#dueMs,
      closedAt: null,
      handledBy: null,
      reason: null,
    };
    await this.deps.store.insert(ticket);
    await this.deps.onFiled?.(subject, input.kind);
    return ok(viewerView(ticket, { details, detailsErased: false }));
  }

  /** A device's own tickets, newest first (the viewer's list, and their data export). Never fails on erased words. */
  async ticketsOfDevice(deviceId: string): Promise<ViewerTicket[]> {
    const rows = await this.deps.store.bySubject(await this.deps.subjectOf(deviceId));
    return Promise.all(rows.map(async (row) => viewerView(row, await this.#open(row))));
  }

  /** Officers' list: metadata only, newest first. */
  async list(ctx: RequestContext, filter: TicketFilter): Promise<Result<TicketPage>> {
    const officer = officerOf(ctx);
    if (!officer.ok) return officer;
    if (!(Number.isInteger(filter.limit) && filter.limit >= 1 && filter.limit <= LIST_LIMIT_MAX)) {
      return fail('VALIDATION_FAILED', `limit: 1–${LIST_LIMIT_MAX}`);
    }
    let before: { createdAt: number; id: string } | undefined;
    if (filter.after !== undefined) {
      before = cursorFrom(filter.after);
      if (!before) return fail('VALIDATION_FAILED', 'after: the `next` value of a previous page');
    }
    const now = this.deps.clock.now();
    const rows = await this.deps.store.list({
      ...(filter.status !== 'all' ? { status: filter.status } : {}),
      ...(filter.overdue ? { overdueAt: now } : {}),
      limit: filter.limit,
      ...(before ? { before } : {}),
    });
    const last = rows[rows.length - 1];
    return ok({ items: rows.map((r) => metadataOf(r, now)), next: last && rows.length === filter.limit ? `${last.createdAt}.${last.id}` : null });
  }

  /** Counts per status and kind, and how many open tickets are overdue. */
  async summary(ctx: RequestContext): Promise<Result<TicketSummary>> {
    const officer = officerOf(ctx);
    if (!officer.ok) return officer;
    const { byKind, overdue } = await this.deps.store.counts(this.deps.clock.now());
    const byStatus = Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>;
    for (const perStatus of Object.values(byKind)) for (const s of TICKET_STATUSES) byStatus[s] += perStatus[s];
    const total = TICKET_STATUSES.reduce((n, s) => n + byStatus[s], 0);
    return ok({ total, byStatus, byKind, overdue });
  }

  /**
   * An officer opens one ticket with the viewer's words: a staff read of personal data, appended to
   * the access log in the same transaction as the row is read. The words are opened only after that
   * commits, so no words leave here without their log entry. An unknown id reads nothing, logs nothing.
   */
  async read(ctx: RequestContext, id: string): Promise<Result<StaffTicket>> {
    const officer = officerOf(ctx);
    if (!officer.ok) return officer;
    const row = await this.deps.store.transaction(async ({ tickets, db }) => {
      const found = await tickets.get(id);
      if (found) await this.deps.accessLog.record(ctx, { action: 'read', subject: accessLogSubjectOf(found.subject), purpose: RIGHTS_PURPOSE }, db);
      return found;
    });
    if (!row) return fail('TICKET_NOT_FOUND');
    return ok({ ...(await this.#staffView(row, this.deps.clock.now())), ...(await this.#open(row)) });
  }

  /**
   * Completes or rejects an open ticket. A rejection needs a reason (stored, shown to the viewer).
   * Completing a deletion request erases the viewer first; if the erasure throws, the ticket stays
   * open. The status changes by compare-and-set, logged in the same transaction: of two officers
   * resolving at once, one gets TICKET_CLOSED.
   */
  async resolve(ctx: RequestContext, id: string, resolution: Resolution): Promise<Result<StaffTicket>> {
    const officer = officerOf(ctx);
    if (!officer.ok) return officer;
    if (resolution.outcome !== 'completed' && resolution.outcome !== 'rejected') return fail('VALIDATION_FAILED', 'outcome: completed or rejected');
    const reason = typeof resolution.reason === 'string' && resolution.reason.trim() !== '' ? resolution.reason.trim() : null;
    if (reason !== null && codePoints(reason) > REASON_MAX) return fail('VALIDATION_FAILED', `reason: at most ${REASON_MAX} characters`);
    if (resolution.outcome === 'rejected' && reason === null) return fail('REASON_REQUIRED', 'a rejection must say why; the viewer is shown the reason');

    const current = await this.deps.store.get(id);
    if (!current) return fail('TICKET_NOT_FOUND');
    if (current.status !== 'open') return fail('TICKET_CLOSED', `the ticket is already ${current.status}`);
    // Erasure runs its own transaction; it is idempotent, so a retry after a failure is safe.
    if (resolution.outcome === 'completed' && current.kind === 'deletion') await this.deps.eraseSubject(ctx, current.subject);

    const at = this.deps.clock.now();
    const closed = await this.deps.store.transaction(async ({ tickets, db }) => {
      if (!(await tickets.close(id, { status: resolution.outcome, reason, handledBy: officer.value, at }))) {
        const now = await tickets.get(id);
        return now ? fail<StoredTicket>('TICKET_CLOSED', `the ticket is already ${now.status}`) : fail<StoredTicket>('TICKET_NOT_FOUND');
      }
      // Last in the transaction: the log's head stays locked until it ends.
      await this.deps.accessLog.record(ctx, { action: accessActionOf(current.kind, resolution.outcome), subject: accessLogSubjectOf(current.subject), purpose: RIGHTS_PURPOSE }, db);
      return ok<StoredTicket>({ ...current, status: resolution.outcome, reason, handledBy: officer.value, closedAt: at, updatedAt: at });
    });
    return closed.ok ? ok(await this.#staffView(closed.value, at)) : closed;
  }

  /** Retention: deletes tickets closed before `cutoff` (epoch ms); open tickets are never purged. */
  purgeClosedBefore(cutoff: number): Promise<number> {
    return this.deps.store.purgeClosedBefore(cutoff);
  }

  /** A ticket as officers see it, with the name of whoever closed it (read after the transaction, never logged). */
  async #staffView(t: StoredTicket, now: number): Promise<StaffTicket> {
    const staffId = t.handledBy !== null && t.handledBy !== 'system' ? t.handledBy : null;
    const handledByName = staffId !== null && this.deps.staff ? await this.deps.staff.nameOf(staffId) : null;
    return { ...metadataOf(t, now), locale: t.locale, region: t.region, updatedAt: t.updatedAt, handledBy: t.handledBy, handledByName, reason: t.reason };
  }

  async #open(row: StoredTicket): Promise<{ details: string | null; detailsErased: boolean }> {
    try {
      return { details: await this.deps.sealer.openTextFor(row.subject, detailsField(row.id), row.detailsSealed), detailsErased: false };
    } catch (err) {
      // The viewer was erased: their words are gone for good, which is the point. Anything else is a fault.
      if (isProtectionError(err, 'DATA_KEY_DESTROYED')) return { details: null, detailsErased: true };
      throw err;
    }
  }
}

/**
 * What the access log records for closing a ticket: an erasure is a deletion; any other closure
 * changes the viewer's ticket (its status and the reason they are shown), a correction of their record.
 */
function accessActionOf(kind: TicketKind, outcome: TicketOutcome): AccessAction {
  return kind === 'deletion' && outcome === 'completed' ? 'delete' : 'correct';
}

/** Only compliance officers, administrators and the operator's shell handle tickets (S3); routes check this too. */
function officerOf(ctx: RequestContext): Result<string> {
  const actor = ctx.actor;
  if (actor.kind === 'system') return ok('system');
  if (actor.kind === 'staff' && (actor.role === 'compliance' || actor.role === 'admin')) return ok(actor.id);
  return fail('FORBIDDEN', 'only compliance officers and administrators handle rights requests');
}

function detailsField(id: string) {
  return { table: 'rights_tickets', column: 'details', rowId: id };
}

function cursorFrom(text: string): { createdAt: number; id: string } | undefined {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(text);
  return m ? { createdAt: Number(m[1]), id: m[2]! } : undefined;
}

/** Length as JSON Schema counts it (code points), so the service and the route agree. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function metadataOf(t: StoredTicket, now: number): TicketMetadata {
  return { id: t.id, kind: t.kind, status: t.status, createdAt: t.createdAt, dueAt: t.dueAt, overdue: t.status === 'open' && t.dueAt < now, closedAt: t.closedAt };
}

function viewerView(t: StoredTicket, opened: { details: string | null; detailsErased: boolean }): ViewerTicket {
  return {
    id: t.id,
    kind: t.kind,
    status: t.status,
    details: opened.details,
    detailsErased: opened.detailsErased,
    locale: t.locale,
    region: t.region,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    dueAt: t.dueAt,
    closedAt: t.closedAt,
    reason: t.reason,
  };
}
