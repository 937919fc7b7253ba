/** Rights requests (PIPL 44–50; R3): viewer tickets, officers' logged handling, erasure on a completed deletion request. */
export {
  RightsService,
  RIGHTS_DEFAULTS,
  RIGHTS_PURPOSE,
  DETAILS_MAX,
  REASON_MAX,
  accessLogSubjectOf,
  isTicketKind,
  type RightsDeps,
  type RightsOptions,
  type NewTicket,
  type Resolution,
  type StaffTicket,
  type TicketFilter,
  type TicketMetadata,
  type TicketPage,
  type TicketSummary,
  type ViewerTicket,
} from './service.js';
export { KyselyRightsTicketStore } from './adapters/rights-ticket-store.kysely.js';
export { rightsRoutes } from './routes.js';
export { rightsDataSource, RIGHTS_RETENTION_DAYS } from './data-source.js';
export { TICKET_KINDS, TICKET_STATUSES } from './ports.js';
export type {
  AccessRecorder,
  EraseSubject,
  RightsTicketStore,
  Sealer,
  StaffDirectory,
  StoredTicket,
  TicketClosure,
  TicketCounts,
  TicketKind,
  TicketListQuery,
  TicketOutcome,
  TicketStatus,
} from './ports.js';
