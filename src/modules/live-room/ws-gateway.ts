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
import type { CounterRecord } from './ports.js';
import { NO_METER, type WorkMeter } from '../../shared/work-meter.js';

const checkClientMessage = TypeCompiler.Compile(ClientMessage);

export interface GatewayOptions {
  messagesPerSecond: number;
  slowConsumerBytes: number;
  /** How often at most a room's counters are pushed (ms). */
  countersIntervalMs?: number;
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
  /** Staff consoles watch the room too, but are not viewers (LC4: the count is real viewers only). */
  counted: boolean;
  /** Set once the viewer asked for recommendations over this socket. */
  recs?: { deviceId: string | undefined; key: string | undefined; k: number | undefined };
  /** The coarse class of the device (from the handshake's User-Agent), for the decision log's audit segments. */
  device: string | undefined;
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
}

/** Per-viewer lists pushed over the room's socket (the recommender); the gateway only carries them. */
export interface RoomRecommendations {
  /** The viewer's list, or an error code. */
  forViewer(sessionId: string, deviceId: string | undefined, k: number | undefined, device: string | undefined): Promise<{ ok: true; value: unknown } | { ok: false; code: string; detail?: string }>;
  /** The key viewer acts are reported under (so a refresh finds this viewer's sockets). */
  keyOf(deviceId: string): string;
}

/** Showcase changes after which every watching viewer's list is recomputed. */
const REFRESHING = new Set(['pinned', 'unpinned', 'flash_sale_started', 'flash_sale_ended', 'products_updated', 'sold_out', 'session_status']);
const REFRESH_DEBOUNCE_MS = 300;

/** Close codes: 4404 no such room, 4408 too slow, 4429 too many messages, 1001 server going away. */
export const CLOSE = { notFound: 4404, slowConsumer: 4408, rateLimited: 4429, goingAway: 1001 } as const;

export class LiveRoomGateway {
  readonly #rooms = new Map<string, Room>();
  #closing = false;
  #recommendations: RoomRecommendations | undefined;
  #meter: WorkMeter = NO_METER;

  constructor(
    private readonly service: LiveRoomService,
    private readonly bus: Bus,
    private readonly options: GatewayOptions,
    private readonly metrics: GatewayMetrics,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Plugs in the energy meter: fan-out and socket writes count as serving work. */
  useMeter(meter: WorkMeter): void {
    this.#meter = meter;
  }

  /** Plugs in the recommender (it is built after the gateway). */
  useRecommendations(recommendations: RoomRecommendations): void {
    this.#recommendations = recommendations;
  }

  /** A viewer acted: recompute the lists of their sockets in that room. */
  refreshViewer(sessionId: string, key: string): void {
    const room = this.#rooms.get(sessionId);
    if (!room) return;
    for (const v of room.viewers) if (v.recs && v.recs.key === key) void this.#pushRecommendations(sessionId, v).catch(this.onError);
  }

  viewerCount(sessionId: string): number {
    return this.#rooms.get(sessionId)?.counted ?? 0;
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
      counted: options.countAsViewer,
      device: options.device,
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
      state = await this.service.roomState(sessionId, room.counted);
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
    // Asked for recommendations before the snapshot went out: answer now.
    if (viewer.recs) await this.#pushRecommendations(sessionId, viewer);
  }

  /** Tells every viewer to reconnect (to another node) and closes the sockets. */
  async close(): Promise<void> {
    this.#closing = true;
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
    };
    created.unsubscribe = this.bus.subscribe(roomTopic(sessionId), (m) => this.#onBus(sessionId, created, m as RoomBusMessage));
    this.#rooms.set(sessionId, created);
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
    room.unsubscribe();
    if (room.countersTimer) clearTimeout(room.countersTimer);
    if (room.refreshTimer) clearTimeout(room.refreshTimer);
    if (this.#rooms.get(sessionId) === room) this.#rooms.delete(sessionId);
  }

  #onBus(sessionId: string, room: Room, message: RoomBusMessage): void {
    if (message.type === 'stored_counters') {
      room.lastCounters = message.counters;
      this.service.noteStoredCounters(sessionId, message.counters);
      this.#markCountersDirty(sessionId, room);
      return;
    }
    this.#broadcast(room, message, sessionId);
    if (REFRESHING.has(message.type) || (message.type === 'stock' && message.soldOut)) this.#scheduleRefresh(sessionId, room);
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
    const data = JSON.stringify(message);
    let sent = 0;
    for (const v of room.viewers) {
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
      v.socket.send(data);
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
    }, this.options.countersIntervalMs ?? 250);
    room.countersTimer.unref();
  }

  async #pushCounters(sessionId: string, room: Room): Promise<void> {
    const stored = room.lastCounters ?? (await this.service.storedCounters(sessionId));
    if (!stored) return;
    const counters: Counters = { viewers: room.counted, ...stored };
    this.#broadcast(room, { type: 'counters', counters }, sessionId);
  }

  async #onMessage(sessionId: string, viewer: Viewer, data: unknown, isBinary: boolean): Promise<void> {
    if (!this.#takeToken(viewer)) {
      viewer.strikes++;
      if (viewer.strikes > this.options.messagesPerSecond * 4) {
        viewer.socket.close(CLOSE.rateLimited, 'too many messages');
        return;
      }
      this.#sendDirect(viewer.socket, { type: 'error', code: 'RATE_LIMITED', detail: 'Too many messages; slow down' });
      return;
    }
    let parsed: unknown;
    try {
      if (isBinary) throw new Error('binary');
      parsed = JSON.parse(String(data));
    } catch {
      this.#sendDirect(viewer.socket, { type: 'error', code: 'MALFORMED_JSON', detail: 'Messages are JSON text' });
      return;
    }
    if (!checkClientMessage.Check(parsed)) {
      const first = checkClientMessage.Errors(parsed).First();
      this.#sendDirect(viewer.socket, {
        type: 'error',
        code: 'VALIDATION_FAILED',
        detail: first ? `${first.path || '(message)'}: ${first.message}` : 'invalid message',
      });
      return;
    }
    const message = parsed;
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
