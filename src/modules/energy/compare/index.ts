/**
 * `qingliu energy compare`: evidence for running the light model. The production linear bandit
 * and a heavier neural ranker (the project's multi-layer perceptron, trained on the same data) do
 * the same work — the Open Bandit sample and the simulated baby-care show — and for each the
 * report gives quality (a click-through estimate with its 95 % interval and a test of the
 * difference), latency per ranked list, and energy and carbon per 1,000 recommendations, all
 * measured in the same run.
 *
 * Energy is the CPU time of each model's work (training, ranking, online learning), read from the
 * process CPU clock once before and once after each phase, turned into kWh by the CPU-time model
 * (CPU time at full utilisation × max W per vCPU × PUE) and into grams CO2e by the grid factor.
 * The two models run one after the other in the same process, in alternating order, for several
 * rounds; the medians are reported with their spread.
 *
 * The policy this supports: the heavy model is used only where it is significantly better.
 */
import os from 'node:os';
import { builtinScenarioPath, parseScenario, readScenarioFile, ScenarioError, type Scenario } from '../../simulation/world/index.js';
import { RECOMMENDER_DEFAULTS } from '../../recommender/index.js';
import { MLP_DEFAULTS } from '../../recommender/model/index.js';
import { operationalCarbon } from '../carbon.js';
import { CPU_TIME_METHOD, cpuTimeEnergyKwh, type CpuPowerModel } from '../model.js';
import { RaplMeter, DEFAULT_POWERCAP_ROOT, type RaplSample } from '../rapl.js';
import { obdWorkloads } from './obd.js';
import { showWorkload } from './show.js';
import { heavySignificantlyBetter, median, notSignificantlyWorse, quantile, sorted, type QualityDifference } from './stats.js';
import { CompareInputError, type ModelQuality, type ModelRun, type ModelSpec, type PhaseMeter, type Workload } from './workload.js';

export { CompareInputError } from './workload.js';
export type { QualityDifference } from './stats.js';
export type { ModelQuality } from './workload.js';

/** The target of the issue: the light model uses at least this many times less energy per 1,000 recommendations. */
export const ENERGY_RATIO_TARGET = 10;

export const COMPARE_DEFAULTS = Object.freeze({
  rounds: 5,
  trainFraction: 0.5,
  bootstrap: 1000,
  epochs: 10,
});

export interface CompareFactor {
  id: string;
  kgPerKwh: number;
  year: number;
  source: string;
}

export type CompareWorkloadKind = 'obd' | 'show';

export interface CompareOptions {
  /** The Open Bandit sample's folder (every log under it), or one log folder. */
  obdDir: string;
  /** The show's scenario file (default: the shipped baby-care scenario). */
  scenarioFile?: string;
  seed: number;
  /** Alternating rounds of measurement (≥ 1). */
  rounds: number;
  power: CpuPowerModel;
  factor: CompareFactor;
  onProgress?: (stage: string) => void;
  /** Viewers of the show (default: the scenario's whole audience). Fewer is a reduced run and the report says so. */
  viewers?: number;
  /** Which workloads to run (default both). */
  workloads?: readonly CompareWorkloadKind[];
  /** Bootstrap resamples of the OBD intervals (default 1000). */
  bootstrap?: number;
  /** Where RAPL counters are read (default /sys/class/powercap); null: not read. */
  powercapRoot?: string | null;
}

export interface CpuSecondsFigures {
  /** The phase's CPU seconds in each round, in round order. */
  rounds: number[];
  median: number;
  min: number;
  max: number;
}

/** One phase of one model's work. Energy and carbon are computed from the median CPU seconds. */
export interface PhaseFigures {
  cpuSeconds: CpuSecondsFigures;
  /** cpuTimeEnergyKwh(cpuSeconds.median, power). */
  energyKwh: number;
  /** operationalCarbon(energyKwh, factor.kgPerKwh): grams CO2e. */
  carbonG: number;
  /** energyKwh × 1000 / recommendations. */
  energyKwhPer1000: number;
  /** operationalCarbon(energyKwhPer1000, factor.kgPerKwh). */
  carbonGPer1000: number;
  /** Measured RAPL package joules (median over rounds), or null when RAPL is not readable. */
  raplJoules: number | null;
}

