/**
 * The showcase broadcast at 10,000 viewers on one node (loopback): how soon after a host pins or
 * unpins a product does every one of 10,000 connected viewers see it (p50/p99, anything lost), and
 * what does an idle viewer connection cost the server in memory? Targets: p99 < 250 ms, nothing lost,
 * < 50 KiB per idle connection.
 *
 * The showcase benchmark (bench/showcase-broadcast.ts) at N = 10,000, with what that N needs:
 * - The servers are the same children: the real app (bench/server-child.ts) and the bare `ws`
 *   baseline (bench/bare-ws-child.ts), both with `control`: a memory probe inside the child
 *   (bench/memory-probe.ts) that reads process.memoryUsage() after two full GCs.
 * - The audiences live in `clientProcesses` load-generator processes (bench/fanout-10k-client.ts),
 *   viewer i in process i mod P, each holding its share of both audiences: one process reading
 *   10,000 sockets would add its own queueing to every figure. Viewers are ready at their snapshot; a
 *   refused upgrade is tried again after its Retry-After, as the viewer page does, and counted.
 * - Memory per idle connection: the server's reading before any viewer (after a short warm-up of 50
 *   viewers that connect and leave, so first-use allocations are not charged to the audience), and
 *   again once all N are connected and the room has been idle `idleSettleMs`; (after − before) ÷ N.
 *   RSS is what the target is judged on (it holds the heap, the sockets' native parts and buffers);
 *   heap used and external memory are shown beside it. Kernel socket buffers are not in RSS.
 * - Rounds as the showcase's: alternate pins and unpins (planOps), both servers taking turns round by
 *   round. Each round the runner arms every load generator, takes t0 = performance.timeOrigin +
 *   performance.now() just before its PUT/DELETE, and collects each viewer's arrival − t0, stamped
 *   the same way in the load generator before parsing (one machine clock; the offset between the
 *   processes is measured and reported). A viewer without its copy `roundTimeoutMs` after t0 is
 *   missing.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { FanoutCollectResult, FanoutConnectResult, FanoutSnapshot } from './fanout-10k-client.js';
import type { MemoryReading } from './memory-probe.js';
import {
  fmtInt,
  fmtMs,
  fmtOther,
  fmtRatio,
  httpRequest,
  log,
  machineBusySeconds,
  NOISY_OTHER_CPU_PERCENT,
  openFilesLimit,
  sleep,
  startChild,
  table,
  waitForQuiet,
  type ChildServer,
} from './lib.js';
import { login, planOps, summarise, type LatencySummary } from './showcase-broadcast.js';

export interface Fanout10kOptions {
  viewers: number;
  rounds: number;
  warmupRounds: number;
  clientProcesses: number;
  /** Sockets each load generator opens at once while its share connects. */
  connectBatch: number;
  roundTimeoutMs: number;
  pauseMs: number;
  /** How long the room stays idle after the last viewer joined before memory is read. */
  idleSettleMs: number;
}

export const FANOUT_10K_DEFAULTS: Fanout10kOptions = {
  viewers: 10_000,
  rounds: 20,
  warmupRounds: 3,
  clientProcesses: 4,
  connectBatch: 50,
  roundTimeoutMs: 10_000,
  pauseMs: 200,
  idleSettleMs: 3000,
};

export const FANOUT_10K_TARGET = { p99BelowMs: 250, kibPerIdleConnectionBelow: 50 } as const;

export interface MemoryPerConnection {
  connections: number;
  before: MemoryReading;
  after: MemoryReading;
  /** The same reading after the measured rounds (growth from broadcasting, if any). */
  afterRounds: MemoryReading | undefined;
  rssKiB: number;
  heapUsedKiB: number;
  externalKiB: number;
  /**
   * What the target is judged on: the larger of RSS and heap used + external per connection. RSS
   * holds everything (native socket state too) but a process keeps some pages it freed, which a new
   * allocation may reuse, so its difference can come out below the heap's.
   */
  judgedKiB: number;
}

