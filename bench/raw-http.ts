/**
 * A lean HTTP/1.1 keep-alive client for open-loop load: requests are written as preformatted bytes
 * on a fixed set of connections (one request at a time per connection, no pipelining) and answers
 * are parsed only as far as the status line, Content-Length and the body. Node's http client costs
 * several times more CPU per request, which on a 2-core machine made the load generator, not the
 * node under test, the limit of how much load could be offered.
 *
 * Only what the node sends is understood: a status line, headers, and a body of Content-Length
 * bytes (no chunked bodies). Anything else fails that connection's request.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RawReply {
  status: number;
  body: string;
  /** From the request being queued to the last byte of its answer. */
  ms: number;
  /** From the same start to the request being written on a connection (waiting for a free connection included). */
  sentMs: number;
}

interface Pending {
  bytes: Buffer;
  queuedAt: number;
  sentAt: number;
  resolve: (reply: RawReply) => void;
  reject: (err: Error) => void;
}

class Connection {
  readonly socket: net.Socket;
  current: Pending | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  constructor(
    host: string,
    port: number,
    private readonly onFree: (c: Connection) => void,
    private readonly onGone: (c: Connection, err: Error) => void,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.#read(chunk));
    this.socket.on('error', (err) => this.#fail(err));
    this.socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  send(p: Pending): void {
    this.current = p;
    p.sentAt = performance.now();
    this.socket.write(p.bytes);
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = this.#buffer.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!lengthMatch || /\r\ntransfer-encoding:/i.test(head)) {
        this.#fail(new Error(`unsupported answer framing (status ${status})`));
        return;
      }
      const length = Number(lengthMatch[1]);
      if (this.#buffer.length < end + 4 + length) return;
      const body = this.#buffer.toString('utf8', end + 4, end + 4 + length);
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      const p = this.current;
      this.current = undefined;
      if (p) {
        const now = performance.now();
        p.resolve({ status, body, ms: now - p.queuedAt, sentMs: p.sentAt - p.queuedAt });
      }
      this.onFree(this);
    }
  }

  #fail(err: Error): void {
    const p = this.current;
    this.current = undefined;
    p?.reject(err);
    this.socket.destroy();
    this.onGone(this, err);
  }
}

export class RawHttpPool {
  readonly #free: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #queue: Pending[] = [];
  #closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connections: number,
  ) {}

  /**
   * Opens the connections, 64 at a time (hundreds of connects at once overflow the listen backlog,
   * and a dropped SYN is retried only after a second). Resolves with how many are open.
   */
  async connect(): Promise<number> {
    while (this.#all.size < this.connections) {
      const batch = Array.from({ length: Math.min(64, this.connections - this.#all.size) }, () => this.#open());
      await Promise.all(batch.map((c) => new Promise<void>((resolve) => {
        c.socket.once('connect', () => resolve());
        c.socket.once('close', () => resolve());
      })));
      if (this.#closed) break;
    }
    return this.#all.size;
  }

  /** Requests waiting for a free connection. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Connections open now. */
  get open(): number {
    return this.#all.size;
  }

  /** Sends `method path` with a JSON body (if any); resolves with the answer, rejects on a transport failure. */
  request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<RawReply> {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\nconnection: keep-alive\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    if (payload) head += `content-type: application/json\r\ncontent-length: ${payload.length}\r\n`;
    const bytes = payload ? Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]) : Buffer.from(`${head}\r\n`, 'latin1');
    return new Promise<RawReply>((resolve, reject) => {
      if (this.#closed) return reject(new Error('pool closed'));
      const p: Pending = { bytes, queuedAt: performance.now(), sentAt: Number.NaN, resolve, reject };
      const c = this.#free.pop();
      if (c) c.send(p);
      else this.#queue.push(p);
    });
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.reject(new Error('pool closed'));
    for (const c of this.#all) c.socket.destroy();
  }

  #open(): Connection {
    const c = new Connection(
      this.host,
      this.port,
      (free) => {
        const next = this.#queue.shift();
        if (next) free.send(next);
        else this.#free.push(free);
      },
      (gone) => {
        if (!this.#all.delete(gone)) return;
        const i = this.#free.indexOf(gone);
        if (i !== -1) this.#free.splice(i, 1);
        if (!this.#closed) this.#open();
      },
    );
    this.#all.add(c);
    c.socket.once('connect', () => {
      const next = this.#queue.shift();
      if (next) c.send(next);
      else this.#free.push(c);
    });
    return c;
  }
}
