/**
 * Many nodes: two apps on one PostgreSQL database, each listening on loopback, sharing rooms over
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
import { signIn, testApp } from '../support/app.js';
import { DIALECTS, freshStorage } from '../support/databases.js';
import { BUSES, NATS_AVAILABLE, NATS_URL, natsProxy, testSubjectPrefix, type BusName } from '../support/nats.js';
import { chatMessagesIn, closeAllViewers, connectViewer, waitFor } from '../support/ws.js';

const POSTGRES = DIALECTS.includes('postgres');

interface Cluster {
  a: FastifyInstance;
  b: FastifyInstance;
  close(): Promise<void>;
}

/** Two nodes on one database (seeded once, by A) and the named bus, both listening on loopback. */
async function cluster(busName: BusName): Promise<Cluster> {
  const { storage, dispose } = await freshStorage('postgres');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-cluster-'));
  const env = { LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dataDir, QINGLIU_CHAT_BURST: '20', QINGLIU_WS_MESSAGES_PER_SECOND: '100' };
  let buses: [Bus, Bus];
  if (busName === 'memory') {
    const shared = new MemoryBus();
    buses = [shared, shared];
  } else {
    const subjectPrefix = testSubjectPrefix();
    buses = [await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name: 'node a' }), await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, name: 'node b' })];
  }
  // Both nodes share the data directory, so they hold the same keys (as nodes of one deployment must).
  const a = await buildApp(loadConfig(env, { seedDemo: true }), { logger: false, storage, bus: buses[0] });
  const b = await buildApp(loadConfig(env, { seedDemo: false }), { logger: false, storage, bus: buses[1] });
  await a.listen({ port: 0, host: '127.0.0.1' });
  await b.listen({ port: 0, host: '127.0.0.1' });
  return {
    a,
    b,
    async close() {
      await closeAllViewers();
      await a.close();
      await b.close();
      await Promise.all([...new Set(buses)].map((bus) => bus.close()));
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const messagesIn = chatMessagesIn;


for (const busName of BUSES) {
  describe.skipIf(!POSTGRES)(`two nodes on one PostgreSQL database and a ${busName} bus`, () => {
    let c: Cluster | undefined;
    afterEach(async () => {
      await c?.close();
      c = undefined;
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
      c = await cluster(busName);
      const { a, b } = c;
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

    it('a viewer’s chat message sent on one node reaches viewers on the other, and the other node’s history', async () => {
      c = await cluster(busName);
      const { a, b } = c;
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
