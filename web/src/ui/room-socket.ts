/**
 * The live-room WebSocket: connects, pings every 25 s, and reconnects with exponential backoff and
 * jitter (0.5 s doubling to a 10 s cap) after any drop, a server `reconnect`, or a resync request.
 * Every new connection starts with a snapshot, so reconnecting is also how the page catches up.
 */
import type { ClientMessage, ServerMessage } from './contract.ts';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting';

const SOCKET_OPEN = 1; // WebSocket.OPEN, spelled out so tests need no WebSocket global

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 10_000;
export const PING_INTERVAL_MS = 25_000;
/** A connection that stays up this long proves the server is back; the backoff starts over. */
export const STABLE_AFTER_MS = 10_000;

/** Delay before reconnect attempt `attempt` (0-based): half fixed, half random, so clients spread out. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function roomSocketUrl(sessionId: string, loc: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/api/v1/sessions/${encodeURIComponent(sessionId)}/live`;
}

/** Parses a frame; anything that is not an object with a string `type` is dropped. */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') {
      // The boundary: the server builds these from its TypeBox schemas.
      return value as ServerMessage;
    }
  } catch {
    // not JSON: ignore
  }
  return null;
}

export interface RoomSocketOptions {
  url: string;
  onMessage: (message: ServerMessage) => void;
  onStatus: (status: ConnectionStatus) => void;
  /** Server clock minus local clock, measured from each ping's round trip (half the trip added). */
  onClockOffset?: (offsetMs: number) => void;
  /** Injected for tests. */
  createSocket?: (url: string) => WebSocket;
  random?: () => number;
}

export class RoomSocket {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private stopped = true;
  private everOpened = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private pingSentAt: number | undefined;
  private readonly options: RoomSocketOptions;
  private readonly onOnline = (): void => {
    if (this.reconnectTimer !== undefined) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.open();
    }
  };

  constructor(options: RoomSocketOptions) {
    this.options = options;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    globalThis.addEventListener?.('online', this.onOnline);
    this.open();
  }

  stop(): void {
    this.stopped = true;
    globalThis.removeEventListener?.('online', this.onOnline);
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'page closed');
  }

  /** Sends when connected; returns false otherwise so the caller can fall back to HTTP. */
  send(message: ClientMessage): boolean {
    if (this.socket?.readyState !== SOCKET_OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  private ping(): void {
    if (this.send({ type: 'ping' })) this.pingSentAt = Date.now();
  }

  /** Drops the connection and reconnects to get a fresh snapshot (after a seq gap). */
  resync(): void {
    this.dropAndReconnect();
  }

  private open(): void {
    if (this.stopped) return;
    this.options.onStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    let socket: WebSocket;
    try {
      socket = create(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.everOpened = true;
      this.options.onStatus('open');
      this.ping(); // measures the clock offset right away
      this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
      this.stableTimer = setTimeout(() => {
        this.attempt = 0;
      }, STABLE_AFTER_MS);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      const message = parseServerMessage(event.data);
      if (!message) return;
      if (message.type === 'reconnect') {
        this.dropAndReconnect();
        return;
      }
      if (message.type === 'pong' && this.pingSentAt !== undefined) {
        const receivedAt = Date.now();
        this.options.onClockOffset?.(message.serverTime + (receivedAt - this.pingSentAt) / 2 - receivedAt);
        this.pingSentAt = undefined;
      }
      this.options.onMessage(message);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleReconnect();
    };
    // An error is always followed by close, which does the work.
    socket.onerror = () => undefined;
  }

  private dropAndReconnect(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.close(4000, 'resync');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    if (this.stopped) return;
    this.options.onStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const delay = backoffDelay(this.attempt, this.options.random);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, delay);
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.stableTimer);
    this.reconnectTimer = undefined;
    this.pingTimer = undefined;
    this.stableTimer = undefined;
  }
}
