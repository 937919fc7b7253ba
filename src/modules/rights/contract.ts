/**
 * The rights-requests contract shared by the server and the compliance console: what a ticket is
 * and how officers see it. No runtime imports, so the pages can take its types without bundling
 * anything from the server.
 */
import type { Locale } from '../../context/index.js';

/** What a viewer can ask for (PIPL 44–50; 24 and 48 for explanations of processing and automated decisions). */
export const TICKET_KINDS = ['access', 'correction', 'deletion', 'explanation', 'complaint'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];

/** `open` → `completed` | `rejected`; a closed ticket never changes again. */
export const TICKET_STATUSES = ['open', 'completed', 'rejected'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketOutcome = Exclude<TicketStatus, 'open'>;

/** A list row for officers: metadata only, never the viewer's words. */
export interface TicketMetadata {
  id: string;
  kind: TicketKind;
  status: TicketStatus;
  createdAt: number;
  dueAt: number;
  overdue: boolean;
  closedAt: number | null;
}

/** One ticket for an officer. `details` is present only from a read (a logged access); null with detailsErased when the viewer was erased. */
export interface StaffTicket extends TicketMetadata {
  locale: Locale;
  region: string;
  updatedAt: number;
  /** The staff account that closed it (its id), or `system` for the operator's shell. */
  handledBy: string | null;
  /** That account's sign-in name, for officers; null for the shell or an account that no longer exists. */
  handledByName: string | null;
  reason: string | null;
  details?: string | null;
  detailsErased?: boolean;
}

export interface TicketPage {
  items: TicketMetadata[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

export interface TicketSummary {
  total: number;
  byStatus: Record<TicketStatus, number>;
  byKind: Record<TicketKind, Record<TicketStatus, number>>;
  overdue: number;
}
