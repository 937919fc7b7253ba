/**
 * HTTP plumbing shared by every module's routes: deny-by-default access control, the request
 * context, problem+json errors, and validators that refuse unknown or wrong-typed fields.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, problemOf, type ErrorCode } from '../errors/index.js';
import { isStorageUnavailable } from '../storage/unavailable.js';
import { ANONYMOUS, type Actor, type Locale, type RequestContext, type StaffActor, type StaffRole } from '../context/index.js';

/** Every /api route states who may call it: 'public', or the staff roles allowed. */
export type Access = 'public' | 'staff' | readonly StaffRole[];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyInstance {
    /** Every /api/v1 route with who may call it (for role tests and the API docs). */
    routeAccess: RouteAccess[];
  }
}

export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

export const SESSION_COOKIE = 'qingliu_staff';

export interface HttpOptions {
  /** Resolves a session cookie's token to a staff actor. */
  actorForToken(token: string): Promise<StaffActor | undefined>;
  /** Origins (besides the request's own) allowed to send cookie-authenticated writes. */
  allowedOrigins: readonly string[];
}

/** Validators: bodies are strict (no coercion, no unknown fields); query strings and params coerce. */
export function installValidators(app: FastifyInstance): void {
  const strict = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes: false, strict: false });
  const coercing = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes: true, strict: false });
  addFormats.default(strict);
  addFormats.default(coercing);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema)));
}

export function installAccessControl(app: FastifyInstance, options: HttpOptions): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);
  const routes: RouteAccess[] = [];
  app.decorate('routeAccess', routes);

  // Deny by default: a route under /api without a stated access fails at start-up, not in production.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1')) return;
    const access = route.config?.access;
    if (access === undefined) throw new Error(`route ${String(route.method)} ${route.url} does not state its access`);
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url, access });
    if (access !== 'public' && route.schema) {
      // The API docs show who may call each staff route.
      const who = access === 'staff' ? 'any signed-in staff member' : `roles: ${access.join(', ')}`;
      route.schema = { ...route.schema, security: [{ staffCookie: [] }], description: `Staff only (${who}).` };
    }
  });

  // Hooks on every request are callback-style: a viewer's request (no cookie, a public route) passes
  // them without a promise and a microtask each.
  app.addHook('onRequest', (request, _reply, done) => {
    const token = request.cookies?.[SESSION_COOKIE];
    if (!token) {
      request.ctx = { requestId: request.id, actor: ANONYMOUS, locale: localeOf(request) };
      return done();
    }
    options.actorForToken(token).then((staff) => {
      const actor: Actor = staff ?? ANONYMOUS;
      request.ctx = { requestId: request.id, actor, locale: localeOf(request) };
      done();
    }, done);
  });

  // Before validation: a caller without the role learns nothing, not even what a valid request looks like.
  app.addHook('preValidation', (request, _reply, done) => {
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return done();
    try {
      const actor = request.ctx.actor;
      if (actor.kind !== 'staff') throw new AppError('UNAUTHENTICATED');
      if (access !== 'staff' && !access.includes(actor.role)) throw new AppError('FORBIDDEN');
      // Cookie-authenticated writes must come from our own pages (defence in depth beside SameSite).
      if (request.method !== 'GET' && request.method !== 'HEAD') checkOrigin(request, options.allowedOrigins);
    } catch (err) {
      return done(err as Error);
    }
    done();
  });
}

function checkOrigin(request: FastifyRequest, allowed: readonly string[]): void {
  const origin = request.headers.origin;
  if (!origin) return;
  const own = `${request.protocol}://${request.host}`;
  if (origin === own || allowed.includes(origin)) return;
  throw new AppError('ORIGIN_NOT_ALLOWED');
}

/** True when a browser Origin header is this server or an allowed origin (WebSocket upgrade check). */
export function originAllowed(request: FastifyRequest, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  return origin === `${request.protocol}://${request.host}` || allowed.includes(origin);
}

function localeOf(request: FastifyRequest): Locale {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  if (q === 'en' || q === 'zh-CN') return q;
  const header = request.headers['accept-language'];
  if (typeof header === 'string' && /^en\b/i.test(header.trim())) return 'en';
  return 'zh-CN';
}

/** Sends a problem+json reply. */
export function sendProblem(reply: FastifyReply, code: ErrorCode, detail?: string, extensions: Record<string, unknown> = {}) {
  return reply
    .status(ERROR_STATUS[code])
    .type('application/problem+json')
    .send({ ...problemOf(code, detail, extensions), instance: `urn:qingliu:request:${reply.request.id}` });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      if ((error.code === 'RATE_LIMITED' || error.code === 'OVERLOADED' || error.code === 'NOT_READY') && error.extensions.retryAfterSeconds) {
        reply.header('retry-after', String(error.extensions.retryAfterSeconds));
      }
      return sendProblem(reply, error.code, error.detail, error.extensions);
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const errors = fe.validation.map((v) => ({
        field: fieldOf(fe.validationContext ?? 'body', v.instancePath, v.params as Record<string, unknown>),
        reason: v.message ?? 'invalid',
      }));
      return sendProblem(reply, 'VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.reason}`).join('; '), { errors });
    }
    switch (fe.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(reply, 'MALFORMED_JSON');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, 'PAYLOAD_TOO_LARGE');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, 'UNSUPPORTED_MEDIA_TYPE');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendProblem(reply, 'VALIDATION_FAILED', 'content-length does not match the body');
    }
    if (fe.statusCode === 429) return sendProblem(reply, 'RATE_LIMITED');
    if (isStorageUnavailable(error)) {
      // The client resends the same request (writes carry client ids, so they are stored once) when it is back.
      request.log.warn({ requestId: request.id, code: (error as { code?: unknown }).code }, 'database unavailable');
      reply.header('retry-after', '2');
      return sendProblem(reply, 'NOT_READY', 'the database is not reachable; try again shortly', { retryAfterSeconds: 2 });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      // A client error raised by a plugin: answer with a stable code, never the raw message.
      const code: ErrorCode = fe.statusCode === 404 ? 'NOT_FOUND' : fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_FAILED';
      return sendProblem(reply, code);
    }
    // Unknown fault: log the cause (never personal data by construction) and answer generically.
    request.log.error({ err: error, requestId: request.id }, 'unhandled error');
    return sendProblem(reply, 'INTERNAL');
  });

  // The API's routes by path pattern, to tell "no such path" (404) from "not with this method" (405).
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const source = `^${route.url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+').replace(/\*/g, '.*')}/?$`;
    let entry = routes.find((r) => r.pattern.source === source);
    if (!entry) routes.push((entry = { pattern: new RegExp(source), methods: new Set() }));
    for (const method of [route.method].flat()) entry.methods.add(method);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]));
    if (allowed.size > 0 && !allowed.has(request.method)) {
      const allow = [...allowed].sort().join(', ');
      reply.header('allow', allow);
      return sendProblem(reply, 'METHOD_NOT_ALLOWED', `${request.method} ${path}: allowed ${allow}`);
    }
    return sendProblem(reply, 'ROUTE_NOT_FOUND', `${request.method} ${path}`);
  });
}

function fieldOf(part: string, instancePath: string, params: Record<string, unknown>): string {
  const path = instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = (params.additionalProperty ?? params.missingProperty) as string | undefined;
  const tail = [path, extra].filter(Boolean).join('.');
  return tail ? `${part}.${tail}` : part;
}
