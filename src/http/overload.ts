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
 */
import { Duplex } from 'node:stream';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { ERROR_STATUS, problemOf } from '../errors/index.js';

/** Always served, whatever the load: the operator's and load balancer's view of the node. */
const NEVER_SHED = new Set(['/healthz', '/readyz', '/metrics']);

export interface Shedding {
  /** True while the last sample was above a limit. */
  underPressure(): boolean;
  retryAfterSeconds: number;
}

/**
 * Installs shedding on the app; call after the access control hook (staff are recognised by the
 * request context it sets). `onShed` counts each refused request.
 */
export async function installOverloadShedding(app: FastifyInstance, config: Config['overload'], onShed: (surface: 'http') => void): Promise<Shedding> {
  const { maxEventLoopDelayMs, maxEventLoopUtilizationPercent, maxHeapUsedBytes, retryAfterSeconds, sampleIntervalMs } = config;
  // Start-up (migrations, seeding, compiling) weighs on the first samples; a node that just said it
  // is ready must not turn its first requests away for it. Shedding starts two samples after listen.
  let shedFrom = Number.POSITIVE_INFINITY;
  app.addHook('onListen', async () => {
    shedFrom = Date.now() + 2 * sampleIntervalMs;
  });
  const underPressureNow = () => Date.now() >= shedFrom && app.isUnderPressure();

  // The sampler sees a busy event loop, not a queue of requests waiting on the database (or on
  // CPU the loop shares with them): those are bounded by counting what is in flight.
  let inFlight = 0;
  const overloadedAnswer = (request: FastifyRequest, reply: FastifyReply) => {
    onShed('http');
    reply.status(ERROR_STATUS.OVERLOADED).type('application/problem+json').header('retry-after', String(retryAfterSeconds));
    return { ...problemOf('OVERLOADED', `the server is busy; retry in ${retryAfterSeconds} s`, { retryAfterSeconds }), instance: `urn:qingliu:request:${request.id}` };
  };
  if (config.maxInFlight > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.upgrade !== undefined || !shed(request)) return;
      if (inFlight >= config.maxInFlight) return reply.send(overloadedAnswer(request, reply));
      inFlight++;
      // 'close' comes once per response, sent or cut off.
      reply.raw.once('close', () => inFlight--);
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
  const path = request.url.split('?')[0] ?? '';
  if (NEVER_SHED.has(path)) return false;
  if (!path.startsWith('/api/')) return false;
  // Signing in is how staff become exempt; it is rare, so it is never shed either.
  if (path.startsWith('/api/v1/auth/')) return false;
  return request.ctx?.actor.kind !== 'staff';
}
