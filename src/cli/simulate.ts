/**
 * `qingliu simulate`: a simulated audience (demo mode only) against Qingliu, in process on a
 * temporary database or against a running server, reporting what the server's recommendations were
 * worth against the best possible ones (regret), per arm, and an experiment's result when one runs.
 * Bad input is refused with one message before anything starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  BUILTIN_SCENARIOS,
  ScenarioError,
  SimulationRefusedError,
  SimulationSetupError,
  TargetUnreachableError,
  builtinScenarioPath,
  createHttpTarget,
  createInjectTarget,
  readScenarioFile,
  renderHtmlReport,
  simulate,
  talkSummary,
  type BuiltinScenario,
  type ExperimentOption,
  type Scenario,
  type SimProgress,
  type SimTarget,
  type SimulationReport,
} from '../modules/simulation/index.js';
import { CliError } from './index.js';
import { readSecret } from './shared.js';
import { count } from './words.js';

const EXPERIMENT_ID = /^exp-[0-9a-f]{12}$/;

const wholeNumber = (min: number) => (raw: string): number => {
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

function positiveNumber(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number above 0');
  return n;
}

function speedArg(raw: string): number | 'max' {
  if (raw.trim().toLowerCase() === 'max') return 'max';
  const n = Number(raw);
  if (raw.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be "max" or a number of simulated minutes per real minute above 0');
  return n;
}

interface SimulateFlags {
  scenario: string;
  viewers?: number;
  minutes?: number;
  speed?: number | 'max';
  seed?: number;
  experiment?: string;
  server?: string;
  staffName?: string;
  staffPasswordEnv?: string;
  session: string;
  k: number;
  concurrency?: number;
  report?: string;
  json?: boolean;
}

/** A shipped scenario's name, or a scenario file; anything else is refused naming the choices. */
export function scenarioOf(value: string): Scenario {
  try {
    if ((BUILTIN_SCENARIOS as readonly string[]).includes(value)) return readScenarioFile(builtinScenarioPath(value as BuiltinScenario));
    if (value.endsWith('.json') || value.includes('/') || value.includes(path.sep) || fs.existsSync(value)) return readScenarioFile(value);
  } catch (err) {
    if (err instanceof ScenarioError) throw new CliError(err.message, 2);
    throw err;
  }
  throw new CliError(`unknown scenario "${value}"; shipped scenarios: ${BUILTIN_SCENARIOS.join(', ')}; or give a scenario file (.json)`, 2);
}

