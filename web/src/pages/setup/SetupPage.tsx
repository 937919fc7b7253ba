/** First-run setup (/setup?token=…): creates the first administrator, once. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { createFirstAdmin, setupStatus } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { AuthShell } from '../login/LoginPage.tsx';
import { MIN_PASSWORD_LENGTH, validateSetup, type SetupErrors, type SetupInput } from './setup-form.ts';

type Phase = { kind: 'checking' } | { kind: 'form' } | { kind: 'not-needed' } | { kind: 'done'; name: string } | { kind: 'error'; error: unknown };

export function SetupPage(): JSX.Element {
  const tokenFromLink = new URLSearchParams(location.search).get('token') ?? '';
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });
  const [input, setInput] = useState<SetupInput>({ token: tokenFromLink, name: '', password: '', confirm: '' });
  const [errors, setErrors] = useState<SetupErrors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);

  useEffect(() => {
    document.title = t('setup.documentTitle');
  });
  useEffect(() => {
    setupStatus().then(
      ({ needed }) => setPhase(needed ? { kind: 'form' } : { kind: 'not-needed' }),
      (error: unknown) => setPhase({ kind: 'error', error }),
    );
  }, []);

  const field = (key: keyof SetupInput) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setInput((current) => ({ ...current, [key]: value }));
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (submitting) return;
    const found = validateSetup(input);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setSubmitting(true);
    setFailure(null);
    try {
      const { user } = await createFirstAdmin(input.token.trim(), input.name.trim(), input.password);
      setPhase({ kind: 'done', name: user.name });
    } catch (error) {
      setFailure(error);
    } finally {
      setSubmitting(false);
    }
  };

  const loginLink = (
    <a class="btn btn-primary btn-block" href="/login" data-testid="go-login">
      {t('setup.goLogin')}
    </a>
  );

  return (
    <AuthShell>
      <h1>{t('setup.title')}</h1>
      {phase.kind === 'checking' && <Spinner />}
      {phase.kind === 'error' && <ProblemMessage error={phase.error} />}
      {phase.kind === 'not-needed' && (
        <>
          <p class="success-box" data-testid="setup-not-needed">
            {t('setup.notNeeded')}
          </p>
          {loginLink}
        </>
      )}
      {phase.kind === 'done' && (
        <>
          <p class="success-box" role="status" data-testid="setup-done">
            {t('setup.done', { name: phase.name })}
          </p>
          {loginLink}
        </>
      )}
      {phase.kind === 'form' && (
        <form onSubmit={submit} noValidate data-testid="setup-form">
          <p class="intro">{t('setup.intro')}</p>
          {!tokenFromLink && (
            <TextField id="setup-token" label={t('setup.token')} hint={t('setup.tokenHint')} error={errors.token} value={input.token} onInput={field('token')} autocomplete="off" />
          )}
          <TextField id="setup-name" label={t('setup.name')} error={errors.name} value={input.name} onInput={field('name')} autocomplete="username" />
          <TextField
            id="setup-password"
            label={t('setup.password')}
            hint={t('setup.passwordHint')}
            error={errors.password}
            value={input.password}
            onInput={field('password')}
            type="password"
            autocomplete="new-password"
            minLength={MIN_PASSWORD_LENGTH}
          />
          <TextField
            id="setup-confirm"
            label={t('setup.confirm')}
            error={errors.confirm}
            value={input.confirm}
            onInput={field('confirm')}
            type="password"
            autocomplete="new-password"
            minLength={MIN_PASSWORD_LENGTH}
          />
          {failure !== null && <ProblemMessage error={failure} />}
          <button type="submit" class="btn btn-primary btn-block" disabled={submitting} data-testid="setup-submit">
            {submitting ? t('setup.submitting') : t('setup.submit')}
          </button>
        </form>
      )}
    </AuthShell>
  );
}

function TextField(props: {
  id: string;
  label: string;
  hint?: string;
  error: string | undefined;
  value: string;
  onInput: (event: Event) => void;
  type?: 'text' | 'password';
  autocomplete: string;
  minLength?: number;
}): JSX.Element {
  const described = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : ''].filter(Boolean).join(' ');
  const attributes = {
    id: props.id,
    name: props.id,
    class: 'input',
    autocomplete: props.autocomplete,
    minLength: props.minLength,
    required: true,
    value: props.value,
    onInput: props.onInput,
    'aria-invalid': props.error ? ('true' as const) : ('false' as const),
    'aria-describedby': described || undefined,
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {/* two spellings because Preact types each input `type` separately */}
      {props.type === 'password' ? <input type="password" {...attributes} /> : <input type="text" {...attributes} />}
      {props.hint && (
        <span class="field-hint" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      )}
      {props.error && (
        <span class="field-error" id={`${props.id}-error`}>
          {props.error}
        </span>
      )}
    </div>
  );
}
