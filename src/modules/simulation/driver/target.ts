/**
 * The port of the simulation driver: what the runner does to a Qingliu server, whichever way it is
 * reached. The runner (run.ts) depends only on this; two adapters implement it:
 *
 * - inject-target.ts: the app built in this process, driven with `app.inject` (no sockets), on a
 *   clock the runner moves, so every server-side time window follows simulated time;
 * - http-target.ts: a real server over HTTP and WebSocket, on its own (real) clock.
 *
 * Every request and socket an adapter sends carries `x-qingliu-simulated: 1` (SIMULATED_HEADER);
 * a production server refuses them (403 SIMULATION_REFUSED, LC4), and the runner then stops at once.
 *
 * Chat goes where a browser sends it: over the viewer's room socket (`chat_send`, answered by
 * `chat_ack` or an error frame). In process there is no socket, so the adapter posts through the
 * chat service the socket hands messages to (ChatService.postAsViewer), after the same LC4 check.
 */

/**
 * The server routes the simulator uses (the same a browser or the host console uses), with the
 * per-client-address limit a route has on the server (requests a minute), where it has one.
 */
export const ROUTES = {
  room: { method: 'GET', label: 'GET /api/v1/sessions/:id' },
  notice: { method: 'GET', label: 'GET /api/v1/consent/notice' },
  consent: { method: 'POST', label: 'POST /api/v1/consent', perMinute: 30 },
  age: { method: 'PUT', label: 'PUT /api/v1/privacy/age', perMinute: 30 },
  childAge: { method: 'PUT', label: 'PUT /api/v1/privacy/child-age', perMinute: 30 },
  cityTier: { method: 'PUT', label: 'PUT /api/v1/privacy/city-tier', perMinute: 30 },
  personalisation: { method: 'PUT', label: 'PUT /api/v1/privacy/personalisation', perMinute: 30 },
  recommendations: { method: 'GET', label: 'GET /api/v1/sessions/:id/recommendations' },
  feedback: { method: 'POST', label: 'POST /api/v1/sessions/:id/recommendations/feedback', perMinute: 600 },
  behaviour: { method: 'POST', label: 'POST /api/v1/sessions/:id/behaviour', perMinute: 600 },
  events: { method: 'POST', label: 'POST /api/v1/sessions/:id/events' },
  orders: { method: 'POST', label: 'POST /api/v1/sessions/:id/orders' },
  login: { method: 'POST', label: 'POST /api/v1/auth/login', perMinute: 10 },
  start: { method: 'POST', label: 'POST /api/v1/sessions/:id/start' },
  pin: { method: 'PUT', label: 'PUT /api/v1/sessions/:id/pins/:productId' },
  unpin: { method: 'DELETE', label: 'DELETE /api/v1/sessions/:id/pins/:productId' },
  soldOut: { method: 'PUT', label: 'PUT /api/v1/sessions/:id/products/:productId/sold-out' },
  flashSale: { method: 'POST', label: 'POST /api/v1/sessions/:id/flash-sales' },
  endFlashSale: { method: 'POST', label: 'POST /api/v1/sessions/:id/flash-sales/:fid/end' },
  experimentCreate: { method: 'POST', label: 'POST /api/v1/experiments' },
  experimentStart: { method: 'POST', label: 'POST /api/v1/experiments/:id/start' },
  experimentDiscard: { method: 'DELETE', label: 'DELETE /api/v1/experiments/:id' },
  experimentStop: { method: 'POST', label: 'POST /api/v1/experiments/:id/stop' },
  experimentReport: { method: 'GET', label: 'GET /api/v1/experiments/:id' },
  simulationLabel: { method: 'GET', label: 'GET /api/v1/sessions/:id/simulation' },
  assistant: { method: 'POST', label: 'POST /api/v1/sessions/:id/assistant', perMinute: 30 },
} as const satisfies Record<string, { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; label: string; perMinute?: number }>;

