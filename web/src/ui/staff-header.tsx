/** The header of the staff pages: product mark, page name, who is signed in, language, sign out. */
import type { JSX } from 'preact';
import { t } from '../i18n/index.ts';
import { signOut, type StaffState } from './auth.ts';
import { LocaleSwitch, ProblemMessage, Spinner } from './components.tsx';
import type { StaffUser } from './contract.ts';

export function StaffHeader({ user, title }: { user: StaffUser; title: string }): JSX.Element {
  return (
    <header class="staff-header">
      <span class="staff-logo">
        <span class="staff-logo-mark" aria-hidden="true">
          清
        </span>
        {t('common.appName')}
      </span>
      <span class="staff-header-title">{title}</span>
      <div class="staff-user">
        <span data-testid="staff-user">{t('common.signedInAs', { name: user.name, role: t(`common.roles.${user.role}`) })}</span>
        <LocaleSwitch />
        <button type="button" class="btn btn-ghost btn-small" data-testid="sign-out" onClick={() => void signOut()}>
          {t('common.signOut')}
        </button>
      </div>
    </header>
  );
}

/** While the signed-in user loads, a spinner; if it failed, the problem; else nothing (render the page). */
export function StaffPending({ staff }: { staff: Exclude<StaffState, { kind: 'signed-in' }> }): JSX.Element {
  if (staff.kind === 'loading') return <Spinner />;
  return (
    <main class="page-message">
      <ProblemMessage error={staff.error} />
    </main>
  );
}

/** A staff page this role may not use: say so plainly (the API refuses the role's actions anyway). */
export function RoleRefused({ user, title }: { user: StaffUser; title: string }): JSX.Element {
  return (
    <>
      <StaffHeader user={user} title={title} />
      <main class="page-message" data-testid="role-refused">
        <p role="alert">{t('errors.codes.FORBIDDEN')}</p>
      </main>
    </>
  );
}
