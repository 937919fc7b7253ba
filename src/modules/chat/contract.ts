/**
 * The live chat's and the assistant's contract, shared by the server and the pages: what a chat
 * message is, what the room socket carries for chat, and the HTTP bodies of moderation and the
 * assistant. No runtime imports beyond constants, so the pages can take it without bundling server
 * code.
 */

/** The visible label every AI message carries (AI1), in both languages at once. */
export const AI_LABEL = 'AI生成 / AI-generated';
/** The same label as the prefix kept inside copied and exported text. */
export const AI_LABEL_PREFIX = `【${AI_LABEL}】`;

export type ChatAuthorKind = 'viewer' | 'staff' | 'assistant';

export interface ChatAuthor {
  kind: ChatAuthorKind;
  /** The nickname the viewer chose (or was given), the staff member's display name, or "清流助手 / Assistant". */
  nickname: string;
  /** Staff: their role (host, moderator, admin); absent for viewers and the assistant. */
  role?: string;
}

/** A link a staff message carries; only staff messages have them (LC6). */
export interface ChatLink {
  url: string;
  /** Shown as a QR code beside the message. */
  qr: boolean;
}

export interface ChatSource {
  /** null: the brand's FAQ. */
  productId: string | null;
  fields: string[];
}

export interface ChatMessage {
  id: string;
  sessionId: string;
  author: ChatAuthor;
  /** Plain text, never HTML: pages render it as text. AI messages do not repeat the label here. */
  text: string;
  /** Server time, ms since the epoch. */
  at: number;
  /** True on every assistant message (AI1); the page shows `label` visibly and keeps it on copy. */
  aiGenerated: boolean;
  label: string | null;
  /** Assistant answers: the products and fields the answer used. */
  sources?: ChatSource[];
  /** Assistant answers: whether the question went to the host's queue. */
  handoff?: boolean;
  /** The message this one answers (an assistant answer, a staff reply). */
  replyTo?: string | null;
  links?: ChatLink[];
  pinned: boolean;
}

/** Chat settings of a room that viewers see. */
export interface ChatRoomSettings {
  /** 0: off; otherwise one message per viewer per this many seconds. */
  slowModeSeconds: number;
  maxLength: number;
}

/** Staff (posts and replies to handed-off questions) may write twice a viewer's longest message. */
export const STAFF_LENGTH_FACTOR = 2;
export const staffMaxLength = (settings: Pick<ChatRoomSettings, 'maxLength'>): number => settings.maxLength * STAFF_LENGTH_FACTOR;

// ---- socket frames (server → client), added to the room socket's messages ----
export type ChatServerFrame =
  /** Right after the room snapshot: the last messages (at most 200), the pinned one and the settings. */
  | { type: 'chat_history'; messages: ChatMessage[]; pinned: ChatMessage | null; settings: ChatRoomSettings }
  | { type: 'chat_message'; message: ChatMessage }
  /** Several messages at once: in a busy room the server sends what arrived in the last ~50 ms together. */
  | { type: 'chat_messages'; messages: ChatMessage[] }
  /** Messages taken out of the chat (deleted, hidden, or all of a banned viewer's). */
  | { type: 'chat_removed'; ids: string[]; reason: 'deleted' | 'hidden' | 'banned' }
  /** A hidden message shown again. */
  | { type: 'chat_restored'; message: ChatMessage }
  | { type: 'chat_pinned'; message: ChatMessage | null }
  | { type: 'chat_settings'; settings: ChatRoomSettings }
  /**
   * Your message is stored (it also arrives as chat_message). `duplicate`: this clientEventId was
   * stored already (a resend after a lost ack): messageId names that message; nothing new is posted.
   */
  | { type: 'chat_ack'; clientEventId: string; messageId: string; duplicate?: boolean };

// ---- socket frames (client → server) ----
export interface ChatSendFrame {
  type: 'chat_send';
  clientEventId: string;
  deviceId: string;
  text: string;
  /** 1–20 characters; a default one is given when absent. */
  nickname?: string;
  /** The page's language, for an assistant answer when the text starts with @助手 / @assistant. */
  locale?: 'zh-CN' | 'en';
}

