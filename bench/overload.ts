/**
 * Overload: twice the sustainable load for `seconds` (60 by default) against one node on SQLite.
 * No crash, memory bounded, and the share of requests the node sheds (503 OVERLOADED, see
 * src/http/overload.ts) — with every acknowledged event actually stored.
 *
 * - The node is a child process (bench/cluster-node-child.ts: buildApp(loadConfig(env)), LOG_LEVEL=warn,
 *   no simulated audience) on a fresh temporary SQLite data directory and the memory bus; the runner
 *   signs in, starts the demo session, and posts likes to POST /api/v1/sessions/demo/events, each
 *   with a new clientEventId. Everything stays on 127.0.0.1 and stops by itself.
 * - Sustainable rate: a closed loop of `clients` keep-alive connections (each sends its next like
 *   when the previous one is answered) for `warmupSeconds` (not counted) then `calibrateSeconds`; the 202 answers are counted per
 *   second (by answer time, whole seconds only) and the median second is the sustainable events/s.
 * - Overload: an open loop at `factor` × that rate for `seconds`: requests leave on a fixed schedule
 *   (every 5 ms, as many as are due), whatever happened to the earlier ones, over a pool of
 *   `sockets` keep-alive connections. At most `maxInFlight` requests may be outstanding (queued in
 *   the pool included); one that is due while the cap is reached is not sent and counted as such,
 *   so the load generator stays bounded. Latency: from the moment the request is due (queueing in
 *   the pool included) to the last byte of its answer, split at the moment it was written.
 * - Both loops use the lean client of raw-http.ts: with Node's http client the load generator ran out
 *   of CPU before the node did (it measured 1,450 events/s sustainable where the node serves ~7,000+,
 *   and could not send twice that). The pool's connections are all open (64 at a time) before the
 *   load starts, one per request the generator may have outstanding, as viewers' own connections
 *   would be.
 * - Memory: the node's VmRSS (/proc/<pid>/status) each second; bounded when the largest sample in
 *   the second half is at most `rssGrowthLimit` × the largest in the first half.
 * - After the load: the node still answers /healthz, and a like is accepted again (tried every 250 ms
 *   for up to `recoverySeconds`). Then the node is stopped (SIGTERM) and the SQLite file is opened
 *   read-only: every clientEventId answered 202 (calibration, overload, recovery) must be in room_events.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { RawHttpPool } from './raw-http.js';
import { cpuWindow, fmtInt, fmtMs, fmtOther, fmtRatio, httpRequest, log, median, NOISY_OTHER_CPU_PERCENT, percentile, sleep, startChild, table, waitForQuiet, type ChildServer } from './lib.js';

export interface OverloadOptions {
  /** Length of the overload, seconds. */
  seconds: number;
  /** Offered rate as a multiple of the sustainable one. */
  factor: number;
  /** Closed-loop connections for finding the sustainable rate. */
  clients: number;
  calibrateSeconds: number;
  /** Closed-loop seconds before those, not counted (JIT, caches, the first pressure samples). */
  warmupSeconds: number;
  /** Keep-alive connections of the open loop's pool. */
  sockets: number;
  /** Outstanding requests (in the pool's queue or on the wire) the load generator allows itself. */
  maxInFlight: number;
  /** Memory is bounded when max RSS in the second half ≤ this × max RSS in the first half. */
  rssGrowthLimit: number;
  recoverySeconds: number;
}

export const OVERLOAD_DEFAULTS: OverloadOptions = {
  seconds: 60,
  factor: 2,
  clients: 32,
  calibrateSeconds: 10,
  warmupSeconds: 5,
  sockets: 2000,
  maxInFlight: 2000,
  rssGrowthLimit: 1.2,
  recoverySeconds: 10,
};

interface Counts {
  sent: number;
  notSent: number;
  accepted: number;
  shed: number;
  rateLimited: number;
  duplicates: number;
  /** Other statuses, by "status CODE". */
  other: Record<string, number>;
  /** Transport errors and timeouts, by message. */
  errors: Record<string, number>;
}

