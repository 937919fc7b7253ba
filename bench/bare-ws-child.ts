/**
 * The floor for "HTTP request → fan-out to every socket": a bare `ws` WebSocketServer on node:http,
 * in its own process. No framework, no database, no validation, no auth.
 *
 *   GET    /live            WebSocket: a small snapshot { seq, pins, products }, then changes
 *   PUT    /pins/:productId  broadcasts { type: 'pinned', seq, productId, pinnedAt, pins } to all
 *   DELETE /pins/:productId  broadcasts { type: 'unpinned', seq, productId, pins } to all
 *
 * The messages have the same shape (and so the same size, for the same product ids) as Qingliu's,
 * are serialised once and sent in the same loop the real gateway uses, before the HTTP reply.
 * argv[2]: JSON array of the product ids to offer. Prints { port } on stdout when ready.
 */
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { exitWithParent } from './lib.js';

const productIds = JSON.parse(process.argv[2] ?? '[]') as string[];
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
});

function broadcast(message: object): void {
  const data = JSON.stringify(message);
  for (const socket of wss.clients) if (socket.readyState === WebSocket.OPEN) socket.send(data);
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(JSON.stringify({ port }) + '\n');
});

exitWithParent(() => {
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  server.close();
  process.exit(0);
});
