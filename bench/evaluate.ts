/**
 * Wall time of `qingliu evaluate` on the two Open Bandit Dataset samples (random/men, bts/men;
 * 10,000 rows each): every estimator, policies uniform, logged, popularity and linucb, default
 * split (0.5) and 200 bootstrap resamples. In process (load + evaluate, the module functions the
 * command calls): median of a few runs after one warm-up; plus one run of the real binary in a
 * child process for the end-to-end figure (Node and tsx start-up included).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { evaluateLog, loadBanditLog, type PolicyName } from '../src/modules/evaluation/index.js';
import { fmtMs, log, median, ROOT_DIR, table } from './lib.js';

export interface EvaluateBenchOptions {
  runs: number;
  bootstrap: number;
  policies: PolicyName[];
}

export const EVALUATE_BENCH_DEFAULTS: EvaluateBenchOptions = { runs: 5, bootstrap: 200, policies: ['uniform', 'logged', 'popularity', 'linucb'] };

export interface EvaluateFileResult {
  dataset: string;
  rows: number;
  evaluatedRows: number;
  estimates: number;
  /** Median over runs, ms: reading and checking the CSVs, and evaluating. */
  loadMs: number;
  evaluateMs: number;
  totalMs: number;
  runsMs: number[];
  /** One `node bin/qingliu.js evaluate … --json` run, ms. */
  subprocessMs: number;
  subprocessExit: number | null;
}

export interface EvaluateResult {
  options: EvaluateBenchOptions;
  node: string;
  files: EvaluateFileResult[];
}

const DATASETS = ['random/men', 'bts/men'];

export async function runEvaluate(partial: Partial<EvaluateBenchOptions> = {}): Promise<EvaluateResult> {
  const options = { ...EVALUATE_BENCH_DEFAULTS, ...partial };
  const files: EvaluateFileResult[] = [];
  for (const dataset of DATASETS) {
    const dir = path.join(ROOT_DIR, 'datasets/open-bandit-dataset', dataset);
    log(`evaluate: ${dataset}, ${options.runs} runs in process + 1 subprocess …`);
    const load: number[] = [];
    const evaluate: number[] = [];
    const total: number[] = [];
    let rows = 0;
    let evaluatedRows = 0;
    let estimates = 0;
    for (let run = 0; run <= options.runs; run++) {
      const t0 = performance.now();
      const loaded = await loadBanditLog(dir);
      if (!loaded.ok) throw new Error(`cannot load ${dataset}`);
      const t1 = performance.now();
      const result = await evaluateLog(loaded.log, { policies: options.policies, bootstrap: options.bootstrap });
      if (!result.ok) throw new Error(result.message);
      const t2 = performance.now();
      rows = loaded.log.rows;
      evaluatedRows = result.report.rows;
      estimates = result.report.estimates.length;
      if (run === 0) continue; // warm-up
      load.push(t1 - t0);
      evaluate.push(t2 - t1);
      total.push(t2 - t0);
    }
    const args = [path.join(ROOT_DIR, 'bin/qingliu.js'), 'evaluate', '--data', dir, '--json', '--bootstrap', String(options.bootstrap), ...options.policies.flatMap((p) => ['--policy', p])];
    const s0 = performance.now();
    const child = spawnSync(process.execPath, args, { cwd: ROOT_DIR, encoding: 'utf8', timeout: 300_000 });
    const subprocessMs = performance.now() - s0;
    files.push({ dataset, rows, evaluatedRows, estimates, loadMs: median(load), evaluateMs: median(evaluate), totalMs: median(total), runsMs: total, subprocessMs, subprocessExit: child.status });
  }
  return { options, node: process.version, files };
}

export function evaluateReport(r: EvaluateResult): string {
  return [
    `Offline evaluation — qingliu evaluate, policies ${r.options.policies.join(', ')}, every estimator that applies, ` +
      `${r.options.bootstrap} bootstrap resamples, train fraction 0.5; median of ${r.options.runs} in-process runs after a warm-up, Node ${r.node}`,
    '',
    table(
      ['dataset', 'rows (evaluated)', 'estimates', 'load', 'evaluate', 'in-process total', 'min–max', 'subprocess (1 run)'],
      r.files.map((f) => [
        f.dataset,
        `${f.rows} (${f.evaluatedRows})`,
        f.estimates,
        fmtMs(f.loadMs),
        fmtMs(f.evaluateMs),
        fmtMs(f.totalMs),
        `${fmtMs(Math.min(...f.runsMs))}–${fmtMs(Math.max(...f.runsMs))}`,
        `${fmtMs(f.subprocessMs)}${f.subprocessExit === 0 ? '' : ` (exit ${f.subprocessExit})`}`,
      ]),
    ),
    '',
    'bts/men has no replay (not a uniformly random log), hence fewer estimates. Reported, no target.',
  ].join('\n');
}
