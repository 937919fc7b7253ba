/**
 * One load-generator process of the chat fan-out benchmark (bench/chat-fanout.ts): a share of the
 * audience as WebSocket clients, some of which also send chat messages at a fixed rate.
 *
 * The clients are bench/lean-ws.ts, a minimal RFC 6455 client over `node:net`, not `ws`: at 2,000
 * messages/s to 2,000 viewers (~0.9 GB/s of ~22 kB frames) the `ws` client's receive path (its
 * Receiver assembling every frame, the buffer copies and their garbage collection) took the two
 * load-generator processes 1.3–1.8 of the machine's 2 cores, so the load generator, not the server,
 * was the limit. lean-ws reads every socket into one shared buffer and lets a counting viewer scan
 * a chat frame's bytes as they arrive without assembling it. The servers see the same thing as
 * before: real WebSocket connections (upgrade, masked client frames, pongs, the closing handshake),
 * no compression offered, as `ws` was configured.
 *
 * Viewer i (0 ≤ i < viewers) lives in process i mod processes. Each process holds its viewers'
 * sockets to every target server (Qingliu and the bare baseline), so the two audiences are identical.
 *
 *  - Every viewer counts the chat messages it receives: a frame starting with
 *    `{"type":"chat_message` (one message, or `chat_messages`: several) holds one `{"id":"` per
 *    message, counted on the raw bytes as they arrive (lean-ws's MarkCounter: the frame is never
 *    assembled), without decoding, parsing or UTF-8 validation; the count is added when the frame
 *    is complete.
 *  - Probes (a sample of viewers) parse every frame fully and record, for each message, the
 *    latency now − sentAt, where sentAt is written into the message's text by its sender. Both are
 *    `performance.timeOrigin + performance.now()` (ms since the epoch, µs resolution), in this
 *    process or another one on the same machine.
 *  - Senders post `chat_send` frames, round-robin at a fixed total rate (open loop: a 5 ms ticker
 *    sends whatever is due), and count acks and errors.
 *
 * Control over HTTP on 127.0.0.1 (the parent's one keep-alive connection):
 *   POST /jobs {kind:'settle', timeoutMs}                     wait until no chat frame arrived for 2 s
 *   POST /jobs {kind:'connect', target}                       open the sockets, each ready at chat_history (again: reopen those the server closed)
 *   POST /jobs {kind:'run', target, startAt, warmupMs, measureMs, rate}   send, then wait for the acks
 *   POST /jobs {kind:'drain', target, expected, exact, timeoutMs}   wait for the last frames (see drain)
 *   GET  /jobs/:id                                            { done, result?, error? }
 * argv[2]: JSON { processIndex, processes, viewers, senders, probes, targets: { key: wsUrl } }.
 * Prints { port } on stdout when ready.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { connect, MarkCounter, OPEN, type LeanWebSocket } from './lean-ws.js';
import { exitWithParent } from './lib.js';

export interface ClientConfig {
  processIndex: number;
  processes: number;
  viewers: number;
  senders: number;
  probes: number;
  targets: Record<string, string>;
}

/** Latency histogram: 0.1 ms bins, sparse ([bin, count] pairs), plus exact count, sum and max. */
export interface Histogram {
  binMs: number;
  bins: Array<[number, number]>;
  count: number;
  sumMs: number;
  maxMs: number;
}

export interface ConnectResult {
  viewers: number;
  seconds: number;
}

export interface RunResult {
  /** chat_send frames written, all of the run; and during the measured window. */
  sent: number;
  sentMeasured: number;
  acked: number;
  errors: Record<string, number>;
  /** The errors naming a message sent during the measured window (the rest came in the warm-up). */
  errorsMeasured: Record<string, number>;
  /** Seconds from the run's start to the first and the last send refused with a named error (null: none). */
  refusedFrom: number | null;
  refusedTo: number | null;
  /** Sends still without an ack or error when the run gave up waiting. */
  unanswered: number;
  /** How late the ticker wrote a message after it was due (ms): a busy load generator. */
  sendLag: Histogram;
  /** chat_send → chat_ack at the sender. */
  ack: Histogram;
  /** Window bounds, ms since the epoch (this process's clock). */
  measureStart: number;
  measureEnd: number;
}

