/**
 * The viewer's live chat: the room's messages over the room socket (chat-state.ts), a pinned
 * message on top, and a box to write in with a nickname of the viewer's choosing. Everything people
 * wrote is shown as text, never as HTML, and viewers' words are never made into links; only staff
 * messages carry links (and QR codes). Messages starting with "@助手" get a public answer from the
 * assistant, labelled as AI-generated like every AI message (AI1) and reportable (AI6); the
 * "Ask the assistant" button asks privately instead (Assistant.tsx).
 */
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage } from '../../../../src/modules/chat/contract.ts';
import { currentLocale, t } from '../../i18n/index.ts';
import { AiText, AnswerSources, ChatLinks, ChatMeta } from '../../ui/chat-parts.tsx';
import {
  chatErrorText,
  chatLength,
  cleanNickname,
  defaultNickname,
  excerpt,
  NICKNAME_MAX,
  readNickname,
  writeNickname,
} from '../../ui/chat-view.ts';
import type { ShowcaseProduct } from '../../ui/contract.ts';
import { deviceId, storedDeviceId } from '../../ui/device.ts';
import type { ChatState } from '../../ui/chat-state.ts';
import { useChat } from '../../ui/chat-store.ts';
import type { RoomHandle } from '../../ui/use-room.ts';
import { AssistantPanel } from './Assistant.tsx';
import type { ReportSubject } from './ReportDialog.tsx';
import './chat.css';

/** Until the room's settings arrive (chat_history), the server's default. */
const DEFAULT_MAX_LENGTH = 200;
/** How close to the bottom (px) still counts as "reading the newest": new messages then scroll in. */
const STICK_TO_BOTTOM_PX = 48;

export function ChatPanel(props: {
  sessionId: string;
  room: Pick<RoomHandle, 'chat' | 'sendChat' | 'clearChatError'>;
  products: readonly ShowcaseProduct[];
  onReport: (subject: ReportSubject) => void;
}): JSX.Element {
  const chat = useChat(props.room.chat);
  const [assistantOpen, setAssistantOpen] = useState(false);
  const byId = new Map(chat.messages.map((m) => [m.id, m]));
  const own = new Set(chat.own);
  const reportAnswer = (message: ChatMessage): void =>
    props.onReport({ target: 'assistant_answer', messageId: message.id, summary: excerpt(message.text), answerText: message.text });

  return (
    <section class="card chat-panel" aria-labelledby="chat-heading" data-testid="chat-panel" data-slot="chat">
      <div class="chat-head">
        <h2 class="section-title" id="chat-heading">
          {t('live.chat.heading')}
        </h2>
        <button
          type="button"
          class="btn btn-secondary btn-small"
          data-testid="assistant-open"
          aria-expanded={assistantOpen}
          aria-controls="assistant-slot"
          onClick={() => setAssistantOpen((open) => !open)}
        >
          {t('live.assistant.open')}
        </button>
      </div>
      <div id="assistant-slot">
        {assistantOpen && (
          <AssistantPanel sessionId={props.sessionId} products={props.products} onReport={props.onReport} onClose={() => setAssistantOpen(false)} />
        )}
      </div>
      {chat.pinned && (
        <div class="chat-pinned" data-testid="chat-pinned" data-message-id={chat.pinned.id}>
          <span class="badge badge-pinned">{t('live.chat.pinned')}</span>
          <MessageBody message={chat.pinned} products={props.products} onReport={reportAnswer} />
        </div>
      )}
      <ChatLog messages={chat.messages}>
        {chat.messages.map((message) => (
          <ChatLine
            key={message.id}
            message={message}
            own={own.has(message.id)}
            replyTo={message.replyTo ? byId.get(message.replyTo) : undefined}
            products={props.products}
            onReport={reportAnswer}
          />
        ))}
      </ChatLog>
      <ChatCompose chat={chat} room={props.room} />
    </section>
  );
}

