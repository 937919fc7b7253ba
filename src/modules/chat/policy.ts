/**
 * What a chat message may be, decided without I/O: cleaning the text, its length, links and QR codes
 * (LC6: only staff), the keyword filter, and the per-viewer rate limit and slow mode.
 */

export type PolicyCode = 'CHAT_EMPTY' | 'CHAT_TOO_LONG' | 'CHAT_LINK_NOT_ALLOWED' | 'CHAT_BLOCKED_WORDS';

export type TextCheck = { ok: true; text: string } | { ok: false; code: PolicyCode; detail: string; keyword?: string };

/** Zero-width and direction-override characters: invisible, used to dodge filters or to reverse text. */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u00AD]/g;
/** C0/C1 controls except tab and newline (binary smuggled as text). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** Cleans a message: Unicode NFC, invisible characters dropped, runs of blank lines and spaces collapsed. */
export function cleanText(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u3000]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Length as people count it: code points (an emoji or a Han character is one). */
export const codePointLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

// ---- links and QR codes (LC6) ----
/** Top-level domains spammers use in live rooms, and the common ones. */
const TLDS =
  'com|cn|net|org|info|biz|io|co|cc|tv|me|shop|store|top|xyz|vip|club|site|online|link|ly|app|live|ink|wang|ren|xin|hk|tw|mo|jp|kr|us|uk|de|ru|tk|gg|to|li|la|so|im|fun|icu|asia';
const LINK_PATTERNS: readonly RegExp[] = [
  // Any URL scheme, including app jump links (weixin://, taobao://, alipays://).
  /\b[a-z][a-z0-9+.-]{1,20}:\/\//i,
  /\bwww\s*[.。．]/i,
  // A domain, also written with full-width or Chinese dots or "点" between its labels.
  new RegExp(`(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\s*(?:[.。．]|点|dot)\\s*)+(?:${TLDS})\\b`, 'i'),
  // Images and files inline (a QR code posted as a data URL).
  /\bdata:[a-z]+\/[a-z0-9.+-]+[;,]/i,
  // Taobao-style "passwords" (淘口令): a code between currency signs opens a shop link when copied.
  /[￥$€₤¥£₳][A-Za-z0-9]{8,14}[￥$€₤¥£₳]/,
];

/** Whether the text carries a link, a jump code or an inline image (a QR code). */
export function containsLink(text: string): boolean {
  const t = text.normalize('NFKC');
  return LINK_PATTERNS.some((p) => p.test(t));
}

/** Staff links: http(s) URLs only, which the pages render as anchors (and as QR codes when asked). */
export function isSafeLink(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

// ---- keyword filter ----
export interface KeywordLists {
  zh: readonly string[];
  en: readonly string[];
}

/**
 * The deployment's default lists: abuse, and the spam and off-platform-trading phrases live rooms
 * filter. A deployment replaces them with QINGLIU_CHAT_KEYWORDS_FILE; moderators add per room.
 */
export const DEFAULT_KEYWORDS: KeywordLists = {
  zh: ['傻逼', '煞笔', '傻b', '草泥马', '操你', '你妈的', '去死', '滚蛋', '加微信', '加v', '加vx', '私聊下单', '代购', '刷单', '兼职日结', '赌博', '博彩', '色情', '约炮', '贷款秒批'],
  en: ['fuck', 'fucking', 'shit', 'bitch', 'asshole', 'bastard', 'dick', 'cunt', 'retard', 'kill yourself', 'kys', 'whatsapp me', 'dm me to buy', 'crypto giveaway', 'casino', 'porn'],
};

/** Han, Latin letters and digits only: spaces, punctuation and symbols between characters do not dodge the filter. */
const compactZh = (s: string): string => s.normalize('NFKC').toLowerCase().replace(/[^\p{Script=Han}a-z0-9]/gu, '');
/** English words (letters and digits), lower case, with common character swaps undone. */
const words = (s: string): string[] =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[@4]/g, 'a')
    .replace(/3/g, 'e')
    .replace(/[1!|]/g, 'i')
    .replace(/0/g, 'o')
    .replace(/\$/g, 's')
    .split(/[^a-z]+/)
    .filter(Boolean);

export class KeywordFilter {
  readonly #zh: string[];
  readonly #en: string[][];

  constructor(lists: KeywordLists) {
    this.#zh = [...new Set(lists.zh.map(compactZh).filter((k) => k.length > 0))];
    this.#en = lists.en.map((k) => words(k)).filter((w) => w.length > 0);
  }

