/** What the chat needs from storage (one port; the Kysely adapter serves SQLite and PostgreSQL). */
import type { ChatLink, ChatSource, ModerationAction } from './contract.js';

export type MessageStatus = 'visible' | 'hidden' | 'deleted' | 'banned';

/** A message as stored: a viewer's nickname and words are sealed (their data key), staff and assistant text is plain. */
export interface StoredMessage {
  id: string;
  sessionId: string;
  at: number;
  authorKind: 'viewer' | 'staff' | 'assistant';
  authorSubject: string | null;
  staffId: string | null;
  nickname: string | null;
  text: string | null;
  nicknameSealed: string | null;
  textSealed: string | null;
  status: MessageStatus;
  shadow: boolean;
  aiGenerated: boolean;
  meta: MessageMeta;
  /** A viewer's message: the id their page gave the send (unique per room and author, for retries); null otherwise. */
  clientEventId: string | null;
}

export interface MessageMeta {
  role?: string;
  links?: ChatLink[];
  sources?: ChatSource[];
  handoff?: boolean;
  replyTo?: string | null;
}

export interface RoomSettingsRow {
  sessionId: string;
  slowModeSeconds: number;
  keywords: { zh: readonly string[]; en: readonly string[] };
  pinnedMessageId: string | null;
  updatedAt: number;
}

export interface StoredBan {
  id: string;
  sessionId: string;
  subject: string;
  kind: 'ban' | 'shadow';
  nicknameSealed: string | null;
  createdAt: number;
  createdBy: string;
  liftedAt: number | null;
  liftedBy: string | null;
}

export interface NewLogEntry {
  sessionId: string;
  action: ModerationAction;
  messageId: string | null;
  targetSubject: string | null;
  targetNicknameSealed: string | null;
  actor: { kind: 'staff' | 'system'; id: string | null; name: string | null };
  reason: string | null;
  details: Record<string, unknown>;
  at: number;
}

export interface StoredLogEntry extends NewLogEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface StoredHandoff {
  id: string;
  sessionId: string;
  subject: string | null;
  question: string | null;
  questionSealed: string | null;
  nickname: string | null;
  nicknameSealed: string | null;
  locale: 'zh-CN' | 'en';
  reason: string;
  messageId: string | null;
  status: 'open' | 'answered' | 'dismissed';
  createdAt: number;
  handledAt: number | null;
  handledBy: string | null;
}

export interface StoredMemory {
  subject: string;
  brandId: string;
  turnsSealed: string;
  updatedAt: number;
  expiresAt: number;
}

/** A viewer's conversation with the assistant in one show (no consent needed; deleted when it ends). */
export interface StoredSessionMemory {
  sessionId: string;
  subject: string;
  turnsSealed: string;
  updatedAt: number;
}

export interface ChatStore {
  /** Runs `fn` in one transaction: every write inside commits together or not at all. */
  transaction<T>(fn: (store: ChatStore) => Promise<T>): Promise<T>;

  /**
   * Inserts the rows. A viewer's row whose (session, author subject, client event id) is already
   * stored is skipped, not an error (a retried send; two nodes racing): returns the skipped rows' ids.
   */
  insertMessages(rows: readonly StoredMessage[]): Promise<string[]>;
  /** The message a viewer sent with this client event id in this room (the unique key), if stored. */
  messageByClientEventId(sessionId: string, authorSubject: string, clientEventId: string): Promise<StoredMessage | undefined>;
  getMessage(sessionId: string, id: string): Promise<StoredMessage | undefined>;
  /** Newest `limit` messages of a room in time order; `viewerVisible`: visible and not shadowed only. */
  messages(sessionId: string, options: { limit: number; viewerVisible: boolean }): Promise<StoredMessage[]>;
  /** Every message of a room in time order (the transcript), in pages. */
  allMessages(sessionId: string, after: { at: number; id: string } | undefined, limit: number): Promise<StoredMessage[]>;
  setStatus(sessionId: string, ids: readonly string[], status: MessageStatus): Promise<void>;
  /** Marks a subject's visible and hidden messages in a room as removed by a ban; returns their ids. */
  removeMessagesOf(sessionId: string, subject: string): Promise<string[]>;
  messagesOfSubject(subject: string): Promise<StoredMessage[]>;

  room(sessionId: string): Promise<RoomSettingsRow | undefined>;
  saveRoom(row: RoomSettingsRow): Promise<void>;

  bans(sessionId: string): Promise<StoredBan[]>;
  getBan(sessionId: string, id: string): Promise<StoredBan | undefined>;
  addBan(ban: StoredBan): Promise<void>;
  liftBan(sessionId: string, id: string, at: number, by: string): Promise<boolean>;

  /** Appends to the room's hash chain (seq and hashes computed here, inside the caller's transaction). */
  appendLog(entry: NewLogEntry): Promise<StoredLogEntry>;
  log(sessionId: string): Promise<StoredLogEntry[]>;

  addHandoff(h: StoredHandoff): Promise<void>;
  getHandoff(sessionId: string, id: string): Promise<StoredHandoff | undefined>;
  handoffs(sessionId: string, status: 'open' | 'all', limit: number): Promise<StoredHandoff[]>;
  closeHandoff(sessionId: string, id: string, status: 'answered' | 'dismissed', at: number, by: string): Promise<boolean>;
  handoffsOfSubject(subject: string): Promise<StoredHandoff[]>;

  memory(subject: string, brandId: string, now: number): Promise<StoredMemory | undefined>;
  putMemory(m: StoredMemory): Promise<void>;
  memoriesOfSubject(subject: string): Promise<StoredMemory[]>;
  deleteMemory(subject: string, brandId?: string): Promise<number>;

  sessionMemory(sessionId: string, subject: string): Promise<StoredSessionMemory | undefined>;
  /**
   * Writes the viewer's memory of the show only if it is still what was read: `expected` is the sealed
   * text read then (null: there was none). False, and nothing written, when it changed or went
   * meanwhile (another answer on any node, the show's end, an erasure).
   */
  putSessionMemory(m: StoredSessionMemory, expected: string | null): Promise<boolean>;
  sessionMemoriesOfSubject(subject: string): Promise<StoredSessionMemory[]>;
  /** A show ended (every viewer's memory of it), or a viewer withdrew or was erased (theirs in every show). */
  deleteSessionMemory(of: { sessionId: string } | { subject: string }): Promise<number>;

  /** Erasure: deletes the subject's messages, handoffs and memory (kept and per show); bans and log entries stay (pseudonymous, LC3). */
  eraseSubject(subject: string): Promise<number>;
  purgeMessagesBefore(cutoff: number): Promise<number>;
  purgeLogBefore(cutoff: number): Promise<number>;
  purgeHandoffsBefore(cutoff: number): Promise<number>;
  purgeMemoryBefore(now: number): Promise<number>;
  /** What the show's end did not delete (no node saw it; an answer in flight): memory of ended shows, and any untouched since `cutoff`. */
  purgeSessionMemory(cutoff: number): Promise<number>;
}
