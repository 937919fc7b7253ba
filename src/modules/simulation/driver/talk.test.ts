/**
 * The simulated audience chats and asks the shopping assistant against the real app — in process
 * (the chat service the room socket hands messages to, the assistant's route through app.inject) and
 * over HTTP (one room socket per viewer, chat_send frames, the assistant's route) — and the report's
 * counts agree with what the server stored: the viewers' messages under simulated nicknames, the
 * keyword filter's log entries for the spam it blocked, the assistant's public answers in the chat
 * and the host's queue. Spam and links are refused by their codes, every answer carries the AI
 * label, requests for a person are handed off and off-topic questions declined; in process the same
 * seed counts the same.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { systemContext } from '../../../context/index.js';
import { testApp, type TestApp } from '../../../../test/support/app.js';
import { builtinScenarioPath, generateAudience, parseScenario, readScenarioFile } from '../world/index.js';
import { createHttpTarget } from './http-target.js';
import { createInjectTarget } from './inject-target.js';
import { withoutTimings, type SimulationReport } from './report.js';
import { scenarioForRun, simulate } from './run.js';
import type { SimTarget } from './target.js';

const BABY_CARE = readScenarioFile(builtinScenarioPath('baby-care'));
/** The demo show with talkative viewers, so a short run has every kind of message and question. */
const TALKATIVE = parseScenario({ ...BABY_CARE, behaviour: { ...BABY_CARE.behaviour, chatMessagesPerHour: 40, assistantQuestionsPerHour: 24 } });
const RUN = { scenario: TALKATIVE, viewers: 50, minutes: 10, seed: 21, speed: 'max' as const };
const SIMULATED_NICKNAME = /^(模拟观众 \d+|Simulated viewer \d+|Simulated #\d+)$/;

/** The report's chat and assistant figures against what the server stored, and what a run must show. */
async function expectTalkAgreesWithServer(report: SimulationReport, app: FastifyInstance): Promise<void> {
  const audience = generateAudience(scenarioForRun(TALKATIVE, { viewers: RUN.viewers, minutes: RUN.minutes }), RUN.seed);
  const c = report.chat;
  const a = report.assistant;

  // Every message and question the world drew was sent, and each got an answer.
  expect(a.asked).toBe(audience.reduce((n, v) => n + v.assistantMinutes.length, 0));
  expect(c.sent).toBe(audience.reduce((n, v) => n + v.chatMinutes.length, 0) + a.byVia.chat.asked);
  expect(c.failedByCode).toEqual({});
  expect(a.byVia.http.asked).toBeGreaterThan(0);
  expect(a.byVia.chat.asked).toBeGreaterThan(0);

  // Moderation exercised: spam refused by the keyword filter, links refused (only staff may post them); the rest accepted.
  expect(c.byKind.blockedWords.sent).toBeGreaterThan(0);
  expect(c.byKind.blockedWords).toMatchObject({ accepted: 0, refusedByCode: { CHAT_BLOCKED_WORDS: c.byKind.blockedWords.sent } });
  expect(c.byKind.link.sent).toBeGreaterThan(0);
  expect(c.byKind.link).toMatchObject({ accepted: 0, refusedByCode: { CHAT_LINK_NOT_ALLOWED: c.byKind.link.sent } });
  for (const kind of ['reaction', 'hostQuestion', 'assistantMention'] as const) expect(c.byKind[kind].accepted, kind).toBe(c.byKind[kind].sent);
  expect(c.refusedByCode).toEqual({ CHAT_BLOCKED_WORDS: c.byKind.blockedWords.sent, CHAT_LINK_NOT_ALLOWED: c.byKind.link.sent });
  expect(c.latencyMs.count).toBe(c.sent);

  // The assistant: every question answered one way or another, labelled; a person asked for is handed off, off topic declined.
  expect(a, JSON.stringify({ refused: a.refusedByCode, noAnswer: a.noAnswerByCode })).toMatchObject({ refused: 0, noAnswer: 0, unlabelled: 0 });
  expect(a.answered + a.handoff + a.declined).toBe(a.asked);
  expect(a.answered).toBeGreaterThan(0);
  expect(a.byTopic.askForPerson.handoff).toBe(a.byTopic.askForPerson.asked);
  expect(a.byTopic.offTopic.declined).toBe(a.byTopic.offTopic.asked);
  expect(a.byTopic.shopPolicy.answered).toBe(a.byTopic.shopPolicy.asked);
  expect(a.byTopic.namedProduct.answered).toBe(a.byTopic.namedProduct.asked);
  expect(a.latencyMs.count).toBe(a.asked);
  expect(a.latencyMs.p50).toBeGreaterThan(0);
  expect(a.latencyMs.p99).toBeGreaterThanOrEqual(a.latencyMs.p50);
  // In the chat the viewer waits for the ack and then for the answer to come back.
  expect(a.byVia.chat.latencyMs.p50).toBeGreaterThanOrEqual(c.latencyMs.p50 * 0.95);

  // What the server stored agrees.
  await app.services.chat.flush();
  const db = app.services.storage.db;
  const messages = await db.selectFrom('chat_messages').select(['author_kind']).where('session_id', '=', 'demo').execute();
  expect(messages.filter((m) => m.author_kind === 'viewer')).toHaveLength(c.accepted);
  expect(messages.filter((m) => m.author_kind === 'assistant')).toHaveLength(a.byVia.chat.asked);
  const filtered = await db.selectFrom('chat_moderation_log').select(['seq']).where('session_id', '=', 'demo').where('action', '=', 'filtered').execute();
  expect(filtered).toHaveLength(c.byKind.blockedWords.sent);
  const stored = await db.selectFrom('assistant_handoffs').select(['nickname']).where('session_id', '=', 'demo').execute();
  expect(stored).toHaveLength(a.handoff);
  // The queue seals a known viewer's nickname like their question; the host reads it through the service.
  const queue = await app.services.chat.handoffs(systemContext('test'), 'demo', 'all');
  if (!queue.ok) throw new Error(queue.code);
  expect(queue.value).toHaveLength(a.handoff);
  // Questions handed off from the chat carry the asker's simulated nickname into the host's queue.
  for (const h of queue.value.filter((q) => q.messageId !== null)) expect(h.nickname).toMatch(SIMULATED_NICKNAME);

  // Wherever the chat shows a simulated viewer, the nickname says so.
  const history = await app.services.chat.history('demo');
  const viewers = history.messages.filter((m) => m.author.kind === 'viewer');
  expect(viewers.length).toBe(Math.min(c.accepted, viewers.length));
  expect(viewers.length).toBeGreaterThan(0);
  for (const m of viewers) expect(m.author.nickname).toMatch(SIMULATED_NICKNAME);
  for (const m of history.messages.filter((x) => x.author.kind === 'assistant')) expect(m).toMatchObject({ aiGenerated: true, label: expect.any(String) });
}

describe('simulated viewers chat and ask the assistant on a real server', { timeout: 240_000 }, () => {
  let t: TestApp | undefined;
  let target: SimTarget | undefined;
  afterEach(async () => {
    await target?.close();
    await t?.close();
    target = undefined;
    t = undefined;
  });

  it('in process: the counts agree with the server, and the same seed counts the same', async () => {
    const first = await createInjectTarget();
    target = first;
    const report = await simulate({ target: first, ...RUN });
    await expectTalkAgreesWithServer(report, first.app);
    expect(report.notes.join('\n')).toMatch(/in process there are no sockets, so each message goes to the chat service/);
    await first.close();

    const second = await createInjectTarget();
    target = second;
    const again = await simulate({ target: second, ...RUN });
    const talk = (r: SimulationReport) => {
      const { chat, assistant } = withoutTimings(r);
      return { chat, assistant };
    };
    expect(talk(again)).toEqual(talk(report));
  });

  it('over HTTP: each viewer chats on their own room socket, and the counts agree with the server', async () => {
    // At maximum speed a viewer's minutes of chat pass in a fraction of a second of the server's real
    // clock, so its per-viewer chat pace is widened (a real viewer's pace is what the scenario draws).
    t = await testApp('sqlite', { env: { QINGLIU_CHAT_MESSAGES_PER_MINUTE: '600', QINGLIU_CHAT_BURST: '50' } });
    const app = t.app;
    const name = `sim-admin-${randomBytes(3).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    expect((await app.services.staff.addUser(systemContext('test'), { name, role: 'admin', password })).ok).toBe(true);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    target = createHttpTarget({ url, staff: { name, password } });
    const report = await simulate({ target, ...RUN });
    expect(report.mode).toBe('http');
    expect(report.sockets.failed).toBe(0);
    await expectTalkAgreesWithServer(report, app);
    expect(report.notes.join('\n')).toMatch(/each simulated viewer posts over their own room socket/);
  });
});