export interface Fanout10kSide {
  server: string;
  /** Viewers connected (with their snapshot) when the rounds began. */
  viewers: number;
  rounds: number;
  latencyMs: LatencySummary;
  httpMs: LatencySummary;
  missing: number;
  unexpected: number;
  closedByServer: number;
  messageBytes: number;
  connectSeconds: number;
  /** Upgrades refused or failed before the snapshot (each tried again), by reason. */
  connectRetries: Record<string, number>;
  /** Server CPU while the audience connected (joins, snapshots, and the counters pushed to those already in). */
  connectServerCpuSeconds: number | undefined;
  /** `counters` frames the audience received while connecting. */
  connectCountersFrames: number;
  serverCpuMsPerRound: number | undefined;
  clientsCpuMsPerRound: number | undefined;
  memory: MemoryPerConnection;
}

export interface Fanout10kResult {
  options: Fanout10kOptions;
  viewersRequested: number;
  viewersNote: string | undefined;
  /** The load generators' clocks against the runner's: the largest |offset| and the ping it was read with. */
  clock: { maxOffsetMs: number; rttMs: number };
  qingliu: Fanout10kSide;
  baseline: Fanout10kSide;
  ratio: { p50: number; p99: number; rssPerConnection: number; heapPerConnection: number };
  target: { p99BelowMs: number; kibPerIdleConnectionBelow: number; latencyMet: boolean; memoryMet: boolean };
  otherCpuPercent: number | undefined;
  quietWaitSeconds: number;
}

// ---- control of the load generators ----

interface ClientProcess {
  child: ChildServer<{ viewers: number }>;
  base: string;
  agent: http.Agent;
}

/** A control request: never retried, and allowed as long as connecting 10,000 sockets takes. */
function control<T>(client: ClientProcess, path: string, body: object = {}): Promise<T> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${client.base}${path}`,
      { method: 'POST', agent: client.agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const reply = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${client.child.name} ${path}: ${res.statusCode} ${reply.slice(0, 2000)}`));
          else resolve(JSON.parse(reply) as T);
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(600_000, () => req.destroy(new Error(`${client.child.name} ${path}: no answer within 10 minutes`)));
    req.on('error', reject);
    req.end(text);
  });
}

const wallNow = () => performance.timeOrigin + performance.now();

/** Each load generator's clock minus ours, read at the quickest of 20 pings. */
async function clockOffsets(clients: ClientProcess[]): Promise<{ maxOffsetMs: number; rttMs: number }> {
  let maxOffsetMs = 0;
  let rttMs = 0;
  for (const c of clients) {
    let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
    for (let i = 0; i < 20; i++) {
      const t1 = wallNow();
      const { now } = await control<{ now: number }>(c, '/clock');
      const t2 = wallNow();
      if (t2 - t1 < best.rtt) best = { rtt: t2 - t1, offset: now - (t1 + t2) / 2 };
    }
    if (Math.abs(best.offset) >= Math.abs(maxOffsetMs)) {
      maxOffsetMs = best.offset;
      rttMs = best.rtt;
    }
  }
  return { maxOffsetMs, rttMs };
}

async function readMemoryOnce(child: ChildServer<{ memoryPort?: number }>): Promise<MemoryReading> {
  if (!child.info.memoryPort) throw new Error(`${child.name} has no memory probe`);
  const res = await httpRequest('GET', `http://127.0.0.1:${child.info.memoryPort}/memory`, { agent: new http.Agent({ keepAlive: false }) });
  if (res.status !== 200) throw new Error(`${child.name} memory probe: ${res.status}`);
  return JSON.parse(res.body) as MemoryReading;
}

/**
 * The server's memory once its RSS has settled: a process gives pages back to the system some time
 * after it freed them (start-up peaks most of all), so read every second until two readings in a
 * row are within 1 MiB of each other (at most 15 s), and take the last.
 */