export interface DrainResult {
  /** Viewers open when the run started (the only ones counted). */
  viewers: number;
  /** Viewers still open at the end of the drain. */
  open: number;
  closedDuringRun: number;
  /** Messages each of those viewers counted over the run. */
  counts: number[];
  /**
   * Ids of the messages this process knows were broadcast: acknowledged to its senders, or seen by
   * its probes. The parent's union over processes is the number of messages every viewer should get
   * (acks alone undercount it when a sender's socket is dropped before its acks arrive).
   */
  ids: string[];
  drainMs: number;
  /** Probes only: */
  probes: number;
  latency: Histogram;
  /** Same as latency, split: sender in this process (same clock) or another process. */
  latencySameProcess: Histogram;
  /** sentAt → the server's `at` (Date.now() there, 1 ms resolution), and the server's `at` → arrival. */
  toServer: Histogram;
  fromServer: Histogram;
  probeFrames: number;
  probeMessages: number;
  probeBytes: number;
  duplicates: number;
  /** Frames every viewer received (chat frames only). */
  chatFrames: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ClientConfig;
const now = (): number => performance.timeOrigin + performance.now();

// ---- histograms ----

class Hist {
  readonly counts = new Map<number, number>();
  count = 0;
  sum = 0;
  max = 0;
  constructor(readonly binMs = 0.1) {}
  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const bin = Math.floor(v / this.binMs);
    this.counts.set(bin, (this.counts.get(bin) ?? 0) + 1);
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }
  toJSON(): Histogram {
    return { binMs: this.binMs, bins: [...this.counts.entries()].sort((a, b) => a[0] - b[0]), count: this.count, sumMs: this.sum, maxMs: this.max };
  }
}

// ---- who is who ----

/**
 * Global indices of the senders and probes: spread evenly over the audience, and so over connection
 * order. Probe k is moved to the nearest following index in process k mod processes, so the probes'
 * parsing is shared by the processes (evenly spaced indices alone can all share one parity: at
 * 2,000 viewers and 100 probes every one of them was even, and one process parsed every frame).
 */
function roles(viewers: number, senders: number, probes: number, processes: number): { senders: Set<number>; probes: Set<number> } {
  const s = new Set<number>();
  for (let k = 0; k < senders; k++) s.add(Math.floor((k * viewers) / senders));
  const p = new Set<number>();
  for (let k = 0; k < probes; k++) {
    const at = Math.floor(((k + 0.5) * viewers) / probes);
    const shift = (((k - at) % processes) + processes) % processes;
    p.add(Math.min(viewers - 1, at + shift));
  }
  return { senders: s, probes: p };
}

const role = roles(config.viewers, config.senders, config.probes, config.processes);
const mine: number[] = [];
for (let i = config.processIndex; i < config.viewers; i += config.processes) mine.push(i);

const PHRASES = ['主播好', '这个有现货吗', '想要这个颜色', '已下单', '宝宝六个月能用吗', '好看', 'hi from Shanghai', 'is the blue one in stock', '求链接', '链接在哪里', '这个推车多重', 'love it', '发什么快递', '666', '第一次来 支持一下'];

// ---- one audience (the viewers of one target server) ----

const CHAT_PREFIX = Buffer.from('{"type":"chat_message');
const ID_MARK = '{"id":"';
/**
 * The shortest chat message serialises to 169 bytes (empty nickname and text), so after one
 * `{"id":"` the next cannot start within 160 bytes: the count skips them instead of scanning them.
 */
const MIN_MESSAGE_BYTES = 160;

interface ChatMsg {
  id: string;
  text: string;
  at: number;
}

