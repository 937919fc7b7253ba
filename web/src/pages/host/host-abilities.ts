/**
 * What the host console offers each staff role: only what the server would do for that role, read
 * from the `access` lists of src/modules/<module>/routes.ts. The server stays the authority (it
 * answers 403 FORBIDDEN whatever the page shows); this only keeps buttons that would be refused off
 * the screen. Compliance officers do not get the console at all (HostPage shows RoleRefused).
 */
import type { StaffRole } from '../../ui/contract.ts';

export interface HostAbilities {
  /** Go live, end the show: POST /sessions/:id/start and /end (admin, host). */
  runShow: boolean;
  /** Pin, unpin, mark or unmark sold out: PUT/DELETE /pins/:productId, PUT /products/:productId/sold-out (admin, host). */
  editShowcase: boolean;
  /** Start a flash sale, end one early: POST /flash-sales and /flash-sales/:id/end (admin, host). */
  flashSales: boolean;
  /** Chat moderation, staff messages and the assistant's handoffs: the chat routes (admin, host, moderator). */
  moderateChat: boolean;
  /**
   * GET /sessions/:id/recommendations/health: the route admits moderators, but its handler shows a
   * session's figures only to an administrator or that session's host (canSeeSession in src/app.ts),
   * so a moderator is answered 403.
   */
  recommendationHealth: boolean;
  /** Run a fairness check now: POST /fairness/audits (admin, compliance, host); reading and acknowledging alerts is any staff's. */
  runFairnessCheck: boolean;
  /** This session's energy meter: GET /sessions/:id/energy (admin, compliance, host). */
  energy: boolean;
}

const HOST_ROUTE: readonly StaffRole[] = ['admin', 'host'];
const CHAT_ROUTE: readonly StaffRole[] = ['admin', 'host', 'moderator'];
const HEALTH_READERS: readonly StaffRole[] = ['admin', 'host'];
const FAIRNESS_RUNNERS: readonly StaffRole[] = ['admin', 'compliance', 'host'];
const ENERGY_READERS: readonly StaffRole[] = ['admin', 'compliance', 'host'];

/**
 * `hostsThisSession`: whether the signed-in host is the one assigned to this session (the room's
 * `hostName` is the host account's unique name). A host of another room is refused everything here,
 * chat moderation included (the server's canManage), so the console is theirs to watch only.
 */
export function hostAbilities(role: StaffRole, hostsThisSession = true): HostAbilities {
  if (role === 'host' && !hostsThisSession) {
    return { runShow: false, editShowcase: false, flashSales: false, moderateChat: false, recommendationHealth: false, runFairnessCheck: false, energy: false };
  }
  return {
    runShow: HOST_ROUTE.includes(role),
    editShowcase: HOST_ROUTE.includes(role),
    flashSales: HOST_ROUTE.includes(role),
    moderateChat: CHAT_ROUTE.includes(role),
    recommendationHealth: HEALTH_READERS.includes(role),
    runFairnessCheck: FAIRNESS_RUNNERS.includes(role),
    energy: ENERGY_READERS.includes(role),
  };
}

/** A role that may read the console but not run the show (a moderator): the page says what it may do. */
export function isShowReadOnly(abilities: HostAbilities): boolean {
  return !abilities.runShow || !abilities.editShowcase || !abilities.flashSales;
}