export interface OverloadResult {
  options: OverloadOptions;
  sustainable: { eventsPerSecond: number; perSecond: number[]; shed: number; otherRefusals: number };
  overload: {
    offeredPerSecond: number;
    seconds: number;
    /** Seconds from the first request to the last answer (the load plus draining what was in flight). */
    drainSeconds: number;
    counts: Counts;
    acceptedPerSecond: number;
    /** acceptedPerSecond ÷ the sustainable events/s. */
    acceptedRatio: number;
    shedShare: number;
    /** 429, other statuses, errors, timeouts and not sent, as a share of what was due. */
    otherRefusedShare: number;
    latencyMs: { samples: number; p50: number; p99: number; max: number };
    beforeWireMs: { p50: number; p99: number };
    onWireMs: { p50: number; p99: number };
    /** Per second of the schedule: answers 202 and 503 (by answer time), and the node's RSS. */
    timeline: { accepted: number; shed: number; rssMiB: number | undefined }[];
    serverCpuPercent: number | undefined;
    clientCpuPercent: number;
    otherCpuPercent: number | undefined;
  };
  rssMiB: { first: number; min: number; max: number; last: number; maxFirstHalf: number; maxSecondHalf: number };
  memoryBounded: boolean;
  aliveAtEnd: boolean;
  healthzStatus: number | undefined;
  /** Seconds from the end of the load (in-flight drained) to the first like accepted again, or undefined. */
  recoveredAfterSeconds: number | undefined;
  acceptedIds: number;
  storedIds: number;
  pass: boolean;
  quietWaitSeconds: number;
  otherCpuBeforePercent: number | undefined;
}

const MIB = 2 ** 20;

function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refusalKey(status: number, body: string): string {
  let code = '';
  try {
    code = (JSON.parse(body) as { code?: string }).code ?? '';
  } catch {
    // not JSON
  }
  return `${status}${code ? ` ${code}` : ''}`;
}