  /** The first listed keyword the text contains, or undefined. */
  match(text: string): string | undefined {
    const compact = compactZh(text);
    for (const k of this.#zh) if (compact.includes(k)) return k;
    const w = words(text);
    for (const phrase of this.#en) {
      for (let i = 0; i + phrase.length <= w.length; i++) {
        let hit = true;
        for (let j = 0; j < phrase.length; j++) {
          if (w[i + j] !== phrase[j]) {
            hit = false;
            break;
          }
        }
        if (hit) return phrase.join(' ');
      }
    }
    return undefined;
  }
}

/** Merges lists (the deployment's and a room's), without duplicates. */
export function mergeKeywords(a: KeywordLists, b: KeywordLists): KeywordLists {
  return { zh: [...new Set([...a.zh, ...b.zh])], en: [...new Set([...a.en, ...b.en])] };
}

export interface TextRules {
  maxLength: number;
  /** Staff may post links (LC6); viewers may not. */
  staff: boolean;
  filter: KeywordFilter;
}

/** The checks every message passes before it is stored or shown, in order: clean, empty, length, links, keywords. */
export function checkText(raw: string, rules: TextRules): TextCheck {
  if (CONTROL.test(raw)) return { ok: false, code: 'CHAT_EMPTY', detail: 'chat messages are text: control characters are not allowed' };
  const text = cleanText(raw);
  if (text.length === 0) return { ok: false, code: 'CHAT_EMPTY', detail: 'the message is empty' };
  const length = codePointLength(text);
  if (length > rules.maxLength) return { ok: false, code: 'CHAT_TOO_LONG', detail: `at most ${rules.maxLength} characters (this one has ${length})` };
  if (!rules.staff && containsLink(text)) {
    return { ok: false, code: 'CHAT_LINK_NOT_ALLOWED', detail: 'only staff may post links, shop codes or QR codes in the chat' };
  }
  // Staff are filtered too: the filter protects the room, whoever types.
  const keyword = rules.filter.match(text);
  if (keyword !== undefined) return { ok: false, code: 'CHAT_BLOCKED_WORDS', detail: "the message contains a word this room's filter blocks", keyword };
  return { ok: true, text };
}

// ---- rate limit and slow mode ----
export interface Pace {
  tokens: number;
  refilledAt: number;
  /** When the last message was accepted (slow mode). */
  lastAt: number;
}

export type PaceCheck = { ok: true } | { ok: false; code: 'CHAT_RATE_LIMITED' | 'CHAT_SLOW_MODE'; retryAfterSeconds: number };

/**
 * One viewer's pace: a token bucket (`perMinute` messages a minute, bursts of `burst`) and, when slow
 * mode is on, at most one message per `slowModeSeconds`. Mutates `pace` only when the message passes.
 */
export function takePace(pace: Pace, now: number, limits: { perMinute: number; burst: number; slowModeSeconds: number }): PaceCheck {
  if (limits.slowModeSeconds > 0 && pace.lastAt > 0) {
    const wait = pace.lastAt + limits.slowModeSeconds * 1000 - now;
    if (wait > 0) return { ok: false, code: 'CHAT_SLOW_MODE', retryAfterSeconds: Math.ceil(wait / 1000) };
  }
  const perMs = limits.perMinute / 60_000;
  const tokens = Math.min(limits.burst, pace.tokens + (now - pace.refilledAt) * perMs);
  if (tokens < 1) return { ok: false, code: 'CHAT_RATE_LIMITED', retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
  pace.tokens = tokens - 1;
  pace.refilledAt = now;
  pace.lastAt = now;
  return { ok: true };
}

export const freshPace = (burst: number, now: number): Pace => ({ tokens: burst, refilledAt: now, lastAt: 0 });

/** A default nickname for a viewer who chose none: "观众" and four characters of their subject. */
export function defaultNickname(subject: string): string {
  return `观众${subject.replace(/[^A-Za-z0-9]/g, '').slice(-4).toUpperCase()}`;
}

/** Nicknames: 1–20 characters once cleaned, no links, no line breaks. */
export function checkNickname(raw: string | undefined, filter: KeywordFilter): string | undefined {
  if (raw === undefined) return undefined;
  const n = cleanText(raw).replace(/\n/g, ' ');
  if (n.length === 0 || codePointLength(n) > 20 || CONTROL.test(raw) || containsLink(n) || filter.match(n) !== undefined) return undefined;
  return n;
}