/** One of the routes above. */
export type RouteKey = keyof typeof ROUTES;
/** An HTTP method the simulator sends. */
export type SimMethod = (typeof ROUTES)[RouteKey]['method'];

/** The per-address limit of a route (requests a minute), or undefined when it has none. */
export function routeLimit(route: RouteKey): number | undefined {
  const r = ROUTES[route];
  return 'perMinute' in r ? r.perMinute : undefined;
}

/** One request of the simulator. */
export interface SimRequest {
  route: RouteKey;
  /** Path and query, e.g. `/api/v1/sessions/demo/recommendations?k=4`. */
  path: string;
  /** JSON body, if any. */
  body?: unknown;
  /** The simulated viewer's device id, sent in the `x-qingliu-device` header. */
  deviceId?: string;
  /** The User-Agent of the simulated viewer's device, sent in the `user-agent` header. */
  userAgent?: string;
  /**
   * The viewer's index: requests of one viewer come from one client address, different viewers'
   * from different ones where the adapter can (as real devices do).
   */
  viewer?: number;
  /** Sent as the signed-in staff member (host actions, experiments). */
  staff?: boolean;
}

/** The answer to a request. `status` 0 means the request never got an answer (transport failure). */
export interface SimResponse {
  status: number;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  /** The problem code of an error answer (application/problem+json `code`). */
  code?: string;
  /** The problem detail of an error answer. */
  detail?: string;
  /** For a transport failure: what failed (e.g. ECONNREFUSED). */
  transportError?: string;
  /** Time from sending to the end of the answer (or the failure). */
  ms: number;
}

/** A chat message a viewer sends on the room's socket (a `chat_send` frame). */
export interface SimChatSend {
  /** 8–64 characters of [A-Za-z0-9_-]; the ack or error frame names it. */
  clientEventId: string;
  deviceId: string;
  text: string;
  /** The viewer's nickname in the chat (a simulated viewer's says so: "模拟观众 12"). */
  nickname: string;
  locale: 'zh-CN' | 'en';
  /**
   * The message asks the assistant ("@助手 …"): once accepted, wait for the assistant's public answer
   * to it in the chat (a message of the assistant that replies to this one), up to the adapter's limit.
   */
  awaitAssistant?: boolean;
}

/** The assistant's answer to a chat question, as the viewer saw it arrive in the chat. */
export interface SimAssistantReply {
  messageId: string;
  /** The question went to the host's queue. */
  handoff: boolean;
  /** How many sources the answer names (none: a refusal or a handoff). */
  sources: number;
  /** The AI label the message carries (AI1): aiGenerated true and a label. */
  aiGenerated: boolean;
  label: string | null;
  /** From sending the question to the answer arriving. */
  ms: number;
}

/** What came of a chat message. Never thrown: failures are outcomes too. */
export interface SimChatResult {
  /**
   * accepted: `chat_ack`; refused: an error frame with its code (CHAT_BLOCKED_WORDS, CHAT_RATE_LIMITED,
   * SIMULATION_REFUSED …); failed: no socket, the socket closed, or no answer in time (`code` says which).
   */
  outcome: 'accepted' | 'refused' | 'failed';
  messageId?: string;
  code?: string;
  detail?: string;
  /** From sending to the ack or the error. */
  ms: number;
  /** With awaitAssistant and accepted: the assistant's answer, or null when none came in time. */
  assistant?: SimAssistantReply | null;
}

/** Failure codes of a chat message that got no answer (SimChatResult.code with outcome 'failed'). */
export const CHAT_FAILURES = { noSocket: 'NO_SOCKET', closed: 'SOCKET_CLOSED', timeout: 'NO_ANSWER_IN_TIME' } as const;

/** How long a viewer waits for the chat's ack, and then for the assistant's answer in the chat. */
export const CHAT_ACK_TIMEOUT_MS = 15_000;
export const ASSISTANT_REPLY_TIMEOUT_MS = 20_000;

