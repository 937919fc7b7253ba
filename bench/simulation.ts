/**
 * The simulator's throughput: how many simulated viewers a second `qingliu simulate` sustains, and
 * how many requests a second that is, at maximum speed with the baby-care scenario.
 *
 * - Over HTTP: the real server in a child process (bench/server-child.ts: buildApp in demo mode on a
 *   fresh temporary SQLite file with the demo seed, one administrator, 127.0.0.1), the HTTP target
 *   in this process (keep-alive HTTP, one WebSocket per present viewer, viewers spread over loopback
 *   source addresses). Each round is a whole show with a new seed (new viewers) against the same
 *   server; the run ends its own flash sales and pins, so the rounds start alike.
 * - In process: the app in this process on a temporary SQLite file and a simulated clock, one
 *   viewer event at a time (as `qingliu simulate` runs without --server).
 *
 * Reported: medians over the rounds of viewers per second (viewers ÷ wall seconds of the whole run,
 * setup included) and requests per second, with the CPU of the server child and of this process
 * (the load generator) and of everything else on the machine, each as % of one core.
 */
import os from 'node:os';
import { builtinScenarioPath, createHttpTarget, createInjectTarget, readScenarioFile, simulate, type SimulationReport } from '../src/modules/simulation/index.js';
import { performance } from 'node:perf_hooks';
import { cpuWindow, fmtInt, fmtOther, log, machineBusySeconds, median, NOISY_OTHER_CPU_PERCENT, sleep, startChild, table, waitForQuiet } from './lib.js';

export interface SimulationBenchOptions {
  /** Viewers per show (the scenario's arrival curve scaled to them). */
  viewers: number;
  rounds: number;
  /** Also measure the in-process target (rounds each). */
  inProcess: boolean;
  /** Longest wait, before each round, for other processes to quieten down (lib.waitForQuiet). */
  quietWaitSeconds: number;
}

export const SIMULATION_BENCH_DEFAULTS: SimulationBenchOptions = { viewers: 1000, rounds: 3, inProcess: true, quietWaitSeconds: 60 };

export interface SimulationRound {
  mode: 'http' | 'in-process';
  round: number;
  seed: number;
  wallSeconds: number;
  viewersPerSecond: number;
  requestsPerSecond: number;
  requests: number;
  errors: number;
  refused: number;
  socketsPeak: number;
  pacedRequests: number;
  /** % of one core over the round; the server's only over HTTP (in process it is this process). */
  serverCpuPercent: number | undefined;
  clientCpuPercent: number;
  otherCpuPercent: number | undefined;
  perArm: { arm: string; lists: number; conversion: number | null; regretPerList: number | null }[];
}

export interface SimulationSummary {
  mode: 'http' | 'in-process';
  rounds: number;
  viewersPerSecond: number;
  requestsPerSecond: number;
  wallSeconds: number;
  serverCpuPercent: number | undefined;
  clientCpuPercent: number;
  errors: number;
  maxOtherCpuPercent: number | undefined;
}

export interface SimulationBenchResult {
  options: SimulationBenchOptions;
  scenario: { name: string; version: number; durationMinutes: number };
  cpuCount: number;
  loadAverageAtStart: number[];
  rounds: SimulationRound[];
  summaries: SimulationSummary[];
}

type CpuFigures = ReturnType<ReturnType<typeof cpuWindow>>;

/** In process the server is this process: its CPU and everything else's, without counting it twice. */
function inProcessWindow(): () => CpuFigures {
  const wall0 = performance.now();
  const self0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  return () => {
    const seconds = (performance.now() - wall0) / 1000;
    const self = process.cpuUsage(self0);
    const client = (self.user + self.system) / 1e6;
    const busy1 = machineBusySeconds();
    const pct = (x: number) => (x / seconds) * 100;
    return { seconds, clientPercent: pct(client), ...(busy0 !== undefined && busy1 !== undefined ? { otherPercent: Math.max(0, pct(busy1 - busy0 - client)) } : {}) };
  };
}

function roundOf(mode: SimulationRound['mode'], round: number, seed: number, r: SimulationReport, cpu: CpuFigures): SimulationRound {
  return {
    mode,
    round,
    seed,
    wallSeconds: r.wallSeconds,
    viewersPerSecond: r.viewersPerSecond,
    requestsPerSecond: r.requestsPerSecond,
    requests: r.requests.total,
    errors: r.requests.errors,
    refused: Object.values(r.requests.refusedByCode).reduce((a, b) => a + b, 0),
    socketsPeak: r.sockets.peak,
    pacedRequests: 0,
    serverCpuPercent: mode === 'http' ? cpu.serverPercent : undefined,
    clientCpuPercent: cpu.clientPercent,
    otherCpuPercent: cpu.otherPercent,
    perArm: r.perArm.map((a) => ({ arm: a.arm, lists: a.lists, conversion: a.conversion, regretPerList: a.regret.perList })),
  };
}

