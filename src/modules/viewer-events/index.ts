/** Personal behaviour events under consent: stored sealed when allowed, counted anonymously otherwise. */
export { ViewerEventService, VIEWER_EVENT_TYPES, PURPOSE_OF, type ViewerEventType, type IngestOutcome, type ViewerEventDeps } from './service.js';
export { KyselyViewerEventStore } from './adapters/viewer-event-store.kysely.js';
export { viewerEventRoutes } from './routes.js';
export type { ViewerEventStore, StoredViewerEvent, Sealer } from './ports.js';
