import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { framedSocketOf, textFrame } from './frames.js';

/** ws's own framing, for comparison (its Sender is exported but not in its type declarations). */
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender;
const wsFrame = (payload: Buffer) => Buffer.concat(Sender.frame(payload, { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }));

describe('a broadcast text frame built once', () => {
  it('is byte for byte the frame ws writes, at every length encoding (7-bit, 16-bit, 64-bit)', () => {
    for (const n of [0, 1, 125, 126, 127, 4_000, 65_535, 65_536, 70_001]) {
      const payload = Buffer.alloc(n, 'é'.charCodeAt(0) % 256);
      expect(textFrame(payload).equals(wsFrame(payload)), `length ${n}`).toBe(true);
    }
    const json = Buffer.from(JSON.stringify({ type: 'pinned', productId: '婴儿推车', seq: 7 }), 'utf8');
    expect(textFrame(json).equals(wsFrame(json))).toBe(true);
  });

  describe('written to real connections', () => {
    let server: WebSocketServer | undefined;
    const clients: WebSocket[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.terminate();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    });

    async function pair(perMessageDeflate: boolean) {
      server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
      await once(server, 'listening');
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const accepted = once(server, 'connection') as Promise<[WebSocket]>;
      const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate });
      clients.push(client);
      await once(client, 'open');
      const [serverSide] = await accepted;
      return { client, serverSide };
    }

    it('reach the client as the messages sent, in order with ws.send, when no extension is negotiated', async () => {
      const { client, serverSide } = await pair(false);
      const raw = framedSocketOf(serverSide);
      expect(raw).toBeDefined();
      const received: string[] = [];
      client.on('message', (m, isBinary) => {
        expect(isBinary).toBe(false);
        received.push(m.toString('utf8'));
      });
      const big = 'x'.repeat(70_000);
      raw!.write(textFrame(Buffer.from('{"n":1}')));
      serverSide.send('{"n":2}');
      raw!.write(textFrame(Buffer.from(JSON.stringify({ n: 3, text: '清流直播间' }))));
      raw!.write(textFrame(Buffer.from(big)));
      serverSide.send('{"n":5}');
      await new Promise<void>((resolve) => {
        const check = () => (received.length === 5 ? resolve() : setTimeout(check, 5));
        check();
      });
      expect(received).toEqual(['{"n":1}', '{"n":2}', JSON.stringify({ n: 3, text: '清流直播间' }), big, '{"n":5}']);
    });

    it('are not used when permessage-deflate was negotiated (frames would differ per connection)', async () => {
      const { serverSide } = await pair(true);
      expect(Object.keys((serverSide as unknown as { _extensions: object })._extensions)).toEqual(['permessage-deflate']);
      expect(framedSocketOf(serverSide)).toBeUndefined();
    });

    it('are not used once the connection is closed', async () => {
      const { client, serverSide } = await pair(false);
      client.close();
      await once(serverSide, 'close');
      expect(framedSocketOf(serverSide)).toBeUndefined();
    });
  });
});
