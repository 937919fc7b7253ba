/**
 * One WebSocket per viewer per live room. The gateway subscribes to a room's bus topic while it has
 * viewers there, sends each change once-serialised to every socket, and drops sockets that cannot
 * keep up so they never slow the others (they reconnect and get a fresh snapshot).
 */
import { randomUUID } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { WebSocket } from 'ws';
import type { Bus } from '../../bus/index.js';
import { ANONYMOUS, type RequestContext } from '../../context/index.js';
import { ClientMessage, type Counters, type ServerMessage } from './messages.js';
import { roomTopic, type LiveRoomService, type RoomBusMessage } from './service.js';
import { framedSocketOf, textFrame } from './frames.js';
import type { CounterRecord } from './ports.js';
import { NO_METER, type WorkMeter } from '../../shared/work-meter.js';

const checkClientMessage = TypeCompiler.Compile(ClientMessage);

/**
 * How often at most a room's counters frame goes out: `baseMs` (250 ms) in an ordinary room, longer
 * in a big one. The frame goes to every socket of the room, at ~15–20 µs each here, so at 10,000
 * viewers a push every 250 ms was ~75 % of a core while a crowd joined (every join and leave marks
 * the counters); 0.2 ms per viewer keeps it near 10 %: 1 s at 5,000 viewers, 2 s at 10,000, never
 * more than 5 s.
 */
export function countersIntervalFor(viewers: number, baseMs: number): number {
  return Math.max(baseMs, Math.min(5_000, Math.round(viewers * 0.2)));
}

export interface GatewayOptions {
  messagesPerSecond: number;
  slowConsumerBytes: number;
  /** How often at most a room's counters are pushed (ms). */
  countersIntervalMs?: number;
  /** How often each node tells the others how many viewers it holds in each room (ms). */
  viewersHeartbeatMs?: number;
}

export interface GatewayMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  messagesSent(n: number): void;
  slowConsumerDropped(): void;
}

interface Viewer {
  socket: WebSocket;
  /** Changes that arrived before this viewer's snapshot was sent; null once it is live. */
  pending: RoomBusMessage[] | null;
  tokens: number;
  lastRefill: number;
  strikes: number;
  /** Until when this viewer was told to slow down (ms since epoch): told once per wait. */
  slowedUntil: number;
  /** Staff consoles watch the room too, but are not viewers (LC4: the count is real viewers only). */
  counted: boolean;
  /** Set once the viewer asked for recommendations over this socket. */
  recs?: { deviceId: string | undefined; key: string | undefined; k: number | undefined };
  /** The coarse class of the device (from the handshake's User-Agent), for the decision log's audit segments. */
  device: string | undefined;
  /** The viewer's keyed subject, once they chatted (a shadow-banned viewer still sees their own messages). */
  subject?: string;
  /** Chat frames that arrived while this viewer's chat history was being read; null once it was sent. */
  chatPending: unknown[] | null;
}

interface Room {
  viewers: Set<Viewer>;
  /** Sockets that count as viewers (all but staff consoles). */
  counted: number;
  unsubscribe: () => void;
  countersTimer: NodeJS.Timeout | undefined;
  countersDirty: boolean;
  lastCounters: CounterRecord | undefined;
  refreshTimer: NodeJS.Timeout | undefined;
  /** Chat messages waiting for the next batch (sent together every CHAT_BATCH_MS). */
  chatBatch: unknown[];
  chatTimer: NodeJS.Timeout | undefined;
  unsubscribeChat: () => void;
  /** Other nodes' viewers in this room, as they last said (node id → count and when heard). */
  remote: Map<string, { count: number; at: number }>;
  /** The count this node last told the others. */
  announced: number;
}

/** The room's chat, as the gateway needs it (the chat module; plugged in after construction). */
export interface RoomChat {
  topic(sessionId: string): string;
  history(sessionId: string): Promise<{ messages: Array<{ id: string }>; pinned: unknown; settings: unknown }>;
  post(
    sessionId: string,
    input: { deviceId: string; text: string; nickname?: string; locale?: 'zh-CN' | 'en' },
  ): Promise<{ ok: true; value: { id: string } } | { ok: false; code: string; detail?: string; extensions?: Record<string, unknown> }>;
  subjectOf(deviceId: string): string;
}

