import fastJson from 'fast-json-stringify';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { recommendationsBody } from './json.js';
import { RecommendationsSchema } from './routes.js';
import type { Recommendations, RecommendationItem } from './service.js';
import type { Explanation } from './model/index.js';

const schemaSerialise = fastJson(RecommendationsSchema);

/** The body as text. */
const recommendationsJson = (value: Recommendations): string => recommendationsBody(value).toString('utf8');

const explanation = (over: Partial<Explanation> = {}): Explanation => ({
  score: 0.4125,
  base: 0.25,
  contributions: [
    { feature: 'room.pinned', value: 1, phi: 0.1125 },
    { feature: 'product.price_band.low', value: 1, phi: 0.05 },
  ],
  exploration: { active: false, bonus: 0 },
  modelVersion: 'non-personalised-1',
  ...over,
});

const item = (i: number, over: Partial<RecommendationItem> = {}): RecommendationItem => ({
  decisionId: `0000decision${i}xxxxxxxxx`,
  productId: `p-${i}`,
  position: i,
  personalised: false,
  propensity: 1,
  reasons: { zh: ['主播正在介绍这件商品'], en: ['The host is presenting this now'] },
  explanation: explanation(),
  ...over,
});

const list = (over: Partial<Recommendations> = {}): Recommendations => ({
  sessionId: 'demo',
  personalised: false,
  label: { zh: '非个性化', en: 'Not personalised' },
  modelVersion: 'non-personalised-1',
  items: [item(0), item(1)],
  at: 1_764_460_800_000,
  ...over,
});

/** The body must parse to exactly what the schema's own serialiser writes, and validate against the schema. */
function expectSameAsSchema(value: Recommendations): void {
  const body = recommendationsJson(value);
  expect(JSON.parse(body)).toEqual(JSON.parse(schemaSerialise(value)));
  expect(Value.Check(RecommendationsSchema, JSON.parse(body))).toBe(true);
}

