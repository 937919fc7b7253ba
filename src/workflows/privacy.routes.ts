/**
 * The viewer's privacy centre over HTTP (device id in the x-qingliu-device header): profile, age
 * and minors mode, the optional child's age band and city tier, the personalisation switch,
 * guardian consent, tags, the data export (JSON and CSV), erasure and the processing rules. Every
 * check is made here, on the server.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../errors/index.js';
import type { Locale } from '../context/index.js';
import { deviceIdOf } from '../modules/consent/index.js';
import { AGE_BANDS, CHILD_AGE_BANDS, CITY_TIERS, GUARDIAN_PURPOSES, type AgeBand, type ChildAgeBand, type CityTier } from '../modules/viewer-profile/index.js';
import { eraseSubject, exportCsv, exportViewerData, type PrivacyModules } from './privacy.js';
import { processingRules, type RulesModules } from './processing-rules.js';

const LocaleSchema = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);
const BrandId = Type.String({ minLength: 1, maxLength: 64 });
const ChildAgeBandSchema = Type.Union([...CHILD_AGE_BANDS.map((b) => Type.Literal(b)), Type.Null()], {
  description: 'Your child’s age band (0–6 months, 6–12 months, 1–3 years, 3–6 years, over 6), or null to clear it',
});
const CityTierSchema = Type.Union([...CITY_TIERS.map((t) => Type.Literal(t)), Type.Null()], {
  description: 'Your city tier (tier1, tier2, tier3_plus), or null to clear it; used only for fairness audits, never for ranking or prices',
});
const ProfileView = Type.Object({
  ageBand: Type.Union([...AGE_BANDS.map((b) => Type.Literal(b)), Type.Null()]),
  declaredAt: Type.Union([Type.Integer(), Type.Null()]),
  childAgeBand: ChildAgeBandSchema,
  cityTier: CityTierSchema,
  mode: Type.String(),
  minorsMode: Type.Boolean(),
  personalisation: Type.Boolean(),
  guardianPurposes: Type.Array(Type.String()),
  spending: Type.Union([Type.Object({ perOrderFen: Type.Integer(), monthlyFen: Type.Integer(), spentThisMonthFen: Type.Integer() }), Type.Null()]),
  region: Type.String(),
});
const GuardianConsentView = Type.Object({
  id: Type.String(),
  brandId: Type.String(),
  granted: Type.Array(Type.String()),
  method: Type.String(),
  noticeVersion: Type.String(),
  noticeHash: Type.String(),
  locale: Type.String(),
  at: Type.Integer(),
});
const writeLimit = { max: 30, timeWindow: '1 minute' };

export function privacyRoutes(
  m: PrivacyModules &
    RulesModules & {
      now: () => number;
      /** Told after the viewer switched personalisation on or off (experiments count the opt-outs). */
      onPersonalisation?: (deviceId: string, brandId: string, on: boolean) => Promise<void>;
    },
) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/api/v1/privacy/profile',
      {
        config: { access: 'public' },
        schema: {
          tags: ['privacy'],
          summary: 'Declared age band, minors mode, guardian consent and the personalisation switch of this device',
          querystring: Type.Object({ brandId: BrandId }, { additionalProperties: false }),
          response: { 200: ProfileView },
        },
      },
      async (request) => m.profile.view(deviceIdOf(request), (request.query as { brandId: string }).brandId),
    );

    app.put(
      '/api/v1/privacy/age',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: 'Declare an age band (under 14 → guardian consent; under 18 → minors mode). A minor band cannot be raised.',
          body: Type.Object({ brandId: BrandId, ageBand: Type.Union(AGE_BANDS.map((b) => Type.Literal(b))) }, { additionalProperties: false }),
          response: { 200: ProfileView },
        },
      },
      async (request) => {
        const deviceId = deviceIdOf(request);
        const body = request.body as { brandId: string; ageBand: AgeBand };
        unwrap(await m.profile.declareAge(deviceId, body.ageBand));
        return m.profile.view(deviceId, body.brandId);
      },
    );

    app.put(
      '/api/v1/privacy/child-age',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: 'Declare (or clear) your child’s age band for better suggestions; used only under the personalised-recommendations consent',
          body: Type.Object({ brandId: BrandId, childAgeBand: ChildAgeBandSchema }, { additionalProperties: false }),
          response: { 200: ProfileView },
        },
      },
      async (request) => {
        const deviceId = deviceIdOf(request);
        const body = request.body as { brandId: string; childAgeBand: ChildAgeBand | null };
        unwrap(await m.profile.declareChildAge(deviceId, body.childAgeBand));
        return m.profile.view(deviceId, body.brandId);
      },
    );

    app.put(
      '/api/v1/privacy/city-tier',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: 'Declare (or clear) your city tier; used only to audit that no group of viewers is treated worse, never for ranking or prices',
          body: Type.Object({ brandId: BrandId, cityTier: CityTierSchema }, { additionalProperties: false }),
          response: { 200: ProfileView },
        },
      },
      async (request) => {
        const deviceId = deviceIdOf(request);
        const body = request.body as { brandId: string; cityTier: CityTier | null };
        unwrap(await m.profile.declareCityTier(deviceId, body.cityTier));
        return m.profile.view(deviceId, body.brandId);
      },
    );

    app.put(
      '/api/v1/privacy/personalisation',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: 'Switch personalised recommendations on or off (A1); effective on the next request',
          body: Type.Object({ brandId: BrandId, on: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: ProfileView },
        },
      },
      async (request) => {
        const deviceId = deviceIdOf(request);
        const body = request.body as { brandId: string; on: boolean };
        unwrap(await m.profile.setPersonalisation(deviceId, body.on));
        await m.onPersonalisation?.(deviceId, body.brandId, body.on);
        return m.profile.view(deviceId, body.brandId);
      },
    );

    app.post(
      '/api/v1/privacy/guardian-requests',
      {
        config: { access: 'public', rateLimit: { max: 10, timeWindow: '1 minute' } },
        schema: {
          tags: ['privacy'],
          summary: 'A viewer under 14 asks a guardian to consent: a one-time link to hand over (valid 24 h)',
          body: Type.Object({ brandId: BrandId }, { additionalProperties: false }),
          response: { 201: Type.Object({ code: Type.String(), expiresAt: Type.Integer(), path: Type.String() }) },
        },
      },
      async (request, reply) => {
        const issued = unwrap(await m.profile.requestGuardian(deviceIdOf(request), (request.body as { brandId: string }).brandId));
        // The code travels in the fragment, so it is never sent to a server log or a referrer.
        return reply.status(201).send({ ...issued, path: `/guardian#code=${issued.code}` });
      },
    );

    app.post(
      '/api/v1/privacy/guardian-consent/withdraw',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: "Withdraw a guardian's consent for this device's child (as easy as granting)",
          body: Type.Object({ brandId: BrandId }, { additionalProperties: false }),
          response: { 201: GuardianConsentView },
        },
      },
      async (request, reply) => reply.status(201).send(unwrap(await m.profile.withdrawGuardian(deviceIdOf(request), (request.body as { brandId: string }).brandId))),
    );

    app.post(
      '/api/v1/guardian/notice',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: 'The separate notice a guardian reads (the code is sent in the body, never in a URL)',
          body: Type.Object({ code: Type.String({ maxLength: 64 }), locale: LocaleSchema }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const body = request.body as { code: string; locale: Locale };
        return unwrap(await m.profile.guardianNotice(body.code, body.locale));
      },
    );

    app.post(
      '/api/v1/guardian/consent',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: "A guardian's decision for a child under 14, from the guardian's own device (its id in the device header)",
          body: Type.Object(
            {
              code: Type.String({ maxLength: 64 }),
              relationship: Type.Union([Type.Literal('parent'), Type.Literal('legal_guardian')]),
              granted: Type.Array(Type.String({ maxLength: 64 }), { maxItems: GUARDIAN_PURPOSES.length + 5, uniqueItems: true }),
              noticeVersion: Type.String({ maxLength: 64 }),
              noticeHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
              locale: LocaleSchema,
            },
            { additionalProperties: false },
          ),
          response: { 201: GuardianConsentView },
        },
      },
      async (request, reply) => {
        const { code, ...rest } = request.body as { code: string; relationship: 'parent' | 'legal_guardian'; granted: string[]; noticeVersion: string; noticeHash: string; locale: Locale };
        return reply.status(201).send(unwrap(await m.profile.guardianDecide(code, { ...rest, guardianDeviceId: deviceIdOf(request) })));
      },
    );

    app.get(
      '/api/v1/privacy/tags',
      {
        config: { access: 'public' },
        schema: { tags: ['privacy'], summary: 'Every interest tag used for ranking this device’s viewer (A3)' },
      },
      async (request) => ({ items: await m.tags.list(m.protection.subjectFor(deviceIdOf(request), m.region)) }),
    );

    app.delete(
      '/api/v1/privacy/tags/:tag',
      {
        config: { access: 'public', rateLimit: writeLimit },
        schema: {
          tags: ['privacy'],
          summary: 'Delete one interest tag; it is never derived again from earlier events (A3)',
          params: Type.Object({ tag: Type.String({ pattern: '^[a-z]+:[A-Za-z0-9_-]{1,64}$' }) }),
        },
      },
      async (request, reply) => {
        const subject = m.protection.subjectFor(deviceIdOf(request), m.region);
        unwrap(await m.tags.deleteTag(subject, (request.params as { tag: string }).tag));
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/v1/privacy/data',
      {
        config: { access: 'public' },
        schema: {
          tags: ['privacy'],
          summary: 'Everything held about this device’s viewer, opened (R1); ?format=csv or ?download=true for a file',
          querystring: Type.Object(
            { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])), download: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const q = request.query as { format?: 'json' | 'csv'; download?: boolean };
        const data = await exportViewerData(m, deviceIdOf(request), m.now());
        const stamp = data.generatedAt.slice(0, 10);
        reply.header('cache-control', 'no-store');
        if (q.format === 'csv') {
          return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="qingliu-my-data-${stamp}.csv"`).send(exportCsv(data));
        }
        if (q.download) reply.header('content-disposition', `attachment; filename="qingliu-my-data-${stamp}.json"`);
        return data;
      },
    );

    app.post(
      '/api/v1/privacy/erasure',
      {
        config: { access: 'public', rateLimit: { max: 5, timeWindow: '1 minute' } },
        schema: {
          tags: ['privacy'],
          summary: 'Delete everything held about this device’s viewer: the data key is destroyed and all derived data deleted',
          body: Type.Object({ confirm: Type.Literal(true) }, { additionalProperties: false }),
        },
      },
      async (request) => eraseSubject(request.ctx, m, m.protection.subjectFor(deviceIdOf(request), m.region)),
    );

    app.get(
      '/api/v1/privacy/rules',
      {
        config: { access: 'public' },
        schema: {
          tags: ['privacy'],
          summary: 'The processing rules (R4): purposes, data, retention, region, minors, rights, contact — versioned',
          querystring: Type.Object({ brandId: BrandId, locale: Type.Optional(LocaleSchema) }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const q = request.query as { brandId: string; locale?: Locale };
        return unwrap(await processingRules(m, q.brandId, q.locale ?? request.ctx.locale));
      },
    );
  };
}
