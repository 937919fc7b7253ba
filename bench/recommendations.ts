/**
 * Recommendations over HTTP: GET /api/v1/sessions/:id/recommendations?k=4 with the device id in
 * x-qingliu-device, cycling through 10,000 distinct viewers, against the real server in a child
 * process (bench/recommendations-server-child.ts: 1,000 products, 50 on stage, live, pins, flash
 * sales, room activity; 30 % of the viewers accepted every purpose and have in-session behaviour,
 * the rest never decided).
 *
 * The baseline is a bare Fastify 5 app (bench/bare-fastify-child.ts) serving, from memory, the very
 * bodies Qingliu returned: a personalised 4-item list to the consenting viewers' requests and a
 * non-personalised one to the others (the generator picks the route), so both servers send the same
 * mix of bodies to the same requests with the same headers.
 *
 * Both servers are up during the whole run but take turns: for each connection count, rounds
 * alternate which server goes first, and only one is ever under load. Each server gets a warm-up
 * (thrown away) per connection count.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  cpuWindow,
  fmtInt,
  fmtMs,
  fmtOther,
  fmtRatio,
  httpRequest,
  log,
  median,
  NOISY_OTHER_CPU_PERCENT,
  sleep,
  startChild,
  table,
  waitForQuiet,
  type ChildServer,
} from './lib.js';

export const REC_BRAND_ID = 'bench-brand';
export const REC_SESSION_ID = 'bench-live';
/** Share of the viewers who accepted every purpose before the run (setup, not measured). */
export const CONSENTING_SHARE = 0.3;

/** The i-th viewer's device id (deterministic, so the server child and the load generator agree). */
export function benchDeviceId(i: number): string {
  return `dev-${createHash('sha256').update(`qingliu-bench-viewer-${i}`).digest('base64url').slice(0, 24)}`;
}

/** Whether viewer i accepted every purpose: 3 in every 10, interleaved. */
export function consentsInBench(i: number): boolean {
  return i % 10 < CONSENTING_SHARE * 10;
}

export interface RecommendationsOptions {
  viewers: number;
  k: number;
  /** Connection counts to run, in order; the target is judged at the first. */
  connections: number[];
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  /** Longest wait, before each measured run, for other processes to quieten down (lib.waitForQuiet). */
  quietWaitSeconds: number;
  /** After each connection count's rounds, one more round of the bare route held to Qingliu's median rate. */
  pacedBare: boolean;
}

export const RECOMMENDATIONS_DEFAULTS: RecommendationsOptions = {
  viewers: 10_000,
  k: 4,
  connections: [50, 10, 1],
  durationSeconds: 10,
  warmupSeconds: 2,
  rounds: 3,
  quietWaitSeconds: 60,
  pacedBare: true,
};

export const RECOMMENDATIONS_TARGET = { p99Ms: 5, ratio: 0.4 } as const;

export interface RoundStats {
  server: 'Qingliu' | 'bare Fastify' | 'meter on' | 'meter off';
  connections: number;
  round: number;
  requestsPerSecond: { mean: number; median: number };
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  requests: number;
  non2xx: number;
  errors: number;
  serverCpuPercent: number | undefined;
  serverCpuMicrosPerRequest: number | undefined;
  clientCpuPercent: number;
  otherCpuPercent: number | undefined;
  quietWaitSeconds: number;
  /** A paced round: the rate autocannon was held to (requests a second in all). */
  pacedAt?: number;
}

export interface Summary {
  server: 'Qingliu' | 'bare Fastify' | 'meter on' | 'meter off';
  connections: number;
  rounds: number;
  /** Medians over the rounds of each round's figure. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  worstP99Ms: number;
  serverCpuMicrosPerRequest: number | undefined;
  errors: number;
  maxOtherCpuPercent: number | undefined;
}

export interface ConnectionComparison {
  connections: number;
  qingliu: Summary;
  bare: Summary;
  /**
   * The bare route held to Qingliu's rate (its median at this connection count): what a request
   * costs the bare server when it has as much idle time between answers as Qingliu has. Information
   * beside the judged figures, which it does not change.
   */
  barePaced?: RoundStats;
  ratio: { requestsPerSecond: number; cpuPerRequest: number | undefined; cpuPerRequestAtSameRate?: number };
  target: { p99: boolean; ratio: boolean; met: boolean };
}

export interface RecommendationsResult {
  options: RecommendationsOptions;
  loadAverageAtStart: number[];
  setup: Record<string, unknown>;
  bodies: { personalisedBytes: number; nonPersonalisedBytes: number; explanationFeatures: number };
  rounds: RoundStats[];
  comparisons: ConnectionComparison[];
}

