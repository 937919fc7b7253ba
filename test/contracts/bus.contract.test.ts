/** Bus contract, run on every bus adapter (the in-process one here; a broker adapter joins this list). */
import { describe, expect, it } from 'vitest';
import { MemoryBus, type Bus } from '../../src/bus/index.js';

const ADAPTERS: { name: string; make: () => Promise<Bus> }[] = [{ name: 'memory', make: async () => new MemoryBus() }];

/** Waits until the condition holds (a broker delivers asynchronously). */
async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const adapter of ADAPTERS) {
  describe(`Bus on ${adapter.name}`, () => {
    it('delivers to every subscriber of a topic, in publish order, and not to other topics', async () => {
      const bus = await adapter.make();
      const a: unknown[] = [];
      const b: unknown[] = [];
      const other: unknown[] = [];
      bus.subscribe('room.1', (m) => a.push(m));
      bus.subscribe('room.1', (m) => b.push(m));
      bus.subscribe('room.2', (m) => other.push(m));
      for (let i = 0; i < 50; i++) await bus.publish('room.1', { i });
      await eventually(() => a.length === 50 && b.length === 50);
      expect(a).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
      expect(b).toEqual(a);
      expect(other).toEqual([]);
      await bus.close();
    });

    it('stops delivering after unsubscribe', async () => {
      const bus = await adapter.make();
      const got: unknown[] = [];
      const off = bus.subscribe('t', (m) => got.push(m));
      await bus.publish('t', 1);
      await eventually(() => got.length === 1);
      off();
      await bus.publish('t', 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([1]);
      await bus.close();
    });

    it('keeps delivering to others when one handler throws', async () => {
      const bus = await adapter.make();
      const got: unknown[] = [];
      bus.subscribe('t', () => {
        throw new Error('bad handler');
      });
      bus.subscribe('t', (m) => got.push(m));
      await bus.publish('t', 'x');
      await eventually(() => got.length === 1);
      await bus.close();
    });
  });
}