// ---- HTTP ----
/** POST /api/v1/sessions/:sessionId/assistant */
export interface AssistantQuestion {
  question: string;
  locale: 'zh-CN' | 'en';
  /** The asking device: conversation memory and the handoff queue use it; optional. */
  deviceId?: string;
}

export interface AssistantReply {
  id: string;
  answer: string;
  aiGenerated: true;
  label: string;
  sources: ChatSource[];
  handoff: boolean;
  /** answered | handoff | declined */
  outcome: 'answered' | 'handoff' | 'declined';
  /** Products named by the answer (the page links them to their cards). */
  productIds: string[];
}

// ---- reports (AI6) ----
export const REPORT_REASONS = ['wrong', 'offensive', 'privacy', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export type ReportTarget = 'assistant_answer' | 'recommendation';
export const REPORT_DETAILS_MAX = 1000;
/** A reported answer's text: private answers are not stored, so the report carries what the viewer saw. */
export const REPORT_EXCERPT_MAX = 1000;

/** POST /api/v1/reports → 201 {ticketId}: a complaint ticket in the compliance console. */
export interface ReportBody {
  deviceId: string;
  sessionId: string;
  target: ReportTarget;
  /** target assistant_answer: the answer's id (a chat message id, or the reply's id). */
  messageId?: string;
  /** target recommendation: the recommended product. */
  productId?: string;
  reason: ReportReason;
  details?: string;
  excerpt?: string;
  locale?: 'zh-CN' | 'en';
}

// ---- moderation (staff) ----
export const MESSAGE_ACTIONS = ['delete', 'hide', 'unhide', 'pin', 'unpin', 'ban', 'shadow_ban'] as const;
export type MessageAction = (typeof MESSAGE_ACTIONS)[number];
/** `banned`: taken out with all of its author's messages by a ban. */
export type ModerationStatus = 'visible' | 'hidden' | 'deleted' | 'banned';
export type ModeratedMessage = ChatMessage & { status: ModerationStatus; shadow: boolean };

export interface ChatBan {
  id: string;
  nickname: string;
  kind: 'ban' | 'shadow';
  at: number;
}

export interface ChatKeywords {
  zh: string[];
  en: string[];
}

/** GET /api/v1/sessions/:id/chat/moderation */
export interface ModerationView {
  messages: ModeratedMessage[];
  pinned: ChatMessage | null;
  settings: ChatRoomSettings;
  bans: ChatBan[];
  keywords: ChatKeywords;
}

/** PUT /api/v1/sessions/:id/chat/settings */
export interface ChatSettingsBody {
  slowModeSeconds?: number;
  keywords?: ChatKeywords;
}

/** A question in the host's queue (the viewer asked for a person, or the assistant was unsure). */
export interface HandoffItem {
  id: string;
  sessionId: string;
  question: string;
  nickname: string;
  locale: 'zh-CN' | 'en';
  reason: string;
  at: number;
  status: 'open' | 'answered' | 'dismissed';
  /** The chat message the question came from, when asked in the chat. */
  messageId: string | null;
}

/** One entry of the append-only moderation log (LC3). */
export interface ModerationEntry {
  seq: number;
  sessionId: string;
  action: ModerationAction;
  /** The message acted on, if any. */
  messageId: string | null;
  /** The viewer's nickname at the time (hosts see nicknames, never identities). */
  targetNickname: string | null;
  actor: { kind: 'staff' | 'system'; id: string | null; name: string | null };
  reason: string | null;
  details: Record<string, unknown>;
  at: number;
  /** SHA-256 over the previous entry's hash and this entry: the chain shows nothing was removed or changed. */
  hash: string;
}

export const MODERATION_ACTIONS = [
  'delete',
  'hide',
  'unhide',
  'ban',
  'unban',
  'shadow_ban',
  'pin',
  'unpin',
  'slow_mode',
  'keywords',
  'filtered',
] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];

/** What one transcript row holds (CSV columns in this order). */
export const TRANSCRIPT_COLUMNS = ['at', 'author_kind', 'nickname', 'text', 'ai_generated', 'label', 'status'] as const;
