/**
 * Experiments over HTTP, for staff: define, start and stop (admin; a host only in rooms they host),
 * list and read the report (any staff: hosts and compliance officers watch them).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../../errors/index.js';
import { SIMULATED_HEADER } from '../../http/simulated.js';
import { ExperimentDefinition } from './definition.js';
import { EXPERIMENT_STATUSES, type ExperimentStatus } from './ports.js';
import type { ExperimentService } from './service.js';

const Id = Type.Object({ id: Type.String({ pattern: '^exp-[0-9a-f]{12}$' }) }, { additionalProperties: false });
const operators = ['admin', 'host'] as const;

export function experimentRoutes(service: ExperimentService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post(
      '/api/v1/experiments',
      {
        config: { access: operators },
        schema: {
          tags: ['experiments'],
          summary: 'Define an experiment (a draft until started): arms, allocation, primary metric, guardrails, plan',
          // Validated by the service, which names every problem's field (also the ones a schema cannot see).
          body: Type.Object({}, { additionalProperties: true, description: 'An experiment definition', examples: [exampleDefinition()] }),
        },
      },
      // The simulator's requests carry the simulated header (served only in demo mode): its experiments are marked.
      async (request, reply) =>
        reply.status(201).send(unwrap(await service.create(request.ctx, request.body, { simulated: request.headers[SIMULATED_HEADER] !== undefined }))),
    );

    app.get(
      '/api/v1/experiments',
      {
        config: { access: 'staff' },
        schema: {
          tags: ['experiments'],
          summary: 'Experiments, newest first',
          querystring: Type.Object(
            { status: Type.Optional(Type.Union(EXPERIMENT_STATUSES.map((s) => Type.Literal(s)))), brandId: Type.Optional(Type.String({ maxLength: 64 })) },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const q = request.query as { status?: ExperimentStatus; brandId?: string };
        return { items: await service.list(q) };
      },
    );

    app.get(
      '/api/v1/experiments/:id',
      {
        config: { access: 'staff' },
        schema: { tags: ['experiments'], summary: 'The experiment and its report: per-arm figures, every scheduled look, the latest verdict', params: Id },
      },
      async (request) => unwrap(await service.report((request.params as { id: string }).id)),
    );

    app.delete(
      '/api/v1/experiments/:id',
      { config: { access: operators }, schema: { tags: ['experiments'], summary: 'Discard a draft (never started: it served no one); a started experiment is stopped instead', params: Id } },
      async (request, reply) => {
        unwrap(await service.discardDraft(request.ctx, (request.params as { id: string }).id));
        return reply.status(204).send();
      },
    );

    app.post(
      '/api/v1/experiments/:id/start',
      { config: { access: operators }, schema: { tags: ['experiments'], summary: 'Start a draft experiment', params: Id } },
      async (request) => unwrap(await service.startExperiment(request.ctx, (request.params as { id: string }).id)),
    );

    app.post(
      '/api/v1/experiments/:id/stop',
      {
        config: { access: operators },
        schema: {
          tags: ['experiments'],
          summary: 'Stop a running experiment (after a final look)',
          params: Id,
          body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false })),
        },
        // The reason is optional, so is the body: none at all, or an empty one sent as JSON, is "no reason".
        onRequest: async (request) => {
          const length = request.headers['content-length'];
          if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) delete request.headers['content-type'];
        },
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
      },
      async (request) => {
        const reason = (request.body as { reason?: string } | undefined)?.reason;
        return unwrap(await service.stopExperiment(request.ctx, (request.params as { id: string }).id, reason));
      },
    );
  };
}

function exampleDefinition(): ExperimentDefinition {
  return {
    name: '个性化推荐 vs 非个性化',
    description: 'Does the linear bandit convert better than the room’s popular list?',
    brandId: 'demo-brand',
    sessionIds: ['demo'],
    arms: [
      { id: 'control', name: '非个性化 / Not personalised', policy: 'non_personalised' },
      { id: 'bandit', name: 'LinUCB', policy: 'linucb' },
    ],
    allocation: [0.5, 0.5],
    control: 'control',
    primaryMetric: 'conversion',
    guardrails: [{ metric: 'opt_out_rate' }, { metric: 'report_rate' }, { metric: 'exposure_gini', margin: 0.1 }],
    alpha: 0.05,
    spending: 'obrien_fleming',
    plannedUnitsPerArm: 5000,
    lookEveryMinutes: 5,
  };
}
