/**
 * Do the experiments' intervals cover the truth at their nominal rate? Many simulated A/B runs in
 * the simulated world, each analysed by the very code the server uses (`analyse`, with scheduled
 * looks and repeated confidence intervals), against a difference known from the world's truth.
 *
 * The two arms are fixed policies, so the true difference is a number: A shows everyone the slate
 * that is best on average over the audience ("popular in the room"); B shows each viewer the slate
 * best for their child's age band. In a static room (no host script: the truth of a learning policy
 * or a changing room is not one number), a viewer converts when any of their lists leads to a
 * purchase; P(convert | viewer, slate) = 1 − Π over their lists and slots of (1 − P(purchase at
 * slot)), exactly, since the cascade draws every slot independently. The true difference is the
 * mean over a large reference audience (an independent seed) of P(convert | B) − P(convert | A).
 *
 * Each run draws a fresh audience, assigns arms by the keyed hash the server uses, lets every viewer
 * respond through the world's cascade (`respond`, their own seeded draws), and takes looks at
 * equally spaced information fractions in order of arrival — the server's own measure
 * (`informationFraction`: the information on the difference over its planned value, so a run whose
 * hash split the arms unequally goes on until the smaller arm's precision is reached, as the server
 * does). A run covers when every look's repeated interval holds the true difference.
 */
import { Rng } from '../../shared/rng.js';
import { analyse, armIndexOf, informationFraction, unitOf, type UnitMetric } from '../experiments/index.js';
import { loadDemoCatalogue } from '../catalogue/index.js';
import type { ArmUnitSums } from '../experiments/ports.js';
import type { ExperimentDefinition } from '../experiments/definition.js';
import {
  generateAudience,
  itemProbabilities,
  mixSeed,
  NoiseTable,
  respond,
  roomContext,
  type ChildAgeBand,
  type ProductView,
  type RoomContext,
  type Scenario,
  type SimViewer,
} from './world/index.js';