/** `--experiment`: an experiment id to read, or a definition file to create, start and stop. */
function experimentOf(value: string): ExperimentOption {
  if (EXPERIMENT_ID.test(value)) return { id: value };
  let text: string;
  try {
    text = fs.readFileSync(value, 'utf8');
  } catch (err) {
    throw new CliError(`--experiment ${value}: neither an experiment id (exp- and 12 hex digits) nor a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 2);
  }
  try {
    return { definition: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (err) {
    throw new CliError(`--experiment ${value}: not valid JSON (${(err as Error).message})`, 2);
  }
}

function serverUrlOf(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--server ${value}: not a URL (e.g. http://127.0.0.1:3000)`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--server ${value}: must be an http:// or https:// URL`, 2);
  return url.origin;
}

/** The staff password: from the named environment variable, or standard input. */
async function staffPassword(opts: SimulateFlags): Promise<string> {
  if (opts.staffPasswordEnv !== undefined) {
    // The operator names the variable holding the secret; src/config cannot know its name in advance.
    // eslint-disable-next-line no-restricted-properties -- a variable named on the command line, read once and never printed
    const value = process.env[opts.staffPasswordEnv];
    if (!value) throw new CliError(`--staff-password-env ${opts.staffPasswordEnv}: the variable is not set or empty`, 2);
    return value;
  }
  const value = await readSecret(`password for ${opts.staffName}: `);
  if (!value) throw new CliError('--staff-name needs a password: give --staff-password-env VAR or type it on standard input', 2);
  return value;
}

export function simulateCommand(): Command {
  return new Command('simulate')
    .description(
      'run a simulated audience against Qingliu (demo mode only: every request is marked simulated and a production server refuses it) — in process on a temporary database, or a running server with --server — and report what the recommendations were worth against the best possible (regret), per arm',
    )
    .option('--scenario <name|file>', `a shipped scenario (${BUILTIN_SCENARIOS.join(', ')}) or a scenario file`, 'baby-care')
    .option('--viewers <n>', "viewers over the run (default: the scenario's)", wholeNumber(1))
    .option('--minutes <m>', 'simulated minutes from the start of the show (default: the whole show)', positiveNumber)
    .option('--speed <x|max>', 'simulated minutes per real minute, or max (default: max in process, 60 with --server)', speedArg)
    .option('--seed <s>', "seed of the audience, the truth and the responses (default: the scenario's)", wholeNumber(0))
    .option('--experiment <file.json|id>', 'an experiment definition to create, start at the start of the show and stop at its end; or, with --server, the id of one whose report to read at the end')
    .option('--server <url>', 'a running Qingliu server in demo mode (default: the app in this process on a temporary SQLite file)')
    .option('--staff-name <name>', 'with --server: a staff account (admin, or the session’s host) for host actions and experiments')
    .option('--staff-password-env <var>', "with --staff-name: the environment variable holding its password (else it is read from standard input)")
    .option('--session <id>', 'the live session', 'demo')
    .option('--k <k>', 'items per list', wholeNumber(1), 4)
    .option('--concurrency <n>', 'viewer events in flight at once (default 1 in process, so a run is deterministic; 32 with --server)', wholeNumber(1))
    .option('--report <file.html>', 'also write a self-contained HTML report with charts')
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: SimulateFlags) => {
      // ---- every input is checked before anything starts ----
      const scenario = scenarioOf(opts.scenario);
      if (opts.minutes !== undefined && opts.minutes > scenario.durationMinutes) {
        throw new CliError(`--minutes ${opts.minutes} is longer than the show of scenario ${scenario.name} (${scenario.durationMinutes} minutes)`, 2);
      }
      if (opts.k > 10) throw new CliError(`--k ${opts.k}: at most 10 items per list`, 2);
      const experiment = opts.experiment !== undefined ? experimentOf(opts.experiment) : undefined;
      const server = opts.server !== undefined ? serverUrlOf(opts.server) : undefined;
      if (opts.staffPasswordEnv !== undefined && opts.staffName === undefined) throw new CliError('--staff-password-env needs --staff-name', 2);
      if (opts.staffName !== undefined && server === undefined) throw new CliError('--staff-name applies only with --server (in process the simulator makes its own staff account)', 2);
      if (server === undefined && experiment !== undefined && 'id' in experiment) {
        throw new CliError(
          `--experiment ${experiment.id}: an experiment id is read from a running server (--server); in process the simulator starts on a new temporary database, so give a definition file instead`,
          2,
        );
      }
      if (server !== undefined && experiment !== undefined && opts.staffName === undefined) {
        throw new CliError('--experiment with --server needs a staff account: give --staff-name and --staff-password-env', 2);
      }
      if (opts.report !== undefined) {
        const dir = path.dirname(path.resolve(opts.report));
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`--report ${opts.report}: the folder ${dir} does not exist`, 2);
        // Checked before the run, not after it: a folder there would lose the whole run's results.
        if (fs.existsSync(opts.report) && fs.statSync(opts.report).isDirectory()) throw new CliError(`--report ${opts.report}: is a folder; name the HTML file to write`, 2);
        checkWritable(opts.report);
      }
      const staff = opts.staffName !== undefined ? { name: opts.staffName, password: await staffPassword(opts) } : undefined;

      const bar = progressBar();
      // Ctrl-C ends the show early, as a shutting-down server would: the viewers leave, the room is
      // left as a host leaves it, the experiment it started is stopped, the temporary database goes,
      // and the report covers what ran. A second Ctrl-C leaves at once.
      const interrupt = new AbortController();
      const onSigint = () => {
        if (interrupt.signal.aborted) process.exit(130);
        bar.clear();
        process.stderr.write('qingliu: interrupted: ending the show early (the report covers what ran); Ctrl-C again to leave at once\n');
        interrupt.abort();
      };
      process.on('SIGINT', onSigint);
      let target: SimTarget;
      try {
        target = server !== undefined ? createHttpTarget({ url: server, ...(staff ? { staff } : {}) }) : await createInjectTarget();
      } catch (err) {
        process.off('SIGINT', onSigint);
        throw err;
      }
      let report: SimulationReport;
      try {
        report = await simulate({
          target,
          scenario,
          ...(opts.viewers !== undefined ? { viewers: opts.viewers } : {}),
          ...(opts.minutes !== undefined ? { minutes: opts.minutes } : {}),
          ...(opts.speed !== undefined ? { speed: opts.speed } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(experiment ? { experiment } : {}),
          ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
          sessionId: opts.session,
          k: opts.k,
          onProgress: bar.update,
          signal: interrupt.signal,
        });
      } catch (err) {
        bar.clear();
        if (err instanceof SimulationRefusedError || err instanceof TargetUnreachableError || err instanceof SimulationSetupError || err instanceof RangeError) {
          throw new CliError(err.message, 2);
        }
        if (err instanceof ScenarioError) throw new CliError(err.message, 2);
        throw err;
      } finally {
        await target.close();
        process.off('SIGINT', onSigint);
      }
      bar.clear();
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : simulationSummary(report));
      if (opts.report !== undefined) {
        fs.writeFileSync(opts.report, await renderHtmlReport(report));
        process.stderr.write(`qingliu: wrote the HTML report to ${opts.report}\n`);
      }
      if (interrupt.signal.aborted) throw new CliError('the show was ended early by Ctrl-C: the figures cover only what ran', 130);
    });
}

