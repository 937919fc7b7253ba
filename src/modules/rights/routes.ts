import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../../errors/index.js';
import { DEVICE_HEADER, deviceIdOf } from '../consent/index.js';
import { TICKET_KINDS, TICKET_STATUSES } from './ports.js';
import { DETAILS_MAX, LIST_LIMIT_MAX, REASON_MAX, type NewTicket, type Resolution, type RightsService, type TicketFilter } from './service.js';

const officers = ['compliance', 'admin'] as const;

const Kind = Type.Union(TICKET_KINDS.map((k) => Type.Literal(k)));
const Status = Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)));
const LocaleSchema = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);
const TicketId = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: 'Ticket reference number' }) }, { additionalProperties: false });

const ViewerTicket = Type.Object({
  id: Type.String(),
  kind: Kind,
  status: Status,
  details: NullableString,
  detailsErased: Type.Boolean(),
  locale: LocaleSchema,
  region: Type.String(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  dueAt: Type.Integer(),
  closedAt: NullableInt,
  reason: NullableString,
});

const metadataFields = {
  id: Type.String(),
  kind: Kind,
  status: Status,
  createdAt: Type.Integer(),
  dueAt: Type.Integer(),
  overdue: Type.Boolean(),
  closedAt: NullableInt,
};
const TicketMetadata = Type.Object(metadataFields);
const StaffTicket = Type.Object({
  ...metadataFields,
  locale: LocaleSchema,
  region: Type.String(),
  updatedAt: Type.Integer(),
  handledBy: NullableString,
  handledByName: NullableString,
  reason: NullableString,
  details: Type.Optional(NullableString),
  detailsErased: Type.Optional(Type.Boolean()),
});
const PerStatus = Type.Object(Object.fromEntries(TICKET_STATUSES.map((s) => [s, Type.Integer()])));

export function rightsRoutes(service: RightsService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    // ---- viewers (identified by their device id) ----
    app.post(
      '/api/v1/privacy/tickets',
      {
        config: { access: 'public', rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags: ['privacy'],
          summary: `File a rights request: access, correction, deletion, explanation or complaint (device id in the ${DEVICE_HEADER} header)`,
          body: Type.Object(
            {
              kind: Kind,
              details: Type.String({ minLength: 1, maxLength: DETAILS_MAX, description: 'In the viewer’s words; sealed under their data key' }),
              locale: LocaleSchema,
            },
            { additionalProperties: false },
          ),
          response: { 201: ViewerTicket },
        },
      },
      async (request, reply) => {
        const deviceId = deviceIdOf(request);
        return reply.status(201).send(unwrap(await service.file(request.ctx, deviceId, request.body as NewTicket)));
      },
    );

    app.get(
      '/api/v1/privacy/tickets',
      {
        config: { access: 'public', rateLimit: { max: 60, timeWindow: '1 minute' } },
        schema: {
          tags: ['privacy'],
          summary: `This device's rights requests, newest first: status, due date, and a rejection's reason (device id in the ${DEVICE_HEADER} header)`,
          response: { 200: Type.Object({ items: Type.Array(ViewerTicket) }) },
        },
      },
      async (request, reply) => {
        const items = await service.ticketsOfDevice(deviceIdOf(request));
        return reply.header('cache-control', 'no-store').send({ items });
      },
    );

    // ---- compliance officers ----
    app.get(
      '/api/v1/compliance/tickets',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Rights requests, newest first: metadata only, never the viewer’s words',
          querystring: Type.Object(
            {
              status: Type.Union([Status, Type.Literal('all')], { default: 'all' }),
              overdue: Type.Boolean({ default: false, description: 'Only open tickets past their due date' }),
              limit: Type.Integer({ minimum: 1, maximum: LIST_LIMIT_MAX, default: 100 }),
              after: Type.Optional(Type.String({ maxLength: 100, description: 'The `next` value of the previous page' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(TicketMetadata), next: NullableString }) },
        },
      },
      async (request) => unwrap(await service.list(request.ctx, request.query as TicketFilter)),
    );

    app.get(
      '/api/v1/compliance/tickets/summary',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Rights requests counted per status and kind, and how many open ones are overdue',
          response: {
            200: Type.Object({
              total: Type.Integer(),
              byStatus: PerStatus,
              byKind: Type.Object(Object.fromEntries(TICKET_KINDS.map((k) => [k, PerStatus]))),
              overdue: Type.Integer(),
            }),
          },
        },
      },
      async (request) => unwrap(await service.summary(request.ctx)),
    );

    app.get(
      '/api/v1/compliance/tickets/:id',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'One rights request with the viewer’s words; every read is written to the access log',
          params: TicketId,
          response: { 200: StaffTicket },
        },
      },
      async (request, reply) => {
        const ticket = unwrap(await service.read(request.ctx, (request.params as { id: string }).id));
        return reply.header('cache-control', 'no-store').send(ticket);
      },
    );

    app.post(
      '/api/v1/compliance/tickets/:id/resolve',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Complete or reject an open rights request (a rejection needs a reason, shown to the viewer); completing a deletion erases the viewer',
          params: TicketId,
          body: Type.Object(
            {
              outcome: Type.Union([Type.Literal('completed'), Type.Literal('rejected')]),
              reason: Type.Optional(Type.String({ maxLength: REASON_MAX })),
            },
            { additionalProperties: false },
          ),
          response: { 200: StaffTicket },
        },
      },
      async (request) => unwrap(await service.resolve(request.ctx, (request.params as { id: string }).id, request.body as Resolution)),
    );
  };
}
