/**
 * The retention schedule (S1): every data category the platform stores, how long it is kept and why.
 * docs/data-map.md lists the same schedule; a test keeps them in step.
 */
import type { ConsentService } from '../modules/consent/index.js';
import type { LiveRoomService } from '../modules/live-room/index.js';
import { RetentionJob, type RetentionCategory } from '../modules/retention/index.js';
import type { StaffService } from '../modules/staff/index.js';
import type { ViewerEventService } from '../modules/viewer-events/index.js';
import type { ViewerProfileService } from '../modules/viewer-profile/index.js';
import type { Storage } from '../storage/index.js';

export interface RetentionModules {
  storage: Storage;
  liveRoom: LiveRoomService;
  staff: StaffService;
  viewerEvents: ViewerEventService;
  consent: ConsentService;
  profile: ViewerProfileService;
  /** Categories contributed by other modules (rights tickets, the access log …). */
  extraRetention?: readonly RetentionCategory[];
}

const THREE_YEARS = 3 * 365 + 1;

/** Every notice hash a kept decision names: the privacy, guardian and cross-border ledgers. */
export async function namedNoticeHashes(storage: Storage): Promise<Set<string>> {
  const db = storage.db;
  const rows = await db
    .selectFrom('consent_records')
    .select('notice_hash')
    .union(db.selectFrom('guardian_consents').select('notice_hash'))
    .union(db.selectFrom('transfer_consents').select('notice_hash'))
    .execute();
  return new Set(rows.map((r) => r.notice_hash));
}

export function retentionCategories(modules: RetentionModules): RetentionCategory[] {
  return [
    {
      category: 'viewer_events',
      basis: 'personal behaviour events stored under the personalised-recommendations consent; 90 days, as the notice says',
      keepDays: 90,
      purge: (cutoff) => modules.viewerEvents.purgeBefore('personalised_recommendations', cutoff),
    },
    {
      category: 'viewer_feedback',
      basis: 'feedback events stored under the model-improvement consent; 180 days, as the notice says',
      keepDays: 180,
      purge: (cutoff) => modules.viewerEvents.purgeBefore('model_improvement', cutoff),
    },
    {
      category: 'consent_records',
      basis: 'evidence of each consent decision (PIPL 13–15); 3 years, like other compliance records',
      keepDays: THREE_YEARS,
      purge: (cutoff) => modules.consent.purgeBefore(cutoff),
    },
    {
      category: 'notice_texts',
      basis: 'the exact notice texts consent, guardian and cross-border decisions were made on, so each record can be read as it was shown (C2); while any kept record names the text, and at least a day longer than the last decision on it',
      keepDays: THREE_YEARS + 1,
      // Never a text a kept record names, whatever the records' own periods (or a failed purge of them).
      purge: async (cutoff) => modules.consent.purgeNoticeTextsBefore(cutoff, await namedNoticeHashes(modules.storage)),
    },
    {
      category: 'guardian_consents',
      basis: "evidence of a guardian's consent for a child under 14 (PIPL 31); 3 years; unused guardian links go once expired",
      keepDays: THREE_YEARS,
      purge: (cutoff) => modules.profile.purgeGuardianBefore(cutoff),
    },
    {
      category: 'room_events',
      basis: 'anonymous like and add-to-cart keys; kept only to count client retries once',
      keepDays: 7,
      purge: (cutoff) => modules.liveRoom.purgeRoomEvents(cutoff),
    },
    {
      category: 'orders',
      basis: 'commerce records, kept apart from profiling data for the legal period (E-Commerce Law art. 31: at least 3 years)',
      keepDays: THREE_YEARS,
      purge: (cutoff) => modules.liveRoom.purgeOrders(cutoff),
    },
    {
      category: 'staff_sign_ins',
      basis: 'staff sign-in sessions; refused once expired, removed a day later',
      keepDays: 1,
      purge: (cutoff) => modules.staff.purgeExpiredSessions(cutoff),
    },
    ...(modules.extraRetention ?? []),
  ];
}

export function retentionJob(modules: RetentionModules, now: () => number): RetentionJob {
  return new RetentionJob(retentionCategories(modules), now);
}