export interface CoverageOptions {
  scenario: Scenario;
  /** The room's products (static: no host script in coverage runs). */
  products: readonly ProductView[];
  runs: number;
  /** Planned units per arm: the last look is at information fraction 1 (by the server's measure). */
  unitsPerArm: number;
  looks: number;
  k: number;
  seed: number;
  alpha?: number;
  spending?: 'obrien_fleming' | 'pocock';
  /** Viewers in the reference audiences that choose the slates and measure the truth. */
  referenceViewers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CoverageResult {
  runs: number;
  unitsPerArm: number;
  looks: number;
  trueConversion: { a: number; b: number; difference: number; relativeUplift: number };
  /** Share of runs whose repeated intervals held the true difference at every look. */
  coverage: number;
  /** 95 % Wilson interval of that share (binomial over runs). */
  coverageInterval: [number, number];
  relativeUpliftCoverage: number;
  /** Share of runs whose final look found B better (the design's power at this difference). */
  power: number;
  /** Share of runs that found a difference with the wrong sign (should be ~0). */
  wrongSign: number;
  meanEstimate: number;
  meanHalfWidthAtFinalLook: number;
  /** Viewers a run needed to reach the planned information (2 × unitsPerArm with an even split). */
  meanViewers: number;
  seconds: number;
}

/** Audience drawn per run, as a multiple of the planned total; a run stops at information fraction 1. */
const AUDIENCE_MARGIN = 1.25;

/** Best k products by an item score, best first (the most examined slot gets the best item). */
function topK(products: readonly ProductView[], score: (p: ProductView) => number, k: number): ProductView[] {
  return products
    .filter((p) => !p.soldOut)
    .map((p) => ({ p, s: score(p) }))
    .sort((x, y) => y.s - x.s || (x.p.id < y.p.id ? -1 : 1))
    .slice(0, k)
    .map((x) => x.p);
}

function conversionProbability(viewer: SimViewer, slate: readonly ProductView[], room: RoomContext, noise: NoiseTable): number {
  let none = 1;
  for (let i = 0; i < slate.length; i++) {
    const q = (viewer.behaviour.positionExamination[i] ?? 0) * itemProbabilities(viewer, slate[i]!, room, noise).purchase;
    none *= 1 - q;
  }
  return 1 - Math.pow(none, viewer.requestMinutes.length);
}

/** The two fixed policies, chosen on a reference audience. */
export function fixedPolicies(scenario: Scenario, products: readonly ProductView[], k: number, seed: number, viewers: number) {
  const room = roomContext(products);
  const noise = NoiseTable.forScenario(scenario);
  const audience = generateAudience({ ...scenario, audience: { ...scenario.audience, viewers } }, mixSeed(seed, 'choose'));
  const meanPurchase = (group: readonly SimViewer[]) => {
    const sums = new Map(products.map((p) => [p.id, 0]));
    for (const v of group) for (const p of products) sums.set(p.id, sums.get(p.id)! + itemProbabilities(v, p, room, noise).purchase);
    return (p: ProductView) => sums.get(p.id)! / Math.max(1, group.length);
  };
  const popular = topK(products, meanPurchase(audience), k);
  const byBand = new Map<ChildAgeBand, ProductView[]>();
  for (const band of new Set(audience.map((v) => v.segment.childAgeBand))) {
    byBand.set(band, topK(products, meanPurchase(audience.filter((v) => v.segment.childAgeBand === band)), k));
  }
  return { room, noise, a: (_v: SimViewer) => popular, b: (v: SimViewer) => byBand.get(v.segment.childAgeBand) ?? popular };
}

const METRIC: UnitMetric = 'conversion';

export function abCoverage(options: CoverageOptions): CoverageResult {
  const started = performance.now();
  const { scenario, products, runs, unitsPerArm, k, seed } = options;
  const reference = options.referenceViewers ?? 50_000;
  const policies = fixedPolicies(scenario, products, k, seed, Math.min(reference, 20_000));
  const { room, noise } = policies;

  // The truth, on an independent reference audience.
  const truthAudience = generateAudience({ ...scenario, audience: { ...scenario.audience, viewers: reference } }, mixSeed(seed, 'truth'));
  let pa = 0;
  let pb = 0;
  for (const v of truthAudience) {
    pa += conversionProbability(v, policies.a(v), room, noise);
    pb += conversionProbability(v, policies.b(v), room, noise);
  }
  pa /= truthAudience.length;
  pb /= truthAudience.length;
  const truth = pb - pa;
  const trueUplift = pb / pa - 1;

  const definition: ExperimentDefinition = {
    name: 'coverage',
    brandId: 'simulation',
    sessionIds: [],
    arms: [
      { id: 'a', name: 'popular', policy: 'non_personalised' },
      { id: 'b', name: 'by child age band', policy: 'linucb' },
    ],
    allocation: [0.5, 0.5],
    control: 'a',
    primaryMetric: METRIC,
    guardrails: [],
    alpha: options.alpha ?? 0.05,
    spending: options.spending ?? 'obrien_fleming',
    plannedUnitsPerArm: unitsPerArm,
    lookEveryMinutes: 5,
  };

  let covered = 0;
  let upliftCovered = 0;
  let found = 0;
  let wrong = 0;
  let estimateSum = 0;
  let halfWidthSum = 0;
  let viewersSum = 0;
  for (let run = 0; run < runs; run++) {
    const runSeed = mixSeed(seed, 'run', run);
    // The run's assignment salt (32 bytes), seeded so that runs are reproducible.
    const saltRng = new Rng(mixSeed(runSeed, 'salt'));
    const salt = Array.from({ length: 8 }, () => saltRng.nextUint32().toString(16).padStart(8, '0')).join('');
    // More viewers than planned arrive than the run needs: the hash's split is not exactly even, and
    // the run ends at the look where the information fraction reaches 1, not at a head count.
    const audience = generateAudience({ ...scenario, audience: { ...scenario.audience, viewers: Math.ceil(2 * unitsPerArm * AUDIENCE_MARGIN) } }, runSeed).sort((x, y) => x.arrivalMinute - y.arrivalMinute || x.index - y.index);
    // Per arm, running sums in arrival order; a look at each fraction j/looks of the planned total.
    const sums = { a: { units: 0, sum: 0, sumSquares: 0 }, b: { units: 0, sum: 0, sumSquares: 0 } };
    const fractions: number[] = [];
    let allCovered = true;
    let allUpliftCovered = true;
    let last: ReturnType<typeof analyse> | undefined;
    let nextLook = 1;
    for (let i = 0; i < audience.length; i++) {
      const v = audience[i]!;
      const arm = armIndexOf(unitOf(salt, v.deviceId), [0.5, 0.5]) === 0 ? 'a' : 'b';
      const slate = arm === 'a' ? policies.a(v) : policies.b(v);
      const rng = new Rng(mixSeed(runSeed, 'viewer', v.index));
      let converted = 0;
      for (let r = 0; r < v.requestMinutes.length && converted === 0; r++) {
        if (respond(v, slate, room, noise, rng).some((a) => a.kind === 'purchase')) converted = 1;
      }
      const s = sums[arm];
      s.units++;
      s.sum += converted;
      s.sumSquares += converted;
      const fraction = informationFraction(definition, [
        { arm: 'a', units: sums.a.units },
        { arm: 'b', units: sums.b.units },
      ]);
      if (fraction + 1e-12 >= nextLook / options.looks) {
        nextLook++;
        fractions.push(fraction);
        const unitSums: ArmUnitSums[] = (['a', 'b'] as const).map((id) => ({ arm: id, units: sums[id].units, metrics: { [METRIC]: { ...sums[id] } } as ArmUnitSums['metrics'] }));
        last = analyse({ definition, fractions, sums: unitSums, exposure: [] });
        const c = last.comparisons[0]!;
        if (c.difference && c.difference.se > 0) {
          if (!(c.difference.lo <= truth && truth <= c.difference.hi)) allCovered = false;
          if (c.relativeUplift && !(c.relativeUplift.lo <= trueUplift && trueUplift <= c.relativeUplift.hi)) allUpliftCovered = false;
        }
        if (fraction >= 1) {
          viewersSum += i + 1;
          break;
        }
      }
    }
    if (nextLook <= options.looks) throw new Error(`coverage run ${run}: the audience ended before the planned information was reached`);
    if (allCovered) covered++;
    if (allUpliftCovered) upliftCovered++;
    const c = last!.comparisons[0]!;
    if (c.crossed && c.difference) {
      if (c.difference.estimate > 0 === truth > 0) found++;
      else wrong++;
    }
    if (c.difference) {
      estimateSum += c.difference.estimate;
      halfWidthSum += (c.difference.hi - c.difference.lo) / 2;
    }
    options.onProgress?.(run + 1, runs);
  }
  const coverage = covered / runs;
  return {
    runs,
    unitsPerArm,
    looks: options.looks,
    trueConversion: { a: pa, b: pb, difference: truth, relativeUplift: trueUplift },
    coverage,
    coverageInterval: wilson(covered, runs),
    relativeUpliftCoverage: upliftCovered / runs,
    power: found / runs,
    wrongSign: wrong / runs,
    meanEstimate: estimateSum / runs,
    meanHalfWidthAtFinalLook: halfWidthSum / runs,
    meanViewers: viewersSum / runs,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Wilson score interval for a binomial share at 95 %. */
export function wilson(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959963984540054;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The demo catalogue's products as the simulated world sees them (a static room: no pins, no sales). */
export function demoProductViews(): ProductView[] {
  const rows = JSON.parse(loadDemoCatalogue().productsJson) as { sku: string; category: string; price: string; listPrice?: string; stock: number; ageMinMonths: number; ageMaxMonths: number }[];
  const fen = (yuan: string) => Math.round(Number(yuan) * 100);
  return rows.map((r) => ({
    id: r.sku,
    category: r.category,
    priceFen: fen(r.price),
    listPriceFen: fen(r.listPrice ?? r.price),
    ageMinMonths: r.ageMinMonths,
    ageMaxMonths: r.ageMaxMonths,
    soldOut: r.stock <= 0,
    pinned: false,
    flashSale: false,
  }));
}
