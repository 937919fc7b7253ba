/** The rights-requests section's contract with the server and its pure rules (no DOM, unit-tested). */

export const TICKET_KINDS = ['access', 'correction', 'deletion', 'explanation', 'complaint'] as const;
export const TICKET_STATUSES = ['open', 'completed', 'rejected'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketOutcome = Exclude<TicketStatus, 'open'>;
export type StatusFilter = TicketStatus | 'all';

/** A list row: metadata only (the server never sends the viewer's words in lists). */
export interface TicketMetadata {
  id: string;
  kind: TicketKind;
  status: TicketStatus;
  createdAt: number;
  dueAt: number;
  overdue: boolean;
  closedAt: number | null;
}

export interface StaffTicket extends TicketMetadata {
  locale: 'zh-CN' | 'en';
  region: string;
  updatedAt: number;
  handledBy: string | null;
  reason: string | null;
  /** Present when the ticket was opened (a logged read); null with detailsErased when the viewer was erased. */
  details?: string | null;
  detailsErased?: boolean;
}

export interface TicketPage {
  items: TicketMetadata[];
  next: string | null;
}

export interface TicketSummary {
  total: number;
  byStatus: Record<TicketStatus, number>;
  byKind: Record<TicketKind, Record<TicketStatus, number>>;
  overdue: number;
}

export interface TicketFilter {
  status: StatusFilter;
  overdueOnly: boolean;
}

export const REASON_MAX = 1000;
export const PAGE_SIZE = 50;

/** The list URL for a filter (and the `next` cursor of the previous page). */
export function ticketListPath(filter: TicketFilter, after?: string | null): string {
  const q = new URLSearchParams({ status: filter.status, limit: String(PAGE_SIZE) });
  if (filter.overdueOnly) q.set('overdue', 'true');
  if (after) q.set('after', after);
  return `/api/v1/compliance/tickets?${q.toString()}`;
}

export const ticketPath = (id: string): string => `/api/v1/compliance/tickets/${encodeURIComponent(id)}`;
export const resolvePath = (id: string): string => `${ticketPath(id)}/resolve`;

export type ReasonProblem = 'reasonRequired' | 'reasonTooLong';

/** Why the outcome cannot be saved yet, or null: a rejection needs a reason; no reason may exceed the limit. */
export function reasonProblem(outcome: TicketOutcome, reason: string): ReasonProblem | null {
  const trimmed = reason.trim();
  if ([...trimmed].length > REASON_MAX) return 'reasonTooLong';
  if (outcome === 'rejected' && trimmed === '') return 'reasonRequired';
  return null;
}

/** The body to send: the reason trimmed, left out when empty. */
export function resolutionBody(outcome: TicketOutcome, reason: string): { outcome: TicketOutcome; reason?: string } {
  const trimmed = reason.trim();
  return trimmed ? { outcome, reason: trimmed } : { outcome };
}

/** Badge style per status (existing badge classes of the UI kit). */
export function statusBadgeClass(status: TicketStatus): string {
  return status === 'open' ? 'badge badge-scheduled' : status === 'completed' ? 'badge badge-ok' : 'badge badge-ended';
}

/** Replaces one row after a resolution, keeping its place; rows the filter no longer matches are dropped. */
export function withResolved(items: readonly TicketMetadata[], resolved: TicketMetadata, filter: TicketFilter): TicketMetadata[] {
  const matches = (filter.status === 'all' || filter.status === resolved.status) && (!filter.overdueOnly || resolved.overdue);
  return items.flatMap((item) => (item.id !== resolved.id ? [item] : matches ? [resolved] : []));
}
