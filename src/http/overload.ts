/**
 * Load shedding. @fastify/under-pressure samples the event loop's delay and utilisation and the heap;
 * above a configured limit, the node refuses what it can refuse cheaply — new public API requests,
 * WebSocket upgrades included — with 503 OVERLOADED and a Retry-After, so that what it already
 * accepted still finishes in time and the load balancer's retries go elsewhere. It keeps serving
 * staff (a host pinning a product mid-show, a compliance officer) and their sign-in, health, readiness and metrics,
 * and the pages and assets (static, and cached in front of the node in practice).
 *
 * The live room's WebSocket gateway asks the same `underPressure()` before each viewer write (see
 * ws-gateway.ts): those get an OVERLOADED error naming the client's event id, and a `slow_down`
 * frame, so the page waits and resends.
 *
 * Refusing must cost much less than serving, or the refusals themselves eat the capacity they were
 * meant to keep: a refusal made by Fastify (request and reply objects, hooks, the problem's
 * serialisation, the duration metric) cost ~0.15 ms, and at twice the sustainable load the node spent
 * half its time refusing. So the plain case — a public API request with no staff cookie — is refused
 * by `OverloadGate` in the HTTP server's own request listener, before Fastify sees it. Requests with a
 * staff cookie go on to Fastify, where the cookie is checked and a viewer's is refused after all.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { ERROR_STATUS, problemOf } from '../errors/index.js';
import { SESSION_COOKIE } from './index.js';
import { API_SECURITY_HEADERS } from './security-headers.js';

/** Always served, whatever the load: the operator's and load balancer's view of the node. */
const NEVER_SHED = new Set(['/healthz', '/readyz', '/metrics']);

export interface Shedding {
  /** True while the last sample was above a limit. */
  underPressure(): boolean;
  retryAfterSeconds: number;
}

/** Marks a raw request the gate has counted in flight (Fastify then leaves its count alone). */
const COUNTED = Symbol('qingliu.overload.counted');
type GatedRequest = IncomingMessage & { [COUNTED]?: true };

interface GateState {
  underPressure(): boolean;
  maxInFlight: number;
  retryAfterSeconds: number;
  onShed(): void;
}

/**
 * The cheap first line of shedding, in the HTTP server's request listener (see the note above). It
 * passes everything through until `installOverloadShedding` arms it, and it never sees WebSocket
 * upgrades (the server's 'upgrade' event) or in-process requests (app.inject), which Fastify's own
 * checks handle.
 */
export class OverloadGate {
  #state: GateState | undefined;
  /** Public API requests being served now (counted here, or by Fastify for those with a staff cookie). */
  inFlight = 0;

  /**
   * For Fastify's `serverFactory` option: the HTTP server Fastify would make (its timeouts and limits
   * applied as it applies them), whose requests pass the gate first.
   */
  readonly serverFactory = (handler: (req: IncomingMessage, res: ServerResponse) => void, options: Record<string, unknown>): Server => {
    const number = (key: string) => (typeof options[key] === 'number' ? options[key] : undefined);
    const server = createServer((options.http ?? {}) as ServerOptions, (req, res) => {
      if (this.#admit(req, res)) handler(req, res);
    });
    const keepAliveTimeout = number('keepAliveTimeout');
    const requestTimeout = number('requestTimeout');
    const connectionTimeout = number('connectionTimeout');
    const maxRequestsPerSocket = number('maxRequestsPerSocket');
    if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
    if (requestTimeout !== undefined) server.requestTimeout = requestTimeout;
    if (connectionTimeout !== undefined) server.setTimeout(connectionTimeout);
    if (maxRequestsPerSocket !== undefined && maxRequestsPerSocket > 0) server.maxRequestsPerSocket = maxRequestsPerSocket;
    return server;
  };

  arm(state: GateState): void {
    this.#state = state;
  }

  /** False when the request was refused here (and answered). */
  #admit(req: GatedRequest, res: ServerResponse): boolean {
    const state = this.#state;
    if (!state || !sheddablePath(pathOf(req.url ?? '/')) || hasStaffCookie(req)) return true;
    if (state.underPressure() || (state.maxInFlight > 0 && this.inFlight >= state.maxInFlight)) {
      state.onShed();
      const body = JSON.stringify(overloadedProblem(state.retryAfterSeconds, randomUUID()));
      res.writeHead(ERROR_STATUS.OVERLOADED, {
        ...API_SECURITY_HEADERS,
        'content-type': 'application/problem+json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'retry-after': String(state.retryAfterSeconds),
        'cache-control': 'no-store',
      });
      // An unread request body is discarded by Node once the answer is sent; the connection stays open.
      res.end(req.method === 'HEAD' ? undefined : body);
      return false;
    }
    if (state.maxInFlight > 0) {
      this.inFlight++;
      req[COUNTED] = true;
      // 'close' comes once per response, sent or cut off.
      res.once('close', () => this.inFlight--);
    }
    return true;
  }
}

function overloadedProblem(retryAfterSeconds: number, requestId: string) {
  return { ...problemOf('OVERLOADED', `the server is busy; retry in ${retryAfterSeconds} s`, { retryAfterSeconds }), instance: `urn:qingliu:request:${requestId}` };
}