/** A viewer's open live-room socket. */
export interface SimSocket {
  /** Closes it as a browser closing the tab does; resolves once closed (or given up on). */
  close(): Promise<void>;
  /** Sends a chat message as this viewer (see SimChatSend); never throws. */
  chat(message: SimChatSend): Promise<SimChatResult>;
}

/** A socket handle that could not be opened: closing does nothing, chat fails with NO_SOCKET. */
export const NO_SOCKET: SimSocket = {
  close: async () => undefined,
  chat: async () => ({ outcome: 'failed', code: CHAT_FAILURES.noSocket, detail: 'the viewer has no open room socket', ms: 0 }),
};

/** The outcome of an answer from the assistant in the chat: its handoff flag, else whether it names sources. */
export function chatReplyOutcome(reply: Pick<SimAssistantReply, 'handoff' | 'sources'>): 'answered' | 'handoff' | 'declined' {
  if (reply.handoff) return 'handoff';
  return reply.sources > 0 ? 'answered' : 'declined';
}

/** What an adapter counted about its sockets and pacing (totals, never per request). */
export interface TargetStats {
  socketsOpened: number;
  socketsFailed: number;
  /** Most sockets open at once. */
  socketsPeak: number;
  /** Messages received over all sockets. */
  socketMessages: number;
  /** Most viewers the room's own counter reported (from `counters` messages), or null. */
  roomViewersPeak: number | null;
  /** Requests held back to stay within a route's per-address limit, and for how long in all. */
  pacedRequests: number;
  pacedWaitMs: number;
  /** Client addresses the viewers' requests came from. */
  clientAddresses: number;
}

/** The port: what the driver does to a server. */
export interface SimTarget {
  readonly mode: 'in-process' | 'http';
  /** The server's URL, or 'in-process'. */
  readonly description: string;
  /** Whether `openSocket` opens a real socket the server counts (false in process: no sockets). */
  readonly holdsSockets: boolean;
  /** Whether the server's clock is the simulated one (`advanceTo` moves it). */
  readonly clockFollowsSimulation: boolean;
  /** The server's time now (epoch ms): the simulated clock in process, the real one over HTTP. */
  now(): number;
  /**
   * Simulated time has reached `epochMs`. In process: the server's clock moves there (never back)
   * and the experiments' scheduled looks that are due are taken; over HTTP nothing happens (the
   * server's own timer takes looks in real time).
   */
  advanceTo(epochMs: number): Promise<void>;
  /** Sends one request; never throws for an HTTP error or a transport failure (see SimResponse). */
  request(request: SimRequest): Promise<SimResponse>;
  /** Signs a staff member in for host actions and experiments; false when no account is available. */
  signInStaff(): Promise<boolean>;
  /**
   * Opens the viewer's live-room socket, its handshake sent with the viewer's User-Agent when one is
   * given. Where sockets are not held (in process) the handle holds nothing, but its `chat` still
   * posts as the viewer through the path the socket would use. A socket that fails to open gives a
   * handle whose chat fails with NO_SOCKET (SIMULATION_REFUSED rejects instead).
   */
  openSocket(sessionId: string, viewer: number, userAgent?: string): Promise<SimSocket>;
  stats(): TargetStats;
  /** What the adapter did that a reader of the report should know (pacing, addresses, …). */
  notes(): string[];
  /** Closes sockets, connections and, in process, the app and its temporary files. */
  close(): Promise<void>;
}

/** A production server refused simulated traffic (403 SIMULATION_REFUSED): nothing was stored. */
export class SimulationRefusedError extends Error {
  readonly code = 'SIMULATION_REFUSED';
  constructor(readonly target: string) {
    super(`the server at ${target} runs in production mode; simulated audiences run only in demo mode`);
    this.name = 'SimulationRefusedError';
  }
}

/** The server could not be reached (or stopped answering). */
export class TargetUnreachableError extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`cannot reach the server at ${target} (${reason})`);
    this.name = 'TargetUnreachableError';
  }
}

