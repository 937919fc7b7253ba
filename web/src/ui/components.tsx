/** Small shared pieces: locale switch, dialog, toasts, badges, problem text, reserved slots. */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { currentLocale, errorCodeMessage, setLocale, t } from '../i18n/index.ts';
import { ApiError, NETWORK_ERROR } from './api.ts';
import type { SessionStatus } from './contract.ts';
import type { ConnectionStatus } from './room-socket.ts';

export function LocaleSwitch({ testId = 'locale-switch' }: { testId?: string } = {}): JSX.Element {
  const target = currentLocale() === 'zh-CN' ? 'en' : 'zh-CN';
  return (
    <button
      type="button"
      class="btn btn-ghost btn-small locale-switch"
      data-testid={testId}
      lang={t('common.localeSwitch.lang')}
      aria-label={t('common.localeSwitch.label')}
      title={t('common.localeSwitch.label')}
      onClick={() => setLocale(target)}
    >
      {t('common.localeSwitch.text')}
    </button>
  );
}

export function StatusBadge({ status, testId }: { status: SessionStatus; testId?: string }): JSX.Element {
  return (
    <span class={`badge badge-status badge-${status}`} data-testid={testId} data-status={status}>
      {status === 'live' && <span class="live-dot" aria-hidden="true" />}
      {t(`common.status.${status}`)}
    </span>
  );
}

export function ConnectionIndicator({ status }: { status: ConnectionStatus }): JSX.Element {
  return (
    <span class={`connection connection-${status}`} data-testid="connection-status" data-state={status} data-status={status} role="status" title={t('common.connection.label')}>
      <span class="connection-dot" aria-hidden="true" />
      <span class="visually-hidden">{t('common.labelPrefix', { label: t('common.connection.label') })}</span>
      {t(`common.connection.${status}`)}
    </span>
  );
}

/** The user-facing text for a failure: our translation of its code, else the server's title. */
export function problemText(error: unknown): { message: string; code: string | null } {
  if (error instanceof ApiError) {
    if (error.code === NETWORK_ERROR) return { message: t('errors.network'), code: null };
    return { message: errorCodeMessage(error.code) ?? error.problem.title, code: error.code };
  }
  return { message: t('errors.generic'), code: null };
}

export function ProblemMessage({ error }: { error: unknown }): JSX.Element {
  const { message, code } = problemText(error);
  return (
    <p class="problem" role="alert">
      {message}
      {code && <span class="problem-code"> {t('errors.codeLabel', { code })}</span>}
    </p>
  );
}

/**
 * A modal on the native `<dialog>`: focus is trapped and restored by the browser, Esc closes it,
 * and it sits in the top layer.
 */
export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  testId?: string;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`dialog-${Math.random().toString(36).slice(2)}`).current;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      data-testid={props.testId}
      onClose={props.onClose}
      onClick={(event) => {
        if (event.target === ref.current) props.onClose(); // click on the backdrop
      }}
    >
      {props.open && (
        <div class="dialog-body">
          <header class="dialog-header">
            <h2 id={titleId}>{props.title}</h2>
            <button type="button" class="btn btn-icon" aria-label={t('common.close')} onClick={props.onClose}>
              ×
            </button>
          </header>
          {props.children}
        </div>
      )}
    </dialog>
  );
}

export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  message: string;
  code?: string | null;
}

export interface Toaster {
  toasts: Toast[];
  show: (kind: Toast['kind'], message: string, code?: string | null) => void;
  showError: (error: unknown) => void;
  dismiss: (id: number) => void;
}

const TOAST_MS = 4000;

export function useToaster(): Toaster {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((toast) => toast.id !== id)), []);
  const show = useCallback(
    (kind: Toast['kind'], message: string, code: string | null = null) => {
      const id = nextId.current++;
      setToasts((list) => [...list.slice(-2), { id, kind, message, code }]);
      setTimeout(() => dismiss(id), kind === 'error' ? TOAST_MS * 1.5 : TOAST_MS);
    },
    [dismiss],
  );
  const showError = useCallback(
    (error: unknown) => {
      const { message, code } = problemText(error);
      show('error', message, code);
    },
    [show],
  );
  return { toasts, show, showError, dismiss };
}

/** Toasts in two live regions that exist before any toast does: polite for news, assertive for errors. */
export function ToastRegion({ toaster }: { toaster: Toaster }): JSX.Element {
  const item = (toast: Toast): JSX.Element => (
    <div key={toast.id} class={`toast toast-${toast.kind}`} data-testid={`toast-${toast.kind}`}>
      <span>
        {toast.message}
        {toast.code && <span class="problem-code"> {t('errors.codeLabel', { code: toast.code })}</span>}
      </span>
      <button type="button" class="btn btn-icon btn-icon-small" aria-label={t('common.close')} onClick={() => toaster.dismiss(toast.id)}>
        ×
      </button>
    </div>
  );
  return (
    <div class="toasts" data-testid="toasts">
      <div aria-live="polite">{toaster.toasts.filter((toast) => toast.kind !== 'error').map(item)}</div>
      <div aria-live="assertive">{toaster.toasts.filter((toast) => toast.kind === 'error').map(item)}</div>
    </div>
  );
}

/** A place kept for a capability that is not built yet: labelled, empty, and saying so. */
export function ReservedPanel(props: { slot: string; title: string; text?: string; level?: 2 | 3 }): JSX.Element {
  const Heading = props.level === 3 ? 'h3' : 'h2';
  return (
    <section class="reserved" data-slot={props.slot} aria-label={props.title}>
      <Heading class="reserved-title">{props.title}</Heading>
      <p class="reserved-text">{props.text ?? t('common.comingLater')}</p>
    </section>
  );
}

/** Text for screen readers only; changing it is announced politely (use for rare, meaningful changes). */
export function PoliteAnnouncer({ text }: { text: string }): JSX.Element {
  return (
    <span class="visually-hidden" aria-live="polite" aria-atomic="true">
      {text}
    </span>
  );
}

export function Spinner({ label }: { label?: string }): JSX.Element {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </div>
  );
}