/** The scrolling list; follows the newest message unless the viewer scrolled up to read. */
function ChatLog(props: { messages: readonly ChatMessage[]; children: JSX.Element[] }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [unseen, setUnseen] = useState(false);
  const last = props.messages.at(-1)?.id;

  useLayoutEffect(() => {
    const list = ref.current;
    if (!list) return;
    if (atBottom.current) list.scrollTop = list.scrollHeight;
    else if (last !== undefined) setUnseen(true);
  }, [last]);

  const jump = (): void => {
    const list = ref.current;
    if (list) list.scrollTop = list.scrollHeight;
    setUnseen(false);
  };

  return (
    <div class="chat-log-wrap">
      <div
        ref={ref}
        class="chat-log"
        role="log"
        aria-label={t('live.chat.logLabel')}
        tabIndex={0}
        data-testid="chat-log"
        onScroll={(event) => {
          const list = event.currentTarget;
          atBottom.current = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_TO_BOTTOM_PX;
          if (atBottom.current) setUnseen(false);
        }}
      >
        {props.children.length === 0 ? <p class="chat-empty muted">{t('live.chat.empty')}</p> : <ol class="chat-lines">{props.children}</ol>}
      </div>
      {unseen && (
        <button type="button" class="btn btn-primary btn-small chat-unseen" data-testid="chat-unseen" onClick={jump}>
          {t('live.chat.newMessages')}
        </button>
      )}
    </div>
  );
}

function ChatLine(props: {
  message: ChatMessage;
  own: boolean;
  replyTo: ChatMessage | undefined;
  products: readonly ShowcaseProduct[];
  onReport: (message: ChatMessage) => void;
}): JSX.Element {
  const { message } = props;
  return (
    <li
      class={`chat-line is-${message.author.kind}${props.own ? ' is-own' : ''}${message.pinned ? ' is-pinned' : ''}`}
      data-testid="chat-message"
      data-message-id={message.id}
      data-author-kind={message.author.kind}
      data-ai-generated={String(message.aiGenerated)}
    >
      {props.replyTo && (
        <p class="chat-reply-to">
          {t('live.chat.replyTo', { nickname: props.replyTo.author.nickname, text: excerpt(props.replyTo.text, 24) })}
        </p>
      )}
      <MessageBody message={message} own={props.own} products={props.products} onReport={props.onReport} />
    </li>
  );
}

/** Meta line, then the words: AI messages labelled, staff links as anchors, everything else plain text. */
function MessageBody(props: { message: ChatMessage; own?: boolean; products: readonly ShowcaseProduct[]; onReport: (message: ChatMessage) => void }): JSX.Element {
  const { message } = props;
  return (
    <>
      <ChatMeta message={message} own={props.own ?? false} />
      {message.aiGenerated ? (
        <AiText text={message.text} label={message.label} testId="chat-ai-text" />
      ) : (
        <p class="chat-text" data-testid="chat-text">
          {message.text}
        </p>
      )}
      {message.author.kind === 'staff' && message.links && message.links.length > 0 && <ChatLinks links={message.links} />}
      {message.aiGenerated && (
        <>
          {message.sources && <AnswerSources sources={message.sources} products={props.products} />}
          {message.handoff && (
            <p class="handoff-note" data-testid="handoff-note">
              {t('live.assistant.handoff')}
            </p>
          )}
          <div class="answer-actions">
            <button
              type="button"
              class="btn btn-link btn-small report-button"
              data-testid="report-answer"
              aria-haspopup="dialog"
              aria-label={t('live.report.answerLabel')}
              onClick={() => props.onReport(message)}
            >
              {t('live.report.button')}
            </button>
          </div>
        </>
      )}
    </>
  );
}

