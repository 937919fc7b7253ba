/** The rights-requests section's contract with the server and its pure rules (no DOM, unit-tested). */

import type { TicketKind, TicketMetadata, TicketOutcome, TicketStatus } from '../../../../src/modules/rights/contract.ts';

export type { StaffTicket, TicketKind, TicketMetadata, TicketOutcome, TicketPage, TicketStatus, TicketSummary } from '../../../../src/modules/rights/contract.ts';

/** The same lists as the server's contract (kept here so nothing from the server is bundled; the types check they match). */
export const TICKET_KINDS = ['access', 'correction', 'deletion', 'explanation', 'complaint'] as const satisfies readonly TicketKind[];
export const TICKET_STATUSES = ['open', 'completed', 'rejected'] as const satisfies readonly TicketStatus[];
export type StatusFilter = TicketStatus | 'all';

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