export function recommendationsPath(sessionId: string, k: number) {
  return `/api/v1/sessions/${sessionId}/recommendations?k=${k}`;
}

/** Bare routes: one for each kind of body, chosen by the generator as Qingliu chooses by consent. */
const BARE_PERSONALISED = 'bench-p';
const BARE_NON_PERSONALISED = 'bench-n';

export async function measure(
  server: RoundStats['server'],
  child: ChildServer<unknown>,
  options: Pick<RecommendationsOptions, 'viewers' | 'quietWaitSeconds'>,
  connections: number,
  round: number,
  duration: number,
  pathFor: (viewer: number) => string,
  /** Paced: autocannon sends at most this many requests a second in all (its overallRate). */
  rate?: number,
): Promise<RoundStats | undefined> {
  const url = `http://127.0.0.1:${child.info.port}`;
  let next = 0;
  const requests = [
    {
      method: 'GET' as const,
      setupRequest: (req: { path?: string; headers?: Record<string, string> }) => {
        const viewer = next;
        next = (next + 1) % options.viewers;
        req.path = pathFor(viewer);
        req.headers = { ...req.headers, 'x-qingliu-device': benchDeviceId(viewer) };
        return req;
      },
    },
  ];
  const quiet = round >= 0 ? await waitForQuiet(child.pid, options.quietWaitSeconds * 1000) : { waitedMs: 0 };
  const window = cpuWindow(child.pid);
  const r = await autocannon({ url, connections, duration, requests: requests as autocannon.Request[], ...(rate !== undefined ? { overallRate: Math.max(1, Math.round(rate)) } : {}) });
  const cpu = window();
  if (round < 0) return undefined;
  const stats: RoundStats = {
    server,
    connections,
    round,
    requestsPerSecond: { mean: r.requests.mean, median: r.requests.p50 },
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r.latency.mean, max: r.latency.max },
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    serverCpuPercent: cpu.serverPercent,
    serverCpuMicrosPerRequest:
      cpu.serverPercent === undefined || r.requests.total === 0 ? undefined : ((cpu.serverPercent / 100) * cpu.seconds * 1e6) / r.requests.total,
    clientCpuPercent: cpu.clientPercent,
    otherCpuPercent: cpu.otherPercent,
    quietWaitSeconds: quiet.waitedMs / 1000,
    ...(rate !== undefined ? { pacedAt: Math.round(rate) } : {}),
  };
  log(
    `${server}, ${connections} connections, ${rate !== undefined ? `paced at ${fmtInt(rate)} req/s` : `round ${round + 1}`}: ${fmtInt(stats.requestsPerSecond.median)} req/s (median), p50 ${fmtMs(stats.latencyMs.p50)}, p99 ${fmtMs(stats.latencyMs.p99)}` +
      (stats.serverCpuMicrosPerRequest === undefined ? '' : `, ${Math.round(stats.serverCpuMicrosPerRequest)} µs server CPU/request`),
  );
  await sleep(300);
  return stats;
}

export function summarise(rounds: RoundStats[]): Summary {
  const cpu = rounds.map((r) => r.serverCpuMicrosPerRequest).filter((x): x is number => x !== undefined);
  const other = rounds.map((r) => r.otherCpuPercent).filter((x): x is number => x !== undefined);
  return {
    server: rounds[0]!.server,
    connections: rounds[0]!.connections,
    rounds: rounds.length,
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond.median)),
    p50Ms: median(rounds.map((r) => r.latencyMs.p50)),
    p99Ms: median(rounds.map((r) => r.latencyMs.p99)),
    worstP99Ms: Math.max(...rounds.map((r) => r.latencyMs.p99)),
    serverCpuMicrosPerRequest: cpu.length ? median(cpu) : undefined,
    errors: rounds.reduce((n, r) => n + r.non2xx + r.errors, 0),
    maxOtherCpuPercent: other.length ? Math.max(...other) : undefined,
  };
}