export interface ModelReport {
  role: 'light' | 'heavy';
  description: string;
  parameters: number;
  /** Dense multiply-adds of scoring one item (nominal; sparse inputs make the real cost lower for both). */
  flopsPerItem: number;
  onlineLearning: string;
  quality: ModelQuality;
  /** Per ranked list: building its candidate vectors and ranking them (a separate timed pass, not the energy phase). */
  latencyMicros: { median: number; p99: number; lists: number };
  /** Offline training. */
  train: PhaseFigures;
  /** Serving every list, with online learning in the show. */
  serve: PhaseFigures;
  /** The show: the online learning part of serve, measured alone. Null where there is none. */
  onlineLearningOnly: PhaseFigures | null;
  /** Train + serve, per round; its median (not the sum of the phase medians). */
  total: PhaseFigures;
  /**
   * Building the candidate vectors of the lists served (done before ranking, identical work for
   * either model, as in the recommender, whose ranking clock starts after it): charged to neither
   * model and not in `total`, shown so a reader can add it.
   */
  commonFeatureWork: PhaseFigures;
  /** CPU-clock reads a round made for this model's measured work (about 4 µs each). */
  clockReadsPerRound: number;
}

export interface WorkloadReport {
  id: string;
  kind: CompareWorkloadKind;
  description: string;
  recommendations: number;
  itemsPerList: number;
  trainingExamples: number;
  quality: {
    metric: string;
    interval: string;
    /** light − heavy. */
    difference: QualityDifference;
    /** The interval of light − heavy does not lie wholly below 0. */
    lightNotSignificantlyWorse: boolean;
    /** The interval of light − heavy lies wholly below 0. */
    heavySignificantlyBetter: boolean;
  };
  light: ModelReport;
  heavy: ModelReport;
  /** heavy ÷ light, total energy per 1,000 recommendations (training included). */
  energyRatio: number;
  trainEnergyRatio: number;
  serveEnergyRatio: number;
  notes: string[];
}

export interface CompareReport {
  method: {
    energy: string;
    cpuClock: string;
    power: CpuPowerModel;
    factor: CompareFactor;
    rounds: number;
    order: string;
    seed: number;
    notSignificantlyWorse: string;
  };
  /** Where it ran; the 1-minute load average before and after says how busy the machine was (CPU time is less disturbed than wall time, not immune). */
  machine: { cpu: string; vcpus: number; node: string; platform: string; loadAverage1m: { start: number; end: number } };
  rapl: { available: boolean; reason: string | null };
  workloads: WorkloadReport[];
  verdict: {
    target: number;
    pass: boolean;
    /** The smallest heavy ÷ light energy ratio over the workloads. */
    minEnergyRatio: number;
    /** Σ heavy ÷ Σ light energy per 1,000 recommendations over the workloads. */
    overallEnergyRatio: number;
    qualityNotWorse: boolean;
    /** Workloads where the heavy model is significantly better: the only places the policy would use it. */
    heavyModelFor: string[];
    line: string;
  };
  notes: string[];
}