/** The server refused something the run needs before it starts (a bad experiment, no such room …). */
export class SimulationSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationSetupError';
  }
}

/** A problem+json body's code and detail, when the body is one. */
export function problemOf(body: unknown): { code?: string; detail?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as { code?: unknown; detail?: unknown };
  return { ...(typeof b.code === 'string' ? { code: b.code } : {}), ...(typeof b.detail === 'string' ? { detail: b.detail } : {}) };
}

/** A distinct private client address for each viewer (in process, passed to `inject`). */
export function viewerAddress(viewer: number): string {
  const i = viewer + 1;
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/** Empty stats, for adapters to start from. */
export function emptyTargetStats(): TargetStats {
  return { socketsOpened: 0, socketsFailed: 0, socketsPeak: 0, socketMessages: 0, roomViewersPeak: null, pacedRequests: 0, pacedWaitMs: 0, clientAddresses: 0 };
}

/** An assistant's message in a chat, as the adapters read it off a socket frame or the bus. */
interface AssistantChatMessage {
  id: string;
  replyTo: string;
  handoff: boolean;
  sources: number;
  aiGenerated: boolean;
  label: string | null;
}

/** The assistant's answer in a chat message, or undefined when the message is not one. */
function assistantAnswerOf(message: unknown): AssistantChatMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { id?: unknown; author?: { kind?: unknown }; replyTo?: unknown; handoff?: unknown; sources?: unknown; aiGenerated?: unknown; label?: unknown };
  if (m.author?.kind !== 'assistant' || typeof m.id !== 'string' || typeof m.replyTo !== 'string') return undefined;
  return {
    id: m.id,
    replyTo: m.replyTo,
    handoff: m.handoff === true,
    sources: Array.isArray(m.sources) ? m.sources.length : 0,
    aiGenerated: m.aiGenerated === true,
    label: typeof m.label === 'string' ? m.label : null,
  };
}

const EARLY_ANSWERS_KEPT = 256;

/**
 * The assistant's answers seen in a room's chat, handed to the questions waiting for them (by the
 * message they reply to). An answer that arrives before its question's ack is kept for a while (the
 * last EARLY_ANSWERS_KEPT), so the order of the ack and the answer does not matter.
 */
export class AssistantAnswers {
  readonly #waiting = new Map<string, (m: AssistantChatMessage | null) => void>();
  readonly #early = new Map<string, AssistantChatMessage>();

  /** Questions waiting for their answer. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** A chat message arrived: the answer to a waiting question is handed over, another answer kept briefly. */
  seen(message: unknown): void {
    const answer = assistantAnswerOf(message);
    if (!answer) return;
    const resolve = this.#waiting.get(answer.replyTo);
    if (resolve) {
      this.#waiting.delete(answer.replyTo);
      resolve(answer);
      return;
    }
    this.#early.set(answer.replyTo, answer);
    if (this.#early.size > EARLY_ANSWERS_KEPT) this.#early.delete(this.#early.keys().next().value!);
  }

  /** Waits for the answer to the message `messageId`; null when none comes within `timeoutMs`. */
  wait(messageId: string, timeoutMs: number): Promise<AssistantChatMessage | null> {
    const early = this.#early.get(messageId);
    if (early) {
      this.#early.delete(messageId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(messageId);
        resolve(null);
      }, timeoutMs);
      this.#waiting.set(messageId, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  /** Gives up on every waiting question (the socket closed, the target is closing). */
  cancelAll(): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const resolve of waiting) resolve(null);
  }
}

/** The viewer-side reply of an assistant chat message, timed from `startedAt`. */
export function replyOf(m: AssistantChatMessage, startedAt: number): SimAssistantReply {
  return { messageId: m.id, handoff: m.handoff, sources: m.sources, aiGenerated: m.aiGenerated, label: m.label, ms: performance.now() - startedAt };
}
