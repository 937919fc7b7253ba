/**
 * The NATS bus against a real server (required in CI), through a TCP proxy that can take the server
 * away: publishing while disconnected fails loudly instead of vanishing, readiness follows the
 * connection, subscriptions come back with it, and closing never hangs on a dead server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { BusUnavailableError, NatsBus, openBus } from '../../src/bus/index.js';
import { NATS_AVAILABLE, NATS_URL, natsProxy, testSubjectPrefix, type TcpProxy } from '../support/nats.js';

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!NATS_AVAILABLE)('NATS bus on a real server', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const track = <T extends { close(): Promise<unknown> }>(x: T): T => {
    cleanup.push(() => x.close());
    return x;
  };

  it('refuses to publish while disconnected, reports not ready, and resumes with its subscriptions after reconnecting, telling its reconnect listeners', async () => {
    const proxy: TcpProxy = track(await natsProxy());
    const subjectPrefix = testSubjectPrefix();
    const changes: boolean[] = [];
    const viaProxy = track(await NatsBus.connect({ servers: [proxy.url], subjectPrefix, reconnectWaitMs: 50, onConnectionChange: (c) => changes.push(c.connected) }));
    const direct = track(await NatsBus.connect({ servers: [NATS_URL], subjectPrefix }));
    const got: unknown[] = [];
    let reconnects = 0;
    const stopListening = viaProxy.onReconnect(() => reconnects++);
    viaProxy.subscribe('room.outage', (m) => got.push(m));
    await viaProxy.flush();
    await direct.publish('room.outage', 'before');
    await eventually(() => got.length === 1);

    await proxy.cut();
    await eventually(() => !viaProxy.ready());
    expect(changes).toEqual([false]);
    await expect(viaProxy.publish('room.outage', 'during')).rejects.toBeInstanceOf(BusUnavailableError);
    await expect(viaProxy.publish('room.outage', 'during')).rejects.toThrow(/message bus is not connected/);
    await expect(viaProxy.flush()).rejects.toBeInstanceOf(BusUnavailableError);
    // Published elsewhere meanwhile: core NATS keeps nothing for a disconnected subscriber.
    await direct.publish('room.outage', 'missed');

    await proxy.restore();
    await eventually(() => viaProxy.ready());
    expect(changes).toEqual([false, true]);
    // Told once, so that caches kept fresh by the (missed) messages are dropped.
    expect(reconnects).toBe(1);
    stopListening();
    await viaProxy.flush(); // the re-sent subscription is in effect at the server
    await direct.publish('room.outage', 'after');
    await viaProxy.publish('room.outage', 'own, after');
    await eventually(() => got.length === 3);
    // Two publishers: each one's order holds, but not an order between them.
    expect(got[0]).toBe('before');
    expect(got.slice(1).sort()).toEqual(['after', 'own, after']);
  });

  it('closes promptly while the server is unreachable', async () => {
    const proxy = track(await natsProxy());
    const bus = await NatsBus.connect({ servers: [proxy.url], reconnectWaitMs: 50 });
    bus.subscribe('room.x', () => undefined);
    await proxy.cut();
    await eventually(() => !bus.ready());
    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(bus.ready()).toBe(false);
  });

  it('fails to open with a clear message when no server answers', async () => {
    await expect(NatsBus.connect({ servers: ['nats://127.0.0.1:1'], connectTimeoutMs: 1000 })).rejects.toThrow(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });

  it('reports a message that is not JSON and keeps the subscription', async () => {
    const subjectPrefix = testSubjectPrefix();
    const errors: unknown[] = [];
    const bus = track(await NatsBus.connect({ servers: [NATS_URL], subjectPrefix, onHandlerError: (err) => errors.push(err) }));
    const raw = await connect({ servers: NATS_URL });
    cleanup.push(() => raw.close());
    const got: unknown[] = [];
    bus.subscribe('room.raw', (m) => got.push(m));
    await bus.flush();
    raw.publish(`${subjectPrefix}.room.raw`, 'not json {');
    raw.publish(`${subjectPrefix}.room.raw`, '{"ok":true}');
    await eventually(() => got.length === 1);
    expect(got).toEqual([{ ok: true }]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['bus: a message on "room.raw" is not JSON']);
  });

  it('refuses a message larger than the server allows, naming the topic', async () => {
    const bus = track(await NatsBus.connect({ servers: [NATS_URL], subjectPrefix: testSubjectPrefix() }));
    await expect(bus.publish('room.huge', 'x'.repeat(2 * 1024 * 1024))).rejects.toThrow(/cannot publish on "room\.huge".*max_payload/);
    await expect(bus.publish('room.huge', undefined)).rejects.toThrow(/not a JSON value/);
  });

  it('is what openBus gives for a nats:// URL', async () => {
    const bus = track(await openBus(NATS_URL));
    expect(bus).toBeInstanceOf(NatsBus);
    expect(bus.kind).toBe('nats');
    expect(bus.ready()).toBe(true);
  });
});
