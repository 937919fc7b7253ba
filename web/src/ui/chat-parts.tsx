/**
 * Pieces of a chat message the viewer page and the host console both show. Everything a person or
 * the assistant wrote is rendered as text (Preact escapes it; nothing here sets HTML), and only
 * staff messages carry links. An AI message shows its label inside its own text container, so a
 * selection that crosses it copies the label, and its copy handler puts the label in front of
 * whatever of it is copied (AI1).
 */
import type { JSX } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import type { ChatLink, ChatMessage, ChatSource } from '../../../src/modules/chat/contract.ts';
import { pick, t } from '../i18n/index.ts';
import { AI_LABEL, escapeHtml, labelledCopyText, qrShape, safeLinkHref, sourceFieldKey } from './chat-view.ts';
import type { ShowcaseProduct } from './contract.ts';
import { formatClock } from './format.ts';
import './chat-parts.css';

/** The AI label and the message's words, one container; copying keeps the label. */
export function AiText(props: { text: string; label: string | null; testId?: string }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const onCopy = (event: ClipboardEvent): void => {
    const root = ref.current;
    if (!root || !event.clipboardData) return;
    const selection = root.ownerDocument.getSelection();
    const selected = selection && !selection.isCollapsed ? selection : null;
    // A selection reaching outside this message: the browser's copy already has the visible label.
    if (selected && !(root.contains(selected.anchorNode) && root.contains(selected.focusNode))) return;
    const copied = labelledCopyText(selected?.toString() ?? '', props.text);
    event.clipboardData.setData('text/plain', copied);
    event.clipboardData.setData('text/html', escapeHtml(copied));
    event.preventDefault();
  };
  return (
    <div class="ai-text" ref={ref} onCopy={onCopy} data-testid={props.testId} data-ai-generated="true">
      <span class="badge ai-label" data-testid="ai-label">
        {props.label ?? AI_LABEL}
      </span>{' '}
      <span class="ai-words" data-testid="ai-words">
        {props.text}
      </span>
    </div>
  );
}

/** Host or moderator, for a staff author. */
export function staffRoleText(role: string | undefined): string {
  return role === 'host' ? t('live.chat.roleHost') : t('live.chat.roleStaff');
}

/** Nickname, staff role, "you" on the viewer's own messages, and the time. */
export function ChatMeta({ message, own = false }: { message: ChatMessage; own?: boolean }): JSX.Element {
  const { author } = message;
  return (
    <span class="chat-meta">
      <span class="chat-nick" data-testid="chat-nick">
        {author.nickname}
      </span>
      {author.kind === 'staff' && (
        <span class="badge chat-role" data-testid="chat-role">
          {staffRoleText(author.role)}
        </span>
      )}
      {own && <span class="chat-self">{t('live.chat.you')}</span>}
      <time class="chat-time" dateTime={new Date(message.at).toISOString()}>
        {formatClock(message.at)}
      </time>
    </span>
  );
}

/** A staff message's links: anchors that open a new tab without the page's context, and QR codes. */
export function ChatLinks({ links }: { links: readonly ChatLink[] }): JSX.Element | null {
  const safe = links.flatMap((link) => {
    const href = safeLinkHref(link.url);
    return href ? [{ href, qr: link.qr }] : [];
  });
  if (safe.length === 0) return null;
  return (
    <ul class="chat-links">
      {safe.map((link) => (
        <li key={link.href}>
          <a href={link.href} target="_blank" rel="noopener noreferrer nofollow" data-testid="chat-link">
            {link.href}
          </a>
          {link.qr && <QrCode text={link.href} />}
        </li>
      ))}
    </ul>
  );
}

export function QrCode({ text }: { text: string }): JSX.Element {
  const shape = useMemo(() => qrShape(text), [text]);
  return (
    <svg
      class="chat-qr"
      data-testid="chat-qr"
      viewBox={`0 0 ${shape.size} ${shape.size}`}
      width={88}
      height={88}
      role="img"
      aria-label={t('live.chat.qrLabel', { url: text })}
      shape-rendering="crispEdges"
    >
      <rect width={shape.size} height={shape.size} fill="#fff" />
      <path d={shape.path} fill="#000" />
    </svg>
  );
}

/** What an answer drew on: each product by its name in the room (or the brand's FAQ) and the fields used. */
export function AnswerSources({ sources, products }: { sources: readonly ChatSource[]; products: readonly ShowcaseProduct[] }): JSX.Element | null {
  if (sources.length === 0) return null;
  const byId = new Map(products.map((p) => [p.id, p]));
  return (
    <div class="answer-sources" data-testid="answer-sources">
      <span class="answer-sources-title">{t('live.assistant.sources')}</span>
      <ul>
        {sources.map((source, i) => {
          const product = source.productId === null ? undefined : byId.get(source.productId);
          const name = source.productId === null ? t('live.assistant.sourceFaq') : product ? pick(product.name) : t('live.assistant.sourceOther');
          const fields = [...new Set(source.fields.map(fieldText))];
          return (
            <li key={`${source.productId ?? 'faq'}-${i}`} data-testid="answer-source" data-product-id={source.productId ?? undefined}>
              <span class="answer-source-name">{name}</span>
              {fields.length > 0 && <span class="answer-source-fields">{t('live.assistant.sourceFields', { fields: fields.join(t('live.assistant.fieldSeparator')) })}</span>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function fieldText(field: string): string {
  const key = sourceFieldKey(field);
  return key ? t(`live.assistant.fields.${key}`) : field;
}
