/**
 * `qingliu energy compare`: the light (production) model against the heavy neural ranker on the
 * same work, with quality, latency, and energy and carbon per 1,000 recommendations measured in
 * one run. The power model, PUE and grid factor come from the configuration. Flags are checked
 * here, so bad input gets one message and exit 1.
 */
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { COMPARE_DEFAULTS, CompareInputError, ENERGY_RATIO_TARGET, runEnergyCompare, type CompareReport, type ModelReport, type PhaseFigures, type WorkloadReport } from '../modules/energy/compare/index.js';
import { CliError } from './index.js';
import { count } from './words.js';

/** The Open Bandit sample shipped with the repository. */
export const DEFAULT_OBD_DIR = fileURLToPath(new URL('../../datasets/open-bandit-dataset', import.meta.url));

/** The baby-care scenario's own seed: the show's audience is the one `qingliu simulate` plays by default. */
export const DEFAULT_COMPARE_SEED = 20_250_601;

interface CompareFlags {
  json?: boolean;
  data: string;
  seed?: string;
  rounds?: string;
  viewers?: string;
  scenario?: string;
}

function wholeNumber(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${flag} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')} (got "${raw}")`);
  }
  return n;
}

export function energyCompareCommand(): Command {
  return new Command('compare')
    .description(
      `run the production linear bandit and a heavier neural ranker (a multi-layer perceptron) on the same work — the Open Bandit sample and the simulated baby-care show — and report quality (CTR with 95 % intervals and a test of the difference), latency, and energy and carbon per 1,000 recommendations, measured in this run; the verdict is PASS when the light model uses at least ${ENERGY_RATIO_TARGET}× less energy everywhere at a quality not significantly worse`,
    )
    .option('--data <dir>', 'the Open Bandit sample folder (every log below it) or one log folder', DEFAULT_OBD_DIR)
    .option('--seed <n>', `seed of the show's audience, the models' initialisation and the bootstrap (default ${DEFAULT_COMPARE_SEED})`)
    .option('--rounds <n>', `alternating measurement rounds; medians are reported (default ${COMPARE_DEFAULTS.rounds})`)
    .option('--viewers <n>', "viewers of the simulated show (default the scenario's whole audience; fewer is a reduced run and the report says so)")
    .option('--scenario <file>', 'scenario file of the show (default the shipped baby-care scenario)')
    .option('--json', 'print the whole report as one JSON object')
    .action(async (flags: CompareFlags) => {
      const seed = wholeNumber('--seed', flags.seed, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_COMPARE_SEED;
      const rounds = wholeNumber('--rounds', flags.rounds, 1, 100) ?? COMPARE_DEFAULTS.rounds;
      const viewers = wholeNumber('--viewers', flags.viewers, 1, 10_000_000);
      if (flags.data.trim() === '') throw new CliError('--data must name a folder');
      const energy = loadConfig().energy;
      const progress = process.stderr.isTTY ? (stage: string) => process.stderr.write(`\r${stage}`.padEnd(72).slice(0, 80)) : undefined;
      let report: CompareReport;
      try {
        report = await runEnergyCompare({
          obdDir: flags.data,
          ...(flags.scenario !== undefined ? { scenarioFile: flags.scenario } : {}),
          seed,
          rounds,
          ...(viewers !== undefined ? { viewers } : {}),
          power: { minWattsPerVcpu: energy.power.minWattsPerVcpu, maxWattsPerVcpu: energy.power.maxWattsPerVcpu, pue: energy.pue },
          factor: { id: energy.factor.id, kgPerKwh: energy.factor.kgPerKwh, year: energy.factor.year, source: energy.factor.source },
          ...(progress ? { onProgress: progress } : {}),
        });
      } catch (err) {
        if (err instanceof CompareInputError) throw new CliError(err.message);
        throw err;
      } finally {
        if (progress) process.stderr.write(`\r${' '.repeat(80)}\r`);
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : compareTable(report));
    });
}

/** A small number in a readable form: fixed for ordinary magnitudes, scientific for tiny ones. */
function num(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  return Math.abs(v) >= 0.01 ? v.toFixed(digits) : v.toExponential(2);
}
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(3)} %` : '—');
const pp = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(3)} pp` : '—');
const cpu = (p: PhaseFigures) => `${num(p.cpuSeconds.median, 3)}`;

