/**
 * The fairness audit at scale: 1,000,000 decisions in 10 segments with known selection rates and
 * labels, generated in memory as columns (Int32 group codes, Uint8 predictions and labels), then
 * the full audit `qingliu fairness` runs (tally, rates, disparities with 200 bootstrap resamples,
 * z-tests, Holm, summary indices). Reported: the audit's wall time (median of 3 after a warm-up on
 * a small log), and memory — the peak RSS of the measuring process above its baseline, and the
 * growth of V8 heap + array buffers, each ÷ decisions. Targets: under 2 s, about 200 bytes per
 * decision at most.
 *
 * Secondary figure: the same log as a CSV file (about 10 MB) read and checked by the CLI's reader
 * and then audited (the path `qingliu fairness --input` takes).
 *
 * Third: the event loop while a server computes an audit of the same 1,000,000-decision log. In
 * process (the baseline: how audits ran before they had a thread) the loop stops for the whole
 * audit; on the audit thread (`AuditThread`, what a server uses) it keeps turning. Reported: the
 * longest stop of the loop during the audit (`monitorEventLoopDelay`, 1 ms resolution, its max) and
 * the audit's wall time, each a median of 3 after a warm-up.
 *
 * Each measurement runs in a fresh child process (`node --expose-gc --import tsx bench/fairness.ts
 * --measure …`) so that earlier benchmarks' garbage cannot blur the memory figures.
 *
 *   node --import tsx bench/fairness.ts      runs it alone and prints the report
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/shared/rng.js';
import {
  AuditLogBuilder,
  auditInputOf,
  AuditThread,
  fairnessAudit,
  InProcessAuditRunner,
  readDecisionFile,
  runAudit,
  type AuditLogColumns,
  type AuditRunner,
  type DecisionColumns,
} from '../src/modules/fairness/index.js';
import { priceBandOf } from '../src/modules/recommender/index.js';
import { fmtInt, fmtMs, log, median, ROOT_DIR, table } from './lib.js';

export interface FairnessBenchOptions {
  decisions: number;
  segments: number;
  bootstrap: number;
  runs: number;
  seed: number;
}

export const FAIRNESS_BENCH_DEFAULTS: FairnessBenchOptions = { decisions: 1_000_000, segments: 10, bootstrap: 200, runs: 3, seed: 1 };

/** Targets from the brief of the audit. */
export const FAIRNESS_TARGETS = { auditMs: 2000, bytesPerDecision: 200 } as const;

type Mode = 'memory' | 'csv' | 'decision-log';

/** The event loop during an audit of the decision log, in process and on the audit thread. */
export interface EventLoopMeasurement {
  decisions: number;
  runs: { runner: 'in process' | 'audit thread'; longestStopMs: number[]; auditMs: number[] }[];
}

export interface FairnessMeasurement {
  mode: Mode;
  decisions: number;
  /** Generating the columns (memory) or writing the CSV (csv), ms; not part of the audit. */
  prepareMs: number;
  /** Median over runs of the measured step: the audit (memory) or read + audit (csv), ms. */
  medianMs: number;
  runsMs: number[];
  /** csv mode: median reading/checking time alone, ms. */
  readMs?: number;
  fileBytes?: number;
  /** RSS after start-up, imports, a warm-up and a GC, bytes. */
  baselineRss: number;
  /** Peak RSS of the process over the measurement (getrusage maxrss), bytes. */
  peakRss: number;
  /** (peakRss − baselineRss) ÷ decisions. */
  rssBytesPerDecision: number;
  /** Growth of V8 heapUsed + arrayBuffers from the baseline to its largest sampled value, ÷ decisions. */
  heapBytesPerDecision: number;
  /** Sanity: the largest |selection rate − its generating rate| over segments, and gaps flagged. */
  maxRateError: number;
  flagged: number;
  disparities: number;
}

export interface FairnessBenchResult {
  options: FairnessBenchOptions;
  node: string;
  memory: FairnessMeasurement;
  /** The audit of Qingliu's own decision log (runAudit). */
  decisionLog?: FairnessMeasurement | undefined;
  csv: FairnessMeasurement | undefined;
  eventLoop?: EventLoopMeasurement | undefined;
  meetsTime: boolean;
  meetsMemory: boolean;
}