async function startDemo(base: string, admin: { name: string; password: string }): Promise<void> {
  const res = await httpRequest('POST', `${base}/api/v1/auth/login`, { body: JSON.stringify(admin) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body.slice(0, 300)}`);
  const raw = res.headers['set-cookie'];
  const cookie = (Array.isArray(raw) ? raw[0] : raw)?.split(';')[0];
  if (!cookie) throw new Error('login returned no cookie');
  const started = await httpRequest('POST', `${base}/api/v1/sessions/demo/start`, { headers: { cookie } });
  if (started.status !== 200 && !started.body.includes('SESSION_ALREADY_LIVE')) throw new Error(`could not start the demo session: ${started.status} ${started.body.slice(0, 300)}`);
}

export async function runOverload(partial: Partial<OverloadOptions> = {}): Promise<OverloadResult> {
  const options = { ...OVERLOAD_DEFAULTS, ...partial };
  const runToken = randomBytes(4).toString('hex');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-overload-'));
  const file = path.join(dataDir, 'qingliu.sqlite');
  let node: ChildServer<{ admin: { name: string; password: string } }> | undefined;
  let closedLoop: RawHttpPool | undefined;
  let pool: RawHttpPool | undefined;
  const acceptedIds: string[] = [];
  let seq = 0;
  const nextId = (phase: string) => `${runToken}-${phase}-${seq++}`;
  try {
    node = await startChild<{ admin: { name: string; password: string } }>(
      'cluster-node-child.ts',
      [JSON.stringify({ env: { DATABASE_URL: `sqlite:${file}`, QINGLIU_DATA_DIR: dataDir, QINGLIU_BUS_URL: 'memory', QINGLIU_SEED_DEMO: 'true' }, admin: true })],
      'qingliu node (SQLite, overload)',
    );
    const pid = node.pid;
    const base = `http://127.0.0.1:${node.info.port}`;
    const eventsPath = '/api/v1/sessions/demo/events';
    const eventsUrl = `${base}${eventsPath}`;
    await startDemo(base, node.info.admin);
    const quiet = await waitForQuiet(pid, 10_000);

    // ---- 1. the sustainable rate: closed loop ----
    log(`overload: finding the sustainable rate (${options.clients} closed-loop clients, ${options.warmupSeconds} s warm-up + ${options.calibrateSeconds} s) …`);
    const perSecond = new Array<number>(options.calibrateSeconds).fill(0);
    let calShed = 0;
    let calOther = 0;
    {
      // One connection per client (the pool has as many connections as there are clients).
      const clients = (closedLoop = new RawHttpPool('127.0.0.1', node.info.port, options.clients));
      await clients.connect();
      const t0 = performance.now();
      const end = t0 + (options.warmupSeconds + options.calibrateSeconds) * 1000;
      const worker = async () => {
        while (performance.now() < end) {
          const id = nextId('c');
          try {
            const reply = await clients.request('POST', eventsPath, JSON.stringify({ type: 'like', clientEventId: id }));
            const second = Math.floor((performance.now() - t0) / 1000) - options.warmupSeconds;
            if (reply.status === 202) acceptedIds.push(id);
            if (second < 0) continue; // warm-up
            if (reply.status === 202) {
              if (second < perSecond.length) perSecond[second]!++;
            } else if (reply.status === 503) calShed++;
            else calOther++;
          } catch {
            calOther++;
          }
        }
      };
      await Promise.all(Array.from({ length: options.clients }, worker));
      clients.close();
    }
    const sustainable = median(perSecond);
    if (!(sustainable > 0)) throw new Error(`no event accepted while finding the sustainable rate (${calShed} shed, ${calOther} other)`);
    log(`overload: sustainable ≈ ${fmtInt(sustainable)} events/s (per second: ${perSecond.map(fmtInt).join(', ')})`);
    // The open loop's connections are opened now, not in its first second: 512 connects at once
    // overflow the listen backlog, and a dropped SYN is retried after 1, 3, 7 s — seconds of latency
    // that belong to the load generator, not to the node (behind a load balancer they stay open).
    pool = new RawHttpPool('127.0.0.1', node.info.port, options.sockets);
    const pooled = await pool.connect();
    log(`overload: ${fmtInt(pooled)} of ${fmtInt(options.sockets)} pooled connections open`);
    const openLoop = pool;
    await sleep(2000); // let the node's pressure samples settle

    // ---- 2. the overload: open loop ----
    const rate = sustainable * options.factor;
    const total = Math.round(rate * options.seconds);
    log(`overload: ${fmtInt(rate)} events/s (${options.factor}× sustainable) for ${options.seconds} s, open loop, ≤ ${fmtInt(options.maxInFlight)} in flight …`);
    const counts: Counts = { sent: 0, notSent: 0, accepted: 0, shed: 0, rateLimited: 0, duplicates: 0, other: {}, errors: {} };
    const latencies: number[] = [];
    /** Of each accepted request: from due time to being on the wire (the generator's own queue and lag), and from there to its answer (the node). */
    const beforeWire: number[] = [];
    const onWire: number[] = [];
    const timeline = Array.from({ length: options.seconds }, () => ({ accepted: 0, shed: 0, rssMiB: undefined as number | undefined }));
    const rss: { at: number; bytes: number }[] = [];
    let inFlight = 0;
    let due = 0;
    let lastAnswer = 0;
    const cpu = cpuWindow(pid);
    const t0 = performance.now();
    const fire = (dueAt: number) => {
      const id = nextId('o');
      inFlight++;
      counts.sent++;
      openLoop.request('POST', eventsPath, JSON.stringify({ type: 'like', clientEventId: id })).then(
        (reply) => {
          const now = performance.now();
          const second = Math.min(options.seconds - 1, Math.floor((now - t0) / 1000));
          if (reply.status === 202) {
            counts.accepted++;
            acceptedIds.push(id);
            latencies.push(now - dueAt);
            const sentAt = now - reply.ms + reply.sentMs;
            beforeWire.push(sentAt - dueAt);
            onWire.push(now - sentAt);
            timeline[second]!.accepted++;
            if (reply.body.includes('"duplicate":true')) counts.duplicates++;
          } else if (reply.status === 503) {
            counts.shed++;
            timeline[second]!.shed++;
          } else if (reply.status === 429) counts.rateLimited++;
          else {
            const key = refusalKey(reply.status, reply.body);
            counts.other[key] = (counts.other[key] ?? 0) + 1;
          }
        },
        (err: unknown) => {
          const key = err instanceof Error ? err.message.replace(/^POST \S+: /, '') : String(err);
          counts.errors[key] = (counts.errors[key] ?? 0) + 1;
        },
      ).finally(() => {
        inFlight--;
        lastAnswer = performance.now();
      });
    };
    await new Promise<void>((resolve) => {
      const sampler = setInterval(() => {
        const bytes = rssBytes(pid);
        const second = Math.floor((performance.now() - t0) / 1000) - 1;
        if (bytes !== undefined) {
          rss.push({ at: performance.now() - t0, bytes });
          if (second >= 0 && second < timeline.length) timeline[second]!.rssMiB = bytes / MIB;
        }
      }, 1000);
      const ticker = setInterval(() => {
        const elapsed = performance.now() - t0;
        const target = Math.min(total, Math.floor((elapsed / 1000) * rate));
        while (due < target) {
          const dueAt = t0 + (due / rate) * 1000;
          due++;
          if (inFlight >= options.maxInFlight) counts.notSent++;
          else fire(dueAt);
        }
        if (due >= total) {
          clearInterval(ticker);
          clearInterval(sampler);
          resolve();
        }
      }, 5);
    });
    const scheduleSeconds = (performance.now() - t0) / 1000;
    const drainDeadline = performance.now() + 35_000;
    while (inFlight > 0 && performance.now() < drainDeadline) await sleep(50);
    const used = cpu();
    const lastRss = rssBytes(pid);
    if (lastRss !== undefined) rss.push({ at: performance.now() - t0, bytes: lastRss });
    const drainSeconds = ((lastAnswer || performance.now()) - t0) / 1000;
    log(`overload: ${fmtInt(counts.accepted)} accepted, ${fmtInt(counts.shed)} shed, ${fmtInt(counts.notSent)} not sent, ${inFlight} still in flight`);

    // ---- after the load: alive, healthy, recovering ----
    const aliveAtEnd = alive(pid);
    let healthzStatus: number | undefined;
    try {
      healthzStatus = (await httpRequest('GET', `${base}/healthz`)).status;
    } catch {
      healthzStatus = undefined;
    }
    let recoveredAfterSeconds: number | undefined;
    const r0 = performance.now();
    while (performance.now() - r0 < options.recoverySeconds * 1000) {
      const id = nextId('r');
      try {
        const reply = await httpRequest('POST', eventsUrl, { body: JSON.stringify({ type: 'like', clientEventId: id }) });
        if (reply.status === 202) {
          acceptedIds.push(id);
          recoveredAfterSeconds = (performance.now() - r0) / 1000;
          break;
        }
      } catch {
        // not yet
      }
      await sleep(250);
    }

    // ---- 3. every acknowledged event stored ----
    pool.close();
    closedLoop?.close();
    await node.stop();
    const crashed = !aliveAtEnd;
    const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    let storedIds = 0;
    try {
      const stored = new Set<string>();
      for (const row of db.prepare("select client_event_id as id from room_events where session_id = 'demo' and client_event_id like ?").iterate(`${runToken}-%`) as Iterable<{ id: string }>) {
        stored.add(row.id);
      }
      for (const id of acceptedIds) if (stored.has(id)) storedIds++;
    } finally {
      db.close();
    }

    // ---- figures ----
    const sortedLatencies = Float64Array.from(latencies).sort();
    const sortedBeforeWire = Float64Array.from(beforeWire).sort();
    const sortedOnWire = Float64Array.from(onWire).sort();
    const half = (options.seconds * 1000) / 2;
    const mib = (b: number) => b / MIB;
    const rssAll = rss.map((s) => s.bytes);
    const firstHalf = rss.filter((s) => s.at <= half).map((s) => s.bytes);
    const secondHalf = rss.filter((s) => s.at > half).map((s) => s.bytes);
    const maxFirst = firstHalf.length ? Math.max(...firstHalf) : Number.NaN;
    const maxSecond = secondHalf.length ? Math.max(...secondHalf) : Number.NaN;
    const memoryBounded = Number.isFinite(maxFirst) && Number.isFinite(maxSecond) && maxSecond <= options.rssGrowthLimit * maxFirst;
    const refusedOther = counts.notSent + counts.rateLimited + Object.values(counts.other).reduce((n, v) => n + v, 0) + Object.values(counts.errors).reduce((n, v) => n + v, 0);
    const acceptedPerSecond = counts.accepted / options.seconds;
    return {
      options,
      sustainable: { eventsPerSecond: sustainable, perSecond, shed: calShed, otherRefusals: calOther },
      overload: {
        offeredPerSecond: rate,
        seconds: scheduleSeconds,
        drainSeconds,
        counts,
        acceptedPerSecond,
        acceptedRatio: acceptedPerSecond / sustainable,
        shedShare: counts.shed / total,
        otherRefusedShare: refusedOther / total,
        latencyMs: {
          samples: sortedLatencies.length,
          p50: percentile(sortedLatencies, 50),
          p99: percentile(sortedLatencies, 99),
          max: sortedLatencies.length ? sortedLatencies[sortedLatencies.length - 1]! : Number.NaN,
        },
        beforeWireMs: { p50: percentile(sortedBeforeWire, 50), p99: percentile(sortedBeforeWire, 99) },
        onWireMs: { p50: percentile(sortedOnWire, 50), p99: percentile(sortedOnWire, 99) },
        timeline,
        serverCpuPercent: used.serverPercent,
        clientCpuPercent: used.clientPercent,
        otherCpuPercent: used.otherPercent,
      },
      rssMiB: {
        first: rssAll.length ? mib(rssAll[0]!) : Number.NaN,
        min: rssAll.length ? mib(Math.min(...rssAll)) : Number.NaN,
        max: rssAll.length ? mib(Math.max(...rssAll)) : Number.NaN,
        last: rssAll.length ? mib(rssAll[rssAll.length - 1]!) : Number.NaN,
        maxFirstHalf: mib(maxFirst),
        maxSecondHalf: mib(maxSecond),
      },
      memoryBounded,
      aliveAtEnd,
      healthzStatus,
      recoveredAfterSeconds,
      acceptedIds: acceptedIds.length,
      storedIds,
      pass: !crashed && healthzStatus === 200 && memoryBounded && storedIds === acceptedIds.length,
      quietWaitSeconds: quiet.waitedMs / 1000,
      otherCpuBeforePercent: quiet.otherPercent,
    };
  } finally {
    pool?.close();
    closedLoop?.close();
    await node?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function overloadReport(r: OverloadResult): string {
  const o = r.overload;
  const c = o.counts;
  const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)} %`);
  const cpuPct = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x)} %`);
  const mib = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} MiB` : '—');
  const otherKinds = [
    c.notSent ? `not sent ${fmtInt(c.notSent)}` : '',
    c.rateLimited ? `429 × ${fmtInt(c.rateLimited)}` : '',
    ...Object.entries(c.other).map(([k, v]) => `${k} × ${fmtInt(v)}`),
    ...Object.entries(c.errors).map(([k, v]) => `${k} × ${fmtInt(v)}`),
  ].filter(Boolean);
  const rows: (string | number)[][] = [
    ['sustainable (closed loop, median second)', `${fmtInt(r.sustainable.eventsPerSecond)} events/s (seconds: ${r.sustainable.perSecond.map(fmtInt).join(', ')}; ${fmtInt(r.sustainable.shed)} shed)`],
    ['offered (open loop)', `${fmtInt(o.offeredPerSecond)} events/s × ${r.options.seconds} s = ${fmtInt(c.sent + c.notSent)} due, ${fmtInt(c.sent)} sent`],
    ['accepted (202) during overload', `${fmtInt(o.acceptedPerSecond)} events/s (${fmtRatio(o.acceptedRatio)} sustainable; ${fmtInt(c.accepted)} in all)`],
    ['shed (503 OVERLOADED)', `${pct(o.shedShare)} (${fmtInt(c.shed)})`],
    ['other refusals (not sent, 429, other, errors)', `${pct(o.otherRefusedShare)}${otherKinds.length ? ` (${otherKinds.join(', ')})` : ''}`],
    ['accepted latency p50 / p99 / max (from due time)', `${fmtMs(o.latencyMs.p50)} / ${fmtMs(o.latencyMs.p99)} / ${fmtMs(o.latencyMs.max)}`],
    ['  of which before the wire (generator) p50 / p99', `${fmtMs(o.beforeWireMs.p50)} / ${fmtMs(o.beforeWireMs.p99)}`],
    ['  of which on the wire to the answer (node) p50 / p99', `${fmtMs(o.onWireMs.p50)} / ${fmtMs(o.onWireMs.p99)}`],
    ['node RSS first / min / max / last', `${mib(r.rssMiB.first)} / ${mib(r.rssMiB.min)} / ${mib(r.rssMiB.max)} / ${mib(r.rssMiB.last)}`],
    [`memory bounded (max 2nd half ≤ ${r.options.rssGrowthLimit}× max 1st half)`, `${r.memoryBounded ? 'yes' : 'NO'} (${mib(r.rssMiB.maxSecondHalf)} vs ${mib(r.rssMiB.maxFirstHalf)})`],
    ['alive at end, /healthz', `${r.aliveAtEnd ? 'yes' : 'NO'}, ${r.healthzStatus ?? 'no answer'}`],
    ['recovered (a like accepted after the load)', r.recoveredAfterSeconds === undefined ? `NO (within ${r.options.recoverySeconds} s)` : `yes, after ${r.recoveredAfterSeconds.toFixed(2)} s`],
    ['accepted == stored (all phases)', `${r.storedIds === r.acceptedIds ? 'yes' : 'NO'} (${fmtInt(r.acceptedIds)} accepted, ${fmtInt(r.storedIds)} stored)`],
    ['CPU during overload: node / load generator / other', `${cpuPct(o.serverCpuPercent)} / ${cpuPct(o.clientCpuPercent)} / ${fmtOther(o.otherCpuPercent)}`],
  ];
  const lines = [
    `Overload — one node on SQLite, POST /api/v1/sessions/demo/events (likes, each id new): ${r.options.factor}× the sustainable rate for ${r.options.seconds} s, open loop ` +
      `(${r.options.sockets} keep-alive connections, ≤ ${fmtInt(r.options.maxInFlight)} in flight), after ${r.options.warmupSeconds} s warm-up + ${r.options.calibrateSeconds} s of ${r.options.clients} closed-loop clients to find the sustainable rate.`,
    '',
    table(['measure', 'value'], rows),
    '',
    `Overload: ${r.pass ? 'PASS' : 'MISS'} (no crash, memory bounded, every accepted event stored)`,
  ];
  if (c.duplicates) lines.push(`Note: ${c.duplicates} event(s) answered as duplicates (every id was new).`);
  if (o.drainSeconds > o.seconds + 1) lines.push(`Note: the last answer came ${(o.drainSeconds - o.seconds).toFixed(1)} s after the schedule ended (requests queued in flight).`);
  const noisy = Math.max(r.otherCpuBeforePercent ?? 0, o.otherCpuPercent ?? 0);
  if (noisy > NOISY_OTHER_CPU_PERCENT) {
    lines.push(`Note: other processes used ${fmtOther(r.otherCpuBeforePercent)} of a core before and ${fmtOther(o.otherCpuPercent)} during the overload: treat the rates as noisy.`);
  }
  lines.push('CPU is % of one core over the overload (until in-flight requests drained); "other" is the machine\'s busy time less the node and this process.');
  return lines.join('\n');
}
