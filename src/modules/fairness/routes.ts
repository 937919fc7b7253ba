/**
 * Fairness audits over HTTP, for staff: run one on demand (admin, compliance, host), list them with
 * their trend figures, read one (JSON, or the HTML report with its charts), compare two, and the
 * live alerts with their acknowledgement.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, unwrap } from '../../errors/index.js';
import { AUDIT_TRIGGERS, type AuditTrigger } from './audit/contract.js';
import { renderAuditHtml } from './audit/report-html.js';
import type { FairnessService } from './service.js';

const AuditId = Type.String({ pattern: '^audit-[0-9a-f]{12}$' });
const AlertId = Type.String({ pattern: '^alert-[0-9a-f]{12}$' });
const Time = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
const runners = ['admin', 'compliance', 'host'] as const;

/** The HTML report is a document with inline SVG charts and styles, and no script at all. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

export interface FairnessRouteOptions {
  /** Whether the caller may manage this session (an admin, or its host). */
  canManageSession(request: FastifyRequest, sessionId: string): Promise<boolean>;
}

export function fairnessRoutes(service: FairnessService, options: FairnessRouteOptions) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post(
      '/api/v1/fairness/audits',
      {
        config: { access: runners },
        schema: {
          tags: ['fairness'],
          summary: 'Run a fairness audit now: one live session (all of it by default), or a brand over a window (the last 24 hours by default)',
          body: Type.Object(
            {
              sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              brandId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              from: Type.Optional(Time),
              until: Type.Optional(Time),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const body = request.body as { sessionId?: string; brandId?: string; from?: number; until?: number };
        // A host audits the sessions they host; brand-wide audits are for administrators and compliance officers.
        const actor = request.ctx.actor;
        if (actor.kind === 'staff' && actor.role === 'host') {
          if (body.sessionId === undefined) throw new AppError('FORBIDDEN', 'a host audits one session they host; brand-wide audits are for compliance officers');
          if (!(await options.canManageSession(request, body.sessionId))) throw new AppError('FORBIDDEN', 'you do not host this session');
        }
        return reply.status(201).send(unwrap(await service.runOnDemand(request.ctx, body)));
      },
    );

    app.get(
      '/api/v1/fairness/audits',
      {
        config: { access: 'staff' },
        schema: {
          tags: ['fairness'],
          summary: 'Fairness audits, newest first, with their trend figures',
          querystring: Type.Object(
            {
              brandId: Type.Optional(Type.String({ maxLength: 64 })),
              sessionId: Type.Optional(Type.String({ maxLength: 64 })),
              trigger: Type.Optional(Type.Union(AUDIT_TRIGGERS.map((t) => Type.Literal(t)))),
              before: Type.Optional(Time),
              limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const q = request.query as { brandId?: string; sessionId?: string; trigger?: AuditTrigger; before?: number; limit: number };
        return { items: await service.list(q) };
      },
    );

    app.get(
      '/api/v1/fairness/audits/:id',
      {
        config: { access: 'staff' },
        schema: {
          tags: ['fairness'],
          summary: 'One audit’s full report (JSON); ?download=true to save it as a file',
          params: Type.Object({ id: AuditId }, { additionalProperties: false }),
          querystring: Type.Object({ download: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const report = unwrap(await service.report(id));
        if ((request.query as { download?: boolean }).download) reply.header('content-disposition', `attachment; filename="qingliu-fairness-${id}.json"`);
        return report;
      },
    );

    app.get(
      '/api/v1/fairness/audits/:id/report.html',
      {
        config: { access: 'staff' },
        schema: {
          tags: ['fairness'],
          summary: 'One audit as an HTML report with charts (Apache ECharts, rendered on the server as SVG); &download=true to save it',
          params: Type.Object({ id: AuditId }, { additionalProperties: false }),
          querystring: Type.Object(
            { locale: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])), download: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const q = request.query as { locale?: 'zh-CN' | 'en'; download?: boolean };
        const report = unwrap(await service.report(id));
        if (q.download) reply.header('content-disposition', `attachment; filename="qingliu-fairness-${id}.html"`);
        return reply
          .header('content-security-policy', REPORT_CSP)
          .type('text/html; charset=utf-8')
          .send(renderAuditHtml(report, { locale: q.locale ?? 'zh-CN' }));
      },
    );

    app.get(
      '/api/v1/fairness/compare',
      {
        config: { access: 'staff' },
        schema: {
          tags: ['fairness'],
          summary: 'Two audits side by side: each segment figure both report and how it moved, exposure, and the flags of each',
          querystring: Type.Object({ a: AuditId, b: AuditId }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { a, b } = request.query as { a: string; b: string };
        return unwrap(await service.compare(a, b));
      },
    );

    app.get(
      '/api/v1/fairness/alerts',
      {
        config: { access: 'staff' },
        schema: {
          tags: ['fairness'],
          summary: 'Live fairness alerts, newest first: gaps that crossed their threshold significantly during a session',
          querystring: Type.Object(
            {
              sessionId: Type.Optional(Type.String({ maxLength: 64 })),
              brandId: Type.Optional(Type.String({ maxLength: 64 })),
              limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const q = request.query as { sessionId?: string; brandId?: string; limit: number };
        return { items: await service.alerts(q) };
      },
    );

    app.post(
      '/api/v1/fairness/alerts/:id/acknowledge',
      {
        config: { access: 'staff' },
        schema: { tags: ['fairness'], summary: 'Acknowledge a live fairness alert (once)', params: Type.Object({ id: AlertId }, { additionalProperties: false }) },
      },
      async (request) => {
        unwrap(await service.acknowledge(request.ctx, (request.params as { id: string }).id));
        return { acknowledged: true };
      },
    );
  };
}
