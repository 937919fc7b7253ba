/** Staff sign-in (/login). After signing in, goes to `next` when it is a path on this site, else the role's home. */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { currentUser, login } from '../../ui/api.ts';
import { LocaleSwitch, ProblemMessage } from '../../ui/components.tsx';
import type { StaffUser } from '../../ui/contract.ts';
import { homeForRole, safeNextPath } from '../../ui/location.ts';

function destinationFor(user: StaffUser): string {
  return safeNextPath(new URLSearchParams(location.search).get('next')) ?? homeForRole(user.role);
}

export function AuthShell({ children }: { children: ComponentChildren }): JSX.Element {
  return (
    <main class="auth-page">
      <div class="auth-top">
        <LocaleSwitch />
      </div>
      <div class="card auth-card">
        <span class="staff-logo">
          <span class="staff-logo-mark" aria-hidden="true">
            清
          </span>
          {t('common.appName')}
        </span>
        {children}
      </div>
    </main>
  );
}

export function LoginPage(): JSX.Element {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [signedIn, setSignedIn] = useState<StaffUser | null>(null);

  useEffect(() => {
    document.title = t('login.documentTitle');
  });
  useEffect(() => {
    currentUser().then(
      ({ user }) => setSignedIn(user),
      () => undefined, // not signed in: show the form
    );
  }, []);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (submitting) return;
    setSubmitting(true);
    setError(null);
    try {
      const { user } = await login(name.trim(), password);
      location.assign(destinationFor(user));
    } catch (failure) {
      setError(failure);
      setSubmitting(false);
    }
  };

  return (
    <AuthShell>
      <h1>{t('login.title')}</h1>
      <p class="intro">{t('login.intro')}</p>
      {signedIn && (
        <p class="success-box" data-testid="already-signed-in">
          {t('login.alreadySignedIn', { name: signedIn.name })} <a href={destinationFor(signedIn)}>{t('login.continue')}</a>
        </p>
      )}
      <form onSubmit={submit} data-testid="login-form">
        <div class="field">
          <label for="login-name">{t('login.name')}</label>
          <input
            id="login-name"
            name="username"
            class="input"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="login-password">{t('login.password')}</label>
          <input
            id="login-password"
            name="password"
            type="password"
            class="input"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        {error !== null && <ProblemMessage error={error} />}
        <button type="submit" class="btn btn-primary btn-block" disabled={submitting} data-testid="login-submit">
          {submitting ? t('login.submitting') : t('login.submit')}
        </button>
      </form>
    </AuthShell>
  );
}
