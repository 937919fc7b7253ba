/**
 * Room-event ingestion on the two deployments: one node on SQLite, and two nodes sharing one
 * PostgreSQL database and a NATS bus. Events/s and latency of POST /api/v1/sessions/demo/events
 * (`like` or `add_to_cart`, acknowledged 202 only after the commit), against the raw write ceiling of
 * the same database measured in the same run.
 *
 * - Nodes are child processes (bench/cluster-node-child.ts: buildApp(loadConfig(env)), what
 *   `qingliu serve` runs), LOG_LEVEL=warn, no simulated audience. SQLite: a fresh temporary data
 *   directory, the memory bus. PostgreSQL: a fresh database created for the run and dropped after,
 *   both nodes on it and on nats://127.0.0.1:4222 under a random subject prefix, sharing one data
 *   directory; the first node seeds the demo; the second starts after it.
 * - The runner signs in, starts the demo session, and sends from `connections` keep-alive HTTP
 *   connections (the lean client of raw-http.ts: Node's http client used more CPU than it left the
 *   nodes; with two nodes, connection i goes to node i mod 2). Each connection
 *   sends its next event as soon as the previous one is answered (closed loop), until the round's
 *   `eventsPerRound` are all answered. Three of four events are likes, one an add-to-cart of one of
 *   the session's products; every clientEventId is new. Latency: the request's t0 → last byte of
 *   the reply, pooled over the measured rounds. Events/s: the median round.
 * - Baseline, "raw batched insert": the same number of rows of the same shape (session, a new
 *   client event id, type, product or null, time) into the same `room_events` table of the same
 *   database, straight through the driver from this process (better-sqlite3, or one `pg` client):
 *   `rawBatch` rows per multi-row INSERT … ON CONFLICT DO NOTHING, one transaction per batch, with
 *   the product's durability settings (SQLite WAL with synchronous=FULL; PostgreSQL as configured).
 * - Rounds interleave, service then raw (the other way round on odd rounds), after `warmupRounds`
 *   not counted, so load from other processes falls on both alike.
 *
 * The two are not the same work, and the ratio says so: the service commits once per acknowledged
 * event (the insert, the room's counter row update and read, in one transaction, after reading the
 * session), while the raw insert commits once per 500 rows and keeps no counters.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  fmtInt,
  fmtMs,
  fmtOther,
  fmtRatio,
  httpRequest,
  log,
  machineBusySeconds,
  median,
  NOISY_OTHER_CPU_PERCENT,
  percentile,
  startChild,
  table,
  waitForQuiet,
  type ChildServer,
} from './lib.js';
import { RawHttpPool } from './raw-http.js';

export interface ClusterIngestionOptions {
  eventsPerRound: number;
  rounds: number;
  warmupRounds: number;
  connections: number;
  /** Rows per multi-row INSERT (and per transaction) in the raw baseline. */
  rawBatch: number;
  /** The PostgreSQL server's administrative URL: a database is created on it for the run and dropped after. */
  postgresUrl: string;
  natsUrl: string;
}

export const CLUSTER_INGESTION_DEFAULTS: ClusterIngestionOptions = {
  eventsPerRound: 5000,
  rounds: 5,
  warmupRounds: 1,
  connections: 32,
  rawBatch: 500,
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  natsUrl: 'nats://127.0.0.1:4222',
};

