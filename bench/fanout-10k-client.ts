/**
 * One load-generator process of the 10,000-viewer fan-out benchmark (bench/fanout-10k.ts): its share
 * of the audience as real `ws` viewers of every target server (Qingliu and the bare baseline).
 * Viewer i (0 ≤ i < viewers) lives in process i mod processes.
 *
 * Arrivals are stamped `performance.timeOrigin + performance.now()` (ms since the epoch, µs
 * resolution) before the frame is parsed; the runner stamps t0 the same way just before its request,
 * so arrival − t0 compares two readings of one machine clock in two processes (the runner checks
 * the offset between them with /clock).
 *
 * Control over HTTP on 127.0.0.1, one keep-alive connection from the runner:
 *   POST /clock                                 { now }
 *   POST /connect {target}                      opens this process's viewers of target, `connectBatch` at
 *                                               a time, each ready at its snapshot; a refused upgrade
 *                                               (503 OVERLOADED, or any error before the snapshot) is tried
 *                                               again after its Retry-After, as the viewer page does
 *   POST /expect {target, type, productId, seq} arms the viewers for one change
 *   POST /collect {target, t0, timeoutMs}       waits until every open viewer has it (or t0 + timeoutMs),
 *                                               then answers each viewer's arrival − t0
 * argv[2]: JSON { processIndex, processes, viewers, connectBatch, targets: { key: wsUrl } }.
 * Prints { port, viewers } on stdout when ready.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';
import { exitWithParent } from './lib.js';

export interface FanoutClientConfig {
  processIndex: number;
  processes: number;
  viewers: number;
  connectBatch: number;
  targets: Record<string, string>;
}

export interface FanoutSnapshot {
  seq: number;
  pins: string[];
  productIds: string[];
}

export interface FanoutConnectResult {
  viewers: number;
  seconds: number;
  /** Upgrades refused or failed before the snapshot, each tried again; by reason. */
  retries: Record<string, number>;
  /** The newest snapshot any of this process's viewers got. */
  snapshot: FanoutSnapshot;
  /** `counters` frames these viewers received while connecting (the room's viewer count, pushed to all). */
  countersFrames: number;
}

export interface FanoutCollectResult {
  /** arrival − t0 for each viewer that got the change, ms. */
  latencies: number[];
  /** Viewers open when the round was armed that did not get it in time. */
  missing: number;
  open: number;
  unexpected: number;
  closedByServer: number;
  messageBytes: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FanoutClientConfig;
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const mine: number[] = [];
for (let i = config.processIndex; i < config.viewers; i += config.processes) mine.push(i);

interface Expectation {
  type: string;
  productId: string;
  seq: number;
}

interface Frame {
  type?: string;
  seq?: number;
  productId?: string;
  state?: { seq: number; pins: string[]; products: { id: string }[] };
}

/** This process's viewers of one server. */
class Audience {
  readonly sockets: (WebSocket | undefined)[] = [];
  readonly arrivals = new Float64Array(mine.length).fill(Number.NaN);
  readonly ready = new Uint8Array(mine.length);
  expected: Expectation | null = null;
  received = 0;
  unexpected = 0;
  closedByServer = 0;
  messageBytes = 0;
  countersFrames = 0;
  live = 0;
  #closing = false;
  /** Who was open when the round was armed; of them, how many closed since without the change. */
  #armed = new Uint8Array(mine.length);
  #armedOpen = 0;
  #armedGone = 0;
  #onComplete: (() => void) | null = null;

  constructor(readonly url: string) {}