/** Segment k's selection rate: 0.30, 0.32, …; segment sizes ∝ k + 1; labels ~ Bernoulli(0.4). */
export const segmentRate = (k: number) => 0.3 + 0.02 * k;

/** Generates the log: P(ŷ = 1 | y) = rate ± 0.1 around the label so that P(ŷ = 1) = rate exactly. */
export function generateLog(o: Pick<FairnessBenchOptions, 'decisions' | 'segments' | 'seed'>): DecisionColumns {
  const rng = new Rng(o.seed);
  const groups = Array.from({ length: o.segments }, (_, k) => `segment-${String(k).padStart(2, '0')}`);
  const total = (o.segments * (o.segments + 1)) / 2;
  const cumulative = Float64Array.from({ length: o.segments }, (_, k) => ((k + 1) * (k + 2)) / 2 / total);
  const group = new Int32Array(o.decisions);
  const prediction = new Uint8Array(o.decisions);
  const label = new Uint8Array(o.decisions);
  for (let i = 0; i < o.decisions; i++) {
    const u = rng.next();
    let k = 0;
    while (u >= cumulative[k]!) k++;
    const y = rng.next() < 0.4 ? 1 : 0;
    group[i] = k;
    label[i] = y;
    prediction[i] = rng.next() < segmentRate(k) + (y ? 0.06 : -0.04) ? 1 : 0;
  }
  return { groups, group, prediction, label };
}

interface Sampler {
  sample(): void;
  heapPeak(): number;
}