/** Runs every workload, measures both models and returns the report (see the module comment). */
export async function runEnergyCompare(options: CompareOptions): Promise<CompareReport> {
  checkOptions(options);
  const progress = options.onProgress ?? (() => {});
  const kinds = new Set(options.workloads ?? ['obd', 'show']);
  const notes: string[] = [];
  const loadAtStart = os.loadavg()[0]!;

  let rapl: RaplMeter | undefined;
  let raplState: CompareReport['rapl'] = { available: false, reason: 'not read (switched off)' };
  if (options.powercapRoot !== null) {
    const meter = new RaplMeter({ root: options.powercapRoot ?? DEFAULT_POWERCAP_ROOT });
    const first = await meter.sample();
    if (first.available) {
      rapl = meter;
      raplState = { available: true, reason: null };
    } else raplState = { available: false, reason: first.reason };
  }

  const workloads: Workload[] = [];
  if (kinds.has('obd')) {
    progress('OBD: loading the logs');
    workloads.push(
      ...(await obdWorkloads(options.obdDir, {
        seed: options.seed,
        trainFraction: COMPARE_DEFAULTS.trainFraction,
        bootstrap: options.bootstrap ?? COMPARE_DEFAULTS.bootstrap,
        alpha: RECOMMENDER_DEFAULTS.alpha,
        hidden: MLP_DEFAULTS.hidden,
        epochs: COMPARE_DEFAULTS.epochs,
      })),
    );
  }
  if (kinds.has('show')) {
    const scenario = loadShowScenario(options);
    if (options.viewers !== undefined && options.viewers !== scenario.original) {
      notes.push(`REDUCED RUN: the show had ${options.viewers} viewers instead of the scenario's ${scenario.original}; its figures are not the full-size ones`);
    }
    workloads.push(
      showWorkload({
        scenario: scenario.run,
        seed: options.seed,
        k: RECOMMENDER_DEFAULTS.defaultK,
        epsilon: RECOMMENDER_DEFAULTS.epsilon,
        alpha: RECOMMENDER_DEFAULTS.alpha,
        hidden: MLP_DEFAULTS.hidden,
        epochs: COMPARE_DEFAULTS.epochs,
        onProgress: progress,
      }),
    );
  }

  const reports: WorkloadReport[] = [];
  for (const w of workloads) reports.push(await measureWorkload(w, options, rapl, progress));
  return {
    method: {
      energy: CPU_TIME_METHOD,
      cpuClock: 'process.cpuUsage() (user + system, all threads of the process, garbage collection included), read before and after each phase or each chunk of a few hundred lists, never per list',
      power: { ...options.power },
      factor: { ...options.factor },
      rounds: options.rounds,
      order: 'per workload and round, the two models one after the other in this process, light first in odd rounds and heavy first in even ones; each phase its own clock reads',
      seed: options.seed,
      notSignificantlyWorse: 'the two-sided 95 % interval of light − heavy does not lie wholly below 0 (the one-sided test of "light is worse" at 2.5 % does not reject); the heavy model counts as better only where that interval lies wholly below 0',
    },
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', vcpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`, loadAverage1m: { start: loadAtStart, end: os.loadavg()[0]! } },
    rapl: raplState,
    workloads: reports,
    verdict: verdictOf(reports),
    notes: [
      ...notes,
      'energy is a model estimate from CPU time, not a meter reading; the same model for both, so the ratio does not depend on its coefficients',
      'per 1,000 recommendations includes the training of that workload, spread over the lists the workload served; train and serve are also given apart',
      ...(raplState.available ? ['RAPL joules are of the whole processor package while the phase ran (other processes included), beside the model figure'] : []),
    ],
  };
}

function checkOptions(o: CompareOptions): void {
  const whole = (name: string, v: number, min: number, max: number) => {
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new CompareInputError(`${name} must be a whole number from ${min} to ${max} (got ${String(v)})`);
  };
  whole('seed', o.seed, 0, Number.MAX_SAFE_INTEGER);
  whole('rounds', o.rounds, 1, 100);
  if (o.viewers !== undefined) whole('viewers', o.viewers, 1, 10_000_000);
  if (o.bootstrap !== undefined) whole('bootstrap', o.bootstrap, 1, 1_000_000);
  const p = o.power;
  if (!(p.maxWattsPerVcpu > 0) || !Number.isFinite(p.maxWattsPerVcpu) || !(p.minWattsPerVcpu >= 0) || p.minWattsPerVcpu > p.maxWattsPerVcpu) {
    throw new CompareInputError('the power model needs 0 ≤ minWattsPerVcpu ≤ maxWattsPerVcpu, maxWattsPerVcpu > 0');
  }
  if (!(p.pue >= 1) || !Number.isFinite(p.pue)) throw new CompareInputError(`PUE must be a finite number ≥ 1 (got ${String(p.pue)})`);
  if (!(o.factor.kgPerKwh >= 0) || !Number.isFinite(o.factor.kgPerKwh)) throw new CompareInputError(`the grid factor must be a finite number ≥ 0 kg/kWh (got ${String(o.factor.kgPerKwh)})`);
}

function loadShowScenario(o: CompareOptions): { run: Scenario; original: number } {
  try {
    const scenario = readScenarioFile(o.scenarioFile ?? builtinScenarioPath('baby-care'));
    const original = scenario.audience.viewers;
    const run = o.viewers === undefined ? scenario : parseScenario({ ...scenario, audience: { ...scenario.audience, viewers: o.viewers } }, `scenario ${scenario.name} with ${o.viewers} viewers`);
    return { run, original };
  } catch (err) {
    if (err instanceof ScenarioError) throw new CompareInputError(err.message);
    throw err;
  }
}

