/**
 * Showcase broadcast latency: how long after a host pins or unpins a product do 1,000 viewers see it?
 *
 * The real server runs in a child process (bench/server-child.ts); this process is the host (one
 * keep-alive HTTP connection) and the audience (N real `ws` clients). Each round takes
 * t0 = performance.now() just before PUT/DELETE /api/v1/sessions/demo/pins/:productId and records,
 * for every viewer, when its `pinned`/`unpinned` message (matched on type + productId + seq)
 * arrives. Latency = arrival − t0, pooled over all (viewer, round) samples.
 *
 * The baseline replays the same rounds against a bare `ws` server (bench/bare-ws-child.ts) that
 * broadcasts a message of the same shape and size on each HTTP request: the floor for
 * "HTTP request → fan-out to N sockets" on this machine with this client. Both servers are up
 * together, each with its own N viewers, and take turns round by round (never both at once), so
 * that load from other processes on a shared machine falls on both alike.
 */
import { performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';
import {
  cpuWindow,
  fmtInt,
  fmtOther,
  fmtMs,
  fmtRatio,
  httpRequest,
  log,
  openFilesLimit,
  percentile,
  sleep,
  startChild,
  table,
  waitForQuiet,
  NOISY_OTHER_CPU_PERCENT,
  type ChildServer,
} from './lib.js';

export interface ShowcaseOptions {
  viewers: number;
  rounds: number;
  /** Rounds run first and left out of the figures (JIT, connection pools, first allocations). */
  warmupRounds: number;
  /** Sockets opened at once while the audience connects. */
  connectBatch: number;
  /** How long a round waits for the last viewer before counting the rest as missing. */
  roundTimeoutMs: number;
  /** Pause between rounds, so one round's fan-out never overlaps the next. */
  pauseMs: number;
}

export const SHOWCASE_DEFAULTS: ShowcaseOptions = {
  viewers: 1000,
  rounds: 30,
  warmupRounds: 3,
  connectBatch: 100,
  roundTimeoutMs: 5000,
  pauseMs: 100,
};

/** p99 of the viewer-perceived latency must stay under this. */
export const SHOWCASE_TARGET_P99_MS = 200;

export interface LatencySummary {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface FanoutStats {
  server: string;
  viewers: number;
  rounds: number;
  /** Arrival − t0 over every (viewer, round). */
  latencyMs: LatencySummary;
  /** The host's PUT/DELETE itself, t0 → last byte of the reply. */
  httpMs: LatencySummary;
  /** (viewer, round) pairs whose message never arrived within the round timeout. */
  missing: number;
  /** pinned/unpinned messages that matched no round (wrong seq, late, duplicate). */
  unexpected: number;
  /** Sockets the server closed during the measured rounds. */
  closedByServer: number;
  /** Bytes of one broadcast message (mean over rounds). */
  messageBytes: number;
  /** Time to open all sockets and receive every snapshot. */
  connectSeconds: number;
  /** CPU the server process used per measured round (user + system), if known. */
  serverCpuMsPerRound: number | undefined;
  /** CPU this process (the audience) used per measured round. */
  clientCpuMsPerRound: number;
  /** CPU everything else on the machine used during the measured rounds, as % of one core (noise). */
  otherCpuPercent: number | undefined;
  /** How long the run waited for other processes to quieten down before measuring. */
  quietWaitSeconds: number;
}

export interface ShowcaseResult {
  options: ShowcaseOptions;
  viewersRequested: number;
  viewersNote: string | undefined;
  qingliu: FanoutStats;
  baseline: FanoutStats;
  ratio: { p50: number; p99: number };
  target: { p99BelowMs: number; met: boolean };
}

// ---- the audience ----

interface Expectation {
  type: 'pinned' | 'unpinned';
  productId: string;
  seq: number;
}

interface Snapshot {
  seq: number;
  pins: string[];
  productIds: string[];
}

interface ChangeMessage {
  type: string;
  seq?: number;
  productId?: string;
  state?: { seq: number; pins: string[]; products: { id: string }[] };
}

/** N WebSocket viewers of one room, recording when each receives the expected change. */
class Audience {
  readonly sockets: WebSocket[] = [];
  arrivals: Float64Array;
  expected: Expectation | null = null;
  received = 0;
  unexpected = 0;
  closedByServer = 0;
  messageBytes = 0;
  #closing = false;
  #live = 0;
  #onComplete: (() => void) | null = null;

  constructor(readonly size: number) {
    this.arrivals = new Float64Array(size).fill(Number.NaN);
  }

  /** Opens the sockets `batch` at a time, each resolved by its snapshot; returns the snapshots' view. */
  async connect(url: string, batch: number): Promise<Snapshot> {
    let snapshot: Snapshot | undefined;
    for (let start = 0; start < this.size; start += batch) {
      const opened = [];
      for (let i = start; i < Math.min(this.size, start + batch); i++) opened.push(this.#open(url, i));
      for (const s of await Promise.all(opened)) {
        if (!snapshot || s.seq > snapshot.seq) snapshot = s;
      }
    }
    return snapshot!;
  }

  #open(url: string, index: number): Promise<Snapshot> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      this.sockets[index] = socket;
      let ready = false;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`viewer ${index}: no snapshot within 30 s`));
      }, 30_000);
      socket.on('message', (data: RawData) => {
        const text = String(data);
        const message = JSON.parse(text) as ChangeMessage;
        if (message.type === 'snapshot' && message.state) {
          ready = true;
          this.#live++;
          clearTimeout(timer);
          resolve({ seq: message.state.seq, pins: message.state.pins, productIds: message.state.products.map((p) => p.id) });
          return;
        }
        if (message.type === 'pinned' || message.type === 'unpinned') this.#onChange(index, message, Buffer.byteLength(text));
      });
      socket.on('error', (err) => {
        if (ready) return;
        clearTimeout(timer);
        reject(new Error(`viewer ${index}: ${err.message}`));
      });
      socket.on('close', () => {
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`viewer ${index}: closed before its snapshot`));
        } else {
          this.#live--;
          if (!this.#closing) this.closedByServer++;
          if (this.received >= this.#live && this.#onComplete) this.#onComplete();
        }
      });
    });
  }

  #onChange(index: number, message: ChangeMessage, bytes: number): void {
    const now = performance.now();
    const e = this.expected;
    if (!e || message.type !== e.type || message.productId !== e.productId || message.seq !== e.seq || !Number.isNaN(this.arrivals[index]!)) {
      this.unexpected++;
      return;
    }
    this.arrivals[index] = now;
    if (this.received++ === 0) this.messageBytes = bytes;
    if (this.received >= this.#live && this.#onComplete) this.#onComplete();
  }

  /** Viewers that have their snapshot and are still connected. */
  openCount(): number {
    return this.#live;
  }

  /** Arms the audience for one change; resolves when every open viewer has it, or at the timeout. */
  expect(expectation: Expectation, timeoutMs: number): Promise<void> {
    this.expected = expectation;
    this.arrivals.fill(Number.NaN);
    this.received = 0;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onComplete = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#onComplete = done;
    });
  }

  close(): void {
    this.#closing = true;
    for (const s of this.sockets) s?.terminate();
  }
}