/** The report can be written: tried before the run (a file made to try is removed again). */
function checkWritable(file: string): void {
  const existed = fs.existsSync(file);
  try {
    fs.closeSync(fs.openSync(file, existed ? 'r+' : 'wx'));
    if (!existed) fs.unlinkSync(file);
  } catch (err) {
    throw new CliError(`--report ${file}: cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 2);
  }
}

const pct = (x: number | null, digits = 2) => (x === null ? '—' : `${(x * 100).toFixed(digits)} %`);
const fixed = (x: number | null, digits: number) => (x === null ? '—' : x.toFixed(digits));
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The readable summary printed without --json. */
export function simulationSummary(r: SimulationReport): string {
  const lines = [
    `SIMULATION (模拟) — scenario ${r.scenario.name} v${r.scenario.version}, seed ${r.seed}, ${r.mode === 'http' ? `server ${r.target}` : 'in process'}, session ${r.sessionId}`,
    `${int(r.viewers)} simulated viewers over ${r.minutes} simulated minutes at speed ${r.speed}: ${r.wallSeconds.toFixed(1)} s wall, ${r.viewersPerSecond.toFixed(1)} viewers/s, ` +
      `${int(r.requests.total)} requests (${r.requestsPerSecond.toFixed(0)}/s), ${int(r.requests.errors)} errors`,
    `consent: ${r.consent.decisions} decisions; personalised recommendations granted by ${pct(r.consent.grantedShare.personalised_recommendations, 1)}; ` +
      `minors ${r.consent.minors.under14 + r.consent.minors.from14To17}; switched personalisation off ${r.consent.optOuts}; orders ${int(r.orders.placed)}`,
    '',
  ];
  const header = ['arm', 'lists', 'viewers', 'click-through', 'conversion', 'GMV/viewer ¥', 'E[purchases]/list', 'best/list', 'regret/list', 'regret'];
  const rows = r.perArm.map((a) => [
    a.arm,
    int(a.lists),
    int(a.viewers),
    pct(a.clickThrough, 3),
    pct(a.conversion),
    fixed(a.gmvPerViewerYuan, 2),
    fixed(a.expectedPurchaseReward, 5),
    fixed(a.bestPossiblePurchaseReward, 5),
    fixed(a.regret.perList, 5),
    fixed(a.regret.total, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  lines.push(fmt(header), ...rows.map(fmt), '');
  if (r.experiment) {
    const u = r.uplift;
    lines.push(
      `experiment ${r.experiment.experiment.id} (${r.experiment.experiment.status}), ${count(r.experiment.looks.length, 'look')}` +
        (u
          ? `: latest look ${u.look} (fraction ${u.fraction.toFixed(3)}): ${u.treatment} − ${u.control} in ${u.metric} = ${fixed(u.difference?.estimate ?? null, 5)} ` +
            `[${fixed(u.difference?.lo ?? null, 5)}, ${fixed(u.difference?.hi ?? null, 5)}], relative ${pct(u.relativeUplift?.estimate ?? null, 1)}; ${u.verdictText}`
          : ''),
    );
  }
  const refused = Object.entries(r.requests.refusedByCode);
  if (refused.length > 0) lines.push(`refused: ${refused.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  lines.push(...talkSummary(r));
  if (r.sockets.held) lines.push(`sockets: ${r.sockets.opened} opened, ${r.sockets.failed} failed, at most ${r.sockets.peak} open; the room counted up to ${r.sockets.roomViewersPeak ?? '—'} viewers`);
  lines.push('notes:', ...r.notes.map((n) => `  - ${n}`));
  return `${lines.join('\n')}\n`;
}

/** A progress bar on standard error, only on a terminal and only once a run has taken a second. */
function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let drawn = false;
  return {
    update: (p: SimProgress) => {
      if (!stream.isTTY || Date.now() - started < 1000) return;
      const width = 24;
      const filled = Math.round((p.minute / Math.max(1, p.minutes)) * width);
      stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] minute ${Math.floor(p.minute)}/${p.minutes}, ${p.viewersArrived} viewers, ${p.requests} requests`.padEnd(78));
      drawn = true;
    },
    clear: () => {
      if (drawn) stream.write(`\r${' '.repeat(78)}\r`);
    },
  };
}