describe('recommendationsBody', () => {
  it('writes a non-personalised list as the response schema does', () => {
    expectSameAsSchema(list());
  });

  it('writes a personalised list in an experiment, with exploration, as the response schema does', () => {
    const personalised = list({
      personalised: true,
      label: { zh: '个性化推荐', en: 'Personalised' },
      modelVersion: 'linucb-7',
      experiment: { id: 'exp-1', arm: 'bandit' },
      items: [
        item(0, { personalised: true, propensity: 0.8125, explanation: explanation({ modelVersion: 'linucb-7', exploration: { active: true, bonus: 0.031 } }) }),
        item(1, { personalised: true, propensity: 0.05, explanation: explanation({ modelVersion: 'linucb-7', contributions: [] }) }),
      ],
    });
    expectSameAsSchema(personalised);
  });

  it("writes the MLP arm's attribution method and residual", () => {
    expectSameAsSchema(list({ items: [item(0, { personalised: true, explanation: explanation({ method: 'gradient-x-input', residual: -0.0003 }) })] }));
  });

  it('escapes quotes, backslashes, control characters and non-BMP text', () => {
    const odd = 'say "hi" \\ \n\t\u0001 😀 “引号”';
    expectSameAsSchema(list({ sessionId: odd, items: [item(0, { productId: odd, reasons: { zh: [odd], en: [] } })] }));
  });

  it('writes an infinite number as null, as the schema serialiser does, and refuses NaN', () => {
    const infinite = list({ items: [item(0, { explanation: explanation({ score: Number.POSITIVE_INFINITY }) })] });
    expect(JSON.parse(recommendationsJson(infinite)).items[0].explanation.score).toBeNull();
    expect(JSON.parse(recommendationsJson(infinite))).toEqual(JSON.parse(schemaSerialise(infinite)));
    expect(() => recommendationsJson(list({ items: [item(0, { propensity: Number.NaN })] }))).toThrow(TypeError);
  });

  it('writes every number so that it reads back as exactly the same number, as the schema serialiser does', () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    const edge = [0, -0, 1, -1, 0.1, 1 / 3, 2 ** -1074, Number.MAX_VALUE, -Number.MIN_VALUE, 1e21, 1e-7, 123_456_789.123_456_78, 2 ** 53 + 2];
    const numbers = [...edge, ...Array.from({ length: 1_000 }, () => (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20))];
    for (let i = 0; i < numbers.length; i += 4) {
      const [score = 0, base = 0, value = 0, phi = 0] = numbers.slice(i, i + 4);
      const personalised = list({
        personalised: true,
        items: [item(0, { personalised: true, propensity: Math.abs(phi) / (1 + Math.abs(phi)), explanation: explanation({ score, base, contributions: [{ feature: 'product.price_level', value, phi }] }) })],
      });
      const read = JSON.parse(recommendationsJson(personalised)).items[0];
      const e = read.explanation;
      // JSON has no negative zero: it is written as 0, by the schema serialiser too.
      const same = (a: number, b: number) => (b === 0 ? a === 0 : Object.is(a, b));
      expect(same(e.score, score) && same(e.base, base) && same(e.contributions[0].value, value) && same(e.contributions[0].phi, phi)).toBe(true);
      expect(read.propensity).toBe(Math.abs(phi) / (1 + Math.abs(phi)));
      expect(JSON.parse(recommendationsJson(personalised))).toEqual(JSON.parse(schemaSerialise(personalised)));
    }
  });

  it('reuses the JSON of shared objects but writes each list its own decision ids and time', () => {
    const shared = [item(0), item(1)];
    const first = JSON.parse(recommendationsJson(list({ items: shared })));
    const second = JSON.parse(recommendationsJson(list({ at: 1_764_460_801_000, items: shared.map((s, i) => ({ ...s, decisionId: `other-id-${i}` })) })));
    expect(second.at).toBe(1_764_460_801_000);
    expect(second.items.map((i: { decisionId: string }) => i.decisionId)).toEqual(['other-id-0', 'other-id-1']);
    expect(second.items.map((i: { explanation: unknown }) => i.explanation)).toEqual(first.items.map((i: { explanation: unknown }) => i.explanation));
  });

  it('takes a moved item’s own reasons even when it shares its explanation with the unmoved one', () => {
    // The fair re-ranker gives a moved item a new reasons object and keeps its explanation object.
    const original = item(0);
    recommendationsJson(list({ items: [original] }));
    const moved = { ...original, position: 1, reasons: { zh: [...original.reasons.zh, '为了曝光公平'], en: [...original.reasons.en, 'For fair exposure'] } };
    const body = JSON.parse(recommendationsJson(list({ items: [item(2), moved] })));
    expect(body.items[1].reasons.en).toEqual(['The host is presenting this now', 'For fair exposure']);
    expect(body.items[1].position).toBe(1);
  });

  it('writes UTF-8 bytes, shared items from kept bytes, personalised ones and the rest as text', () => {
    const shared = item(0, { reasons: { zh: ['主播正在介绍这件商品 😀'], en: ['The host is presenting this now'] } });
    const mixed = list({ items: [shared, item(1, { personalised: true, propensity: 0.5, explanation: explanation({ modelVersion: 'linucb-7' }) }), item(2)] });
    const body = recommendationsBody(mixed);
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(JSON.parse(body.toString('utf8'))).toEqual(JSON.parse(schemaSerialise(mixed)));
    // Again, with the shared bytes kept: the same but for the ids.
    const again = list({ items: mixed.items.map((it, i) => ({ ...it, decisionId: `again-${i}` })) });
    expect(JSON.parse(recommendationsBody(again).toString('utf8'))).toEqual(JSON.parse(schemaSerialise(again)));
  });

  it('writes the product and position of the item, even when another item shares its explanation object', () => {
    const first = item(0);
    recommendationsBody(list({ items: [first] }));
    const other = { ...first, productId: 'p-other', decisionId: 'another-decision-id' };
    const body = JSON.parse(recommendationsBody(list({ items: [other] })).toString('utf8'));
    expect(body.items[0]).toMatchObject({ productId: 'p-other', decisionId: 'another-decision-id', position: 0 });
  });
});