async function readMemory(child: ChildServer<{ memoryPort?: number }>): Promise<MemoryReading> {
  let last = await readMemoryOnce(child);
  for (let i = 0; i < 15; i++) {
    await sleep(1000);
    const next = await readMemoryOnce(child);
    const settled = Math.abs(next.rss - last.rss) < 2 ** 20;
    last = next;
    if (settled) break;
  }
  return last;
}

/** A few viewers connect and leave before the "before" reading, so first-use allocations are not the audience's. */
async function warmViewers(url: string, n: number): Promise<void> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const s = new WebSocket(url, { perMessageDeflate: false });
          const timer = setTimeout(() => reject(new Error(`warm-up viewer of ${url}: no snapshot within 30 s`)), 30_000);
          s.on('message', (d) => {
            if (String(d).includes('"snapshot"')) {
              clearTimeout(timer);
              resolve(s);
            }
          });
          s.on('error', (err) => reject(err));
        }),
    ),
  );
  for (const s of sockets) s.close();
  await sleep(1000);
}

/**
 * Descriptors under the open-files limit (per process): each server holds one per viewer, each load
 * generator one per viewer of its share per server (two audiences).
 */
function viewersWithinLimit(requested: number, processes: number): { viewers: number; note: string | undefined } {
  const limit = openFilesLimit();
  const headroom = 200;
  const need = Math.max(requested, Math.ceil((2 * requested) / processes)) + headroom;
  if (limit === undefined || limit >= need) return { viewers: requested, note: undefined };
  const viewers = Math.max(1, Math.min(limit - headroom, Math.floor(((limit - headroom) * processes) / 2)));
  return {
    viewers,
    note: `The open-files limit (ulimit -n = ${limit}) is too low for ${requested} viewers; running with ${viewers}. Raise it (e.g. \`ulimit -n ${need + 1024}\`) for the full figure.`,
  };
}

// ---- one server and its audience ----

interface Op {
  method: 'PUT' | 'DELETE';
  type: 'pinned' | 'unpinned';
  productId: string;
}

class Side {
  snapshot: FanoutSnapshot = { seq: 0, pins: [], productIds: [] };
  ops: Op[] = [];
  viewers = 0;
  connectSeconds = 0;
  connectRetries: Record<string, number> = {};
  connectServerCpuSeconds: number | undefined;
  connectCountersFrames = 0;
  readonly latencies: number[] = [];
  readonly httpTimes: number[] = [];
  missing = 0;
  unexpected = 0;
  closedByServer = 0;
  bytes = 0;
  serverCpu = 0;
  clientsCpu = 0;
  cpuKnown = true;
  memoryBefore: MemoryReading | undefined;
  memoryAfter: MemoryReading | undefined;
  memoryAfterRounds: MemoryReading | undefined;

  constructor(
    readonly server: string,
    readonly target: string,
    readonly child: ChildServer<{ memoryPort?: number }>,
    readonly changeUrl: (productId: string) => string,
    readonly headers: Record<string, string>,
  ) {}

  async connect(clients: ClientProcess[]): Promise<void> {
    log(`${this.server}: ${clients.length} load generators open their share of the viewers …`);
    const started = performance.now();
    const cpu0 = this.child.cpuSeconds();
    const results = await Promise.all(clients.map((c) => control<FanoutConnectResult>(c, '/connect', { target: this.target })));
    this.connectSeconds = (performance.now() - started) / 1000;
    const cpu1 = this.child.cpuSeconds();
    this.connectServerCpuSeconds = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
    this.connectCountersFrames = results.reduce((n, r) => n + r.countersFrames, 0);
    this.viewers = results.reduce((n, r) => n + r.viewers, 0);
    for (const r of results) {
      for (const [k, v] of Object.entries(r.retries)) this.connectRetries[k] = (this.connectRetries[k] ?? 0) + v;
      if (r.snapshot.seq >= this.snapshot.seq) this.snapshot = r.snapshot;
    }
    const retried = Object.values(this.connectRetries).reduce((n, v) => n + v, 0);
    log(`${this.server}: ${fmtInt(this.viewers)} viewers have their snapshot (${this.connectSeconds.toFixed(1)} s${retried ? `, ${retried} attempts tried again` : ''})`);
  }

