/**
 * The floor for "HTTP request → fan-out to every socket": a bare `ws` WebSocketServer on node:http,
 * in its own process. No framework, no database, no validation, no auth.
 *
 *   GET    /live            WebSocket: a small snapshot { seq, pins, products }, then changes
 *   PUT    /pins/:productId  broadcasts { type: 'pinned', seq, productId, pinnedAt, pins } to all
 *   DELETE /pins/:productId  broadcasts { type: 'unpinned', seq, productId, pins } to all
 *
 * The messages have the same shape (and so the same size, for the same product ids) as Qingliu's,
 * are serialised and UTF-8 encoded once and sent in the same loop the real gateway uses (the same
 * bytes to every socket, as text frames), before the HTTP reply.
 * argv[2]: JSON array of the product ids to offer. Prints { port } on stdout when ready.
 *
 * argv[3] = 'chat' adds the live chat's floor (bench/chat-fanout.ts): after the snapshot a socket gets
 * an empty `chat_history`; a `chat_send` frame is parsed, answered with `chat_ack`, and its message
 * (the shape of Qingliu's ChatMessage, with an id made the same way) joins a batch that goes to every
 * socket 50 ms after its first message, as one `chat_message` or `chat_messages` frame serialised
 * once, with the same slow-consumer rule as the gateway (a socket with more than 4 MiB buffered is
 * dropped). No validation beyond the frame's type, no rate limit, no storage, no sealing.
 *
 * `control` among the later arguments (argv[3] onwards) also starts bench/memory-probe.ts and adds
 * { memoryPort } to the ready line.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { exitWithParent } from './lib.js';
import { startMemoryProbe } from './memory-probe.js';

const productIds = JSON.parse(process.argv[2] ?? '[]') as string[];
const chat = process.argv.slice(3).includes('chat');
const memoryPort = process.argv.slice(3).includes('control') ? await startMemoryProbe() : undefined;
const pins: string[] = [];
let seq = 0;

const server = http.createServer((req, res) => {
  const match = /^\/pins\/([^/?]+)$/.exec(req.url ?? '');
  if (!match || (req.method !== 'PUT' && req.method !== 'DELETE')) {
    res.writeHead(404).end();
    return;
  }
  const productId = decodeURIComponent(match[1]!);
  if (!productIds.includes(productId)) {
    res.writeHead(409, { 'content-type': 'application/json' }).end('{"code":"PRODUCT_NOT_IN_SESSION"}');
    return;
  }
  const at = pins.indexOf(productId);
  if (req.method === 'PUT' && at < 0) {
    pins.push(productId);
    broadcast({ type: 'pinned', seq: ++seq, productId, pinnedAt: Date.now(), pins });
  } else if (req.method === 'DELETE' && at >= 0) {
    pins.splice(at, 1);
    broadcast({ type: 'unpinned', seq: ++seq, productId, pins });
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pins }));
});

const wss = new WebSocketServer({ server, path: '/live', perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('error', () => undefined);
  socket.send(JSON.stringify({ type: 'snapshot', state: { seq, pins, products: productIds.map((id) => ({ id })) } }));
  if (!chat) return;
  socket.send(JSON.stringify({ type: 'chat_history', messages: [], pinned: null, settings: { slowModeSeconds: 0, maxLength: 200 } }));
  socket.on('message', (data) => onChatSend(socket, data));
});

// ---- chat (argv[3] = 'chat') ----

const CHAT_BATCH_MS = 50;
const SLOW_CONSUMER_BYTES = 4 * 1024 * 1024;
let chatBatch: object[] = [];
let chatTimer: NodeJS.Timeout | undefined;

function onChatSend(socket: WebSocket, data: unknown): void {
  let frame: { type?: unknown; clientEventId?: unknown; text?: unknown; nickname?: unknown };
  try {
    frame = JSON.parse(String(data)) as typeof frame;
  } catch {
    return;
  }
  if (frame.type !== 'chat_send' || typeof frame.text !== 'string' || typeof frame.clientEventId !== 'string') return;
  const at = Date.now();
  // Qingliu's ids: the time in base 36, then 14 hex digits of a random UUID.
  const id = `${at.toString(36).padStart(9, '0')}${randomUUID().replace(/-/g, '').slice(0, 14)}`;
  const nickname = typeof frame.nickname === 'string' ? frame.nickname : '观众';
  const message = { id, sessionId: 'demo', author: { kind: 'viewer', nickname }, text: frame.text, at, aiGenerated: false, label: null, pinned: false };
  socket.send(JSON.stringify({ type: 'chat_ack', clientEventId: frame.clientEventId, messageId: id }));
  chatBatch.push(message);
  chatTimer ??= setTimeout(flushChat, CHAT_BATCH_MS);
}

function flushChat(): void {
  chatTimer = undefined;
  const messages = chatBatch;
  chatBatch = [];
  if (messages.length === 0) return;
  const data = Buffer.from(JSON.stringify(messages.length === 1 ? { type: 'chat_message', message: messages[0] } : { type: 'chat_messages', messages }), 'utf8');
  for (const socket of wss.clients) {
    if (socket.readyState !== WebSocket.OPEN) continue;
    if (socket.bufferedAmount > SLOW_CONSUMER_BYTES) {
      socket.terminate();
      continue;
    }
    socket.send(data, { binary: false });
  }
}

function broadcast(message: object): void {
  const data = Buffer.from(JSON.stringify(message), 'utf8');
  for (const socket of wss.clients) if (socket.readyState === WebSocket.OPEN) socket.send(data, { binary: false });
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(JSON.stringify({ port, ...(memoryPort ? { memoryPort } : {}) }) + '\n');
});

exitWithParent(() => {
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  server.close();
  process.exit(0);
});
