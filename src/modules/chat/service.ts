/**
 * The live chat: viewers, staff and the assistant post; moderators delete, hide, ban, shadow-ban,
 * pin, switch on slow mode and extend the keyword filter; every moderation action is appended to the
 * room's hash-chained moderation log in the same transaction as the change (LC3).
 *
 * Throughput and durability (group commit): a viewer's message is checked against in-memory room
 * state (bans, slow mode, filter), sealed, and queued; every few milliseconds the queue is written in
 * one transaction, and only once that commits are its messages published on the room's chat topic
 * (in queue order) and their senders answered — an acknowledged message is stored, and nobody sees
 * a message that is not. A failed commit fails every send in it (NOT_READY; nothing published). The
 * queue is bounded (OVERLOADED with retryAfterSeconds when full). A send carries its page's client
 * event id: a retry of a stored one (a lost ack, a restarted node) answers with the stored message's
 * id and publishes nothing — recent ids are checked in memory, then by the database's unique key,
 * and the insert skips a row whose key is already there (two nodes racing). Moderation flushes the
 * queue first, so it always finds the message. Each node keeps the last 200 visible messages of the
 * rooms it serves, kept in step by the same topic, so joining a room reads no database.
 *
 * Privacy: a viewer's words and nickname are personal data, sealed under their data key; they are
 * never logged; staff see nicknames, never identities (bans go by message).
 */
import { randomUUID } from 'node:crypto';
import type { Bus } from '../../bus/index.js';
import type { Clock, Locale, RequestContext } from '../../context/index.js';
import { fail, ok, type ErrorCode, type Result } from '../../errors/index.js';
import { AI_LABEL, staffMaxLength, type ChatLink, type ChatMessage, type ChatRoomSettings, type ChatSource, type HandoffItem, type ModeratedMessage, type ModerationAction, type ModerationEntry, type ModerationView } from './contract.js';
import { verifyChain, type ChainCheck } from './log-chain.js';
import {
  checkNickname,
  checkText,
  defaultNickname,
  freshPace,
  isSafeLink,
  KeywordFilter,
  mergeKeywords,
  takePace,
  type KeywordLists,
  type Pace,
} from './policy.js';
import type { ChatStore, MessageMeta, StoredBan, StoredLogEntry, StoredMessage } from './ports.js';

export const HISTORY_SIZE = 200;
const ASSISTANT_NAME = '清流助手 / Assistant';

export interface ChatSettings {
  maxLength: number;
  perMinute: number;
  burst: number;
  keywords: KeywordLists;
  /** How long the write-behind queue waits before writing (ms): the group-commit window. */
  writeDelayMs: number;
}

export const CHAT_DEFAULTS: ChatSettings = {
  maxLength: 200,
  perMinute: 20,
  burst: 5,
  keywords: { zh: [], en: [] },
  writeDelayMs: 25,
};

export interface ChatSession {
  id: string;
  brandId: string;
  status: 'scheduled' | 'live' | 'ended';
  hostUserId: string | null;
}

export interface Sealer {
  sealTextFor(subject: string, field: { table: string; column: string; rowId: string }, plaintext: string): Promise<string>;
  openTextFor(subject: string, field: { table: string; column: string; rowId: string }, sealed: string): Promise<string>;
}

export interface ChatDeps {
  store: ChatStore;
  sealer: Sealer;
  subjectOf: (deviceId: string) => string;
  sessions: {
    get(sessionId: string): Promise<ChatSession | undefined>;
    /**
     * Calls `onChange` when the session's status changes, on any node (the live room's bus); returns
     * the unsubscribe. With it a viewer's message reads the session from memory (kept until told,
     * re-read at least every SESSION_KEPT_MS); without it, re-read after SESSION_TTL_MS.
     */
    watch?(sessionId: string, onChange: () => void): () => void;
    /** Host of the session or administrator (the live room's rule). */
    canManage(ctx: RequestContext, session: ChatSession): boolean;
  };
  bus: Bus;
  clock: Clock;
  onError: (err: unknown) => void;
  /** Records a staff export of a room's chat in the access log (S3). */
  recordTranscriptAccess?: (ctx: RequestContext, sessionId: string) => Promise<void>;
  /** Messages waiting for their commit on this node before new ones are refused (OVERLOADED); default MAX_PENDING_MESSAGES. */
  maxPendingMessages?: number;
}

/** The write queue's bound per node: viewer and staff messages past it are refused with OVERLOADED. */
export const MAX_PENDING_MESSAGES = 5_000;
/** What an OVERLOADED refusal asks the sender to wait (s). */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;
/** Client event ids remembered per room (beyond these, the database's unique key finds a retry). */
const RECENT_SENDS_PER_ROOM = 500;

/** Frames on a room's chat topic: the socket frames, plus what keeps other nodes' room state fresh. */
export type ChatBusMessage =
  | { type: 'chat_message'; message: ChatMessage; shadowOf?: string }
  | { type: 'chat_removed'; ids: string[]; reason: 'deleted' | 'hidden' | 'banned' }
  | { type: 'chat_restored'; message: ChatMessage }
  | { type: 'chat_pinned'; message: ChatMessage | null }
  | { type: 'chat_settings'; settings: ChatRoomSettings }
  /** Bans or keywords changed: nodes reload the room. */
  | { type: 'chat_room_changed' };

export const chatTopic = (sessionId: string): string => `room.${sessionId}.chat`;

interface RoomState {
  settings: { slowModeSeconds: number; keywords: KeywordLists; pinnedMessageId: string | null };
  filter: KeywordFilter;
  bans: Map<string, 'ban' | 'shadow'>;
  history: ChatMessage[];
  pinned: ChatMessage | null;
  paces: Map<string, Pace>;
  /** Recent sends by `subject NUL clientEventId`: the stored message, or undefined once a send failed (bounded). */
  recent: Map<string, Promise<Sent | undefined>>;
  unsubscribe: () => void;
}

/** A viewer's stored message, as a retry of its send is answered. */
interface Sent {
  id: string;
  at: number;
  shadow: boolean;
}

/** How a queued message's batch ended. */
type Committed =
  | { kind: 'stored' }
  /** Its (session, author, client event id) was already stored (another node won a race): that row. */
  | { kind: 'duplicate'; of: StoredMessage }
  /** The batch's transaction failed: nothing of it is stored or published. */
  | { kind: 'failed'; error: unknown }
  /** Stored, but the bus refused the publish. */
  | { kind: 'unpublished'; error: unknown };

interface Queued {
  row: StoredMessage;
  frame: ChatBusMessage;
  settle: (outcome: Committed) => void;
}

type ViewerInput = { deviceId: string; text: string; nickname?: string; locale?: Locale; clientEventId?: string };
type ViewerPost = ChatMessage & { shadow?: true; duplicate?: true };

