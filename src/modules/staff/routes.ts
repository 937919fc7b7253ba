import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError, unwrap } from '../../errors/index.js';
import { STAFF_ROLES } from '../../context/index.js';
import { SESSION_COOKIE } from '../../http/index.js';
import type { StaffService } from './service.js';

const User = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.Union(STAFF_ROLES.map((r) => Type.Literal(r))),
});
const Credentials = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

export interface StaffRouteOptions {
  cookieSecure: 'auto' | 'always' | 'never';
}

export function staffRoutes(service: StaffService, options: StaffRouteOptions) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post(
      '/api/v1/auth/login',
      {
        config: { access: 'public', rateLimit: { max: 10, timeWindow: '1 minute' } },
        schema: {
          tags: ['staff'],
          summary: 'Sign in; sets an HttpOnly session cookie',
          body: Credentials,
          response: { 200: Type.Object({ user: User, expiresAt: Type.Integer() }) },
        },
      },
      async (request, reply) => {
        const { name, password } = request.body as { name: string; password: string };
        const session = unwrap(await service.login(name, password));
        reply.setCookie(SESSION_COOKIE, session.token, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: options.cookieSecure === 'always' || (options.cookieSecure === 'auto' && request.protocol === 'https'),
          expires: new Date(session.expiresAt),
        });
        return { user: { id: session.user.id, name: session.user.name, role: session.user.role }, expiresAt: session.expiresAt };
      },
    );

    app.post(
      '/api/v1/auth/logout',
      { config: { access: 'public' }, schema: { tags: ['staff'], summary: 'Sign out' } },
      async (request, reply) => {
        const token = request.cookies[SESSION_COOKIE];
        if (token) await service.logout(token);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/v1/auth/me',
      { config: { access: 'staff' }, schema: { tags: ['staff'], summary: 'Who is signed in', response: { 200: Type.Object({ user: User }) } } },
      async (request) => {
        const a = request.ctx.actor;
        if (a.kind !== 'staff') throw new AppError('UNAUTHENTICATED');
        return { user: { id: a.id, name: a.name, role: a.role } };
      },
    );

    app.get(
      '/api/v1/auth/setup',
      {
        config: { access: 'public' },
        schema: { tags: ['staff'], summary: 'Whether the first administrator still has to be created', response: { 200: Type.Object({ needed: Type.Boolean() }) } },
      },
      async () => ({ needed: await service.setupNeeded() }),
    );

    app.post(
      '/api/v1/auth/setup',
      {
        config: { access: 'public', rateLimit: { max: 10, timeWindow: '1 minute' } },
        schema: {
          tags: ['staff'],
          summary: 'Create the first administrator with the one-time setup token printed at start-up',
          body: Type.Object(
            { token: Type.String({ minLength: 1, maxLength: 128 }), name: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 256 }) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ user: User }) },
        },
      },
      async (request, reply) => {
        const { token, name, password } = request.body as { token: string; name: string; password: string };
        const user = unwrap(await service.completeSetup(request.ctx, token, name, password));
        return reply.status(201).send({ user: { id: user.id, name: user.name, role: user.role } });
      },
    );

    app.get(
      '/api/v1/users',
      {
        config: { access: ['admin'] },
        schema: { tags: ['staff'], summary: 'Staff accounts', response: { 200: Type.Object({ items: Type.Array(User) }) } },
      },
      async (request) => ({ items: await service.listUsers(request.ctx) }),
    );

    app.post(
      '/api/v1/users',
      {
        config: { access: ['admin'] },
        schema: {
          tags: ['staff'],
          summary: 'Create a staff account',
          body: Type.Object(
            {
              name: Type.String({ maxLength: 64 }),
              role: Type.Union(STAFF_ROLES.map((r) => Type.Literal(r))),
              password: Type.String({ maxLength: 256 }),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ user: User }) },
        },
      },
      async (request, reply) => {
        const body = request.body as { name: string; role: string; password: string };
        const user = unwrap(await service.addUser(request.ctx, body));
        return reply.status(201).send({ user: { id: user.id, name: user.name, role: user.role } });
      },
    );
  };
}
