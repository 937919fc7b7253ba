/**
 * Many nodes: three apps on one PostgreSQL database, each listening on loopback, sharing rooms over
 * the bus — one in-process bus shared by both (the cluster in one process), and NATS with a
 * connection per node (required in CI). A host's change on one node reaches viewers on the other
 * in seq order, and so does chat; /readyz reports the bus and follows its connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { MemoryBus, NatsBus, type Bus } from '../../src/bus/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { ChatMessage } from '../../src/modules/chat/index.js';
import type { RoomState } from '../../src/modules/live-room/index.js';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { signIn, testApp } from '../support/app.js';
import { DIALECTS, freshStorage } from '../support/databases.js';
import { BUSES, NATS_AVAILABLE, NATS_URL, natsProxy, testSubjectPrefix, type BusName } from '../support/nats.js';
import { chatMessagesIn, closeAllViewers, connectViewer, waitFor } from '../support/ws.js';

const POSTGRES = DIALECTS.includes('postgres');

interface Cluster {
  a: FastifyInstance;
  b: FastifyInstance;
  c: FastifyInstance;
  close(): Promise<void>;
}

/** Three nodes on one database (seeded once, by A) and the named bus, all listening on loopback. */
async function cluster(busName: BusName): Promise<Cluster> {
  const { storage, dispose } = await freshStorage('postgres');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-cluster-'));
  const env = { LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir, QINGLIU_CHAT_BURST: '20', QINGLIU_WS_MESSAGES_PER_SECOND: '100' };
  let buses: [Bus, Bus, Bus];
  if (busName === 'memory') {
    const shared = new MemoryBus();
    buses = [shared, shared, shared];
  } else {
    const subjectPrefix = testSubjectPrefix();
    const connect = (name: string) => NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name });
    buses = [await connect('node a'), await connect('node b'), await connect('node c')];
  }
  // Both nodes share the data directory, so they hold the same keys (as nodes of one deployment must).
  const a = await buildApp(loadConfig(env, { seedDemo: true }), { logger: false, storage, bus: buses[0] });
  const b = await buildApp(loadConfig(env, { seedDemo: false }), { logger: false, storage, bus: buses[1] });
  const c = await buildApp(loadConfig(env, { seedDemo: false }), { logger: false, storage, bus: buses[2] });
  for (const node of [a, b, c]) await node.listen({ port: 0, host: '127.0.0.1' });
  return {
    a,
    b,
    c,
    async close() {
      await closeAllViewers();
      for (const node of [a, b, c]) await node.close();
      await Promise.all([...new Set(buses)].map((bus) => bus.close()));
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const messagesIn = chatMessagesIn;


for (const busName of BUSES) {
  describe.skipIf(!POSTGRES)(`three nodes on one PostgreSQL database and a ${busName} bus`, () => {
    let cl: Cluster | undefined;
    afterEach(async () => {
      await cl?.close();
      cl = undefined;
    });

    async function liveSession(node: FastifyInstance, cookie: string, id: string): Promise<string[]> {
      const send = async (method: NonNullable<InjectOptions['method']>, url: string, payload?: object) => {
        const res = await node.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      };
      const products = (await node.inject('/api/v1/sessions/demo')).json<RoomState>().products.slice(0, 4).map((p) => p.id);
      await send('POST', '/api/v1/sessions', { id, brandId: 'demo-brand', title: { zh: '双节点', en: 'Two nodes' }, productIds: products });
      await send('POST', `/api/v1/sessions/${id}/start`, {});
      return products;
    }

    it('a host’s pins on either node reach viewers on both, in one seq order', async () => {
      cl = await cluster(busName);
      const { a, b } = cl;
      const admin = await signIn(a, 'admin');
      const sessionId = `cluster-${busName}-pins`;
      const [first, second] = await liveSession(a, admin.cookie, sessionId);

      const onB = await connectViewer(b, sessionId);
      const { seq } = (await onB.next('snapshot')).state;
      const onA = await connectViewer(a, sessionId);
      expect((await onA.next('snapshot')).state.seq).toBe(seq);

      // Pinned on A: the viewer on B hears it.
      expect((await a.inject({ method: 'PUT', url: `/api/v1/sessions/${sessionId}/pins/${first}`, headers: { cookie: admin.cookie } })).statusCode).toBe(200);
      expect(await onB.next('pinned')).toMatchObject({ productId: first, seq: seq + 1, pins: [first] });
      expect(await onA.next('pinned')).toMatchObject({ productId: first, seq: seq + 1 });

      // Pinned on B (the sign-in is in the shared database): the database orders it after A's.
      expect((await b.inject({ method: 'PUT', url: `/api/v1/sessions/${sessionId}/pins/${second}`, headers: { cookie: admin.cookie } })).statusCode).toBe(200);
      for (const viewer of [onA, onB]) expect(await viewer.next('pinned', { where: (m) => m.productId === second })).toMatchObject({ seq: seq + 2, pins: [first, second] });
    });

    it('counts the room’s viewers over every node, and stops counting a node’s viewers when they leave', async () => {
      cl = await cluster(busName);
      const { a, b, c } = cl;
      const admin = await signIn(a, 'admin');
      const sessionId = `cluster-${busName}-count`;
      await liveSession(a, admin.cookie, sessionId);
      const viewers = (node: FastifyInstance) => node.services.gateway.viewerCount(sessionId);

      const onA = await connectViewer(a, sessionId);
      await onA.next('snapshot');
      const onB = [await connectViewer(b, sessionId), await connectViewer(b, sessionId)];
      for (const v of onB) await v.next('snapshot');
      const onC = await connectViewer(c, sessionId);
      await onC.next('snapshot');
      await waitFor(() => (viewers(a) === 4 && viewers(b) === 4 && viewers(c) === 4 ? true : undefined), 'every node to count 4 viewers');
      // What the pages see: the counters frame, and the REST state.
      await waitFor(() => onA.received.find((m) => m.type === 'counters' && m.counters.viewers === 4), 'the viewer on A to see 4');
      expect((await a.inject(`/api/v1/sessions/${sessionId}`)).json<RoomState>().counters.viewers).toBe(4);

      for (const v of onB) await v.close();
      await waitFor(() => (viewers(a) === 2 && viewers(c) === 2 ? true : undefined), 'nodes A and C to count 2 viewers');
      await waitFor(() => onA.received.findLast((m) => m.type === 'counters')?.counters.viewers === 2 || undefined, 'the viewer on A to see 2');
    });

    it('a viewer’s chat message sent on one node reaches viewers on the other, and the other node’s history', async () => {
      cl = await cluster(busName);
      const { a, b } = cl;
      const admin = await signIn(a, 'admin');
      const sessionId = `cluster-${busName}-chat`;
      await liveSession(a, admin.cookie, sessionId);

      // Each waits for its chat history: a message published while a node still reads the history
      // arrives inside it, not as a chat frame of its own.
      const listener = await connectViewer(b, sessionId);
      await listener.next('snapshot');
      await listener.next('chat_history' as never);
      const speaker = await connectViewer(a, sessionId);
      await speaker.next('snapshot');
      await speaker.next('chat_history' as never);
      const clientEventId = `cluster-chat-${busName}-1`;
      const text = `你好，另一个节点 (${busName})`;
      speaker.send({ type: 'chat_send', clientEventId, deviceId: 'cluster-device-000001-abcdefgh', text });

      const heard = await waitFor(() => messagesIn(listener).find((m) => m.text === text), 'the viewer on node B to see the message');
      expect(heard).toMatchObject({ author: { kind: 'viewer' }, aiGenerated: false });
      await waitFor(() => messagesIn(speaker).find((m) => m.text === text), 'the speaker on node A to see it too');
      // Node B's chat kept it from the bus: a viewer joining there gets it in the history.
      const late = await connectViewer(b, sessionId);
      await late.next('snapshot');
      const history = (await late.next('chat_history' as never)) as unknown as { messages: ChatMessage[] };
      expect(history.messages.map((m) => m.text)).toContain(text);

      // Node B keeps the session its viewers' messages need; the show ending on node A closes B's chat at once.
      const replyId = `cluster-chat-${busName}-2`;
      listener.send({ type: 'chat_send', clientEventId: replyId, deviceId: 'cluster-device-000002-abcdefgh', text: '收到' });
      await waitFor(() => listener.received.find((m) => (m.type as string) === 'chat_ack' && (m as { clientEventId?: string }).clientEventId === replyId), 'node B to take a message');
      const ended = await a.inject({ method: 'POST', url: `/api/v1/sessions/${sessionId}/end`, headers: { cookie: admin.cookie }, payload: {} });
      expect(ended.statusCode, ended.body).toBe(200);
      await waitFor(() => listener.received.find((m) => m.type === 'session_status' && (m as { status?: string }).status === 'ended'), 'node B to hear that the show ended');
      const lateId = `cluster-chat-${busName}-3`;
      listener.send({ type: 'chat_send', clientEventId: lateId, deviceId: 'cluster-device-000002-abcdefgh', text: '还在吗' });
      const refused = await waitFor(() => listener.received.find((m) => (m.type === 'error' || (m.type as string) === 'chat_ack') && (m as { clientEventId?: string }).clientEventId === lateId), 'node B to answer');
      expect(refused).toMatchObject({ type: 'error', code: 'SESSION_ENDED' });
    });
  });
}

describe.skipIf(!NATS_AVAILABLE)('a node on NATS', () => {
  it('opens the bus QINGLIU_BUS_URL names, reports it in /readyz, is not ready while NATS is unreachable, and closes it', async () => {
    const proxy = await natsProxy();
    const t = await testApp('sqlite', { env: { QINGLIU_BUS_URL: proxy.url } });
    try {
      expect((await t.app.inject('/readyz')).json()).toEqual({ status: 'ready', storage: 'sqlite', bus: 'nats' });

      await proxy.cut();
      await waitFor(() => (t.app.services.bus.ready() ? undefined : true), 'the bus to notice the outage');
      const down = await t.app.inject('/readyz');
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ code: 'NOT_READY', detail: 'the message bus is not connected' });
      expect((await t.app.inject('/healthz')).statusCode).toBe(200); // alive, just not ready

      await proxy.restore();
      await waitFor(() => (t.app.services.bus.ready() ? true : undefined), 'the bus to reconnect');
      expect((await t.app.inject('/readyz')).statusCode).toBe(200);
    } finally {
      await t.close();
      await proxy.close();
    }
    // The app opened the bus, so the app closed it.
    expect(t.app.services.bus.ready()).toBe(false);
  });
});

