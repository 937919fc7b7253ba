import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AccessLogService } from '../modules/access-log/index.js';
import type { Storage } from '../storage/index.js';
import { consentSummary, EXPORT_PURPOSES, exportConsentLedger, ledgerCsv } from './consent-export.js';

const officers = ['compliance', 'admin'] as const;

export function consentExportRoutes(modules: { storage: Storage; accessLog: AccessLogService }) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/api/v1/compliance/consents/summary',
      {
        config: { access: officers },
        schema: { tags: ['compliance'], summary: 'Consent statistics: aggregates over the ledger, no individual records' },
      },
      async () => consentSummary(modules.storage),
    );

    app.get(
      '/api/v1/compliance/consents/export',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Export the whole consent ledger (pseudonymous records, C8; as JSON with the exact text of every notice they name); every export is written to the access log',
          querystring: Type.Object(
            {
              format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
              purpose: Type.Union(EXPORT_PURPOSES.map((p) => Type.Literal(p))),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const q = request.query as { format: 'json' | 'csv'; purpose: (typeof EXPORT_PURPOSES)[number] };
        const ledger = await exportConsentLedger(request.ctx, modules, q.purpose);
        const stamp = new Date().toISOString().slice(0, 10);
        reply.header('cache-control', 'no-store');
        if (q.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="consent-ledger-${stamp}.csv"`)
            .send(ledgerCsv(ledger.records));
        }
        return reply.header('content-disposition', `attachment; filename="consent-ledger-${stamp}.json"`).send(ledger);
      },
    );
  };
}