function ChatCompose({ chat, room }: { chat: ChatState; room: Pick<RoomHandle, 'sendChat' | 'clearChatError'> }): JSX.Element {
  const [text, setText] = useState('');
  const [nickname, setNickname] = useState(() => readNickname() ?? defaultNickname());
  const [editingNickname, setEditingNickname] = useState(false);
  const [nicknameDraft, setNicknameDraft] = useState('');
  const [sendingId, setSendingId] = useState<string | null>(null);
  const [offline, setOffline] = useState(false);
  const maxLength = chat.settings?.maxLength ?? DEFAULT_MAX_LENGTH;
  const slowMode = chat.settings?.slowModeSeconds ?? 0;
  const sending = sendingId !== null && chat.pending.includes(sendingId);
  const length = chatLength(text);
  const error = chat.error;

  // The server took it: the box is ready for the next one.
  useEffect(() => {
    if (sendingId !== null && chat.lastAck?.clientEventId === sendingId) {
      setText('');
      setSendingId(null);
    }
  }, [chat.lastAck, sendingId]);

  const send = (event: Event): void => {
    event.preventDefault();
    const words = text.trim();
    if (words === '' || sending || length > maxLength) return;
    // Chatting needs an id for the room's limits and bans; a viewer who has not decided on consent
    // yet gets one now (it carries nothing but what they send).
    const id = room.sendChat({ deviceId: storedDeviceId() ?? deviceId(), text: words, nickname, locale: currentLocale() });
    setOffline(id === null);
    if (id === null) return;
    writeNickname(nickname); // the viewer has spoken under it: keep it for next time
    setSendingId(id);
  };

  const saveNickname = (event: Event): void => {
    event.preventDefault();
    const cleaned = cleanNickname(nicknameDraft);
    if (cleaned) {
      setNickname(cleaned);
      writeNickname(cleaned);
    }
    setEditingNickname(false);
  };

  return (
    <div class="chat-compose" data-testid="chat-compose">
      {editingNickname ? (
        <form class="chat-nickname-form" onSubmit={saveNickname} noValidate>
          <label for="chat-nickname">{t('live.chat.nickname')}</label>
          <input
            id="chat-nickname"
            class="input"
            maxLength={NICKNAME_MAX}
            value={nicknameDraft}
            data-testid="chat-nickname-input"
            aria-describedby="chat-nickname-hint"
            onInput={(e) => setNicknameDraft(e.currentTarget.value)}
          />
          <button type="submit" class="btn btn-primary btn-small" data-testid="chat-nickname-save">
            {t('live.chat.nicknameSave')}
          </button>
          <button type="button" class="btn btn-ghost btn-small" onClick={() => setEditingNickname(false)}>
            {t('common.cancel')}
          </button>
          <span class="field-hint" id="chat-nickname-hint">
            {t('live.chat.nicknameHint', { max: NICKNAME_MAX })}
          </span>
        </form>
      ) : (
        <p class="chat-nickname-line">
          {t('live.chat.postingAs')}{' '}
          <strong data-testid="chat-nickname">{nickname}</strong>{' '}
          <button
            type="button"
            class="btn btn-link btn-small"
            data-testid="chat-nickname-edit"
            onClick={() => {
              setNicknameDraft(nickname);
              setEditingNickname(true);
            }}
          >
            {t('live.chat.nicknameEdit')}
          </button>
        </p>
      )}
      {slowMode > 0 && (
        <p class="chat-slow-mode" data-testid="chat-slow-mode">
          {t('live.chat.slowMode', { n: slowMode })}
        </p>
      )}
      <form class="chat-form" onSubmit={send} noValidate>
        <label class="visually-hidden" for="chat-input">
          {t('live.chat.inputLabel')}
        </label>
        <textarea
          id="chat-input"
          class="input chat-input"
          rows={1}
          maxLength={maxLength}
          value={text}
          placeholder={t('live.chat.placeholder')}
          aria-invalid={error !== null}
          aria-describedby="chat-counter chat-error"
          data-testid="chat-input"
          onInput={(e) => {
            setText(e.currentTarget.value);
            setOffline(false);
            if (error !== null) room.clearChatError();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) send(e);
          }}
        />
        <button type="submit" class="btn btn-primary chat-send" disabled={sending || text.trim() === '' || length > maxLength} data-testid="chat-send">
          {sending ? t('live.chat.sending') : t('live.chat.send')}
        </button>
      </form>
      <div class="chat-form-foot">
        <span id="chat-error" class="chat-error" role="alert" data-testid="chat-error" data-code={error?.code ?? (offline ? 'OFFLINE' : undefined)}>
          {error !== null ? chatErrorText(error) : offline ? t('live.chat.offline') : ''}
        </span>
        <span id="chat-counter" class={`chat-counter${length > maxLength ? ' is-over' : ''}`} data-testid="chat-counter">
          {t('live.chat.counter', { n: length, max: maxLength })}
        </span>
      </div>
    </div>
  );
}