function summarise(rounds: SimulationRound[]): SimulationSummary {
  const server = rounds.map((r) => r.serverCpuPercent).filter((x): x is number => x !== undefined);
  const other = rounds.map((r) => r.otherCpuPercent).filter((x): x is number => x !== undefined);
  return {
    mode: rounds[0]!.mode,
    rounds: rounds.length,
    viewersPerSecond: median(rounds.map((r) => r.viewersPerSecond)),
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    wallSeconds: median(rounds.map((r) => r.wallSeconds)),
    serverCpuPercent: server.length ? median(server) : undefined,
    clientCpuPercent: median(rounds.map((r) => r.clientCpuPercent)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    maxOtherCpuPercent: other.length ? Math.max(...other) : undefined,
  };
}

export async function runSimulationBench(partial: Partial<SimulationBenchOptions> = {}): Promise<SimulationBenchResult> {
  const options = { ...SIMULATION_BENCH_DEFAULTS, ...partial };
  const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
  const loadAverageAtStart = os.loadavg();
  const rounds: SimulationRound[] = [];

  log(`simulation: starting the server (demo mode, temporary SQLite file) …`);
  const server = await startChild<{ admin: { name: string; password: string } }>('server-child.ts', [], 'qingliu server');
  try {
    const url = `http://127.0.0.1:${server.info.port}`;
    for (let round = 0; round < options.rounds; round++) {
      const seed = scenario.seed + round;
      await waitForQuiet(server.pid, options.quietWaitSeconds * 1000);
      const target = createHttpTarget({ url, staff: server.info.admin });
      const window = cpuWindow(server.pid);
      let report: SimulationReport;
      try {
        report = await simulate({ target, scenario, viewers: options.viewers, speed: 'max', seed });
      } finally {
        await target.close();
      }
      const r = roundOf('http', round, seed, report, window());
      r.pacedRequests = target.stats().pacedRequests;
      rounds.push(r);
      log(
        `simulation over HTTP, round ${round + 1}: ${r.viewersPerSecond.toFixed(1)} viewers/s, ${fmtInt(r.requestsPerSecond)} req/s, ${fmtInt(r.requests)} requests, ${r.errors} errors; ` +
          `server CPU ${Math.round(r.serverCpuPercent ?? 0)} %, client CPU ${Math.round(r.clientCpuPercent)} %`,
      );
      await sleep(500);
    }
  } finally {
    await server.stop();
  }

  if (options.inProcess) {
    for (let round = 0; round < options.rounds; round++) {
      const seed = scenario.seed + round;
      await waitForQuiet(undefined, options.quietWaitSeconds * 1000);
      const target = await createInjectTarget();
      const window = inProcessWindow();
      let report: SimulationReport;
      try {
        report = await simulate({ target, scenario, viewers: options.viewers, seed });
      } finally {
        await target.close();
      }
      const r = roundOf('in-process', round, seed, report, window());
      rounds.push(r);
      log(`simulation in process, round ${round + 1}: ${r.viewersPerSecond.toFixed(1)} viewers/s, ${fmtInt(r.requestsPerSecond)} req/s, ${fmtInt(r.requests)} requests, CPU ${Math.round(r.clientCpuPercent)} %`);
    }
  }

  const summaries = (['http', 'in-process'] as const).flatMap((mode) => {
    const mine = rounds.filter((r) => r.mode === mode);
    return mine.length ? [summarise(mine)] : [];
  });
  return {
    options,
    scenario: { name: scenario.name, version: scenario.version, durationMinutes: scenario.durationMinutes },
    cpuCount: os.cpus().length,
    loadAverageAtStart,
    rounds,
    summaries,
  };
}

export function simulationReport(r: SimulationBenchResult): string {
  const o = r.options;
  const pct = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x)} %`);
  const lines = [
    `Simulation — qingliu simulate at maximum speed, scenario ${r.scenario.name} v${r.scenario.version} (${r.scenario.durationMinutes}-minute show) scaled to ` +
      `${fmtInt(o.viewers)} viewers; ${o.rounds} rounds per mode, a new seed each; load average at start ${r.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`,
    'Over HTTP: the server in a child process (demo mode, temporary SQLite file), the simulator here: keep-alive HTTP and one WebSocket per present viewer. ' +
      'In process: the app in this process on a simulated clock, one viewer event at a time (deterministic). Rates are medians of the rounds; CPU in % of one core.',
    '',
    table(
      ['mode', 'simulated viewers/s', 'requests/s', 'wall s (median)', 'server CPU', 'simulator CPU', 'errors', 'other CPU (max)'],
      r.summaries.map((s) => [
        s.mode,
        s.viewersPerSecond.toFixed(1),
        fmtInt(s.requestsPerSecond),
        s.wallSeconds.toFixed(1),
        s.mode === 'http' ? pct(s.serverCpuPercent) : '(same process)',
        pct(s.clientCpuPercent),
        String(s.errors),
        fmtOther(s.maxOtherCpuPercent),
      ]),
    ),
    '',
    table(
      ['mode', 'round', 'seed', 'viewers/s', 'req/s', 'requests', 'refused (4xx)', 'sockets (peak)', 'per arm: conversion, regret/list'],
      r.rounds.map((x) => [
        x.mode,
        String(x.round + 1),
        String(x.seed),
        x.viewersPerSecond.toFixed(1),
        fmtInt(x.requestsPerSecond),
        fmtInt(x.requests),
        fmtInt(x.refused),
        x.mode === 'http' ? String(x.socketsPeak) : '—',
        x.perArm.map((a) => `${a.arm} ${a.conversion === null ? '—' : `${(a.conversion * 100).toFixed(2)} %`}, ${a.regretPerList?.toFixed(4) ?? '—'}`).join('; '),
      ]),
    ),
  ];
  if (r.rounds.some((x) => x.pacedRequests > 0)) lines.push('', 'Some requests were held back to stay within per-address limits: see the rounds.');
  if (r.rounds.some((x) => (x.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT)) {
    lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core during some rounds: treat those as noisy.`);
  }
  return lines.join('\n');
}
