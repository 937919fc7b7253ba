/**
 * Chat over HTTP: the room's visible chat (public), and the staff side — posting with links,
 * moderation actions, bans, slow mode and keywords, the moderation log, the transcript after the
 * show, and the assistant's handoff queue. Viewers post over the room's WebSocket.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../../errors/index.js';
import { AI_LABEL, AI_LABEL_PREFIX, MODERATION_ACTIONS, TRANSCRIPT_COLUMNS } from './contract.js';
import type { ChatService, TranscriptRow } from './service.js';

const SessionParams = Type.Object({ sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) }, { additionalProperties: false });
const MessageParams = Type.Object(
  { sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), messageId: Type.String({ pattern: '^[a-z0-9]{9,40}$' }) },
  { additionalProperties: false },
);
const Id = Type.String({ pattern: '^[A-Za-z0-9-]{8,64}$' });
const staff = ['host', 'moderator', 'admin'] as const;
const staffAndCompliance = ['host', 'moderator', 'admin', 'compliance'] as const;

const Keywords = Type.Object(
  { zh: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 500 }), en: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 500 }) },
  { additionalProperties: false },
);

export function chatRoutes(chat: ChatService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/api/v1/sessions/:sessionId/chat',
      {
        config: { access: 'public' },
        schema: { tags: ['chat'], summary: "The room's chat as viewers see it: the last 200 visible messages, the pinned one, slow mode", params: SessionParams },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        // Unknown rooms answer 404 rather than an empty chat.
        unwrap(await chat.sessionExists(sessionId));
        return chat.history(sessionId);
      },
    );

    app.get(
      '/api/v1/sessions/:sessionId/chat/moderation',
      {
        config: { access: [...staff] },
        schema: { tags: ['chat'], summary: 'The chat as moderators see it: hidden, deleted and shadow-banned messages too, bans and keywords', params: SessionParams },
      },
      async (request) => unwrap(await chat.moderationView(request.ctx, (request.params as { sessionId: string }).sessionId)),
    );

    app.post(
      '/api/v1/sessions/:sessionId/chat/messages',
      {
        config: { access: [...staff] },
        schema: {
          tags: ['chat'],
          summary: 'Staff post in the chat; only staff messages may carry a clickable link or a QR code (LC6)',
          params: SessionParams,
          body: Type.Object(
            {
              text: Type.String({ minLength: 1, maxLength: 1000 }),
              link: Type.Optional(Type.Object({ url: Type.String({ minLength: 8, maxLength: 2000 }), qr: Type.Boolean() }, { additionalProperties: false })),
              replyTo: Type.Optional(Type.String({ pattern: '^[a-z0-9]{9,40}$' })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        return reply.status(201).send(unwrap(await chat.postAsStaff(request.ctx, sessionId, request.body as { text: string; link?: { url: string; qr: boolean }; replyTo?: string })));
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/chat/messages/:messageId/actions',
      {
        config: { access: [...staff] },
        schema: {
          tags: ['chat'],
          summary: 'Moderate a message: delete, hide, unhide, pin, unpin, ban its author (also removes their past messages) or shadow-ban them; logged (LC3)',
          params: MessageParams,
          body: Type.Object(
            {
              action: Type.Union(['delete', 'hide', 'unhide', 'pin', 'unpin', 'ban', 'shadow_ban'].map((a) => Type.Literal(a))),
              reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const { sessionId, messageId } = request.params as { sessionId: string; messageId: string };
        const body = request.body as { action: 'delete' | 'hide' | 'unhide' | 'pin' | 'unpin' | 'ban' | 'shadow_ban'; reason?: string };
        return { entry: unwrap(await chat.moderate(request.ctx, sessionId, messageId, body.action, body.reason)) };
      },
    );

    app.delete(
      '/api/v1/sessions/:sessionId/chat/bans/:banId',
      {
        config: { access: [...staff] },
        schema: {
          tags: ['chat'],
          summary: 'Lift a ban or shadow-ban (logged)',
          params: Type.Object({ sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), banId: Id }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { sessionId, banId } = request.params as { sessionId: string; banId: string };
        return { entry: unwrap(await chat.unban(request.ctx, sessionId, banId)) };
      },
    );

    app.put(
      '/api/v1/sessions/:sessionId/chat/settings',
      {
        config: { access: [...staff] },
        schema: {
          tags: ['chat'],
          summary: "Slow mode (seconds between a viewer's messages; 0 = off) and the room's extra keyword lists (logged)",
          params: SessionParams,
          body: Type.Object(
            { slowModeSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })), keywords: Type.Optional(Keywords) },
            { additionalProperties: false, minProperties: 1 },
          ),
        },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        return unwrap(await chat.updateSettings(request.ctx, sessionId, request.body as { slowModeSeconds?: number; keywords?: { zh: string[]; en: string[] } }));
      },
    );

    app.get(
      '/api/v1/sessions/:sessionId/chat/moderation-log',
      {
        config: { access: [...staffAndCompliance] },
        schema: {
          tags: ['chat'],
          summary: `The room's append-only moderation log (LC3) and whether its hash chain verifies; actions: ${MODERATION_ACTIONS.join(', ')}`,
          params: SessionParams,
        },
      },
      async (request) => {
        const { entries, verified, check } = unwrap(await chat.moderationLog(request.ctx, (request.params as { sessionId: string }).sessionId));
        return { entries, verified, ...(check.brokenAt !== undefined ? { brokenAt: check.brokenAt } : {}) };
      },
    );

    app.get(
      '/api/v1/sessions/:sessionId/chat/transcript',
      {
        config: { access: [...staffAndCompliance] },
        schema: {
          tags: ['chat'],
          summary: 'The chat transcript after the show (JSON or CSV); AI messages keep their label in the text and carry a metadata label (AI1); the download is in the access log',
          params: SessionParams,
          querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const format = (request.query as { format?: 'json' | 'csv' }).format ?? 'json';
        const { session, rows } = unwrap(await chat.transcript(request.ctx, sessionId));
        const file = `chat-${session.id}`;
        if (format === 'csv') {
          const lines = [
            // The metadata label of the file itself (implicit label under the 2025 labelling measures).
            `# qingliu chat transcript; session=${session.id}; contains_ai_generated=${rows.some((r) => r.aiGenerated)}; ai_label=${AI_LABEL}`,
            TRANSCRIPT_COLUMNS.join(','),
            ...rows.map((r) => csvRow(r)),
          ];
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${file}.csv"`)
            .send(`\uFEFF${lines.join('\r\n')}\r\n`);
        }
        return reply.header('content-disposition', `attachment; filename="${file}.json"`).send({
          metadata: {
            sessionId: session.id,
            brandId: session.brandId,
            generator: 'Qingliu',
            containsAiGenerated: rows.some((r) => r.aiGenerated),
            aiLabel: AI_LABEL,
            aiProvider: 'Qingliu shopping assistant (local retrieval over the catalogue and FAQ)',
          },
          messages: rows.map((r) => ({ ...r, text: labelled(r) })),
        });
      },
    );

    app.get(
      '/api/v1/sessions/:sessionId/assistant/handoffs',
      {
        config: { access: [...staff] },
        schema: {
          tags: ['chat'],
          summary: "The host's queue: questions the assistant passed on (the viewer asked for a person, or it was not sure)",
          params: SessionParams,
          querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])) }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        const status = (request.query as { status?: 'open' | 'all' }).status ?? 'open';
        return { items: unwrap(await chat.handoffs(request.ctx, sessionId, status)) };
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/assistant/handoffs/:handoffId',
      {
        config: { access: [...staff] },
        schema: {
          tags: ['chat'],
          summary: 'Answer a queued question in the chat, or dismiss it',
          params: Type.Object({ sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), handoffId: Id }, { additionalProperties: false }),
          body: Type.Union([
            Type.Object({ action: Type.Literal('reply'), text: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
            Type.Object({ action: Type.Literal('dismiss') }, { additionalProperties: false }),
          ]),
        },
      },
      async (request) => {
        const { sessionId, handoffId } = request.params as { sessionId: string; handoffId: string };
        return unwrap(await chat.handleHandoff(request.ctx, sessionId, handoffId, request.body as { action: 'reply'; text: string } | { action: 'dismiss' }));
      },
    );
  };
}

/** The text as exported: an AI message keeps its label inside the text (AI1). */
const labelled = (r: TranscriptRow): string => (r.aiGenerated ? `${AI_LABEL_PREFIX}${r.text}` : r.text);

function csvRow(r: TranscriptRow): string {
  const cells = [new Date(r.at).toISOString(), r.authorKind, r.nickname, labelled(r), String(r.aiGenerated), r.label ?? '', r.status];
  return cells.map(csvCell).join(',');
}

/** RFC 4180 quoting, and a leading quote on cells a spreadsheet would run as a formula. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