export interface TranscriptRow {
  id: string;
  at: number;
  authorKind: 'viewer' | 'staff' | 'assistant';
  nickname: string;
  text: string;
  aiGenerated: boolean;
  label: string | null;
  status: StoredMessage['status'];
}

const textField = (id: string) => ({ table: 'chat_messages', column: 'text', rowId: id });
const nicknameField = (id: string) => ({ table: 'chat_messages', column: 'nickname', rowId: id });
const banNicknameField = (id: string) => ({ table: 'chat_bans', column: 'nickname', rowId: id });
const logNicknameField = (sessionId: string, messageId: string) => ({ table: 'chat_moderation_log', column: 'target_nickname', rowId: `${sessionId}/${messageId}` });

const MAX_ROOMS = 1000;
/** A watched session read for viewers' messages is re-read at least this often (a lost bus message heals). */
const SESSION_KEPT_MS = 30_000;
/** An unwatched one, this often. */
const SESSION_TTL_MS = 1_000;
const MAX_PACES = 50_000;

export class ChatService {
  readonly #rooms = new Map<string, Promise<RoomState>>();
  /** Sessions as viewers' messages need them (status, brand), read once and kept until they change. */
  readonly #sessions = new Map<string, { session: ChatSession; at: number; unwatch: () => void }>();
  #queue: Queued[] = [];
  /** Rows in the transaction being written, and sends being sealed (they count against the bound). */
  #writingRows = 0;
  #sealing = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly #settings: ChatSettings;
  readonly #deploymentFilter: KeywordFilter;
  readonly #viewerListeners: Array<(m: { sessionId: string; brandId: string; deviceId: string; message: ChatMessage; locale: Locale }) => void> = [];

  constructor(
    private readonly deps: ChatDeps,
    settings: Partial<ChatSettings> = {},
  ) {
    this.#settings = { ...CHAT_DEFAULTS, ...settings };
    this.#deploymentFilter = new KeywordFilter(this.#settings.keywords);
  }

  get settings(): Readonly<ChatSettings> {
    return this.#settings;
  }

  readonly #outcomeListeners: Array<(outcome: string) => void> = [];

  /** Each viewer message's outcome: `accepted`, `shadowed`, `duplicate` (a retried send), or the refusal's code (for metrics). */
  onOutcome(listener: (outcome: string) => void): void {
    this.#outcomeListeners.push(listener);
  }

