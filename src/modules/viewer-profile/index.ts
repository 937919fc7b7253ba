/** The viewer's declared age band, child's age band and city tier, minors mode, guardian consent, the personalisation switch and minors' spending limits. */
export {
  ViewerProfileService,
  AGE_BANDS,
  CHILD_AGE_BANDS,
  CHILD_AGE_MONTHS,
  type ChildAgeBand,
  CITY_TIERS,
  type CityTier,
  MINOR_BLOCKED,
  type AgeBand,
  type ViewerMode,
  type ProfileView,
  type Restrictions,
  type SpendingLimits,
  type GuardianConsentView,
  type ViewerProfileDeps,
} from './service.js';
export { GUARDIAN_NOTICE_VERSION, GUARDIAN_PURPOSES, guardianNoticeFor, type GuardianNotice, type GuardianPurpose } from './guardian-notice.js';
export { KyselyViewerProfileStore } from './adapters/viewer-profile.kysely.js';
export type * from './ports.js';
