/**
 * Recommender core, in process: one decision and one update of the linear contextual bandit, for
 * 50 candidate products and 32 features (Qingliu's 30 default features plus 2 padding dimensions,
 * the budget the model layer is sized for).
 *
 * One iteration = encode the 50 candidates from named values, score them all (exploit + bonus)
 * and select a slate of 4 with ε-exploration, explain the 4 picks against the candidates' mean,
 * then one Sherman–Morrison update with a simulated reward. Each iteration is timed on its own;
 * figures are the median and p99 over the measured iterations, after warm-up iterations that are
 * thrown away, for LinUCB and for linear Thompson sampling. Target: median ≤ 100 µs.
 */
import { performance } from 'node:perf_hooks';
import {
  FEATURES,
  FeatureSpace,
  LinearBandit,
  PRICE_BANDS,
  PRODUCT_CATEGORIES,
  Rng,
  categoryFeature,
  explain,
  meanVector,
  pinnedRecency,
  priceBandFeature,
  selectSlate,
  type BanditKind,
  type FeatureSpec,
} from '../src/modules/recommender/model/index.js';
import { fmtInt, fmtOther, log, NOISY_OTHER_CPU_PERCENT, percentile, table, waitForQuiet } from './lib.js';

export interface RecommenderCoreOptions {
  candidates: number;
  /** Padding features added to the default space to reach this many dimensions. */
  dim: number;
  slate: number;
  epsilon: number;
  /** Updates applied before warm-up, so the model is not at its prior. */
  pretrain: number;
  warmup: number;
  iterations: number;
}

export const RECOMMENDER_CORE_DEFAULTS: RecommenderCoreOptions = { candidates: 50, dim: 32, slate: 4, epsilon: 0.1, pretrain: 500, warmup: 3_000, iterations: 20_000 };

/** The target this layer is built to: one decision + update within 100 µs (median). */
export const RECOMMENDER_CORE_TARGET_MICROS = 100;

export interface KindStats {
  kind: BanditKind;
  /** Whole iteration (decision + explanations + update), µs. */
  medianMicros: number;
  p99Micros: number;
  meanMicros: number;
  /** Encode + select + explain, µs (median). */
  decisionMedianMicros: number;
  /** The update alone, µs (median). */
  updateMedianMicros: number;
  /** How many of the measured slates held at least one explored pick. */
  exploredShare: number;
  pass: boolean;
}

export interface RecommenderCoreResult {
  options: RecommenderCoreOptions;
  node: string;
  otherCpuPercent: number | undefined;
  kinds: KindStats[];
}

function benchSpace(dim: number): FeatureSpace {
  const padding: FeatureSpec[] = [];
  for (let i = FEATURES.length; i < dim; i++) padding.push({ name: `bench.pad_${i}`, group: 'room', sensitive: false, label: { zh: `填充 ${i}`, en: `padding ${i}` } });
  return new FeatureSpace([...FEATURES, ...padding], { allowUnlisted: padding.length > 0 });
}

/** Named values for one candidate, shaped like what the service will pass (a consenting viewer). */
function candidateValues(rng: Rng, space: FeatureSpace, i: number): Record<string, number> {
  const values: Record<string, number> = {
    [categoryFeature(PRODUCT_CATEGORIES[i % PRODUCT_CATEGORIES.length]!)]: 1,
    [priceBandFeature(PRICE_BANDS[rng.int(PRICE_BANDS.length)]!)]: 1,
    'product.on_sale': rng.next() < 0.4 ? 1 : 0,
    'product.stock_low': rng.next() < 0.1 ? 1 : 0,
    'room.pinned': i === 0 ? 1 : 0,
    'room.pinned_recent': pinnedRecency(i < 5 ? i * 3 : undefined),
    'room.flash_sale': rng.next() < 0.05 ? 1 : 0,
    'room.popular_5m': rng.next(),
    'room.popular_session': rng.next(),
    'behaviour.same_category_viewed': rng.next() < 0.2 ? 1 : 0,
    'behaviour.same_category_carted': rng.next() < 0.05 ? 1 : 0,
    'behaviour.viewed_this': rng.next() < 0.1 ? 1 : 0,
    'behaviour.carted_this': rng.next() < 0.02 ? 1 : 0,
    'behaviour.tag_weight': rng.next(),
  };
  for (const name of space.names) if (name.startsWith('bench.pad_')) values[name] = rng.next();
  return values;
}

