import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { runAudit } from './engine.js';
import { AuditLogBuilder, type AuditRow } from './log.js';

const band = (fen: number) => (fen < 10_000 ? 'low' : fen < 40_000 ? 'mid' : 'high');

/** Eight products: four cheap (¥50), four dear (¥500); categories a–d. */
const PRODUCTS = Array.from({ length: 8 }, (_, p) => ({ id: `p${p}`, category: 'abcd'[p % 4]!, priceFen: p < 4 ? 5_000 : 50_000, listPriceFen: p < 4 ? 6_000 : 50_000 }));

/**
 * Lists of 4 for viewers of three tiers; `premiumOdds[tier]` is the chance each slot holds a dear
 * product. Clicks: 10 % of impressions, independent of everything.
 */
function world(seed: number, lists: number, premiumOdds: Record<string, number>, segments: (r: Rng) => AuditRow['segments'] = () => ({})): AuditLogBuilder {
  const rng = new Rng(seed);
  const b = new AuditLogBuilder();
  const tiers = Object.keys(premiumOdds);
  for (let l = 0; l < lists; l++) {
    const tier = tiers[Math.floor(rng.next() * tiers.length)]!;
    const extra = segments(rng);
    for (let pos = 1; pos <= 4; pos++) {
      const dear = rng.next() < premiumOdds[tier]!;
      const p = PRODUCTS[(dear ? 4 : 0) + Math.floor(rng.next() * 4)]!;
      b.push({
        listId: `l${l}`,
        productId: p.id,
        category: p.category,
        position: pos,
        priceFen: p.priceFen,
        listPriceFen: p.listPriceFen,
        clicked: rng.next() < 0.1,
        purchased: rng.next() < 0.02,
        personalised: true,
        segments: { cityTier: tier, ...extra },
      });
    }
  }
  return b;
}

