/**
 * The host's queue of questions the assistant passed on (the viewer asked for a person, or the
 * assistant was not sure): each with a reply (posted in the chat as the host) or "dismiss". Polled
 * every 5 s and after each chat frame. Open questions first, oldest first; handled ones below.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { answerHandoff, getHandoffs, type HandoffItem } from '../../ui/chat-api.ts';
import { chatLength, handoffReasonText } from '../../ui/chat-view.ts';
import { PoliteAnnouncer, ProblemMessage, type Toaster } from '../../ui/components.tsx';
import { formatClock } from '../../ui/format.ts';
import { useRefreshing } from './use-refreshing.ts';
import { useChat, type ChatStore } from '../../ui/chat-store.ts';
import { staffMaxLength } from '../../../../src/modules/chat/contract.ts';

export const HANDOFF_POLL_MS = 5_000;
/** Before the room's chat settings arrive: the server's default viewer limit (QINGLIU_CHAT_MAX_LENGTH). */
const DEFAULT_VIEWER_MAX = 200;
/** Handled questions still shown, newest first. */
const HANDLED_SHOWN = 10;

export function HandoffQueue(props: { sessionId: string; chat: ChatStore; toaster: Toaster }): JSX.Element {
  const { sessionId, toaster } = props;
  const chat = useChat(props.chat);
  const chatVersion = chat.version;
  // A reply is posted as staff: the staff limit (twice a viewer's).
  const replyMax = staffMaxLength(chat.settings ?? { maxLength: DEFAULT_VIEWER_MAX });
  const queue = useRefreshing(`handoffs:${sessionId}`, () => getHandoffs(sessionId), { trigger: chatVersion, intervalMs: HANDOFF_POLL_MS });
  const [replying, setReplying] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<string | null>(null);

  const items = queue.data?.items ?? [];
  const open = items.filter((item) => item.status === 'open').sort((a, b) => a.at - b.at);
  const handled = items
    .filter((item) => item.status !== 'open')
    .sort((a, b) => b.at - a.at)
    .slice(0, HANDLED_SHOWN);

  const answer = async (item: HandoffItem, body: { action: 'reply'; text: string } | { action: 'dismiss' }): Promise<void> => {
    setBusy(item.id);
    try {
      await answerHandoff(sessionId, item.id, body);
      toaster.show('success', body.action === 'reply' ? t('host.handoffs.replied') : t('host.handoffs.dismissed'));
      setReplying(null);
      setText('');
    } catch (failure) {
      toaster.showError(failure);
    } finally {
      setBusy(null);
      queue.reload();
    }
  };

  return (
    <section class="card panel handoff-queue" aria-labelledby="handoffs-title" data-testid="handoff-queue" data-open={open.length}>
      <div class="panel-head">
        <h2 id="handoffs-title">
          {t('host.handoffs.heading')} {open.length > 0 && <span class="badge badge-live">{open.length}</span>}
        </h2>
        {queue.updatedAt !== null && <span class="muted">{t('host.chat.refreshed', { time: formatClock(queue.updatedAt) })}</span>}
      </div>
      <p class="muted">{t('host.handoffs.note')}</p>
      <PoliteAnnouncer text={open.length > 0 ? t('host.handoffs.announce', { n: open.length }) : ''} />
      {queue.error !== null && <ProblemMessage error={queue.error} />}
      {queue.data === null && queue.error === null && <p class="muted">{t('common.loading')}</p>}
      {queue.data !== null && open.length === 0 && <p class="muted">{t('host.handoffs.empty')}</p>}
      {open.length > 0 && (
        <ol class="handoff-list">
          {open.map((item) => (
            <li key={item.id} class="handoff-item" data-testid="handoff-item" data-handoff-id={item.id}>
              <HandoffHead item={item} />
              <p class="handoff-question" lang={item.locale}>
                {item.question}
              </p>
              {replying === item.id ? (
                <form
                  class="handoff-reply"
                  onSubmit={(event) => {
                    event.preventDefault();
                    if (text.trim() !== '') void answer(item, { action: 'reply', text: text.trim() });
                  }}
                >
                  <label class="visually-hidden" for={`handoff-reply-${item.id}`}>
                    {t('host.handoffs.replyLabel', { nickname: item.nickname })}
                  </label>
                  {!item.messageId && (
                    <p class="muted" data-testid="handoff-reply-public">
                      {t('host.handoffs.replyPublic')}
                    </p>
                  )}
                  <textarea
                    id={`handoff-reply-${item.id}`}
                    class="input"
                    rows={2}
                    maxLength={replyMax}
                    value={text}
                    data-testid="handoff-reply-text"
                    onInput={(e) => setText(e.currentTarget.value)}
                  />
                  <span class="field-hint">{t('live.chat.counter', { n: chatLength(text), max: replyMax })}</span>
                  <div class="row-actions">
                    <button type="submit" class="btn btn-primary btn-small" disabled={busy === item.id || text.trim() === ''} data-testid="handoff-send">
                      {t('host.handoffs.send')}
                    </button>
                    <button type="button" class="btn btn-ghost btn-small" onClick={() => setReplying(null)}>
                      {t('common.cancel')}
                    </button>
                  </div>
                </form>
              ) : (
                <div class="row-actions">
                  <button
                    type="button"
                    class="btn btn-primary btn-small"
                    data-testid="handoff-reply"
                    disabled={busy === item.id}
                    onClick={() => {
                      setReplying(item.id);
                      setText('');
                    }}
                  >
                    {t('host.handoffs.reply')}
                  </button>
                  <button type="button" class="btn btn-ghost btn-small" data-testid="handoff-dismiss" disabled={busy === item.id} onClick={() => void answer(item, { action: 'dismiss' })}>
                    {t('host.handoffs.dismiss')}
                  </button>
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
      {handled.length > 0 && (
        <details class="mod-section">
          <summary>{t('host.handoffs.handled', { n: handled.length })}</summary>
          <ol class="handoff-list is-handled">
            {handled.map((item) => (
              <li key={item.id} class="handoff-item" data-testid="handoff-handled" data-status={item.status}>
                <HandoffHead item={item} />
                <p class="handoff-question" lang={item.locale}>
                  {item.question}
                </p>
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}

function HandoffHead({ item }: { item: HandoffItem }): JSX.Element {
  return (
    <p class="handoff-head">
      <strong>{item.nickname}</strong> <time dateTime={new Date(item.at).toISOString()}>{formatClock(item.at)}</time>{' '}
      <span class="badge badge-category">{item.messageId ? t('host.handoffs.fromChat') : t('host.handoffs.private')}</span>{' '}
      {item.status !== 'open' && <span class="badge badge-ended">{t(`host.handoffs.status.${item.status}`)}</span>}{' '}
      <span class="muted">{t('host.handoffs.reason', { reason: handoffReasonText(item.reason) })}</span>
    </p>
  );
}