  async round(round: number, measured: boolean, clients: ClientProcess[], options: Fanout10kOptions): Promise<void> {
    const op = this.ops[round]!;
    await Promise.all(clients.map((c) => control(c, '/expect', { target: this.target, type: op.type, productId: op.productId, seq: this.snapshot.seq + round + 1 })));
    const server0 = this.child.cpuSeconds();
    const clients0 = clients.map((c) => c.child.cpuSeconds());
    const t0 = wallNow();
    const reply = await httpRequest(op.method, this.changeUrl(op.productId), { headers: this.headers });
    if (reply.status !== 200) throw new Error(`${this.server}: ${op.method} pin ${op.productId} → ${reply.status} ${reply.body.slice(0, 300)}`);
    const collected = await Promise.all(clients.map((c) => control<FanoutCollectResult>(c, '/collect', { target: this.target, t0, timeoutMs: options.roundTimeoutMs })));
    const server1 = this.child.cpuSeconds();
    const clients1 = clients.map((c) => c.child.cpuSeconds());
    if (!measured) return;
    if (server0 === undefined || server1 === undefined || clients0.some((v) => v === undefined) || clients1.some((v) => v === undefined)) this.cpuKnown = false;
    else {
      this.serverCpu += server1 - server0;
      this.clientsCpu += clients1.reduce<number>((s, v, i) => s + v! - clients0[i]!, 0);
    }
    this.httpTimes.push(reply.ms);
    for (const c of collected) {
      for (const l of c.latencies) this.latencies.push(l);
      this.missing += c.missing;
      this.unexpected += c.unexpected;
      this.closedByServer += c.closedByServer;
    }
    this.bytes += collected.find((c) => c.messageBytes)?.messageBytes ?? 0;
  }

  memory(): MemoryPerConnection {
    const before = this.memoryBefore!;
    const after = this.memoryAfter!;
    const per = (a: number, b: number) => (a - b) / this.viewers / 1024;
    const rssKiB = per(after.rss, before.rss);
    const heapUsedKiB = per(after.heapUsed, before.heapUsed);
    const externalKiB = per(after.external, before.external);
    return { connections: this.viewers, before, after, afterRounds: this.memoryAfterRounds, rssKiB, heapUsedKiB, externalKiB, judgedKiB: Math.max(rssKiB, heapUsedKiB + externalKiB) };
  }

  stats(options: Fanout10kOptions): Fanout10kSide {
    const s: Fanout10kSide = {
      server: this.server,
      viewers: this.viewers,
      rounds: options.rounds,
      latencyMs: summarise(this.latencies),
      httpMs: summarise(this.httpTimes),
      missing: this.missing,
      unexpected: this.unexpected,
      closedByServer: this.closedByServer,
      messageBytes: Math.round(this.bytes / options.rounds),
      connectSeconds: this.connectSeconds,
      connectRetries: this.connectRetries,
      connectServerCpuSeconds: this.connectServerCpuSeconds,
      connectCountersFrames: this.connectCountersFrames,
      serverCpuMsPerRound: this.cpuKnown ? (this.serverCpu * 1000) / options.rounds : undefined,
      clientsCpuMsPerRound: this.cpuKnown ? (this.clientsCpu * 1000) / options.rounds : undefined,
      memory: this.memory(),
    };
    log(`${s.server}: p50 ${fmtMs(s.latencyMs.p50)}, p99 ${fmtMs(s.latencyMs.p99)}, missing ${s.missing}, ${s.memory.rssKiB.toFixed(1)} KiB RSS per connection`);
    return s;
  }
}

// ---- the run ----

