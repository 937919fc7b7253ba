/**
 * The in-process adapter of the driver's port: the real app, built by `buildApp` in this process in
 * demo mode, driven with `app.inject` (no sockets, no network), on a simulated clock.
 *
 * The clock is the point: the app reads time only through it, so popularity windows, flash-sale
 * ends, the experiments' look schedule and every timestamp follow simulated time, and a one-hour
 * show runs as fast as the machine allows. The experiments' real-time look timer is stopped: the
 * runner takes the due looks each time it moves the clock, so they fall at the same simulated
 * moments in every run (a run is deterministic for a seed: the server breaks ties between equally
 * scored products by showcase position, never by the random ids a fresh database gives them).
 *
 * Chat: `app.inject` has no sockets, so a viewer's chat message goes to the chat service the room
 * socket hands it to (ChatService.postAsViewer), on the simulated clock like everything else. Before
 * the first one the adapter asks the server, with a marked request, whether it serves simulated
 * traffic (LC4): a production server's SIMULATION_REFUSED refuses every chat message as well. The
 * assistant's answers to "@助手 …" are read off the room's chat topic on the app's bus, where the
 * room socket reads them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../app.js';
import { loadConfig } from '../../../config/index.js';
import { systemContext, type Clock } from '../../../context/index.js';
import { SIMULATED_HEADER } from '../../../http/simulated.js';
import { chatTopic } from '../../chat/index.js';
import {
  ASSISTANT_REPLY_TIMEOUT_MS,
  AssistantAnswers,
  emptyTargetStats,
  problemOf,
  replyOf,
  ROUTES,
  viewerAddress,
  type SimChatResult,
  type SimChatSend,
  type SimRequest,
  type SimResponse,
  type SimSocket,
  type SimTarget,
  type TargetStats,
} from './target.js';

/** A clock the runner moves; it never goes back. */
export class SimClock implements Clock {
  #now: number;
  constructor(start: number) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  /** Moves to `epochMs` if that is later than now. */
  advanceTo(epochMs: number): void {
    if (epochMs > this.#now) this.#now = epochMs;
  }
}

export interface InjectTargetOptions {
  /** Database to use (`sqlite:FILE` or `postgres://…`); default a temporary SQLite file, removed on close. */
  databaseUrl?: string;
  /** Epoch ms the simulated clock starts at; default now, rounded down to the minute. */
  startAt?: number;
  /** Further server settings (e.g. QINGLIU_FAIRNESS_RERANK), validated like any configuration. */
  settings?: Readonly<Record<string, string>>;
}

/** The in-process target over an app (built here, or handed in by a test). */
export class InjectTarget implements SimTarget {
  readonly mode = 'in-process' as const;
  readonly description = 'in-process';
  readonly holdsSockets = false;
  readonly clockFollowsSimulation: boolean;
  readonly #app: FastifyInstance;
  readonly #clock: SimClock | undefined;
  readonly #dispose: () => Promise<void>;
  readonly #stats: TargetStats = emptyTargetStats();
  readonly #addresses = new Set<number>();
  /** Per room: the assistant's answers read off its chat topic, and the unsubscription. */
  readonly #answers = new Map<string, { answers: AssistantAnswers; unsubscribe: () => void }>();
  #serves: Promise<{ ok: true } | { ok: false; code: string; detail: string }> | undefined;
  #cookie: string | undefined;
  #closed = false;

  /**
   * @param app the app to drive
   * @param clock the clock the app was built with (undefined: the app keeps real time)
   * @param dispose what closing the target also does (close the app, remove its files)
   */
  constructor(app: FastifyInstance, clock: SimClock | undefined, dispose: () => Promise<void> = async () => undefined) {
    this.#app = app;
    this.#clock = clock;
    this.clockFollowsSimulation = clock !== undefined;
    this.#dispose = dispose;
  }

  /** The app (for tests and the runner's diagnostics). */
  get app(): FastifyInstance {
    return this.#app;
  }

  now(): number {
    return this.#clock?.now() ?? Date.now();
  }

  async advanceTo(epochMs: number): Promise<void> {
    if (!this.#clock) return;
    this.#clock.advanceTo(epochMs);
    await this.#app.services.experiments.takeDueLooks(this.#clock.now());
    // Live fairness checks fall due on the simulated clock, as they would in a real show.
    await this.#app.services.fairness.tick(this.#clock.now());
  }

  async request(r: SimRequest): Promise<SimResponse> {
    const headers: Record<string, string> = { [SIMULATED_HEADER]: '1' };
    if (r.deviceId !== undefined) headers['x-qingliu-device'] = r.deviceId;
    if (r.userAgent !== undefined) headers['user-agent'] = r.userAgent;
    if (r.staff && this.#cookie) headers.cookie = this.#cookie;
    if (r.viewer !== undefined) this.#addresses.add(r.viewer);
    const started = performance.now();
    try {
      const res = await this.#app.inject({
        method: ROUTES[r.route].method,
        url: r.path,
        headers,
        remoteAddress: r.viewer !== undefined ? viewerAddress(r.viewer) : '127.0.0.1',
        ...(r.body !== undefined ? { payload: r.body as object } : {}),
      });
      const type = String(res.headers['content-type'] ?? '');
      let body: unknown;
      if (type.includes('json') && res.body.length > 0) {
        try {
          body = JSON.parse(res.body);
        } catch {
          body = undefined;
        }
      }
      const ms = performance.now() - started;
      return res.statusCode >= 400 ? { status: res.statusCode, body, ...problemOf(body), ms } : { status: res.statusCode, body, ms };
    } catch (err) {
      return { status: 0, body: undefined, transportError: (err as Error).message, ms: performance.now() - started };
    }
  }

