import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../../errors/index.js';
import { VIEWER_EVENT_TYPES, type ViewerEventService } from './service.js';

export function viewerEventRoutes(service: ViewerEventService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post(
      '/api/v1/sessions/:sessionId/behaviour',
      {
        config: { access: 'public', rateLimit: { max: 600, timeWindow: '1 minute' } },
        schema: {
          tags: ['live room'],
          summary: 'A personal behaviour event: stored only under a live consent for its purpose, else counted anonymously',
          params: Type.Object({ sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) }),
          body: Type.Object(
            {
              deviceId: Type.String({ pattern: '^[A-Za-z0-9_-]{16,128}$' }),
              type: Type.Union(VIEWER_EVENT_TYPES.map((t) => Type.Literal(t))),
              clientEventId: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
              productId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            },
            { additionalProperties: false },
          ),
          response: {
            202: Type.Object({
              stored: Type.Boolean(),
              duplicate: Type.Optional(Type.Boolean()),
              countedAnonymously: Type.Optional(Type.Boolean()),
              purpose: Type.String(),
            }),
          },
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const outcome = unwrap(await service.ingest(request.ctx, sessionId, request.body as Parameters<ViewerEventService['ingest']>[2]));
        return reply.status(202).send(outcome);
      },
    );
  };
}
