/**
 * Bus contract, run on every bus adapter: in process always, NATS when reachable (required in CI).
 * A "node" is one bus instance: in process, every app of one process shares one MemoryBus; on NATS
 * each node has its own connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BusUnavailableError, MemoryBus, NatsBus, type Bus } from '../../src/bus/index.js';
import { BUSES, NATS_URL, testSubjectPrefix, type BusName } from '../support/nats.js';

interface Adapter {
  /** One node's bus; handler failures are collected in `errors`. */
  make(errors?: unknown[]): Promise<Bus>;
  /** Two nodes that share rooms. */
  nodes(): Promise<[Bus, Bus]>;
}

const ADAPTERS: Record<BusName, () => Adapter> = {
  memory: () => ({
    make: async (errors = []) => new MemoryBus((err) => errors.push(err)),
    nodes: async () => {
      const shared = new MemoryBus();
      return [shared, shared];
    },
  }),
  nats: () => {
    // Each test its own subject space on the shared server: parallel runs never cross.
    const subjectPrefix = testSubjectPrefix();
    const make = (errors: unknown[] = []) => NatsBus.connect({ servers: [NATS_URL], subjectPrefix, onHandlerError: (err) => errors.push(err) });
    return { make, nodes: async () => [await make(), await make()] };
  },
};

/** Waits until the condition holds (a broker delivers asynchronously). */
async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
/** Long enough for a broker to deliver what it was going to, before asserting nothing came. */
const settle = () => new Promise((r) => setTimeout(r, 100));

