/**
 * Read API throughput: the product list (GET /api/v1/products?limit=20) and the room state
 * (GET /api/v1/sessions/demo) under autocannon, against the real server in a child process.
 *
 * The baseline is a bare Fastify 5 app (bench/bare-fastify-child.ts) serving the very bodies
 * Qingliu returned, from memory: the floor without database, validation, hooks or plugins.
 * The two servers run one after the other, never together; each endpoint gets a warm-up run
 * that is thrown away, then the measured run.
 */
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
  NOISY_OTHER_CPU_PERCENT,
  sleep,
  startChild,
  table,
  waitForQuiet,
  type ChildServer,
} from './lib.js';

export interface ProductsOptions {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export const PRODUCTS_DEFAULTS: ProductsOptions = { connections: 50, durationSeconds: 10, warmupSeconds: 2 };

/** Qingliu must serve at least this share of the bare route's requests per second. */
export const PRODUCTS_TARGET_RATIO = 0.5;

export const ENDPOINTS = [
  { name: 'GET /api/v1/products?limit=20', path: '/api/v1/products?limit=20' },
  { name: 'GET /api/v1/sessions/demo', path: '/api/v1/sessions/demo' },
] as const;

export interface ThroughputStats {
  server: string;
  endpoint: string;
  /** Mean and median of the per-second request counts autocannon sampled. */
  requestsPerSecond: { mean: number; median: number; min: number; max: number };
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  responseBytes: number;
  /** CPU the server process used during the measured run, as % of one core (if known). */
  serverCpuPercent: number | undefined;
  /**
   * Server CPU time per completed request (µs). Less sensitive than req/s to other processes
   * taking turns on the cores: the cost of one request, wherever the time slices fell.
   */
  serverCpuMicrosPerRequest: number | undefined;
  /** CPU this process (autocannon) used during the measured run, as % of one core. */
  clientCpuPercent: number;
  /** CPU everything else on the machine used meanwhile, as % of one core (noise; ideally ~0). */
  otherCpuPercent: number | undefined;
  /** How long the run waited for other processes to quieten down before the warm-up. */
  quietWaitSeconds: number;
}

export interface EndpointComparison {
  endpoint: string;
  qingliu: ThroughputStats;
  bare: ThroughputStats;
  /**
   * Qingliu / bare, on the median and on the mean of per-second samples; and bare / Qingliu server
   * CPU per request, the throughput share Qingliu would reach if each server had a core to itself.
   */
  ratio: { median: number; mean: number; cpuPerRequest: number | undefined };
  target: { atLeast: number; met: boolean } | undefined;
}

export interface ProductsResult {
  options: ProductsOptions;
  endpoints: EndpointComparison[];
}

async function load(
  server: string,
  endpoint: (typeof ENDPOINTS)[number],
  base: string,
  child: ChildServer<unknown>,
  options: ProductsOptions,
  responseBytes: number,
): Promise<ThroughputStats> {
  const url = `${base}${endpoint.path}`;
  const quiet = await waitForQuiet(child.pid);
  log(`${server}: ${endpoint.name} — warm-up ${options.warmupSeconds} s …`);
  await autocannon({ url, connections: options.connections, duration: options.warmupSeconds });
  await sleep(500);
  log(`${server}: ${endpoint.name} — ${options.connections} connections for ${options.durationSeconds} s …`);
  const window = cpuWindow(child.pid);
  const r = await autocannon({ url, connections: options.connections, duration: options.durationSeconds });
  const cpu = window();
  const stats: ThroughputStats = {
    server,
    endpoint: endpoint.name,
    requestsPerSecond: { mean: r.requests.mean, median: r.requests.p50, min: r.requests.min, max: r.requests.max },
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.mean, max: r.latency.max },
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    responseBytes,
    serverCpuPercent: cpu.serverPercent,
    serverCpuMicrosPerRequest:
      cpu.serverPercent === undefined || r.requests.total === 0 ? undefined : (cpu.serverPercent / 100) * cpu.seconds * 1e6 / r.requests.total,
    clientCpuPercent: cpu.clientPercent,
    otherCpuPercent: cpu.otherPercent,
    quietWaitSeconds: quiet.waitedMs / 1000,
  };
  log(`${server}: ${fmtInt(stats.requestsPerSecond.median)} req/s (median), p99 ${fmtMs(stats.latencyMs.p99)}`);
  await sleep(500);
  return stats;
}

