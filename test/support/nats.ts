/**
 * The buses every bus suite runs on. The in-process one always; NATS when reachable. In CI
 * (CI=true) NATS is required: an unreachable server fails the run instead of skipping.
 * BUSES=memory (or nats) narrows the list locally.
 */
import { randomBytes } from 'node:crypto';
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

import { tcpProxy, type TcpProxy } from './tcp-proxy.js';

export type { TcpProxy };

/** A loopback TCP proxy to the NATS server, to take it away from a client and give it back. */
export async function natsProxy(): Promise<TcpProxy> {
  const target = new URL(NATS_URL);
  return tcpProxy(target.hostname, Number(target.port || 4222), 'nats:');
}
