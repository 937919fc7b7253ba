/**
 * WebSocket helpers for the live-room suites: connect a viewer, wait for the next message of a type
 * (failing with a clear message on timeout), and close every socket a test opened.
 */
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import type { ServerMessage } from '../../src/modules/live-room/index.js';
import type { ChatMessage } from '../../src/modules/chat/index.js';

export type MessageType = ServerMessage['type'];
export type MessageOf<T extends MessageType> = Extract<ServerMessage, { type: T }>;

export interface Closed {
  code: number;
  reason: string;
}

export interface Viewer {
  readonly socket: WebSocket;
  /** Every message received so far, in arrival order. */
  readonly received: ServerMessage[];
  /**
   * The next not-yet-taken message of this type (and matching `where`), waiting for it if needed.
   * Messages are taken in arrival order, so successive calls walk forward through the stream.
   */
  next<T extends MessageType>(type: T, options?: { where?: (m: MessageOf<T>) => boolean; timeoutMs?: number }): Promise<MessageOf<T>>;
  /** Sends a string as is, or anything else as JSON. */
  send(data: unknown): void;
  /** Resolves when the socket has closed, with the close code and reason. */
  readonly closed: Promise<Closed>;
  close(): Promise<Closed>;
}

const open = new Set<Viewer>();

/** The ws:// base URL of an app listening on a port. */
export function wsBase(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('the app is not listening');
  return `ws://127.0.0.1:${address.port}`;
}

/** Opens the live-room socket of a session; rejects if the upgrade is refused or fails. */
export function connectViewer(app: FastifyInstance, sessionId: string, options: { origin?: string; timeoutMs?: number } = {}): Promise<Viewer> {
  const socket = new WebSocket(`${wsBase(app)}/api/v1/sessions/${sessionId}/live`, options.origin ? { origin: options.origin } : {});
  const received: ServerMessage[] = [];
  const taken = new Set<number>();
  let waiters: (() => void)[] = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  socket.on('message', (data) => {
    received.push(JSON.parse(String(data)) as ServerMessage);
    notify();
  });
  let isClosed = false;
  const closed = new Promise<Closed>((resolve) =>
    socket.once('close', (code, reason) => {
      isClosed = true;
      open.delete(viewer);
      notify();
      resolve({ code, reason: String(reason) });
    }),
  );

  const viewer: Viewer = {
    socket,
    received,
    closed,
    next(type, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 5000;
      return new Promise((resolve, reject) => {
        const look = (): boolean => {
          for (let i = 0; i < received.length; i++) {
            const m = received[i]!;
            if (taken.has(i) || m.type !== type) continue;
            if (opts.where && !opts.where(m as MessageOf<typeof type>)) continue;
            taken.add(i);
            resolve(m as MessageOf<typeof type>);
            return true;
          }
          return false;
        };
        if (look()) return;
        const timer = setTimeout(() => {
          const seen = received.map((m) => m.type).join(', ') || 'nothing';
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for a "${type}" message${opts.where ? ' matching the condition' : ''}` +
                `${isClosed ? ' (the socket is closed)' : ''}; received so far: ${seen}`,
            ),
          );
        }, timeoutMs);
        const retry = () => {
          if (look()) clearTimeout(timer);
          else waiters.push(retry);
        };
        waiters.push(retry);
      });
    },
    send(data) {
      socket.send(typeof data === 'string' ? data : JSON.stringify(data));
    },
    async close() {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close();
      return closed;
    },
  };
  open.add(viewer);

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`the WebSocket to session "${sessionId}" did not open within ${options.timeoutMs ?? 5000} ms`));
    }, options.timeoutMs ?? 5000);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve(viewer);
    });
    let refused = false;
    socket.once('unexpected-response', (_req, res) => {
      refused = true;
      clearTimeout(timer);
      open.delete(viewer);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        reject(Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { statusCode: res.statusCode, body }));
        socket.terminate();
      });
    });
    socket.on('error', (err) => {
      if (refused) return;
      clearTimeout(timer);
      open.delete(viewer);
      reject(err);
    });
  });
}

/** Closes every socket still open (call in afterEach). */
export async function closeAllViewers(): Promise<void> {
  await Promise.all([...open].map((v) => v.close()));
}

/** Polls `probe` (sync or async) every 20 ms until it returns a value, failing with `what` after the timeout. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every chat message a viewer received so far, from single and batched chat frames alike. */
export function chatMessagesIn(v: Viewer): ChatMessage[] {
  return v.received.flatMap((m) => {
    const f = m as unknown as { type: string; message?: ChatMessage; messages?: ChatMessage[] };
    if (f.type === 'chat_message' && f.message) return [f.message];
    if (f.type === 'chat_messages' && f.messages) return f.messages;
    return [];
  });
}