export async function runProducts(partial: Partial<ProductsOptions> = {}): Promise<ProductsResult> {
  const options = { ...PRODUCTS_DEFAULTS, ...partial };
  const qingliu: ThroughputStats[] = [];
  const bare: ThroughputStats[] = [];
  const bodies: Record<string, unknown> = {};

  {
    const child = await startChild<object>('server-child.ts', [], 'qingliu server');
    try {
      const base = `http://127.0.0.1:${child.info.port}`;
      // Capture the real bodies first: the baseline serves exactly these.
      const sizes: number[] = [];
      for (const e of ENDPOINTS) {
        const res = await httpRequest('GET', `${base}${e.path}`);
        if (res.status !== 200) throw new Error(`${e.name} → ${res.status} ${res.body.slice(0, 300)}`);
        bodies[e.path.split('?')[0]!] = JSON.parse(res.body);
        sizes.push(Buffer.byteLength(res.body));
      }
      for (const [i, e] of ENDPOINTS.entries()) qingliu.push(await load('Qingliu', e, base, child, options, sizes[i]!));
    } finally {
      await child.stop();
    }
  }
  await sleep(1000);

  const bodiesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-bodies-')), 'bodies.json');
  fs.writeFileSync(bodiesFile, JSON.stringify(bodies));
  try {
    const child = await startChild<object>('bare-fastify-child.ts', [bodiesFile], 'bare fastify server');
    try {
      const base = `http://127.0.0.1:${child.info.port}`;
      const sizes: number[] = [];
      for (const e of ENDPOINTS) {
        const res = await httpRequest('GET', `${base}${e.path}`);
        if (res.status !== 200) throw new Error(`bare ${e.name} → ${res.status}`);
        sizes.push(Buffer.byteLength(res.body));
      }
      for (const [i, e] of ENDPOINTS.entries()) bare.push(await load('bare Fastify', e, base, child, options, sizes[i]!));
    } finally {
      await child.stop();
    }
  } finally {
    fs.rmSync(path.dirname(bodiesFile), { recursive: true, force: true });
  }

  return {
    options,
    endpoints: ENDPOINTS.map((e, i) => {
      const q = qingliu[i]!;
      const b = bare[i]!;
      const ratio = {
        median: q.requestsPerSecond.median / b.requestsPerSecond.median,
        mean: q.requestsPerSecond.mean / b.requestsPerSecond.mean,
        cpuPerRequest:
          q.serverCpuMicrosPerRequest && b.serverCpuMicrosPerRequest ? b.serverCpuMicrosPerRequest / q.serverCpuMicrosPerRequest : undefined,
      };
      return {
        endpoint: e.name,
        qingliu: q,
        bare: b,
        ratio,
        // Only the product list has a stated target; the room state is reported beside it.
        target:
          e.path.startsWith('/api/v1/products')
            ? { atLeast: PRODUCTS_TARGET_RATIO, met: ratio.median >= PRODUCTS_TARGET_RATIO && q.non2xx === 0 && q.errors === 0 }
            : undefined,
      };
    }),
  };
}

export function productsReport(r: ProductsResult): string {
  const lines = [
    `Read API throughput — autocannon, ${r.options.connections} connections, ${r.options.durationSeconds} s per run after a ${r.options.warmupSeconds} s warm-up`,
    '',
  ];
  const row = (s: ThroughputStats) => [
    s.endpoint,
    s.server,
    fmtInt(s.requestsPerSecond.median),
    fmtInt(s.requestsPerSecond.mean),
    fmtMs(s.latencyMs.p50),
    fmtMs(s.latencyMs.p99),
    `${s.non2xx + s.errors}`,
    fmtInt(s.responseBytes),
    s.serverCpuPercent === undefined ? '—' : `${Math.round(s.serverCpuPercent)} %`,
    s.serverCpuMicrosPerRequest === undefined ? '—' : `${Math.round(s.serverCpuMicrosPerRequest)} µs`,
    `${Math.round(s.clientCpuPercent)} %`,
    fmtOther(s.otherCpuPercent),
  ];
  lines.push(
    table(
      ['endpoint', 'server', 'req/s median', 'req/s mean', 'p50', 'p99', 'errors+non2xx', 'body bytes', 'server CPU', 'server CPU/req', 'client CPU', 'other CPU'],
      r.endpoints.flatMap((e) => [row(e.qingliu), row(e.bare)]),
    ),
    '',
  );
  for (const e of r.endpoints) {
    lines.push(
      `${e.endpoint}: Qingliu / bare = ${fmtRatio(e.ratio.median)} (median req/s), ${fmtRatio(e.ratio.mean)} (mean req/s) — ` +
        (e.target ? `target ≥ ${Math.round(e.target.atLeast * 100)} % → ${e.target.met ? 'PASS' : 'MISS'}` : 'no target (reported)') +
        (e.ratio.cpuPerRequest === undefined ? '' : `; by server CPU per request: ${fmtRatio(e.ratio.cpuPerRequest)}`),
    );
  }
  if (r.endpoints.some((e) => [e.qingliu, e.bare].some((s) => (s.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT))) {
    lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core during this measurement: treat it as noisy.`);
  }
  return lines.join('\n');
}