describe('fairness audit of the decision log', () => {
  it('flags a tier steered to pricier products, on premium rate and mean price, with the reference named', () => {
    const log = world(1, 3_000, { tier1: 0.7, tier2: 0.3, tier3_plus: 0.3 }).build();
    const r = runAudit(log, { catalogueSize: 8, priceBandOf: band });
    expect(r.decisions).toBe(12_000);
    expect(r.lists).toBe(3_000);
    expect(r.premiumFromFen).toBe(50_000);
    const city = r.segments.find((s) => s.attribute === 'cityTier')!;
    expect(city.status).toBe('ok');
    const premium = city.gaps.filter((g) => g.metric === 'premiumRate');
    const tier1 = premium.find((g) => g.group === 'tier1') ?? premium.find((g) => g.group !== city.reference && city.reference !== 'tier1');
    // Whichever tier is the reference, tier1 differs from the others and is flagged against them.
    const flagged = r.flags.filter((f) => f.dimension === 'cityTier').map((f) => f.metric);
    expect(flagged).toContain('premiumRate');
    expect(flagged).toContain('meanPrice');
    expect(tier1?.pAdjusted).toBeLessThan(1e-6);
    const t1 = city.groups.find((g) => g.group === 'tier1')!;
    expect(t1.premiumRate).toBeGreaterThan(0.65);
    expect(t1.meanPrice).toBeGreaterThan(300);
    // Clicks are independent of tier: no click-through gap is flagged.
    expect(city.gaps.filter((g) => g.metric === 'ctr' && g.flagged)).toEqual([]);
    // The bootstrap interval of the price gap excludes 0 and contains the estimate.
    const price = city.gaps.find((g) => g.metric === 'meanPrice' && (g.group === 'tier1' || city.reference === 'tier1'))!;
    expect(price.ci95).not.toBeNull();
    expect(price.ci95![0]).toBeLessThanOrEqual(price.difference!);
    expect(price.ci95![1]).toBeGreaterThanOrEqual(price.difference!);
    expect(Math.sign(price.ci95![0])).toBe(Math.sign(price.ci95![1]));
    expect(r.flags[0]!.text.en).toMatch(/city tier "/);
    expect(r.flags[0]!.text.zh).toMatch(/城市级别/);
  });

  it('flags nothing for segments when every tier is treated alike (several seeds)', () => {
    for (const seed of [2, 3, 4]) {
      const r = runAudit(world(seed, 3_000, { tier1: 0.4, tier2: 0.4, tier3_plus: 0.4 }).build(), { catalogueSize: 8, priceBandOf: band });
      expect(r.flags.filter((f) => f.kind === 'segment')).toEqual([]);
      const city = r.segments.find((s) => s.attribute === 'cityTier')!;
      for (const g of city.gaps.filter((x) => x.metric === 'premiumRate')) expect(g.ratio!).toBeGreaterThan(0.8);
    }
  });

  it('suppresses small groups (size only), reports unrecorded attributes, and refuses nothing', () => {
    const log = world(5, 2_000, { tier1: 0.4, tier2: 0.4 }, (rng) => ({ device: rng.next() < 0.998 ? 'android' : 'ios' })).build();
    const r = runAudit(log, { catalogueSize: 8, priceBandOf: band });
    const device = r.segments.find((s) => s.attribute === 'device')!;
    const ios = device.groups.find((g) => g.group === 'ios')!;
    expect(ios.suppressed).toBe(true);
    expect(ios.impressions).toBeLessThan(30);
    expect(ios.premiumRate).toBeNull();
    expect(ios.meanPrice).toBeNull();
    expect(device.status).toBe('one_group');
    expect(device.gaps).toEqual([]);
    expect(r.segments.find((s) => s.attribute === 'childAgeBand')!.status).toBe('not_recorded');
    expect(r.segments.find((s) => s.attribute === 'visitor')!.missing).toBe(8_000);
  });

  it('sizes a viewer group by its viewers, not its decisions: many lists from few viewers are suppressed', () => {
    // tier1: 20 viewers with 10 lists each (800 decisions); tier2: 40 viewers with one list each (160 decisions).
    const b = new AuditLogBuilder();
    const rng = new Rng(8);
    const push = (viewer: string, list: string, tier: string) => {
      for (let pos = 1; pos <= 4; pos++) {
        const p = PRODUCTS[Math.floor(rng.next() * 8)]!;
        b.push({ listId: list, unitId: viewer, productId: p.id, category: p.category, position: pos, priceFen: p.priceFen, listPriceFen: p.listPriceFen, clicked: rng.next() < 0.1, purchased: false, personalised: true, segments: { cityTier: tier } });
      }
    };
    for (let v = 0; v < 20; v++) for (let l = 0; l < 10; l++) push(`a${v}`, `a${v}-${l}`, 'tier1');
    for (let v = 0; v < 40; v++) push(`b${v}`, `b${v}`, 'tier2');
    // One viewer declares a tier mid-show: counted once in each group it was in.
    push('b0', 'b0-late', 'tier1');
    const r = runAudit(b.build(), { catalogueSize: 8, priceBandOf: band });
    const city = r.segments.find((s) => s.attribute === 'cityTier')!;
    const tier1 = city.groups.find((g) => g.group === 'tier1')!;
    const tier2 = city.groups.find((g) => g.group === 'tier2')!;
    expect(tier1).toMatchObject({ viewers: 21, impressions: 804, suppressed: true, premiumRate: null });
    expect(tier2).toMatchObject({ viewers: 40, impressions: 160, suppressed: false });
    expect(city.status).toBe('one_group');
    expect(city.reference).toBe('tier2');
  });

  it('names groups in words in the flags: a segment value and a price band, never the stored key alone', () => {
    const log = world(1, 3_000, { tier1: 0.7, tier2: 0.3, tier3_plus: 0.3 }).build();
    const r = runAudit(log, { catalogueSize: 8, priceBandOf: band });
    const flag = r.flags.find((f) => f.dimension === 'cityTier' && f.group === 'tier1')!;
    expect(flag.text.zh).toContain('城市级别“一线城市”');
    expect(flag.text.en).toContain('city tier "tier-1 city"');
    expect(flag.text.zh).not.toMatch(/tier\d/);
  });

  it('reports every group as too few when even the largest is below the minimum size', () => {
    const r = runAudit(world(6, 5, { tier1: 0.5, tier2: 0.5 }).build(), { catalogueSize: 8, priceBandOf: band });
    const city = r.segments.find((s) => s.attribute === 'cityTier')!;
    expect(city.status).toBe('too_few');
    expect(city.groups.every((g) => g.suppressed && g.premiumRate === null)).toBe(true);
  });

  it('computes position-weighted exposure, amortised over lists, against merit, with Gini and coverage', () => {
    const b = new AuditLogBuilder();
    // Two lists: [p0, p4] twice; p0 clicked once in four … p4 clicked twice.
    for (let l = 0; l < 2; l++) {
      b.push({ listId: `l${l}`, productId: 'p0', category: 'a', position: 1, priceFen: 5_000, listPriceFen: 5_000, clicked: l === 0, purchased: false, personalised: false, segments: {} });
      b.push({ listId: `l${l}`, productId: 'p4', category: 'b', position: 2, priceFen: 50_000, listPriceFen: 50_000, clicked: true, purchased: false, personalised: false, segments: {} });
    }
    const r = runAudit(b.build(), { catalogueSize: 4, priceBandOf: band, settings: { minGroupSize: 1 } });
    expect(r.exposure.lists).toBe(2);
    expect(r.exposure.coverage).toBe(0.5);
    // Impressions 2, 2, 0, 0 over a catalogue of 4: Gini 0.5.
    expect(r.exposure.gini).toBeCloseTo(0.5, 12);
    const cat = r.exposure.groupings.find((g) => g.grouping === 'category')!;
    const a = cat.groups.find((g) => g.group === 'a')!;
    const bb = cat.groups.find((g) => g.group === 'b')!;
    expect(a.meanExposure).toBeCloseTo(1, 12);
    expect(bb.meanExposure).toBeCloseTo(1 / Math.log2(3), 12);
    const total = 1 + 1 / Math.log2(3);
    expect(a.exposureShare).toBeCloseTo(1 / total, 12);
    // Merit: click-through 0.5 and 1.0 → shares 1/3 and 2/3.
    expect(a.meritShare).toBeCloseTo(1 / 3, 12);
    expect(a.exposurePerMerit).toBeCloseTo(1 / total / (1 / 3), 12);
    // Outside the band, but two lists cannot show that the merit differs from the band's edge.
    expect(a.fair).toBe(false);
    expect(a.flagged).toBe(false);
    expect(cat.minMaxRatio).toBeCloseTo(1 / Math.log2(3), 12);
    expect(r.flags.some((f) => f.kind === 'exposure')).toBe(false);
  });

  it('flags a product group whose attention is far out of proportion to its merit, on enough data, and not a proportionate one', () => {
    const run = (ctrA: number, ctrB: number) => {
      const rng = new Rng(11);
      const b = new AuditLogBuilder();
      for (let l = 0; l < 2_000; l++) {
        b.push({ listId: `l${l}`, unitId: `u${l % 700}`, productId: 'p0', category: 'a', position: 1, priceFen: 5_000, listPriceFen: 5_000, clicked: rng.next() < ctrA, purchased: false, personalised: false, segments: {} });
        b.push({ listId: `l${l}`, unitId: `u${l % 700}`, productId: 'p4', category: 'b', position: 2, priceFen: 50_000, listPriceFen: 50_000, clicked: rng.next() < ctrB, purchased: false, personalised: false, segments: {} });
      }
      return runAudit(b.build(), { catalogueSize: 2, priceBandOf: band }).exposure.groupings.find((g) => g.grouping === 'category')!;
    };
    // Position 1 gets 61 % of the attention; with click-through 5 % against 20 % it has 20 % of the merit.
    const skewed = run(0.05, 0.2);
    const a = skewed.groups.find((g) => g.group === 'a')!;
    expect(a.exposurePerMerit!).toBeGreaterThan(2.5);
    // Its bootstrap interval (700 viewers resampled) holds the estimate and lies above the band.
    expect(a.ci95![0]).toBeLessThan(a.exposurePerMerit!);
    expect(a.ci95![1]).toBeGreaterThan(a.exposurePerMerit!);
    expect(a.ci95![0]).toBeGreaterThan(1 / 0.8);
    expect(a.pAdjusted!).toBeLessThan(1e-6);
    expect(a.flagged).toBe(true);
    // Attention 61/39 against merit 55/45 (click-through 11 % and 9 %): inside the band.
    const fair = run(0.11, 0.09);
    expect(fair.groups.every((g) => g.fair === true && !g.flagged)).toBe(true);
  });

  it('is reproducible: the same log and seed give the same report', () => {
    const log = world(7, 500, { tier1: 0.6, tier2: 0.3 }).build();
    expect(runAudit(log, { catalogueSize: 8, priceBandOf: band })).toEqual(runAudit(log, { catalogueSize: 8, priceBandOf: band }));
  });

  it('measures the re-ranker against its random holdout: lists, click-through difference with a clustered interval, proportionality', () => {
    const rng = new Rng(21);
    const b = new AuditLogBuilder();
    // 3,000 lists from 600 viewers; 10 % held out. Held-out lists show category a on top (a is
    // clicked 4 %, b 8 %); re-ranked lists alternate. Click-through is lower on held-out lists.
    for (let l = 0; l < 3_000; l++) {
      const held = rng.next() < 0.1;
      const top = held || l % 2 === 0 ? 'a' : 'b';
      const bottom = top === 'a' ? 'b' : 'a';
      for (const [slot, category] of [top, bottom].entries()) {
        b.push({
          listId: `l${l}`,
          unitId: `u${l % 600}`,
          productId: `p-${category}`,
          category,
          position: slot + 1,
          priceFen: 5_000,
          listPriceFen: 5_000,
          clicked: rng.next() < (category === 'a' ? 0.04 : 0.08),
          purchased: false,
          personalised: true,
          rerank: held ? 'holdout' : top === 'a' ? 'kept' : 'changed',
          segments: {},
        });
      }
    }
    const r = runAudit(b.build(), { catalogueSize: 2, priceBandOf: band });
    const m = r.mitigation!;
    expect(m.lists.applied + m.lists.holdout).toBe(3_000);
    expect(m.lists.holdout / 3_000).toBeGreaterThan(0.07);
    expect(m.lists.holdout / 3_000).toBeLessThan(0.13);
    expect(m.lists.changed).toBeGreaterThan(1_200);
    expect(m.ctr.applied).not.toBeNull();
    expect(m.ctr.difference).toBeCloseTo(m.ctr.applied! - m.ctr.holdout!, 12);
    expect(m.ctr.ci95![0]).toBeLessThan(m.ctr.difference!);
    expect(m.ctr.ci95![1]).toBeGreaterThan(m.ctr.difference!);
    // Held out: a always on top (61 % of the attention for a third of the merit); re-ranked: even.
    const cat = m.exposure.find((x) => x.grouping === 'category')!;
    expect(cat.holdoutWorst!).toBeGreaterThan(cat.appliedWorst!);
    expect(cat.holdoutDistance!).toBeGreaterThan(cat.appliedDistance!);
    // Without any re-ranked decision there is no mitigation section.
    expect(runAudit(world(3, 100, { tier1: 0.5 }).build(), { catalogueSize: 8, priceBandOf: band }).mitigation).toBeNull();
  });

  it('draws a large group’s bootstrap sums from their normal limit with the same interval as resampling unit by unit', () => {
    // 12,000 viewers with 3 lists each, two tiers, many distinct units (so the class shortcut is off).
    const rng = new Rng(31);
    const b = new AuditLogBuilder();
    for (let v = 0; v < 12_000; v++) {
      const tier = v % 2 === 0 ? 'tier1' : 'tier2';
      const taste = rng.next();
      for (let l = 0; l < 3; l++) {
        for (let pos = 1; pos <= 4; pos++) {
          const dear = rng.next() < (tier === 'tier1' ? 0.3 : 0.25) + 0.2 * taste;
          const p = PRODUCTS[(dear ? 4 : 0) + Math.floor(rng.next() * 4)]!;
          b.push({
            listId: `v${v}l${l}`,
            unitId: `v${v}`,
            productId: p.id,
            category: p.category,
            position: pos,
            priceFen: p.priceFen + Math.floor(rng.next() * 50) * 100,
            listPriceFen: p.listPriceFen + 5_000,
            clicked: rng.next() < 0.05 + 0.05 * taste,
            purchased: rng.next() < 0.01,
            personalised: true,
            segments: { cityTier: tier },
          });
        }
      }
    }
    const log = b.build();
    const auditWith = (normalLimitUnits: number) => runAudit(log, { catalogueSize: 8, priceBandOf: band, settings: { normalLimitUnits, bootstrap: 400 } });
    const fastAudit = auditWith(2_000);
    const exactAudit = auditWith(Number.POSITIVE_INFINITY);
    const fast = fastAudit.segments.find((x) => x.attribute === 'cityTier')!.gaps;
    const exact = exactAudit.segments.find((x) => x.attribute === 'cityTier')!.gaps;
    // The exposure intervals too (12,000 viewers: the normal limit of every group's sums at once).
    const exposureIntervals = (a: typeof fastAudit) => a.exposure.groupings.find((g) => g.grouping === 'category')!.groups.map((g) => g.ci95!);
    for (const [i, f] of exposureIntervals(fastAudit).entries()) {
      const e = exposureIntervals(exactAudit)[i]!;
      const width = e[1] - e[0];
      expect(Math.abs(f[0] - e[0])).toBeLessThan(0.2 * width);
      expect(Math.abs(f[1] - e[1])).toBeLessThan(0.2 * width);
    }
    expect(fast.length).toBe(7);
    for (const [i, g] of fast.entries()) {
      const e = exact[i]!;
      expect(g.metric).toBe(e.metric);
      const width = e.ci95![1] - e.ci95![0];
      // Percentile endpoints of 400 resamples move by up to about a tenth of the width between two
      // seeds of the exact bootstrap itself: within a fifth at each end, and widths within 15 %.
      expect(Math.abs(g.ci95![0] - e.ci95![0])).toBeLessThan(0.2 * width);
      expect(Math.abs(g.ci95![1] - e.ci95![1])).toBeLessThan(0.2 * width);
      expect((g.ci95![1] - g.ci95![0]) / width).toBeGreaterThan(0.85);
      expect((g.ci95![1] - g.ci95![0]) / width).toBeLessThan(1.15);
    }
  });

  it('audits exposure by seller when products name one (the rest are the brand’s own), and leaves the grouping out otherwise', () => {
    const log = world(41, 2_000, { tier1: 0.5, tier2: 0.5 }).build();
    // p0 and p4 come from a partner seller; p0 is cheap (often shown), p4 dear.
    const sellerOf = (id: string) => (id === 'p0' || id === 'p4' ? '小熊母婴' : undefined);
    const r = runAudit(log, { catalogueSize: 8, priceBandOf: band, sellerOf });
    const seller = r.exposure.groupings.find((g) => g.grouping === 'seller')!;
    expect(seller.groups.map((g) => g.group).sort()).toEqual(['brand', '小熊母婴']);
    expect(seller.groups.find((g) => g.group === '小熊母婴')!.products).toBe(2);
    expect(seller.groups.reduce((a, g) => a + g.exposureShare, 0)).toBeCloseTo(1, 12);
    expect(runAudit(log, { catalogueSize: 8, priceBandOf: band }).exposure.groupings.map((g) => g.grouping)).toEqual(['category', 'priceBand']);
  });
});