export async function runFanout10k(partial: Partial<Fanout10kOptions> = {}): Promise<Fanout10kResult> {
  const requested = { ...FANOUT_10K_DEFAULTS, ...partial };
  const { viewers, note } = viewersWithinLimit(requested.viewers, requested.clientProcesses);
  if (note) log(note);
  const options: Fanout10kOptions = { ...requested, viewers };
  const children: ChildServer<unknown>[] = [];
  const clients: ClientProcess[] = [];
  try {
    const qChild = await startChild<{ admin: { name: string; password: string }; memoryPort?: number }>('server-child.ts', ['{}', 'control'], 'qingliu server');
    children.push(qChild);
    const qBase = `http://127.0.0.1:${qChild.info.port}`;
    const cookie = await login(qBase, qChild.info.admin);
    const started = await httpRequest('POST', `${qBase}/api/v1/sessions/demo/start`, { headers: { cookie } });
    if (started.status !== 200 && !started.body.includes('SESSION_ALREADY_LIVE')) throw new Error(`could not start the demo session: ${started.status} ${started.body.slice(0, 300)}`);
    const room = await httpRequest('GET', `${qBase}/api/v1/sessions/demo`);
    const productIds = (JSON.parse(room.body) as { products: { id: string }[] }).products.map((p) => p.id);

    // The baseline offers Qingliu's product ids, so its messages have the same shape and size.
    const bChild = await startChild<{ memoryPort?: number }>('bare-ws-child.ts', [JSON.stringify(productIds), 'control'], 'bare ws server');
    children.push(bChild);
    const bBase = `http://127.0.0.1:${bChild.info.port}`;
    const qWs = `ws://127.0.0.1:${qChild.info.port}/api/v1/sessions/demo/live`;
    const bWs = `ws://127.0.0.1:${bChild.info.port}/live`;
    const qingliu = new Side('Qingliu', 'qingliu', qChild, (id) => `${qBase}/api/v1/sessions/demo/pins/${encodeURIComponent(id)}`, { cookie });
    const baseline = new Side('bare ws', 'bare', bChild, (id) => `${bBase}/pins/${encodeURIComponent(id)}`, {});

    for (const [side, url] of [
      [qingliu, qWs],
      [baseline, bWs],
    ] as const) {
      await warmViewers(url, 50);
      side.memoryBefore = await readMemory(side.child);
    }

    for (let i = 0; i < options.clientProcesses; i++) {
      const config = { processIndex: i, processes: options.clientProcesses, viewers: options.viewers, connectBatch: options.connectBatch, targets: { qingliu: qWs, bare: bWs } };
      const child = await startChild<{ viewers: number }>('fanout-10k-client.ts', [JSON.stringify(config)], `load generator ${i + 1}`);
      children.push(child);
      clients.push({ child, base: `http://127.0.0.1:${child.info.port}`, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) });
    }
    const clock = await clockOffsets(clients);

    // One audience at a time; each server's memory is read once its own audience is in and idle.
    for (const side of [qingliu, baseline]) {
      await side.connect(clients);
      await sleep(options.idleSettleMs);
      side.memoryAfter = await readMemory(side.child);
    }

    const totalRounds = options.warmupRounds + options.rounds;
    qingliu.ops = planOps(totalRounds, qingliu.snapshot.productIds, qingliu.snapshot.pins);
    baseline.ops = planOps(totalRounds, productIds, baseline.snapshot.pins);

    const quiet = await waitForQuiet(undefined);
    log(`${options.rounds} rounds per server (after ${options.warmupRounds} warm-up), taking turns …`);
    let busy0: number | undefined;
    let cpu0: { servers: (number | undefined)[]; clients: (number | undefined)[]; self: NodeJS.CpuUsage; wall: number } | undefined;
    for (let round = 0; round < totalRounds; round++) {
      const measured = round >= options.warmupRounds;
      if (round === options.warmupRounds) {
        busy0 = machineBusySeconds();
        cpu0 = { servers: [qChild.cpuSeconds(), bChild.cpuSeconds()], clients: clients.map((c) => c.child.cpuSeconds()), self: process.cpuUsage(), wall: performance.now() };
      }
      for (const side of round % 2 === 0 ? [qingliu, baseline] : [baseline, qingliu]) {
        await side.round(round, measured, clients, options);
        await sleep(options.pauseMs);
      }
    }
    // Everything but the servers, the load generators and this process over the measured rounds.
    let other: number | undefined;
    const busy1 = machineBusySeconds();
    if (busy0 !== undefined && busy1 !== undefined && cpu0) {
      const seconds = (performance.now() - cpu0.wall) / 1000;
      const servers = [qChild.cpuSeconds(), bChild.cpuSeconds()].reduce<number>((s, v, i) => s + (v ?? 0) - (cpu0!.servers[i] ?? 0), 0);
      const loadGen = clients.reduce((s, c, i) => s + (c.child.cpuSeconds() ?? 0) - (cpu0!.clients[i] ?? 0), 0);
      const self = process.cpuUsage(cpu0.self);
      other = Math.max(0, ((busy1 - busy0 - servers - loadGen - (self.user + self.system) / 1e6) / seconds) * 100);
    }
    for (const side of [qingliu, baseline]) side.memoryAfterRounds = await readMemory(side.child);

    const q = qingliu.stats(options);
    const b = baseline.stats(options);
    return {
      options,
      viewersRequested: requested.viewers,
      viewersNote: note,
      clock,
      qingliu: q,
      baseline: b,
      ratio: {
        p50: q.latencyMs.p50 / b.latencyMs.p50,
        p99: q.latencyMs.p99 / b.latencyMs.p99,
        rssPerConnection: q.memory.rssKiB / b.memory.rssKiB,
        heapPerConnection: q.memory.heapUsedKiB / b.memory.heapUsedKiB,
      },
      target: {
        ...FANOUT_10K_TARGET,
        latencyMet: q.latencyMs.p99 < FANOUT_10K_TARGET.p99BelowMs && q.missing === 0 && q.viewers === options.viewers,
        memoryMet: q.memory.judgedKiB < FANOUT_10K_TARGET.kibPerIdleConnectionBelow,
      },
      otherCpuPercent: other,
      quietWaitSeconds: quiet.waitedMs / 1000,
    };
  } finally {
    for (const c of clients) c.agent.destroy();
    await Promise.all(children.map((c) => c.stop()));
  }
}