  /**
   * A viewer's message: resolves once it is stored (its batch committed) and published. With a
   * `clientEventId`, a send already stored answers with that message's id and `duplicate`.
   */
  async postAsViewer(sessionId: string, input: ViewerInput): Promise<Result<ViewerPost>> {
    const result = await this.#postAsViewer(sessionId, input);
    const outcome = result.ok ? (result.value.duplicate ? 'duplicate' : result.value.shadow ? 'shadowed' : 'accepted') : result.code;
    for (const l of this.#outcomeListeners) l(outcome);
    return result;
  }

  /** Called after each viewer message is accepted (the assistant listens for @助手). */
  onViewerMessage(listener: (m: { sessionId: string; brandId: string; deviceId: string; message: ChatMessage; locale: Locale }) => void): void {
    this.#viewerListeners.push(listener);
  }

  // ---- posting ----

  async #postAsViewer(sessionId: string, input: ViewerInput): Promise<Result<ViewerPost>> {
    const session = await this.#viewerSession(sessionId);
    if (!session) return fail('SESSION_NOT_FOUND');
    if (session.status === 'ended') return fail('SESSION_ENDED', 'the show has ended; its chat is closed');
    const room = await this.#room(sessionId);
    const subject = this.deps.subjectOf(input.deviceId);
    const clientEventId = input.clientEventId;
    if (clientEventId === undefined) return this.#send(session, room, subject, input);
    const key = `${subject}\u0000${clientEventId}`;
    // A send with this id still in flight on this node: its outcome answers this one too.
    for (let earlier = room.recent.get(key); earlier; earlier = room.recent.get(key)) {
      const sent = await earlier;
      if (sent) return ok(this.#duplicateView(sessionId, subject, input, sent));
    }
    let settle!: (sent: Sent | undefined) => void;
    const claim = new Promise<Sent | undefined>((resolve) => (settle = resolve));
    room.recent.set(key, claim);
    if (room.recent.size > RECENT_SENDS_PER_ROOM) room.recent.delete(room.recent.keys().next().value!);
    let sent: Sent | undefined;
    try {
      // Not seen here lately: stored before a restart, or through another node?
      const stored = await this.deps.store.messageByClientEventId(sessionId, subject, clientEventId);
      if (stored) {
        sent = { id: stored.id, at: stored.at, shadow: stored.shadow };
        return ok(this.#duplicateView(sessionId, subject, input, sent));
      }
      const result = await this.#send(session, room, subject, input);
      if (result.ok) sent = { id: result.value.id, at: result.value.at, shadow: result.value.shadow === true };
      return result;
    } finally {
      if (!sent && room.recent.get(key) === claim) room.recent.delete(key);
      settle(sent);
    }
  }

  /** The answer to a retried send: the stored message's id and time (the words are the retry's own). */
  #duplicateView(sessionId: string, subject: string, input: ViewerInput, sent: Sent): ViewerPost {
    const nickname = checkNickname(input.nickname, this.#deploymentFilter) ?? defaultNickname(subject);
    const message: ChatMessage = { id: sent.id, sessionId, author: { kind: 'viewer', nickname }, text: input.text, at: sent.at, aiGenerated: false, label: null, pinned: false };
    return { ...message, ...(sent.shadow ? { shadow: true as const } : {}), duplicate: true };
  }

  async #send(session: ChatSession, room: RoomState, subject: string, input: ViewerInput): Promise<Result<ViewerPost>> {
    const sessionId = session.id;
    const banned = room.bans.get(subject);
    if (banned === 'ban') return fail('CHAT_BANNED', 'a moderator banned you from this chat');
    const checked = checkText(input.text, { maxLength: this.#settings.maxLength, staff: false, filter: room.filter });
    if (!checked.ok) {
      if (checked.code === 'CHAT_BLOCKED_WORDS') {
        // The attempt is logged with the word that matched, never the message.
        await this.#log(sessionId, { action: 'filtered', messageId: null, targetSubject: subject, actor: { kind: 'system', id: null, name: 'keyword filter' }, reason: null, details: { keyword: checked.keyword } });
      }
      return fail(checked.code, checked.detail);
    }
    // Refused before the pace is taken: a send the node is too busy for costs the viewer nothing.
    const overloaded = this.#overloaded();
    if (overloaded) return overloaded;
    const now = this.deps.clock.now();
    let pace = room.paces.get(subject);
    if (!pace) {
      if (room.paces.size >= MAX_PACES) room.paces.clear();
      room.paces.set(subject, (pace = freshPace(this.#settings.burst, now)));
    }
    const paced = takePace(pace, now, { perMinute: this.#settings.perMinute, burst: this.#settings.burst, slowModeSeconds: room.settings.slowModeSeconds });
    if (!paced.ok) {
      const what = paced.code === 'CHAT_SLOW_MODE' ? `slow mode: one message every ${room.settings.slowModeSeconds} s` : 'too many messages';
      return fail(paced.code, `${what}; try again in ${paced.retryAfterSeconds} s`, { retryAfterSeconds: paced.retryAfterSeconds });
    }
    const nickname = checkNickname(input.nickname, this.#deploymentFilter) ?? defaultNickname(subject);
    const id = messageId(now);
    const shadow = banned === 'shadow';
    const message: ChatMessage = { id, sessionId, author: { kind: 'viewer', nickname }, text: checked.text, at: now, aiGenerated: false, label: null, pinned: false };
    let committed: Promise<Committed>;
    this.#sealing++;
    try {
      const [textSealed, nicknameSealed] = await Promise.all([
        this.deps.sealer.sealTextFor(subject, textField(id), checked.text),
        this.deps.sealer.sealTextFor(subject, nicknameField(id), nickname),
      ]);
      const row: StoredMessage = {
        id,
        sessionId,
        at: now,
        authorKind: 'viewer',
        authorSubject: subject,
        staffId: null,
        nickname: null,
        text: null,
        nicknameSealed,
        textSealed,
        status: 'visible',
        shadow,
        aiGenerated: false,
        meta: {},
        clientEventId: input.clientEventId ?? null,
      };
      committed = this.#enqueue(row, shadow ? { type: 'chat_message', message, shadowOf: subject } : { type: 'chat_message', message });
    } finally {
      this.#sealing--;
    }
    const outcome = await committed;
    if (outcome.kind === 'failed') return notStored();
    if (outcome.kind === 'unpublished') throw outcome.error;
    if (outcome.kind === 'duplicate') {
      return ok(this.#duplicateView(sessionId, subject, input, { id: outcome.of.id, at: outcome.of.at, shadow: outcome.of.shadow }));
    }
    // A shadow-banned viewer's messages reach nobody else, the assistant included.
    if (!shadow) for (const l of this.#viewerListeners) l({ sessionId, brandId: session.brandId, deviceId: input.deviceId, message, locale: input.locale ?? 'zh-CN' });
    return ok(shadow ? { ...message, shadow: true as const } : message);
  }

  /** OVERLOADED while this node's queue holds its bound of messages not yet committed. */
  #overloaded(): Result<never> | undefined {
    if (this.#queue.length + this.#writingRows + this.#sealing < (this.deps.maxPendingMessages ?? MAX_PENDING_MESSAGES)) return undefined;
    return fail('OVERLOADED', `the chat is busy; try again in ${OVERLOAD_RETRY_AFTER_SECONDS} s`, { retryAfterSeconds: OVERLOAD_RETRY_AFTER_SECONDS });
  }

  async postAsStaff(ctx: RequestContext, sessionId: string, input: { text: string; link?: { url: string; qr: boolean }; replyTo?: string }): Promise<Result<ChatMessage>> {
    const allowed = await this.#staffSession(ctx, sessionId);
    if (!allowed.ok) return allowed;
    const session = allowed.value;
    if (session.status === 'ended') return fail('SESSION_ENDED', 'the show has ended; its chat is closed');
    if (ctx.actor.kind !== 'staff' && ctx.actor.kind !== 'system') return fail('FORBIDDEN');
    const room = await this.#room(sessionId);
    const checked = checkText(input.text, { maxLength: staffMaxLength(this.#settings), staff: true, filter: room.filter });
    if (!checked.ok) return fail(checked.code, checked.detail);
    if (input.link && !isSafeLink(input.link.url)) return fail('VALIDATION_FAILED', 'link.url: an http(s) address');
    if (input.replyTo !== undefined && !(await this.#findMessage(sessionId, input.replyTo))) return fail('MESSAGE_NOT_FOUND', 'replyTo: no such message');
    const now = this.deps.clock.now();
    const id = messageId(now);
    const nickname = ctx.actor.kind === 'staff' ? ctx.actor.name : '清流';
    const role = ctx.actor.kind === 'staff' ? ctx.actor.role : 'admin';
    const links: ChatLink[] = input.link ? [{ url: new URL(input.link.url).href, qr: input.link.qr }] : [];
    const meta: MessageMeta = { role, ...(links.length ? { links } : {}), ...(input.replyTo ? { replyTo: input.replyTo } : {}) };
    const message = toView({ id, sessionId, at: now, authorKind: 'staff', nickname, text: checked.text, aiGenerated: false, meta }, false);
    const overloaded = this.#overloaded();
    if (overloaded) return overloaded;
    const row: StoredMessage = { id, sessionId, at: now, authorKind: 'staff', authorSubject: null, staffId: ctx.actor.kind === 'staff' ? ctx.actor.id : null, nickname, text: checked.text, nicknameSealed: null, textSealed: null, status: 'visible', shadow: false, aiGenerated: false, meta, clientEventId: null };
    const outcome = await this.#enqueue(row, { type: 'chat_message', message });
    if (outcome.kind === 'failed') return notStored();
    if (outcome.kind === 'unpublished') throw outcome.error;
    return ok(message);
  }

  /**
   * The assistant's public answer in the room's chat, labelled (AI1): resolves once stored and
   * published (rejects if its batch failed). Not held to the queue's bound: answers follow accepted
   * questions, which are.
   */
  async postAssistant(sessionId: string, input: { text: string; sources: ChatSource[]; handoff: boolean; replyTo: string | null }): Promise<ChatMessage> {
    const now = this.deps.clock.now();
    const id = messageId(now);
    const meta: MessageMeta = { sources: input.sources, handoff: input.handoff, replyTo: input.replyTo };
    const message = toView({ id, sessionId, at: now, authorKind: 'assistant', nickname: ASSISTANT_NAME, text: input.text, aiGenerated: true, meta }, false);
    const row: StoredMessage = { id, sessionId, at: now, authorKind: 'assistant', authorSubject: null, staffId: null, nickname: ASSISTANT_NAME, text: input.text, nicknameSealed: null, textSealed: null, status: 'visible', shadow: false, aiGenerated: true, meta, clientEventId: null };
    const outcome = await this.#enqueue(row, { type: 'chat_message', message });
    if (outcome.kind === 'failed' || outcome.kind === 'unpublished') throw outcome.error;
    return message;
  }

  // ---- reading ----

  async sessionExists(sessionId: string): Promise<Result<true>> {
    return (await this.deps.sessions.get(sessionId)) ? ok(true) : fail('SESSION_NOT_FOUND');
  }

  /** What a joining viewer gets: the last 200 visible messages, the pinned one, the settings. */
  async history(sessionId: string): Promise<{ messages: ChatMessage[]; pinned: ChatMessage | null; settings: ChatRoomSettings }> {
    const room = await this.#room(sessionId);
    return { messages: room.history.slice(), pinned: room.pinned, settings: this.#roomSettings(room) };
  }

  async moderationView(ctx: RequestContext, sessionId: string, limit = 300): Promise<Result<ModerationView>> {
    const allowed = await this.#staffSession(ctx, sessionId);
    if (!allowed.ok) return allowed;
    await this.flush();
    const room = await this.#room(sessionId);
    const rows = await this.deps.store.messages(sessionId, { limit, viewerVisible: false });
    const messages: ModeratedMessage[] = [];
    for (const r of rows) {
      const view = await this.#open(r);
      if (view) messages.push({ ...view, status: r.status, shadow: r.shadow });
    }
    const bans = [];
    for (const b of await this.deps.store.bans(sessionId)) {
      if (b.liftedAt !== null) continue;
      bans.push({ id: b.id, nickname: await this.#openBanNickname(b), kind: b.kind, at: b.createdAt });
    }
    return ok({ messages, pinned: room.pinned, settings: this.#roomSettings(room), bans, keywords: { zh: [...room.settings.keywords.zh], en: [...room.settings.keywords.en] } });
  }

  // ---- moderation ----

  async moderate(ctx: RequestContext, sessionId: string, messageId: string, action: 'delete' | 'hide' | 'unhide' | 'pin' | 'unpin' | 'ban' | 'shadow_ban', reason?: string): Promise<Result<ModerationEntry>> {
    const allowed = await this.#staffSession(ctx, sessionId);
    if (!allowed.ok) return allowed;
    await this.flush();
    const now = this.deps.clock.now();
    const actor = actorOf(ctx);
    const outcome = await retryOnChainRace(() => this.deps.store.transaction(async (store) => {
      const target = await store.getMessage(sessionId, messageId);
      if (!target) return fail('MESSAGE_NOT_FOUND');
      const targetNickname = target.authorKind === 'viewer' && target.authorSubject ? await this.#sealLogNickname(target, sessionId) : null;
      const base = { sessionId, messageId, targetSubject: target.authorSubject, targetNicknameSealed: targetNickname, actor, reason: reason ?? null, at: now };
      const events: ChatBusMessage[] = [];
      const room = await store.room(sessionId);
      const roomRow = room ?? { sessionId, slowModeSeconds: 0, keywords: { zh: [], en: [] }, pinnedMessageId: null, updatedAt: now };
      let details: Record<string, unknown> = {};
      switch (action) {
        case 'delete':
        case 'hide': {
          if (target.status === 'deleted' || target.status === 'banned' || (action === 'hide' && target.status === 'hidden')) return fail('MESSAGE_NOT_FOUND', `the message is already ${target.status}`);
          await store.setStatus(sessionId, [messageId], action === 'delete' ? 'deleted' : 'hidden');
          events.push({ type: 'chat_removed', ids: [messageId], reason: action === 'delete' ? 'deleted' : 'hidden' });
          if (roomRow.pinnedMessageId === messageId) {
            await store.saveRoom({ ...roomRow, pinnedMessageId: null, updatedAt: now });
            events.push({ type: 'chat_pinned', message: null });
          }
          break;
        }
        case 'unhide': {
          if (target.status !== 'hidden') return fail('VALIDATION_FAILED', 'only a hidden message can be shown again');
          await store.setStatus(sessionId, [messageId], 'visible');
          const view = await this.#open({ ...target, status: 'visible' });
          if (view && !target.shadow) events.push({ type: 'chat_restored', message: view });
          break;
        }
        case 'pin':
        case 'unpin': {
          if (action === 'pin' && (target.status !== 'visible' || target.shadow)) return fail('VALIDATION_FAILED', 'only a visible message can be pinned');
          if (action === 'unpin' && roomRow.pinnedMessageId !== messageId) return fail('VALIDATION_FAILED', 'the message is not pinned');
          await store.saveRoom({ ...roomRow, pinnedMessageId: action === 'pin' ? messageId : null, updatedAt: now });
          const view = action === 'pin' ? await this.#open(target) : null;
          events.push({ type: 'chat_pinned', message: view ? { ...view, pinned: true } : null });
          break;
        }
        case 'ban':
        case 'shadow_ban': {
          if (target.authorKind !== 'viewer' || !target.authorSubject) return fail('VALIDATION_FAILED', "only a viewer's message identifies someone to ban");
          const active = (await store.bans(sessionId)).find((b) => b.subject === target.authorSubject && b.liftedAt === null);
          if (active && (active.kind === 'ban' || action === 'shadow_ban')) return fail('VALIDATION_FAILED', `already ${active.kind === 'ban' ? 'banned' : 'shadow-banned'}`);
          if (active) await store.liftBan(sessionId, active.id, now, actor.id ?? 'system');
          const banId = randomUUID();
          const nicknameSealed = target.nicknameSealed ? await this.#sealBanNickname(target, banId) : null;
          const ban: StoredBan = { id: banId, sessionId, subject: target.authorSubject, kind: action === 'ban' ? 'ban' : 'shadow', nicknameSealed, createdAt: now, createdBy: actor.id ?? 'system', liftedAt: null, liftedBy: null };
          await store.addBan(ban);
          details = { banId };
          if (action === 'ban') {
            // A ban also takes the viewer's past messages out of the room (Owncast's rule).
            const removed = await store.removeMessagesOf(sessionId, target.authorSubject);
            details = { banId, removedMessages: removed.length };
            if (removed.length) events.push({ type: 'chat_removed', ids: removed, reason: 'banned' });
            if (roomRow.pinnedMessageId && removed.includes(roomRow.pinnedMessageId)) {
              await store.saveRoom({ ...roomRow, pinnedMessageId: null, updatedAt: now });
              events.push({ type: 'chat_pinned', message: null });
            }
          }
          break;
        }
      }
      const entry = await store.appendLog({ ...base, action, details });
      return ok({ entry, events });
    }));
    if (!outcome.ok) return outcome;
    for (const e of outcome.value.events) await this.#publish(sessionId, e);
    if (action === 'ban' || action === 'shadow_ban') await this.#changedRoom(sessionId);
    return ok(await this.#entryView(outcome.value.entry));
  }

  async unban(ctx: RequestContext, sessionId: string, banId: string, reason?: string): Promise<Result<ModerationEntry>> {
    const allowed = await this.#staffSession(ctx, sessionId);
    if (!allowed.ok) return allowed;
    const now = this.deps.clock.now();
    const actor = actorOf(ctx);
    const entry = await retryOnChainRace(() => this.deps.store.transaction(async (store) => {
      const ban = await store.getBan(sessionId, banId);
      if (!ban || !(await store.liftBan(sessionId, banId, now, actor.id ?? 'system'))) return undefined;
      return store.appendLog({ sessionId, action: 'unban', messageId: null, targetSubject: ban.subject, targetNicknameSealed: null, actor, reason: reason ?? null, details: { banId, kind: ban.kind }, at: now });
    }));
    if (!entry) return fail('BAN_NOT_FOUND');
    await this.#changedRoom(sessionId);
    return ok(await this.#entryView(entry));
  }

  async updateSettings(ctx: RequestContext, sessionId: string, patch: { slowModeSeconds?: number; keywords?: KeywordLists }): Promise<Result<{ settings: ChatRoomSettings; keywords: KeywordLists }>> {
    const allowed = await this.#staffSession(ctx, sessionId);
    if (!allowed.ok) return allowed;
    if (patch.slowModeSeconds !== undefined && !(Number.isInteger(patch.slowModeSeconds) && patch.slowModeSeconds >= 0 && patch.slowModeSeconds <= 600)) {
      return fail('VALIDATION_FAILED', 'slowModeSeconds: a whole number of seconds, 0–600');
    }
    const keywords = patch.keywords && cleanKeywords(patch.keywords);
    if (patch.keywords && !keywords) return fail('VALIDATION_FAILED', 'keywords: at most 500 words a language, each 1–40 characters');
    const now = this.deps.clock.now();
    const actor = actorOf(ctx);
    const saved = await retryOnChainRace(() => this.deps.store.transaction(async (store) => {
      const current = (await store.room(sessionId)) ?? { sessionId, slowModeSeconds: 0, keywords: { zh: [], en: [] }, pinnedMessageId: null, updatedAt: now };
      const next = { ...current, ...(patch.slowModeSeconds !== undefined ? { slowModeSeconds: patch.slowModeSeconds } : {}), ...(keywords ? { keywords } : {}), updatedAt: now };
      await store.saveRoom(next);
      const log = { sessionId, messageId: null, targetSubject: null, targetNicknameSealed: null, actor, reason: null, at: now };
      if (patch.slowModeSeconds !== undefined && patch.slowModeSeconds !== current.slowModeSeconds) {
        await store.appendLog({ ...log, action: 'slow_mode', details: { from: current.slowModeSeconds, to: patch.slowModeSeconds } });
      }
      if (keywords) {
        const added = { zh: keywords.zh.filter((k) => !current.keywords.zh.includes(k)), en: keywords.en.filter((k) => !current.keywords.en.includes(k)) };
        const removed = { zh: current.keywords.zh.filter((k) => !keywords.zh.includes(k)), en: current.keywords.en.filter((k) => !keywords.en.includes(k)) };
        if (added.zh.length + added.en.length + removed.zh.length + removed.en.length > 0) await store.appendLog({ ...log, action: 'keywords', details: { added, removed } });
      }
      return next;
    }));
    const settings: ChatRoomSettings = { slowModeSeconds: saved.slowModeSeconds, maxLength: this.#settings.maxLength };
    await this.#changedRoom(sessionId);
    await this.#publish(sessionId, { type: 'chat_settings', settings });
    return ok({ settings, keywords: saved.keywords });
  }

  async moderationLog(ctx: RequestContext, sessionId: string): Promise<Result<{ entries: ModerationEntry[]; verified: boolean; check: ChainCheck }>> {
    const allowed = await this.#staffSession(ctx, sessionId, true);
    if (!allowed.ok) return allowed;
    const entries = await this.deps.store.log(sessionId);
    const check = verifyChain(entries);
    return ok({ entries: await Promise.all(entries.map((e) => this.#entryView(e))), verified: check.verified, check });
  }

  /** The room's whole chat after the show, for staff: every message with its status; AI messages labelled. */
  async transcript(ctx: RequestContext, sessionId: string): Promise<Result<{ session: ChatSession; rows: TranscriptRow[] }>> {
    const allowed = await this.#staffSession(ctx, sessionId, true);
    if (!allowed.ok) return allowed;
    if (allowed.value.status !== 'ended') return fail('SESSION_NOT_ENDED', 'the transcript is available once the show has ended');
    await this.flush();
    await this.deps.recordTranscriptAccess?.(ctx, sessionId);
    const rows: TranscriptRow[] = [];
    let after: { at: number; id: string } | undefined;
    for (;;) {
      const page = await this.deps.store.allMessages(sessionId, after, 1000);
      for (const r of page) {
        if (r.shadow) continue;
        const view = await this.#open(r);
        if (!view) continue;
        rows.push({ id: r.id, at: r.at, authorKind: r.authorKind, nickname: view.author.nickname, text: view.text, aiGenerated: r.aiGenerated, label: view.label, status: r.status });
      }
      if (page.length < 1000) break;
      const last = page[page.length - 1]!;
      after = { at: last.at, id: last.id };
    }
    return ok({ session: allowed.value, rows });
  }

  // ---- the assistant's queue ----

  async addHandoff(input: { sessionId: string; deviceId?: string; question: string; nickname?: string; locale: Locale; reason: string; messageId: string | null }): Promise<HandoffItem> {
    const id = randomUUID();
    const now = this.deps.clock.now();
    const subject = input.deviceId ? this.deps.subjectOf(input.deviceId) : null;
    const nickname = checkNickname(input.nickname, this.#deploymentFilter) ?? (subject ? defaultNickname(subject) : '观众');
    await this.deps.store.addHandoff({
      id,
      sessionId: input.sessionId,
      subject,
      // With a device, the question is sealed under the viewer's key; without one it carries nobody's identity.
      question: subject ? null : input.question,
      questionSealed: subject ? await this.deps.sealer.sealTextFor(subject, { table: 'assistant_handoffs', column: 'question', rowId: id }, input.question) : null,
      nickname: subject ? null : nickname,
      nicknameSealed: subject ? await this.deps.sealer.sealTextFor(subject, { table: 'assistant_handoffs', column: 'nickname', rowId: id }, nickname) : null,
      locale: input.locale,
      reason: input.reason,
      messageId: input.messageId,
      status: 'open',
      createdAt: now,
      handledAt: null,
      handledBy: null,
    });
    return { id, sessionId: input.sessionId, question: input.question, nickname, locale: input.locale, reason: input.reason, at: now, status: 'open', messageId: input.messageId };
  }

  async handoffs(ctx: RequestContext, sessionId: string, status: 'open' | 'all'): Promise<Result<HandoffItem[]>> {
    const allowed = await this.#staffSession(ctx, sessionId);
    if (!allowed.ok) return allowed;
    const rows = await this.deps.store.handoffs(sessionId, status, 500);
    const items: HandoffItem[] = [];
    for (const h of rows) {
      let question = h.question;
      let nickname = h.nickname ?? '';
      if (h.subject && h.questionSealed) {
        try {
          question = await this.deps.sealer.openTextFor(h.subject, { table: 'assistant_handoffs', column: 'question', rowId: h.id }, h.questionSealed);
          if (h.nicknameSealed) nickname = await this.deps.sealer.openTextFor(h.subject, { table: 'assistant_handoffs', column: 'nickname', rowId: h.id }, h.nicknameSealed);
        } catch {
          question = null; // the viewer was erased
        }
      }
      if (question === null) continue;
      items.push({ id: h.id, sessionId, question, nickname, locale: h.locale, reason: h.reason, at: h.createdAt, status: h.status, messageId: h.messageId });
    }
    return ok(items);
  }

  async handleHandoff(ctx: RequestContext, sessionId: string, handoffId: string, action: { action: 'reply'; text: string } | { action: 'dismiss' }): Promise<Result<{ status: 'answered' | 'dismissed'; message: ChatMessage | null }>> {
    const allowed = await this.#staffSession(ctx, sessionId);
    if (!allowed.ok) return allowed;
    const h = await this.deps.store.getHandoff(sessionId, handoffId);
    if (!h || h.status !== 'open') return fail('HANDOFF_NOT_FOUND');
    let message: ChatMessage | null = null;
    if (action.action === 'reply') {
      const posted = await this.postAsStaff(ctx, sessionId, { text: action.text, ...(h.messageId ? { replyTo: h.messageId } : {}) });
      if (!posted.ok) return posted;
      message = posted.value;
    }
    const status = action.action === 'reply' ? 'answered' : 'dismissed';
    if (!(await this.deps.store.closeHandoff(sessionId, handoffId, status, this.deps.clock.now(), actorOf(ctx).id ?? 'system'))) return fail('HANDOFF_NOT_FOUND');
    return ok({ status, message });
  }

  // ---- privacy ----

  /** The privacy centre's export: the viewer's own messages and questions to the host. */
  async exportFor(subject: string): Promise<Array<Record<string, unknown>>> {
    await this.flush();
    const out: Array<Record<string, unknown>> = [];
    for (const r of await this.deps.store.messagesOfSubject(subject)) {
      const view = await this.#open(r);
      if (view) out.push({ kind: 'chat_message', sessionId: r.sessionId, at: r.at, nickname: view.author.nickname, text: view.text, status: r.status });
    }
    for (const h of await this.deps.store.handoffsOfSubject(subject)) {
      try {
        const question = h.questionSealed ? await this.deps.sealer.openTextFor(subject, { table: 'assistant_handoffs', column: 'question', rowId: h.id }, h.questionSealed) : h.question;
        out.push({ kind: 'question_to_host', sessionId: h.sessionId, at: h.createdAt, question, status: h.status });
      } catch {
        // unreadable: the key is gone
      }
    }
    return out;
  }

  /** After an erasure committed: the viewer's messages leave every room's history on every node. */
  async afterErase(subject: string, removedIds: ReadonlyMap<string, string[]>): Promise<void> {
    for (const [sessionId, ids] of removedIds) if (ids.length) await this.#publish(sessionId, { type: 'chat_removed', ids, reason: 'deleted' });
    const prefix = `${subject}\u0000`;
    for (const [, room] of this.#rooms) {
      void room
        .then((r) => {
          r.paces.delete(subject);
          for (const key of [...r.recent.keys()]) if (key.startsWith(prefix)) r.recent.delete(key);
        })
        .catch(() => undefined);
    }
  }

  /** The rooms and message ids of a subject's visible messages (taken before erasing them). */
  async visibleMessagesOf(subject: string): Promise<Map<string, string[]>> {
    await this.flush();
    const byRoom = new Map<string, string[]>();
    for (const r of await this.deps.store.messagesOfSubject(subject)) {
      if (r.status !== 'visible') continue;
      const ids = byRoom.get(r.sessionId) ?? [];
      ids.push(r.id);
      byRoom.set(r.sessionId, ids);
    }
    return byRoom;
  }

  // ---- group commit ----

  /** Queues a row; resolves once its batch committed and the message was published (or not). */
  #enqueue(row: StoredMessage, frame: ChatBusMessage): Promise<Committed> {
    return new Promise<Committed>((settle) => {
      this.#queue.push({ row, frame, settle });
      if (!this.#timer) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.flush().catch(this.deps.onError);
        }, this.#settings.writeDelayMs);
        // Not unref'd: senders are waiting for this commit (a process must not exit under them).
      }
    });
  }

  /**
   * Writes the queued messages in one transaction, then publishes them in queue order and answers
   * their senders. Concurrent calls wait for the same write. Rejects if the commit failed (every
   * sender of the batch was told; nothing of it was published).
   */
  flush(): Promise<void> {
    const run = this.#writing.then(() => this.#writeBatch());
    this.#writing = run.catch(() => undefined);
    return run;
  }

  async #writeBatch(): Promise<void> {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#writingRows = batch.length;
    let twins: Map<string, StoredMessage | undefined>;
    try {
      twins = await this.deps.store.transaction(async (store) => {
        const found = new Map<string, StoredMessage | undefined>();
        const skipped = new Set(await store.insertMessages(batch.map((q) => q.row)));
        if (skipped.size === 0) return found;
        for (const { row } of batch) {
          if (!skipped.has(row.id)) continue;
          found.set(row.id, row.authorSubject && row.clientEventId ? await store.messageByClientEventId(row.sessionId, row.authorSubject, row.clientEventId) : undefined);
        }
        return found;
      });
    } catch (err) {
      for (const q of batch) q.settle({ kind: 'failed', error: err });
      throw err;
    } finally {
      this.#writingRows = 0;
    }
    // After the commit, in queue order: nobody sees a message that is not stored.
    const published = batch.map((q) => (twins.has(q.row.id) ? undefined : this.#publish(q.row.sessionId, q.frame)));
    await Promise.all(
      batch.map(async (q, i) => {
        if (twins.has(q.row.id)) {
          const twin = twins.get(q.row.id);
          q.settle(twin ? { kind: 'duplicate', of: twin } : { kind: 'failed', error: new Error('chat: a skipped message has no stored twin') });
          return;
        }
        try {
          await published[i];
          q.settle({ kind: 'stored' });
        } catch (err) {
          q.settle({ kind: 'unpublished', error: err });
        }
      }),
    );
  }

  /**
   * The bus was down: other nodes' messages, removals, bans and settings may be missed. Every room's
   * cached history, bans and filter are dropped and read again on next use.
   */
  resync(): void {
    for (const [, room] of this.#rooms) void room.then((r) => r.unsubscribe()).catch(() => undefined);
    this.#rooms.clear();
    this.#forgetSessions();
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush().catch(this.deps.onError);
    for (const [, room] of this.#rooms) void room.then((r) => r.unsubscribe()).catch(() => undefined);
    this.#rooms.clear();
    this.#forgetSessions();
  }

  // ---- room state ----

  /**
   * The session for a viewer's message, from memory when it was read lately: a busy room's chat
   * reads it once, not once per message. A status change (the show ended, on any node) drops it.
   */
  async #viewerSession(sessionId: string): Promise<ChatSession | undefined> {
    const now = Date.now();
    const watch = this.deps.sessions.watch;
    const kept = this.#sessions.get(sessionId);
    if (kept && now - kept.at < (watch ? SESSION_KEPT_MS : SESSION_TTL_MS)) return kept.session;
    this.#forgetSession(sessionId);
    // Watched before it is read, so a change in between is not missed.
    let changed = false;
    const unwatch = watch
      ? watch.call(this.deps.sessions, sessionId, () => {
          changed = true;
          this.#forgetSession(sessionId);
        })
      : () => {};
    const session = await this.deps.sessions.get(sessionId);
    // Unknown sessions are not kept (anyone may name one); nor one that changed while it was read.
    if (!session || changed || this.#sessions.has(sessionId)) {
      unwatch();
      return session;
    }
    if (this.#sessions.size >= MAX_ROOMS) this.#forgetSession(this.#sessions.keys().next().value!);
    this.#sessions.set(sessionId, { session, at: now, unwatch });
    return session;
  }

  #forgetSessions(): void {
    for (const [, kept] of this.#sessions) kept.unwatch();
    this.#sessions.clear();
  }

  #forgetSession(sessionId: string): void {
    const kept = this.#sessions.get(sessionId);
    if (!kept) return;
    this.#sessions.delete(sessionId);
    kept.unwatch();
  }

  #room(sessionId: string): Promise<RoomState> {
    const existing = this.#rooms.get(sessionId);
    if (existing) return existing;
    if (this.#rooms.size >= MAX_ROOMS) {
      const [oldest, state] = this.#rooms.entries().next().value as [string, Promise<RoomState>];
      this.#rooms.delete(oldest);
      void state.then((r) => r.unsubscribe()).catch(() => undefined);
    }
    const loading = this.#loadRoom(sessionId);
    this.#rooms.set(sessionId, loading);
    loading.catch(() => {
      if (this.#rooms.get(sessionId) === loading) this.#rooms.delete(sessionId);
    });
    return loading;
  }

  async #loadRoom(sessionId: string): Promise<RoomState> {
    // Subscribe first, so nothing published while loading is missed (events are applied after).
    const early: ChatBusMessage[] = [];
    let state: RoomState | undefined;
    const unsubscribe = this.deps.bus.subscribe(chatTopic(sessionId), (m) => {
      if (state) this.#apply(sessionId, state, m as ChatBusMessage);
      else early.push(m as ChatBusMessage);
    });
    try {
      await this.flush();
      const loaded = await this.#read(sessionId);
      state = { ...loaded, paces: new Map(), recent: new Map(), unsubscribe };
      for (const m of early) this.#apply(sessionId, state, m);
      return state;
    } catch (err) {
      unsubscribe();
      throw err;
    }
  }

  async #read(sessionId: string): Promise<Omit<RoomState, 'paces' | 'recent' | 'unsubscribe'>> {
    const [row, bans, rows] = await Promise.all([
      this.deps.store.room(sessionId),
      this.deps.store.bans(sessionId),
      this.deps.store.messages(sessionId, { limit: HISTORY_SIZE, viewerVisible: true }),
    ]);
    const settings = { slowModeSeconds: row?.slowModeSeconds ?? 0, keywords: row?.keywords ?? { zh: [], en: [] }, pinnedMessageId: row?.pinnedMessageId ?? null };
    const history: ChatMessage[] = [];
    for (const r of rows) {
      const v = await this.#open(r);
      if (v) history.push(v);
    }
    let pinned: ChatMessage | null = null;
    if (settings.pinnedMessageId) {
      const p = await this.deps.store.getMessage(sessionId, settings.pinnedMessageId);
      const v = p && p.status === 'visible' ? await this.#open(p) : undefined;
      pinned = v ? { ...v, pinned: true } : null;
    }
    const banMap = new Map<string, 'ban' | 'shadow'>();
    for (const b of bans) if (b.liftedAt === null) banMap.set(b.subject, b.kind);
    return { settings, filter: new KeywordFilter(mergeKeywords(this.#settings.keywords, settings.keywords)), bans: banMap, history, pinned };
  }

  #apply(sessionId: string, room: RoomState, m: ChatBusMessage): void {
    switch (m.type) {
      case 'chat_message':
        if (m.shadowOf) return;
        room.history.push(m.message);
        if (room.history.length > HISTORY_SIZE) room.history.splice(0, room.history.length - HISTORY_SIZE);
        return;
      case 'chat_removed': {
        const ids = new Set(m.ids);
        room.history = room.history.filter((x) => !ids.has(x.id));
        if (room.pinned && ids.has(room.pinned.id)) room.pinned = null;
        return;
      }
      case 'chat_restored': {
        if (room.history.some((x) => x.id === m.message.id)) return;
        room.history.push(m.message);
        room.history.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
        if (room.history.length > HISTORY_SIZE) room.history.splice(0, room.history.length - HISTORY_SIZE);
        return;
      }
      case 'chat_pinned':
        room.pinned = m.message;
        room.settings.pinnedMessageId = m.message?.id ?? null;
        return;
      case 'chat_settings':
        room.settings.slowModeSeconds = m.settings.slowModeSeconds;
        return;
      case 'chat_room_changed':
        void this.#refresh(sessionId, room).catch(this.deps.onError);
        return;
    }
  }

  /** Re-reads a room's bans, filter and settings (after a change here or on another node). */
  async #refresh(sessionId: string, room: RoomState): Promise<void> {
    const fresh = await this.#read(sessionId);
    room.bans = fresh.bans;
    room.filter = fresh.filter;
    room.settings = fresh.settings;
  }

  /** A change made on this node applies here before the moderator hears it succeeded. */
  async #changedRoom(sessionId: string): Promise<void> {
    await this.#publish(sessionId, { type: 'chat_room_changed' });
    const room = this.#rooms.get(sessionId);
    if (room) await this.#refresh(sessionId, await room);
  }

  #roomSettings(room: RoomState): ChatRoomSettings {
    return { slowModeSeconds: room.settings.slowModeSeconds, maxLength: this.#settings.maxLength };
  }

  async #publish(sessionId: string, message: ChatBusMessage): Promise<void> {
    await this.deps.bus.publish(chatTopic(sessionId), message);
  }

  async #staffSession(ctx: RequestContext, sessionId: string, complianceToo = false): Promise<Result<ChatSession>> {
    const session = await this.deps.sessions.get(sessionId);
    if (!session) return fail('SESSION_NOT_FOUND');
    const a = ctx.actor;
    if (a.kind === 'anonymous') return fail('UNAUTHENTICATED');
    const allowed =
      this.deps.sessions.canManage(ctx, session) || (a.kind === 'staff' && (a.role === 'moderator' || (complianceToo && a.role === 'compliance')));
    return allowed ? ok(session) : fail('FORBIDDEN', 'you do not moderate this session');
  }

  async #findMessage(sessionId: string, id: string): Promise<StoredMessage | undefined> {
    await this.flush();
    return this.deps.store.getMessage(sessionId, id);
  }

  async #open(r: StoredMessage): Promise<ChatMessage | undefined> {
    if (r.authorKind !== 'viewer') return toView({ id: r.id, sessionId: r.sessionId, at: r.at, authorKind: r.authorKind, nickname: r.nickname ?? '', text: r.text ?? '', aiGenerated: r.aiGenerated, meta: r.meta }, false);
    if (!r.authorSubject || !r.textSealed || !r.nicknameSealed) return undefined;
    try {
      const [text, nickname] = await Promise.all([
        this.deps.sealer.openTextFor(r.authorSubject, textField(r.id), r.textSealed),
        this.deps.sealer.openTextFor(r.authorSubject, nicknameField(r.id), r.nicknameSealed),
      ]);
      return toView({ id: r.id, sessionId: r.sessionId, at: r.at, authorKind: 'viewer', nickname, text, aiGenerated: false, meta: r.meta }, false);
    } catch {
      return undefined; // the viewer was erased: their words are unreadable, so they are not shown
    }
  }

  async #sealLogNickname(target: StoredMessage, sessionId: string): Promise<string | null> {
    const view = await this.#open(target);
    if (!view || !target.authorSubject) return null;
    return this.deps.sealer.sealTextFor(target.authorSubject, logNicknameField(sessionId, target.id), view.author.nickname);
  }

  async #sealBanNickname(target: StoredMessage, banId: string): Promise<string | null> {
    const view = await this.#open(target);
    if (!view || !target.authorSubject) return null;
    return this.deps.sealer.sealTextFor(target.authorSubject, banNicknameField(banId), view.author.nickname);
  }

  async #openBanNickname(b: StoredBan): Promise<string> {
    if (!b.nicknameSealed) return '—';
    try {
      return await this.deps.sealer.openTextFor(b.subject, banNicknameField(b.id), b.nicknameSealed);
    } catch {
      return '—';
    }
  }

  async #entryView(e: StoredLogEntry): Promise<ModerationEntry> {
    let targetNickname: string | null = null;
    if (e.targetSubject && e.targetNicknameSealed && e.messageId) {
      try {
        targetNickname = await this.deps.sealer.openTextFor(e.targetSubject, logNicknameField(e.sessionId, e.messageId), e.targetNicknameSealed);
      } catch {
        targetNickname = null;
      }
    }
    return { seq: e.seq, sessionId: e.sessionId, action: e.action, messageId: e.messageId, targetNickname, actor: e.actor, reason: e.reason, details: e.details, at: e.at, hash: e.hash };
  }

  async #log(sessionId: string, entry: { action: ModerationAction; messageId: string | null; targetSubject: string | null; actor: ModerationEntry['actor']; reason: string | null; details: Record<string, unknown> }): Promise<void> {
    try {
      await retryOnChainRace(() => this.deps.store.appendLog({ ...entry, sessionId, targetNicknameSealed: null, at: this.deps.clock.now() }));
    } catch (err) {
      this.deps.onError(err);
    }
  }
}

function toView(r: { id: string; sessionId: string; at: number; authorKind: 'viewer' | 'staff' | 'assistant'; nickname: string; text: string; aiGenerated: boolean; meta: MessageMeta }, pinned: boolean): ChatMessage {
  return {
    id: r.id,
    sessionId: r.sessionId,
    author: { kind: r.authorKind, nickname: r.nickname, ...(r.meta.role ? { role: r.meta.role } : {}) },
    text: r.text,
    at: r.at,
    aiGenerated: r.aiGenerated,
    label: r.aiGenerated ? AI_LABEL : null,
    ...(r.meta.sources ? { sources: r.meta.sources } : {}),
    ...(r.meta.handoff !== undefined ? { handoff: r.meta.handoff } : {}),
    ...(r.meta.replyTo !== undefined ? { replyTo: r.meta.replyTo } : {}),
    ...(r.meta.links ? { links: r.meta.links } : {}),
    pinned,
  };
}

/**
 * Two moderators acting in one room at the same instant race for the next log position; the primary
 * key lets one win, and the other's whole transaction runs again on the new chain head.
 */
async function retryOnChainRace<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const race = code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '40001';
      if (!race || i >= attempts) throw err;
    }
  }
}

/** A batch that did not commit: nothing of it is stored or published; the sender may send again. */
function notStored(): Result<never> {
  return fail('NOT_READY', 'the message could not be stored; send it again', { retryAfterSeconds: OVERLOAD_RETRY_AFTER_SECONDS });
}

function actorOf(ctx: RequestContext): ModerationEntry['actor'] {
  const a = ctx.actor;
  if (a.kind === 'staff') return { kind: 'staff', id: a.id, name: a.name };
  return { kind: 'system', id: null, name: a.kind === 'system' ? a.reason : null };
}

/** Time-ordered ids: the time in base 36 then randomness, so ids sort like messages. */
function messageId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}${randomUUID().replace(/-/g, '').slice(0, 14)}`;
}

function cleanKeywords(k: KeywordLists): KeywordLists | undefined {
  const clean = (list: readonly string[]) => [...new Set(list.map((w) => w.normalize('NFKC').trim()).filter((w) => w.length > 0))];
  const out = { zh: clean(k.zh), en: clean(k.en).map((w) => w.toLowerCase()) };
  const okList = (list: string[]) => list.length <= 500 && list.every((w) => [...w].length <= 40);
  return okList(out.zh) && okList(out.en) ? out : undefined;
}

export type { ErrorCode };
