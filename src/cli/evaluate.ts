import { Command, InvalidArgumentError } from 'commander';
import { describeProblem, ESTIMATOR_NAMES, EVALUATE_DEFAULTS, evaluateLog, loadBanditLog, POLICY_NAMES, type EstimatorName, type EvaluationReport, type PolicyName } from '../modules/evaluation/index.js';
import { CliError } from './index.js';
import { count } from './words.js';

/** Repeatable, comma-separated names checked against a list (the message lists the valid ones). */
function names<T extends string>(kind: string, plural: string, valid: readonly T[]) {
  return (raw: string, previous: T[] | undefined): T[] => {
    const out = [...(previous ?? [])];
    for (const name of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!(valid as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown ${kind} "${name}"; valid ${plural}: ${valid.join(', ')}`);
      out.push(name as T);
    }
    return out;
  };
}

function fraction(raw: string): number {
  const f = Number(raw);
  if (raw.trim() === '' || !(f >= 0 && f < 1)) throw new InvalidArgumentError('must be a number in [0, 1)');
  return f;
}

const wholeNumber = (min: number) => (raw: string): number => {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

interface EvaluateFlags {
  data: string;
  policy?: PolicyName[];
  estimator?: EstimatorName[];
  trainFraction: number;
  seed: number;
  bootstrap: number;
  json?: boolean;
}

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description('estimate offline how target policies would do on a logged bandit dataset (Open Bandit Dataset layout or a Qingliu decision-log export): replay, IPS, SNIPS, DM and DR with bootstrap 95 % intervals')
    .requiredOption('--data <dir>', 'folder holding <name>.csv and item_context.csv (OBD layout) or a Qingliu decision-log export')
    .option('--policy <name>', `target policy, repeatable (${POLICY_NAMES.join(', ')}; default all but mlp)`, names('policy', 'policies', POLICY_NAMES))
    .option('--estimator <name>', `estimator, repeatable (${ESTIMATOR_NAMES.join(', ')}; default all that apply: replay only on a uniformly random log)`, names('estimator', 'estimators', ESTIMATOR_NAMES))
    .option('--train-fraction <f>', 'share of rows, oldest first, used for training; the rest is evaluated (0: evaluate every row, fitting in-sample)', fraction, EVALUATE_DEFAULTS.trainFraction)
    .option('--seed <n>', 'seed of the bootstrap resamples and random draws', wholeNumber(0), EVALUATE_DEFAULTS.seed)
    .option('--bootstrap <b>', 'bootstrap resamples for the 95 % intervals (0: none)', wholeNumber(0), EVALUATE_DEFAULTS.bootstrap)
    .option('--json', 'print one JSON object: rows, clicks, loggedCtr and estimates')
    .action(async (opts: EvaluateFlags) => {
      const loaded = await loadBanditLog(opts.data);
      if (!loaded.ok) throw new CliError(describeProblem(loaded.problem), loaded.problem.file === opts.data ? 2 : 1);
      const bar = progressBar();
      const result = await evaluateLog(loaded.log, {
        ...(opts.policy ? { policies: opts.policy } : {}),
        ...(opts.estimator ? { estimators: opts.estimator } : {}),
        trainFraction: opts.trainFraction,
        seed: opts.seed,
        bootstrap: opts.bootstrap,
        onProgress: bar.update,
      });
      bar.clear();
      if (!result.ok) throw new CliError(result.message, result.code === 'INVALID_OPTION' ? 2 : 1);
      const { report } = result;
      for (const note of report.details.notes) process.stderr.write(`qingliu: note: ${note}\n`);
      if (opts.json) {
        const { rows, clicks, loggedCtr, estimates } = report;
        process.stdout.write(`${JSON.stringify({ rows, clicks, loggedCtr, estimates })}\n`);
      } else process.stdout.write(evaluationTable(report));
    });
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(3)} %` : '—');
const int = (n: number) => n.toLocaleString('en-US');

export function evaluationTable(r: EvaluationReport): string {
  const d = r.details;
  const lines = [
    `Off-policy evaluation of ${d.file}`,
    `${d.layout === 'obd' ? 'Open Bandit Dataset layout' : 'Qingliu decision-log export'}, ${d.items} items, ${count(d.positions, 'position')}, ${d.uniformLog ? 'uniformly random log' : 'non-uniform log'}`,
    d.trainRows[0] === d.evalRows[0]
      ? `evaluated on all ${int(r.rows)} rows (trained policies and reward model fitted on the same rows)`
      : `trained on rows 1–${int(d.trainRows[1])} (oldest first); evaluated on rows ${int(d.evalRows[0] + 1)}–${int(d.evalRows[1])}`,
    `evaluated rows: ${int(r.rows)}, clicks: ${int(r.clicks)}, logged CTR ${pct(r.loggedCtr)}`,
    ...(d.rewardModel ? [`reward model (dm, dr): ${d.rewardModel}`] : []),
    d.bootstrap > 0 ? `95 % intervals: percentile bootstrap over the evaluated rows, ${d.bootstrap} resamples, seed ${d.seed}` : 'no intervals (--bootstrap 0)',
    '',
  ];
  const header = ['policy', 'estimator', 'CTR estimate', '95 % interval', 'ESS', 'max weight'];
  const rows = r.estimates.map((e) => [
    e.policy,
    e.estimator,
    pct(e.value),
    Number.isFinite(e.ci95[0]) ? `[${pct(e.ci95[0])}, ${pct(e.ci95[1])}]` : '—',
    e.ess === null ? '—' : e.ess.toFixed(1),
    e.maxWeight === null ? '—' : e.maxWeight.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  lines.push(fmt(header), ...rows.map(fmt));
  // IPS, DR and their intervals are unbiased, not bounded: a click-through rate below 0 % or above
  // 100 % is the estimator's noise at this sample size, never a rate to read as such.
  const outside = r.estimates.filter((e) => [e.value, ...e.ci95].some((v) => Number.isFinite(v) && (v < 0 || v > 1)));
  if (outside.length > 0) {
    const names = [...new Set(outside.map((e) => `${e.policy} ${e.estimator}`))].join(', ');
    lines.push(
      '',
      `note: ${names}: an estimate or interval outside 0–100 % — these estimators are unbiased but not bounded, so such a value means too few`,
      '      evaluated rows (or too large weights) for this policy; read it as "not measurable here", not as a rate.',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A progress bar on standard error, only on a terminal and only once a run has taken a second. */
function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let drawn = false;
  return {
    update: (done: number, total: number, stage: string) => {
      if (!stream.isTTY || Date.now() - started < 1000) return;
      const width = 24;
      const filled = Math.round((done / Math.max(1, total)) * width);
      stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} ${stage}`.padEnd(60));
      drawn = true;
    },
    clear: () => {
      if (drawn) stream.write(`\r${' '.repeat(60)}\r`);
    },
  };
}