export function fanout10kReport(r: Fanout10kResult): string {
  const o = r.options;
  const ms = (v: number | undefined) => (v === undefined ? '—' : fmtMs(v));
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const kib = (v: number) => `${v.toFixed(1)} KiB`;
  const row = (s: Fanout10kSide) => [
    s.server,
    fmtInt(s.viewers),
    fmtMs(s.latencyMs.p50),
    fmtMs(s.latencyMs.p90),
    fmtMs(s.latencyMs.p99),
    fmtMs(s.latencyMs.max),
    fmtMs(s.httpMs.p50),
    fmtMs(s.httpMs.max),
    `${fmtInt(s.missing)} / ${fmtInt(s.viewers * s.rounds)}`,
    String(s.messageBytes),
    ms(s.serverCpuMsPerRound),
    ms(s.clientsCpuMsPerRound),
    `${s.connectSeconds.toFixed(1)} s`,
  ];
  const memRow = (s: Fanout10kSide) => [
    s.server,
    `${mib(s.memory.before.rss)} → ${mib(s.memory.after.rss)}`,
    kib(s.memory.rssKiB),
    `${mib(s.memory.before.heapUsed)} → ${mib(s.memory.after.heapUsed)}`,
    kib(s.memory.heapUsedKiB),
    kib(s.memory.externalKiB),
    s.memory.afterRounds ? `${mib(s.memory.afterRounds.rss)} / ${mib(s.memory.afterRounds.heapUsed)}` : '—',
    s.memory.after.peakRss === undefined ? '—' : mib(Math.max(s.memory.after.peakRss, s.memory.afterRounds?.peakRss ?? 0)),
  ];
  const lines = [
    `Pin broadcast at ${fmtInt(o.viewers)} viewers — one node on loopback, ${fmtInt(o.viewers)} viewers per server in ${o.clientProcesses} load-generator processes, ` +
      `${o.rounds} rounds per server (after ${o.warmupRounds} warm-up), rounds interleaved, pin/unpin → every viewer`,
    '',
    table(
      ['server', 'viewers', 'p50', 'p90', 'p99', 'max', 'HTTP p50', 'HTTP max', 'missing', 'msg bytes', 'server CPU/round', 'clients CPU/round', 'connect'],
      [row(r.qingliu), row(r.baseline)],
    ),
    '',
    `Memory of the server process per idle connection (after two full GCs; before: no viewers, after: all connected and idle ${(o.idleSettleMs / 1000).toFixed(0)} s):`,
    '',
    table(['server', 'RSS before → after', 'RSS / connection', 'heap used before → after', 'heap / connection', 'external / connection', 'RSS / heap after rounds', 'peak RSS'], [
      memRow(r.qingliu),
      memRow(r.baseline),
    ]),
    '',
    `Qingliu / bare ws: p50 ${fmtRatio(r.ratio.p50)}, p99 ${fmtRatio(r.ratio.p99)}; RSS per connection ${fmtRatio(r.ratio.rssPerConnection)}, heap per connection ${fmtRatio(r.ratio.heapPerConnection)}`,
    `Target: p99 < ${r.target.p99BelowMs} ms with no message lost → ${r.target.latencyMet ? 'PASS' : 'MISS'} (p99 ${fmtMs(r.qingliu.latencyMs.p99)}, missing ${fmtInt(r.qingliu.missing)}, ${fmtInt(r.qingliu.viewers)} of ${fmtInt(o.viewers)} connected)`,
    `Target: < ${r.target.kibPerIdleConnectionBelow} KiB per idle connection (the larger of RSS and heap + external) → ${r.target.memoryMet ? 'PASS' : 'MISS'} ` +
      `(${kib(r.qingliu.memory.judgedKiB)}: ${kib(r.qingliu.memory.rssKiB)} RSS, ${kib(r.qingliu.memory.heapUsedKiB)} heap, ${kib(r.qingliu.memory.externalKiB)} external)`,
    `Clocks: the load generators read the machine clock within ${Math.abs(r.clock.maxOffsetMs).toFixed(2)} ms of the runner (ping ${r.clock.rttMs.toFixed(2)} ms); other CPU during the rounds ${fmtOther(r.otherCpuPercent)} of a core.`,
  ];
  for (const s of [r.qingliu, r.baseline]) {
    const cpu = s.connectServerCpuSeconds;
    lines.push(
      `Connecting ${s.server}'s ${fmtInt(s.viewers)} viewers took ${s.connectSeconds.toFixed(1)} s and ${cpu === undefined ? '—' : `${cpu.toFixed(1)} s`} of server CPU` +
        `${cpu === undefined ? '' : ` (${((cpu * 1000) / s.viewers).toFixed(1)} ms per viewer)`}; meanwhile the viewers already in received ${fmtInt(s.connectCountersFrames)} \`counters\` frames.`,
    );
    const retries = Object.entries(s.connectRetries);
    if (retries.length) lines.push(`Note: ${s.server}: while connecting, attempts tried again: ${retries.map(([k, v]) => `${k} × ${fmtInt(v)}`).join(', ')}.`);
    if (s.unexpected || s.closedByServer) lines.push(`Note: ${s.server}: ${s.unexpected} unexpected message(s), ${s.closedByServer} socket(s) closed by the server during the rounds.`);
  }
  if ((r.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT) lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core during the rounds: treat it as noisy.`);
  if (r.viewersNote) lines.push(`Note: ${r.viewersNote}`);
  return lines.join('\n');
}
