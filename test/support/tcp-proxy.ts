/** A loopback TCP proxy to a real server (NATS, PostgreSQL), to take it away from a client and give it back. */
import net from 'node:net';

export interface TcpProxy {
  /** `scheme//127.0.0.1:PORT`: connect through the proxy to reach the real server. */
  readonly url: string;
  readonly port: number;
  /** Drops every connection and refuses new ones, as a network outage or a dead server would. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpProxy(host: string, port: number, scheme: string): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (p: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(p, '127.0.0.1', () => resolve()));
  await listen(0);
  const own = (server.address() as net.AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
  return { url: `${scheme}//127.0.0.1:${own}`, port: own, cut: stop, restore: () => listen(own), close: stop };
}
