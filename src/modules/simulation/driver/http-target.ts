/**
 * The HTTP adapter of the driver's port: a real Qingliu server over loopback or the network. Plain
 * HTTP/1.1 with keep-alive connections, and one WebSocket per present viewer on the room's socket,
 * held from arrival to leaving as a browser holds it (the room's viewer counter counts them).
 *
 * Per-address limits. Some routes allow a client address only so many requests a minute (consent
 * decisions and privacy writes 30, feedback and behaviour 600, sign-in 10; ROUTES in target.ts).
 * Real viewers come from many addresses; one machine sending a simulated audience from one address
 * would hit them. So:
 * - against a loopback server (127.0.0.0/8 or localhost) each viewer's requests and socket are sent
 *   from its own loopback source address (127.77.x.y, one of CLIENT_ADDRESSES, by viewer index) —
 *   every address of 127.0.0.0/8 is the local machine on Linux. Where binding such an address
 *   fails (other systems), the adapter falls back to one address;
 * - in every case a pacer holds a request back until it fits its route's limit for its address
 *   (a sliding 61-second window, so the server's fixed one-minute windows are never exceeded); a
 *   server answering 429 anyway is waited for (its Retry-After) and retried twice at most. The
 *   report's notes say how many requests were held back and for how long.
 * Nothing sets X-Forwarded-For: a server that does not trust proxies ignores it, and one that does
 * should not be fooled.
 *
 * Chat: a viewer's message goes over their own room socket as a `chat_send` frame, as the viewer page
 * sends it, and its `chat_ack` or error frame (matched by clientEventId) is its outcome; the answer
 * to an "@助手 …" question is the assistant's chat message replying to it, read off the same socket.
 * A socket parses the frames it receives only while one of its messages waits for an answer (and the
 * one socket that watches the room's viewer counter), so a busy chat costs the simulator little.
 *
 * The outbound-network rule (L1) keeps clients out of src/ so that personal data can leave only
 * through the transfer gateway. This adapter is a client of Qingliu's own API that sends simulated
 * viewers only (device ids `sim-…`, every request marked simulated), to the server its operator
 * names; hence the two narrowly scoped exceptions below.
 */
/* eslint-disable-next-line @typescript-eslint/no-restricted-imports -- L1 exception: the simulator's client of a Qingliu server; simulated data only (see the module comment) */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
/* eslint-disable-next-line @typescript-eslint/no-restricted-imports -- L1 exception: as above, for https:// servers */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
/* eslint-disable-next-line @typescript-eslint/no-restricted-imports -- L1 exception: the room socket a browser holds, for simulated viewers only */
import WebSocket from 'ws';
import { SIMULATED_HEADER } from '../../../http/simulated.js';
import {
  ASSISTANT_REPLY_TIMEOUT_MS,
  AssistantAnswers,
  CHAT_ACK_TIMEOUT_MS,
  CHAT_FAILURES,
  emptyTargetStats,
  NO_SOCKET,
  problemOf,
  replyOf,
  ROUTES,
  routeLimit,
  SimulationRefusedError,
  SimulationSetupError,
  TargetUnreachableError,
  type SimChatResult,
  type SimChatSend,
  type SimRequest,
  type SimResponse,
  type SimSocket,
  type SimTarget,
  type TargetStats,
} from './target.js';

/** How many loopback source addresses viewers are spread over (each has its own per-address limits). */
export const CLIENT_ADDRESSES = 1024;
/** The pacer's window: one minute and a second of margin for latency between client and server. */
export const PACING_WINDOW_MS = 61_000;
const REQUEST_TIMEOUT_MS = 30_000;
const HANDSHAKE_TIMEOUT_MS = 15_000;
const MAX_RETRIES_AFTER_429 = 2;

export interface HttpTargetOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** A staff account for host actions and experiments (admin or the session's host); a refused sign-in stops the run. */
  staff?: { name: string; password: string };
  /** Spread viewers over loopback source addresses when the server is on loopback (default true). */
  spreadAddresses?: boolean;
}

/** The loopback source address of the i-th slot (127.77.0.1 …). */
export function loopbackAddress(slot: number): string {
  const i = slot + 1;
  return `127.77.${(i >>> 8) & 255}.${i & 255}`;
}

/** Whether a URL's host is this machine's IPv4 loopback (127.0.0.0/8) or `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Holds requests back so that no key (address and route) sends more than `limit` in any window of
 * PACING_WINDOW_MS. Keeps, per key, only the send times inside the window.
 */
export class Pacer {
  readonly #logs = new Map<string, number[]>();
  readonly #windowMs: number;
  readonly #now: () => number;
  #takes = 0;
  held = 0;
  waitedMs = 0;

