/**
 * Live chat fan-out: 2,000 chat messages a second into one room with 2,000 viewers on loopback.
 * How long until every viewer has each message (p50/p99), and are any lost?
 *
 * - The real server runs in a child process (bench/server-child.ts) with the per-viewer chat limits
 *   raised to what a busy room's regulars need (CHAT_ENV below); everything else as deployed.
 * - The audience lives in load-generator child processes (bench/chat-fanout-client.ts): 2,000
 *   WebSocket clients (bench/lean-ws.ts, a lean RFC 6455 client: with `ws` the load generator used
 *   more CPU than the servers) on GET /api/v1/sessions/demo/live, of which 400 also send (5 messages/s
 *   each, in all 2,000 messages/s, open loop) and 100, spread over the processes, are probes that
 *   parse every frame. Every viewer counts
 *   every chat message it receives; probes time each one: arrival − the send time the sender wrote
 *   into the message's text (performance.timeOrigin + performance.now() in both processes: one
 *   machine clock, µs resolution).
 * - A round: the previous round's last frames are waited out, viewers the server dropped as slow
 *   consumers join again, the machine is let quieten down (up to 2 minutes); then warm-up, the
 *   measured window, and a drain until every viewer has every acknowledged message (or, when some
 *   sends were never answered, until nothing arrives for 10 s). Latency samples are the messages sent
 *   inside the window. Drops count the whole round: expected = messages broadcast (acknowledged to
 *   their sender, or seen by any viewer) × viewers connected when the round started; dropped =
 *   expected − counted.
 * - Baseline: a bare `ws` server (bench/bare-ws-child.ts in chat mode) doing the same fan-out without
 *   the product: parse, ack, batch 50 ms, one serialisation and UTF-8 encoding per batch, one send
 *   per socket (as the gateway does). Both servers have their own audience (the same processes, the
 *   same roles) and take turns: rounds go Qingliu, bare, bare, Qingliu, so drift on a shared machine
 *   falls on both alike.
 */
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ClientConfig, ConnectResult, DrainResult, Histogram, RunResult } from './chat-fanout-client.js';
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

export interface ChatFanoutOptions {
  viewers: number;
  /** Viewers who also send; the rate is spread evenly over them. */
  senders: number;
  /** Chat messages per second into the room, all senders together. */
  rate: number;
  /** Viewers that parse every frame and time every message. */
  probes: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Measured rounds per server (order Q, B, B, Q, …). */
  rounds: number;
  /** Load-generator processes (each holds its share of both audiences). */
  clientProcesses: number;
  drainTimeoutSeconds: number;
}

export const CHAT_FANOUT_DEFAULTS: ChatFanoutOptions = {
  viewers: 2000,
  senders: 400,
  rate: 2000,
  probes: 100,
  warmupSeconds: 3,
  durationSeconds: 10,
  rounds: 2,
  clientProcesses: 2,
  drainTimeoutSeconds: 300,
};

export const CHAT_FANOUT_TARGET_P99_MS = 500;

/**
 * The per-viewer limits a busy room's regulars need: 5 messages/s from one viewer is 300 a minute.
 * 600 a minute is the configuration's maximum; a burst of 20 lets the load generator's ticker catch
 * up after a pause. The socket's own limit (10 frames/s, burst 20) stays at its default.
 */
export const CHAT_ENV = {
  QINGLIU_CHAT_MESSAGES_PER_MINUTE: '600',
  QINGLIU_CHAT_BURST: '20',
  QINGLIU_WS_MESSAGES_PER_SECOND: '10',
} as const;

