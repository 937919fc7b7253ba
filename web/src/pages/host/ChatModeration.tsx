/**
 * The host console's chat moderation: the room's chat as staff see it (hidden, deleted and
 * shadow-banned messages included, marked), with per-message actions (pin, hide, delete, ban,
 * shadow-ban), the bans with "unban", slow mode and the room's blocked words, a box to post as staff
 * (with a link and its QR code), the append-only moderation log with its hash-chain check (LC3), and
 * the transcript once the show has ended. Refetched on every chat frame of the console's room socket.
 * Hosts see nicknames, never who a viewer is.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import {
  actOnMessage,
  getModeration,
  getModerationLog,
  liftBan,
  postStaffMessage,
  saveChatSettings,
  SLOW_MODE_CHOICES,
  transcriptHref,
  type ChatBan,
  type MessageAction,
  type ModeratedMessage,
  type ModerationEntry,
  type ModerationView,
} from '../../ui/chat-api.ts';
import { AiText, ChatLinks, ChatMeta } from '../../ui/chat-parts.tsx';
import { chatLength, excerpt, keywordLines, safeLinkHref } from '../../ui/chat-view.ts';
import { Dialog, ProblemMessage, type Toaster } from '../../ui/components.tsx';
import type { SessionStatus } from '../../ui/contract.ts';
import { formatClock, formatDateTime } from '../../ui/format.ts';
import { useRefreshing } from './use-refreshing.ts';
import { useChat, type ChatStore } from '../../ui/chat-store.ts';
import './chat-moderation.css';
import { staffMaxLength } from '../../../../src/modules/chat/contract.ts';
import { messageActions } from './moderation-actions.ts';

const DANGEROUS: ReadonlySet<MessageAction> = new Set(['delete', 'ban', 'shadow_ban']);
/** Actions that take something away from a viewer: asked to confirm, with an optional reason for the log. */
const CONFIRMED: ReadonlySet<MessageAction> = new Set(['delete', 'ban', 'shadow_ban']);

export function ChatModeration(props: { sessionId: string; status: SessionStatus; chat: ChatStore; toaster: Toaster }): JSX.Element {
  const { sessionId, toaster } = props;
  const chatVersion = useChat(props.chat).version;
  const view = useRefreshing(`moderation:${sessionId}`, () => getModeration(sessionId), { trigger: chatVersion });
  const [busy, setBusy] = useState<ReadonlySet<string>>(() => new Set());
  const [confirming, setConfirming] = useState<{ message: ModeratedMessage; action: MessageAction } | null>(null);
  const [replyTo, setReplyTo] = useState<ModeratedMessage | null>(null);

  const run = async (key: string, work: () => Promise<unknown>, done: string): Promise<boolean> => {
    setBusy((current) => new Set(current).add(key));
    try {
      await work();
      toaster.show('success', done);
      return true;
    } catch (failure) {
      toaster.showError(failure);
      return false;
    } finally {
      setBusy((current) => {
        const next = new Set(current);
        next.delete(key);
        return next;
      });
      view.reload();
    }
  };

  const act = (message: ModeratedMessage, action: MessageAction, reason?: string): void => {
    void run(`msg:${message.id}`, () => actOnMessage(sessionId, message.id, action, reason), t('host.chat.done', { action: t(`host.chat.actions.${action}`) }));
  };

  const data = view.data;
  return (
    <section class="card panel chat-moderation" aria-labelledby="chat-moderation-title" data-testid="chat-moderation" data-slot="chat-moderation">
      <div class="panel-head">
        <h2 id="chat-moderation-title">{t('host.chat.heading')}</h2>
        {view.updatedAt !== null && <span class="muted">{t('host.chat.refreshed', { time: formatClock(view.updatedAt) })}</span>}
      </div>
      {view.error !== null && <ProblemMessage error={view.error} />}
      {data === null && view.error === null && <p class="muted">{t('common.loading')}</p>}
      {data && (
        <>
          <ModeratedList data={data} busy={busy} onAct={(message, action) => (CONFIRMED.has(action) ? setConfirming({ message, action }) : act(message, action))} onReply={setReplyTo} />
          <StaffMessageBox sessionId={sessionId} replyTo={replyTo} onClearReply={() => setReplyTo(null)} run={run} maxLength={staffMaxLength(data.settings)} />
          <BansList bans={data.bans} busy={busy} onUnban={(ban) => void run(`ban:${ban.id}`, () => liftBan(sessionId, ban.id), t('host.chat.bans.lifted', { nickname: ban.nickname }))} />
          <ChatSettingsForm sessionId={sessionId} data={data} run={run} />
        </>
      )}
      <ModerationLog sessionId={sessionId} trigger={chatVersion} />
      <Transcript sessionId={sessionId} status={props.status} />
      <ConfirmAction
        pending={confirming}
        onCancel={() => setConfirming(null)}
        onConfirm={(reason) => {
          if (confirming) act(confirming.message, confirming.action, reason || undefined);
          setConfirming(null);
        }}
      />
    </section>
  );
}