function measureKind(kind: BanditKind, options: RecommenderCoreOptions): KindStats {
  const space = benchSpace(options.dim);
  if (space.dim !== options.dim) throw new Error(`feature space has ${space.dim} dimensions, wanted ${options.dim}`);
  const world = new Rng(2026);
  const truth = Float64Array.from({ length: space.dim }, () => (world.next() - 0.5) * 0.2);
  const click = (x: Float64Array) => {
    let s = -2.5;
    for (let i = 0; i < x.length; i++) s += truth[i]! * x[i]!;
    return world.next() < 1 / (1 + Math.exp(-s)) ? 1 : 0;
  };
  const records = Array.from({ length: options.candidates }, (_, i) => candidateValues(world, space, i));
  const ids = records.map((_, i) => `p-${String(i).padStart(4, '0')}`);
  const bandit = new LinearBandit({ dim: space.dim, kind, alpha: kind === 'linucb' ? 1 : 0.5, seed: 7, version: `bench-${kind}` });
  for (let t = 0; t < options.pretrain; t++) {
    const x = space.encode(records[world.int(records.length)]!);
    bandit.update(x, click(x));
  }
  const rng = new Rng(99);
  const total = new Float64Array(options.iterations);
  const decision = new Float64Array(options.iterations);
  const update = new Float64Array(options.iterations);
  let explored = 0;
  let sink = 0; // keeps results alive so nothing is optimised away
  // One vector per candidate, reused across decisions (no allocation per request where avoidable).
  const candidates = records.map((_, i) => ({ id: ids[i]!, x: new Float64Array(space.dim) }));
  for (let it = 0; it < options.warmup + options.iterations; it++) {
    const t0 = performance.now();
    for (let i = 0; i < records.length; i++) space.encodeInto(records[i]!, candidates[i]!.x);
    const slate = selectSlate({ candidates, k: options.slate, bandit, epsilon: options.epsilon, rng });
    const mu = meanVector(
      candidates.map((c) => c.x),
      space.dim,
    );
    for (const pick of slate) {
      const x = candidates.find((c) => c.id === pick.id)!.x;
      sink += explain(bandit, space, x, mu, pick).contributions.length;
    }
    const t1 = performance.now();
    const shown = candidates.find((c) => c.id === slate[0]!.id)!.x;
    bandit.update(shown, click(shown));
    const t2 = performance.now();
    if (it >= options.warmup) {
      const m = it - options.warmup;
      total[m] = (t2 - t0) * 1000;
      decision[m] = (t1 - t0) * 1000;
      update[m] = (t2 - t1) * 1000;
      if (slate.some((p) => p.explored)) explored++;
    }
  }
  if (sink === 0) throw new Error('explanations were empty');
  let sum = 0;
  for (const v of total) sum += v;
  total.sort();
  decision.sort();
  update.sort();
  const medianMicros = percentile(total, 50);
  return {
    kind,
    medianMicros,
    p99Micros: percentile(total, 99),
    meanMicros: sum / options.iterations,
    decisionMedianMicros: percentile(decision, 50),
    updateMedianMicros: percentile(update, 50),
    exploredShare: explored / options.iterations,
    pass: medianMicros <= RECOMMENDER_CORE_TARGET_MICROS,
  };
}

export async function runRecommenderCore(partial: Partial<RecommenderCoreOptions> = {}): Promise<RecommenderCoreResult> {
  const options = { ...RECOMMENDER_CORE_DEFAULTS, ...partial };
  const quiet = await waitForQuiet(undefined, 30_000);
  log(`recommender core: ${fmtInt(options.iterations)} decisions per kind, ${options.candidates} candidates × ${options.dim} features …`);
  const kinds = (['linucb', 'lints'] as const).map((kind) => measureKind(kind, options));
  return { options, node: process.version, otherCpuPercent: quiet.otherPercent, kinds };
}

export function recommenderCoreReport(r: RecommenderCoreResult): string {
  const us = (v: number) => `${v.toFixed(1)} µs`;
  const o = r.options;
  const lines = [
    `Recommender core — ${o.candidates} candidates × ${o.dim} features, slate of ${o.slate}, ε = ${o.epsilon}; ` +
      `encode + score + select + explain ${o.slate} + 1 update per iteration; ${fmtInt(o.iterations)} iterations after ${fmtInt(o.warmup)} warm-up, ` +
      `Node ${r.node}; other CPU ${fmtOther(r.otherCpuPercent)}`,
    '',
    table(
      ['bandit', 'median', 'p99', 'mean', 'decision (median)', 'update (median)', 'CPU per 1,000 decisions', 'slates exploring', `target ≤ ${RECOMMENDER_CORE_TARGET_MICROS} µs median`],
      r.kinds.map((k) => [
        k.kind,
        us(k.medianMicros),
        us(k.p99Micros),
        us(k.meanMicros),
        us(k.decisionMedianMicros),
        us(k.updateMedianMicros),
        `${k.meanMicros.toFixed(1)} ms` /* mean µs × 1,000 decisions = ms */,
        `${(k.exploredShare * 100).toFixed(1)} %`,
        k.pass ? 'PASS' : 'MISS',
      ]),
    ),
  ];
  if ((r.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT) lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core before this measurement: treat it as noisy.`);
  return lines.join('\n');
}