export interface LatencyStats {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface ChatRoundStats {
  server: string;
  round: number;
  /** chat_send frames written during the measured window, per second. */
  sendRate: number;
  sent: number;
  acked: number;
  /** Distinct messages the server broadcast (acknowledged, or seen by a probe). */
  broadcast: number;
  errors: Record<string, number>;
  /** Of the errors, those naming a message sent in the measured window (the rest fell in the warm-up). */
  errorsMeasured: Record<string, number>;
  /** Seconds from the round's start (warm-up included) to its first and last refused send; null if none. */
  refusedFromSeconds: number | null;
  refusedToSeconds: number | null;
  unanswered: number;
  /** Viewers connected when the round started. */
  viewers: number;
  /** broadcast × viewers. */
  expectedDeliveries: number;
  delivered: number;
  dropped: number;
  /** Deliveries beyond the expected count (duplicates), and duplicates the probes saw by id. */
  extra: number;
  duplicatesSeenByProbes: number;
  viewersMissingSome: number;
  closedByServer: number;
  latencyMs: LatencyStats;
  /** Probe latency for messages whose sender ran in the probe's own process (no cross-process clock). */
  latencySameProcessMs: LatencyStats;
  /** sender's clock → the server's `at` (Date.now(), 1 ms), and `at` → arrival: where the time goes. */
  toServerP50Ms: number;
  fromServerP50Ms: number;
  ackMs: LatencyStats;
  sendLagP99Ms: number;
  messagesPerFrame: number;
  bytesPerFrame: number;
  drainSeconds: number;
  serverCpuPercent: number | undefined;
  clientCpuPercent: number | undefined;
  /** Interrupt and softirq time on the machine (loopback TCP is mostly ours), % of one core. */
  kernelNetPercent: number | undefined;
  otherCpuPercent: number | undefined;
  quietWaitSeconds: number;
  /** Viewers the server had closed in an earlier round, connected again before this one. */
  reconnectedBefore: number;
}

export interface ChatServerStats {
  server: string;
  rounds: ChatRoundStats[];
  latencyMs: LatencyStats;
  ackMs: LatencyStats;
  sendRate: number;
  expectedDeliveries: number;
  dropped: number;
  closedByServer: number;
  errors: Record<string, number>;
  /** Sends refused (any error naming the message) that were written in a measured window. */
  refusedMeasured: number;
  connectSeconds: number;
  /** Peak resident memory of the server process over the whole run (VmHWM). */
  serverPeakRssMiB: number | undefined;
}

export interface ChatFanoutResult {
  options: ChatFanoutOptions;
  viewersRequested: number;
  viewersNote: string | undefined;
  env: typeof CHAT_ENV;
  quietWaitSeconds: number;
  qingliu: ChatServerStats;
  baseline: ChatServerStats;
  ratio: { p50: number; p99: number };
  /** Met: p99 under the bound, nothing dropped, and no send of a measured window refused (the room carried the whole load). */
  target: { p99BelowMs: number; dropped: 0; met: boolean };
}

// ---- histograms (0.1 ms bins from the clients) ----

function merge(hs: Histogram[]): Histogram {
  const bins = new Map<number, number>();
  let count = 0;
  let sumMs = 0;
  let maxMs = 0;
  const binMs = hs[0]?.binMs ?? 0.1;
  for (const h of hs) {
    if (h.binMs !== binMs) throw new Error('histograms with different bins');
    for (const [b, c] of h.bins) bins.set(b, (bins.get(b) ?? 0) + c);
    count += h.count;
    sumMs += h.sumMs;
    maxMs = Math.max(maxMs, h.maxMs);
  }
  return { binMs, bins: [...bins.entries()].sort((a, b) => a[0] - b[0]), count, sumMs, maxMs };
}

/** Nearest-rank percentile; the value is the upper edge of its bin (so at most one bin high). */
function histPercentile(h: Histogram, p: number): number {
  if (h.count === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * h.count));
  let seen = 0;
  for (const [bin, c] of h.bins) {
    seen += c;
    if (seen >= rank) return Math.min((bin + 1) * h.binMs, h.maxMs);
  }
  return h.maxMs;
}

function summarise(h: Histogram): LatencyStats {
  return {
    samples: h.count,
    p50: histPercentile(h, 50),
    p90: histPercentile(h, 90),
    p99: histPercentile(h, 99),
    max: h.count ? h.maxMs : Number.NaN,
    mean: h.count ? h.sumMs / h.count : Number.NaN,
  };
}

// ---- the load-generator processes ----

interface ClientProcess {
  child: ChildServer<{ viewers: number }>;
  base: string;
}

