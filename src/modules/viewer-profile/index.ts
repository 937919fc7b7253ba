/** The viewer's declared age band, minors mode, guardian consent, the personalisation switch and minors' spending limits. */
export {
  ViewerProfileService,
  AGE_BANDS,
  CHILD_AGE_BANDS,
  CHILD_AGE_MONTHS,
  type ChildAgeBand,
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
