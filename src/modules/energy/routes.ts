/**
 * Energy and carbon over HTTP: a live session's meter (its host, compliance officers and
 * administrators), and for compliance officers the report, its trend (also as CSV) and the region
 * advice. Periods are ISO 8601 times or epoch milliseconds; the report defaults to the last 30 days.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/index.js';
import type { EnergyService, TrendPoint } from './service.js';

const DAY_MS = 86_400_000;
/** The longest period a request may cover (hourly trends are capped at 93 days). */
export const MAX_PERIOD_DAYS = 3 * 366;
const officers = ['admin', 'compliance'] as const;

const Period = Type.Object(
  {
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    until: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  { additionalProperties: false },
);
const TrendQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    until: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'day' }),
    download: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A time from a query: epoch milliseconds, or an ISO 8601 date or date-time. A time without an
 * offset is China time (UTC+8), so the same query means the same on every server; impossible
 * calendar dates (30 February) are refused, not rolled over.
 */
export function parseTime(field: string, raw: string): number {
  const bad = () => new AppError('VALIDATION_FAILED', `${field} must be an ISO 8601 time (e.g. 2026-11-01 or 2026-11-01T08:00:00+08:00; China time when no offset is given) or epoch milliseconds`);
  if (/^\d{1,16}$/.test(raw)) {
    const t = Number(raw);
    if (t > 8_640_000_000_000_000) throw bad();
    return t;
  }
  const m = ISO_TIME.exec(raw);
  if (!m) throw bad();
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) throw bad();
  const zone = m[8] ?? '+08:00';
  const offsetMinutes = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  if (Math.abs(offsetMinutes) > 14 * 60) throw bad();
  const millis = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** The period asked for: until defaults to now, since to `defaultDays` before until. */
export function parsePeriod(q: { since?: string; until?: string }, now: number, defaultDays: number, maxDays = MAX_PERIOD_DAYS): { since: number; until: number } {
  const until = q.until !== undefined ? parseTime('until', q.until) : now;
  const since = q.since !== undefined ? parseTime('since', q.since) : until - defaultDays * DAY_MS;
  if (!(since < until)) throw new AppError('VALIDATION_FAILED', 'since must be before until');
  if (until - since > maxDays * DAY_MS) throw new AppError('VALIDATION_FAILED', `the period may cover at most ${maxDays} days`);
  return { since, until };
}

export function trendCsv(points: readonly TrendPoint[]): string {
  const header = 'start,cpu_seconds,energy_kwh,carbon_g,recommendations,g_per_1000_recommendations,method';
  const lines = points.map((p) => [p.start, p.cpuSeconds, p.energyKwh, p.carbonG, p.recommendations, p.gPer1000Recommendations ?? '', p.method].join(','));
  return [header, ...lines].join('\n') + '\n';
}

export interface EnergyRouteOptions {
  /**
   * The session's live window and whether the caller may manage it (an administrator, or its
   * host), from one read; undefined when there is no such session.
   */
  sessionAccess(request: FastifyRequest, sessionId: string): Promise<{ window: { startedAt: number | null; endedAt: number | null; live: boolean }; canManage: boolean } | undefined>;
  now(): number;
}

export function energyRoutes(service: EnergyService, options: EnergyRouteOptions) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/api/v1/sessions/:sessionId/energy',
      {
        config: { access: ['admin', 'compliance', 'host'] },
        schema: {
          tags: ['energy'],
          summary: "The live energy meter: what this session's work used so far (Wh, gCO2e, per 1,000 recommendations, per session hour), with its method and grid factor",
          params: Type.Object({ sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        const access = await options.sessionAccess(request, sessionId);
        if (!access) throw new AppError('SESSION_NOT_FOUND');
        const actor = request.ctx.actor;
        if (actor.kind === 'staff' && actor.role === 'host' && !access.canManage) throw new AppError('FORBIDDEN', 'you do not host this session');
        return service.session(sessionId, access.window);
      },
    );

    app.get(
      '/api/v1/energy/report',
      {
        config: { access: officers },
        schema: {
          tags: ['energy'],
          summary: 'Energy and carbon over a period (default: the last 30 days), with every input needed to recompute it',
          querystring: Type.Object({ ...Period.properties, download: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const q = request.query as { since?: string; until?: string; download?: boolean };
        const { since, until } = parsePeriod(q, options.now(), 30);
        const report = await service.report(since, until);
        if (q.download) reply.header('content-disposition', `attachment; filename="qingliu-energy-${report.since.slice(0, 10)}-${report.until.slice(0, 10)}.json"`);
        return report;
      },
    );

    app.get(
      '/api/v1/energy/trend',
      {
        config: { access: officers },
        schema: { tags: ['energy'], summary: 'Energy and carbon per hour or per China day (default: the last 30 days)', querystring: TrendQuery },
      },
      async (request) => {
        const q = request.query as { since?: string; until?: string; bucket: 'hour' | 'day' };
        const { since, until } = parsePeriod(q, options.now(), 30, q.bucket === 'hour' ? 93 : MAX_PERIOD_DAYS);
        return service.trend(since, until, q.bucket);
      },
    );

    app.get(
      '/api/v1/energy/trend.csv',
      {
        config: { access: officers },
        schema: { tags: ['energy'], summary: 'The trend as CSV', querystring: TrendQuery },
      },
      async (request, reply) => {
        const q = request.query as { since?: string; until?: string; bucket: 'hour' | 'day' };
        const { since, until } = parsePeriod(q, options.now(), 30, q.bucket === 'hour' ? 93 : MAX_PERIOD_DAYS);
        const trend = await service.trend(since, until, q.bucket);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="qingliu-energy-trend-${q.bucket}-${new Date(since).toISOString().slice(0, 10)}.csv"`)
          .send(trendCsv(trend.points));
      },
    );

    app.get(
      '/api/v1/energy/regions',
      {
        config: { access: officers },
        schema: {
          tags: ['energy'],
          summary: 'Green hosting advice: data-centre sites ranked by gCO2e per 1,000 recommendations for the workload measured (default: the last 30 days)',
          querystring: Period,
        },
      },
      async (request) => {
        const { since, until } = parsePeriod(request.query as { since?: string; until?: string }, options.now(), 30);
        return service.regions(since, until);
      },
    );
  };
}