  constructor(windowMs = PACING_WINDOW_MS, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** How long to wait before a send for `key` fits (0: now), pruning old entries. */
  delay(key: string, limit: number): number {
    const now = this.#now();
    const log = this.#logs.get(key);
    if (!log) return 0;
    let drop = 0;
    while (drop < log.length && log[drop]! <= now - this.#windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    if (log.length < limit) return 0;
    return log[log.length - limit]! + this.#windowMs - now + 1;
  }

  /** Records a send for `key` now. */
  record(key: string): void {
    let log = this.#logs.get(key);
    if (!log) {
      log = [];
      this.#logs.set(key, log);
    }
    log.push(this.#now());
    if (++this.#takes % 10_000 === 0) this.#sweep();
  }

  /** Waits until a send for `key` fits within `limit`, then records it; resolves with the wait. */
  async take(key: string, limit: number): Promise<number> {
    let waited = 0;
    for (;;) {
      const wait = this.delay(key, limit);
      if (wait <= 0) break;
      await sleep(wait);
      waited += wait;
    }
    this.record(key);
    if (waited > 0) {
      this.held++;
      this.waitedMs += waited;
    }
    return waited;
  }

  /** Keys tracked now (for tests: the pacer forgets idle keys). */
  get size(): number {
    return this.#logs.size;
  }

  #sweep(): void {
    const cutoff = this.#now() - this.#windowMs;
    for (const [key, log] of this.#logs) if (log.length === 0 || log[log.length - 1]! <= cutoff) this.#logs.delete(key);
  }
}

type AnyAgent = HttpAgent | HttpsAgent;

/** What answers a chat message on the socket: its ack or error frame, or null (closed, no answer in time). */
type ChatAnswerFrame = { type: 'chat_ack'; messageId: string } | { type: 'error'; code: string; detail: string };

interface OpenSocket {
  socket: WebSocket;
  observer: boolean;
  /** Chat messages sent on it waiting for their ack or error frame, by clientEventId, oldest first. */
  acks: Map<string, (frame: ChatAnswerFrame | null) => void>;
  /** The assistant's answers to questions asked on it. */
  answers: AssistantAnswers;
  /** Questions to the assistant in flight on it, from sending to their answer (frames are read meanwhile). */
  asking: number;
}

/** The HTTP (and WebSocket) target. */
export class HttpTarget implements SimTarget {
  readonly mode = 'http' as const;
  readonly description: string;
  readonly holdsSockets = true;
  readonly clockFollowsSimulation = false;
  readonly #base: URL;
  readonly #secure: boolean;
  readonly #connectHost: string;
  readonly #staff: { name: string; password: string } | undefined;
  #spread: boolean;
  readonly #agents = new Map<number, AnyAgent>();
  readonly #defaultAgent: AnyAgent;
  readonly #pacer = new Pacer();
  readonly #stats: TargetStats = emptyTargetStats();
  readonly #sockets = new Set<OpenSocket>();
  readonly #usedSlots = new Set<number>();
  readonly #notes: string[] = [];
  #retried429 = 0;
  /** Error frames that named no clientEventId while a chat message waited (taken as its answer). */
  #uncorrelatedErrors = 0;
  #cookie: string | undefined;
  #closed = false;

  constructor(options: HttpTargetOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`not a URL: ${options.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${options.url}`);
    this.#base = new URL(url.origin);
    this.description = url.origin;
    this.#secure = url.protocol === 'https:';
    const loopback = isLoopbackHost(url.hostname);
    // localhost may resolve to ::1, from which 127.x source addresses cannot send: use IPv4.
    this.#connectHost = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
    this.#spread = (options.spreadAddresses ?? true) && loopback && !this.#secure;
    this.#staff = options.staff;
    this.#defaultAgent = this.#newAgent(undefined);
  }

  now(): number {
    return Date.now();
  }

  /** Over HTTP the server keeps its own (real) clock and takes its looks by its own timer. */
  async advanceTo(): Promise<void> {}

  async request(r: SimRequest): Promise<SimResponse> {
    const slot = this.#slotOf(r);
    const limit = routeLimit(r.route);
    if (limit !== undefined) await this.#pacer.take(`${slot ?? 'default'}|${r.route}`, limit);
    let response = await this.#send(r, slot);
    // Binding a loopback source address is not possible on every system: fall back to one address.
    if (response.status === 0 && slot !== undefined && (response.transportError === 'EADDRNOTAVAIL' || response.transportError === 'EINVAL')) {
      this.#spread = false;
      this.#notes.push(`could not send from loopback source addresses (${response.transportError}); every viewer sends from one address, paced within the per-address limits`);
      response = await this.#send(r, undefined);
    }
    for (let retry = 0; response.status === 429 && retry < MAX_RETRIES_AFTER_429; retry++) {
      const after = retryAfterMs(response);
      this.#pacer.held++;
      this.#pacer.waitedMs += after;
      this.#retried429++;
      await sleep(after);
      response = await this.#send(r, this.#slotOf(r));
    }
    return response;
  }

  async signInStaff(): Promise<boolean> {
    if (this.#cookie) return true;
    if (!this.#staff) return false;
    const res = await this.#send({ route: 'login', path: '/api/v1/auth/login', body: { name: this.#staff.name, password: this.#staff.password } }, undefined, true);
    if (res.status === 403 && res.code === 'SIMULATION_REFUSED') throw new SimulationRefusedError(this.description);
    if (res.status === 0) throw new TargetUnreachableError(this.description, res.transportError ?? 'no answer');
    if (res.status !== 200 || this.#cookie === undefined) {
      throw new SimulationSetupError(`signing in as ${this.#staff.name} failed: ${res.code ?? `HTTP ${res.status}`}${res.detail ? ` (${res.detail})` : ''}`);
    }
    return true;
  }

  openSocket(sessionId: string, viewer: number, userAgent?: string): Promise<SimSocket> {
    const slot = this.#spread ? viewer % CLIENT_ADDRESSES : undefined;
    if (slot !== undefined) this.#usedSlots.add(slot);
    const wsBase = new URL(this.#base);
    wsBase.protocol = this.#secure ? 'wss:' : 'ws:';
    if (this.#base.hostname === 'localhost') wsBase.hostname = '127.0.0.1';
    const url = new URL(`/api/v1/sessions/${encodeURIComponent(sessionId)}/live`, wsBase);
    return new Promise<SimSocket>((resolve, reject) => {
      const socket = new WebSocket(url, {
        headers: { [SIMULATED_HEADER]: '1', ...(userAgent !== undefined ? { 'user-agent': userAgent } : {}) },
        perMessageDeflate: false,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        ...(slot !== undefined ? { localAddress: loopbackAddress(slot) } : {}),
      });
      let settled = false;
      const entry: OpenSocket = { socket, observer: false, acks: new Map(), answers: new AssistantAnswers(), asking: 0 };
      const fail = (refused: boolean) => {
        if (settled) return;
        settled = true;
        this.#stats.socketsFailed++;
        if (refused) reject(new SimulationRefusedError(this.description));
        else resolve(NO_SOCKET);
      };
      socket.on('unexpected-response', (_req, res: IncomingMessage) => {
        readBody(res).then(
          (text) => {
            let code: string | undefined;
            try {
              code = problemOf(JSON.parse(text)).code;
            } catch {
              code = undefined;
            }
            socket.terminate();
            fail(res.statusCode === 403 && code === 'SIMULATION_REFUSED');
          },
          () => fail(false),
        );
      });
      socket.on('error', () => {
        if (!settled) fail(false);
      });
      socket.on('message', (data) => {
        this.#stats.socketMessages++;
        if (!entry.observer && entry.acks.size === 0 && entry.asking === 0) return;
        let message: unknown;
        try {
          message = JSON.parse(String(data));
        } catch {
          return;
        }
        if (entry.observer) this.#observe(message);
        this.#onChatFrame(entry, message);
      });
      socket.on('close', () => {
        this.#sockets.delete(entry);
        if (entry.observer) this.#electObserver();
        const waiting = [...entry.acks.values()];
        entry.acks.clear();
        for (const answer of waiting) answer(null);
        entry.answers.cancelAll();
      });
      socket.on('open', () => {
        if (settled) return;
        settled = true;
        this.#stats.socketsOpened++;
        this.#sockets.add(entry);
        if (this.#sockets.size > this.#stats.socketsPeak) this.#stats.socketsPeak = this.#sockets.size;
        if (![...this.#sockets].some((s) => s.observer)) entry.observer = true;
        resolve({ close: () => closeSocket(socket), chat: (message) => this.#chat(entry, message) });
      });
    });
  }

  stats(): TargetStats {
    return {
      ...this.#stats,
      pacedRequests: this.#pacer.held,
      pacedWaitMs: Math.round(this.#pacer.waitedMs),
      clientAddresses: this.#spread ? Math.max(1, this.#usedSlots.size) : 1,
    };
  }

  notes(): string[] {
    const out = [...this.#notes];
    if (this.#uncorrelatedErrors > 0) {
      out.push(
        `${this.#uncorrelatedErrors} error frame(s) on a room socket named no clientEventId while a chat message waited for its answer; each was taken as that message's answer (a viewer has one message in flight at a time)`,
      );
    }
    if (this.#spread) {
      out.push(
        `viewers sent from ${this.stats().clientAddresses} loopback source addresses (127.77.x.y, by viewer index), as real viewers come from many addresses; the per-address limits of the server's routes still apply to each`,
      );
    }
    const s = this.stats();
    out.push(
      s.pacedRequests > 0
        ? `${s.pacedRequests} requests were held back to stay within a route's per-address limit (${(s.pacedWaitMs / 1000).toFixed(1)} s of waiting in all)${this.#retried429 ? `; ${this.#retried429} were retried after a 429` : ''}`
        : 'no request had to wait for a per-address limit',
    );
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#sockets].map((s) => closeSocket(s.socket)));
    for (const agent of this.#agents.values()) agent.destroy();
    this.#defaultAgent.destroy();
  }

  // ---- internals ----

  #slotOf(r: SimRequest): number | undefined {
    if (!this.#spread || r.viewer === undefined || r.staff) return undefined;
    const slot = r.viewer % CLIENT_ADDRESSES;
    this.#usedSlots.add(slot);
    return slot;
  }

  #newAgent(localAddress: string | undefined): AnyAgent {
    const options = { keepAlive: true, maxSockets: 16, maxFreeSockets: 2, ...(localAddress ? { localAddress } : {}) };
    return this.#secure ? new HttpsAgent(options) : new HttpAgent(options);
  }

  #agentFor(slot: number | undefined): AnyAgent {
    if (slot === undefined) return this.#defaultAgent;
    let agent = this.#agents.get(slot);
    if (!agent) {
      agent = this.#newAgent(loopbackAddress(slot));
      this.#agents.set(slot, agent);
    }
    return agent;
  }

  #send(r: SimRequest, slot: number | undefined, keepCookie = false): Promise<SimResponse> {
    const method = ROUTES[r.route].method;
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    const headers: Record<string, string> = { [SIMULATED_HEADER]: '1', accept: 'application/json', host: this.#base.host };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (r.deviceId !== undefined) headers['x-qingliu-device'] = r.deviceId;
    if (r.userAgent !== undefined) headers['user-agent'] = r.userAgent;
    if (r.staff && this.#cookie) headers.cookie = this.#cookie;
    const options: RequestOptions = {
      host: this.#connectHost,
      port: this.#base.port || (this.#secure ? 443 : 80),
      method,
      path: r.path,
      headers,
      agent: this.#agentFor(slot),
      timeout: REQUEST_TIMEOUT_MS,
    };
    const started = performance.now();
    return new Promise<SimResponse>((resolve) => {
      const done = (response: Omit<SimResponse, 'ms'>) => resolve({ ...response, ms: performance.now() - started });
      const req = (this.#secure ? httpsRequest : httpRequest)(options, (res) => {
        if (keepCookie) this.#keepCookie(res);
        readBody(res).then(
          (text) => {
            const status = res.statusCode ?? 0;
            let body: unknown;
            if (String(res.headers['content-type'] ?? '').includes('json') && text.length > 0) {
              try {
                body = JSON.parse(text);
              } catch {
                body = undefined;
              }
            }
            const retryAfter = Number(res.headers['retry-after']);
            const extra = status === 429 && Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {};
            done(status >= 400 ? { status, body: body ?? extra, ...problemOf(body) } : { status, body });
          },
          (err: NodeJS.ErrnoException) => done({ status: 0, body: undefined, transportError: err.code ?? err.message }),
        );
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => done({ status: 0, body: undefined, transportError: err.code ?? err.message }));
      req.end(payload);
    });
  }

  #keepCookie(res: IncomingMessage): void {
    const raw = res.headers['set-cookie'];
    const first = (Array.isArray(raw) ? raw : raw ? [raw] : []).find((c) => c.startsWith('qingliu_staff='));
    if (first) this.#cookie = first.split(';')[0];
  }

  /** Sends a chat message on the viewer's socket and waits for its ack (and the assistant's answer when asked to). */
  async #chat(entry: OpenSocket, m: SimChatSend): Promise<SimChatResult> {
    const { socket } = entry;
    if (socket.readyState !== WebSocket.OPEN) return { outcome: 'failed', code: CHAT_FAILURES.closed, detail: 'the room socket is closed', ms: 0 };
    // From sending to the answer the socket reads its frames, so an answer arriving right after the
    // ack (before the wait for it begins) is kept for it.
    if (m.awaitAssistant) entry.asking++;
    try {
      return await this.#chatOnce(entry, m);
    } finally {
      if (m.awaitAssistant) entry.asking--;
    }
  }

  async #chatOnce(entry: OpenSocket, m: SimChatSend): Promise<SimChatResult> {
    const started = performance.now();
    const { socket } = entry;
    const answer = new Promise<ChatAnswerFrame | null | 'timeout'>((resolve) => {
      const timer = setTimeout(() => {
        entry.acks.delete(m.clientEventId);
        resolve('timeout');
      }, CHAT_ACK_TIMEOUT_MS);
      entry.acks.set(m.clientEventId, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
    const frame = { type: 'chat_send', clientEventId: m.clientEventId, deviceId: m.deviceId, text: m.text, nickname: m.nickname, locale: m.locale };
    socket.send(JSON.stringify(frame), (err) => {
      if (err) entry.acks.get(m.clientEventId)?.(null);
    });
    const got = await answer;
    const ms = performance.now() - started;
    if (got === 'timeout') return { outcome: 'failed', code: CHAT_FAILURES.timeout, detail: `no chat_ack or error frame within ${CHAT_ACK_TIMEOUT_MS / 1000} s`, ms };
    if (got === null) return { outcome: 'failed', code: CHAT_FAILURES.closed, detail: 'the room socket closed before the answer', ms };
    if (got.type === 'error') return { outcome: 'refused', code: got.code, detail: got.detail, ms };
    const accepted: SimChatResult = { outcome: 'accepted', messageId: got.messageId, ms };
    if (!m.awaitAssistant) return accepted;
    const reply = await entry.answers.wait(got.messageId, ASSISTANT_REPLY_TIMEOUT_MS);
    return { ...accepted, assistant: reply ? replyOf(reply, started) : null };
  }

  /** A frame on a socket with chat messages waiting: their acks and errors, and the assistant's answers. */
  #onChatFrame(entry: OpenSocket, message: unknown): void {
    const f = message as { type?: unknown; clientEventId?: unknown; messageId?: unknown; code?: unknown; detail?: unknown; message?: unknown; messages?: unknown };
    if (f.type === 'chat_message') entry.answers.seen(f.message);
    else if (f.type === 'chat_messages' && Array.isArray(f.messages)) for (const m of f.messages) entry.answers.seen(m);
    else if (f.type === 'chat_ack' || f.type === 'error') {
      let id = typeof f.clientEventId === 'string' ? f.clientEventId : undefined;
      if (id === undefined && f.type === 'error' && entry.acks.size > 0) {
        // The gateway's own refusals (a malformed frame, too many frames) name no clientEventId.
        id = entry.acks.keys().next().value;
        this.#uncorrelatedErrors++;
      }
      const resolve = id === undefined ? undefined : entry.acks.get(id);
      if (!resolve || id === undefined) return;
      entry.acks.delete(id);
      if (f.type === 'chat_ack') resolve({ type: 'chat_ack', messageId: String(f.messageId) });
      else resolve({ type: 'error', code: typeof f.code === 'string' ? f.code : 'ERROR', detail: typeof f.detail === 'string' ? f.detail : '' });
    }
  }

  /** Reads the room's viewer counter from the observer socket's messages. */
  #observe(parsed: unknown): void {
    const message = parsed as { type?: unknown; counters?: { viewers?: unknown }; state?: { counters?: { viewers?: unknown } } };
    const viewers = message.type === 'counters' ? message.counters?.viewers : message.type === 'snapshot' ? message.state?.counters?.viewers : undefined;
    if (typeof viewers === 'number') this.#stats.roomViewersPeak = Math.max(this.#stats.roomViewersPeak ?? 0, viewers);
  }

  #electObserver(): void {
    const next = this.#sockets.values().next();
    if (!next.done) next.value.observer = true;
  }
}

/** The wait a 429 asks for (Retry-After), at least 1 s and at most the pacing window. */
function retryAfterMs(response: SimResponse): number {
  const seconds = (response.body as { retryAfterSeconds?: unknown; retryAfter?: unknown } | undefined)?.retryAfterSeconds;
  const s = typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : 1;
  return Math.min(PACING_WINDOW_MS, Math.max(1000, s * 1000));
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** Closes a socket with a normal close; terminates it if the close handshake takes over 2 s. */
function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, 2000);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else socket.close(1000, 'viewer left');
  });
}

/** The HTTP target for a server URL (throws TypeError for a URL that is not http(s)). */
export function createHttpTarget(options: HttpTargetOptions): HttpTarget {
  return new HttpTarget(options);
}
