import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from './contract.ts';
import { BACKOFF_CAP_MS, PING_INTERVAL_MS, RoomSocket, backoffDelay, parseServerMessage, roomSocketUrl, type ConnectionStatus } from './room-socket.ts';

/** Just enough of a WebSocket for the client: the test opens, sends and closes it by hand. */
class FakeSocket {
  readyState = 0;
  sent: string[] = [];
  closedWith: number | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.();
  }
}

describe('backoffDelay', () => {
  it('doubles from 0.5 s up to the 10 s cap, with jitter in the upper half', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(1, () => 1)).toBe(1000);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(10, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(50, () => 0)).toBe(BACKOFF_CAP_MS / 2);
  });
});

describe('parseServerMessage and roomSocketUrl', () => {
  it('keeps objects with a type and drops the rest', () => {
    expect(parseServerMessage('{"type":"pong","serverTime":1}')).toEqual({ type: 'pong', serverTime: 1 });
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage('[1]')).toBeNull();
    expect(parseServerMessage('{"kind":"x"}')).toBeNull();
    expect(parseServerMessage(new ArrayBuffer(2))).toBeNull();
  });

  it('uses wss behind https', () => {
    expect(roomSocketUrl('demo', { protocol: 'https:', host: 'shop.example' })).toBe('wss://shop.example/api/v1/sessions/demo/live');
    expect(roomSocketUrl('a b', { protocol: 'http:', host: 'localhost:3000' })).toBe('ws://localhost:3000/api/v1/sessions/a%20b/live');
  });
});

describe('RoomSocket', () => {
  let sockets: FakeSocket[];
  let statuses: ConnectionStatus[];
  let messages: ServerMessage[];
  let client: RoomSocket;

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    statuses = [];
    messages = [];
    client = new RoomSocket({
      url: 'ws://test/api/v1/sessions/demo/live',
      onMessage: (m) => messages.push(m),
      onStatus: (s) => statuses.push(s),
      createSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
      random: () => 1,
    });
  });

  afterEach(() => {
    client.stop();
    vi.useRealTimers();
  });

  it('connects, passes messages on, and pings every 25 s', () => {
    client.start();
    expect(statuses).toEqual(['connecting']);
    sockets[0]!.open();
    expect(statuses.at(-1)).toBe('open');
    expect(sockets[0]!.sent).toEqual(['{"type":"ping"}']); // the first ping measures the clock
    sockets[0]!.receive({ type: 'counters', counters: { viewers: 1, likes: 2, addToCart: 0, orders: 0, unitsSold: 0 } });
    expect(messages.map((m) => m.type)).toEqual(['counters']);
    vi.advanceTimersByTime(PING_INTERVAL_MS);
    expect(sockets[0]!.sent).toHaveLength(2);
  });

  it('reconnects after a drop with growing delays, and says it is reconnecting', () => {
    client.start();
    sockets[0]!.open();
    sockets[0]!.drop();
    expect(statuses.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop(); // failed again before opening: the next wait doubles
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
  });

  it('starts the backoff over once a connection has stayed up', () => {
    client.start();
    sockets[0]!.drop();
    vi.advanceTimersByTime(500);
    sockets[1]!.drop();
    vi.advanceTimersByTime(1000);
    sockets[2]!.open();
    vi.advanceTimersByTime(10_000);
    sockets[2]!.drop();
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(4);
  });

  it('reconnects when the server says so, and on resync', () => {
    client.start();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'reconnect', reason: 'shutdown' });
    expect(sockets[0]!.closedWith).toBe(4000);
    expect(messages).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    client.resync();
    expect(sockets[1]!.closedWith).toBe(4000);
    vi.advanceTimersByTime(BACKOFF_CAP_MS);
    expect(sockets).toHaveLength(3);
  });

  it('measures the clock offset from the ping round trip', () => {
    const offsets: number[] = [];
    const timed = new RoomSocket({
      url: 'ws://test/x',
      onMessage: () => undefined,
      onStatus: () => undefined,
      onClockOffset: (o) => offsets.push(o),
      createSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
    });
    vi.setSystemTime(100_000);
    timed.start();
    sockets[0]!.open(); // ping sent at local 100_000
    vi.setSystemTime(100_200); // 200 ms round trip
    sockets[0]!.receive({ type: 'pong', serverTime: 50_100 }); // server read 50_100 halfway through
    expect(offsets).toEqual([50_100 + 100 - 100_200]);
    timed.stop();
  });

  it('sends only while open and stays down after stop', () => {
    client.start();
    expect(client.send({ type: 'like', clientEventId: 'abcdefgh' })).toBe(false);
    sockets[0]!.open();
    expect(client.send({ type: 'like', clientEventId: 'abcdefgh' })).toBe(true);
    client.stop();
    expect(sockets[0]!.closedWith).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });
});
