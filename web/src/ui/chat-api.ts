/**
 * The chat's and the assistant's HTTP calls (src/modules/chat/contract.ts has the shared shapes):
 * the viewer's private question to the assistant and reports (AI6), and the host console's
 * moderation, settings, staff messages, log, transcript and handoff queue (cookie auth).
 */
import type {
  AssistantQuestion,
  AssistantReply,
  ChatKeywords,
  HandoffItem,
  MessageAction,
  ModerationEntry,
  ModerationView,
  ReportBody,
} from '../../../src/modules/chat/contract.ts';
export { MESSAGE_ACTIONS, REPORT_DETAILS_MAX, REPORT_EXCERPT_MAX, REPORT_REASONS } from '../../../src/modules/chat/contract.ts';
import { apiRequest } from './api.ts';

// Pages take the chat's shapes from here with the calls that use them.
export type * from '../../../src/modules/chat/contract.ts';

const enc = encodeURIComponent;
const sessionPath = (sessionId: string): string => `/api/v1/sessions/${enc(sessionId)}`;

// ---- viewer ----

export const askAssistant = (sessionId: string, question: AssistantQuestion): Promise<AssistantReply> =>
  apiRequest('POST', `${sessionPath(sessionId)}/assistant`, question);

export const sendReport = (report: ReportBody): Promise<{ ticketId: string }> => apiRequest('POST', '/api/v1/reports', report);

// ---- staff: moderation ----

export const SLOW_MODE_CHOICES = [0, 5, 10, 30, 60] as const;

export const getModeration = (sessionId: string): Promise<ModerationView> => apiRequest('GET', `${sessionPath(sessionId)}/chat/moderation`);

export const actOnMessage = (sessionId: string, messageId: string, action: MessageAction, reason?: string): Promise<unknown> =>
  apiRequest('POST', `${sessionPath(sessionId)}/chat/messages/${enc(messageId)}/actions`, reason ? { action, reason } : { action });

export const liftBan = (sessionId: string, banId: string): Promise<unknown> => apiRequest('DELETE', `${sessionPath(sessionId)}/chat/bans/${enc(banId)}`);

export const saveChatSettings = (sessionId: string, settings: { slowModeSeconds?: number; keywords?: ChatKeywords }): Promise<unknown> =>
  apiRequest('PUT', `${sessionPath(sessionId)}/chat/settings`, settings);

export interface StaffMessageBody {
  text: string;
  link?: { url: string; qr: boolean };
  replyTo?: string;
}

export const postStaffMessage = (sessionId: string, body: StaffMessageBody): Promise<unknown> =>
  apiRequest('POST', `${sessionPath(sessionId)}/chat/messages`, body);

export const getModerationLog = (sessionId: string): Promise<{ entries: ModerationEntry[]; verified: boolean }> =>
  apiRequest('GET', `${sessionPath(sessionId)}/chat/moderation-log`);

export const transcriptHref = (sessionId: string, format: 'csv' | 'json'): string => `${sessionPath(sessionId)}/chat/transcript?format=${format}`;

// ---- staff: the assistant's handoff queue ----

/** Open and handled questions (the console shows the handled ones folded away). */
export const getHandoffs = (sessionId: string): Promise<{ items: HandoffItem[] }> => apiRequest('GET', `${sessionPath(sessionId)}/assistant/handoffs?status=all`);

export const answerHandoff = (sessionId: string, handoffId: string, answer: { action: 'reply'; text: string } | { action: 'dismiss' }): Promise<unknown> =>
  apiRequest('POST', `${sessionPath(sessionId)}/assistant/handoffs/${enc(handoffId)}`, answer);