/**
 * The control channel to a load generator. Not lib's httpRequest: a load generator swamped by
 * frames (an overloaded run) may take longer than its 30 s to answer, and a control request must
 * never be retried (a repeated run would send twice as much).
 */
const controlAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function control(method: 'GET' | 'POST', url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request(url, { method, headers, agent: controlAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(600_000, () => req.destroy(new Error(`${method} ${url}: no answer within 10 minutes`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function job<T>(client: ClientProcess, body: object): Promise<T> {
  const posted = await control('POST', `${client.base}/jobs`, JSON.stringify(body));
  if (posted.status !== 202) throw new Error(`${client.child.name}: ${posted.status} ${posted.body.slice(0, 300)}`);
  const { id } = JSON.parse(posted.body) as { id: number };
  for (;;) {
    await sleep(100);
    const polled = await control('GET', `${client.base}/jobs/${id}`);
    const state = JSON.parse(polled.body) as { done: boolean; result?: T; error?: string };
    if (!state.done) continue;
    if (state.error) throw new Error(`${client.child.name}: ${state.error}`);
    return state.result as T;
  }
}

/** Peak resident set of a process (Linux VmHWM), MiB. */
function peakRssMiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

const wallNow = () => performance.timeOrigin + performance.now();

async function login(base: string, admin: { name: string; password: string }): Promise<string> {
  const res = await httpRequest('POST', `${base}/api/v1/auth/login`, { body: JSON.stringify(admin) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body.slice(0, 300)}`);
  const raw = res.headers['set-cookie'];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (!first) throw new Error('login returned no cookie');
  return first.split(';')[0]!;
}

/**
 * Sockets under the open-files limit: each server holds one per viewer, each load-generator
 * process one per viewer of its share per server (two audiences).
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

// ---- the run ----

interface Side {
  server: string;
  target: string;
  child: ChildServer<unknown>;
  connectSeconds: number;
  rounds: ChatRoundStats[];
  ack: Histogram[];
  latency: Histogram[];
}

/** irq + softirq seconds on the whole machine (Linux /proc/stat), or undefined. */
function interruptSeconds(): number | undefined {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (fields[5]! + fields[6]!) / 100;
  } catch {
    return undefined;
  }
}

async function round(side: Side, index: number, clients: ClientProcess[], others: ChildServer<unknown>[], options: ChatFanoutOptions): Promise<ChatRoundStats> {
  // The previous round's last frames (an overloaded round drains slowly); viewers the server dropped
  // as slow consumers join again, as real ones would; then a quiet machine.
  await Promise.all(clients.map((c) => job<{ waitedMs: number }>(c, { kind: 'settle', timeoutMs: 300_000 })));
  const rejoined = await Promise.all(clients.map((c) => job<{ closed: number; reconnected: number }>(c, { kind: 'connect', target: side.target })));
  const reconnected = rejoined.reduce((n, r) => n + r.reconnected, 0);
  if (reconnected) log(`${side.server}: ${reconnected} viewers the server had closed joined again`);
  const quiet = await waitForQuiet(side.child.pid, 120_000);
  const warmupMs = options.warmupSeconds * 1000;
  const measureMs = options.durationSeconds * 1000;
  const startAt = wallNow() + 500;
  log(`${side.server}, round ${index}: ${options.rate} messages/s from ${options.senders} senders to ${options.viewers} viewers, ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s …`);
  const runs = Promise.all(clients.map((c) => job<RunResult>(c, { kind: 'run', target: side.target, startAt, warmupMs, measureMs, rate: options.rate })));

  // CPU over the measured window: this server, the load generators, and everything else.
  await sleep(Math.max(0, startAt + warmupMs - wallNow()));
  const cpu0 = {
    server: side.child.cpuSeconds(),
    clients: clients.map((c) => c.child.cpuSeconds()),
    others: others.map((o) => o.cpuSeconds()),
    self: process.cpuUsage(),
    busy: machineBusySeconds(),
    interrupts: interruptSeconds(),
  };
  const w0 = wallNow();
  await sleep(Math.max(0, startAt + warmupMs + measureMs - wallNow()));
  const seconds = (wallNow() - w0) / 1000;
  const server = delta(cpu0.server, side.child.cpuSeconds());
  const clientCpu = sum(clients.map((c, i) => delta(cpu0.clients[i], c.child.cpuSeconds())));
  const otherServers = sum(others.map((o, i) => delta(cpu0.others[i], o.cpuSeconds())));
  const selfCpu = process.cpuUsage(cpu0.self);
  const busy = delta(cpu0.busy, machineBusySeconds());
  const interrupts = delta(cpu0.interrupts, interruptSeconds());
  const pct = (x: number | undefined) => (x === undefined ? undefined : (x / seconds) * 100);
  const other =
    busy === undefined || server === undefined || clientCpu === undefined || otherServers === undefined
      ? undefined
      : Math.max(0, busy - server - clientCpu - otherServers - (interrupts ?? 0) - (selfCpu.user + selfCpu.system) / 1e6);

  const sent = await runs;
  const acked = sent.reduce((n, r) => n + r.acked, 0);
  const exact = sent.every((r) => r.unanswered === 0);
  const drained = await Promise.all(
    clients.map((c) => job<DrainResult>(c, { kind: 'drain', target: side.target, expected: acked, exact, timeoutMs: options.drainTimeoutSeconds * 1000 })),
  );

  const errors = mergeCounts(sent.map((r) => r.errors));
  const errorsMeasured = mergeCounts(sent.map((r) => r.errorsMeasured));
  const refusedFrom = sent.flatMap((r) => (r.refusedFrom === null ? [] : [r.refusedFrom]));
  const refusedTo = sent.flatMap((r) => (r.refusedTo === null ? [] : [r.refusedTo]));
  const viewers = drained.reduce((n, d) => n + d.viewers, 0);
  // Every viewer should have every message the server broadcast: the union of the acknowledged ids
  // and the ids any probe saw.
  const ids = new Set<string>();
  for (const d of drained) for (const id of d.ids) ids.add(id);
  // When senders' sockets were dropped before their acks and no probe saw a message, the ids
  // undercount what was broadcast; a viewer that counted more proves more.
  const broadcast = { size: Math.max(ids.size, ...drained.flatMap((d) => d.counts)) };
  let dropped = 0;
  let extra = 0;
  let viewersMissingSome = 0;
  let delivered = 0;
  for (const d of drained) {
    for (const c of d.counts) {
      delivered += c;
      if (c < broadcast.size) {
        dropped += broadcast.size - c;
        viewersMissingSome++;
      } else extra += c - broadcast.size;
    }
  }
  const latency = merge(drained.map((d) => d.latency));
  const ack = merge(sent.map((r) => r.ack));
  side.latency.push(latency);
  side.ack.push(ack);
  const probeFrames = drained.reduce((n, d) => n + d.probeFrames, 0);
  const stats: ChatRoundStats = {
    server: side.server,
    round: index,
    sendRate: sent.reduce((n, r) => n + r.sentMeasured, 0) / options.durationSeconds,
    sent: sent.reduce((n, r) => n + r.sent, 0),
    acked,
    broadcast: broadcast.size,
    errors,
    errorsMeasured,
    refusedFromSeconds: refusedFrom.length ? Math.min(...refusedFrom) : null,
    refusedToSeconds: refusedTo.length ? Math.max(...refusedTo) : null,
    unanswered: sent.reduce((n, r) => n + r.unanswered, 0),
    viewers,
    expectedDeliveries: broadcast.size * viewers,
    delivered,
    dropped,
    extra,
    duplicatesSeenByProbes: drained.reduce((n, d) => n + d.duplicates, 0),
    viewersMissingSome,
    closedByServer: drained.reduce((n, d) => n + d.closedDuringRun, 0),
    latencyMs: summarise(latency),
    latencySameProcessMs: summarise(merge(drained.map((d) => d.latencySameProcess))),
    toServerP50Ms: histPercentile(merge(drained.map((d) => d.toServer)), 50),
    fromServerP50Ms: histPercentile(merge(drained.map((d) => d.fromServer)), 50),
    ackMs: summarise(ack),
    sendLagP99Ms: histPercentile(merge(sent.map((r) => r.sendLag)), 99),
    messagesPerFrame: probeFrames ? drained.reduce((n, d) => n + d.probeMessages, 0) / probeFrames : Number.NaN,
    bytesPerFrame: probeFrames ? drained.reduce((n, d) => n + d.probeBytes, 0) / probeFrames : Number.NaN,
    drainSeconds: Math.max(...drained.map((d) => d.drainMs)) / 1000,
    serverCpuPercent: pct(server),
    clientCpuPercent: pct(clientCpu),
    kernelNetPercent: pct(interrupts),
    otherCpuPercent: pct(other),
    quietWaitSeconds: quiet.waitedMs / 1000,
    reconnectedBefore: reconnected,
  };
  log(
    `${side.server}, round ${index}: sent ${fmtInt(stats.sendRate)}/s, p50 ${fmtMs(stats.latencyMs.p50)}, p99 ${fmtMs(stats.latencyMs.p99)}, dropped ${fmtInt(stats.dropped)} of ${fmtInt(stats.expectedDeliveries)}, server CPU ${Math.round(stats.serverCpuPercent ?? Number.NaN)} %, clients ${Math.round(stats.clientCpuPercent ?? Number.NaN)} %`,
  );
  return stats;
}

const delta = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : b - a);
const sum = (xs: Array<number | undefined>) => (xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((n, x) => n + x!, 0));

/** Counts by error code, added up. */
function mergeCounts(all: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [code, n] of Object.entries(counts)) out[code] = (out[code] ?? 0) + n;
  return out;
}

const totalCount = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function serverStats(side: Side): ChatServerStats {
  const errors = mergeCounts(side.rounds.map((r) => r.errors));
  return {
    server: side.server,
    rounds: side.rounds,
    latencyMs: summarise(merge(side.latency)),
    ackMs: summarise(merge(side.ack)),
    sendRate: side.rounds.reduce((n, r) => n + r.sendRate, 0) / side.rounds.length,
    expectedDeliveries: side.rounds.reduce((n, r) => n + r.expectedDeliveries, 0),
    dropped: side.rounds.reduce((n, r) => n + r.dropped, 0),
    closedByServer: side.rounds.reduce((n, r) => n + r.closedByServer, 0),
    errors,
    refusedMeasured: totalCount(mergeCounts(side.rounds.map((r) => r.errorsMeasured))),
    connectSeconds: side.connectSeconds,
    serverPeakRssMiB: peakRssMiB(side.child.pid),
  };
}

export async function runChatFanout(partial: Partial<ChatFanoutOptions> = {}): Promise<ChatFanoutResult> {
  const requested = { ...CHAT_FANOUT_DEFAULTS, ...partial };
  const { viewers, note } = viewersWithinLimit(requested.viewers, requested.clientProcesses);
  if (note) log(note);
  const options: ChatFanoutOptions = {
    ...requested,
    viewers,
    senders: Math.min(requested.senders, viewers),
    probes: Math.min(requested.probes, viewers),
  };
  const children: ChildServer<unknown>[] = [];
  const clients: ClientProcess[] = [];
  try {
    const qChild = await startChild<{ admin: { name: string; password: string } }>('server-child.ts', [JSON.stringify(CHAT_ENV)], 'qingliu server');
    children.push(qChild);
    const qBase = `http://127.0.0.1:${qChild.info.port}`;
    const cookie = await login(qBase, qChild.info.admin);
    const started = await httpRequest('POST', `${qBase}/api/v1/sessions/demo/start`, { headers: { cookie } });
    if (started.status !== 200 && !started.body.includes('SESSION_ALREADY_LIVE')) throw new Error(`could not start the demo session: ${started.status} ${started.body.slice(0, 300)}`);
    const bChild = await startChild<object>('bare-ws-child.ts', ['[]', 'chat'], 'bare ws server');
    children.push(bChild);

    const targets = { qingliu: `ws://127.0.0.1:${qChild.info.port}/api/v1/sessions/demo/live`, bare: `ws://127.0.0.1:${bChild.info.port}/live` };
    for (let p = 0; p < options.clientProcesses; p++) {
      const config: ClientConfig = { processIndex: p, processes: options.clientProcesses, viewers: options.viewers, senders: options.senders, probes: options.probes, targets };
      const child = await startChild<{ viewers: number }>('chat-fanout-client.ts', [JSON.stringify(config)], `chat client ${p}`);
      children.push(child);
      clients.push({ child, base: `http://127.0.0.1:${child.info.port}` });
    }

    const sides: Side[] = [
      { server: 'Qingliu', target: 'qingliu', child: qChild, connectSeconds: 0, rounds: [], ack: [], latency: [] },
      { server: 'bare ws', target: 'bare', child: bChild, connectSeconds: 0, rounds: [], ack: [], latency: [] },
    ];
    for (const side of sides) {
      log(`${side.server}: opening ${options.viewers} WebSockets in ${clients.length} load-generator processes …`);
      const t0 = wallNow();
      const connected = await Promise.all(clients.map((c) => job<ConnectResult>(c, { kind: 'connect', target: side.target })));
      side.connectSeconds = (wallNow() - t0) / 1000;
      log(`${side.server}: ${connected.reduce((n, c) => n + c.viewers, 0)} viewers have their chat history (${side.connectSeconds.toFixed(1)} s)`);
    }
    // Joining marks Qingliu's viewer counter dirty; let the last counters push go out first.
    await sleep(1500);

    // Q, B, B, Q, Q, B …: each server as often first as second.
    const order: Side[] = [];
    for (let r = 0; r < options.rounds; r++) order.push(...(r % 2 === 0 ? [sides[0]!, sides[1]!] : [sides[1]!, sides[0]!]));
    for (const side of order) {
      const others = children.filter((c) => c !== side.child && !clients.some((cl) => cl.child === c));
      side.rounds.push(await round(side, side.rounds.length + 1, clients, others, options));
      await sleep(1000);
    }

    const q = serverStats(sides[0]!);
    const b = serverStats(sides[1]!);
    return {
      options,
      viewersRequested: requested.viewers,
      viewersNote: note,
      env: CHAT_ENV,
      quietWaitSeconds: [...q.rounds, ...b.rounds].reduce((n, x) => n + x.quietWaitSeconds, 0),
      qingliu: q,
      baseline: b,
      ratio: { p50: q.latencyMs.p50 / b.latencyMs.p50, p99: q.latencyMs.p99 / b.latencyMs.p99 },
      target: { p99BelowMs: CHAT_FANOUT_TARGET_P99_MS, dropped: 0, met: q.latencyMs.p99 < CHAT_FANOUT_TARGET_P99_MS && q.dropped === 0 && q.refusedMeasured === 0 },
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

// ---- report ----

const fmtPct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${Math.round(x)} %`);
const fmtErrors = (e: Record<string, number>) => {
  const entries = Object.entries(e);
  return entries.length ? entries.map(([k, n]) => `${k} ${fmtInt(n)}`).join(', ') : '0';
};

export function chatFanoutReport(r: ChatFanoutResult): string {
  const o = r.options;
  const rounds = [...r.qingliu.rounds, ...r.baseline.rounds];
  const lines = [
    `Chat fan-out — ${fmtInt(o.rate)} messages/s (${o.senders} senders × ${o.rate / o.senders}/s) to ${fmtInt(o.viewers)} viewers of one room, ` +
      `${o.warmupSeconds} s warm-up + ${o.durationSeconds} s measured per round, ${o.rounds} round(s) per server (Q, B, B, Q), ` +
      `${o.clientProcesses} load-generator processes; latency on ${o.probes} probe viewers, drops counted on every viewer`,
    `Qingliu's settings: ${Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '',
    table(
      ['server', 'round', 'sent/s', 'p50', 'p90', 'p99', 'max', 'dropped / expected', 'closed', 'errors', 'msgs/frame', 'frame every', 'bytes/frame', 'ack p50', 'server CPU', 'clients CPU', 'irq+softirq', 'other CPU'],
      rounds.map((s) => [
        s.server,
        s.round,
        fmtInt(s.sendRate),
        fmtMs(s.latencyMs.p50),
        fmtMs(s.latencyMs.p90),
        fmtMs(s.latencyMs.p99),
        fmtMs(s.latencyMs.max),
        `${fmtInt(s.dropped)} / ${fmtInt(s.expectedDeliveries)}`,
        s.closedByServer,
        fmtErrors(s.errors),
        s.messagesPerFrame.toFixed(1),
        fmtMs((s.messagesPerFrame / s.sendRate) * 1000),
        fmtInt(s.bytesPerFrame),
        fmtMs(s.ackMs.p50),
        fmtPct(s.serverCpuPercent),
        fmtPct(s.clientCpuPercent),
        fmtPct(s.kernelNetPercent),
        fmtOther(s.otherCpuPercent),
      ]),
    ),
    '',
    table(
      ['server', 'latency p50', 'p90', 'p99', 'max', 'samples', 'dropped', 'sockets closed', 'ack p50 / p99', 'peak RSS', 'connect'],
      [r.qingliu, r.baseline].map((s) => [
        s.server,
        fmtMs(s.latencyMs.p50),
        fmtMs(s.latencyMs.p90),
        fmtMs(s.latencyMs.p99),
        fmtMs(s.latencyMs.max),
        fmtInt(s.latencyMs.samples),
        `${fmtInt(s.dropped)} / ${fmtInt(s.expectedDeliveries)}`,
        s.closedByServer,
        `${fmtMs(s.ackMs.p50)} / ${fmtMs(s.ackMs.p99)}`,
        s.serverPeakRssMiB === undefined ? '—' : `${fmtInt(s.serverPeakRssMiB)} MiB`,
        `${s.connectSeconds.toFixed(1)} s`,
      ]),
    ),
    '',
    `Qingliu / ${r.baseline.server}: p50 ${fmtRatio(r.ratio.p50)}, p99 ${fmtRatio(r.ratio.p99)}`,
    `Target: p99 < ${r.target.p99BelowMs} ms with no message dropped, and no send of a measured window refused → ${r.target.met ? 'PASS' : 'MISS'} (p99 ${fmtMs(r.qingliu.latencyMs.p99)}, dropped ${fmtInt(r.qingliu.dropped)}, refused in measured windows ${fmtInt(r.qingliu.refusedMeasured)})`,
  ];
  lines.push(
    "'frame every' = messages per frame ÷ messages per second: how often a viewer got a chat frame. The server batches every 50 ms; longer means its event loop fell behind, or the messages reached it in bursts (a late load generator).",
  );
  const q1 = r.qingliu.rounds[0];
  if (q1) {
    lines.push(
      `Where Qingliu's time goes (round 1, p50, 1 ms resolution): sender → server's timestamp ${fmtMs(q1.toServerP50Ms)}, server's timestamp → viewer ${fmtMs(q1.fromServerP50Ms)} (includes the 50 ms batch).`,
    );
  }
  for (const s of rounds) {
    if (s.reconnectedBefore) lines.push(`Note: ${s.server} round ${s.round}: ${s.reconnectedBefore} viewers the server had closed in an earlier round joined again before it.`);
    if (s.extra || s.duplicatesSeenByProbes || s.unanswered) lines.push(`Note: ${s.server} round ${s.round}: ${s.extra} extra deliveries, ${s.duplicatesSeenByProbes} duplicates seen by probes, ${s.unanswered} sends never answered.`);
    if (s.refusedFromSeconds !== null) {
      lines.push(
        `Note: ${s.server} round ${s.round}: refused sends (${fmtErrors(s.errors)}) were written ${s.refusedFromSeconds.toFixed(1)}–${s.refusedToSeconds!.toFixed(1)} s into the round (${o.warmupSeconds} s warm-up, then ${o.durationSeconds} s measured); ${fmtInt(totalCount(s.errorsMeasured))} of them in the measured window.`,
      );
    }
    if (s.sendLagP99Ms > 50) lines.push(`Note: ${s.server} round ${s.round}: the load generator wrote messages up to ${fmtMs(s.sendLagP99Ms)} late (p99): it was short of CPU.`);
  }
  if (rounds.some((s) => (s.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT)) {
    lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core during a measurement: treat it as noisy.`);
  }
  if (r.viewersNote) lines.push(`Note: ${r.viewersNote}`);
  return lines.join('\n');
}
