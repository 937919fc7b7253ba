/**
 * A notice's exact words, as archived under the hash a consent record stores: fetched when the
 * reader opens it, and checked against that hash in the page where the browser can (secure pages).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { languageName, t } from '../i18n/index.ts';
import { ApiError, getArchivedNotice } from './api.ts';
import type { ArchivedNotice } from './consent.ts';
import { ProblemMessage, Spinner } from './components.tsx';
import { noticeKindLabel } from './notice-kinds.ts';

type State =
  | { kind: 'closed' }
  | { kind: 'loading' }
  | { kind: 'shown'; notice: ArchivedNotice; matches: boolean | null }
  | { kind: 'missing' }
  | { kind: 'failed'; error: unknown };

/** SHA-256 (hex) of the text as UTF-8, or null where the page cannot compute it (no Web Crypto outside secure contexts). */
export async function sha256Hex(text: string): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * `context` tells this record's notice apart from the others' for screen readers (its version and
 * time, say): every summary reads the same on the page.
 */
export function NoticeWords({ hash, context, testId = 'notice-words' }: { hash: string; context: string; testId?: string }): JSX.Element {
  const [state, setState] = useState<State>({ kind: 'closed' });

  const load = async () => {
    setState({ kind: 'loading' });
    try {
      const notice = await getArchivedNotice(hash);
      const digest = await sha256Hex(notice.text);
      setState({ kind: 'shown', notice, matches: digest === null ? null : digest === hash });
    } catch (error) {
      setState(error instanceof ApiError && error.code === 'NOTICE_NOT_FOUND' ? { kind: 'missing' } : { kind: 'failed', error });
    }
  };

  return (
    <details
      class="notice-words"
      data-testid={testId}
      onToggle={(e) => {
        if ((e.currentTarget as HTMLDetailsElement).open && (state.kind === 'closed' || state.kind === 'failed')) void load();
      }}
    >
      <summary>
        {t('notices.read')}
        <span class="visually-hidden">{t('notices.readContext', { which: context })}</span>
      </summary>
      {/* Short news for screen readers; the text itself is not read out unasked. */}
      <div aria-live="polite">
        {state.kind === 'missing' && <p class="muted">{t('notices.missing')}</p>}
        {state.kind === 'shown' && <span class="visually-hidden">{t('notices.loaded')}</span>}
      </div>
      {state.kind === 'loading' && <Spinner />}
      {state.kind === 'failed' && <ProblemMessage error={state.error} />}
      {state.kind === 'shown' && (
          <div>
            <p class="muted">
              {noticeKindLabel(state.notice.kind)} · {t('notices.version', { version: state.notice.version })} · {languageName(state.notice.locale)}
            </p>
            {/* Scrolls when long: focusable so a keyboard can scroll it. */}
            <div class="notice-text" lang={state.notice.locale} data-testid="notice-text" tabIndex={0} role="region" aria-label={t('notices.textLabel')}>
              {state.notice.text.split('\n\n').map((paragraph, i) => (
                <p key={i}>{paragraph}</p>
              ))}
            </div>
            <p class={state.matches === false ? 'problem' : 'muted'} data-testid="notice-hash-check" role={state.matches === false ? 'alert' : undefined}>
              {state.matches === null ? t('notices.hashUnchecked') : state.matches ? t('notices.hashMatches') : t('notices.hashDiffers')}
            </p>
          </div>
      )}
    </details>
  );
}