class Audience {
  readonly sockets: LeanWebSocket[] = [];
  readonly counts: Float64Array;
  readonly closed: Uint8Array;
  /** Viewers already closed when the current run started (left out of its counts). */
  absent: Uint8Array;
  /** Index into `mine` of each sender, and the sender number (its global index). */
  readonly senders: Array<{ slot: number; global: number; deviceId: string; nickname: string; seq: number }> = [];
  closedDuringRun = 0;
  running = false;
  chatFrames = 0;
  // probes
  probeHist = new Hist();
  sameHist = new Hist();
  toServer = new Hist(1);
  fromServer = new Hist(1);
  probeFrames = 0;
  probeMessages = 0;
  probeBytes = 0;
  duplicates = 0;
  probeSeen: Array<Set<string>> = [];
  windowStart = 0;
  windowEnd = 0;
  // senders
  pending = new Map<string, number>();
  acked = 0;
  ackedIds = new Set<string>();
  /** Error frames naming a message, and error frames that do not (the socket's rate limit, validation). */
  named = 0;
  unnamed = 0;
  errors: Record<string, number> = {};
  errorsMeasured: Record<string, number> = {};
  runStart = 0;
  refusedFrom: number | null = null;
  refusedTo: number | null = null;
  ackHist = new Hist();

  constructor(readonly url: string) {
    this.counts = new Float64Array(mine.length);
    this.closed = new Uint8Array(mine.length);
    this.absent = new Uint8Array(mine.length);
    mine.forEach((global, slot) => {
      if (role.senders.has(global)) {
        this.senders.push({
          slot,
          global,
          deviceId: `bench-chat-device-${String(global).padStart(6, '0')}-${config.processIndex}`,
          nickname: `观众${global}`,
          seq: 0,
        });
      }
    });
  }