export async function runRecommendations(partial: Partial<RecommendationsOptions> = {}): Promise<RecommendationsResult> {
  const options = { ...RECOMMENDATIONS_DEFAULTS, ...partial };
  const loadAverageAtStart = os.loadavg();
  log(`recommendations: setting up the room and ${fmtInt(options.viewers)} viewers (${Math.round(CONSENTING_SHARE * 100)} % consenting) …`);
  const qingliu = await startChild<{ sessionId: string; setup: Record<string, unknown> }>('recommendations-server-child.ts', [String(options.viewers)], 'qingliu server');
  let bodiesDir: string | undefined;
  try {
    log(`recommendations: setup ${JSON.stringify(qingliu.info.setup)}`);
    const sessionId = qingliu.info.sessionId;
    const qPath = recommendationsPath(sessionId, options.k);
    const base = `http://127.0.0.1:${qingliu.info.port}`;

    // Capture the real bodies (and check that both paths are what they should be).
    const firstConsenting = [...Array(options.viewers).keys()].find(consentsInBench)!;
    const firstUndecided = [...Array(options.viewers).keys()].find((i) => !consentsInBench(i))!;
    const capture = async (viewer: number, personalised: boolean) => {
      const res = await httpRequest('GET', `${base}${qPath}`, { headers: { 'x-qingliu-device': benchDeviceId(viewer) } });
      if (res.status !== 200) throw new Error(`recommendations → ${res.status} ${res.body.slice(0, 300)}`);
      const body = JSON.parse(res.body) as { personalised: boolean; items: { explanation: { contributions: unknown[] } }[] };
      if (body.personalised !== personalised) throw new Error(`viewer ${viewer}: expected personalised=${personalised}, got ${body.personalised}`);
      if (body.items.length !== options.k) throw new Error(`viewer ${viewer}: ${body.items.length} items, expected ${options.k}`);
      return { body, bytes: Buffer.byteLength(res.body) };
    };
    const p = await capture(firstConsenting, true);
    const n = await capture(firstUndecided, false);
    bodiesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-bodies-'));
    const bodiesFile = path.join(bodiesDir, 'bodies.json');
    fs.writeFileSync(
      bodiesFile,
      JSON.stringify({
        [`/api/v1/sessions/${BARE_PERSONALISED}/recommendations`]: p.body,
        [`/api/v1/sessions/${BARE_NON_PERSONALISED}/recommendations`]: n.body,
      }),
    );
    const bare = await startChild<object>('bare-fastify-child.ts', [bodiesFile], 'bare fastify server');
    try {
      const barePath = (viewer: number) => recommendationsPath(consentsInBench(viewer) ? BARE_PERSONALISED : BARE_NON_PERSONALISED, options.k);
      const check = await httpRequest('GET', `http://127.0.0.1:${bare.info.port}${barePath(firstConsenting)}`);
      if (check.status !== 200 || Buffer.byteLength(check.body) !== p.bytes) throw new Error(`bare route → ${check.status}, ${check.body.length} bytes`);

      const rounds: RoundStats[] = [];
      const paced = new Map<number, RoundStats>();
      for (const connections of options.connections) {
        log(`recommendations: ${connections} connections — warm-up ${options.warmupSeconds} s each …`);
        await measure('Qingliu', qingliu, options, connections, -1, options.warmupSeconds, () => qPath);
        await measure('bare Fastify', bare, options, connections, -1, options.warmupSeconds, barePath);
        for (let round = 0; round < options.rounds; round++) {
          const order = round % 2 === 0 ? (['Qingliu', 'bare Fastify'] as const) : (['bare Fastify', 'Qingliu'] as const);
          for (const server of order) {
            const s =
              server === 'Qingliu'
                ? await measure(server, qingliu, options, connections, round, options.durationSeconds, () => qPath)
                : await measure(server, bare, options, connections, round, options.durationSeconds, barePath);
            rounds.push(s!);
          }
        }
        if (options.pacedBare) {
          const qRate = summarise(rounds.filter((r) => r.connections === connections && r.server === 'Qingliu')).requestsPerSecond;
          paced.set(connections, (await measure('bare Fastify', bare, options, connections, options.rounds, options.durationSeconds, barePath, qRate))!);
        }
      }

      const comparisons = options.connections.map((connections): ConnectionComparison => {
        const q = summarise(rounds.filter((r) => r.connections === connections && r.server === 'Qingliu'));
        const b = summarise(rounds.filter((r) => r.connections === connections && r.server === 'bare Fastify'));
        const bp = paced.get(connections);
        const ratio = {
          requestsPerSecond: q.requestsPerSecond / b.requestsPerSecond,
          cpuPerRequest: q.serverCpuMicrosPerRequest && b.serverCpuMicrosPerRequest ? b.serverCpuMicrosPerRequest / q.serverCpuMicrosPerRequest : undefined,
          ...(q.serverCpuMicrosPerRequest && bp?.serverCpuMicrosPerRequest ? { cpuPerRequestAtSameRate: bp.serverCpuMicrosPerRequest / q.serverCpuMicrosPerRequest } : {}),
        };
        const p99 = q.p99Ms <= RECOMMENDATIONS_TARGET.p99Ms && q.errors === 0;
        const share = ratio.requestsPerSecond >= RECOMMENDATIONS_TARGET.ratio && q.errors === 0;
        return { connections, qingliu: q, bare: b, ...(bp ? { barePaced: bp } : {}), ratio, target: { p99, ratio: share, met: p99 && share } };
      });

      return {
        options,
        loadAverageAtStart,
        setup: qingliu.info.setup,
        bodies: { personalisedBytes: p.bytes, nonPersonalisedBytes: n.bytes, explanationFeatures: p.body.items[0]!.explanation.contributions.length },
        rounds,
        comparisons,
      };
    } finally {
      await bare.stop();
    }
  } finally {
    await qingliu.stop();
    if (bodiesDir) fs.rmSync(bodiesDir, { recursive: true, force: true });
  }
}