/** Chat messages are sent in batches: a busy room's 2,000 messages a second become 20 frames a socket. */
const CHAT_BATCH_MS = 50;

/** Per-viewer lists pushed over the room's socket (the recommender); the gateway only carries them. */
export interface RoomRecommendations {
  /** The viewer's list, or an error code. */
  forViewer(sessionId: string, deviceId: string | undefined, k: number | undefined, device: string | undefined): Promise<{ ok: true; value: unknown } | { ok: false; code: string; detail?: string }>;
  /** The key viewer acts are reported under (so a refresh finds this viewer's sockets). */
  keyOf(deviceId: string): string;
}

/** The client's event id of a frame, when it has a well-formed one. */
function clientEventIdOf(value: unknown): string | undefined {
  const id = typeof value === 'object' && value !== null ? (value as { clientEventId?: unknown }).clientEventId : undefined;
  return typeof id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(id) ? id : undefined;
}

type ChatFrame =
  | { type: 'chat_message'; message: unknown; shadowOf?: string }
  | { type: 'chat_room_changed' }
  | { type: 'chat_removed' | 'chat_restored' | 'chat_pinned' | 'chat_settings' };

/** Showcase changes after which every watching viewer's list is recomputed. */
const REFRESHING = new Set(['pinned', 'unpinned', 'flash_sale_started', 'flash_sale_ended', 'products_updated', 'sold_out', 'session_status']);
/** Viewer messages that write (refused while the node sheds load); reads and pings are still answered. */
const WRITES = new Set(['chat_send', 'like', 'add_to_cart']);
const REFRESH_DEBOUNCE_MS = 300;
const VIEWERS_HEARTBEAT_MS = 5000;
/** A node not heard from for this many heartbeats is taken to be gone (its viewers no longer counted). */
const VIEWERS_STALE_HEARTBEATS = 3;

/** Close codes: 4404 no such room, 4408 too slow, 4429 too many messages, 1001 server going away. */
export const CLOSE = { notFound: 4404, slowConsumer: 4408, rateLimited: 4429, goingAway: 1001 } as const;

