/**
 * A minimal WebSocket client (RFC 6455) over `node:net`, for load generation only.
 *
 * The chat fan-out benchmark's viewers receive ~0.9 GB/s of frames on a 2-core machine; with the
 * `ws` client, receiving them (its Receiver assembling each ~22 kB frame, buffer copies, garbage
 * collection) took more CPU than the servers under test. This client reads every socket into one
 * buffer shared by the process (`onread`: no allocation per read) and parses frames in place, and it
 * can stream the payload of chosen messages to a callback instead of assembling them: a viewer that
 * only counts chat messages never copies a byte.
 *
 * What it does: the HTTP/1.1 upgrade (no extensions, so no permessage-deflate; `Sec-WebSocket-Accept`
 * checked), text/binary messages (fragmented ones too), ping → pong, the closing handshake, masked
 * client frames. What it does not: TLS, redirects, subprotocols, UTF-8 validation, size limits.
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import net from 'node:net';

/** RFC 6455 §1.3 (its example: key dGhlIHNhbXBsZSBub25jZQ== → accept s3pPLMBiTxaQ9kYGzzhZRbK+xOo=). */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Messages whose payload starts with `prefix` are handed over piece by piece as their bytes arrive
 * (the prefix itself is not): `start()`, then `data()` any number of times, then `end()`. Other
 * messages go to `onmessage` whole.
 */
export interface MessageStream {
  readonly prefix: Buffer;
  start(): void;
  /** The next payload bytes: buf[from, to). Only valid during the call (the buffer is reused). */
  data(buf: Buffer, from: number, to: number): void;
  end(): void;
}

export interface LeanOptions {
  stream?: MessageStream;
  /** Fail if the upgrade has not completed by then (default: no limit, as `ws`). */
  handshakeTimeoutMs?: number;
}

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

/** One read buffer for every socket of the process: reads are handled synchronously, one at a time. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** How the current data message's payload is taken: not known yet (a streamed message's prefix is incomplete), streamed, assembled. */
const UNDECIDED = 0;
const STREAM = 1;
const FULL = 2;

export class LeanWebSocket {
  readyState = CONNECTING;
  onopen: () => void = () => {};
  onmessage: (data: Buffer, isBinary: boolean) => void = () => {};
  /** Once, when the TCP connection is gone. code 1005: no status received; 1006: no close frame. */
  onclose: (code: number, reason: string) => void = () => {};
  onerror: (err: Error) => void = () => {};

  readonly #socket: net.Socket;
  readonly #key = randomBytes(16).toString('base64');
  readonly #stream: MessageStream | undefined;
  #handshake: Buffer | undefined = Buffer.alloc(0);
  #handshakeTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #closeCode = 1006;
  #closeReason = '';
  #closeSent = false;
  #errored = false;
  /** Frames are read from the upgrade until a close frame, an error or terminate() (after close() too: the server's close frame is awaited). */
  #reading = false;

  // frame header
  readonly #header = Buffer.alloc(14);
  #headerHave = 0;
  #inPayload = false;
  #fin = false;
  #opcode = 0;
  #remaining = 0;
  // control frame payload (≤ 125 bytes)
  #control: Buffer = Buffer.alloc(0);
  #controlHave = 0;
  // data message
  #msgOpcode = 0;
  #mode: number = FULL;
  readonly #prefixAcc: Buffer;
  #prefixHave = 0;
  #parts: Buffer[] = [];
  #frameBuf: Buffer = Buffer.alloc(0);
  #frameHave = 0;