  /** Creates a one-off admin account (random name and password, never printed) and signs it in. */
  async signInStaff(): Promise<boolean> {
    if (this.#cookie) return true;
    const name = `sim-host-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    const created = await this.#app.services.staff.addUser(systemContext('simulation'), { name, role: 'admin', password });
    if (!created.ok) return false;
    const res = await this.#app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { [SIMULATED_HEADER]: '1' }, payload: { name, password } });
    if (res.statusCode !== 200) return false;
    const setCookie = res.headers['set-cookie'];
    const raw = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    this.#cookie = raw?.split(';')[0];
    return this.#cookie !== undefined;
  }

  /**
   * In process no socket is held (inject has none): closing the handle does nothing, and its chat
   * posts through the chat service the room socket hands messages to.
   */
  async openSocket(sessionId: string): Promise<SimSocket> {
    return { close: async () => undefined, chat: (message) => this.#chat(sessionId, message) };
  }

  async #chat(sessionId: string, m: SimChatSend): Promise<SimChatResult> {
    const started = performance.now();
    const serves = await this.#servesSimulation(sessionId);
    if (!serves.ok) return { outcome: 'refused', code: serves.code, detail: serves.detail, ms: performance.now() - started };
    const answers = m.awaitAssistant ? this.#answersIn(sessionId) : undefined;
    let posted: Awaited<ReturnType<FastifyInstance['services']['chat']['postAsViewer']>>;
    try {
      posted = await this.#app.services.chat.postAsViewer(sessionId, { deviceId: m.deviceId, text: m.text, nickname: m.nickname, locale: m.locale });
    } catch (err) {
      return { outcome: 'failed', code: 'SERVER_ERROR', detail: (err as Error).message, ms: performance.now() - started };
    }
    const ms = performance.now() - started;
    if (!posted.ok) return { outcome: 'refused', code: posted.code, ...(posted.detail !== undefined ? { detail: posted.detail } : {}), ms };
    const accepted: SimChatResult = { outcome: 'accepted', messageId: posted.value.id, ms };
    if (!answers) return accepted;
    const answer = await answers.wait(posted.value.id, ASSISTANT_REPLY_TIMEOUT_MS);
    return { ...accepted, assistant: answer ? replyOf(answer, started) : null };
  }

  /** Whether the server serves simulated traffic: asked once, with a marked request (LC4). */
  #servesSimulation(sessionId: string): Promise<{ ok: true } | { ok: false; code: string; detail: string }> {
    this.#serves ??= this.request({ route: 'simulationLabel', path: `/api/v1/sessions/${encodeURIComponent(sessionId)}/simulation` }).then((res) =>
      res.status === 403 && res.code === 'SIMULATION_REFUSED' ? { ok: false as const, code: res.code, detail: res.detail ?? res.code } : { ok: true as const },
    );
    return this.#serves;
  }

  #answersIn(sessionId: string): AssistantAnswers {
    let entry = this.#answers.get(sessionId);
    if (!entry) {
      const answers = new AssistantAnswers();
      const unsubscribe = this.#app.services.bus.subscribe(chatTopic(sessionId), (frame) => {
        const f = frame as { type?: unknown; message?: unknown };
        if (f.type === 'chat_message') answers.seen(f.message);
      });
      entry = { answers, unsubscribe };
      this.#answers.set(sessionId, entry);
    }
    return entry.answers;
  }

  stats(): TargetStats {
    return { ...this.#stats, clientAddresses: this.#addresses.size };
  }

  notes(): string[] {
    return this.clockFollowsSimulation
      ? [
          'in process: the app runs in this process on a simulated clock, so server-side time (popularity windows, flash-sale ends, experiment looks) follows simulated time; each viewer sends from its own client address; no sockets are held (app.inject has none)',
        ]
      : ['in process on the real clock: server-side time windows do not follow simulated time'];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { answers, unsubscribe } of this.#answers.values()) {
      answers.cancelAll();
      unsubscribe();
    }
    this.#answers.clear();
    await this.#dispose();
  }
}

/**
 * Builds the app in demo mode on a temporary SQLite file (or the given database) with the demo seed,
 * on a simulated clock, and returns the target over it. Closing the target closes the app and
 * removes the temporary files.
 */
export async function createInjectTarget(options: InjectTargetOptions = {}): Promise<InjectTarget> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qingliu-simulate-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const clock = new SimClock(options.startAt ?? Math.floor(Date.now() / 60_000) * 60_000);
  let app: FastifyInstance;
  try {
    const config = loadConfig(
      { ...options.settings, LOG_LEVEL: 'silent', PORT: '0', QINGLIU_DATA_DIR: dir, QINGLIU_MODE: 'demo' },
      { databaseUrl: options.databaseUrl ?? `sqlite:${path.join(dir, 'simulation.sqlite')}`, seedDemo: true, mode: 'demo' },
    );
    app = await buildApp(config, { logger: false, clock });
  } catch (err) {
    remove();
    throw err;
  }
  // The runner takes the scheduled looks as it moves the clock; the real-time timer would take
  // them at moments that depend on how fast this machine is.
  await app.services.experiments.stop();
  await app.services.fairness.stop();
  return new InjectTarget(app, clock, async () => {
    try {
      await app.close();
    } finally {
      remove();
    }
  });
}