function heapSampler(): Sampler {
  let peak = 0;
  return {
    sample() {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
    },
    heapPeak: () => peak,
  };
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/**
 * Qingliu's own decision log, as the audit of a show or a day reads it: lists of 4 products from a
 * catalogue of 56 (prices ¥19–¥1,299), 4 lists per viewer, every list carrying a city tier from
 * `segments` values (tier k is shown premium products at 0.15 + 0.01k), a device class (4), a child
 * age band (5) and new/returning; clicks 4 %, purchases 0.5 %.
 */
export function generateDecisionLog(o: Pick<FairnessBenchOptions, 'decisions' | 'segments' | 'seed'>): AuditLogColumns {
  const rng = new Rng(o.seed);
  const products = Array.from({ length: 56 }, (_, p) => ({ id: `p${p}`, category: `c${p % 13}`, priceFen: 1_900 + Math.round((p / 55) ** 2 * 128_000), listFen: 0 }));
  for (const p of products) p.listFen = rng.next() < 0.3 ? Math.round(p.priceFen * 1.25) : p.priceFen;
  const cheap = products.slice(0, 42);
  const dear = products.slice(42);
  const builder = new AuditLogBuilder(o.decisions);
  const devices = ['ios', 'android', 'desktop', 'other'];
  const bands = ['0_6m', '6_12m', '1_3y', '3_6y', '6y_plus'];
  const lists = Math.ceil(o.decisions / 4);
  let unitSegments = { cityTier: 'tier0', device: 'ios', childAgeBand: '0_6m', visitor: 'new' };
  let k = 0;
  for (let l = 0, row = 0; l < lists && row < o.decisions; l++) {
    if (l % 4 === 0) {
      k = Math.floor(rng.next() * o.segments);
      unitSegments = {
        cityTier: `tier${k}`,
        device: devices[Math.floor(rng.next() * 4)]!,
        childAgeBand: bands[Math.floor(rng.next() * 5)]!,
        visitor: rng.next() < 0.3 ? 'returning' : 'new',
      };
    }
    for (let pos = 1; pos <= 4 && row < o.decisions; pos++, row++) {
      const pool = rng.next() < 0.15 + 0.01 * k ? dear : cheap;
      const p = pool[Math.floor(rng.next() * pool.length)]!;
      builder.push({
        listId: `l${l}`,
        unitId: `u${Math.floor(l / 4)}`,
        productId: p.id,
        category: p.category,
        position: pos,
        priceFen: p.priceFen,
        listPriceFen: p.listFen,
        clicked: rng.next() < 0.04,
        purchased: rng.next() < 0.005,
        personalised: rng.next() < 0.6,
        segments: unitSegments,
      });
    }
  }
  return builder.build();
}

/** Runs in the child: measures one mode and prints one JSON line. */
async function measure(mode: Mode, o: FairnessBenchOptions): Promise<FairnessMeasurement> {
  // Warm-up on a small log so that compiled code is in the baseline.
  if (mode === 'decision-log') {
    runAudit(generateDecisionLog({ ...o, decisions: 20_000 }), { catalogueSize: 56, priceBandOf, settings: { bootstrap: o.bootstrap, seed: o.seed } });
    return measureDecisionLog(o);
  }
  const small = generateLog({ ...o, decisions: 20_000 });
  fairnessAudit(small, { bootstrap: o.bootstrap, seed: o.seed });
  let file: string | undefined;
  let prepareMs = 0;
  let fileBytes: number | undefined;
  if (mode === 'csv') {
    const t0 = performance.now();
    const cols = generateLog(o);
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-fairness-')), 'decisions.csv');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'segment,recommended,bought\n');
    const chunk: string[] = [];
    for (let i = 0; i < cols.group.length; i++) {
      chunk.push(`${cols.groups[cols.group[i]!]},${cols.prediction[i]},${cols.label![i]}`);
      if (chunk.length === 50_000 || i === cols.group.length - 1) {
        fs.writeSync(fd, chunk.join('\n') + '\n');
        chunk.length = 0;
      }
    }
    fs.closeSync(fd);
    fileBytes = fs.statSync(file).size;
    prepareMs = performance.now() - t0;
  }
  collect();
  const base = process.memoryUsage();
  const baselineRss = base.rss;
  const heapBase = base.heapUsed + base.arrayBuffers;
  const sampler = heapSampler();
  sampler.sample();

  const runsMs: number[] = [];
  const readsMs: number[] = [];
  let cols: DecisionColumns | undefined;
  if (mode === 'memory') {
    const t0 = performance.now();
    cols = generateLog(o);
    prepareMs = performance.now() - t0;
    sampler.sample();
  }
  let maxRateError = 0;
  let flagged = 0;
  let disparities = 0;
  for (let run = 0; run < o.runs; run++) {
    const t0 = performance.now();
    let data = cols;
    if (mode === 'csv') {
      const read = await readDecisionFile(file!, { group: 'segment', prediction: 'recommended', label: 'bought' });
      if (!read.ok) throw new Error(`bench csv: ${read.problem.reason}`);
      data = read.data;
      readsMs.push(performance.now() - t0);
      sampler.sample();
    }
    const result = fairnessAudit(data!, { bootstrap: o.bootstrap, seed: o.seed + run });
    runsMs.push(performance.now() - t0);
    sampler.sample();
    if (!result.ok) throw new Error(`bench audit: ${result.message}`);
    const { audit } = result;
    maxRateError = Math.max(...audit.groups.map((g, k) => Math.abs(g.selectionRate! - segmentRate(k))));
    flagged = audit.disparities.filter((d) => d.flagged).length;
    disparities = audit.disparities.length;
    data = undefined;
  }
  const peakRss = process.resourceUsage().maxRSS * 1024;
  if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return {
    mode,
    decisions: o.decisions,
    prepareMs,
    medianMs: median(runsMs),
    runsMs,
    ...(mode === 'csv' ? { readMs: median(readsMs), fileBytes } : {}),
    baselineRss,
    peakRss,
    rssBytesPerDecision: Math.max(0, peakRss - baselineRss) / o.decisions,
    heapBytesPerDecision: Math.max(0, sampler.heapPeak() - heapBase) / o.decisions,
    maxRateError,
    flagged,
    disparities,
  };
}

/** The audit of the decision log: building the columns row by row (as from a database scan) is measured apart. */
function measureDecisionLog(o: FairnessBenchOptions): FairnessMeasurement {
  collect();
  const base = process.memoryUsage();
  const heapBase = base.heapUsed + base.arrayBuffers;
  const sampler = heapSampler();
  sampler.sample();
  const t0 = performance.now();
  const log = generateDecisionLog(o);
  const prepareMs = performance.now() - t0;
  sampler.sample();
  const runsMs: number[] = [];
  let flagged = 0;
  let disparities = 0;
  let maxRateError = 0;
  for (let run = 0; run < o.runs; run++) {
    const t1 = performance.now();
    const r = runAudit(log, { catalogueSize: 56, priceBandOf, settings: { bootstrap: o.bootstrap, seed: o.seed + run } });
    runsMs.push(performance.now() - t1);
    sampler.sample();
    const city = r.segments.find((x) => x.attribute === 'cityTier')!;
    flagged = city.gaps.filter((g) => g.flagged).length;
    disparities = city.gaps.length;
    maxRateError = 0;
  }
  const peakRss = process.resourceUsage().maxRSS * 1024;
  return {
    mode: 'decision-log',
    decisions: o.decisions,
    prepareMs,
    medianMs: median(runsMs),
    runsMs,
    baselineRss: base.rss,
    peakRss,
    rssBytesPerDecision: Math.max(0, peakRss - base.rss) / o.decisions,
    heapBytesPerDecision: Math.max(0, sampler.heapPeak() - heapBase) / o.decisions,
    maxRateError,
    flagged,
    disparities,
  };
}

/**
 * The longest stop of the event loop while an audit of the decision log computes, in process and
 * on the audit thread (each run on a freshly generated log: the thread takes the log's buffers).
 */
async function measureEventLoop(o: FairnessBenchOptions): Promise<EventLoopMeasurement> {
  const runners: { runner: 'in process' | 'audit thread'; make: () => AuditRunner }[] = [
    { runner: 'in process', make: () => new InProcessAuditRunner() },
    { runner: 'audit thread', make: () => new AuditThread() },
  ];
  const runs: EventLoopMeasurement['runs'] = [];
  for (const { runner, make } of runners) {
    const audits = make();
    const audit = (log: AuditLogColumns, seed: number) =>
      audits.compute(log, auditInputOf(log, { catalogueSize: 56, settings: { bootstrap: o.bootstrap, seed }, priceBandOf }));
    // Warm-up (and, for the thread, its start and the engine's loading).
    await audit(generateDecisionLog({ ...o, decisions: 20_000 }), o.seed);
    const longestStopMs: number[] = [];
    const auditMs: number[] = [];
    for (let run = 0; run < o.runs; run++) {
      const log = generateDecisionLog(o);
      collect();
      await new Promise((r) => setTimeout(r, 50));
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const t0 = performance.now();
      // Asked from a timer callback, as the fairness service's tick asks it.
      await new Promise<void>((resolve, reject) => setTimeout(() => audit(log, o.seed + run).then(() => resolve(), reject), 5));
      auditMs.push(performance.now() - t0);
      // A few more turns so that a stop at the very end is sampled.
      await new Promise((r) => setTimeout(r, 20));
      h.disable();
      longestStopMs.push(h.max / 1e6);
    }
    await audits.close();
    runs.push({ runner, longestStopMs, auditMs });
  }
  return { decisions: o.decisions, runs };
}

const SELF = fileURLToPath(import.meta.url);

function child(mode: Mode, o: FairnessBenchOptions): FairnessMeasurement;
function child(mode: 'event-loop', o: FairnessBenchOptions): EventLoopMeasurement;
function child(mode: Mode | 'event-loop', o: FairnessBenchOptions): FairnessMeasurement | EventLoopMeasurement {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', SELF, '--measure', mode, JSON.stringify(o)], {
    cwd: ROOT_DIR,
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`fairness bench child (${mode}) exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FairnessMeasurement | EventLoopMeasurement;
}

export async function runFairnessBench(partial: Partial<FairnessBenchOptions> & { csv?: boolean } = {}): Promise<FairnessBenchResult> {
  const { csv: withCsv = true, ...rest } = partial;
  const options = { ...FAIRNESS_BENCH_DEFAULTS, ...rest };
  log(`fairness: ${fmtInt(options.decisions)} decisions, ${options.segments} segments, bootstrap ${options.bootstrap}, ${options.runs} runs (child process) …`);
  const memory = child('memory', options);
  log('fairness: an audit of the decision log (segments, significance over units, exposure) (child process) …');
  const decisionLog = child('decision-log', options);
  let csv: FairnessMeasurement | undefined;
  if (withCsv) {
    log('fairness: the same log through the CSV reader (child process) …');
    csv = child('csv', options);
  }
  log('fairness: the event loop while an audit computes, in process and on the audit thread (child process) …');
  const eventLoop = child('event-loop', options);
  return {
    options,
    node: process.version,
    memory,
    decisionLog,
    csv,
    eventLoop,
    meetsTime: Math.max(memory.medianMs, decisionLog.medianMs) < FAIRNESS_TARGETS.auditMs,
    meetsMemory: Math.max(memory.rssBytesPerDecision, memory.heapBytesPerDecision, decisionLog.rssBytesPerDecision, decisionLog.heapBytesPerDecision) <= FAIRNESS_TARGETS.bytesPerDecision,
  };
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export function fairnessReport(r: FairnessBenchResult): string {
  const o = r.options;
  const rows: (string | number)[][] = [r.memory, ...(r.decisionLog ? [r.decisionLog] : []), ...(r.csv ? [r.csv] : [])].map((m) => [
    m.mode === 'memory'
      ? 'columns in memory → audit'
      : m.mode === 'decision-log'
        ? `Qingliu's decision log (${fmtInt(m.decisions / 4)} lists, 4 attributes) → full audit`
        : `CSV (${mib(m.fileBytes ?? 0)}) → read + check → audit`,
    fmtMs(m.medianMs) + (m.readMs !== undefined ? ` (read ${fmtMs(m.readMs)})` : ''),
    m.runsMs.map((x) => fmtMs(x)).join(', '),
    `${mib(m.peakRss - m.baselineRss)} → ${m.rssBytesPerDecision.toFixed(1)} B`,
    `${m.heapBytesPerDecision.toFixed(1)} B`,
    `${m.flagged}/${m.disparities}`,
  ]);
  return [
    `Fairness audit — ${fmtInt(o.decisions)} decisions, ${o.segments} segments, labels, bootstrap ${o.bootstrap} (multinomial over cells), ` +
      `Holm per metric; median of ${o.runs} runs after a warm-up, each mode in a fresh child process, Node ${r.node}`,
    '',
    table(['path', 'median wall time', 'runs', 'peak RSS above baseline (÷ decisions)', 'heap + buffers ÷ decisions', 'flagged / compared'], rows),
    '',
    `columns generated in ${fmtMs(r.memory.prepareMs)} (not in the audit time); selection rates recovered within ${r.memory.maxRateError.toFixed(4)} of the generating rates`,
    ...(r.decisionLog
      ? [
          `decision log: columns built row by row in ${fmtMs(r.decisionLog.prepareMs)} (as from a database scan; not in the audit time); the full audit = 4 segment attributes × 7 metrics with cluster variances and ${o.bootstrap} cluster-bootstrap resamples, Holm over all gaps, and exposure by category and price band; city-tier gaps flagged ${r.decisionLog.flagged}/${r.decisionLog.disparities} (premium odds rise 1 point per tier)`,
        ]
      : []),
    ...(r.eventLoop
      ? [
          '',
          `The event loop while an audit of ${fmtInt(r.eventLoop.decisions)} decisions computes (median of ${o.runs} after a warm-up; monitorEventLoopDelay, 1 ms resolution):`,
          table(
            ['computed', 'longest stop of the event loop', 'runs', 'audit wall time'],
            r.eventLoop.runs.map((x) => [x.runner, fmtMs(median(x.longestStopMs)), x.longestStopMs.map((v) => fmtMs(v)).join(', '), fmtMs(median(x.auditMs))]),
          ),
        ]
      : []),
    `targets: audit under ${FAIRNESS_TARGETS.auditMs / 1000} s — ${r.meetsTime ? 'MET' : 'MISSED'}; at most ~${FAIRNESS_TARGETS.bytesPerDecision} bytes per decision (in-memory path) — ${r.meetsMemory ? 'MET' : 'MISSED'}`,
  ].join('\n');
}

// Child mode, or run alone.
if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const i = process.argv.indexOf('--measure');
  if (i >= 0) {
    const mode = process.argv[i + 1] as Mode | 'event-loop';
    const o = { ...FAIRNESS_BENCH_DEFAULTS, ...(JSON.parse(process.argv[i + 2] ?? '{}') as Partial<FairnessBenchOptions>) };
    process.stdout.write(`${JSON.stringify(mode === 'event-loop' ? await measureEventLoop(o) : await measure(mode, o))}\n`);
  } else {
    process.stdout.write(`${fairnessReport(await runFairnessBench())}\n`);
  }
}
