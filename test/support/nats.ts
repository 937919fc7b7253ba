/**
 * The buses every bus suite runs on. The in-process one always; NATS when reachable. In CI
 * (CI=true) NATS is required: an unreachable server fails the run instead of skipping.
 * BUSES=memory (or nats) narrows the list locally.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';

export type BusName = 'memory' | 'nats';

export const NATS_URL = process.env.QINGLIU_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

async function natsReachable(): Promise<boolean> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2000, reconnect: false });
    await nc.flush();
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

const wanted = (process.env.BUSES ?? 'memory,nats').split(',').map((b) => b.trim());
const natsUp = wanted.includes('nats') ? await natsReachable() : false;
if (wanted.includes('nats') && !natsUp) {
  if (process.env.CI) throw new Error(`NATS is required in CI but ${NATS_URL} is not reachable`);
  console.warn(`[tests] NATS suites skipped: no server at ${NATS_URL} (set QINGLIU_TEST_NATS_URL, or run in CI where it is required)`);
}

export const BUSES: BusName[] = wanted.filter((b): b is BusName => b === 'memory' || (b === 'nats' && natsUp));
export const NATS_AVAILABLE = natsUp;

/** A subject prefix of its own, so parallel test files on one NATS server never hear each other. */
export const testSubjectPrefix = (): string => `qt-${randomBytes(6).toString('hex')}`;

export interface TcpProxy {
  /** `nats://127.0.0.1:PORT`: connect through the proxy to reach the real server. */
  readonly url: string;
  /** Drops every connection and refuses new ones, as a network outage or a dead server would. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback TCP proxy to the NATS server, to take it away from a client and give it back. */
export async function natsProxy(): Promise<TcpProxy> {
  const target = new URL(NATS_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 4222), target.hostname);
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
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
  return {
    url: `nats://127.0.0.1:${port}`,
    cut: stop,
    restore: () => listen(port),
    close: stop,
  };
}
