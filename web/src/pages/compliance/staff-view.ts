/** Staff accounts as the compliance console names them: by sign-in name, the account id on hover (no DOM, unit-tested). */
import { t } from '../../i18n/index.ts';

const ROLES = ['admin', 'host', 'moderator', 'compliance'] as const;

/** A role in words; one the pages do not know stays as the server sent it. */
export function roleLabel(role: string): string {
  return (ROLES as readonly string[]).includes(role) ? t(`common.roles.${role as (typeof ROLES)[number]}`) : role;
}

export interface StaffLabel {
  /** What to show: the sign-in name, or the account id when the name is unknown. */
  text: string;
  /** The account id, on hover, when the name is shown; null otherwise. */
  title: string | null;
  /** True when `text` is an id (shown as code). */
  isId: boolean;
}

/** Who handled a rights request: the operator's shell, a named account, or an account id. */
export function handlerLabel(handledBy: string, name: string | null | undefined): StaffLabel {
  if (handledBy === 'system') return { text: t('compliance.rights.handledBySystem'), title: null, isId: false };
  return name ? { text: name, title: t('compliance.rights.accountId', { id: handledBy }), isId: false } : { text: handledBy, title: null, isId: true };
}

/** Who ran an access-log verification: the scheduled job or the CLI, or a staff account with its role. */
export function verifierLabel(by: { id: string; role: string; name?: string | null }): { text: string; title: string | null } {
  if (by.role === 'system') return { text: t('compliance.accessLogPage.bySystem'), title: null };
  const role = roleLabel(by.role);
  return by.name
    ? { text: t('compliance.accessLogPage.byStaffNamed', { name: by.name, role }), title: t('compliance.rights.accountId', { id: by.id }) }
    : { text: t('compliance.accessLogPage.byStaff', { role, id: by.id }), title: null };
}