export interface LatencyFigures {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ServiceStats {
  /** Events acknowledged (202) per second: median over the measured rounds, and every round's figure. */
  eventsPerSecond: number;
  roundsEventsPerSecond: number[];
  /** Each acknowledged (202) event's request, t0 → last byte of its reply, over every measured round. */
  latencyMs: LatencyFigures;
  /** Requests sent in the measured rounds (acknowledged or not). */
  requests: number;
  /** Replies other than 202 (503 OVERLOADED from the node's load shedding, say), by status and code. */
  errors: Record<string, number>;
  /** 202 replies saying duplicate (none are expected: every id is new). */
  duplicates: number;
  /** CPU over the measured service rounds, % of one core: the node(s), this process, and the rest of the machine. */
  nodesCpuPercent: number | undefined;
  clientCpuPercent: number;
  restCpuPercent: number | undefined;
}

export interface RawStats {
  rowsPerSecond: number;
  roundsRowsPerSecond: number[];
  /** One batch (BEGIN, one INSERT of rawBatch rows, COMMIT). */
  batchMs: LatencyFigures;
  /** CPU over the measured raw rounds: this process (the driver) and the rest (the database server, others). */
  clientCpuPercent: number;
  restCpuPercent: number | undefined;
}

export interface DeploymentResult {
  name: string;
  database: 'sqlite' | 'postgres';
  nodes: number;
  /** The database's durability setting in force (SQLite synchronous, PostgreSQL synchronous_commit). */
  durability: string;
  service: ServiceStats;
  raw: RawStats;
  /** service events/s ÷ raw rows/s. */
  ratio: number;
  quietWaitSeconds: number;
  /** What else the machine ran while waiting for quiet (other people's tests), % of one core. */
  otherCpuBeforePercent: number | undefined;
}

export interface ClusterIngestionResult {
  options: ClusterIngestionOptions;
  deployments: DeploymentResult[];
  /** Deployments that could not run (PostgreSQL or NATS not reachable), with why. */
  skipped: { name: string; reason: string }[];
}

// ---- the load ----

interface EventTarget {
  /** Base URLs of the nodes; connection i goes to node i mod n. */
  bases: string[];
  productIds: string[];
}

interface RoundCpu {
  nodes: number | undefined;
  client: number;
  busy: number | undefined;
  seconds: number;
}

/** CPU seconds over a stretch of work: the node children, this process, the whole machine. */
function cpuMeter(nodes: ChildServer<unknown>[]): () => RoundCpu {
  const nodes0 = nodes.map((n) => n.cpuSeconds());
  const client0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const wall0 = performance.now();
  return () => {
    const nodes1 = nodes.map((n) => n.cpuSeconds());
    const c = process.cpuUsage(client0);
    const busy1 = machineBusySeconds();
    const nodeSeconds = nodes1.every((v, i) => v !== undefined && nodes0[i] !== undefined) ? nodes1.reduce<number>((s, v, i) => s + v! - nodes0[i]!, 0) : undefined;
    return {
      nodes: nodeSeconds,
      client: (c.user + c.system) / 1e6,
      busy: busy0 !== undefined && busy1 !== undefined ? busy1 - busy0 : undefined,
      seconds: (performance.now() - wall0) / 1000,
    };
  };
}

function addCpu(a: RoundCpu | undefined, b: RoundCpu): RoundCpu {
  if (!a) return b;
  return {
    nodes: a.nodes !== undefined && b.nodes !== undefined ? a.nodes + b.nodes : undefined,
    client: a.client + b.client,
    busy: a.busy !== undefined && b.busy !== undefined ? a.busy + b.busy : undefined,
    seconds: a.seconds + b.seconds,
  };
}

function cpuPercents(cpu: RoundCpu): { nodes: number | undefined; client: number; rest: number | undefined } {
  const pct = (x: number) => (x / cpu.seconds) * 100;
  return {
    nodes: cpu.nodes === undefined ? undefined : pct(cpu.nodes),
    client: pct(cpu.client),
    rest: cpu.busy === undefined ? undefined : Math.max(0, pct(cpu.busy - (cpu.nodes ?? 0) - cpu.client)),
  };
}

function figures(sorted: Float64Array): LatencyFigures {
  return { samples: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN };
}

const eventType = (i: number): 'like' | 'add_to_cart' => (i % 4 === 3 ? 'add_to_cart' : 'like');

/** One round through the service: `connections` closed loops until `events` replies are in. */
async function serviceRound(
  target: EventTarget,
  pools: RawHttpPool[],
  connections: number,
  events: number,
  idPrefix: string,
): Promise<{ eventsPerSecond: number; latencies: Float64Array; errors: Record<string, number>; duplicates: number }> {
  const latencies = new Float64Array(events);
  const errors: Record<string, number> = {};
  let duplicates = 0;
  let accepted = 0;
  let next = 0;
  const worker = async (connection: number) => {
    // The node's pool holds one connection per worker sending to it, so a request never waits for one.
    const pool = pools[connection % pools.length]!;
    for (;;) {
      const i = next++;
      if (i >= events) return;
      const type = eventType(i);
      const body = JSON.stringify({
        type,
        clientEventId: `${idPrefix}-${i}`,
        ...(type === 'add_to_cart' ? { productId: target.productIds[i % target.productIds.length] } : {}),
      });
      const reply = await pool.request('POST', '/api/v1/sessions/demo/events', body);
      if (reply.status !== 202) {
        let code = '';
        try {
          code = (JSON.parse(reply.body) as { code?: string }).code ?? '';
        } catch {
          // not JSON
        }
        const key = `${reply.status}${code ? ` ${code}` : ''}`;
        errors[key] = (errors[key] ?? 0) + 1;
      } else {
        latencies[accepted++] = reply.ms;
        if (reply.body.includes('"duplicate":true')) duplicates++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, (_, c) => worker(c)));
  const seconds = (performance.now() - started) / 1000;
  // Only acknowledged events count: a refusal (503 OVERLOADED, say) is quick but stores nothing.
  return { eventsPerSecond: accepted / seconds, latencies: latencies.subarray(0, accepted), errors, duplicates };
}

// ---- the raw baseline ----

interface RawWriter {
  /** Inserts the rows of one batch in one transaction. */
  insertBatch(rows: RawRow[]): Promise<void>;
  close(): Promise<void>;
}

type RawRow = [sessionId: string, clientEventId: string, type: string, productId: string | null, createdAt: number];

function rawRows(count: number, idPrefix: string, productIds: string[]): RawRow[] {
  const now = Date.now();
  const rows: RawRow[] = [];
  for (let i = 0; i < count; i++) {
    const type = eventType(i);
    rows.push(['demo', `${idPrefix}-${i}`, type, type === 'add_to_cart' ? productIds[i % productIds.length]! : null, now]);
  }
  return rows;
}

const COLUMNS = '(session_id, client_event_id, type, product_id, created_at)';

function sqliteWriter(file: string): RawWriter {
  const db = new BetterSqlite3(file);
  // As the product opens it (src/storage/index.ts): WAL, every commit synced, foreign keys checked.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<number, BetterSqlite3.Statement>();
  const statement = (n: number) => {
    let s = statements.get(n);
    if (!s) {
      s = db.prepare(`insert into room_events ${COLUMNS} values ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')} on conflict (session_id, client_event_id) do nothing`);
      statements.set(n, s);
    }
    return s;
  };
  const insert = db.transaction((rows: RawRow[]) => statement(rows.length).run(rows.flat()));
  return {
    async insertBatch(rows) {
      insert.immediate(rows);
    },
    async close() {
      db.close();
    },
  };
}

async function postgresWriter(url: string): Promise<RawWriter> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const texts = new Map<number, string>();
  const text = (n: number) => {
    let t = texts.get(n);
    if (!t) {
      const values = Array.from({ length: n }, (_, r) => `(${[1, 2, 3, 4, 5].map((c) => `$${r * 5 + c}`).join(', ')})`);
      t = `insert into room_events ${COLUMNS} values ${values.join(', ')} on conflict (session_id, client_event_id) do nothing`;
      texts.set(n, t);
    }
    return t;
  };
  return {
    async insertBatch(rows) {
      await client.query('begin');
      try {
        await client.query(text(rows.length), rows.flat());
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    },
    async close() {
      await client.end();
    },
  };
}

async function rawRound(writer: RawWriter, rows: RawRow[], batch: number): Promise<{ rowsPerSecond: number; batchTimes: number[] }> {
  const batchTimes: number[] = [];
  const started = performance.now();
  for (let i = 0; i < rows.length; i += batch) {
    const t0 = performance.now();
    await writer.insertBatch(rows.slice(i, i + batch));
    batchTimes.push(performance.now() - t0);
  }
  return { rowsPerSecond: rows.length / ((performance.now() - started) / 1000), batchTimes };
}

// ---- one deployment ----

async function login(base: string, admin: { name: string; password: string }): Promise<string> {
  const res = await httpRequest('POST', `${base}/api/v1/auth/login`, { body: JSON.stringify(admin) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body.slice(0, 300)}`);
  const raw = res.headers['set-cookie'];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (!first) throw new Error('login returned no cookie');
  return first.split(';')[0]!;
}

/** Signs in on the first node, starts the demo session, and checks every node takes a like. */
async function prepareRoom(bases: string[], admin: { name: string; password: string }, runToken: string): Promise<string[]> {
  const cookie = await login(bases[0]!, admin);
  const started = await httpRequest('POST', `${bases[0]}/api/v1/sessions/demo/start`, { headers: { cookie } });
  if (started.status !== 200 && !started.body.includes('SESSION_ALREADY_LIVE')) throw new Error(`could not start the demo session: ${started.status} ${started.body.slice(0, 300)}`);
  const room = await httpRequest('GET', `${bases[0]}/api/v1/sessions/demo`);
  if (room.status !== 200) throw new Error(`GET /api/v1/sessions/demo → ${room.status}`);
  const productIds = (JSON.parse(room.body) as { products: { id: string }[] }).products.map((p) => p.id);
  if (productIds.length === 0) throw new Error('the demo session has no products');
  for (const [n, base] of bases.entries()) {
    const probe = await httpRequest('POST', `${base}/api/v1/sessions/demo/events`, { body: JSON.stringify({ type: 'like', clientEventId: `${runToken}-probe-${n}` }) });
    if (probe.status !== 202) throw new Error(`node ${n + 1}: a like → ${probe.status} ${probe.body.slice(0, 300)}`);
  }
  return productIds;
}

async function measure(
  name: string,
  database: 'sqlite' | 'postgres',
  durability: string,
  nodes: ChildServer<unknown>[],
  target: EventTarget,
  writer: RawWriter,
  runToken: string,
  options: ClusterIngestionOptions,
): Promise<DeploymentResult> {
  const pools = target.bases.map((base, b) => {
    const url = new URL(base);
    const workers = Array.from({ length: options.connections }, (_, c) => c).filter((c) => c % target.bases.length === b).length;
    return new RawHttpPool(url.hostname, Number(url.port), workers);
  });
  try {
    for (const pool of pools) await pool.connect();
    const quiet = await waitForQuiet(undefined, 10_000);
    const serviceEps: number[] = [];
    const rawRps: number[] = [];
    const latencies: Float64Array[] = [];
    const batchTimes: number[] = [];
    const errors: Record<string, number> = {};
    let duplicates = 0;
    let serviceCpu: RoundCpu | undefined;
    let rawCpu: RoundCpu | undefined;
    const total = options.warmupRounds + options.rounds;
    for (let r = 0; r < total; r++) {
      const measured = r >= options.warmupRounds;
      const runService = async () => {
        const cpu = cpuMeter(nodes);
        const s = await serviceRound(target, pools, options.connections, options.eventsPerRound, `${runToken}-s${r}`);
        const used = cpu();
        if (!measured) return;
        for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
        serviceCpu = addCpu(serviceCpu, used);
        serviceEps.push(s.eventsPerSecond);
        latencies.push(s.latencies);
        duplicates += s.duplicates;
        log(`${name}, round ${r - options.warmupRounds + 1}: service ${fmtInt(s.eventsPerSecond)} events/s`);
      };
      const runRaw = async () => {
        const rows = rawRows(options.eventsPerRound, `${runToken}-r${r}`, target.productIds);
        const cpu = cpuMeter(nodes);
        const raw = await rawRound(writer, rows, options.rawBatch);
        const used = cpu();
        if (!measured) return;
        rawCpu = addCpu(rawCpu, used);
        rawRps.push(raw.rowsPerSecond);
        batchTimes.push(...raw.batchTimes);
        log(`${name}, round ${r - options.warmupRounds + 1}: raw ${fmtInt(raw.rowsPerSecond)} rows/s`);
      };
      if (r % 2 === 0) {
        await runService();
        await runRaw();
      } else {
        await runRaw();
        await runService();
      }
    }
    const pooled = new Float64Array(latencies.reduce((n, l) => n + l.length, 0));
    let at = 0;
    for (const l of latencies) {
      pooled.set(l, at);
      at += l.length;
    }
    pooled.sort();
    const sCpu = cpuPercents(serviceCpu!);
    const rCpu = cpuPercents(rawCpu!);
    const service: ServiceStats = {
      eventsPerSecond: median(serviceEps),
      roundsEventsPerSecond: serviceEps,
      latencyMs: figures(pooled),
      requests: options.eventsPerRound * options.rounds,
      errors,
      duplicates,
      nodesCpuPercent: sCpu.nodes,
      clientCpuPercent: sCpu.client,
      restCpuPercent: sCpu.rest,
    };
    const raw: RawStats = {
      rowsPerSecond: median(rawRps),
      roundsRowsPerSecond: rawRps,
      batchMs: figures(Float64Array.from(batchTimes).sort()),
      clientCpuPercent: rCpu.client,
      restCpuPercent: rCpu.rest,
    };
    return {
      name,
      database,
      nodes: nodes.length,
      durability,
      service,
      raw,
      ratio: service.eventsPerSecond / raw.rowsPerSecond,
      quietWaitSeconds: quiet.waitedMs / 1000,
      otherCpuBeforePercent: quiet.otherPercent,
    };
  } finally {
    for (const pool of pools) pool.close();
  }
}

async function runSqlite(runToken: string, options: ClusterIngestionOptions): Promise<DeploymentResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-cluster-'));
  const file = path.join(dataDir, 'qingliu.sqlite');
  let node: ChildServer<{ admin: { name: string; password: string } }> | undefined;
  let writer: RawWriter | undefined;
  try {
    node = await startChild<{ admin: { name: string; password: string } }>(
      'cluster-node-child.ts',
      [JSON.stringify({ env: { DATABASE_URL: `sqlite:${file}`, QINGLIU_DATA_DIR: dataDir, QINGLIU_BUS_URL: 'memory', QINGLIU_SEED_DEMO: 'true' }, admin: true })],
      'qingliu node (SQLite)',
    );
    const base = `http://127.0.0.1:${node.info.port}`;
    const productIds = await prepareRoom([base], node.info.admin, runToken);
    writer = sqliteWriter(file);
    log(`1 node on SQLite: ${options.rounds} rounds × ${fmtInt(options.eventsPerRound)} events over ${options.connections} connections, and the raw insert …`);
    return await measure('1 node, SQLite', 'sqlite', 'WAL, synchronous=FULL', [node], { bases: [base], productIds }, writer, runToken, options);
  } finally {
    await writer?.close();
    await node?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A URL for another database on the same server. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function runPostgres(runToken: string, options: ClusterIngestionOptions): Promise<DeploymentResult> {
  const admin = new pg.Client({ connectionString: options.postgresUrl, connectionTimeoutMillis: 3000 });
  await admin.connect();
  const database = `qingliu_bench_${runToken}`;
  const url = withDatabase(options.postgresUrl, database);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-cluster-'));
  const nodes: ChildServer<{ admin?: { name: string; password: string } }>[] = [];
  let writer: RawWriter | undefined;
  let created = false;
  try {
    await admin.query(`create database "${database}"`);
    created = true;
    const env = { DATABASE_URL: url, QINGLIU_DATA_DIR: dataDir, QINGLIU_BUS_URL: options.natsUrl, QINGLIU_BUS_SUBJECT_PREFIX: `bench-${runToken}` };
    // The first node migrates, seeds and writes the key file; the second starts on what it left.
    nodes.push(await startChild('cluster-node-child.ts', [JSON.stringify({ env: { ...env, QINGLIU_SEED_DEMO: 'true' }, admin: true })], 'qingliu node 1 (PostgreSQL)'));
    nodes.push(await startChild('cluster-node-child.ts', [JSON.stringify({ env: { ...env, QINGLIU_SEED_DEMO: 'false' } })], 'qingliu node 2 (PostgreSQL)'));
    const bases = nodes.map((n) => `http://127.0.0.1:${n.info.port}`);
    const productIds = await prepareRoom(bases, nodes[0]!.info.admin!, runToken);
    writer = await postgresWriter(url);
    const setting = await admin.query<{ synchronous_commit: string }>('show synchronous_commit');
    log(`2 nodes on PostgreSQL + NATS: ${options.rounds} rounds × ${fmtInt(options.eventsPerRound)} events over ${options.connections} connections, and the raw insert …`);
    return await measure(
      '2 nodes, PostgreSQL + NATS',
      'postgres',
      `synchronous_commit=${setting.rows[0]?.synchronous_commit ?? '?'}`,
      nodes,
      { bases, productIds },
      writer,
      runToken,
      options,
    );
  } finally {
    await writer?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    if (created) await admin.query(`drop database if exists "${database}" with (force)`).catch((err: unknown) => log(`could not drop ${database}: ${String(err)}`));
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Why a server cannot be reached, or undefined when it answers (PostgreSQL: a query; NATS: a TCP connection). */
async function unreachable(options: ClusterIngestionOptions): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: options.postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    return `PostgreSQL at ${new URL(options.postgresUrl).host} not reachable (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
  const nats = new URL(options.natsUrl);
  const natsError = await new Promise<string | undefined>((resolve) => {
    const socket = net.createConnection({ host: nats.hostname, port: Number(nats.port || 4222), timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.once('error', (err) => resolve(err.message));
  });
  return natsError ? `NATS at ${nats.host} not reachable (${natsError})` : undefined;
}

export async function runClusterIngestion(partial: Partial<ClusterIngestionOptions> = {}): Promise<ClusterIngestionResult> {
  const options = { ...CLUSTER_INGESTION_DEFAULTS, ...partial };
  const runToken = randomBytes(4).toString('hex');
  const deployments: DeploymentResult[] = [];
  const skipped: { name: string; reason: string }[] = [];
  deployments.push(await runSqlite(runToken, options));
  const reason = await unreachable(options);
  if (reason) {
    log(`2 nodes on PostgreSQL + NATS skipped: ${reason}`);
    skipped.push({ name: '2 nodes, PostgreSQL + NATS', reason });
  } else {
    deployments.push(await runPostgres(runToken, options));
  }
  return { options, deployments, skipped };
}

export function clusterIngestionReport(r: ClusterIngestionResult): string {
  const o = r.options;
  const pct = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x)} %`);
  const rows: (string | number)[][] = [];
  for (const d of r.deployments) {
    const errors = Object.values(d.service.errors).reduce((n, v) => n + v, 0);
    rows.push([
      d.name,
      'service: POST …/events',
      fmtInt(d.service.eventsPerSecond),
      d.service.roundsEventsPerSecond.map(fmtInt).join(', '),
      fmtMs(d.service.latencyMs.p50),
      fmtMs(d.service.latencyMs.p99),
      fmtMs(d.service.latencyMs.max),
      `${fmtInt(errors)} / ${fmtInt(d.service.requests)}`,
      pct(d.service.nodesCpuPercent),
      pct(d.service.clientCpuPercent),
      pct(d.service.restCpuPercent),
    ]);
    rows.push([
      '',
      `raw INSERT, ${o.rawBatch} rows/tx (per batch)`,
      fmtInt(d.raw.rowsPerSecond),
      d.raw.roundsRowsPerSecond.map(fmtInt).join(', '),
      fmtMs(d.raw.batchMs.p50),
      fmtMs(d.raw.batchMs.p99),
      fmtMs(d.raw.batchMs.max),
      '—',
      '—',
      pct(d.raw.clientCpuPercent),
      pct(d.raw.restCpuPercent),
    ]);
  }
  const lines = [
    `Room-event ingestion — POST /api/v1/sessions/demo/events (3 likes : 1 add-to-cart, each id new), ${o.rounds} rounds × ${fmtInt(o.eventsPerRound)} events after ${o.warmupRounds} warm-up, ` +
      `${o.connections} keep-alive connections (closed loop; spread over the nodes), against a raw batched INSERT of as many rows into the same room_events table, rounds interleaved. ` +
      `Service latency: request → reply of each acknowledged event; raw: one batch.`,
    '',
    table(['deployment', 'path', 'events/s (median round)', 'rounds', 'p50', 'p99', 'max', 'refused', 'nodes CPU', 'client CPU', 'DB, bus, rest CPU'], rows),
    '',
  ];
  for (const d of r.deployments) {
    // Far below 1: two decimals would print 0.00×.
    const ratio = d.ratio < 0.1 ? `${d.ratio.toPrecision(2)}× (${(d.ratio * 100).toFixed(2)} %, 1 : ${fmtInt(1 / d.ratio)})` : fmtRatio(d.ratio);
    lines.push(`${d.name} (${d.durability}): service / raw = ${ratio} (${fmtInt(d.service.eventsPerSecond)} events/s vs ${fmtInt(d.raw.rowsPerSecond)} rows/s)`);
  }
  for (const s of r.skipped) lines.push(`${s.name}: skipped — ${s.reason}`);
  lines.push(
    `Not the same work: each service event is an HTTP request checked on its own (session and product reads, validation), then group-committed with the room's other waiting events ` +
      `(one transaction per batch: inserts deduplicated by client id, the room's counters updated and read), and answered only after that commit; ` +
      `the raw insert commits ${o.rawBatch} rows at a time from one connection and keeps no counters. The ratio is the price of HTTP, per-event checks, durability before the answer and counters.`,
  );
  for (const d of r.deployments) {
    if (d.service.duplicates) lines.push(`Note: ${d.name}: ${d.service.duplicates} event(s) answered as duplicates (every id was new).`);
    const errs = Object.entries(d.service.errors);
    if (errs.length) {
      lines.push(
        `Note: ${d.name}: requests not acknowledged: ${errs.map(([k, v]) => `${k} × ${fmtInt(v)}`).join(', ')} — events/s and latency count acknowledged events only (a refusal is quick and stores nothing).`,
      );
    }
    if ((d.otherCpuBeforePercent ?? 0) > NOISY_OTHER_CPU_PERCENT) {
      lines.push(`Note: ${d.name}: other processes used ${fmtOther(d.otherCpuBeforePercent)} of a core when measuring began: treat it as noisy.`);
    }
  }
  lines.push('CPU is % of one core over the measured rounds; "DB, bus, rest" is the machine\'s busy time less the nodes and this process (PostgreSQL, NATS, the kernel, other processes).');
  return lines.join('\n');
}