function ModeratedList(props: {
  data: ModerationView;
  busy: ReadonlySet<string>;
  onAct: (message: ModeratedMessage, action: MessageAction) => void;
  onReply: (message: ModeratedMessage) => void;
}): JSX.Element {
  const { data } = props;
  const pinnedId = data.pinned?.id ?? null;
  // Newest first: the console's job is what just came in.
  const messages = [...data.messages].sort((a, b) => b.at - a.at);
  return (
    <div class="mod-list-wrap">
      <p class="muted mod-summary">
        {t('host.chat.summary', { n: data.messages.length })}
        {data.settings.slowModeSeconds > 0 && <> · {t('host.chat.slowModeOn', { n: data.settings.slowModeSeconds })}</>}
      </p>
      {messages.length === 0 ? (
        <p class="muted">{t('host.chat.empty')}</p>
      ) : (
        <ol class="mod-list" data-testid="mod-messages" aria-label={t('host.chat.listLabel')}>
          {messages.map((message) => {
            const pinned = message.id === pinnedId || message.pinned;
            const disabled = props.busy.has(`msg:${message.id}`);
            const who = message.author.nickname;
            const button = (action: MessageAction, kind = 'btn-ghost'): JSX.Element => (
              <button
                key={action}
                type="button"
                class={`btn ${kind} btn-small`}
                data-testid={`mod-${action}`}
                disabled={disabled}
                aria-label={t(action === 'ban' || action === 'shadow_ban' ? 'host.chat.banLabel' : 'host.chat.actionLabel', { action: t(`host.chat.actions.${action}`), nickname: who })}
                onClick={() => props.onAct(message, action)}
              >
                {t(`host.chat.actions.${action}`)}
              </button>
            );
            return (
              <li
                key={message.id}
                class={`mod-item is-${message.status}${message.shadow ? ' is-shadow' : ''}`}
                data-testid="mod-message"
                data-message-id={message.id}
                data-status={message.status}
                data-shadow={String(message.shadow)}
                data-author-kind={message.author.kind}
              >
                <div class="mod-item-head">
                  <ChatMeta message={message} />
                  <span class="tag-row">
                    {pinned && <span class="badge badge-pinned">{t('host.chat.status.pinned')}</span>}
                    {message.status !== 'visible' && <span class="badge badge-ended">{t(`host.chat.status.${message.status}`)}</span>}
                    {message.shadow && <span class="badge badge-scheduled">{t('host.chat.status.shadow')}</span>}
                  </span>
                </div>
                {message.aiGenerated ? (
                  <AiText text={message.text} label={message.label} />
                ) : (
                  <p class="chat-text" data-testid="mod-text">
                    {message.text}
                  </p>
                )}
                {message.author.kind === 'staff' && message.links && <ChatLinks links={message.links} />}
                {message.status !== 'deleted' && (
                  <div class="row-actions mod-actions">
                    {messageActions(message, pinned).map((action) => button(action, DANGEROUS.has(action) ? 'btn-danger' : 'btn-ghost'))}
                    {message.status === 'visible' && (
                      <button type="button" class="btn btn-ghost btn-small" data-testid="mod-reply" disabled={disabled} onClick={() => props.onReply(message)}>
                        {t('host.chat.reply')}
                      </button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

function ConfirmAction(props: { pending: { message: ModeratedMessage; action: MessageAction } | null; onCancel: () => void; onConfirm: (reason: string) => void }): JSX.Element {
  const [reason, setReason] = useState('');
  useEffect(() => setReason(''), [props.pending]);
  const action = props.pending?.action;
  return (
    <Dialog open={props.pending !== null} title={action ? t(`host.chat.confirm.${action as 'delete' | 'ban' | 'shadow_ban'}`) : ''} onClose={props.onCancel} testId="mod-confirm">
      {props.pending && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            props.onConfirm(reason.trim());
          }}
        >
          <p>
            <strong>{props.pending.message.author.nickname}</strong>：{excerpt(props.pending.message.text, 60)}
          </p>
          <div class="field">
            <label for="mod-reason">{t('host.chat.reason')}</label>
            <input id="mod-reason" class="input" maxLength={200} value={reason} data-testid="mod-reason" onInput={(e) => setReason(e.currentTarget.value)} />
          </div>
          <div class="dialog-actions">
            <button type="button" class="btn btn-ghost" onClick={props.onCancel}>
              {t('common.cancel')}
            </button>
            <button type="submit" class="btn btn-danger-solid" data-testid="mod-confirm-submit">
              {t(`host.chat.actions.${props.pending.action}`)}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

type Run = (key: string, work: () => Promise<unknown>, done: string) => Promise<boolean>;

/** `maxLength`: the server's limit for staff (twice a viewer's, src/modules/chat/contract.ts). */
function StaffMessageBox(props: { sessionId: string; replyTo: ModeratedMessage | null; onClearReply: () => void; run: Run; maxLength: number }): JSX.Element {
  const [text, setText] = useState('');
  const [url, setUrl] = useState('');
  const [qr, setQr] = useState(false);
  const [sending, setSending] = useState(false);
  const link = url.trim();
  const linkInvalid = link !== '' && safeLinkHref(link) === null;

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const words = text.trim();
    if (words === '' || linkInvalid || sending) return;
    setSending(true);
    const body = {
      text: words,
      ...(link ? { link: { url: link, qr } } : {}),
      ...(props.replyTo ? { replyTo: props.replyTo.id } : {}),
    };
    const ok = await props.run('staff-message', () => postStaffMessage(props.sessionId, body), t('host.chat.staff.sent'));
    setSending(false);
    if (ok) {
      setText('');
      setUrl('');
      setQr(false);
      props.onClearReply();
    }
  };

  return (
    <form class="staff-message" onSubmit={submit} noValidate data-testid="staff-message-form">
      <h3>{t('host.chat.staff.heading')}</h3>
      {props.replyTo && (
        <p class="staff-reply-to">
          {t('host.chat.staff.replyingTo', { nickname: props.replyTo.author.nickname, text: excerpt(props.replyTo.text, 30) })}{' '}
          <button type="button" class="btn btn-link btn-small" onClick={props.onClearReply}>
            {t('host.chat.staff.cancelReply')}
          </button>
        </p>
      )}
      <div class="field">
        <label for="staff-text">{t('host.chat.staff.text')}</label>
        <textarea id="staff-text" class="input" rows={2} maxLength={props.maxLength} value={text} data-testid="staff-text" onInput={(e) => setText(e.currentTarget.value)} />
        <span class="field-hint">{t('live.chat.counter', { n: chatLength(text), max: props.maxLength })}</span>
      </div>
      <div class="field">
        <label for="staff-link">{t('host.chat.staff.link')}</label>
        <input
          id="staff-link"
          class="input"
          type="url"
          inputMode="url"
          placeholder="https://"
          value={url}
          aria-invalid={linkInvalid}
          aria-describedby="staff-link-hint"
          data-testid="staff-link"
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <span id="staff-link-hint" class={linkInvalid ? 'field-error' : 'field-hint'}>
          {linkInvalid ? t('host.chat.staff.linkInvalid') : t('host.chat.staff.linkHint')}
        </span>
      </div>
      <label class="staff-qr">
        <input type="checkbox" checked={qr} disabled={link === ''} data-testid="staff-qr" onChange={(e) => setQr(e.currentTarget.checked)} /> {t('host.chat.staff.qr')}
      </label>
      <div class="staff-actions">
        <button type="submit" class="btn btn-primary btn-small" disabled={sending || text.trim() === '' || linkInvalid} data-testid="staff-send">
          {t('host.chat.staff.send')}
        </button>
      </div>
    </form>
  );
}

function BansList(props: { bans: ChatBan[]; busy: ReadonlySet<string>; onUnban: (ban: ChatBan) => void }): JSX.Element {
  return (
    <details class="mod-section" data-testid="chat-bans" open={props.bans.length > 0}>
      <summary>{t('host.chat.bans.heading', { n: props.bans.length })}</summary>
      {props.bans.length === 0 ? (
        <p class="muted">{t('host.chat.bans.empty')}</p>
      ) : (
        <ul class="mod-bans">
          {props.bans.map((ban) => (
            <li key={ban.id} data-testid="chat-ban" data-ban-id={ban.id} data-kind={ban.kind}>
              <span>
                <strong>{ban.nickname}</strong> <span class="badge badge-ended">{t(`host.chat.bans.kind.${ban.kind}`)}</span>{' '}
                <span class="muted">{formatDateTime(ban.at)}</span>
              </span>
              <button
                type="button"
                class="btn btn-secondary btn-small"
                data-testid="chat-unban"
                disabled={props.busy.has(`ban:${ban.id}`)}
                aria-label={t('host.chat.bans.unbanLabel', { nickname: ban.nickname })}
                onClick={() => props.onUnban(ban)}
              >
                {t('host.chat.bans.unban')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

function ChatSettingsForm(props: { sessionId: string; data: ModerationView; run: Run }): JSX.Element {
  const { data } = props;
  const [zh, setZh] = useState(() => data.keywords.zh.join('\n'));
  const [en, setEn] = useState(() => data.keywords.en.join('\n'));
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const savedZh = data.keywords.zh.join('\n');
  const savedEn = data.keywords.en.join('\n');

  // Another console's save shows here unless this one is being edited.
  useEffect(() => {
    if (dirty) return;
    setZh(savedZh);
    setEn(savedEn);
  }, [savedZh, savedEn, dirty]);

  const setSlowMode = (seconds: number): void => {
    void props.run(
      'slow-mode',
      () => saveChatSettings(props.sessionId, { slowModeSeconds: seconds }),
      seconds > 0 ? t('host.chat.settings.slowModeSaved', { n: seconds }) : t('host.chat.settings.slowModeOffSaved'),
    );
  };

  const saveKeywords = async (event: Event): Promise<void> => {
    event.preventDefault();
    setSaving(true);
    const ok = await props.run('keywords', () => saveChatSettings(props.sessionId, { keywords: { zh: keywordLines(zh), en: keywordLines(en) } }), t('host.chat.settings.keywordsSaved'));
    setSaving(false);
    if (ok) setDirty(false);
  };

  return (
    <details class="mod-section" data-testid="chat-settings">
      <summary>{t('host.chat.settings.heading')}</summary>
      <div class="field">
        <label for="slow-mode">{t('host.chat.settings.slowMode')}</label>
        <select id="slow-mode" class="input" value={String(data.settings.slowModeSeconds)} data-testid="slow-mode" onChange={(e) => setSlowMode(Number(e.currentTarget.value))}>
          {SLOW_MODE_CHOICES.map((seconds) => (
            <option key={seconds} value={String(seconds)}>
              {seconds === 0 ? t('host.chat.settings.off') : t('common.seconds', { n: seconds })}
            </option>
          ))}
        </select>
      </div>
      <form onSubmit={saveKeywords} noValidate>
        <p class="field-hint">{t('host.chat.settings.keywordsNote')}</p>
        <div class="mod-keywords">
          <KeywordList lang="zh-CN" label={t('host.chat.settings.keywordsZh')} value={zh} onInput={(v) => { setZh(v); setDirty(true); }} />
          <KeywordList lang="en" label={t('host.chat.settings.keywordsEn')} value={en} onInput={(v) => { setEn(v); setDirty(true); }} />
        </div>
        <button type="submit" class="btn btn-primary btn-small" disabled={saving || !dirty} data-testid="keywords-save">
          {t('host.chat.settings.saveKeywords')}
        </button>
      </form>
    </details>
  );
}

function ModerationLog(props: { sessionId: string; trigger: number }): JSX.Element {
  const [open, setOpen] = useState(false);
  return (
    <details class="mod-section" data-testid="moderation-log" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{t('host.chat.log.heading')}</summary>
      {open && <ModerationLogEntries sessionId={props.sessionId} trigger={props.trigger} />}
    </details>
  );
}

function ModerationLogEntries(props: { sessionId: string; trigger: number }): JSX.Element {
  const log = useRefreshing(`log:${props.sessionId}`, () => getModerationLog(props.sessionId), { trigger: props.trigger });
  if (log.error !== null && log.data === null) return <ProblemMessage error={log.error} />;
  if (log.data === null) return <p class="muted">{t('common.loading')}</p>;
  const entries = [...log.data.entries].sort((a, b) => b.seq - a.seq);
  return (
    <div>
      <p class={log.data.verified ? 'mod-verified' : 'problem'} data-testid="moderation-log-verified" data-verified={String(log.data.verified)}>
        {log.data.verified ? t('host.chat.log.verified', { n: log.data.entries.length }) : t('host.chat.log.broken')}
      </p>
      {entries.length === 0 ? (
        <p class="muted">{t('host.chat.log.empty')}</p>
      ) : (
        <ol class="mod-log">
          {entries.map((entry) => (
            <LogEntry key={entry.seq} entry={entry} />
          ))}
        </ol>
      )}
    </div>
  );
}

function LogEntry({ entry }: { entry: ModerationEntry }): JSX.Element {
  const actor = entry.actor.kind === 'system' ? t('host.chat.log.system') : (entry.actor.name ?? entry.actor.id ?? '—');
  return (
    <li data-testid="moderation-log-entry" data-action={entry.action} data-seq={entry.seq}>
      <span class="mod-log-head">
        <span class="mod-log-seq">#{entry.seq}</span> <time dateTime={new Date(entry.at).toISOString()}>{formatDateTime(entry.at)}</time>{' '}
        <strong>{t(`host.chat.log.actions.${entry.action}`)}</strong>
      </span>
      <span class="muted">
        {t('host.chat.log.by', { actor })}
        {entry.targetNickname !== null && <> · {t('host.chat.log.target', { nickname: entry.targetNickname })}</>}
        {entry.reason && <> · {t('host.chat.log.reason', { reason: entry.reason })}</>}
      </span>
      <code class="mod-log-hash" title={entry.hash}>
        {entry.hash.slice(0, 12)}
      </code>
    </li>
  );
}

function Transcript({ sessionId, status }: { sessionId: string; status: SessionStatus }): JSX.Element {
  return (
    <div class="mod-transcript" data-testid="chat-transcript">
      <h3>{t('host.chat.transcript.heading')}</h3>
      {status === 'ended' ? (
        <p class="tag-row">
          <a class="btn btn-secondary btn-small" href={transcriptHref(sessionId, 'csv')} download data-testid="transcript-csv">
            {t('host.chat.transcript.csv')}
          </a>
          <a class="btn btn-secondary btn-small" href={transcriptHref(sessionId, 'json')} download data-testid="transcript-json">
            {t('host.chat.transcript.json')}
          </a>
        </p>
      ) : (
        <p class="muted">{t('host.chat.transcript.afterEnd')}</p>
      )}
    </div>
  );
}

/** One language's keyword list, one word per line. */
function KeywordList(props: { lang: 'zh-CN' | 'en'; label: string; value: string; onInput: (value: string) => void }): JSX.Element {
  const id = props.lang === 'en' ? 'keywords-en' : 'keywords-zh';
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <textarea id={id} class="input" rows={5} lang={props.lang} value={props.value} data-testid={id} onInput={(e) => props.onInput(e.currentTarget.value)} />
    </div>
  );
}
