/**
 * The driver's port, one suite for both adapters: the in-process target (app.inject on a simulated
 * clock) and the HTTP target against the real app listening on a loopback port. Whatever the
 * adapter, a request is marked simulated and labels the room, errors come back as status and
 * problem code (never thrown), staff sign in, viewers send from their own addresses (so per-address
 * limits hold as for real devices), viewers chat as the viewer page does (over their room socket;
 * in process through the chat service it hands messages to) and ask the assistant in the chat and on
 * its route, and a production server's refusal is visible as SIMULATION_REFUSED.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { systemContext } from '../../../context/index.js';
import { SIMULATED_HEADER } from '../../../http/simulated.js';
import { AI_LABEL } from '../../chat/index.js';
import { testApp, type TestApp } from '../../../../test/support/app.js';
import { createHttpTarget } from './http-target.js';
import { createInjectTarget, InjectTarget } from './inject-target.js';
import { SimulationRefusedError, type SimChatSend, type SimSocket, type SimTarget } from './target.js';

interface Fixture {
  target: SimTarget;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** An admin account on the app, for the HTTP target (the inject target makes its own). */
async function staffOn(app: FastifyInstance): Promise<{ name: string; password: string }> {
  const name = `contract-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const created = await app.services.staff.addUser(systemContext('contract test'), { name, role: 'admin', password });
  if (!created.ok) throw new Error(created.code);
  return { name, password };
}

async function listening(t: TestApp): Promise<string> {
  return t.app.listen({ host: '127.0.0.1', port: 0 });
}

/** Called with the app before it serves anything (hooks can be added only then). */
type Prepare = (app: FastifyInstance) => void;

const adapters: Record<'inject' | 'http', { demo(prepare?: Prepare): Promise<Fixture>; production(): Promise<Fixture> }> = {
  inject: {
    async demo(prepare) {
      const target = await createInjectTarget();
      prepare?.(target.app);
      return { target, app: target.app, close: () => target.close() };
    },
    async production() {
      const t = await testApp('sqlite', { env: { QINGLIU_MODE: 'production' } });
      const target = new InjectTarget(t.app, undefined);
      return { target, app: t.app, close: () => t.close() };
    },
  },
  http: {
    async demo(prepare) {
      const t = await testApp('sqlite');
      prepare?.(t.app);
      const staff = await staffOn(t.app);
      const target = createHttpTarget({ url: await listening(t), staff });
      return {
        target,
        app: t.app,
        close: async () => {
          await target.close();
          await t.close();
        },
      };
    },
    async production() {
      const t = await testApp('sqlite', { env: { QINGLIU_MODE: 'production' } });
      const target = createHttpTarget({ url: await listening(t) });
      return {
        target,
        app: t.app,
        close: async () => {
          await target.close();
          await t.close();
        },
      };
    },
  },
};

describe.each(['inject', 'http'] as const)('SimTarget contract: %s', (kind) => {
  let fixture: Fixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it('reads the room marked as simulated, and the room is labelled so', async () => {
    fixture = await adapters[kind].demo();
    const { target, app } = fixture;
    expect(target.mode).toBe(kind === 'inject' ? 'in-process' : 'http');
    const res = await target.request({ route: 'room', path: '/api/v1/sessions/demo' });
    expect(res.status).toBe(200);
    expect((res.body as { session: { id: string } }).session.id).toBe('demo');
    expect(res.ms).toBeGreaterThanOrEqual(0);
    const label = (await app.inject('/api/v1/sessions/demo/simulation')).json();
    expect(label).toMatchObject({ mode: 'demo', simulated: true });
  });

  it('answers errors with their status and problem code, never by throwing', async () => {
    fixture = await adapters[kind].demo();
    const res = await fixture.target.request({ route: 'room', path: '/api/v1/sessions/no-such-room' });
    expect(res.status).toBe(404);
    expect(res.code).toBe('SESSION_NOT_FOUND');
    const bad = await fixture.target.request({ route: 'consent', path: '/api/v1/consent', viewer: 0, body: { deviceId: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.code).toBe('VALIDATION_FAILED');
    expect(bad.detail).toMatch(/deviceId|brandId/);
  });

  it('signs a staff member in, whose requests act as staff', async () => {
    fixture = await adapters[kind].demo();
    const { target } = fixture;
    const anonymous = await target.request({ route: 'start', path: '/api/v1/sessions/demo/start' });
    expect(anonymous.code).toBe('UNAUTHENTICATED');
    expect(await target.signInStaff()).toBe(true);
    const started = await target.request({ route: 'start', path: '/api/v1/sessions/demo/start', staff: true });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect((started.body as { session: { status: string } }).session.status).toBe('live');
  });

  it('sends each viewer from its own address: 40 consent decisions pass a limit of 30 a minute per address', async () => {
    fixture = await adapters[kind].demo();
    const { target } = fixture;
    const notice = (await target.request({ route: 'notice', path: '/api/v1/consent/notice?brandId=demo-brand&locale=zh-CN' })).body as { version: string; hash: string };
    const statuses = [];
    for (let viewer = 0; viewer < 40; viewer++) {
      const deviceId = `sim-contract-${String(viewer).padStart(8, '0')}`;
      const res = await target.request({
        route: 'consent',
        path: '/api/v1/consent',
        viewer,
        body: { deviceId, brandId: 'demo-brand', noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'decline_all', granted: [] },
      });
      statuses.push(res.status);
    }
    expect(new Set(statuses)).toEqual(new Set([201]));
    expect(target.stats().clientAddresses).toBeGreaterThanOrEqual(40);
    expect(target.stats().pacedRequests).toBe(0);
  });

  it('sends a viewer’s User-Agent when one is given, on requests and the socket', async () => {
    const seen: { url: string; userAgent: string | undefined }[] = [];
    fixture = await adapters[kind].demo((app) =>
      app.addHook('onRequest', async (request) => {
        if (request.headers[SIMULATED_HEADER] === '1') seen.push({ url: request.url, userAgent: request.headers['user-agent'] });
      }),
    );
    const { target } = fixture;
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
    const res = await target.request({ route: 'room', path: '/api/v1/sessions/demo?ua=given', viewer: 2, userAgent: iphone });
    expect(res.status).toBe(200);
    expect(seen.find((s) => s.url.endsWith('?ua=given'))?.userAgent).toBe(iphone);
    await target.request({ route: 'room', path: '/api/v1/sessions/demo?ua=none', viewer: 2 });
    expect(seen.find((s) => s.url.endsWith('?ua=none'))?.userAgent).not.toBe(iphone);
    if (target.holdsSockets) {
      const socket = await target.openSocket('demo', 2, iphone);
      expect(seen.find((s) => s.url.startsWith('/api/v1/sessions/demo/live'))?.userAgent).toBe(iphone);
      await socket.close();
    }
  });

  it('opens and closes a viewer’s socket (counted by the room where sockets are held)', async () => {
    fixture = await adapters[kind].demo();
    const { target, app } = fixture;
    const socket = await target.openSocket('demo', 3);
    if (target.holdsSockets) {
      await expect.poll(() => app.services.gateway.viewerCount('demo')).toBe(1);
      expect(target.stats()).toMatchObject({ socketsOpened: 1, socketsPeak: 1, socketsFailed: 0 });
      await expect.poll(() => target.stats().roomViewersPeak).toBe(1);
    } else expect(app.services.gateway.viewerCount('demo')).toBe(0);
    await socket.close();
    await expect.poll(() => app.services.gateway.viewerCount('demo')).toBe(0);
  });

  /** A chat message of the viewer with the given index, nicknamed as the simulator nicknames them. */
  const chatOf = (socket: SimSocket, viewer: number) => {
    let n = 0;
    const deviceId = `sim-contract-chat-${String(viewer).padStart(6, '0')}`;
    return {
      deviceId,
      say: (text: string, extra: Partial<SimChatSend> = {}) =>
        socket.chat({ clientEventId: `contract-${viewer}-${++n}`, deviceId, text, nickname: `模拟观众 ${viewer + 1}`, locale: 'zh-CN', ...extra }),
    };
  };

  it('posts a viewer’s chat message as the viewer page does: accepted with its id, under its simulated nickname; refused with the chat’s code', async () => {
    fixture = await adapters[kind].demo();
    const { target, app } = fixture;
    const socket = await target.openSocket('demo', 5);
    const { say } = chatOf(socket, 5);
    const accepted = await say('好看');
    expect(accepted).toMatchObject({ outcome: 'accepted' });
    expect(accepted.messageId).toMatch(/^[a-z0-9]{9,40}$/);
    expect(accepted.ms).toBeGreaterThanOrEqual(0);
    const shown = (await app.services.chat.history('demo')).messages.find((m) => m.id === accepted.messageId);
    expect(shown).toMatchObject({ text: '好看', author: { kind: 'viewer', nickname: '模拟观众 6' }, aiGenerated: false });
    expect(await say('加微信私聊下单更便宜')).toMatchObject({ outcome: 'refused', code: 'CHAT_BLOCKED_WORDS' });
    expect(await say('便宜的在这 cheap-baby-deals.top')).toMatchObject({ outcome: 'refused', code: 'CHAT_LINK_NOT_ALLOWED' });
    const empty = await say('   ');
    expect(empty).toMatchObject({ outcome: 'refused', code: 'CHAT_EMPTY' });
    expect(empty.detail).toBeTruthy();
    await socket.close();
    // A closed socket (over HTTP) answers nothing more; in process the handle keeps posting.
    if (target.holdsSockets) expect(await say('还在吗')).toMatchObject({ outcome: 'failed', code: 'SOCKET_CLOSED' });
  });

  it('asks the assistant in the chat ("@助手 …") and gets its labelled public answer there; and on its route', async () => {
    fixture = await adapters[kind].demo();
    const { target, app } = fixture;
    const socket = await target.openSocket('demo', 7);
    const { say, deviceId } = chatOf(socket, 7);
    const answered = await say('@助手 一般几天能到货', { awaitAssistant: true });
    expect(answered.outcome).toBe('accepted');
    expect(answered.assistant).toMatchObject({ handoff: false, aiGenerated: true, label: AI_LABEL });
    expect(answered.assistant!.sources).toBeGreaterThan(0);
    expect(answered.assistant!.ms).toBeGreaterThanOrEqual(answered.ms);
    const inChat = (await app.services.chat.history('demo')).messages.find((m) => m.id === answered.assistant!.messageId);
    expect(inChat).toMatchObject({ author: { kind: 'assistant' }, replyTo: answered.messageId, aiGenerated: true, label: AI_LABEL });
    // Asking for a person goes to the host's queue.
    const person = await say('@assistant can I talk to a person', { awaitAssistant: true, locale: 'en', nickname: 'Simulated viewer 8' });
    expect(person.assistant).toMatchObject({ handoff: true, sources: 0, aiGenerated: true });
    // Not waiting for the answer: the ack is the outcome.
    const quick = await say('@助手 是正品吗');
    expect(quick.outcome).toBe('accepted');
    expect(quick.assistant).toBeUndefined();
    // On the assistant's own route, from the viewer's address, marked simulated.
    const route = await target.request({ route: 'assistant', path: '/api/v1/sessions/demo/assistant', viewer: 7, deviceId, body: { question: '可以开发票吗', locale: 'zh-CN', deviceId } });
    expect(route.status, JSON.stringify(route.body)).toBe(200);
    expect(route.body).toMatchObject({ outcome: 'answered', aiGenerated: true, label: AI_LABEL, handoff: false });
    const refused = await target.request({ route: 'assistant', path: '/api/v1/sessions/demo/assistant', viewer: 7, body: { question: '', locale: 'zh-CN' } });
    expect(refused).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    await socket.close();
  });

  it('moves the server’s clock where it follows simulated time, and never back', async () => {
    fixture = await adapters[kind].demo();
    const { target } = fixture;
    const before = target.now();
    await target.advanceTo(before + 3_600_000);
    if (target.clockFollowsSimulation) {
      expect(target.now()).toBe(before + 3_600_000);
      await target.advanceTo(before);
      expect(target.now()).toBe(before + 3_600_000);
      const room = await target.request({ route: 'room', path: '/api/v1/sessions/demo' });
      expect((room.body as { serverTime: number }).serverTime).toBe(before + 3_600_000);
    } else expect(Math.abs(target.now() - Date.now())).toBeLessThan(5_000);
  });

  it('shows a production server’s refusal as SIMULATION_REFUSED, and nothing is stored', async () => {
    fixture = await adapters[kind].production();
    const { target, app } = fixture;
    const res = await target.request({ route: 'room', path: '/api/v1/sessions/demo' });
    expect(res.status).toBe(403);
    expect(res.code).toBe('SIMULATION_REFUSED');
    const consent = await target.request({ route: 'consent', path: '/api/v1/consent', viewer: 1, body: { deviceId: 'sim-contract-00000001' } });
    expect(consent.code).toBe('SIMULATION_REFUSED');
    if (target.holdsSockets) await expect(target.openSocket('demo', 1)).rejects.toBeInstanceOf(SimulationRefusedError);
    else {
      // In process the chat is refused too, before anything reaches the chat service.
      const socket = await target.openSocket('demo', 1);
      const said = await socket.chat({ clientEventId: 'contract-prod-1', deviceId: 'sim-contract-00000001', text: '好看', nickname: '模拟观众 2', locale: 'zh-CN', awaitAssistant: true });
      expect(said).toMatchObject({ outcome: 'refused', code: 'SIMULATION_REFUSED' });
    }
    expect(await app.services.storage.db.selectFrom('consent_records').selectAll().execute()).toHaveLength(0);
    await app.services.chat.flush();
    expect(await app.services.storage.db.selectFrom('chat_messages').selectAll().execute()).toHaveLength(0);
  });

  if (kind === 'http') {
    it('refuses to go on with a staff account the server does not accept', async () => {
      const t = await testApp('sqlite');
      const target = createHttpTarget({ url: await listening(t), staff: { name: 'nobody-here', password: 'not the password at all' } });
      fixture = {
        target,
        app: t.app,
        close: async () => {
          await target.close();
          await t.close();
        },
      };
      await expect(target.signInStaff()).rejects.toThrow(/^signing in as nobody-here failed: INVALID_CREDENTIALS/);
    });

    it('reports a server that does not answer as a transport failure (status 0)', async () => {
      // Port 1 on loopback: nothing listens there.
      const target = createHttpTarget({ url: 'http://127.0.0.1:1' });
      const res = await target.request({ route: 'room', path: '/api/v1/sessions/demo' });
      expect(res.status).toBe(0);
      expect(res.transportError).toMatch(/ECONNREFUSED|ECONNRESET/);
      await target.close();
    });
  }
});
