import { describe, expect, it } from 'vitest';
import { EnergyMeter, METERED_COMPONENTS, type MeterClock } from './meter.js';

/** A CPU clock the test advances: `work(µs)` is synchronous work of that length. */
function fakeClock(): MeterClock & { work(micros: number): void } {
  let cpu = 1_000;
  let mono = 5_000_000;
  let wall = 0;
  return {
    cpuMicros: () => cpu,
    spanMicros: () => mono,
    now: () => wall,
    rssBytes: () => 100 * 1024 * 1024,
    work: (micros: number) => {
      cpu += micros;
      mono += micros;
      wall += micros / 1000;
    },
  };
}

describe('the energy meter', () => {
  it('counts each span’s CPU time to its component, nested spans exclusively, the rest as unattributed', () => {
    const clock = fakeClock();
    const meter = new EnergyMeter({ clock });
    clock.work(50); // framework work before any span
    meter.span('serving', () => {
      clock.work(30);
      meter.span('recommend', () => clock.work(200));
      clock.work(20);
      meter.span('storage', () => {
        clock.work(15);
        meter.span('learn', () => clock.work(5));
      });
    });
    meter.count('recommend', 4);
    const r = meter.read();
    expect(r.components).toMatchObject({ serving: 50, recommend: 200, storage: 15, learn: 5, audits: 0, assistant: 0 });
    expect(r.processCpuMicros).toBe(320);
    expect(r.unattributedCpuMicros).toBe(50);
    expect(r.counts.recommend).toBe(4);
    expect(Object.keys(r.components)).toEqual([...METERED_COMPONENTS]);
  });

  it('counts work another thread did to its component and session, beside the spans, within the process total', () => {
    const clock = fakeClock();
    const meter = new EnergyMeter({ clock });
    meter.span('recommend', () => clock.work(100), 'live-1');
    // An audit thread ran 900 µs meanwhile: the process CPU clock includes it; its time is recorded.
    clock.work(900);
    meter.record('audits', 900, 'live-1');
    meter.record('audits', -5);
    const r = meter.read();
    expect(r.components).toMatchObject({ recommend: 100, audits: 900 });
    expect(r.unattributedCpuMicros).toBe(0);
    expect(r.sessions.get('live-1')?.components).toMatchObject({ recommend: 100, audits: 900 });
    const off = new EnergyMeter({ clock, enabled: false });
    off.record('audits', 900);
    expect(off.read().components.audits).toBe(0);
  });

  it('attributes interleaved asynchronous work to the right component: an await ends the slice', async () => {
    const clock = fakeClock();
    const meter = new EnergyMeter({ clock });
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    // Two requests interleave: each ranking slice is a span; between awaits the other one runs.
    const request = async (component: 'recommend' | 'audits', slices: number, micros: number) => {
      for (let i = 0; i < slices; i++) {
        meter.span(component, () => clock.work(micros));
        await tick();
        clock.work(1); // unmetered work between slices (the event loop, other callbacks)
      }
    };
    await Promise.all([request('recommend', 20, 100), request('audits', 10, 700)]);
    const r = meter.read();
    expect(r.components.recommend).toBe(2_000);
    expect(r.components.audits).toBe(7_000);
    expect(r.unattributedCpuMicros).toBe(30);
  });

  it('keeps the time of a span that throws, and does nothing when disabled', () => {
    const clock = fakeClock();
    const meter = new EnergyMeter({ clock });
    expect(() =>
      meter.span('audits', () => {
        clock.work(40);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(meter.read().components.audits).toBe(40);
    const off = new EnergyMeter({ clock, enabled: false });
    expect(off.span('recommend', () => 7)).toBe(7);
    off.count('recommend');
    expect(off.read().components.recommend).toBe(0);
    expect(off.read().counts.recommend).toBe(0);
  });

  it('starts a new period on reset, with an open span carried into it', () => {
    const clock = fakeClock();
    const meter = new EnergyMeter({ clock });
    meter.span('serving', () => {
      clock.work(10);
      meter.reset();
      clock.work(25);
    });
    const r = meter.read();
    expect(r.components.serving).toBe(25);
    expect(r.processCpuMicros).toBe(25);
  });

  it('keeps each live session’s share, nested spans inheriting the session, and clears it per period', () => {
    const clock = fakeClock();
    const meter = new EnergyMeter({ clock });
    meter.span('recommend', () => {
      clock.work(100);
      meter.span('storage', () => clock.work(30));
    }, 'show-a');
    meter.span('recommend', () => clock.work(60), 'show-b');
    meter.span('learn', () => clock.work(10));
    meter.count('recommend', 1, 'show-a');
    meter.count('recommend', 1, 'show-b');
    const r = meter.take();
    expect(r.sessions.get('show-a')).toEqual({
      components: { recommend: 100, learn: 0, audits: 0, assistant: 0, serving: 0, storage: 30 },
      counts: { recommend: 1, learn: 0, audits: 0, assistant: 0, serving: 0, storage: 0 },
    });
    expect(r.sessions.get('show-b')?.components.recommend).toBe(60);
    expect(r.counts.recommend).toBe(2);
    expect(meter.read().sessions.size).toBe(0);
  });

  it('scales spans down to the process CPU time when they add up to more (a pre-empted span), and says so', () => {
    let cpu = 0;
    let mono = 0;
    const clock = { cpuMicros: () => cpu, spanMicros: () => mono, now: () => 0, rssBytes: () => 0 };
    const meter = new EnergyMeter({ clock });
    // 400 µs elapsed in the span, but the thread was off the CPU for half of it.
    meter.span('audits', () => {
      mono += 400;
      cpu += 200;
    });
    meter.span('recommend', () => {
      mono += 100;
      cpu += 50;
    });
    const r = meter.read();
    expect(r.spanScale).toBeCloseTo(0.5, 12);
    expect(r.components.audits).toBeCloseTo(200, 9);
    expect(r.components.recommend).toBeCloseTo(50, 9);
    expect(r.unattributedCpuMicros).toBeCloseTo(0, 9);
  });

  it('take() ends the period where the next begins: no CPU time is lost between readings', () => {
    const clock = fakeClock();
    const meter = new EnergyMeter({ clock });
    let total = 0;
    for (let i = 0; i < 5; i++) {
      clock.work(37);
      meter.span('serving', () => clock.work(11));
      total += meter.take().processCpuMicros;
    }
    expect(total).toBe(5 * 48);
  });

  it('reads the real process CPU clock by default: a busy span is counted, of the right order', () => {
    const meter = new EnergyMeter();
    meter.span('recommend', () => {
      // Busy until the process CPU clock (not the wall clock) advanced 30 ms, so load elsewhere cannot shorten it.
      const start = process.cpuUsage();
      let x = 0;
      for (;;) {
        for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + i);
        const used = process.cpuUsage(start);
        if (used.user + used.system >= 30_000) break;
      }
      return x;
    });
    const r = meter.read();
    expect(r.components.recommend).toBeGreaterThan(15_000);
    expect(r.components.recommend).toBeLessThanOrEqual(r.processCpuMicros);
  });
});
