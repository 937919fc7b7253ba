/** Staff accounts as the compliance console names them: by sign-in name, then the account id (no DOM, unit-tested). */
import { t } from '../../i18n/index.ts';

const ROLES = ['admin', 'host', 'moderator', 'compliance'] as const;

/** A role in words; one the pages do not know stays as the server sent it. */
export function roleLabel(role: string): string {
  return (ROLES as readonly string[]).includes(role) ? t(`common.roles.${role as (typeof ROLES)[number]}`) : role;
}

/**
 * Who did something, as shown: the words first (a sign-in name, or the shell or job that acted), then
 * the account id, shown too (not only on hover): the access log stores ids only, so an officer needs
 * the id to match them up.
 */
export interface StaffLabel {
  /** The sign-in name (a verifier's with their role), or the shell or job; null when only the id is known. */
  name: string | null;
  /** The account id, shown as code after the name (or alone); null for the shell or a job, or when `name` already says it. */
  id: string | null;
}

/** Who handled a rights request: the operator's shell, a named account, or an account id. */
export function handlerLabel(handledBy: string, name: string | null | undefined): StaffLabel {
  if (handledBy === 'system') return { name: t('compliance.rights.handledBySystem'), id: null };
  return { name: name || null, id: handledBy };
}

/** Who ran an access-log verification: the scheduled job or the CLI, or a staff account with its role. */
export function verifierLabel(by: { id: string; role: string; name?: string | null }): StaffLabel {
  if (by.role === 'system') return { name: t('compliance.accessLogPage.bySystem'), id: null };
  const role = roleLabel(by.role);
  return by.name
    ? { name: t('compliance.accessLogPage.byStaffNamed', { name: by.name, role }), id: by.id }
    : { name: t('compliance.accessLogPage.byStaff', { role, id: by.id }), id: null };
}