/**
 * Installs shedding on the app; call after the access control hook (staff are recognised by the
 * request context it sets). `onShed` counts each refused request. `gate` is the one given to Fastify
 * as its `serverFactory` (without one, every refusal is made by Fastify).
 */
export async function installOverloadShedding(
  app: FastifyInstance,
  config: Config['overload'],
  onShed: (surface: 'http') => void,
  gate: OverloadGate = new OverloadGate(),
  /** Rows made and not yet written (read on every public request: it must be a count, not a scan). */
  unwrittenRows: () => number = () => 0,
): Promise<Shedding> {
  const { maxEventLoopDelayMs, maxEventLoopUtilizationPercent, maxHeapUsedBytes, maxUnwrittenRows, retryAfterSeconds, sampleIntervalMs } = config;
  // Start-up (migrations, seeding, compiling) weighs on the first samples; a node that just said it
  // is ready must not turn its first requests away for it. Shedding starts two samples after listen.
  let shedFrom = Number.POSITIVE_INFINITY;
  app.addHook('onListen', async () => {
    shedFrom = Date.now() + 2 * sampleIntervalMs;
  });
  // Storage that cannot keep up shows in neither the event loop nor the heap at first: the rows
  // waiting to be written grow until the heap does, and then its collections stall everything.
  const backlogged = maxUnwrittenRows > 0 ? () => unwrittenRows() > maxUnwrittenRows : () => false;
  const underPressureNow = () => Date.now() >= shedFrom && (app.isUnderPressure() || backlogged());

  // The sampler sees a busy event loop, not a queue of requests waiting on the database (or on
  // CPU the loop shares with them): those are bounded by counting what is in flight.
  gate.arm({ underPressure: underPressureNow, maxInFlight: config.maxInFlight, retryAfterSeconds, onShed: () => onShed('http') });
  const overloadedAnswer = (request: FastifyRequest, reply: FastifyReply) => {
    onShed('http');
    reply.status(ERROR_STATUS.OVERLOADED).type('application/problem+json').header('retry-after', String(retryAfterSeconds));
    return overloadedProblem(retryAfterSeconds, request.id);
  };
  if (config.maxInFlight > 0 || maxUnwrittenRows > 0) {
    // What the gate let through uncounted because of a staff cookie: counted here once the cookie
    // proved to be no staff member's (and refused while storage is behind; the sampler's limits
    // are under-pressure's own hook's, below).
    // Callback-style (it runs on every request): answering early is reply.send without done().
    app.addHook('onRequest', (request, reply, done) => {
      if ((request.raw as GatedRequest)[COUNTED] || !shed(request)) return done();
      if (Date.now() >= shedFrom && backlogged()) {
        reply.send(overloadedAnswer(request, reply));
        return;
      }
      if (config.maxInFlight === 0 || request.headers.upgrade !== undefined) return done();
      if (gate.inFlight >= config.maxInFlight) {
        reply.send(overloadedAnswer(request, reply));
        return;
      }
      gate.inFlight++;
      reply.raw.once('close', () => gate.inFlight--);
      done();
    });
  }
  await app.register(underPressure, {
    sampleInterval: sampleIntervalMs,
    // 0 turns a limit off (under-pressure skips a limit set to 0).
    maxEventLoopDelay: maxEventLoopDelayMs,
    maxEventLoopUtilization: maxEventLoopUtilizationPercent / 100,
    maxHeapUsedBytes,
    retryAfter: retryAfterSeconds,
    // Returning nothing lets the request through; returning a body makes under-pressure send it and
    // stop the request there (its types only admit the former, hence the cast below).
    pressureHandler: (request: FastifyRequest, reply: FastifyReply): void => {
      if (Date.now() < shedFrom || !shed(request)) return undefined; // served
      return overloadedAnswer(request, reply) as unknown as void;
    },
  });
  return { underPressure: underPressureNow, retryAfterSeconds };
}

function shed(request: FastifyRequest): boolean {
  // In-process requests (app.inject: the simulation's in-process driver, the demo audience) are the
  // node's own work, not traffic a load balancer could send elsewhere; only network requests are shed.
  // (A connection's socket is a stream; light-my-request's stand-in is not.)
  if (!(request.raw.socket instanceof Duplex)) return false;
  if (!sheddablePath(pathOf(request.url))) return false;
  return request.ctx?.actor.kind !== 'staff';
}

const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/** Public API paths; health, readiness, metrics, pages and signing in are never shed. */
function sheddablePath(path: string): boolean {
  if (NEVER_SHED.has(path) || !path.startsWith('/api/')) return false;
  // Signing in is how staff become exempt; it is rare, so it is never shed either.
  return !path.startsWith('/api/v1/auth/');
}

/** Whether the request carries a staff session cookie at all (whether it is valid is Fastify's to check). */
function hasStaffCookie(req: IncomingMessage): boolean {
  const cookie = req.headers.cookie;
  return cookie !== undefined && cookie.includes(`${SESSION_COOKIE}=`);
}
