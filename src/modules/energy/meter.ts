/**
 * The energy meter's bookkeeping: which component used how much CPU time.
 *
 * Node runs JavaScript on one thread, so synchronous work never overlaps: a component's work is
 * the time of its synchronous spans (`span(component, fn)`). Spans nest — time inside an inner
 * span counts to the inner component only — so a ranking span inside a request span is not
 * counted twice. Asynchronous flows are measured by their synchronous slices: an `await` ends the
 * slice, so work interleaved from other requests is never counted to the wrong component.
 *
 * Two clocks, for cost: a span reads the monotonic high-resolution clock (about 0.1 µs a read
 * here), because the process CPU clock (`process.cpuUsage()`, a getrusage system call) costs
 * about 4 µs a read on this class of virtual machine — two per span would be a few per cent of a
 * recommendation's whole cost. A synchronous span keeps the thread on the CPU, so its elapsed time
 * is its CPU time unless the operating system pre-empts the thread; the process CPU clock is read
 * once per sample and is the total. Work outside every span (the HTTP framework, socket writes,
 * garbage collection, libuv threads) is what the process used beyond the spans: `unattributed`,
 * reported as its own line, never hidden. Should the spans add up to more than the process CPU
 * (a pre-empted span), they are scaled down to it and the reading says by how much.
 *
 * Spans may carry a live session: the session's share of each component is kept too, so the host
 * console can show what this session's work used.
 */

import type { MeteredComponent as ContractComponent } from './contract.js';

/** The components Qingliu meters (the list). */
export const METERED_COMPONENTS = ['recommend', 'learn', 'audits', 'assistant', 'serving', 'storage'] as const satisfies readonly ContractComponent[];
export type MeteredComponent = (typeof METERED_COMPONENTS)[number];

export interface MeterClock {
  /** Process CPU time (user + system) so far, in microseconds. Read once per reading. */
  cpuMicros(): number;
  /** A monotonic clock in microseconds, read at each span's start and end. */
  spanMicros(): number;
  /** Wall time in milliseconds. */
  now(): number;
  /** Resident memory of the process, bytes. */
  rssBytes(): number;
}

export const processClock: MeterClock = {
  cpuMicros: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  spanMicros: () => performance.now() * 1000,
  now: () => Date.now(),
  rssBytes: () => process.memoryUsage.rss(),
};

export interface SessionShare {
  /** Span microseconds per component done for this session. */
  components: Record<MeteredComponent, number>;
  /** Units of work done for it (recommendations served, feedback learnt). */
  counts: Record<MeteredComponent, number>;
}

export interface MeterReading {
  /** When the period began (wall ms) and how long it lasted. */
  startedAt: number;
  wallMs: number;
  /** The process's CPU time over the same period, microseconds. */
  processCpuMicros: number;
  /** CPU microseconds of each component's spans (exclusive of nested spans), scaled as below. */
  components: Record<MeteredComponent, number>;
  /** Process CPU time outside every span. */
  unattributedCpuMicros: number;
  /** 1 unless the spans' time exceeded the process CPU time and was scaled down by this factor. */
  spanScale: number;
  /** Count of units of work per component (e.g. recommendations served). */
  counts: Record<MeteredComponent, number>;
  /** Mean resident memory over the period (start and end), bytes. */
  meanRssBytes: number;
  /** Each live session's share (span time and counts), by session id. */
  sessions: Map<string, SessionShare>;
}

function zeros(): Record<MeteredComponent, number> {
  return { recommend: 0, learn: 0, audits: 0, assistant: 0, serving: 0, storage: 0 };
}

interface Frame {
  component: MeteredComponent;
  session: string | undefined;
  /** The span clock when this frame (or its last child) resumed. */
  since: number;
}

export class EnergyMeter {
  readonly #clock: MeterClock;
  #startCpu: number;
  #startWall: number;
  #startRss: number;
  #span = zeros();
  #counts = zeros();
  #sessions = new Map<string, SessionShare>();
  /** Open spans, innermost last. */
  readonly #stack: Frame[] = [];
  readonly #enabled: boolean;