export class LiveRoomGateway {
  readonly #rooms = new Map<string, Room>();
  #closing = false;
  #recommendations: RoomRecommendations | undefined;
  #chat: RoomChat | undefined;
  #shedding: { underPressure(): boolean; retryAfterSeconds: number } | undefined;
  #onShed: (() => void) | undefined;
  #meter: WorkMeter = NO_METER;
  /** This node, as other nodes' gateways know it (viewer counts are summed per node). */
  readonly #node = randomUUID();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(
    private readonly service: LiveRoomService,
    private readonly bus: Bus,
    private readonly options: GatewayOptions,
    private readonly metrics: GatewayMetrics,
    private readonly onError: (err: unknown) => void,
  ) {
    // Every node repeats its counts now and then: a node that died stops, and its viewers drop out
    // of the others' sums after VIEWERS_STALE_HEARTBEATS missed beats.
    this.#heartbeat = setInterval(() => {
      for (const [sessionId, room] of this.#rooms) {
        this.#announceViewers(sessionId, room, false);
        if (this.#pruneRemote(room)) this.#markCountersDirty(sessionId, room);
      }
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  get #heartbeatMs(): number {
    return this.options.viewersHeartbeatMs ?? VIEWERS_HEARTBEAT_MS;
  }

  /** Plugs in the energy meter: fan-out and socket writes count as serving work. */
  useMeter(meter: WorkMeter): void {
    this.#meter = meter;
  }

  /** Plugs in the recommender (it is built after the gateway). */
  useRecommendations(recommendations: RoomRecommendations): void {
    this.#recommendations = recommendations;
  }

  /** Plugs in load shedding (installed with the HTTP server, after the gateway is built). */
  useShedding(shedding: { underPressure(): boolean; retryAfterSeconds: number }, onShed?: () => void): void {
    this.#shedding = shedding;
    this.#onShed = onShed;
  }

  /** Plugs in the chat (it is built after the gateway). */
  useChat(chat: RoomChat): void {
    this.#chat = chat;
  }

  /** A viewer acted: recompute the lists of their sockets in that room. */
  refreshViewer(sessionId: string, key: string): void {
    const room = this.#rooms.get(sessionId);
    if (!room) return;
    for (const v of room.viewers) if (v.recs && v.recs.key === key) void this.#pushRecommendations(sessionId, v).catch(this.onError);
  }

  /**
   * The viewer's consent, personalisation switch, profile or tags changed (here or on another
   * node): every list of theirs open on this node is recomputed, so a page open in another tab
   * stops showing a personalised list the viewer no longer allows, without a reload.
   */
  refreshViewerEverywhere(key: string): void {
    for (const [sessionId, room] of this.#rooms) {
      for (const v of room.viewers) if (v.recs && v.recs.key === key) void this.#pushRecommendations(sessionId, v).catch(this.onError);
    }
  }

  /** Viewers in the room on every node: this node's, plus what the others last said. */
  viewerCount(sessionId: string): number {
    const room = this.#rooms.get(sessionId);
    return room ? this.#roomViewers(room) : 0;
  }

  #roomViewers(room: Room): number {
    let n = room.counted;
    for (const r of room.remote.values()) n += r.count;
    return n;
  }

  /** Drops nodes not heard from lately; true when that changed the sum. */
  #pruneRemote(room: Room): boolean {
    const cutoff = Date.now() - this.#heartbeatMs * VIEWERS_STALE_HEARTBEATS;
    let changed = false;
    for (const [node, r] of room.remote) {
      if (r.at >= cutoff) continue;
      room.remote.delete(node);
      changed ||= r.count > 0;
    }
    return changed;
  }

  /** Tells the other nodes this node's count in the room; `ask`: and asks them for theirs. */
  #announceViewers(sessionId: string, room: Room, ask: boolean): void {
    room.announced = room.counted;
    if (!this.bus.ready()) return;
    const message: RoomBusMessage = { type: 'node_viewers', node: this.#node, count: room.counted, ...(ask ? { ask: true } : {}) };
    this.bus.publish(roomTopic(sessionId), message).catch(() => undefined); // the next beat repeats it
  }

  totalConnections(): number {
    let n = 0;
    for (const r of this.#rooms.values()) n += r.viewers.size;
    return n;
  }

  async join(sessionId: string, socket: WebSocket, options: { countAsViewer: boolean; device?: string } = { countAsViewer: true }): Promise<void> {
    if (this.#closing) {
      this.#sendDirect(socket, { type: 'reconnect', reason: 'server shutting down' });
      socket.close(CLOSE.goingAway, 'shutting down');
      return;
    }
    const viewer: Viewer = {
      socket,
      pending: [],
      tokens: this.options.messagesPerSecond * 2,
      lastRefill: Date.now(),
      strikes: 0,
      slowedUntil: 0,
      counted: options.countAsViewer,
      device: options.device,
      chatPending: this.#chat ? [] : null,
    };
    const room = this.#room(sessionId);
    room.viewers.add(viewer);
    if (viewer.counted) room.counted++;
    this.metrics.connectionOpened();
    socket.on('close', () => this.#leave(sessionId, viewer));
    socket.on('error', () => undefined);
    socket.on('message', (data, isBinary) => void this.#onMessage(sessionId, viewer, data, isBinary).catch(this.onError));

    let state;
    try {
      state = await this.service.roomState(sessionId, this.#roomViewers(room));
    } catch (err) {
      this.onError(err);
      socket.close(1011, 'internal error');
      return;
    }
    if (!state) {
      this.#sendDirect(socket, { type: 'error', code: 'SESSION_NOT_FOUND', detail: 'No such live session' });
      socket.close(CLOSE.notFound, 'no such live session');
      return;
    }
    if (socket.readyState !== socket.OPEN) return;
    this.#sendDirect(socket, { type: 'snapshot', state });
    const pending = viewer.pending ?? [];
    viewer.pending = null;
    for (const m of pending) if (!('seq' in m) || m.seq > state.seq) this.#sendDirect(socket, m);
    this.#markCountersDirty(sessionId, room);
    // Asked for recommendations before the snapshot went out: answered below (a request after it is
    // answered when it arrives, so it is read now, before the chat history's await).
    const askedBeforeSnapshot = viewer.recs !== undefined;
    if (this.#chat) await this.#sendChatHistory(sessionId, viewer);
    if (askedBeforeSnapshot) await this.#pushRecommendations(sessionId, viewer);
  }

  /** The last messages, then whatever arrived while they were read (without repeating any). */
  async #sendChatHistory(sessionId: string, viewer: Viewer): Promise<void> {
    let history;
    try {
      history = await this.#chat!.history(sessionId);
    } catch (err) {
      this.onError(err);
      viewer.chatPending = null;
      return;
    }
    const pending = viewer.chatPending ?? [];
    viewer.chatPending = null;
    if (viewer.socket.readyState !== viewer.socket.OPEN) return;
    this.#sendDirect(viewer.socket, { type: 'chat_history', messages: history.messages, pinned: history.pinned, settings: history.settings }, sessionId);
    const seen = new Set(history.messages.map((m) => m.id));
    for (const frame of pending) {
      const f = frame as { type: string; message?: { id: string }; messages?: Array<{ id: string }> };
      if (f.type === 'chat_message' && f.message && seen.has(f.message.id)) continue;
      if (f.type === 'chat_messages' && f.messages) {
        const fresh = f.messages.filter((m) => !seen.has(m.id));
        if (fresh.length) this.#sendDirect(viewer.socket, { type: 'chat_messages', messages: fresh }, sessionId);
        continue;
      }
      this.#sendDirect(viewer.socket, frame as ServerMessage, sessionId);
    }
  }

  /**
   * After a bus outage: room changes published meanwhile never reached this node, so each room's
   * viewers get a fresh snapshot (the page replaces its state with it, as on a seq gap).
   */
  async resyncAll(): Promise<void> {
    for (const [sessionId, room] of [...this.#rooms]) {
      room.lastCounters = undefined;
      room.remote.clear();
      this.#announceViewers(sessionId, room, true);
      const state = await this.service.roomState(sessionId, this.#roomViewers(room));
      if (state && this.#rooms.get(sessionId) === room) this.#broadcast(room, { type: 'snapshot', state }, sessionId);
    }
  }

  /** Tells every viewer to reconnect (to another node) and closes the sockets. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    const reconnect = JSON.stringify({ type: 'reconnect', reason: 'server shutting down' } satisfies ServerMessage);
    for (const [sessionId, room] of this.#rooms) {
      for (const v of room.viewers) {
        try {
          v.socket.send(reconnect);
          v.socket.close(CLOSE.goingAway, 'shutting down');
        } catch {
          v.socket.terminate();
        }
      }
      this.#dropRoom(sessionId, room);
    }
  }

  #room(sessionId: string): Room {
    const existing = this.#rooms.get(sessionId);
    if (existing) return existing;
    const created: Room = {
      viewers: new Set(),
      counted: 0,
      unsubscribe: () => undefined,
      countersTimer: undefined,
      countersDirty: false,
      lastCounters: undefined,
      refreshTimer: undefined,
      chatBatch: [],
      chatTimer: undefined,
      unsubscribeChat: () => undefined,
      remote: new Map(),
      announced: 0,
    };
    created.unsubscribe = this.bus.subscribe(roomTopic(sessionId), (m) => this.#onBus(sessionId, created, m as RoomBusMessage));
    if (this.#chat) created.unsubscribeChat = this.bus.subscribe(this.#chat.topic(sessionId), (m) => this.#onChat(sessionId, created, m as ChatFrame));
    this.#rooms.set(sessionId, created);
    // New to this room: the other nodes say how many they hold (their next beat would, later).
    this.#announceViewers(sessionId, created, true);
    return created;
  }

  #leave(sessionId: string, viewer: Viewer): void {
    const room = this.#rooms.get(sessionId);
    if (!room || !room.viewers.delete(viewer)) return;
    if (viewer.counted) room.counted--;
    this.metrics.connectionClosed();
    if (room.viewers.size === 0) this.#dropRoom(sessionId, room);
    else this.#markCountersDirty(sessionId, room);
  }

  #dropRoom(sessionId: string, room: Room): void {
    if (room.announced !== 0) {
      // This node's viewers are gone from the room (or the node shuts down): the others stop counting them.
      room.counted = 0;
      this.#announceViewers(sessionId, room, false);
    }
    room.unsubscribe();
    room.unsubscribeChat();
    if (room.chatTimer) clearTimeout(room.chatTimer);
    if (room.countersTimer) clearTimeout(room.countersTimer);
    if (room.refreshTimer) clearTimeout(room.refreshTimer);
    if (this.#rooms.get(sessionId) === room) this.#rooms.delete(sessionId);
  }

  #onBus(sessionId: string, room: Room, message: RoomBusMessage): void {
    if (message.type === 'node_viewers') {
      if (message.node === this.#node) return;
      const before = room.remote.get(message.node)?.count;
      if (message.count > 0) room.remote.set(message.node, { count: message.count, at: Date.now() });
      else room.remote.delete(message.node);
      if (before !== (message.count > 0 ? message.count : undefined)) this.#markCountersDirty(sessionId, room);
      if (message.ask) this.#announceViewers(sessionId, room, false);
      return;
    }
    if (message.type === 'stored_counters') {
      room.lastCounters = message.counters;
      this.service.noteStoredCounters(sessionId, message.counters);
      this.#markCountersDirty(sessionId, room);
      return;
    }
    this.#broadcast(room, message, sessionId);
    if (REFRESHING.has(message.type) || (message.type === 'stock' && message.soldOut)) this.#scheduleRefresh(sessionId, room);
  }

  #onChat(sessionId: string, room: Room, frame: ChatFrame): void {
    switch (frame.type) {
      case 'chat_room_changed':
        return; // for the chat's own caches
      case 'chat_message':
        if (frame.shadowOf) {
          // A shadow-banned viewer's message reaches their own sockets only.
          const data = { type: 'chat_message', message: frame.message } as const;
          for (const v of room.viewers) if (v.subject === frame.shadowOf) this.#sendDirect(v.socket, data as ServerMessage, sessionId);
          return;
        }
        room.chatBatch.push(frame.message);
        if (!room.chatTimer) {
          room.chatTimer = setTimeout(() => {
            room.chatTimer = undefined;
            if (this.#rooms.get(sessionId) === room) this.#flushChat(sessionId, room);
          }, CHAT_BATCH_MS);
          room.chatTimer.unref();
        }
        return;
      default:
        // Removals, pins and settings follow the messages they refer to.
        this.#flushChat(sessionId, room);
        this.#broadcast(room, frame as ServerMessage, sessionId);
    }
  }

  #flushChat(sessionId: string, room: Room): void {
    if (room.chatBatch.length === 0) return;
    const messages = room.chatBatch;
    room.chatBatch = [];
    if (room.chatTimer) {
      clearTimeout(room.chatTimer);
      room.chatTimer = undefined;
    }
    const frame = messages.length === 1 ? { type: 'chat_message' as const, message: messages[0] } : { type: 'chat_messages' as const, messages };
    this.#broadcast(room, frame, sessionId);
  }

  /** After a showcase change, every watching viewer's list is recomputed once (debounced). */
  #scheduleRefresh(sessionId: string, room: Room): void {
    if (room.refreshTimer || !this.#recommendations) return;
    room.refreshTimer = setTimeout(() => {
      room.refreshTimer = undefined;
      if (this.#rooms.get(sessionId) !== room) return;
      for (const v of room.viewers) if (v.recs) void this.#pushRecommendations(sessionId, v).catch(this.onError);
    }, REFRESH_DEBOUNCE_MS);
    room.refreshTimer.unref();
  }

  async #pushRecommendations(sessionId: string, viewer: Viewer): Promise<void> {
    if (!this.#recommendations || !viewer.recs || viewer.pending) return;
    const r = await this.#recommendations.forViewer(sessionId, viewer.recs.deviceId, viewer.recs.k, viewer.device);
    if (r.ok) this.#sendDirect(viewer.socket, { type: 'recommendations', recommendations: r.value }, sessionId);
    else this.#sendDirect(viewer.socket, { type: 'error', code: r.code, detail: r.detail ?? r.code }, sessionId);
  }

  #broadcast(room: Room, message: ServerMessage | RoomBusMessage, sessionId: string): void {
    this.#meter.span('serving', () => this.#fanOut(room, message), sessionId);
  }

  #fanOut(room: Room, message: ServerMessage | RoomBusMessage): void {
    // Serialised, encoded and framed once: every socket is handed the same bytes (sending a string makes
    // ws encode it again per socket, which for a 2,000-viewer room is 2,000 copies of each frame).
    const data = Buffer.from(JSON.stringify(message), 'utf8');
    const frame = textFrame(data);
    let sent = 0;
    const chatFrame = message.type.startsWith('chat_');
    for (const v of room.viewers) {
      if (chatFrame && v.chatPending) {
        v.chatPending.push(message);
        continue;
      }
      if (v.pending) {
        v.pending.push(message as RoomBusMessage);
        continue;
      }
      if (v.socket.readyState !== v.socket.OPEN) continue;
      if (v.socket.bufferedAmount > this.options.slowConsumerBytes) {
        // This viewer cannot keep up: drop it rather than buffer without bound or slow the room.
        this.metrics.slowConsumerDropped();
        v.socket.terminate();
        continue;
      }
      const raw = framedSocketOf(v.socket);
      if (raw) raw.write(frame);
      else v.socket.send(data, { binary: false });
      sent++;
    }
    this.metrics.messagesSent(sent);
  }

  #markCountersDirty(sessionId: string, room: Room): void {
    room.countersDirty = true;
    if (room.countersTimer) return;
    room.countersTimer = setTimeout(() => {
      room.countersTimer = undefined;
      if (!room.countersDirty || this.#rooms.get(sessionId) !== room) return;
      room.countersDirty = false;
      void this.#pushCounters(sessionId, room).catch(this.onError);
    }, countersIntervalFor(room.viewers.size, this.options.countersIntervalMs ?? 250));
    room.countersTimer.unref();
  }

  async #pushCounters(sessionId: string, room: Room): Promise<void> {
    const stored = room.lastCounters ?? (await this.service.storedCounters(sessionId));
    if (!stored) return;
    // A change in this node's count is told to the others at the same pace as the counters.
    if (room.counted !== room.announced) this.#announceViewers(sessionId, room, false);
    const counters: Counters = { viewers: this.#roomViewers(room), ...stored };
    this.#broadcast(room, { type: 'counters', counters }, sessionId);
  }

  async #onMessage(sessionId: string, viewer: Viewer, data: unknown, isBinary: boolean): Promise<void> {
    // Parsed first (frames are bounded by maxPayload) so that every refusal can name the client's
    // event id, and the page knows which of its messages was refused.
    let parsed: unknown;
    let malformed = false;
    try {
      if (isBinary) throw new Error('binary');
      parsed = JSON.parse(String(data));
    } catch {
      malformed = true;
    }
    const eventId = clientEventIdOf(parsed);
    const withId = eventId ? { clientEventId: eventId } : {};
    if (!this.#takeToken(viewer)) {
      viewer.strikes++;
      if (viewer.strikes > this.options.messagesPerSecond * 4) {
        viewer.socket.close(CLOSE.rateLimited, 'too many messages');
        return;
      }
      const retryAfterMs = Math.max(1, Math.ceil(((1 - viewer.tokens) / this.options.messagesPerSecond) * 1000));
      this.#sendDirect(viewer.socket, { type: 'error', code: 'RATE_LIMITED', detail: 'Too many messages; slow down', ...withId, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) });
      this.#slowDown(viewer, 'rate_limited', retryAfterMs);
      return;
    }
    if (malformed) {
      this.#sendDirect(viewer.socket, { type: 'error', code: 'MALFORMED_JSON', detail: 'Messages are JSON text' });
      return;
    }
    if (!checkClientMessage.Check(parsed)) {
      const first = checkClientMessage.Errors(parsed).First();
      this.#sendDirect(viewer.socket, {
        type: 'error',
        code: 'VALIDATION_FAILED',
        detail: first ? `${first.path || '(message)'}: ${first.message}` : 'invalid message',
        ...withId,
      });
      return;
    }
    const message = parsed;
    if (WRITES.has(message.type) && !this.bus.ready()) {
      // Cut off from the other nodes: refuse before anything is stored (the page resends later).
      this.#sendDirect(viewer.socket, { type: 'error', code: 'NOT_READY', detail: 'the message bus is not connected; try again shortly', ...withId, retryAfterSeconds: 2 });
      return;
    }
    if (WRITES.has(message.type) && this.#shedding?.underPressure()) {
      // The node is overloaded: refuse the write (the page resends it, same id, after the wait).
      const retryAfterSeconds = this.#shedding.retryAfterSeconds;
      this.#onShed?.();
      this.#sendDirect(viewer.socket, { type: 'error', code: 'OVERLOADED', detail: `the server is busy; retry in ${retryAfterSeconds} s`, ...withId, retryAfterSeconds });
      this.#slowDown(viewer, 'overloaded', retryAfterSeconds * 1000);
      return;
    }
    if (message.type === 'ping') {
      this.#sendDirect(viewer.socket, { type: 'pong', serverTime: Date.now() });
      return;
    }
    if (message.type === 'watch_recommendations') {
      if (!this.#recommendations) {
        this.#sendDirect(viewer.socket, { type: 'error', code: 'NOT_READY', detail: 'recommendations are not available' });
        return;
      }
      viewer.recs = { deviceId: message.deviceId, key: message.deviceId ? this.#recommendations.keyOf(message.deviceId) : undefined, k: message.k };
      await this.#pushRecommendations(sessionId, viewer);
      return;
    }
    if (message.type === 'chat_send') {
      if (!this.#chat) {
        this.#sendDirect(viewer.socket, { type: 'error', code: 'NOT_READY', detail: 'chat is not available', clientEventId: message.clientEventId });
        return;
      }
      viewer.subject = this.#chat.subjectOf(message.deviceId);
      // The client event id goes along: the chat acks once the message is stored, and a resend of
      // a stored one (same id) is answered with the stored message's id, `duplicate`, and not posted again.
      const input: Parameters<RoomChat['post']>[1] & { clientEventId: string } = {
        clientEventId: message.clientEventId,
        deviceId: message.deviceId,
        text: message.text,
        ...(message.nickname !== undefined ? { nickname: message.nickname } : {}),
        ...(message.locale ? { locale: message.locale } : {}),
      };
      const posted = await this.#chat.post(sessionId, input);
      if (posted.ok) {
        const duplicate = (posted.value as { duplicate?: boolean }).duplicate === true;
        this.#sendDirect(viewer.socket, { type: 'chat_ack', clientEventId: message.clientEventId, messageId: posted.value.id, ...(duplicate ? { duplicate } : {}) }, sessionId);
      } else
        this.#sendDirect(
          viewer.socket,
          { type: 'error', code: posted.code, detail: posted.detail ?? posted.code, clientEventId: message.clientEventId, ...(posted.extensions ?? {}) } as ServerMessage,
          sessionId,
        );
      return;
    }
    const ctx: RequestContext = { requestId: randomUUID(), actor: ANONYMOUS, locale: 'zh-CN' };
    const result = await this.service.recordEvent(ctx, sessionId, {
      type: message.type,
      clientEventId: message.clientEventId,
      ...(message.type === 'add_to_cart' ? { productId: message.productId } : {}),
    });
    if (result.ok) this.#sendDirect(viewer.socket, { type: 'ack', clientEventId: message.clientEventId, duplicate: result.value.duplicate });
    else
      this.#sendDirect(viewer.socket, {
        type: 'error',
        code: result.code,
        detail: result.detail ?? result.code,
        clientEventId: message.clientEventId,
      });
  }

  /** Tells a viewer to pause its writes, once per wait. */
  #slowDown(viewer: Viewer, reason: 'rate_limited' | 'overloaded', retryAfterMs: number): void {
    const now = Date.now();
    if (viewer.slowedUntil > now) return;
    viewer.slowedUntil = now + retryAfterMs;
    this.#sendDirect(viewer.socket, { type: 'slow_down', reason, retryAfterMs });
  }

  #takeToken(viewer: Viewer): boolean {
    const now = Date.now();
    const rate = this.options.messagesPerSecond;
    viewer.tokens = Math.min(rate * 2, viewer.tokens + ((now - viewer.lastRefill) / 1000) * rate);
    viewer.lastRefill = now;
    if (viewer.tokens < 1) return false;
    viewer.tokens -= 1;
    return true;
  }

  #sendDirect(socket: WebSocket, message: ServerMessage | RoomBusMessage, sessionId?: string): void {
    if (socket.readyState !== socket.OPEN) return;
    this.#meter.span('serving', () => socket.send(JSON.stringify(message)), sessionId);
  }
}
