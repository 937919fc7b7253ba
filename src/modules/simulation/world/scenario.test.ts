import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BEHAVIOUR_DEFAULTS,
  BUILTIN_SCENARIOS,
  SCENARIO_SCHEMA,
  ScenarioError,
  builtinScenarioPath,
  loadScenario,
  parseScenario,
  readScenarioFile,
  type Scenario,
} from './scenario.js';

const babyCareText = readFileSync(builtinScenarioPath('baby-care'), 'utf8');
const babyCare = (): Record<string, unknown> & Scenario => JSON.parse(babyCareText) as Record<string, unknown> & Scenario;

/** The ScenarioError thrown for a scenario edited by `edit`. */
function errorFor(edit: (s: Record<string, unknown> & Scenario) => void): ScenarioError {
  const s = babyCare();
  edit(s);
  try {
    parseScenario(s, 'edited.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('the edited scenario was accepted');
}

describe('shipped scenarios', () => {
  it.each(BUILTIN_SCENARIOS)('%s validates', (name) => {
    const s = readScenarioFile(builtinScenarioPath(name));
    expect(s.name).toBe(name);
    expect(s.description.length).toBeGreaterThan(100);
  });

  it('baby-care is the demo room described in the brief', () => {
    const s = readScenarioFile(builtinScenarioPath('baby-care'));
    expect(s.durationMinutes).toBe(60);
    expect(s.audience.viewers).toBeGreaterThanOrEqual(5000);
    expect(s.audience.viewers).toBeLessThanOrEqual(20000);
    expect(s.consent.grant.personalised_recommendations).toBe(0.6);
    expect(s.consent.grant.model_improvement).toBe(0.45);
    expect(s.minors.share).toBe(0.03);
    expect(s.audience.englishShare).toBeLessThan(0.5);
    const count = (action: string) => s.host.script.filter((step) => step.action === action).length;
    expect(count('pin')).toBeGreaterThanOrEqual(4);
    expect(count('pin')).toBeLessThanOrEqual(6);
    expect(count('flash_sale')).toBe(2);
    expect(count('sold_out')).toBe(1);
    // Never more than three pinned at once (the server's default limit).
    const pinned = new Set<string>();
    for (const step of [...s.host.script].sort((a, b) => a.atMinute - b.atMinute)) {
      const key = `${step.product.category}/${step.product.rank}`;
      if (step.action === 'pin') pinned.add(key);
      if (step.action === 'unpin') pinned.delete(key);
      expect(pinned.size).toBeLessThanOrEqual(3);
    }
  });

  it('the other worlds differ from baby-care the way they should', () => {
    const cold = readScenarioFile(builtinScenarioPath('cold-start'));
    const biased = readScenarioFile(builtinScenarioPath('biased-steering'));
    const optOut = readScenarioFile(builtinScenarioPath('heavy-opt-out'));
    const base = readScenarioFile(builtinScenarioPath('baby-care'));
    expect(cold.durationMinutes).toBe(30);
    expect(cold.audience.returningShare).toBeLessThan(base.audience.returningShare);
    expect(cold.truthNoise).toBeGreaterThan(base.truthNoise);
    expect(biased.preferences.cityTierPriceMultiplier.tier1).toBeLessThan(biased.preferences.cityTierPriceMultiplier.tier3_plus / 4);
    expect(biased.preferences.cityTierMultipliers.tier1?.stroller).toBeGreaterThan(2);
    expect(biased.preferences.cityTierMultipliers.tier1?.car_seat).toBeGreaterThan(2);
    expect(biased.description).toMatch(/mean recommended price by cityTier/);
    expect(optOut.consent.grant.personalised_recommendations).toBe(0.3);
    expect(optOut.behaviour.optOutPerHour).toBeGreaterThanOrEqual(0.4);
  });
});

describe('scenario validation', () => {
  const cases: [string, (s: Record<string, unknown> & Scenario) => void, string][] = [
    ['an unknown field', (s) => Object.assign(s.audience, { audienceSize: 3 }), '/audience/audienceSize'],
    ['an unknown top-level field', (s) => Object.assign(s, { colour: 'red' }), '/colour'],
    ['a missing field', (s) => delete (s.behaviour as Partial<Scenario['behaviour']>).refreshMinutes, '/behaviour/refreshMinutes'],
    ['a probability of 1.5', (s) => (s.consent.grant.marketing = 1.5), '/consent/grant/marketing'],
    ['minutes not increasing', (s) => (s.audience.arrival.points[2]![0] = s.audience.arrival.points[1]![0]), '/audience/arrival/points/2'],
    ['an arrival point after the show', (s) => s.audience.arrival.points.push([90, 1]), '/audience/arrival/points/7/0'],
    ['an arrival curve of zeros', (s) => (s.audience.arrival.points = [[0, 0], [60, 0]]), '/audience/arrival/points'],
    ['examination increasing', (s) => (s.behaviour.positionExamination[3] = 0.9), '/behaviour/positionExamination/3'],
    ['examination of 0', (s) => (s.behaviour.positionExamination = [0]), '/behaviour/positionExamination/0'],
    ['accept-all and decline-all shares over 1', (s) => Object.assign(s.consent, { acceptAllShare: 0.6, declineAllShare: 0.5 }), '/consent'],
    ['a grant rate below the accept-all share', (s) => (s.consent.grant.merchant_sharing = 0.05), '/consent/grant/merchant_sharing'],
    ['minors split not summing to 1', (s) => (s.minors.under14Share = 0.5), '/minors'],
    ['segment weights summing to 0', (s) => (s.segments.device = { ios: 0, android: 0, other: 0 }), '/segments/device'],
    ['a negative segment weight', (s) => (s.segments.cityTier.tier2 = -1), '/segments/cityTier/tier2'],
    ['a script minute beyond the show', (s) => (s.host.script[0]!.atMinute = 61), '/host/script/0/atMinute'],
    ['an unknown category in the script', (s) => ((s.host.script[1]!.product as { category: string }).category = 'nappies'), '/host/script/1/product/category'],
    ['an unknown host action', (s) => ((s.host.script[0] as { action: string }).action = 'dance'), '/host/script/0/action'],
    ['a rank of 0', (s) => (s.host.script[0]!.product.rank = 0), '/host/script/0/product/rank'],
    ['a flash sale without its terms', (s) => delete s.host.script[2]!.flashSale, '/host/script/2/flashSale'],
    ['sale terms on a pin', (s) => (s.host.script[0]!.flashSale = { discountPercent: 10, quantity: 5, durationMinutes: 5 }), '/host/script/0/flashSale'],
    ['an unknown category weight', (s) => Object.assign(s.preferences.categoryWeights, { nappies: 2 }), '/preferences/categoryWeights/nappies'],
    ['a missing category weight', (s) => delete (s.preferences.categoryWeights as Partial<Record<string, number>>).toys, '/preferences/categoryWeights/toys'],
    ['an unknown child age band', (s) => Object.assign(s.preferences.childAgeBandMultipliers, { '6_9y': { toys: 2 } }), '/preferences/childAgeBandMultipliers/6_9y'],
    ['a string for a number', (s) => ((s as { durationMinutes: unknown }).durationMinutes = '60'), '/durationMinutes'],
    ['feedback rates over 1', (s) => Object.assign(s.behaviour, { thumbsDownRate: 0.7, notInterestedRate: 0.6 }), '/behaviour'],
    ['a negative chat rate', (s) => (s.behaviour.chatMessagesPerHour = -1), '/behaviour/chatMessagesPerHour'],
    ['a string for the assistant rate', (s) => ((s.behaviour as { assistantQuestionsPerHour: unknown }).assistantQuestionsPerHour = 'often'), '/behaviour/assistantQuestionsPerHour'],
    ['an in-chat share over 1', (s) => (s.behaviour.assistantInChatShare = 1.5), '/behaviour/assistantInChatShare'],
    ['an unknown kind in the chat mix', (s) => (s.behaviour.chatMix = { ...BEHAVIOUR_DEFAULTS.chatMix, spam: 1 } as typeof s.behaviour.chatMix), '/behaviour/chatMix/spam'],
    ['a chat mix of zeros', (s) => (s.behaviour.chatMix = { reaction: 0, hostQuestion: 0, blockedWords: 0, link: 0 }), '/behaviour/chatMix'],
    ['a topic missing from the assistant mix', (s) => (s.behaviour.assistantMix = { pinnedProduct: 1 } as typeof s.behaviour.assistantMix), '/behaviour/assistantMix/namedProduct'],
  ];

  it.each(cases)('names the path of %s', (_label, edit, path) => {
    const error = errorFor(edit);
    expect(error.problems.map((p) => p.path)).toContain(path);
    expect(error.message).toContain('edited.json');
    expect(error.message).toContain(path);
  });

  it('names a bad talk rate in one clear message', () => {
    const error = errorFor((s) => (s.behaviour.assistantQuestionsPerHour = -3));
    expect(error.problems).toHaveLength(1);
    expect(error.message).toBe('edited.json: /behaviour/assistantQuestionsPerHour: must be >= 0');
  });

  it('gives a scenario file without the talk fields the defaults (older files stay valid)', () => {
    const s = babyCare();
    const b = s.behaviour as Partial<Scenario['behaviour']>;
    delete b.chatMessagesPerHour;
    delete b.assistantQuestionsPerHour;
    delete b.chatMix;
    delete b.assistantMix;
    delete b.assistantInChatShare;
    const parsed = parseScenario(s);
    expect(parsed.behaviour).toMatchObject({
      chatMessagesPerHour: 18,
      assistantQuestionsPerHour: 12,
      chatMix: BEHAVIOUR_DEFAULTS.chatMix,
      assistantMix: BEHAVIOUR_DEFAULTS.assistantMix,
      assistantInChatShare: 0.5,
    });
    // The defaults are a copy: editing one scenario's mix leaves the defaults alone.
    parsed.behaviour.chatMix.link = 9;
    expect(BEHAVIOUR_DEFAULTS.chatMix.link).toBe(0.05);
    // Given values are kept.
    const given = parseScenario({ ...babyCare(), behaviour: { ...babyCare().behaviour, chatMix: { reaction: 1, hostQuestion: 0, blockedWords: 0, link: 0 }, assistantInChatShare: 1 } });
    expect(given.behaviour.chatMix).toEqual({ reaction: 1, hostQuestion: 0, blockedWords: 0, link: 0 });
    expect(given.behaviour.assistantInChatShare).toBe(1);
  });

  it('reports every problem at once, the first as `path`', () => {
    const error = errorFor((s) => {
      s.consent.grant.marketing = 1.5;
      Object.assign(s.audience, { audienceSize: 3 });
    });
    expect(error.problems.length).toBe(2);
    expect(error.problems.map((p) => p.path)).toContain(error.path);
    expect(error.message).toMatch(/2 problems/);
  });

  it('names the source of text that is not JSON, and of a missing file', () => {
    expect(() => loadScenario('{ "name": ', 'broken.json')).toThrow(/^broken\.json: \/: not valid JSON/);
    expect(() => readScenarioFile('/nonexistent/scenario.json')).toThrow(/\/nonexistent\/scenario\.json: \/: cannot read the file \(ENOENT\)/);
  });

  it('returns a copy that later edits of the input do not reach', () => {
    const s = babyCare();
    const parsed = parseScenario(s);
    s.audience.viewers = 1;
    expect(parsed.audience.viewers).not.toBe(1);
  });

  it('describes every field of the schema', () => {
    const missing: string[] = [];
    const walk = (schema: unknown, path: string) => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as { properties?: Record<string, unknown>; items?: unknown; description?: string };
      if (s.properties) {
        for (const [key, child] of Object.entries(s.properties)) {
          if (typeof (child as { description?: unknown }).description !== 'string') missing.push(`${path}/${key}`);
          walk(child, `${path}/${key}`);
        }
      }
      if (Array.isArray(s.items)) s.items.forEach((item, i) => walk(item, `${path}/${i}`));
      else if (s.items) walk(s.items, `${path}/*`);
    };
    walk(SCENARIO_SCHEMA, '');
    expect(missing).toEqual([]);
    expect(JSON.parse(JSON.stringify(SCENARIO_SCHEMA)).additionalProperties).toBe(false);
  });
});
