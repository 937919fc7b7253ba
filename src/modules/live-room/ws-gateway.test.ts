/** The gateway with sockets whose buffers we control: a slow socket is dropped, the others keep receiving. */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../../bus/index.js';
import { countersIntervalFor, LiveRoomGateway } from './ws-gateway.js';
import { roomTopic } from './service.js';
import type { WebSocket } from 'ws';
import { testApp, signIn, demoProductIds, type TestApp } from '../../../test/support/app.js';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: { type: string; [k: string]: unknown }[] = [];
  terminated = false;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close');
  }
  close() {
    this.readyState = 3;
    this.emit('close');
  }
}

describe('the counters frame in a big room', () => {
  it('goes out at the configured pace in an ordinary room and more slowly as the room grows, at most every 5 s', () => {
    expect(countersIntervalFor(1, 250)).toBe(250);
    expect(countersIntervalFor(1_000, 250)).toBe(250);
    expect(countersIntervalFor(5_000, 250)).toBe(1_000);
    expect(countersIntervalFor(10_000, 250)).toBe(2_000);
    expect(countersIntervalFor(100_000, 250)).toBe(5_000);
    // A slower configured pace is kept.
    expect(countersIntervalFor(5_000, 3_000)).toBe(3_000);
    expect(countersIntervalFor(100_000, 8_000)).toBe(8_000);
  });
});

describe('LiveRoomGateway', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await testApp('sqlite', { env: { QINGLIU_WS_SLOW_CONSUMER_BYTES: String(64 * 1024) } });
  });
  afterEach(async () => t.close());

  it('drops a socket that cannot keep up and keeps serving the others', async () => {
    const { gateway } = t.app.services;
    const fast = new FakeSocket();
    const slow = new FakeSocket();
    await gateway.join('demo', fast as unknown as WebSocket);
    await gateway.join('demo', slow as unknown as WebSocket);
    expect(fast.sent[0]?.type).toBe('snapshot');
    expect(gateway.viewerCount('demo')).toBe(2);

    slow.bufferedAmount = 10 * 1024 * 1024;
    const admin = await signIn(t.app, 'admin');
    const [p1] = await demoProductIds(t.app);
    const res = await t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${p1}`, headers: { cookie: admin.cookie } });
    expect(res.statusCode).toBe(200);

    expect(slow.terminated).toBe(true);
    expect(fast.sent.some((m) => m.type === 'pinned' && m.productId === p1)).toBe(true);
    expect(gateway.viewerCount('demo')).toBe(1);
  });

  it('sends changes that race the snapshot after it, and only when newer', async () => {
    const { gateway } = t.app.services;
    const admin = await signIn(t.app, 'admin');
    const [p1] = await demoProductIds(t.app);
    const socket = new FakeSocket();
    // Pin while the viewer is joining: the change must reach it exactly once, after the snapshot.
    const [, res] = await Promise.all([
      gateway.join('demo', socket as unknown as WebSocket),
      t.app.inject({ method: 'PUT', url: `/api/v1/sessions/demo/pins/${p1}`, headers: { cookie: admin.cookie } }),
    ]);
    expect(res.statusCode).toBe(200);
    expect(socket.sent[0]?.type).toBe('snapshot');
    const snapshot = socket.sent[0] as unknown as { state: { seq: number; pins: string[] } };
    const pinned = socket.sent.filter((m) => m.type === 'pinned');
    if (snapshot.state.pins.includes(p1!)) expect(pinned).toHaveLength(0);
    else expect(pinned).toHaveLength(1);
  });

  it('does not count staff consoles as viewers', async () => {
    const { gateway } = t.app.services;
    const host = new FakeSocket();
    const viewer = new FakeSocket();
    await gateway.join('demo', host as unknown as WebSocket, { countAsViewer: false });
    expect(gateway.viewerCount('demo')).toBe(0);
    expect((host.sent[0] as unknown as { state: { counters: { viewers: number } } }).state.counters.viewers).toBe(0);
    await gateway.join('demo', viewer as unknown as WebSocket);
    expect(gateway.viewerCount('demo')).toBe(1);
    viewer.close();
    host.close();
    expect(gateway.viewerCount('demo')).toBe(0);
  });

  it('tells viewers to reconnect when it closes', async () => {
    const { gateway } = t.app.services;
    const socket = new FakeSocket();
    await gateway.join('demo', socket as unknown as WebSocket);
    await gateway.close();
    expect(socket.sent.at(-1)).toEqual({ type: 'reconnect', reason: 'server shutting down' });
    expect(socket.readyState).toBe(3);
  });

  it('adds the other nodes’ viewers to the room’s count, asks for them on a room’s first viewer, and forgets a node that fell silent', async () => {
    const bus = new MemoryBus();
    const heard: unknown[] = [];
    bus.subscribe(roomTopic('demo'), (m) => heard.push(m));
    const metrics = { connectionOpened: () => undefined, connectionClosed: () => undefined, messagesSent: () => undefined, slowConsumerDropped: () => undefined };
    const gateway = new LiveRoomGateway(t.app.services.liveRoom, bus, { messagesPerSecond: 10, slowConsumerBytes: 1 << 20, viewersHeartbeatMs: 40, countersIntervalMs: 10 }, metrics, (err) => {
      throw err;
    });
    try {
      const socket = new FakeSocket();
      await gateway.join('demo', socket as unknown as WebSocket);
      expect(heard[0]).toMatchObject({ type: 'node_viewers', count: 0, ask: true });
      await bus.publish(roomTopic('demo'), { type: 'node_viewers', node: 'another-node', count: 5 });
      expect(gateway.viewerCount('demo')).toBe(6);
      await vi.waitFor(() => expect(socket.sent.findLast((m) => m.type === 'counters')).toMatchObject({ counters: { viewers: 6 } }));
      // This node told the others its own viewer, on the counters' pace.
      expect(heard.some((m) => (m as { type: string; count?: number }).type === 'node_viewers' && (m as { count: number }).count === 1)).toBe(true);
      // The other node stops beating (it died): after three missed beats its viewers are no longer counted.
      await vi.waitFor(() => expect(gateway.viewerCount('demo')).toBe(1), { timeout: 2000 });
      await vi.waitFor(() => expect(socket.sent.findLast((m) => m.type === 'counters')).toMatchObject({ counters: { viewers: 1 } }));
      // A node whose last viewer leaves says so at once.
      await bus.publish(roomTopic('demo'), { type: 'node_viewers', node: 'third-node', count: 2 });
      expect(gateway.viewerCount('demo')).toBe(3);
      await bus.publish(roomTopic('demo'), { type: 'node_viewers', node: 'third-node', count: 0 });
      expect(gateway.viewerCount('demo')).toBe(1);
    } finally {
      await gateway.close();
    }
  });
});