interface PhaseSample {
  /** CPU seconds of the model's work in the phase. */
  cpu: number;
  /** CPU seconds of the common work (building candidate vectors) in the phase, charged to neither model. */
  common: number;
  /** CPU-clock reads made for the model's work (two per metered call). */
  reads: number;
  joules: number | null;
}

/** A meter adding each call's CPU time (user + system, microseconds) to a total. */
function cpuMeter(): PhaseMeter & { micros: number; reads: number } {
  const meter = {
    micros: 0,
    reads: 0,
    run(work: () => void): void {
      const start = process.cpuUsage();
      work();
      const used = process.cpuUsage(start);
      meter.micros += used.user + used.system;
      meter.reads += 2;
    },
  };
  return meter;
}

/** Runs one phase under a model meter and a common meter (and two RAPL samples around it, when readable). */
async function measure(phase: (meter: PhaseMeter, common: PhaseMeter) => void, rapl: RaplMeter | undefined): Promise<PhaseSample> {
  const before = rapl ? await rapl.sample() : undefined;
  const meter = cpuMeter();
  const common = cpuMeter();
  phase(meter, common);
  const after = rapl ? await rapl.sample() : undefined;
  let joules: number | null = null;
  if (rapl && before?.available && after?.available) joules = rapl.energySince(before as RaplSample, after as RaplSample).joules;
  return { cpu: meter.micros / 1e6, common: common.micros / 1e6, reads: meter.reads, joules };
}

interface ModelSamples {
  train: PhaseSample[];
  serve: PhaseSample[];
  learn: PhaseSample[];
  latency: number[];
}

async function measureWorkload(w: Workload, o: CompareOptions, rapl: RaplMeter | undefined, progress: (stage: string) => void): Promise<WorkloadReport> {
  const samples: Record<'light' | 'heavy', ModelSamples> = {
    light: { train: [], serve: [], learn: [], latency: [] },
    heavy: { train: [], serve: [], learn: [], latency: [] },
  };
  for (let round = 0; round < o.rounds; round++) {
    const order: ModelSpec[] = round % 2 === 0 ? [w.light, w.heavy] : [w.heavy, w.light];
    for (const spec of order) {
      progress(`${w.id}: round ${round + 1}/${o.rounds}, ${spec.role} model`);
      const s = samples[spec.role];
      const run: ModelRun = spec.newRun();
      s.train.push(await measure((meter) => run.train(meter), rapl));
      run.prepare?.();
      s.serve.push(await measure((meter, common) => run.serve(meter, common), rapl));
      run.verify();
      if (run.learnOnly) s.learn.push(await measure((meter) => run.learnOnly!(meter), rapl));
      run.latency(s.latency);
    }
  }
  const quality = w.quality();
  const model = (spec: ModelSpec): ModelReport => {
    const s = samples[spec.role];
    const phase = (list: PhaseSample[]) => phaseFigures(list, w.recommendations, o);
    const latencies = sorted(s.latency);
    return {
      role: spec.role,
      description: spec.description,
      parameters: spec.parameters,
      flopsPerItem: spec.flopsPerItem,
      onlineLearning: spec.onlineLearning,
      quality: quality[spec.role],
      latencyMicros: { median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), lists: latencies.length },
      train: phase(s.train),
      serve: phase(s.serve),
      onlineLearningOnly: s.learn.length > 0 ? phase(s.learn) : null,
      total: phase(
        s.train.map((t, i) => ({
          cpu: t.cpu + s.serve[i]!.cpu,
          common: 0,
          reads: t.reads + s.serve[i]!.reads,
          joules: t.joules !== null && s.serve[i]!.joules !== null ? t.joules + s.serve[i]!.joules! : null,
        })),
      ),
      commonFeatureWork: phase(s.serve.map((x) => ({ cpu: x.common, common: 0, reads: 0, joules: null }))),
      clockReadsPerRound: Math.max(...s.serve.map((x, i) => x.reads + s.train[i]!.reads + (s.learn[i]?.reads ?? 0))),
    };
  };
  const light = model(w.light);
  const heavy = model(w.heavy);
  const ratio = (a: PhaseFigures, b: PhaseFigures) => (a.energyKwhPer1000 > 0 ? b.energyKwhPer1000 / a.energyKwhPer1000 : Number.POSITIVE_INFINITY);
  return {
    id: w.id,
    kind: w.kind,
    description: w.description,
    recommendations: w.recommendations,
    itemsPerList: w.itemsPerList,
    trainingExamples: w.trainingExamples,
    quality: {
      metric: quality.metric,
      interval: quality.interval,
      difference: quality.difference,
      lightNotSignificantlyWorse: Number.isFinite(quality.difference.ci95[1]) && notSignificantlyWorse(quality.difference),
      heavySignificantlyBetter: heavySignificantlyBetter(quality.difference),
    },
    light,
    heavy,
    energyRatio: ratio(light.total, heavy.total),
    trainEnergyRatio: ratio(light.train, heavy.train),
    serveEnergyRatio: ratio(light.serve, heavy.serve),
    notes: w.notes,
  };
}