  async connect(): Promise<FanoutConnectResult> {
    const started = now();
    const retries: Record<string, number> = {};
    let snapshot: FanoutSnapshot | undefined;
    for (let start = 0; start < mine.length; start += config.connectBatch) {
      const batch = [];
      for (let k = start; k < Math.min(mine.length, start + config.connectBatch); k++) batch.push(this.#openWithRetries(k, retries));
      for (const s of await Promise.all(batch)) if (!snapshot || s.seq > snapshot.seq) snapshot = s;
    }
    return { viewers: this.live, seconds: (now() - started) / 1000, retries, snapshot: snapshot ?? { seq: 0, pins: [], productIds: [] }, countersFrames: this.countersFrames };
  }

  async #openWithRetries(k: number, retries: Record<string, number>): Promise<FanoutSnapshot> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#open(k);
      } catch (err) {
        const { reason, retryAfterMs } = err as { reason?: string; retryAfterMs?: number };
        const key = reason ?? 'error';
        retries[key] = (retries[key] ?? 0) + 1;
        if (attempt >= 30) throw new Error(`viewer ${mine[k]}: gave up after ${attempt} attempts (last: ${key})`);
        // As the viewer page does: wait what the server asked (capped), with jitter, and try again.
        await sleep(Math.min(retryAfterMs ?? 500, 3000) * (0.5 + Math.random()));
      }
    }
  }

  #open(k: number): Promise<FanoutSnapshot> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, { perMessageDeflate: false });
      this.sockets[k] = socket;
      let settled = false;
      let opened = false;
      const fail = (reason: string, retryAfterMs?: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.terminate();
        reject(Object.assign(new Error(reason), { reason, retryAfterMs }));
      };
      const timer = setTimeout(() => fail('no snapshot within 30 s'), 30_000);
      socket.on('unexpected-response', (_req, res) => {
        const retryAfter = Number(res.headers['retry-after']);
        fail(`HTTP ${res.statusCode}`, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
        res.resume();
      });
      socket.on('message', (data: RawData) => {
        const at = now();
        const text = String(data);
        const frame = JSON.parse(text) as Frame;
        if (frame.type === 'snapshot' && frame.state && !settled) {
          settled = true;
          opened = true;
          clearTimeout(timer);
          this.ready[k] = 1;
          this.live++;
          resolve({ seq: frame.state.seq, pins: frame.state.pins, productIds: frame.state.products.map((p) => p.id) });
          return;
        }
        if (frame.type === 'pinned' || frame.type === 'unpinned') this.#onChange(k, frame, at, Buffer.byteLength(text));
        else if (frame.type === 'counters') this.countersFrames++;
      });
      socket.on('error', (err) => fail(err.message));
      socket.on('close', () => {
        // A socket given up on before its snapshot (and replaced by a retry) is none of our business.
        if (!opened) {
          fail('closed before its snapshot');
          return;
        }
        this.ready[k] = 0;
        this.live--;
        if (!this.#closing) this.closedByServer++;
        if (this.expected && this.#armed[k] && Number.isNaN(this.arrivals[k]!)) this.#armedGone++;
        this.#checkComplete();
      });
    });
  }

  #onChange(k: number, frame: Frame, at: number, bytes: number): void {
    const e = this.expected;
    if (!e || frame.type !== e.type || frame.productId !== e.productId || frame.seq !== e.seq || !Number.isNaN(this.arrivals[k]!)) {
      this.unexpected++;
      return;
    }
    this.arrivals[k] = at;
    if (this.received++ === 0) this.messageBytes = bytes;
    this.#checkComplete();
  }

  #checkComplete(): void {
    if (this.#onComplete && this.received + this.#armedGone >= this.#armedOpen) this.#onComplete();
  }

  expect(e: Expectation): { open: number } {
    this.arrivals.fill(Number.NaN);
    this.received = 0;
    this.#armed.set(this.ready);
    this.#armedOpen = this.live;
    this.#armedGone = 0;
    this.expected = e;
    return { open: this.live };
  }

  async collect(t0: number, timeoutMs: number): Promise<FanoutCollectResult> {
    const unexpected0 = this.unexpected;
    const closed0 = this.closedByServer;
    if (this.received + this.#armedGone < this.#armedOpen) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#onComplete = null;
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, t0 + timeoutMs - now()));
        this.#onComplete = done;
      });
    }
    this.expected = null;
    const latencies: number[] = [];
    let missing = 0;
    for (let k = 0; k < mine.length; k++) {
      const at = this.arrivals[k]!;
      if (!Number.isNaN(at)) latencies.push(Math.round((at - t0) * 1000) / 1000);
      // Open when the round was armed and without the change (closed since, or still waiting).
      else if (this.#armed[k]) missing++;
    }
    return {
      latencies,
      missing,
      open: this.live,
      unexpected: this.unexpected - unexpected0,
      closedByServer: this.closedByServer - closed0,
      messageBytes: this.messageBytes,
    };
  }

  close(): void {
    this.#closing = true;
    for (const s of this.sockets) s?.terminate();
  }
}

// ---- control ----

const audiences = new Map<string, Audience>();

async function perform(path: string, body: Record<string, unknown>): Promise<unknown> {
  if (path === '/clock') return { now: now() };
  const target = String(body.target);
  if (path === '/connect') {
    const url = config.targets[target];
    if (!url) throw new Error(`unknown target ${target}`);
    if (audiences.has(target)) throw new Error(`already connected to ${target}`);
    const audience = new Audience(url);
    audiences.set(target, audience);
    return audience.connect();
  }
  const audience = audiences.get(target);
  if (!audience) throw new Error(`not connected to ${target}`);
  if (path === '/expect') return audience.expect({ type: String(body.type), productId: String(body.productId), seq: Number(body.seq) });
  if (path === '/collect') return audience.collect(Number(body.t0), Number(body.timeoutMs));
  throw new Error(`no such command ${path}`);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST') {
      reply(404, { error: 'not found' });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      reply(400, { error: 'body is not JSON' });
      return;
    }
    perform(req.url ?? '', body).then(
      (result) => reply(200, result),
      (err: unknown) => reply(500, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
});

// The runner's connect requests take as long as the connecting does: never time them out.
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(JSON.stringify({ port, viewers: mine.length }) + '\n');
});

exitWithParent(() => {
  for (const a of audiences.values()) a.close();
  server.close();
  process.exit(0);
});
