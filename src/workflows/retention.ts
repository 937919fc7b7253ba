/**
 * The retention schedule (S1): every data category the platform stores, how long it is kept and why.
 * docs/data-map.md lists the same schedule; a test keeps them in step.
 */
import type { LiveRoomService } from '../modules/live-room/index.js';
import { RetentionJob, type RetentionCategory } from '../modules/retention/index.js';
import type { StaffService } from '../modules/staff/index.js';

export function retentionCategories(modules: { liveRoom: LiveRoomService; staff: StaffService }): RetentionCategory[] {
  return [
    {
      category: 'room_events',
      basis: 'anonymous like and add-to-cart keys; kept only to count client retries once',
      keepDays: 7,
      purge: (cutoff) => modules.liveRoom.purgeRoomEvents(cutoff),
    },
    {
      category: 'orders',
      basis: 'commerce records, kept apart from profiling data for the legal period (E-Commerce Law art. 31: at least 3 years)',
      keepDays: 3 * 365 + 1,
      purge: (cutoff) => modules.liveRoom.purgeOrders(cutoff),
    },
    {
      category: 'staff_sign_ins',
      basis: 'staff sign-in sessions; refused once expired, removed a day later',
      keepDays: 1,
      purge: (cutoff) => modules.staff.purgeExpiredSessions(cutoff),
    },
  ];
}

export function retentionJob(modules: { liveRoom: LiveRoomService; staff: StaffService }, now: () => number): RetentionJob {
  return new RetentionJob(retentionCategories(modules), now);
}