function phaseFigures(list: readonly PhaseSample[], recommendations: number, o: CompareOptions): PhaseFigures {
  const cpu = list.map((s) => s.cpu);
  const cpuMedian = median(cpu);
  const energyKwh = cpuTimeEnergyKwh(cpuMedian, o.power);
  const energyKwhPer1000 = recommendations > 0 ? (energyKwh * 1000) / recommendations : Number.NaN;
  const joules = list.map((s) => s.joules);
  return {
    cpuSeconds: { rounds: cpu, median: cpuMedian, min: Math.min(...cpu), max: Math.max(...cpu) },
    energyKwh,
    carbonG: operationalCarbon(energyKwh, o.factor.kgPerKwh),
    energyKwhPer1000,
    carbonGPer1000: Number.isFinite(energyKwhPer1000) ? operationalCarbon(energyKwhPer1000, o.factor.kgPerKwh) : Number.NaN,
    raplJoules: joules.every((j): j is number => j !== null) && joules.length > 0 ? median(joules) : null,
  };
}

const pp = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(3)} pp`;

function verdictOf(reports: readonly WorkloadReport[]): CompareReport['verdict'] {
  const ratios = reports.map((r) => r.energyRatio);
  const minEnergyRatio = ratios.length ? Math.min(...ratios) : Number.NaN;
  const light = reports.reduce((s, r) => s + r.light.total.energyKwhPer1000, 0);
  const heavy = reports.reduce((s, r) => s + r.heavy.total.energyKwhPer1000, 0);
  const overallEnergyRatio = light > 0 ? heavy / light : Number.NaN;
  const qualityNotWorse = reports.length > 0 && reports.every((r) => r.quality.lightNotSignificantlyWorse);
  const energyMet = reports.length > 0 && ratios.every((x) => x >= ENERGY_RATIO_TARGET);
  const pass = energyMet && qualityNotWorse;
  const least = reports.find((r) => r.energyRatio === minEnergyRatio);
  const quality = reports
    .map((r) => {
      const d = r.quality.difference;
      return `${r.id} ${pp(d.estimate)} [${pp(d.ci95[0])}, ${pp(d.ci95[1])}], p = ${d.pValue.toFixed(3)}${r.quality.lightNotSignificantlyWorse ? '' : ' (light significantly worse or untestable)'}`;
    })
    .join('; ');
  const energy = `heavy ÷ light energy per 1,000 recommendations ${reports.map((r) => `${r.id} ${r.energyRatio.toFixed(1)}×`).join(', ')} (least ${minEnergyRatio.toFixed(1)}×${least ? ` on ${least.id}` : ''}, target ≥ ${ENERGY_RATIO_TARGET}×)`;
  const qualityText = `${qualityNotWorse ? 'quality not significantly worse' : 'quality NOT shown to be not significantly worse'} (light − heavy CTR: ${quality})`;
  return {
    target: ENERGY_RATIO_TARGET,
    pass,
    minEnergyRatio,
    overallEnergyRatio,
    qualityNotWorse,
    heavyModelFor: reports.filter((r) => r.quality.heavySignificantlyBetter).map((r) => r.id),
    line: `${pass ? 'PASS' : 'MISS'}: ${energy}; ${qualityText}`,
  };
}
