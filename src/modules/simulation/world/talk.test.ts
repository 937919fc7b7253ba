/**
 * What simulated viewers say: each kind of chat message is what the server's chat makes of it
 * (reactions and questions to the host pass, spam is blocked by the default keyword filter, links
 * are refused), questions to the assistant reach it from the chat, the mixes and the share asked in
 * the chat are followed, a question about a product by name is about what the viewer likes, and the
 * nickname says the viewer is simulated and fits the chat's limits.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { mentionedQuestion, QUESTION_MAX } from '../../assistant/index.js';
import { checkText, DEFAULT_KEYWORDS, KeywordFilter } from '../../chat/index.js';
import { checkNickname } from '../../chat/policy.js';
import { generateAudience, type SimViewer } from './audience.js';
import { itemProbabilities, NoiseTable, roomContext, type ProductView } from './behaviour.js';
import { ASSISTANT_TOPICS, BEHAVIOUR_DEFAULTS, builtinScenarioPath, CHAT_KINDS, readScenarioFile } from './scenario.js';
import {
  ASSISTANT_QUESTIONS,
  assistantQuestion,
  CHAT_PHRASES,
  chatLine,
  fillProduct,
  mentionText,
  simulatedNickname,
  spokenName,
} from './talk.js';

const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
const viewers = generateAudience({ ...scenario, audience: { ...scenario.audience, viewers: 40 } }, 9);
const filter = new KeywordFilter(DEFAULT_KEYWORDS);
const rules = { maxLength: 200, staff: false, filter };
const noise = NoiseTable.forScenario(scenario);

function product(id: string, category: string, over: Partial<ProductView> = {}): ProductView {
  return { id, category, priceFen: 9900, listPriceFen: 12900, ageMinMonths: 0, ageMaxMonths: 72, soldOut: false, pinned: false, flashSale: false, ...over };
}
const stage = [product('SKU-D', 'diapers'), product('SKU-T', 'toys'), product('SKU-S', 'stroller', { priceFen: 129900, listPriceFen: 159900 }), product('SKU-X', 'wipes', { soldOut: true })];
const room = roomContext(stage);

const withBehaviour = (v: SimViewer, over: Partial<SimViewer['behaviour']>): SimViewer => ({ ...v, behaviour: { ...v.behaviour, ...over } });

describe('chat phrases against the server’s chat rules', () => {
  const all = (kind: keyof typeof CHAT_PHRASES) => Object.values(CHAT_PHRASES[kind]).flat();

  it.each(['reaction', 'hostQuestion'] as const)('%s: every phrase passes the chat’s checks', (kind) => {
    for (const text of all(kind)) expect(checkText(text, rules), text).toMatchObject({ ok: true });
  });

  it('blockedWords: every phrase is blocked by the default keyword filter (CHAT_BLOCKED_WORDS)', () => {
    for (const text of all('blockedWords')) expect(checkText(text, rules), text).toMatchObject({ ok: false, code: 'CHAT_BLOCKED_WORDS' });
  });

  it('link: every phrase carries a link or a shop code, which only staff may post (CHAT_LINK_NOT_ALLOWED)', () => {
    for (const text of all('link')) expect(checkText(text, rules), text).toMatchObject({ ok: false, code: 'CHAT_LINK_NOT_ALLOWED' });
  });

  it('has phrases in both languages for every kind and topic', () => {
    for (const kind of CHAT_KINDS) for (const locale of ['zh-CN', 'en'] as const) expect(CHAT_PHRASES[kind][locale].length, `${kind} ${locale}`).toBeGreaterThan(0);
    for (const topic of ASSISTANT_TOPICS) for (const locale of ['zh-CN', 'en'] as const) expect(ASSISTANT_QUESTIONS[topic][locale].length, `${topic} ${locale}`).toBeGreaterThan(0);
  });
});

describe('questions to the assistant', () => {
  const questions = ASSISTANT_TOPICS.flatMap((topic) => (['zh-CN', 'en'] as const).flatMap((locale) => ASSISTANT_QUESTIONS[topic][locale].map((q) => ({ topic, locale, q: fillProduct(q, spokenName({ zh: '轻便伞车 超轻折叠', en: 'Lightweight Compact Travel Stroller, Foldable' }, locale)) }))));

  it('reach the assistant from the chat: "@助手 …" passes the chat’s checks and the assistant reads the question back', () => {
    for (const { locale, q } of questions) {
      const text = mentionText(q, locale);
      expect(checkText(text, rules), text).toMatchObject({ ok: true });
      expect(mentionedQuestion(text)).toBe(q);
      expect([...q].length).toBeLessThanOrEqual(QUESTION_MAX);
    }
  });

  it('names a product as a viewer types it', () => {
    expect(spokenName({ zh: '轻便伞车 超轻折叠 出行遛娃神器', en: 'Lightweight Compact Travel Stroller' }, 'zh-CN')).toBe('轻便伞车');
    expect(spokenName({ zh: 'PPSU 宽口径奶瓶 240ml 带手柄', en: 'Wide-Neck PPSU Baby Bottle 240 ml with Handles' }, 'zh-CN')).toBe('PPSU宽口径奶瓶');
    expect(spokenName({ zh: '婴儿超薄透气纸尿裤 NB码 84片', en: 'Ultra-Thin Breathable Diapers, Size NB, 84 Count' }, 'en')).toBe('Ultra-Thin Breathable Diapers');
    expect(fillProduct('{product}多少钱', '轻便伞车')).toBe('轻便伞车多少钱');
  });

  it('follows the mix and the share asked in the chat, and takes four draws whatever it picks', () => {
    const v = withBehaviour(viewers[0]!, { assistantMix: { pinnedProduct: 1, namedProduct: 0, shopPolicy: 0, askForPerson: 1, offTopic: 0 }, assistantInChatShare: 0.25 });
    const rng = new Rng(5);
    const n = 4000;
    const drawn = Array.from({ length: n }, () => assistantQuestion(v, stage, room, noise, rng));
    expect(new Set(drawn.map((q) => q.topic))).toEqual(new Set(['pinnedProduct', 'askForPerson']));
    const inChat = drawn.filter((q) => q.via === 'chat').length / n;
    expect(Math.abs(inChat - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / n));
    const person = drawn.filter((q) => q.topic === 'askForPerson').length / n;
    expect(Math.abs(person - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    for (const q of drawn) expect(ASSISTANT_QUESTIONS[q.topic][v.locale]).toContain(q.text);

    // Same generator state after one question, whatever its topic.
    const a = new Rng(77);
    const b = new Rng(77);
    assistantQuestion(v, stage, room, noise, a);
    assistantQuestion(withBehaviour(v, { assistantMix: { ...BEHAVIOUR_DEFAULTS.assistantMix } }), stage, room, noise, b);
    expect(a.next()).toBe(b.next());
  });

  it('asks about a product by name in proportion to how much the viewer likes it, never a sold-out one; without one, about the pinned product', () => {
    const v = withBehaviour(viewers[1]!, { assistantMix: { pinnedProduct: 0, namedProduct: 1, shopPolicy: 0, askForPerson: 0, offTopic: 0 } });
    const rng = new Rng(11);
    const n = 6000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const q = assistantQuestion(v, stage, room, noise, rng);
      expect(q.topic).toBe('namedProduct');
      expect(q.text).toContain('{product}');
      counts.set(q.productId!, (counts.get(q.productId!) ?? 0) + 1);
    }
    expect(counts.has('SKU-X')).toBe(false);
    const weights = stage.filter((p) => !p.soldOut).map((p) => [p.id, itemProbabilities(v, p, room, noise).click] as const);
    const total = weights.reduce((s, [, w]) => s + w, 0);
    for (const [id, w] of weights) {
      const p = w / total;
      expect(Math.abs((counts.get(id) ?? 0) / n - p), id).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
    }
    const none = assistantQuestion(v, [product('SKU-X', 'wipes', { soldOut: true })], room, noise, new Rng(1));
    expect(none.topic).toBe('pinnedProduct');
    expect(none.productId).toBeUndefined();
  });
});

describe('chatLine', () => {
  it('follows the mix, in the viewer’s language', () => {
    const rng = new Rng(3);
    const n = 4000;
    const kinds = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const line = chatLine('en', BEHAVIOUR_DEFAULTS.chatMix, rng);
      expect(CHAT_PHRASES[line.kind].en).toContain(line.text);
      kinds.set(line.kind, (kinds.get(line.kind) ?? 0) + 1);
    }
    for (const kind of CHAT_KINDS) {
      const p = BEHAVIOUR_DEFAULTS.chatMix[kind];
      expect(Math.abs((kinds.get(kind) ?? 0) / n - p), kind).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
    const only = chatLine('zh-CN', { reaction: 0, hostQuestion: 0, blockedWords: 1, link: 0 }, new Rng(1));
    expect(only.kind).toBe('blockedWords');
    expect(CHAT_PHRASES.blockedWords['zh-CN']).toContain(only.text);
  });

  it('is deterministic for the generator state', () => {
    expect(chatLine('zh-CN', BEHAVIOUR_DEFAULTS.chatMix, new Rng(8))).toEqual(chatLine('zh-CN', BEHAVIOUR_DEFAULTS.chatMix, new Rng(8)));
  });
});

describe('simulatedNickname', () => {
  it('says the viewer is simulated, in their language, within the chat’s nickname rules (so the server keeps it)', () => {
    expect(simulatedNickname(122, 'zh-CN')).toBe('模拟观众 123');
    expect(simulatedNickname(122, 'en')).toBe('Simulated viewer 123');
    expect(simulatedNickname(998, 'en')).toBe('Simulated viewer 999');
    expect(simulatedNickname(999, 'en')).toBe('Simulated #1000');
    for (const index of [0, 8, 99, 998, 999, 12_345, 9_999_999]) {
      for (const locale of ['zh-CN', 'en'] as const) {
        const nickname = simulatedNickname(index, locale);
        expect(checkNickname(nickname, filter), nickname).toBe(nickname);
        expect(nickname).toMatch(/模拟|Simulated/);
      }
    }
  });
});