  async connect(batch = 100): Promise<void> {
    for (let start = 0; start < mine.length; start += batch) {
      const opening = [];
      for (let slot = start; slot < Math.min(mine.length, start + batch); slot++) opening.push(this.#open(slot));
      await Promise.all(opening);
    }
  }

  /** Opens again the viewers the server closed (as real viewers reconnect); returns how many came back. */
  async reconnect(batch = 100): Promise<{ closed: number; reconnected: number }> {
    const slots: number[] = [];
    for (let slot = 0; slot < mine.length; slot++) if (this.closed[slot]) slots.push(slot);
    let reconnected = 0;
    for (let i = 0; i < slots.length; i += batch) {
      const opened = await Promise.allSettled(slots.slice(i, i + batch).map((slot) => this.#open(slot)));
      reconnected += opened.filter((o) => o.status === 'fulfilled').length;
    }
    return { closed: slots.length, reconnected };
  }

  #open(slot: number): Promise<void> {
    const global = mine[slot]!;
    const probe = role.probes.has(global);
    const sender = role.senders.has(global);
    if (probe) this.probeSeen[slot] = new Set();
    return new Promise((resolve, reject) => {
      // The load generator trusts the servers' UTF-8 (a page would check it): its CPU is the scarce part here.
      // A counting viewer's chat frames (payload starting with CHAT_PREFIX) stream through its
      // MarkCounter and never reach onmessage; a probe gets them whole.
      const socket = connect(this.url, probe ? {} : { stream: new MarkCounter(CHAT_PREFIX, ID_MARK, MIN_MESSAGE_BYTES, (n) => this.#counted(slot, n)) });
      this.sockets[slot] = socket;
      let ready = false;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`viewer ${global}: no chat_history within 60 s`));
      }, 60_000);
      socket.onmessage = (buf: Buffer) => {
        if (buf.length >= CHAT_PREFIX.length && buf.compare(CHAT_PREFIX, 0, CHAT_PREFIX.length, 0, CHAT_PREFIX.length) === 0) {
          // Only a probe's (a counting viewer's are streamed).
          this.#probe(slot, buf);
          return;
        }
        if (!ready) {
          if (buf.includes('"type":"chat_history"')) {
            ready = true;
            this.closed[slot] = 0;
            clearTimeout(timer);
            resolve();
          }
          return;
        }
        if (sender) this.#senderFrame(buf);
      };
      socket.onerror = (err) => {
        if (ready) return;
        clearTimeout(timer);
        reject(new Error(`viewer ${global}: ${err.message}`));
      };
      socket.onclose = () => {
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`viewer ${global}: closed before its chat history`));
          return;
        }
        this.closed[slot] = 1;
        if (this.running) this.closedDuringRun++;
      };
    });
  }

  /**
   * A counting viewer's chat frame is complete: n = the `{"id":"` in its payload after CHAT_PREFIX,
   * searching again MIN_MESSAGE_BYTES after each hit (MarkCounter, over the bytes as they came).
   */
  #counted(slot: number, n: number): void {
    lastChatFrameAt = performance.now();
    this.counts[slot]! += n;
    this.chatFrames++;
  }

  #probe(slot: number, buf: Buffer): void {
    lastChatFrameAt = performance.now();
    const arrived = now();
    const frame = JSON.parse(buf.toString('utf8')) as { type: string; message?: ChatMsg; messages?: ChatMsg[] };
    const messages = frame.type === 'chat_messages' ? (frame.messages ?? []) : frame.message ? [frame.message] : [];
    const seen = this.probeSeen[slot]!;
    for (const m of messages) {
      if (seen.has(m.id)) this.duplicates++;
      else seen.add(m.id);
      // "<phrase> #<sender>-<seq> <sentAt>": the sender's process is the sender's index mod processes.
      const space = m.text.lastIndexOf(' ');
      const sentAt = Number(m.text.slice(space + 1));
      if (!(sentAt >= this.windowStart && sentAt < this.windowEnd)) continue;
      const latency = arrived - sentAt;
      this.probeHist.add(latency);
      const hash = m.text.lastIndexOf('#');
      const senderIndex = Number(m.text.slice(hash + 1, m.text.indexOf('-', hash)));
      if (senderIndex % config.processes === config.processIndex) this.sameHist.add(latency);
      this.toServer.add(m.at - sentAt);
      this.fromServer.add(arrived - m.at);
    }
    this.counts[slot]! += messages.length;
    this.chatFrames++;
    this.probeFrames++;
    this.probeMessages += messages.length;
    this.probeBytes += buf.length;
  }

  #senderFrame(buf: Buffer): void {
    const arrived = now();
    const frame = JSON.parse(buf.toString('utf8')) as { type: string; clientEventId?: string; code?: string; messageId?: string };
    if (frame.clientEventId === undefined) {
      // The socket's own rate limit answers without naming the message it refused.
      if (frame.type === 'error') {
        const key = `${frame.code ?? 'error'} (unnamed)`;
        this.errors[key] = (this.errors[key] ?? 0) + 1;
        this.unnamed++;
      }
      return;
    }
    const sentAt = this.pending.get(frame.clientEventId);
    if (sentAt === undefined) return;
    this.pending.delete(frame.clientEventId);
    if (frame.type === 'chat_ack') {
      this.acked++;
      if (frame.messageId) this.ackedIds.add(frame.messageId);
      if (sentAt >= this.windowStart && sentAt < this.windowEnd) this.ackHist.add(arrived - sentAt);
    } else {
      const code = frame.code ?? frame.type;
      this.errors[code] = (this.errors[code] ?? 0) + 1;
      if (sentAt >= this.windowStart && sentAt < this.windowEnd) this.errorsMeasured[code] = (this.errorsMeasured[code] ?? 0) + 1;
      // Answers may come out of send order: keep the span's ends.
      const at = (sentAt - this.runStart) / 1000;
      this.refusedFrom = this.refusedFrom === null ? at : Math.min(this.refusedFrom, at);
      this.refusedTo = this.refusedTo === null ? at : Math.max(this.refusedTo, at);
      this.named++;
    }
  }

  /** Sends at `rate` messages/s in all (this process's share), from startAt for warmupMs + measureMs. */
  async run(startAt: number, warmupMs: number, measureMs: number, rate: number): Promise<RunResult> {
    this.counts.fill(0);
    this.chatFrames = 0;
    this.closedDuringRun = 0;
    this.probeHist = new Hist();
    this.sameHist = new Hist();
    this.toServer = new Hist(1);
    this.fromServer = new Hist(1);
    this.probeFrames = this.probeMessages = this.probeBytes = this.duplicates = 0;
    for (const s of this.probeSeen) s?.clear();
    this.pending.clear();
    this.acked = 0;
    this.ackedIds.clear();
    this.named = 0;
    this.unnamed = 0;
    this.errors = {};
    this.errorsMeasured = {};
    this.runStart = startAt;
    this.refusedFrom = this.refusedTo = null;
    this.ackHist = new Hist();
    this.windowStart = startAt + warmupMs;
    this.windowEnd = startAt + warmupMs + measureMs;
    this.absent = this.closed.slice();
    this.running = true;

    const senders = this.senders.filter((s) => !this.closed[s.slot]);
    const myRate = (rate * this.senders.length) / config.senders;
    const endAt = startAt + warmupMs + measureMs;
    const lag = new Hist();
    let sent = 0;
    let sentMeasured = 0;
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const t = now();
        if (t < startAt) return;
        const due = Math.floor((Math.min(t, endAt) - startAt) * (myRate / 1000));
        while (sent < due) {
          const dueAt = startAt + (sent * 1000) / myRate;
          const s = senders[next++ % senders.length]!;
          const sentAt = now();
          const seq = ++s.seq;
          // 8–64 characters [A-Za-z0-9_-]: the room socket's rule for clientEventId.
          const clientEventId = `ev-${String(s.global).padStart(6, '0')}-${seq}`;
          const phrase = PHRASES[(s.global + seq) % PHRASES.length]!;
          const socket = this.sockets[s.slot]!;
          if (socket.readyState === OPEN) {
            this.pending.set(clientEventId, sentAt);
            socket.send(
              JSON.stringify({ type: 'chat_send', clientEventId, deviceId: s.deviceId, nickname: s.nickname, text: `${phrase} #${s.global}-${seq} ${sentAt.toFixed(3)}` }),
            );
          }
          sent++;
          if (sentAt >= this.windowStart && sentAt < this.windowEnd) {
            sentMeasured++;
            lag.add(sentAt - dueAt);
          }
        }
        if (t >= endAt) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 5);
    });
    // Wait for the answers: an ack, or an error frame naming the message. The socket's own rate limit
    // answers without naming it (counted as "unnamed"), so those stay pending. Give up when nothing
    // has been answered for 5 s.
    let answered = -1;
    let lastProgress = now();
    while (this.pending.size > this.unnamed) {
      const count = this.acked + this.named;
      if (count !== answered) {
        answered = count;
        lastProgress = now();
      } else if (now() - lastProgress > 5000) break;
      await sleep(20);
    }
    return {
      sent,
      sentMeasured,
      acked: this.acked,
      errors: this.errors,
      errorsMeasured: this.errorsMeasured,
      refusedFrom: this.refusedFrom,
      refusedTo: this.refusedTo,
      unanswered: Math.max(0, this.pending.size - this.unnamed),
      sendLag: lag.toJSON(),
      ack: this.ackHist.toJSON(),
      measureStart: this.windowStart,
      measureEnd: this.windowEnd,
    };
  }

  /**
   * Waits until every open viewer has at least `expected` messages and nothing more arrived for
   * 300 ms (when `expected` is exact: every send was answered), or nothing arrived at all for 10 s
   * (an overloaded server flushes seconds apart), or timeoutMs.
   */
  async drain(expected: number, exact: boolean, timeoutMs: number): Promise<DrainResult> {
    const started = now();
    let last = -1;
    let lastChange = started;
    for (;;) {
      let received = 0;
      let behind = 0;
      for (let slot = 0; slot < mine.length; slot++) {
        received += this.counts[slot]!;
        if (!this.closed[slot] && this.counts[slot]! < expected) behind++;
      }
      // Viewers the server closed cannot catch up; only open ones are waited for.
      const t = now();
      if (received !== last) {
        last = received;
        lastChange = t;
      }
      if ((exact && behind === 0 && t - lastChange > 300) || t - started > timeoutMs || t - lastChange > 10_000) break;
      await sleep(10);
    }
    const drainMs = now() - started;
    this.running = false;
    const counts: number[] = [];
    let open = 0;
    for (let slot = 0; slot < mine.length; slot++) {
      if (this.absent[slot]) continue;
      counts.push(this.counts[slot]!);
      if (!this.closed[slot]) open++;
    }
    const ids = new Set(this.ackedIds);
    for (const seen of this.probeSeen) if (seen) for (const id of seen) ids.add(id);
    return {
      viewers: counts.length,
      open,
      closedDuringRun: this.closedDuringRun,
      counts,
      ids: [...ids],
      drainMs,
      probes: this.probeSeen.filter(Boolean).length,
      latency: this.probeHist.toJSON(),
      latencySameProcess: this.sameHist.toJSON(),
      toServer: this.toServer.toJSON(),
      fromServer: this.fromServer.toJSON(),
      probeFrames: this.probeFrames,
      probeMessages: this.probeMessages,
      probeBytes: this.probeBytes,
      duplicates: this.duplicates,
      chatFrames: this.chatFrames,
    };
  }

  close(): void {
    for (const s of this.sockets) s?.terminate();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** When any viewer of any audience in this process last got a chat frame (performance.now()). */
let lastChatFrameAt = 0;

/** Waits until no chat frame has arrived for 2 s (the previous round's tail), at most timeoutMs. */
async function settle(timeoutMs: number): Promise<{ waitedMs: number }> {
  const started = performance.now();
  while (performance.now() - lastChatFrameAt < 2000 && performance.now() - started < timeoutMs) await sleep(50);
  return { waitedMs: performance.now() - started };
}

// ---- control ----

const audiences = new Map<string, Audience>();
const jobs = new Map<number, { done: boolean; result?: unknown; error?: string }>();
let jobCount = 0;

type Job =
  | { kind: 'settle'; timeoutMs: number }
  | { kind: 'connect'; target: string }
  | { kind: 'run'; target: string; startAt: number; warmupMs: number; measureMs: number; rate: number }
  | { kind: 'drain'; target: string; expected: number; exact: boolean; timeoutMs: number };

async function perform(job: Job): Promise<unknown> {
  if (job.kind === 'settle') return settle(job.timeoutMs);
  if (job.kind === 'connect') {
    const url = config.targets[job.target];
    if (!url) throw new Error(`unknown target ${job.target}`);
    const existing = audiences.get(job.target);
    if (existing) return existing.reconnect();
    const audience = new Audience(url);
    audiences.set(job.target, audience);
    const started = now();
    await audience.connect();
    return { viewers: mine.length, seconds: (now() - started) / 1000 } satisfies ConnectResult;
  }
  const audience = audiences.get(job.target);
  if (!audience) throw new Error(`not connected to ${job.target}`);
  if (job.kind === 'run') return audience.run(job.startAt, job.warmupMs, job.measureMs, job.rate);
  return audience.drain(job.expected, job.exact, job.timeoutMs);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'POST' && req.url === '/jobs') {
      const id = ++jobCount;
      const entry: { done: boolean; result?: unknown; error?: string } = { done: false };
      jobs.set(id, entry);
      perform(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Job).then(
        (result) => Object.assign(entry, { done: true, result }),
        (err: unknown) => Object.assign(entry, { done: true, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
      reply(202, { id });
      return;
    }
    const match = /^\/jobs\/(\d+)$/.exec(req.url ?? '');
    const entry = match ? jobs.get(Number(match[1])) : undefined;
    if (req.method === 'GET' && entry) {
      reply(200, entry);
      if (entry.done) jobs.delete(Number(match![1]));
      return;
    }
    reply(404, { error: 'not found' });
  });
});

// The parent polls on one keep-alive connection, sometimes after long pauses: never time it out.
server.keepAliveTimeout = 0;
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
