/**
 * The energy meter's own overhead on the recommendation benchmark: the same server and workload as
 * bench/recommendations.ts (1,000 products, 50 on stage, 10,000 viewers of whom 30 % consent, GET
 * …/recommendations?k=4), run twice side by side — one child with the meter on (spans around
 * ranking, logging, learning, SQLite statements and socket writes; a sample stored every 5 s) and
 * one with QINGLIU_ENERGY_METER=off. Both are up for the whole run and take turns under load, the
 * order alternating each round, after a warm-up each. Target: throughput with the meter ≥ 97 % of
 * without, judged on the medians at 50 connections.
 */
import os from 'node:os';
import { fmtInt, fmtMs, httpRequest, log, startChild, table } from './lib.js';
import { benchDeviceId, consentsInBench, measure, recommendationsPath, summarise, type RoundStats, type Summary } from './recommendations.js';

export interface EnergyMeterOptions {
  viewers: number;
  k: number;
  connections: number[];
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  quietWaitSeconds: number;
}

export const ENERGY_METER_DEFAULTS: EnergyMeterOptions = {
  viewers: 10_000,
  k: 4,
  connections: [50],
  durationSeconds: 10,
  warmupSeconds: 2,
  rounds: 5,
  quietWaitSeconds: 60,
};

export const ENERGY_METER_TARGET = { throughputShare: 0.97 } as const;

export interface EnergyMeterResult {
  options: EnergyMeterOptions;
  loadAverageAtStart: number[];
  rounds: RoundStats[];
  comparisons: { connections: number; on: Summary; off: Summary; share: number; cpuPerRequestShare: number | undefined; met: boolean }[];
}

export async function runEnergyMeter(partial: Partial<EnergyMeterOptions> = {}): Promise<EnergyMeterResult> {
  const options = { ...ENERGY_METER_DEFAULTS, ...partial };
  const loadAverageAtStart = os.loadavg();
  log(`energy-meter: setting up two servers (meter on, meter off), ${fmtInt(options.viewers)} viewers each …`);
  const on = await startChild<{ sessionId: string }>('recommendations-server-child.ts', [String(options.viewers), 'meter=on'], 'qingliu (meter on)');
  try {
    const off = await startChild<{ sessionId: string }>('recommendations-server-child.ts', [String(options.viewers), 'meter=off'], 'qingliu (meter off)');
    try {
      const qPath = recommendationsPath(on.info.sessionId, options.k);
      // Both serve the same kind of list to the same viewer.
      const viewer = [...Array(options.viewers).keys()].find(consentsInBench)!;
      for (const child of [on, off]) {
        const res = await httpRequest('GET', `http://127.0.0.1:${child.info.port}${qPath}`, { headers: { 'x-qingliu-device': benchDeviceId(viewer) } });
        if (res.status !== 200 || !(JSON.parse(res.body) as { personalised: boolean }).personalised) throw new Error(`energy-meter: setup check → ${res.status}`);
      }
      const rounds: RoundStats[] = [];
      for (const connections of options.connections) {
        log(`energy-meter: ${connections} connections — warm-up ${options.warmupSeconds} s each …`);
        await measure('meter on', on, options, connections, -1, options.warmupSeconds, () => qPath);
        await measure('meter off', off, options, connections, -1, options.warmupSeconds, () => qPath);
        for (let round = 0; round < options.rounds; round++) {
          const order = round % 2 === 0 ? ([['meter on', on], ['meter off', off]] as const) : ([['meter off', off], ['meter on', on]] as const);
          for (const [name, child] of order) rounds.push((await measure(name, child, options, connections, round, options.durationSeconds, () => qPath))!);
        }
      }
      const comparisons = options.connections.map((connections) => {
        const sOn = summarise(rounds.filter((r) => r.connections === connections && r.server === 'meter on'));
        const sOff = summarise(rounds.filter((r) => r.connections === connections && r.server === 'meter off'));
        const share = sOn.requestsPerSecond / sOff.requestsPerSecond;
        const cpuPerRequestShare =
          sOn.serverCpuMicrosPerRequest && sOff.serverCpuMicrosPerRequest ? sOff.serverCpuMicrosPerRequest / sOn.serverCpuMicrosPerRequest : undefined;
        return { connections, on: sOn, off: sOff, share, cpuPerRequestShare, met: share >= ENERGY_METER_TARGET.throughputShare && sOn.errors === 0 };
      });
      return { options, loadAverageAtStart, rounds, comparisons };
    } finally {
      await off.stop();
    }
  } finally {
    await on.stop();
  }
}

export function energyMeterReport(r: EnergyMeterResult): string {
  const o = r.options;
  const lines = [
    `Energy meter overhead — GET …/recommendations?k=${o.k}, ${fmtInt(o.viewers)} viewers (30 % consenting), the same server with QINGLIU_ENERGY_METER on (samples every 5 s) and off; ` +
      `${o.rounds} alternating rounds × ${o.durationSeconds} s after a ${o.warmupSeconds} s warm-up; load average at start ${r.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`,
    '',
    table(
      ['connections', 'meter', 'req/s (median of rounds)', 'p50', 'p99 (median)', 'server CPU/req', 'errors+non2xx'],
      r.comparisons.flatMap((c) =>
        [c.on, c.off].map((s) => [
          String(s.connections),
          s.server,
          fmtInt(s.requestsPerSecond),
          fmtMs(s.p50Ms),
          fmtMs(s.p99Ms),
          s.serverCpuMicrosPerRequest === undefined ? '—' : `${Math.round(s.serverCpuMicrosPerRequest)} µs`,
          String(s.errors),
        ]),
      ),
    ),
    '',
  ];
  for (const c of r.comparisons) {
    lines.push(
      `${c.connections} connections: throughput with the meter = ${(c.share * 100).toFixed(1)} % of without` +
        (c.cpuPerRequestShare === undefined ? '' : ` (by server CPU per request ${(c.cpuPerRequestShare * 100).toFixed(1)} %)`) +
        ` — target ≥ ${Math.round(ENERGY_METER_TARGET.throughputShare * 100)} %: ${c.met ? 'PASS' : 'MISS'}`,
    );
  }
  return lines.join('\n');
}