function modelRow(m: ModelReport): string[] {
  const q = m.quality;
  return [
    m.role,
    `${pct(q.ctr)} [${pct(q.ci95[0])}, ${pct(q.ci95[1])}]`,
    `${q.clicks}/${q.outOf}`,
    `${m.latencyMicros.median.toFixed(1)} / ${m.latencyMicros.p99.toFixed(1)}`,
    `${cpu(m.train)} + ${cpu(m.serve)} = ${cpu(m.total)} (${num(m.total.cpuSeconds.min)}–${num(m.total.cpuSeconds.max)})`,
    num(m.total.energyKwhPer1000),
    num(m.total.carbonGPer1000),
  ];
}

function workloadBlock(w: WorkloadReport): string[] {
  const header = ['model', 'CTR [95 % interval]', 'clicks/of', 'latency µs p50 / p99', 'CPU s train + serve = total (min–max)', 'kWh/1,000 recs', 'g CO2e/1,000 recs'];
  const rows = [modelRow(w.light), modelRow(w.heavy)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`;
  const d = w.quality.difference;
  const lines = [
    `${w.id} — ${w.description}`,
    fmt(header),
    ...rows.map(fmt),
    `  light − heavy: ${pp(d.estimate)} [${pp(d.ci95[0])}, ${pp(d.ci95[1])}], p = ${num(d.pValue, 3)} (${d.test}) → ${
      w.quality.heavySignificantlyBetter ? 'heavy significantly better' : w.quality.lightNotSignificantlyWorse ? 'light not significantly worse' : 'untestable'
    }`,
    `  heavy ÷ light energy per 1,000 recommendations: ${w.energyRatio.toFixed(1)}× (training ${w.trainEnergyRatio.toFixed(1)}×, serving ${w.serveEnergyRatio.toFixed(1)}×)`,
  ];
  for (const m of [w.light, w.heavy]) {
    if (m.onlineLearningOnly) lines.push(`  ${m.role} online learning alone: ${cpu(m.onlineLearningOnly)} CPU s of the ${cpu(m.serve)} s serving (${m.onlineLearning})`);
  }
  lines.push(`  candidate vectors (built for either model, charged to neither): ${cpu(w.light.commonFeatureWork)} CPU s`);
  for (const note of w.notes) lines.push(`  note: ${note}`);
  return lines;
}

export function compareTable(r: CompareReport): string {
  const m = r.method;
  const lines = [
    'Light (production linear bandit) vs heavy (multi-layer perceptron): quality, latency, energy and carbon, measured in this run',
    `machine: ${r.machine.cpu}, ${r.machine.vcpus} vCPUs, Node ${r.machine.node}, load average ${r.machine.loadAverage1m.start.toFixed(1)} → ${r.machine.loadAverage1m.end.toFixed(1)}; ${count(m.rounds, 'alternating round')}, medians; seed ${m.seed}`,
    `energy: ${m.energy}: ${m.power.maxWattsPerVcpu} W per vCPU × PUE ${m.power.pue}; carbon: ${m.factor.id} ${m.factor.kgPerKwh} kg CO2e/kWh (${m.factor.year}, ${m.factor.source})`,
    `RAPL: ${r.rapl.available ? 'read (package joules in the JSON report)' : `not available: ${r.rapl.reason}`}`,
    '',
  ];
  for (const w of r.workloads) lines.push(...workloadBlock(w), '');
  for (const note of r.notes) lines.push(`note: ${note}`);
  lines.push(`policy: the heavy model is used only where it is significantly better — here ${r.verdict.heavyModelFor.length ? r.verdict.heavyModelFor.join(', ') : 'nowhere'}`);
  lines.push(r.verdict.line);
  return `${lines.join('\n')}\n`;
}
