/**
 * A broadcast's WebSocket frame, built once and written as is to every viewer's connection.
 *
 * `ws` frames each `send` anew (a header buffer, a corked pair of writes) — a few microseconds per
 * socket that, for one pin to a 10,000-viewer room, add up to tens of milliseconds of the node's
 * time before the last viewer hears of it. A server's text frame is the same bytes for every
 * connection (RFC 6455 §5.2: FIN + opcode, a length, the unmasked payload), so it is built once
 * here and handed to each connection's TCP socket in one write.
 *
 * Only for connections where that is exactly what `ws` would write: no extension negotiated (with
 * permessage-deflate a frame would be compressed per connection), and the connection's socket at
 * hand. Everything else goes through `ws.send`.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** One final, unmasked text frame holding `payload` (UTF-8 bytes). */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  let header: Buffer;
  if (n < 126) {
    header = Buffer.from([0x81, n]);
  } else if (n < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([header, payload], header.length + n);
}

/** The fields of a `ws` connection this relies on (stable across ws 8; checked before each use). */
interface WsInternals {
  _socket?: Duplex | null;
  _extensions?: Record<string, unknown>;
}

/**
 * The TCP socket to write prebuilt frames to, or undefined when frames must go through `ws.send`
 * (an extension was negotiated, or the socket is gone).
 */
export function framedSocketOf(socket: WebSocket): Duplex | undefined {
  const ws = socket as unknown as WsInternals;
  if (!ws._extensions) return undefined;
  // Asked per viewer per broadcast: a loop over the (usually empty) extensions allocates nothing.
  for (const _name in ws._extensions) return undefined;
  const raw = ws._socket;
  return raw && !raw.destroyed && raw.writable ? raw : undefined;
}
