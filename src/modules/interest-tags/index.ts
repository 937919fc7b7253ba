/** Interest tags (A3): derived under consent, listed and deletable by the viewer, never re-derived from the past. */
export { InterestTagService, SIGNAL_WEIGHTS, type InterestTag, type Signal, type InterestTagDeps } from './service.js';
export { KyselyInterestTagStore } from './adapters/interest-tags.kysely.js';
export type { InterestTagStore, StoredTags } from './ports.js';
