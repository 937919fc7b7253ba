/**
 * The chat's small pure rules the viewer page and the host console share: the AI label kept on
 * copy (AI1), the viewer's nickname, "@助手" mentions, refusals in the viewer's language, safe hrefs
 * for staff links, QR codes as one SVG path (uqr), and the names of an answer's sources.
 * No DOM; unit-tested.
 */
import { encode } from 'uqr';
import { AI_LABEL, AI_LABEL_PREFIX } from '../../../src/modules/chat/contract.ts';
import { errorCodeMessage, t } from '../i18n/index.ts';
import zhCN from '../i18n/zh-CN.json';
import type { ChatSendError } from './chat-state.ts';

export { AI_LABEL, AI_LABEL_PREFIX };

// ---- the AI label on copy ----

const LEADING_LABEL = new RegExp(`^\\s*(?:${escapeRegExp(AI_LABEL_PREFIX)}|${escapeRegExp(AI_LABEL)})\\s*`);

/**
 * What copying an AI message puts on the clipboard: the selected part of it (or all of it when
 * nothing is selected), always starting with the label — once, even when the selection took the
 * visible badge along.
 */
export function labelledCopyText(selected: string, fullText: string): string {
  const chosen = selected.trim() === '' ? fullText : selected;
  return AI_LABEL_PREFIX + chosen.replace(LEADING_LABEL, '').trim();
}

/** The same text for a text/html clipboard entry: escaped, never markup of the message's own. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---- nickname ----

export const NICKNAME_STORAGE_KEY = 'qingliu.chat.nickname';
export const NICKNAME_MAX = 20;
export const DEFAULT_NICKNAME_PREFIX = '观众';
/** No 0/O, 1/I/L: a nickname read aloud stays unambiguous. */
const NICKNAME_CHARS = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export type NicknameStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** "观众" and four random letters or digits. */
export function defaultNickname(random: () => number = Math.random): string {
  let tail = '';
  for (let i = 0; i < 4; i++) tail += NICKNAME_CHARS[Math.floor(random() * NICKNAME_CHARS.length)] ?? 'X';
  return DEFAULT_NICKNAME_PREFIX + tail;
}

/** A typed nickname, spaces collapsed and cut to 20 characters (code points); null when empty. */
export function cleanNickname(input: string): string | null {
  const collapsed = input.replace(/\s+/g, ' ').trim();
  if (collapsed === '') return null;
  return Array.from(collapsed).slice(0, NICKNAME_MAX).join('');
}

function defaultStorage(): NicknameStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

export function readNickname(storage: NicknameStorage | undefined = defaultStorage()): string | null {
  try {
    const value = storage?.getItem(NICKNAME_STORAGE_KEY) ?? null;
    return value === null ? null : cleanNickname(value);
  } catch {
    return null;
  }
}

export function writeNickname(nickname: string, storage: NicknameStorage | undefined = defaultStorage()): void {
  try {
    storage?.setItem(NICKNAME_STORAGE_KEY, nickname);
  } catch {
    // blocked storage: the nickname holds for this page view
  }
}

// ---- composing ----

/** Whether a chat message asks the assistant publicly ("@助手 …", "@assistant …"). */
export function isAssistantMention(text: string): boolean {
  return /^\s*[@＠](?:助手|assistant)(?![A-Za-z0-9_])/i.test(text);
}

/** Characters as the server counts them (code points, so an emoji is one). */
export function chatLength(text: string): number {
  return Array.from(text).length;
}

/** The first words of a message, to say which one is meant (a report, a reply). */
export function excerpt(text: string, max = 40): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : chars.join('');
}

/** The seconds to wait that a CHAT_SLOW_MODE detail names ("wait 7 s", "请 7 秒后"), or null. */
export function secondsFromDetail(detail: string): number | null {
  const match = /(\d+(?:\.\d+)?)/.exec(detail);
  if (!match) return null;
  const seconds = Math.ceil(Number(match[1]));
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** A refused send in the viewer's language; a slow-mode wait names its seconds. */
export function chatErrorText(error: Pick<ChatSendError, 'code' | 'detail'>): string {
  if (error.code === 'CHAT_SLOW_MODE') {
    const seconds = secondsFromDetail(error.detail);
    if (seconds !== null) return t('live.chat.slowModeWait', { n: seconds });
  }
  return errorCodeMessage(error.code) ?? error.detail;
}

// ---- staff ----

/** The host's keyword list, one a line: trimmed, blank lines and repeats dropped. */
export function keywordLines(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''))];
}

/** Why the assistant passed a question on, in words; a reason this page does not know shows as sent. */
export function handoffReasonText(reason: string): string {
  return Object.hasOwn(zhCN.host.handoffs.reasons, reason) ? t(`host.handoffs.reasons.${reason as keyof typeof zhCN.host.handoffs.reasons}`) : reason;
}

/** An http(s) URL as a link target; anything else (javascript:, data:, garbage) → null. */
export function safeLinkHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

export interface QrShape {
  /** Modules per side, the quiet border included. */
  size: number;
  /** One SVG path drawing every dark module as a 1×1 square. */
  path: string;
}

/** A QR code of `text` (error correction M, a 2-module border) as one SVG path. */
export function qrShape(text: string): QrShape {
  const qr = encode(text, { ecc: 'M', border: 2 });
  let path = '';
  qr.data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return { size: qr.size, path };
}

// ---- an answer's sources ----

/** Fields the pages name in words; any other shows as the server wrote it. */
export const KNOWN_SOURCE_FIELDS = ['name', 'price', 'listPrice', 'stock', 'description', 'attributes', 'category', 'age', 'faq', 'flashSale', 'sku'] as const;
export type KnownSourceField = (typeof KNOWN_SOURCE_FIELDS)[number];

/** "attributes.material" → "attributes", "priceFen" → "price", "ageMinMonths" → "age"; null when unknown. */
export function sourceFieldKey(field: string): KnownSourceField | null {
  const head = field.split(/[.:]/)[0] ?? field;
  const normal = head
    .replace(/Fen$/, '')
    .replace(/^age(Min|Max)Months$/, 'age')
    .replace(/^(faqs|question|answer)$/, 'faq')
    .replace(/^(name|description|attributes)(Zh|En)$/, '$1');
  return (KNOWN_SOURCE_FIELDS as readonly string[]).includes(normal) ? (normal as KnownSourceField) : null;
}