  constructor(options: { clock?: MeterClock; enabled?: boolean } = {}) {
    this.#clock = options.clock ?? processClock;
    this.#enabled = options.enabled ?? true;
    this.#startCpu = this.#clock.cpuMicros();
    this.#startWall = this.#clock.now();
    this.#startRss = this.#clock.rssBytes();
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /**
   * Runs `fn` (synchronous) and counts its time to `component` (and to `session`, when given);
   * nested spans take their own share. A nested span without a session inherits its parent's.
   */
  span<T>(component: MeteredComponent, fn: () => T, session?: string): T {
    if (!this.#enabled) return fn();
    const clock = this.#clock;
    const now = clock.spanMicros();
    const parent = this.#stack.at(-1);
    if (parent) this.#add(parent, now - parent.since);
    const frame: Frame = { component, session: session ?? parent?.session, since: now };
    this.#stack.push(frame);
    try {
      return fn();
    } finally {
      const end = clock.spanMicros();
      this.#add(frame, end - frame.since);
      this.#stack.pop();
      const outer = this.#stack.at(-1);
      if (outer) outer.since = end;
    }
  }

  /** Counts units of work done by a component (recommendations served, feedback learnt, audits run). */
  count(component: MeteredComponent, n = 1, session?: string): void {
    if (!this.#enabled) return;
    this.#counts[component] += n;
    if (session !== undefined) this.#share(session).counts[component] += n;
  }

  /**
   * Counts work another thread of this process did (timed there around a synchronous run) to
   * `component` (and `session`): the process CPU clock, read per period, includes that thread.
   */
  record(component: MeteredComponent, cpuMicros: number, session?: string): void {
    if (!this.#enabled) return;
    this.#add({ component, session, since: 0 }, cpuMicros);
  }

  /** The current period's reading (the meter keeps running). */
  read(): MeterReading {
    // The innermost open span's time so far belongs to this reading.
    const top = this.#stack.at(-1);
    if (top) {
      const now = this.#clock.spanMicros();
      this.#add(top, now - top.since);
      top.since = now;
    }
    const processCpuMicros = Math.max(0, this.#clock.cpuMicros() - this.#startCpu);
    const spanTotal = METERED_COMPONENTS.reduce((a, c) => a + this.#span[c], 0);
    const spanScale = spanTotal > processCpuMicros && spanTotal > 0 ? processCpuMicros / spanTotal : 1;
    const components = zeros();
    // Multiplied before dividing, and capped: a scaled span never exceeds the process total by rounding.
    const scale = (v: number) => (spanScale === 1 ? v : Math.min(processCpuMicros, (v * processCpuMicros) / spanTotal));
    for (const c of METERED_COMPONENTS) components[c] = scale(this.#span[c]);
    const sessions = new Map<string, SessionShare>();
    for (const [id, share] of this.#sessions) {
      const scaled = zeros();
      for (const c of METERED_COMPONENTS) scaled[c] = scale(share.components[c]);
      sessions.set(id, { components: scaled, counts: { ...share.counts } });
    }
    return {
      startedAt: this.#startWall,
      wallMs: Math.max(0, this.#clock.now() - this.#startWall),
      processCpuMicros,
      components,
      unattributedCpuMicros: spanScale === 1 ? Math.max(0, processCpuMicros - spanTotal) : 0,
      spanScale,
      counts: { ...this.#counts },
      meanRssBytes: (this.#startRss + this.#clock.rssBytes()) / 2,
      sessions,
    };
  }

  /** Reads the period and starts the next one at once (no work falls between the two). Open spans run on into it. */
  take(): MeterReading {
    const reading = this.read();
    this.#span = zeros();
    this.#counts = zeros();
    this.#sessions = new Map();
    this.#startCpu = reading.processCpuMicros + this.#startCpu;
    this.#startWall = reading.startedAt + reading.wallMs;
    this.#startRss = this.#clock.rssBytes();
    return reading;
  }

  /** Starts a new period, discarding the current one. */
  reset(): void {
    this.take();
  }

  #share(session: string): SessionShare {
    let share = this.#sessions.get(session);
    if (!share) {
      share = { components: zeros(), counts: zeros() };
      this.#sessions.set(session, share);
    }
    return share;
  }

  #add(frame: Frame, micros: number): void {
    if (!(micros > 0)) return;
    this.#span[frame.component] += micros;
    if (frame.session !== undefined) this.#share(frame.session).components[frame.component] += micros;
  }
}