export function recommendationsReport(r: RecommendationsResult): string {
  const o = r.options;
  const lines = [
    `Recommendations over HTTP — GET /api/v1/sessions/:id/recommendations?k=${o.k}, ${fmtInt(o.viewers)} distinct viewers in turn ` +
      `(${Math.round(CONSENTING_SHARE * 100)} % accepted every purpose, the rest undecided); ${o.rounds} rounds × ${o.durationSeconds} s per server ` +
      `and connection count after a ${o.warmupSeconds} s warm-up; load average at start ${r.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`,
    `Room: ${JSON.stringify(r.setup)}`,
    `Bodies: personalised ${fmtInt(r.bodies.personalisedBytes)} B, non-personalised ${fmtInt(r.bodies.nonPersonalisedBytes)} B (the bare route serves the same bodies to the same viewers)`,
    '',
  ];
  const row = (s: Summary) => [
    String(s.connections),
    s.server,
    fmtInt(s.requestsPerSecond),
    fmtMs(s.p50Ms),
    fmtMs(s.p99Ms),
    fmtMs(s.worstP99Ms),
    String(s.errors),
    s.serverCpuMicrosPerRequest === undefined ? '—' : `${Math.round(s.serverCpuMicrosPerRequest)} µs`,
    fmtOther(s.maxOtherCpuPercent),
  ];
  lines.push(
    table(
      ['connections', 'server', 'req/s (median of rounds)', 'p50', 'p99 (median)', 'p99 (worst round)', 'errors+non2xx', 'server CPU/req', 'other CPU (max)'],
      r.comparisons.flatMap((c) => [row(c.qingliu), row(c.bare)]),
    ),
    '',
  );
  for (const c of r.comparisons) {
    const bp = c.barePaced;
    if (bp)
      lines.push(
        `${c.connections} connections, bare route paced at Qingliu's ${fmtInt(bp.pacedAt ?? 0)} req/s: served ${fmtInt(bp.requestsPerSecond.median)} req/s, p99 ${fmtMs(bp.latencyMs.p99)}` +
          (bp.serverCpuMicrosPerRequest === undefined ? '' : `, ${Math.round(bp.serverCpuMicrosPerRequest)} µs server CPU/request`) +
          (c.ratio.cpuPerRequestAtSameRate === undefined ? '' : ` — by server CPU per request at the same rate ${fmtRatio(c.ratio.cpuPerRequestAtSameRate)} (information, not the target)`),
      );
  }
  if (r.comparisons.some((c) => c.barePaced)) lines.push('');
  for (const c of r.comparisons) {
    lines.push(
      `${c.connections} connections: Qingliu / bare = ${fmtRatio(c.ratio.requestsPerSecond)} req/s` +
        (c.ratio.cpuPerRequest === undefined ? '' : ` (by server CPU per request ${fmtRatio(c.ratio.cpuPerRequest)})`) +
        ` — p99 ${fmtMs(c.qingliu.p99Ms)} ≤ ${RECOMMENDATIONS_TARGET.p99Ms} ms: ${c.target.p99 ? 'PASS' : 'MISS'}` +
        ` (bare p99 ${fmtMs(c.bare.p99Ms)}); ratio ≥ ${Math.round(RECOMMENDATIONS_TARGET.ratio * 100)} %: ${c.target.ratio ? 'PASS' : 'MISS'}` +
        (c === r.comparisons[0] ? ' ← the target is judged here' : ''),
    );
  }
  if (r.rounds.some((s) => (s.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT)) {
    lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core during some rounds: treat those as noisy.`);
  }
  return lines.join('\n');
}