  constructor(url: string, options: LeanOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'ws:') throw new Error(`lean-ws: only ws: URLs (got ${u.protocol})`);
    this.#stream = options.stream;
    this.#prefixAcc = Buffer.alloc(options.stream?.prefix.length ?? 0);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.#socket = net.connect({
      host,
      port: Number(u.port || 80),
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number) => {
          this.#onRead(READ_BUFFER, n);
          return true;
        },
      },
    });
    this.#socket.setNoDelay(true);
    this.#socket.on('connect', () => {
      this.#socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${this.#key}\r\n\r\n`,
      );
    });
    this.#socket.on('error', (err) => this.#fail(err));
    this.#socket.on('close', () => this.#onSocketClose());
    if (options.handshakeTimeoutMs !== undefined) {
      this.#handshakeTimer = setTimeout(() => this.#fail(new Error('lean-ws: handshake timed out')), options.handshakeTimeoutMs);
    }
  }

  /** A masked text frame; dropped unless open. */
  send(text: string): void {
    if (this.readyState !== OPEN) return;
    this.#socket.write(frame(0x1, Buffer.from(text, 'utf8')));
  }

  /** The closing handshake: a close frame now, the TCP connection ends once the server answers (or in 5 s). */
  close(code = 1000): void {
    if (this.readyState === CONNECTING) return this.terminate();
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    this.#sendClose(code);
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), 5000);
  }

  terminate(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this.#reading = false;
    this.#socket.destroy();
  }

  // ---- internals ----

  #sendClose(code: number | undefined): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    let payload = Buffer.alloc(0);
    if (code !== undefined) {
      payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
    }
    this.#socket.write(frame(0x8, payload));
  }

  #fail(err: Error): void {
    if (this.#errored || this.readyState === CLOSED) return;
    this.#errored = true;
    this.#reading = false;
    this.readyState = CLOSING;
    this.#socket.destroy();
    this.onerror(err);
  }

  #onSocketClose(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#closeTimer);
    this.onclose(this.#closeCode, this.#closeReason);
  }

  #onRead(buf: Buffer, n: number): void {
    if (this.#reading) {
      this.#parse(buf, 0, n);
      return;
    }
    // After a close frame, an error or terminate(): the rest is ignored.
    if (this.readyState !== CONNECTING || this.#handshake === undefined) return;
    // Upgrade response: copy (the read buffer is shared) until the blank line.
    const head = Buffer.concat([this.#handshake, buf.subarray(0, n)]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 16 * 1024) this.#fail(new Error('lean-ws: upgrade response too long'));
      else this.#handshake = head;
      return;
    }
    this.#handshake = undefined;
    clearTimeout(this.#handshakeTimer);
    const problem = this.#checkUpgrade(head.toString('latin1', 0, end));
    if (problem) {
      this.#fail(new Error(`lean-ws: ${problem}`));
      return;
    }
    this.readyState = OPEN;
    this.#reading = true;
    this.onopen();
    // Frames that came with the response.
    if (end + 4 < head.length && this.#reading) this.#parse(head, end + 4, head.length);
  }

  #checkUpgrade(text: string): string | undefined {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
    if (!status || status[1] !== '101') return `unexpected response: ${lines[0] ?? ''}`;
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return 'no Upgrade: websocket';
    const accept = createHash('sha1').update(this.#key + GUID).digest('base64');
    if (headers.get('sec-websocket-accept') !== accept) return 'wrong Sec-WebSocket-Accept';
    if (headers.has('sec-websocket-extensions')) return 'server chose an extension, none was offered';
    if (headers.has('sec-websocket-protocol')) return 'server chose a subprotocol, none was offered';
    return undefined;
  }

  /** Frames in buf[i, end): any number, the first and last possibly cut by the TCP reads. */
  #parse(buf: Buffer, i: number, end: number): void {
    while (i < end) {
      if (!this.#inPayload) {
        i = this.#readHeader(buf, i, end);
        if (!this.#inPayload) return; // header incomplete, or the connection failed
        if (this.#remaining === 0) {
          this.#frameEnd();
          if (!this.#reading) return;
          continue;
        }
      }
      const take = Math.min(this.#remaining, end - i);
      if (this.#opcode >= 0x8) {
        buf.copy(this.#control, this.#controlHave, i, i + take);
        this.#controlHave += take;
      } else if (this.#mode === STREAM) {
        this.#stream!.data(buf, i, i + take);
      } else if (this.#mode === FULL) {
        buf.copy(this.#frameBuf, this.#frameHave, i, i + take);
        this.#frameHave += take;
      } else {
        i = this.#decide(buf, i, i + take);
        if (!this.#reading) return;
        continue;
      }
      i += take;
      this.#remaining -= take;
      if (this.#remaining === 0) this.#frameEnd();
      // A close frame, an error, or a callback that terminated the socket: nothing more is read.
      if (!this.#reading) return;
    }
  }

  /** Reads (the rest of) a frame header from buf[i, end); returns where it stopped. */
  #readHeader(buf: Buffer, i: number, end: number): number {
    const h = this.#header;
    // Up to 2 bytes first (to know the header's length), then the rest of it.
    while (this.#headerHave < 2 && i < end) h[this.#headerHave++] = buf[i++]!;
    if (this.#headerHave < 2) return i;
    const len7 = h[1]! & 0x7f;
    const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
    while (this.#headerHave < need && i < end) h[this.#headerHave++] = buf[i++]!;
    if (this.#headerHave < need) return i;
    this.#headerHave = 0;

    const fin = (h[0]! & 0x80) !== 0;
    const opcode = h[0]! & 0x0f;
    if (h[0]! & 0x70) return this.#bad('reserved bits set (no extension was negotiated)', i);
    if (h[1]! & 0x80) return this.#bad('masked frame from the server', i);
    let length = len7;
    if (len7 === 126) length = h.readUInt16BE(2);
    else if (len7 === 127) {
      const high = h.readUInt32BE(2);
      if (high > 0x1fffff) return this.#bad('frame too long', i);
      length = high * 2 ** 32 + h.readUInt32BE(6);
    }
    if (opcode >= 0x8) {
      if (!fin || length > 125) return this.#bad('bad control frame', i);
      if (opcode !== 0x8 && opcode !== 0x9 && opcode !== 0xa) return this.#bad(`opcode ${opcode}`, i);
      if (this.#control.length < length) this.#control = Buffer.alloc(125);
      this.#controlHave = 0;
    } else {
      if (opcode === 0x0) {
        if (this.#msgOpcode === 0) return this.#bad('continuation without a message', i);
      } else if (opcode === 0x1 || opcode === 0x2) {
        if (this.#msgOpcode !== 0) return this.#bad('new message inside a fragmented one', i);
        this.#msgOpcode = opcode;
        this.#parts = [];
        this.#prefixHave = 0;
        this.#mode = this.#stream && this.#stream.prefix.length > 0 ? UNDECIDED : FULL;
      } else return this.#bad(`opcode ${opcode}`, i);
      if (this.#mode === FULL) this.#allocFrame(length);
    }
    this.#fin = fin;
    this.#opcode = opcode;
    this.#remaining = length;
    this.#inPayload = true;
    return i;
  }

  #allocFrame(length: number): void {
    this.#frameBuf = Buffer.allocUnsafe(length);
    this.#frameHave = 0;
  }

  /**
   * A streamed message's first bytes, buf[i, to) (to ≤ the end of this frame): do they match the
   * prefix? In place when the whole prefix is in this read; otherwise collected across reads and
   * frames. Returns where parsing goes on.
   */
  #decide(buf: Buffer, i: number, to: number): number {
    const prefix = this.#stream!.prefix;
    if (this.#prefixHave === 0 && to - i >= prefix.length) {
      if (buf.compare(prefix, 0, prefix.length, i, i + prefix.length) === 0) {
        this.#mode = STREAM;
        this.#stream!.start();
        this.#remaining -= prefix.length;
        i += prefix.length;
        if (this.#remaining === 0) this.#frameEnd();
        return i;
      }
      this.#mode = FULL;
      this.#allocFrame(this.#remaining);
      return i;
    }
    const take = Math.min(prefix.length - this.#prefixHave, to - i);
    buf.copy(this.#prefixAcc, this.#prefixHave, i, i + take);
    this.#prefixHave += take;
    this.#remaining -= take;
    i += take;
    if (this.#prefixHave === prefix.length) {
      if (this.#prefixAcc.equals(prefix)) {
        this.#mode = STREAM;
        this.#stream!.start();
      } else {
        this.#mode = FULL;
        this.#parts.push(Buffer.from(this.#prefixAcc));
        this.#allocFrame(this.#remaining);
      }
    }
    if (this.#remaining === 0) this.#frameEnd();
    return i;
  }

  #frameEnd(): void {
    this.#inPayload = false;
    const opcode = this.#opcode;
    if (opcode >= 0x8) return this.#controlFrame(opcode, this.#control.subarray(0, this.#controlHave));
    if (this.#mode === FULL) this.#parts.push(this.#frameBuf);
    if (!this.#fin) return;
    // A message shorter than the prefix: what was collected is all of it.
    if (this.#mode === UNDECIDED) this.#parts.push(Buffer.from(this.#prefixAcc.subarray(0, this.#prefixHave)));
    const msgOpcode = this.#msgOpcode;
    this.#msgOpcode = 0;
    if (this.#mode === STREAM) {
      this.#stream!.end();
      return;
    }
    const parts = this.#parts;
    this.#parts = [];
    this.#frameBuf = Buffer.alloc(0);
    this.onmessage(parts.length === 1 ? parts[0]! : Buffer.concat(parts), msgOpcode === 0x2);
  }

  #controlFrame(opcode: number, payload: Buffer): void {
    if (opcode === 0x9) {
      if (this.readyState === OPEN) this.#socket.write(frame(0xa, Buffer.from(payload)));
    } else if (opcode === 0x8) {
      if (payload.length === 1) return this.#protocolError('close frame of 1 byte');
      this.#closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#closeReason = payload.toString('utf8', 2);
      // Answer with the same code (none if none), then end our side; the server ends its side.
      this.#sendClose(payload.length >= 2 ? this.#closeCode : undefined);
      this.readyState = CLOSING;
      this.#reading = false;
      this.#socket.end();
      this.#closeTimer ??= setTimeout(() => this.#socket.destroy(), 5000);
    }
    // pong: nothing to do
  }

  #bad(why: string, i: number): number {
    this.#protocolError(why);
    return i;
  }

  #protocolError(why: string): void {
    this.#closeCode = 1002;
    if (this.readyState === OPEN) this.#sendClose(1002);
    this.#fail(new Error(`lean-ws: ${why}`));
  }
}

export function connect(url: string, options?: LeanOptions): LeanWebSocket {
  return new LeanWebSocket(url, options);
}

/** A client frame: FIN, the opcode, the length, a random mask and the masked payload. */
function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  if (maskAt + 4 > MASKS.length) {
    randomFillSync(MASKS);
    maskAt = 0;
  }
  const base = head + 4;
  MASKS.copy(out, head, maskAt, maskAt + 4);
  maskAt += 4;
  for (let k = 0; k < n; k++) out[base + k] = payload[k]! ^ out[head + (k & 3)]!;
  return out;
}

/** Masks: random bytes drawn 4 kB at a time (a call into the CSPRNG per frame showed in profiles). */
const MASKS = Buffer.alloc(4096);
let maskAt = MASKS.length;

/**
 * Counts `mark` in streamed messages as the bytes arrive, without assembling them: after a hit the
 * next `skip` bytes (from the hit's start) are not searched. The same count as, on the whole payload
 * after the prefix: `at = indexOf(mark); while (at >= 0) { n++; at = indexOf(mark, at + skip) }`.
 * A mark cut by a read boundary is found through the last mark.length − 1 bytes kept from the read
 * before. `onCount(n)` once per message, at its end.
 */
export class MarkCounter implements MessageStream {
  readonly #mark: Buffer;
  readonly #shift: Uint8Array;
  readonly #skip: number;
  /** Bytes of the message seen so far (after the prefix), and where the next hit may start. */
  #pos = 0;
  #next = 0;
  #n = 0;
  /** The last bytes seen (at most mark.length − 1), those at or after #next: positions [#pos − #carryLen, #pos). */
  readonly #carry: Buffer;
  #carryLen = 0;
  readonly #join: Buffer;

  constructor(
    readonly prefix: Buffer,
    mark: string,
    skip: number,
    readonly onCount: (n: number) => void,
  ) {
    if (skip < 1) throw new Error('skip must be ≥ 1');
    this.#mark = Buffer.from(mark, 'latin1');
    if (this.#mark.length === 0) throw new Error('empty mark');
    // Horspool: how far the window may move when its last byte is c.
    this.#shift = new Uint8Array(256).fill(Math.min(this.#mark.length, 255));
    for (let k = 0; k < this.#mark.length - 1; k++) this.#shift[this.#mark[k]!] = Math.min(this.#mark.length - 1 - k, 255);
    this.#skip = skip;
    this.#carry = Buffer.alloc(Math.max(0, this.#mark.length - 1));
    this.#join = Buffer.alloc(this.#carry.length * 2);
  }

  start(): void {
    this.#pos = this.#next = this.#n = this.#carryLen = 0;
  }

  data(buf: Buffer, from: number, to: number): void {
    const m = this.#mark.length;
    const len = to - from;
    const pos = this.#pos;
    // A mark starting in the carry and ending in this read.
    if (this.#carryLen > 0) {
      const c = this.#carryLen;
      const joinLen = c + Math.min(len, m - 1);
      this.#carry.copy(this.#join, 0, 0, c);
      buf.copy(this.#join, c, from, from + joinLen - c);
      const joinStart = pos - c;
      let at = this.#join.indexOf(this.#mark, Math.max(0, this.#next - joinStart));
      while (at >= 0 && at < c && at + m <= joinLen) {
        this.#n++;
        this.#next = joinStart + at + this.#skip;
        at = this.#join.indexOf(this.#mark, this.#next - joinStart);
      }
    }
    // Marks inside this read: Horspool's search over the bytes in place. (A Latin-1 string per read
    // with String#indexOf searched as fast, ~6 µs per 22 kB frame, but allocated the whole stream
    // again as strings: 30 % of a client's profile was garbage collection; Buffer#indexOf is a
    // call into C++ per hit, about twice as slow.)
    let at = horspool(buf, from + Math.max(this.#next - pos, 0), to, this.#mark, this.#shift);
    while (at >= 0) {
      this.#n++;
      this.#next = pos + (at - from) + this.#skip;
      at = horspool(buf, at + this.#skip, to, this.#mark, this.#shift);
    }
    // Keep the last m − 1 bytes (of the carry and this read) that a later hit could start at.
    const end = pos + len;
    const keepFrom = Math.max(end - (m - 1), this.#next);
    if (keepFrom >= end) this.#carryLen = 0;
    else {
      const keep = end - keepFrom;
      if (keep <= len) buf.copy(this.#carry, 0, to - keep, to);
      else {
        // Short read: part of the old carry stays.
        const fromCarry = keep - len;
        this.#carry.copy(this.#carry, 0, this.#carryLen - fromCarry, this.#carryLen);
        buf.copy(this.#carry, fromCarry, from, to);
      }
      this.#carryLen = keep;
    }
    this.#pos = end;
  }

  end(): void {
    this.onCount(this.#n);
  }
}

/** The first `mark` in buf[from, to), or −1 (Horspool: `shift[c]`, how far the window moves when its last byte is c). */
function horspool(buf: Uint8Array, from: number, to: number, mark: Uint8Array, shift: Uint8Array): number {
  const last = mark.length - 1;
  const lastByte = mark[last]!;
  const first = mark[0]!;
  for (let i = from + last; i < to; ) {
    const c = buf[i]!;
    if (c === lastByte && buf[i - last] === first) {
      const at = i - last;
      let k = 1;
      while (k < last && buf[at + k] === mark[k]) k++;
      if (k >= last) return at;
    }
    i += shift[c]!;
  }
  return -1;
}
