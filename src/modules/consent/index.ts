/** Consent (PIPL): purposes, the versioned notice, the append-only ledger, and the server-side check. */
export { ConsentService, type ConsentReceipt, type ConsentStatus, type SubjectOf, type ConsentRestrictions, type RestrictionsOf, type DecisionListener } from './service.js';
export { KyselyConsentLedger } from './adapters/consent-ledger.kysely.js';
export { KyselyNoticeArchive } from './adapters/notice-archive.kysely.js';
export { NoticeKeeper, NOTICE_USE_REFRESH_MS } from './notice-keeper.js';
export { consentRoutes, DEVICE_HEADER, deviceIdOf } from './routes.js';
export { NOTICE_VERSION, noticeFor, sha256Hex, type Notice } from './notice.js';
export { PURPOSES, PURPOSE_NOTICES, isPurpose, type Purpose } from './purposes.js';
export type { ConsentLedger, ConsentRecord, ConsentMethod, NoticeArchive, NoticeText, NoticeKind, ArchivedNotice } from './ports.js';
