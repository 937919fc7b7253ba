/**
 * End to end: a simulated audience drives the real server (in process, on its simulated clock),
 * the recommender serves and learns, and the fairness audits read the decision log it wrote.
 *
 * - The biased-steering world splits the audience by city tier: tier1 viewers want premium
 *   categories and barely mind prices, the others are price sensitive. The audit of the show flags
 *   a city-tier gap (a significant one, outside the band), and the live checks during the show
 *   raise an alert for it.
 * - The same world with no difference between the tiers: no city-tier gap is flagged, at the end
 *   or live.
 *
 * - The baby-care world with the exposure-fair re-ranker on (by category, 30 % of lists held out):
 *   in re-ranked lists attention follows merit more closely than in held-out lists, and
 *   the audit reports the difference in click-through it cost, with its interval.
 *
 * The simulated audience, the server, the decision log and the audits are all real; nothing here
 * is a fixture. Each show has 3,000 viewers over its hour.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/context/index.js';
import type { FairnessReport } from '../../src/modules/fairness/index.js';
import { builtinScenarioPath, createInjectTarget, parseScenario, simulate, type InjectTarget } from '../../src/modules/simulation/index.js';

const VIEWERS = 3_000;
const biased = JSON.parse(fs.readFileSync(builtinScenarioPath('biased-steering'), 'utf8')) as Record<string, unknown> & { preferences: Record<string, unknown> };
const unbiased = {
  ...biased,
  name: 'biased-steering-without-tiers',
  preferences: { ...biased.preferences, cityTierMultipliers: {}, cityTierPriceMultiplier: { tier1: 1, tier2: 1, tier3_plus: 1 } },
};

async function show(scenario: unknown, settings: Record<string, string> = {}): Promise<{ report: FairnessReport; alertFlags: { dimension: string; group: string; metric: string }[] }> {
  target = await createInjectTarget({ settings });
  await simulate({ target, scenario: parseScenario(scenario), viewers: VIEWERS, sessionId: 'demo', k: 4 });
  const fairness = target.app.services.fairness;
  const audit = await fairness.runOnDemand(systemContext('test'), { sessionId: 'demo' });
  if (!audit.ok) throw new Error(audit.code);
  const alerts = await fairness.alerts({ sessionId: 'demo', limit: 100 });
  return { report: audit.value, alertFlags: alerts.flatMap((a) => a.flags) };
}

let target: InjectTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

describe('fairness audits of a simulated show', { timeout: 600_000 }, () => {
  it('flag the city-tier gap of the biased-steering world, at the end and live', async () => {
    const { report, alertFlags } = await show(biased);
    expect(report.decisions).toBeGreaterThan(10_000);
    expect(report.simulated).toBe(true);
    const city = report.segments.find((s) => s.attribute === 'cityTier')!;
    expect(city.status).toBe('ok');
    expect(city.groups.map((g) => g.group).sort()).toEqual(['tier1', 'tier2', 'tier3_plus']);
    const flagged = report.flags.filter((f) => f.kind === 'segment' && f.dimension === 'cityTier');
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.some((f) => f.group === 'tier1' || f.reference === 'tier1')).toBe(true);
    for (const f of flagged) {
      expect(f.pAdjusted!).toBeLessThan(0.05);
      expect(f.ratio === null || f.ratio < 0.8 || f.ratio > 1.25).toBe(true);
    }
    expect(alertFlags.some((f) => f.dimension === 'cityTier')).toBe(true);
    // A device class has no effect in this world: no gap by device is flagged.
    expect(report.flags.filter((f) => f.dimension === 'device')).toEqual([]);
  });

  it('flag no city-tier gap when the tiers behave alike', async () => {
    const { report, alertFlags } = await show(unbiased);
    const city = report.segments.find((s) => s.attribute === 'cityTier')!;
    expect(city.status).toBe('ok');
    expect(city.recorded).toBeGreaterThan(10_000);
    expect(report.flags.filter((f) => f.dimension === 'cityTier')).toEqual([]);
    expect(alertFlags.filter((f) => f.dimension === 'cityTier')).toEqual([]);
    expect(report.flags.filter((f) => f.dimension === 'device')).toEqual([]);
  });

  it('measure the exposure-fair re-ranker against its holdout: attention closer to merit, and the click-through it cost', async () => {
    const babyCare = JSON.parse(fs.readFileSync(builtinScenarioPath('baby-care'), 'utf8')) as unknown;
    // 30 % held out, so that both halves measure exposure and merit well.
    const { report } = await show(babyCare, { QINGLIU_FAIRNESS_RERANK: 'category', QINGLIU_FAIRNESS_RERANK_HOLDOUT: '0.3' });
    const m = report.mitigation!;
    expect(m).not.toBeNull();
    const lists = m.lists.applied + m.lists.holdout;
    expect(lists).toBe(report.lists);
    expect(m.lists.holdout / lists).toBeGreaterThan(0.25);
    expect(m.lists.holdout / lists).toBeLessThan(0.35);
    expect(m.lists.changed).toBeGreaterThan(0);
    // Attention follows merit more closely in re-ranked lists than in held-out ones.
    const category = m.exposure.find((x) => x.grouping === 'category')!;
    expect(category.appliedDistance!).toBeLessThan(category.holdoutDistance!);
    expect(m.ctr.difference).not.toBeNull();
    expect(m.ctr.ci95![0]).toBeLessThanOrEqual(m.ctr.difference!);
    expect(m.ctr.ci95![1]).toBeGreaterThanOrEqual(m.ctr.difference!);
    // Lists the re-ranker changed carry propensities that no longer describe the policy: the
    // off-policy evaluation export leaves them out.
    const exported = await target!.app.services.storage.db
      .selectFrom('recommendation_decisions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('rerank', '=', 'changed')
      .executeTakeFirstOrThrow();
    expect(Number(exported.n)).toBeGreaterThan(0);
    const { KyselyRecommenderStore } = await import('../../src/modules/recommender/index.js');
    const evaluation = await new KyselyRecommenderStore(target!.app.services.storage.db).decisionsBetween(0, Date.now() + 365 * 86_400_000, 1_000_000);
    expect(evaluation.length).toBe(report.decisions - Number(exported.n));
    expect(evaluation.every((d) => d.rerank !== 'changed')).toBe(true);
  });
});