for (const name of BUSES) {
  describe(`Bus on ${name}`, () => {
    let adapter = ADAPTERS[name]();
    const opened: Bus[] = [];
    const make = async (errors?: unknown[]) => {
      const bus = await adapter.make(errors);
      opened.push(bus);
      return bus;
    };
    const nodes = async () => {
      const pair = await adapter.nodes();
      opened.push(...pair);
      return pair;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((b) => b.close()));
      adapter = ADAPTERS[name]();
    });

    it('delivers to every subscriber of a topic, in publish order, and not to other topics', async () => {
      const bus = await make();
      const a: unknown[] = [];
      const b: unknown[] = [];
      const other: unknown[] = [];
      bus.subscribe('room.1', (m) => a.push(m));
      bus.subscribe('room.1', (m) => b.push(m));
      // Neighbours in the subject tree: a child, a sibling with the same start, a parent.
      bus.subscribe('room.1.chat', (m) => other.push(m));
      bus.subscribe('room.10', (m) => other.push(m));
      bus.subscribe('room', (m) => other.push(m));
      await bus.flush();
      for (let i = 0; i < 50; i++) await bus.publish('room.1', { i });
      await eventually(() => a.length === 50 && b.length === 50);
      expect(a).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
      expect(b).toEqual(a);
      await settle();
      expect(other).toEqual([]);
      expect(bus.kind).toBe(name);
    });

    it('keeps each publisher’s order when two nodes publish to one topic at once', async () => {
      const [one, two] = await nodes();
      const got: { from: string; i: number }[] = [];
      one.subscribe('room.order', (m) => got.push(m as { from: string; i: number }));
      await one.flush();
      await Promise.all([
        (async () => {
          for (let i = 0; i < 200; i++) await one.publish('room.order', { from: 'one', i });
        })(),
        (async () => {
          for (let i = 0; i < 200; i++) await two.publish('room.order', { from: 'two', i });
        })(),
      ]);
      await eventually(() => got.length === 400);
      for (const from of ['one', 'two']) expect(got.filter((m) => m.from === from).map((m) => m.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    });

    it('stops delivering after unsubscribe, to that handler only', async () => {
      const bus = await make();
      const got: unknown[] = [];
      const stays: unknown[] = [];
      const off = bus.subscribe('t', (m) => got.push(m));
      bus.subscribe('t', (m) => stays.push(m));
      await bus.flush();
      await bus.publish('t', 1);
      await eventually(() => got.length === 1 && stays.length === 1);
      off();
      off(); // a second call does nothing
      await bus.publish('t', 2);
      await eventually(() => stays.length === 2);
      await settle();
      expect(got).toEqual([1]);
      expect(stays).toEqual([1, 2]);
    });

    it('subscribes again after the last handler of a topic left', async () => {
      const bus = await make();
      const first: unknown[] = [];
      bus.subscribe('t.again', (m) => first.push(m))();
      const second: unknown[] = [];
      bus.subscribe('t.again', (m) => second.push(m));
      await bus.flush();
      await bus.publish('t.again', 'x');
      await eventually(() => second.length === 1);
      expect(first).toEqual([]);
    });

    it('keeps delivering to others, and to the failing handler’s later messages, when a handler throws', async () => {
      const errors: unknown[] = [];
      const bus = await make(errors);
      const got: unknown[] = [];
      const flaky: unknown[] = [];
      bus.subscribe('t', (m) => {
        if (m === 'x') throw new Error('bad handler');
        flaky.push(m);
      });
      bus.subscribe('t', (m) => got.push(m));
      await bus.flush();
      await bus.publish('t', 'x');
      await bus.publish('t', 'y');
      await eventually(() => got.length === 2 && flaky.length === 1);
      expect(got).toEqual(['x', 'y']);
      expect(flaky).toEqual(['y']);
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toBe('bad handler');
    });

    it('lets two nodes see each other’s messages, and their own', async () => {
      const [one, two] = await nodes();
      const onOne: unknown[] = [];
      const onTwo: unknown[] = [];
      one.subscribe('room.shared', (m) => onOne.push(m));
      two.subscribe('room.shared', (m) => onTwo.push(m));
      await Promise.all([one.flush(), two.flush()]);
      await one.publish('room.shared', { from: 'one' });
      await eventually(() => onOne.length === 1 && onTwo.length === 1);
      await two.publish('room.shared', { from: 'two' });
      await eventually(() => onOne.length === 2 && onTwo.length === 2);
      expect(onOne).toEqual([{ from: 'one' }, { from: 'two' }]);
      expect(onTwo).toEqual(onOne);
    });

    it('carries JSON values whole, including 100 KB payloads and non-Latin text', async () => {
      const [one, two] = await nodes();
      const got: unknown[] = [];
      two.subscribe('room.big', (m) => got.push(m));
      await two.flush();
      const big = { type: 'chat_messages', messages: Array.from({ length: 1000 }, (_, i) => ({ id: `m${i}`, text: `好看！${'x'.repeat(80)}`, at: 1_700_000_000_000 + i })) };
      expect(JSON.stringify(big).length).toBeGreaterThan(100_000);
      await one.publish('room.big', big);
      await one.publish('room.big', [1, 'two', null, true, { nested: { deep: [3.5] } }]);
      await one.publish('room.big', 'plain string');
      await eventually(() => got.length === 3);
      expect(got).toEqual([big, [1, 'two', null, true, { nested: { deep: [3.5] } }], 'plain string']);
    });

    it('refuses topics that are not dot-separated [a-z0-9_-] tokens, with a clear error', async () => {
      const bus = await make();
      for (const bad of ['', 'room.*', 'room.>', '>', 'Room.1', 'room..1', '.room', 'room.', 'room 1', 'room.1\n', 'ро', 'a'.repeat(257)]) {
        expect(() => bus.subscribe(bad, () => undefined), bad).toThrow(/bus topic .* is not valid/);
        await expect(bus.publish(bad, 1), bad).rejects.toThrow(/bus topic .* is not valid/);
      }
      expect(() => bus.subscribe('privacy.viewer_changed', () => undefined)).not.toThrow();
      await expect(bus.publish('room.demo-1.chat', 1)).resolves.toBeUndefined();
    });

    it('is ready while open, and refuses to publish once closed', async () => {
      const bus = await make();
      expect(bus.ready()).toBe(true);
      await bus.close();
      expect(bus.ready()).toBe(false);
      await expect(bus.publish('t', 1)).rejects.toThrow('bus closed');
      await bus.close(); // closing twice is harmless
    });

    it('delivers what was published just before close (close drains)', async () => {
      const [one, two] = await nodes();
      const got: unknown[] = [];
      two.subscribe('room.drain', (m) => got.push(m));
      await two.flush();
      for (let i = 0; i < 20; i++) await one.publish('room.drain', i);
      if (one !== two) await one.close();
      await eventually(() => got.length === 20);
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });
  });
}

describe('BusUnavailableError', () => {
  it('is a 503 NOT_READY with a message that says what is wrong', () => {
    const err = new BusUnavailableError();
    expect(err).toMatchObject({ code: 'NOT_READY', status: 503 });
    expect(err.message).toMatch(/message bus is not connected/);
  });
});
