/** The assistant over HTTP, and reports (AI6) on its answers and on recommendations. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, unwrap, type Result } from '../../errors/index.js';
import type { RequestContext, Locale } from '../../context/index.js';
import { DEVICE_HEADER } from '../consent/index.js';
import { AI_LABEL, REPORT_DETAILS_MAX, REPORT_EXCERPT_MAX, REPORT_REASONS, type ReportReason } from '../chat/contract.js';
import { QUESTION_MAX, type AssistantService } from './service.js';

const SessionParams = Type.Object({ sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) }, { additionalProperties: false });
const DeviceId = Type.String({ pattern: '^[A-Za-z0-9_-]{16,128}$' });
const LocaleSchema = Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]);

const Reply = Type.Object({
  id: Type.String(),
  answer: Type.String(),
  aiGenerated: Type.Literal(true),
  label: Type.Literal(AI_LABEL),
  sources: Type.Array(Type.Object({ productId: Type.Union([Type.String(), Type.Null()]), fields: Type.Array(Type.String()) })),
  handoff: Type.Boolean(),
  outcome: Type.Union([Type.Literal('answered'), Type.Literal('handoff'), Type.Literal('declined')]),
  productIds: Type.Array(Type.String()),
});


export interface ReportInput {
  sessionId: string;
  target: 'assistant_answer' | 'recommendation';
  messageId?: string;
  productId?: string;
  reason: ReportReason;
  details?: string;
  /** The reported answer's text as the viewer saw it (private answers are not stored). */
  excerpt?: string;
  locale: Locale;
}

export interface AssistantRouteDeps {
  /** Files a report as a complaint ticket for the compliance console (rights module). */
  fileReport(ctx: RequestContext, deviceId: string, report: ReportInput): Promise<Result<{ ticketId: string }>>;
}

function deviceOf(request: FastifyRequest, body: { deviceId?: string }): string | undefined {
  const header = request.headers[DEVICE_HEADER];
  if (typeof header === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(header)) return header;
  return body.deviceId;
}

export function assistantRoutes(assistant: AssistantService, deps: AssistantRouteDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post(
      '/api/v1/sessions/:sessionId/assistant',
      {
        config: { access: 'public', rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags: ['chat'],
          summary: `Ask the AI shopping assistant about the products on stage and in the catalogue; the reply is labelled "${AI_LABEL}" (AI1), names its sources, and hands off to the host when unsure`,
          params: SessionParams,
          body: Type.Object(
            {
              question: Type.String({ minLength: 1, maxLength: QUESTION_MAX }),
              locale: LocaleSchema,
              deviceId: Type.Optional(DeviceId),
              nickname: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: "Shown with the question in the host's queue if it is handed off" })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Reply },
        },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        const body = request.body as { question: string; locale: Locale; deviceId?: string; nickname?: string };
        const deviceId = deviceOf(request, body);
        return unwrap(
          await assistant.ask(request.ctx, sessionId, { question: body.question, locale: body.locale, ...(deviceId ? { deviceId } : {}), ...(body.nickname ? { nickname: body.nickname } : {}) }),
        );
      },
    );

    app.post(
      '/api/v1/reports',
      {
        config: { access: 'public', rateLimit: { max: 20, timeWindow: '1 minute' } },
        schema: {
          tags: ['chat'],
          summary: 'Report an assistant answer or a recommendation (AI6): it becomes a complaint ticket in the compliance console',
          body: Type.Object(
            {
              deviceId: Type.Optional(DeviceId),
              sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
              target: Type.Union([Type.Literal('assistant_answer'), Type.Literal('recommendation')]),
              messageId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{8,64}$' })),
              productId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              reason: Type.Union(REPORT_REASONS.map((r) => Type.Literal(r))),
              details: Type.Optional(Type.String({ maxLength: REPORT_DETAILS_MAX })),
              excerpt: Type.Optional(Type.String({ maxLength: REPORT_EXCERPT_MAX })),
              locale: Type.Optional(LocaleSchema),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ ticketId: Type.String() }) },
        },
      },
      async (request, reply) => {
        const body = request.body as Omit<ReportInput, 'locale'> & { deviceId?: string; locale?: Locale };
        const deviceId = deviceOf(request, body);
        if (!deviceId) throw new AppError('VALIDATION_FAILED', 'a report needs the device id (body deviceId or the x-qingliu-device header)');
        if (body.target === 'recommendation' && !body.productId) throw new AppError('VALIDATION_FAILED', 'productId: the recommended product being reported');
        if (body.target === 'assistant_answer' && !body.messageId) throw new AppError('VALIDATION_FAILED', 'messageId: the answer being reported');
        const { deviceId: _d, ...report } = body;
        const filed = unwrap(await deps.fileReport(request.ctx, deviceId, { ...report, locale: body.locale ?? 'zh-CN' }));
        return reply.status(201).send(filed);
      },
    );
  };
}
