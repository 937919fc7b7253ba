/**
 * The energy meter's bookkeeping: which component used how much CPU time.
 *
 * Node runs JavaScript on one thread, so synchronous work never overlaps: a component's work is
 * measured as the CPU time of its synchronous spans (`span(component, fn)`), read from the process
 * CPU clock before and after. Spans nest — time inside an inner span counts to the inner component
 * only — so a ranking span inside a request span is not counted twice. Work between spans (the
 * HTTP framework, socket writes, garbage collection, libuv threads) is whatever the process used
 * beyond the spans: `unattributed`, reported as serving and overhead, never hidden.
 *
 * Asynchronous flows are measured by their synchronous slices: an `await` ends the slice, so work
 * interleaved from other requests is never counted to the wrong component.
 */

/** The components Qingliu meters (the list). */
export const METERED_COMPONENTS = ['recommend', 'learn', 'audits', 'assistant', 'serving', 'storage'] as const;
export type MeteredComponent = (typeof METERED_COMPONENTS)[number];

export interface MeterClock {
  /** Process CPU time (user + system) so far, in microseconds. */
  cpuMicros(): number;
  /** Wall time in milliseconds. */
  now(): number;
}

export const processClock: MeterClock = {
  cpuMicros: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  now: () => Date.now(),
};

export interface MeterReading {
  /** Since the meter started (or was last reset), wall milliseconds. */
  wallMs: number;
  /** The process's CPU time over the same period, microseconds. */
  processCpuMicros: number;
  /** CPU microseconds of each component's spans (exclusive of nested spans). */
  components: Record<MeteredComponent, number>;
  /** Process CPU time outside every span. */
  unattributedCpuMicros: number;
  /** Count of units of work per component (e.g. recommendations served). */
  counts: Record<MeteredComponent, number>;
}

export class EnergyMeter {
  readonly #clock: MeterClock;
  #startCpu: number;
  #startWall: number;
  readonly #cpu = new Map<MeteredComponent, number>();
  readonly #counts = new Map<MeteredComponent, number>();
  /** Open spans, innermost last: component and the CPU reading when it (or its last child) resumed. */
  readonly #stack: { component: MeteredComponent; since: number }[] = [];
  #enabled: boolean;

  constructor(options: { clock?: MeterClock; enabled?: boolean } = {}) {
    this.#clock = options.clock ?? processClock;
    this.#enabled = options.enabled ?? true;
    this.#startCpu = this.#clock.cpuMicros();
    this.#startWall = this.#clock.now();
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Runs `fn` (synchronous) and counts its CPU time to `component`; nested spans take their own share. */
  span<T>(component: MeteredComponent, fn: () => T): T {
    if (!this.#enabled) return fn();
    const now = this.#clock.cpuMicros();
    const parent = this.#stack.at(-1);
    if (parent) {
      this.#add(parent.component, now - parent.since);
    }
    const frame = { component, since: now };
    this.#stack.push(frame);
    try {
      return fn();
    } finally {
      const end = this.#clock.cpuMicros();
      this.#add(component, end - frame.since);
      this.#stack.pop();
      const outer = this.#stack.at(-1);
      if (outer) outer.since = end;
    }
  }

  /** Counts units of work done by a component (recommendations served, feedback learnt, audits run). */
  count(component: MeteredComponent, n = 1): void {
    if (!this.#enabled) return;
    this.#counts.set(component, (this.#counts.get(component) ?? 0) + n);
  }

  read(): MeterReading {
    const processCpuMicros = Math.max(0, this.#clock.cpuMicros() - this.#startCpu);
    const components = Object.fromEntries(METERED_COMPONENTS.map((c) => [c, this.#cpu.get(c) ?? 0])) as Record<MeteredComponent, number>;
    const counts = Object.fromEntries(METERED_COMPONENTS.map((c) => [c, this.#counts.get(c) ?? 0])) as Record<MeteredComponent, number>;
    const attributed = Object.values(components).reduce((a, b) => a + b, 0);
    return {
      wallMs: this.#clock.now() - this.#startWall,
      processCpuMicros,
      components,
      unattributedCpuMicros: Math.max(0, processCpuMicros - attributed),
      counts,
    };
  }

  /** Starts a new period (after its reading was stored). Open spans keep running into it. */
  reset(): void {
    this.#cpu.clear();
    this.#counts.clear();
    this.#startCpu = this.#clock.cpuMicros();
    this.#startWall = this.#clock.now();
    for (const frame of this.#stack) frame.since = this.#startCpu;
  }

  #add(component: MeteredComponent, micros: number): void {
    if (micros > 0) this.#cpu.set(component, (this.#cpu.get(component) ?? 0) + micros);
  }
}