// ---- the two servers, measured round by round in turn ----

interface FanoutTarget {
  server: string;
  wsUrl: string;
  changeUrl: (productId: string) => string;
  headers: Record<string, string>;
}

interface Op {
  method: 'PUT' | 'DELETE';
  type: 'pinned' | 'unpinned';
  productId: string;
}

/**
 * Alternates pins and unpins: pin while fewer than two of ours are pinned, else unpin the oldest.
 * Starting from whatever the room shows, never more than three products are pinned.
 */
export function planOps(count: number, productIds: string[], initialPins: string[]): Op[] {
  const pinned = [...initialPins];
  const ops: Op[] = [];
  let next = 0;
  while (ops.length < count) {
    if (pinned.length < 2) {
      let productId = productIds[next++ % productIds.length]!;
      while (pinned.includes(productId)) productId = productIds[next++ % productIds.length]!;
      pinned.push(productId);
      ops.push({ method: 'PUT', type: 'pinned', productId });
    } else {
      ops.push({ method: 'DELETE', type: 'unpinned', productId: pinned.shift()! });
    }
  }
  return ops;
}

export function summarise(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    samples: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** One server with its audience and what its measured rounds recorded. */
class Side {
  readonly audience: Audience;
  snapshot: Snapshot = { seq: 0, pins: [], productIds: [] };
  ops: Op[] = [];
  connectSeconds = 0;
  readonly latencies: number[] = [];
  readonly httpTimes: number[] = [];
  missing = 0;
  bytes = 0;
  clientCpuMicros = 0;
  closedBefore = 0;
  unexpectedBefore = 0;
  serverCpuBefore: number | undefined;

  constructor(
    readonly target: FanoutTarget,
    readonly child: ChildServer<unknown>,
    viewers: number,
  ) {
    this.audience = new Audience(viewers);
  }

  async connect(batch: number): Promise<void> {
    log(`${this.target.server}: opening ${this.audience.size} WebSockets, ${batch} at a time …`);
    const started = performance.now();
    this.snapshot = await this.audience.connect(this.target.wsUrl, batch);
    this.connectSeconds = (performance.now() - started) / 1000;
    log(`${this.target.server}: ${this.audience.openCount()} viewers have their snapshot (${this.connectSeconds.toFixed(1)} s)`);
  }

  startMeasuring(): void {
    this.closedBefore = this.audience.closedByServer;
    this.unexpectedBefore = this.audience.unexpected;
    this.serverCpuBefore = this.child.cpuSeconds();
  }

  /** One pin or unpin, timed from just before the request to each viewer's copy of the change. */
  async round(round: number, measured: boolean, options: ShowcaseOptions): Promise<void> {
    const op = this.ops[round]!;
    const audience = this.audience;
    const arrived = audience.expect({ type: op.type, productId: op.productId, seq: this.snapshot.seq + round + 1 }, options.roundTimeoutMs);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const reply = await httpRequest(op.method, this.target.changeUrl(op.productId), { headers: this.target.headers });
    if (reply.status !== 200) throw new Error(`${this.target.server}: ${op.method} pin ${op.productId} → ${reply.status} ${reply.body.slice(0, 300)}`);
    await arrived;
    const cpu = process.cpuUsage(cpu0);
    audience.expected = null;
    if (!measured) return;
    this.clientCpuMicros += cpu.user + cpu.system;
    this.httpTimes.push(reply.ms);
    for (let i = 0; i < audience.size; i++) {
      const at = audience.arrivals[i]!;
      if (Number.isNaN(at)) this.missing++;
      else this.latencies.push(at - t0);
    }
    this.bytes += audience.messageBytes;
  }

  stats(options: ShowcaseOptions, otherCpuPercent: number | undefined, quietWaitSeconds: number): FanoutStats {
    const serverCpuAfter = this.child.cpuSeconds();
    const stats: FanoutStats = {
      server: this.target.server,
      viewers: options.viewers,
      rounds: options.rounds,
      latencyMs: summarise(this.latencies),
      httpMs: summarise(this.httpTimes),
      missing: this.missing,
      unexpected: this.audience.unexpected - this.unexpectedBefore,
      closedByServer: this.audience.closedByServer - this.closedBefore,
      messageBytes: Math.round(this.bytes / options.rounds),
      connectSeconds: this.connectSeconds,
      // Each server is idle outside its own rounds, so its CPU over the measured phase is its rounds' cost.
      serverCpuMsPerRound:
        this.serverCpuBefore !== undefined && serverCpuAfter !== undefined ? ((serverCpuAfter - this.serverCpuBefore) * 1000) / options.rounds : undefined,
      clientCpuMsPerRound: this.clientCpuMicros / 1000 / options.rounds,
      otherCpuPercent,
      quietWaitSeconds,
    };
    log(`${stats.server}: p50 ${fmtMs(stats.latencyMs.p50)}, p99 ${fmtMs(stats.latencyMs.p99)}, missing ${stats.missing}`);
    return stats;
  }
}

export async function login(base: string, admin: { name: string; password: string }): Promise<string> {
  const res = await httpRequest('POST', `${base}/api/v1/auth/login`, { body: JSON.stringify(admin) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body.slice(0, 300)}`);
  const raw = res.headers['set-cookie'];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (!first) throw new Error('login returned no cookie');
  return first.split(';')[0]!;
}

/**
 * How many viewers the open-files limit allows. This process holds two audiences (one per server)
 * and each server one descriptor per viewer, all under the same soft limit.
 */
export function viewersWithinLimit(requested: number): { viewers: number; note: string | undefined } {
  const limit = openFilesLimit();
  const headroom = 200;
  if (limit === undefined || limit >= 2 * requested + headroom) return { viewers: requested, note: undefined };
  const viewers = Math.max(1, Math.floor((limit - headroom) / 2));
  return {
    viewers,
    note:
      `The open-files limit (ulimit -n = ${limit}) is too low for 2 × ${requested} client sockets plus headroom; ` +
      `running with ${viewers} viewers. Raise it (e.g. \`ulimit -n ${2 * requested + 1024}\`) and run again for the full figure.`,
  };
}

/**
 * Both servers run at once but take turns: round k goes to Qingliu then the baseline (the other
 * way round on odd k), so bursts of load from other processes on this shared machine fall on both
 * alike. A server is idle, its viewers silent, while the other one is measured.
 */
export async function runShowcase(partial: Partial<ShowcaseOptions> = {}): Promise<ShowcaseResult> {
  const requested = { ...SHOWCASE_DEFAULTS, ...partial };
  const { viewers, note } = viewersWithinLimit(requested.viewers);
  if (note) log(note);
  const options: ShowcaseOptions = { ...requested, viewers };
  const children: ChildServer<unknown>[] = [];
  const sides: Side[] = [];

  try {
    const qChild = await startChild<{ admin: { name: string; password: string } }>('server-child.ts', [], 'qingliu server');
    children.push(qChild);
    const qBase = `http://127.0.0.1:${qChild.info.port}`;
    const cookie = await login(qBase, qChild.info.admin);
    const started = await httpRequest('POST', `${qBase}/api/v1/sessions/demo/start`, { headers: { cookie } });
    if (started.status !== 200 && !started.body.includes('SESSION_ALREADY_LIVE')) {
      throw new Error(`could not start the demo session: ${started.status} ${started.body.slice(0, 300)}`);
    }
    const qingliu = new Side(
      {
        server: 'Qingliu',
        wsUrl: `ws://127.0.0.1:${qChild.info.port}/api/v1/sessions/demo/live`,
        changeUrl: (id) => `${qBase}/api/v1/sessions/demo/pins/${encodeURIComponent(id)}`,
        headers: { cookie },
      },
      qChild,
      options.viewers,
    );
    sides.push(qingliu);
    await qingliu.connect(options.connectBatch);

    // The baseline offers Qingliu's product ids, so its messages have the same shape and size.
    const productIds = qingliu.snapshot.productIds;
    const bChild = await startChild<object>('bare-ws-child.ts', [JSON.stringify(productIds)], 'bare ws server');
    children.push(bChild);
    const bBase = `http://127.0.0.1:${bChild.info.port}`;
    const baseline = new Side(
      {
        server: 'bare ws',
        wsUrl: `ws://127.0.0.1:${bChild.info.port}/live`,
        changeUrl: (id) => `${bBase}/pins/${encodeURIComponent(id)}`,
        headers: {},
      },
      bChild,
      options.viewers,
    );
    sides.push(baseline);
    await baseline.connect(options.connectBatch);

    const totalRounds = options.warmupRounds + options.rounds;
    qingliu.ops = planOps(totalRounds, productIds, qingliu.snapshot.pins);
    baseline.ops = planOps(totalRounds, productIds, baseline.snapshot.pins);

    // Joining marks Qingliu's viewer counter dirty; let the last counters push go out first.
    await sleep(1500);
    const quiet = await waitForQuiet(undefined);
    let window = cpuWindow(qChild.pid);
    for (let round = 0; round < totalRounds; round++) {
      const measured = round >= options.warmupRounds;
      if (round === options.warmupRounds) {
        for (const side of sides) side.startMeasuring();
        window = cpuWindow(qChild.pid);
      }
      for (const side of round % 2 === 0 ? [qingliu, baseline] : [baseline, qingliu]) {
        await side.round(round, measured, options);
        await sleep(options.pauseMs);
      }
    }
    const phase = window();
    // Everything but the two servers and this process, over the measured phase.
    const other =
      phase.otherPercent === undefined || baseline.serverCpuBefore === undefined
        ? undefined
        : Math.max(0, phase.otherPercent - (((bChild.cpuSeconds() ?? 0) - baseline.serverCpuBefore) / phase.seconds) * 100);

    const q = qingliu.stats(options, other, quiet.waitedMs / 1000);
    const b = baseline.stats(options, other, quiet.waitedMs / 1000);
    return {
      options,
      viewersRequested: requested.viewers,
      viewersNote: note,
      qingliu: q,
      baseline: b,
      ratio: { p50: q.latencyMs.p50 / b.latencyMs.p50, p99: q.latencyMs.p99 / b.latencyMs.p99 },
      target: { p99BelowMs: SHOWCASE_TARGET_P99_MS, met: q.latencyMs.p99 < SHOWCASE_TARGET_P99_MS && q.missing === 0 },
    };
  } finally {
    for (const side of sides) side.audience.close();
    await Promise.all(children.map((c) => c.stop()));
  }
}

export function showcaseReport(r: ShowcaseResult): string {
  const row = (s: FanoutStats) => [
    s.server,
    fmtMs(s.latencyMs.p50),
    fmtMs(s.latencyMs.p90),
    fmtMs(s.latencyMs.p99),
    fmtMs(s.latencyMs.max),
    fmtMs(s.httpMs.p50),
    fmtMs(s.httpMs.max),
    `${s.missing} / ${fmtInt(s.viewers * s.rounds)}`,
    String(s.messageBytes),
    s.serverCpuMsPerRound === undefined ? '—' : fmtMs(s.serverCpuMsPerRound),
    fmtMs(s.clientCpuMsPerRound),
    fmtOther(s.otherCpuPercent),
  ];
  const lines = [
    `Showcase broadcast latency — ${r.options.viewers} viewers × ${r.options.rounds} rounds per server (after ${r.options.warmupRounds} warm-up), rounds interleaved, pin/unpin → every viewer`,
    '',
    table(
      ['server', 'p50', 'p90', 'p99', 'max', 'HTTP p50', 'HTTP max', 'missing', 'msg bytes', 'server CPU/round', 'client CPU/round', 'other CPU'],
      [row(r.qingliu), row(r.baseline)],
    ),
    '',
    `Qingliu / bare ws: p50 ${fmtRatio(r.ratio.p50)}, p99 ${fmtRatio(r.ratio.p99)}`,
    `Target: p99 < ${r.target.p99BelowMs} ms with no missing message → ${r.target.met ? 'PASS' : 'MISS'} (p99 ${fmtMs(r.qingliu.latencyMs.p99)}, missing ${r.qingliu.missing})`,
  ];
  const anomalies = [r.qingliu, r.baseline].filter((s) => s.unexpected || s.closedByServer);
  for (const s of anomalies) lines.push(`Note: ${s.server}: ${s.unexpected} unexpected message(s), ${s.closedByServer} socket(s) closed by the server.`);
  if ([r.qingliu, r.baseline].some((s) => (s.otherCpuPercent ?? 0) > NOISY_OTHER_CPU_PERCENT)) {
    lines.push(`* other processes used more than ${NOISY_OTHER_CPU_PERCENT} % of a core during this measurement: treat it as noisy.`);
  }
  if (r.viewersNote) lines.push(`Note: ${r.viewersNote}`);
  return lines.join('\n');
}
