import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../../errors/index.js';
import type { Locale } from '../../context/index.js';
import { DEVICE_HEADER, deviceIdOf } from '../consent/index.js';
import { BASIS_KINDS, TRANSFER_OUTCOMES, type TransferOutcome } from './ports.js';
import { THRESHOLDS } from './thresholds.js';
import type { TransferService } from './service.js';

const officers = ['compliance', 'admin'] as const;

const LocaleSchema = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);
const DestinationId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,63}$' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Bilingual = (max: number) => Type.Object({ zh: Text(max), en: Text(max) }, { additionalProperties: false });
const EpochMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });

const CategorySchema = Type.Object(
  { id: Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' }), zh: Text(100), en: Text(100), sensitive: Type.Boolean() },
  { additionalProperties: false },
);

const DestinationBody = Type.Object(
  {
    id: DestinationId,
    recipientName: Text(200),
    contact: Text(200),
    region: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
    purpose: Bilingual(500),
    method: Bilingual(500),
    rights: Bilingual(500),
    categories: Type.Array(CategorySchema, { minItems: 1, maxItems: 20 }),
    baseUrl: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

const BasisBody = Type.Object(
  {
    kind: Type.Union(BASIS_KINDS.map((k) => Type.Literal(k))),
    reference: Text(200),
    validFrom: EpochMs,
    validUntil: EpochMs,
  },
  { additionalProperties: false },
);

const DecisionBody = Type.Object(
  {
    destinationId: DestinationId,
    decision: Type.Union([Type.Literal('grant'), Type.Literal('withdraw')]),
    noticeVersion: Type.String({ maxLength: 64 }),
    noticeHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    locale: LocaleSchema,
  },
  { additionalProperties: false },
);

const Receipt = Type.Object({
  consentId: Type.String(),
  destinationId: Type.String(),
  decision: Type.Union([Type.Literal('granted'), Type.Literal('withdrawn')]),
  noticeVersion: Type.String(),
  noticeHash: Type.String(),
  locale: LocaleSchema,
  region: Type.String(),
  at: Type.Integer(),
});

const Year = Type.Integer({ minimum: 2000, maximum: 9999 });
const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 100 });

/** Viewer endpoints (public, device id in the header) and compliance endpoints (compliance, admin). */
export function transferRoutes(service: TransferService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    // ---- viewers ----
    app.get(
      '/api/v1/transfer/destinations',
      {
        config: { access: 'public' },
        schema: {
          tags: ['transfer'],
          summary: 'Recipients outside the region that a viewer may be asked to consent to (PIPL 39)',
          querystring: Type.Object({ locale: Type.Optional(LocaleSchema) }, { additionalProperties: false }),
        },
      },
      async (request) => ({ items: await service.publicDestinations((request.query as { locale?: Locale }).locale ?? request.ctx.locale) }),
    );

    app.get(
      '/api/v1/transfer/destinations/:destinationId/notice',
      {
        config: { access: 'public' },
        schema: {
          tags: ['transfer'],
          summary: 'The separate notice for one recipient outside the region: its exact text and SHA-256',
          params: Type.Object({ destinationId: DestinationId }),
          querystring: Type.Object({ locale: Type.Optional(LocaleSchema) }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { destinationId } = request.params as { destinationId: string };
        return unwrap(await service.notice(destinationId, (request.query as { locale?: Locale }).locale ?? request.ctx.locale));
      },
    );

    app.post(
      '/api/v1/transfer/consents',
      {
        config: { access: 'public', rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags: ['transfer'],
          summary: `Grant or withdraw separate consent to one recipient outside the region (device id in the ${DEVICE_HEADER} header)`,
          body: DecisionBody,
          response: { 201: Receipt },
        },
      },
      async (request, reply) => {
        const deviceId = deviceIdOf(request);
        const body = request.body as Static<typeof DecisionBody>;
        return reply.status(201).send(unwrap(await service.decide(request.ctx, { ...body, deviceId })));
      },
    );

    app.get(
      '/api/v1/transfer/consents',
      {
        config: { access: 'public' },
        schema: {
          tags: ['transfer'],
          summary: `Every separate-consent decision of this device, oldest first (device id in the ${DEVICE_HEADER} header)`,
          querystring: Type.Object({ destinationId: Type.Optional(DestinationId) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(Receipt) }) },
        },
      },
      async (request) => {
        const { destinationId } = request.query as { destinationId?: string };
        const items = await service.receipts(deviceIdOf(request));
        return { items: destinationId ? items.filter((r) => r.destinationId === destinationId) : items };
      },
    );

    // ---- compliance ----
    app.get(
      '/api/v1/compliance/transfer/destinations',
      {
        config: { access: officers },
        schema: { tags: ['compliance'], summary: 'Registered recipients with their transfer bases and whether transfers may go now' },
      },
      async (request) => ({ items: await service.destinations(request.ctx) }),
    );

    app.post(
      '/api/v1/compliance/transfer/destinations',
      {
        config: { access: officers },
        schema: { tags: ['compliance'], summary: 'Register a recipient (recorded with who and when; never updated afterwards)', body: DestinationBody },
      },
      async (request, reply) => reply.status(201).send(unwrap(await service.createDestination(request.ctx, request.body as Static<typeof DestinationBody>))),
    );

    app.post(
      '/api/v1/compliance/transfer/destinations/:destinationId/bases',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Record a transfer basis (PIPL 38): filed standard contract, certification or CAC security assessment',
          params: Type.Object({ destinationId: DestinationId }),
          body: BasisBody,
        },
      },
      async (request, reply) => {
        const { destinationId } = request.params as { destinationId: string };
        return reply.status(201).send(unwrap(await service.recordBasis(request.ctx, destinationId, request.body as Static<typeof BasisBody>)));
      },
    );

    app.post(
      '/api/v1/compliance/transfer/bases/:basisId/revoke',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Revoke a transfer basis: transfers relying on it stop at once',
          params: Type.Object({ basisId: Type.String({ pattern: '^[0-9a-z]{1,64}$' }) }),
          body: Type.Object({ reason: Text(500) }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { basisId } = request.params as { basisId: string };
        return unwrap(await service.revokeBasis(request.ctx, basisId, (request.body as { reason: string }).reason));
      },
    );

    app.get(
      '/api/v1/compliance/transfer/changes',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Changes to the recipient registry, newest first: who, when, what',
          querystring: Type.Object({ destinationId: Type.Optional(DestinationId), limit: Limit }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const q = request.query as { destinationId?: string; limit: number };
        return { items: await service.changes(request.ctx, { limit: q.limit, ...(q.destinationId ? { destinationId: q.destinationId } : {}) }) };
      },
    );

    app.get(
      '/api/v1/compliance/transfer/counter',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: `Individuals whose personal information left the region in a China calendar year (UTC+8), against the thresholds ${THRESHOLDS.map((t) => t.id).join(', ')}`,
          querystring: Type.Object({ year: Type.Optional(Year) }, { additionalProperties: false }),
        },
      },
      async (request) => service.counter(request.ctx, (request.query as { year?: number }).year),
    );

    app.get(
      '/api/v1/compliance/transfer/alerts',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Threshold alerts (each raised once per year, threshold and level)',
          querystring: Type.Object({ year: Type.Optional(Year) }, { additionalProperties: false }),
        },
      },
      async (request) => ({ items: await service.alerts(request.ctx, (request.query as { year?: number }).year) }),
    );

    app.get(
      '/api/v1/compliance/transfer/log',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Recent outbound calls, refused and made, newest first (counts and categories, no subject ids)',
          querystring: Type.Object(
            { outcome: Type.Optional(Type.Union(TRANSFER_OUTCOMES.map((o) => Type.Literal(o)))), limit: Limit },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const q = request.query as { outcome?: TransferOutcome; limit: number };
        return { items: await service.transferLog(request.ctx, { limit: q.limit, ...(q.outcome ? { outcome: q.outcome } : {}) }) };
      },
    );
  };
}