describe.skipIf(!POSTGRES || !NATS_AVAILABLE)('a node that lost NATS for a while', () => {
  it('drops what the others announced meanwhile once it is back: its viewers get a fresh snapshot, its consent cache reads again', async () => {
    const { storage, dispose } = await freshStorage('postgres');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-cluster-'));
    const env = { LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir };
    const proxy = await natsProxy();
    const subjectPrefix = testSubjectPrefix();
    const busA = await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name: 'node a' });
    const busB = await NatsBus.connect({ servers: [proxy.url], subjectPrefix, name: 'node b', reconnectWaitMs: 50 });
    const a = await buildApp(loadConfig(env, { seedDemo: true }), { logger: false, storage, bus: busA });
    const b = await buildApp(loadConfig(env, { seedDemo: false }), { logger: false, storage, bus: busB });
    try {
      await b.listen({ port: 0, host: '127.0.0.1' });
      const admin = await signIn(a, 'admin');
      const sessionId = 'cluster-outage';
      const products = (await a.inject('/api/v1/sessions/demo')).json<RoomState>().products.slice(0, 4).map((p) => p.id);
      expect((await a.inject({ method: 'POST', url: '/api/v1/sessions', headers: { cookie: admin.cookie }, payload: { id: sessionId, brandId: 'demo-brand', title: { zh: '断线', en: 'Outage' }, productIds: products } })).statusCode).toBe(201);
      const onB = await connectViewer(b, sessionId);
      const before = (await onB.next('snapshot')).state;
      expect(before.pins).toEqual([]);

      const device = 'outage-device-0000000000001';
      const notice = (await a.inject('/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN')).json();
      const decide = (method: string, granted: string[]) =>
        a.inject({ method: 'POST', url: '/api/v1/consent', payload: { deviceId: device, brandId: 'demo-brand', noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method, granted } });
      expect((await decide('accept_all', [...PURPOSES])).statusCode).toBe(201);
      const allowsOnB = () => b.services.consent.allows(device, 'demo-brand', 'personalised_recommendations');
      expect(await allowsOnB()).toBe(true); // now cached on B

      await proxy.cut();
      await waitFor(() => (b.services.bus.ready() ? undefined : true), 'node B to notice the outage');
      // Meanwhile, on A: a pin, and the viewer withdraws. B hears neither.
      expect((await a.inject({ method: 'PUT', url: `/api/v1/sessions/${sessionId}/pins/${products[0]}`, headers: { cookie: admin.cookie } })).statusCode).toBe(200);
      expect((await decide('withdraw', [])).statusCode).toBe(201);
      // (B's cache may still say "allowed" now; B is not ready, so the load balancer sends it nobody.)
      // B refuses writes before committing anything: over HTTP and over its sockets.
      const refused = await b.inject({ method: 'PUT', url: `/api/v1/sessions/${sessionId}/pins/${products[1]}`, headers: { cookie: admin.cookie } });
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('2');
      expect(refused.json()).toMatchObject({ code: 'NOT_READY' });
      onB.send({ type: 'add_to_cart', clientEventId: 'outage-cart-0001', productId: products[0]! });
      expect(await onB.next('error')).toMatchObject({ code: 'NOT_READY', clientEventId: 'outage-cart-0001' });
      const stored = await storage.db.selectFrom('room_events').select('client_event_id').where('session_id', '=', sessionId).execute();
      expect(stored).toEqual([]);

      await proxy.restore();
      await waitFor(() => (b.services.bus.ready() ? true : undefined), 'node B to reconnect');
      const fresh = (await onB.next('snapshot')).state;
      expect(fresh.pins).toEqual([products[0]]);
      expect(fresh.seq).toBeGreaterThan(before.seq);
      expect(await allowsOnB()).toBe(false);
    } finally {
      await closeAllViewers();
      await a.close();
      await b.close();
      await busA.close();
      await busB.close();
      await proxy.close();
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
