/**
 * Fairness audits of Qingliu's own decision log (A8), when they run and what they leave:
 *
 * - at the end of every live session (over the session);
 * - on a schedule (default daily, over each brand's previous period, in China time);
 * - on demand (a session, or a brand over a time window);
 * - live during a session (every few minutes over the session so far): a significant viewer-segment
 *   gap found by two checks in a row, not alerted before in the session, raises an alert for the
 *   host and compliance consoles.
 *
 * Every audit keeps its report (aggregates only, small groups suppressed) for at least three years.
 * Scheduled, end-of-session and live audits carry a run key, unique in storage, so that with many
 * nodes each runs once. Audits read decisions, which carry no viewer identity.
 */
import { NO_METER, type WorkMeter } from '../../shared/work-meter.js';
import { randomBytes } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, RequestContext } from '../../context/index.js';
import { SEGMENT_METRICS, type AuditFlag, type AuditSummaryRow, type AuditTrigger, type FairnessAlert, type FairnessReport } from './audit/contract.js';
import { AUDIT_SETTINGS_DEFAULTS, auditInputOf, thresholdsOf, type AuditSettings, type PriceBandOf } from './audit/engine.js';
import { AuditRunnerError, InProcessAuditRunner } from './adapters/audit-in-process.js';
import type { AuditQuery, AuditRunner, DecisionScope, FairnessStore } from './ports.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** China Standard Time: scheduled periods start at local midnight. */
const CHINA_OFFSET = 8 * HOUR;

export interface FairnessOptions {
  settings: Partial<AuditSettings>;
  /** Why the operator changed a threshold, recorded in every report. */
  thresholdReason: string | null;
  /** Live audits every this many minutes (0: off). */
  liveMinutes: number;
  scheduleHours: number;
  keepDays: number;
  /** How often the scheduler looks for due audits. */
  tickMs: number;
  /** On-demand windows may span at most this many days. */
  maxWindowDays: number;
}

export const FAIRNESS_DEFAULTS: FairnessOptions = {
  settings: {},
  thresholdReason: null,
  liveMinutes: 5,
  scheduleHours: 24,
  keepDays: 3 * 365 + 1,
  tickMs: 60_000,
  maxWindowDays: 366,
};

export interface FairnessDeps {
  store: FairnessStore;
  /** The energy meter: computing an audit counts as `audits` work (to its session, if one). */
  meter?: WorkMeter;
  clock: Clock;
  priceBandOf: PriceBandOf;
  /**
   * Where the decision log is read and audits computed: a server passes an `AuditThread` (beside
   * the event loop); by default, in process through `store`. The service's `close` closes it.
   */
  auditRunner?: AuditRunner;
  /** Whether a room's audience is (partly) simulated (demo mode), to label its reports. */
  isSimulated?: (sessionId: string) => boolean;
  /** Writes decisions still buffered in memory, so an audit sees everything shown until now. */
  flushDecisions?: () => Promise<void>;
  /** Told of each new live alert (the consoles poll the alerts; a listener may also push them). */
  onAlert?: (alert: FairnessAlert) => void;
  onError?: (err: unknown) => void;
}

export interface AuditRequest {
  sessionId?: string | undefined;
  brandId?: string | undefined;
  from?: number | undefined;
  until?: number | undefined;
}

export interface AuditComparison {
  a: AuditSummaryRow | null;
  b: AuditSummaryRow | null;
  /** Each segment figure both audits report, and how it moved (b − a). */
  segments: { attribute: string; group: string; metric: string; a: number | null; b: number | null; change: number | null }[];
  exposure: { metric: 'gini' | 'exposureGini' | 'coverage'; a: number | null; b: number | null; change: number | null }[];
  flags: { a: readonly AuditFlag[]; b: readonly AuditFlag[] };
}

export class FairnessService {
  readonly options: FairnessOptions;
  readonly settings: AuditSettings;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();
  /** Live checks this node ran: session → last check number, and the segment flags it found. */
  readonly #liveChecked = new Map<string, number>();
  readonly #liveFlags = new Map<string, Set<string>>();
  /**
   * The end of the last scheduled period this node saw audited. Finding the brands of a period
   * reads every decision in it (hundreds of thousands on a busy day), so it is read once per period
   * and node, not at every tick.
   */
  #scheduledUntil: number | undefined;
  readonly #runner: AuditRunner;

  constructor(
    private readonly deps: FairnessDeps,
    options: Partial<FairnessOptions> = {},
  ) {
    this.options = { ...FAIRNESS_DEFAULTS, ...options };
    this.settings = { ...AUDIT_SETTINGS_DEFAULTS, ...this.options.settings };
    this.#runner = deps.auditRunner ?? new InProcessAuditRunner(deps.store);
  }

  /** Labels reports of rooms with a simulated audience (known to the HTTP layer, so bound late). */
  labelSimulatedBy(isSimulated: (sessionId: string) => boolean): void {
    this.deps.isSimulated = isSimulated;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(this.deps.clock.now()), this.options.tickMs);
    this.#timer.unref();
  }

  /** Stops the schedule (audits on demand still run). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking;
  }

  /** Stops the schedule and the audit runner: for the server's shutdown. */
  async close(): Promise<void> {
    await this.stop();
    await this.#runner.close();
  }

  /** An audit on demand: one session (default: all of it), or a brand over a window (default: the last 24 hours). */
  async runOnDemand(_ctx: RequestContext, request: AuditRequest): Promise<Result<FairnessReport>> {
    const now = this.deps.clock.now();
    let scope: DecisionScope;
    if (request.sessionId !== undefined) {
      const session = await this.deps.store.session(request.sessionId);
      if (!session) return fail('SESSION_NOT_FOUND');
      if (request.brandId !== undefined && request.brandId !== session.brandId) return fail('VALIDATION_FAILED', 'brandId: the session belongs to another brand');
      // An ended session up to and including its last millisecond, as its end-of-session audit.
      const until = request.until ?? (session.endedAt !== null ? session.endedAt + 1 : now + 1);
      scope = { brandId: session.brandId, sessionId: request.sessionId, from: request.from ?? session.startedAt ?? 0, until };
    } else if (request.brandId !== undefined) {
      scope = { brandId: request.brandId, sessionId: null, from: request.from ?? now - DAY, until: request.until ?? now + 1 };
    } else {
      return fail('VALIDATION_FAILED', 'give sessionId, or brandId (with from and until, or the last 24 hours)');
    }
    if (!(scope.from < scope.until)) return fail('VALIDATION_FAILED', 'from must be before until');
    if (scope.sessionId === null && scope.until - scope.from > this.options.maxWindowDays * DAY) {
      return fail('VALIDATION_FAILED', `the window may span at most ${this.options.maxWindowDays} days`);
    }
    let report: Result<FairnessReport | undefined>;
    try {
      report = await this.#audit('on_demand', scope, null);
    } catch (err) {
      // The audit thread died or is closing: the caller may ask again. The code only: the reason
      // goes to the server's own log.
      if (!(err instanceof AuditRunnerError)) throw err;
      this.deps.onError?.(err);
      return fail('AUDIT_UNAVAILABLE');
    }
    if (!report.ok) return report;
    return ok(report.value!);
  }

  async list(query: AuditQuery): Promise<AuditSummaryRow[]> {
    return this.deps.store.audits(query);
  }

  async report(id: string): Promise<Result<FairnessReport>> {
    const r = await this.deps.store.audit(id);
    return r ? ok(r) : fail('AUDIT_NOT_FOUND');
  }

  async compare(a: string, b: string): Promise<Result<AuditComparison>> {
    const [ra, rb] = await Promise.all([this.deps.store.audit(a), this.deps.store.audit(b)]);
    if (!ra || !rb) return fail('AUDIT_NOT_FOUND', `no audit ${!ra ? a : b}`);
    const figures = (r: FairnessReport) => {
      const m = new Map<string, number | null>();
      for (const s of r.segments) for (const g of s.groups) for (const metric of SEGMENT_METRICS) m.set(`${s.attribute}\u0000${g.group}\u0000${metric}`, g[metric]);
      return m;
    };
    const fa = figures(ra);
    const fb = figures(rb);
    const segments = [...fa.keys()]
      .filter((k) => fb.has(k))
      .map((k) => {
        const [attribute, group, metric] = k.split('\u0000') as [string, string, string];
        const va = fa.get(k) ?? null;
        const vb = fb.get(k) ?? null;
        return { attribute, group, metric, a: va, b: vb, change: va === null || vb === null ? null : vb - va };
      });
    const exposure = (['gini', 'exposureGini', 'coverage'] as const).map((metric) => {
      const va = ra.exposure[metric];
      const vb = rb.exposure[metric];
      return { metric, a: va, b: vb, change: va === null || vb === null ? null : vb - va };
    });
    return ok({ a: summaryOf(ra), b: summaryOf(rb), segments, exposure, flags: { a: ra.flags, b: rb.flags } });
  }

  /**
   * The audit of each arm's own decisions in an experiment (nothing stored): the viewer-segment gaps
   * it flags, each with a stable key, for the experiment's fairness_gap guardrail.
   */
  async armFairness(experimentId: string, brandId: string, arms: readonly string[]): Promise<{ arm: string; flags: { key: string; text: { zh: string; en: string } }[] }[]> {
    const until = this.deps.clock.now() + 1;
    const out = [];
    for (const arm of arms) {
      const report = await this.#compute('on_demand', { brandId, sessionId: null, from: 0, until, experiment: { id: experimentId, arm } });
      const flags = (report?.flags ?? []).filter((f) => f.kind === 'segment').map((f) => ({ key: flagKey(f), text: f.text }));
      out.push({ arm, flags });
    }
    return out;
  }

  alerts(query: { brandId?: string | undefined; sessionId?: string | undefined; limit: number }): Promise<FairnessAlert[]> {
    return this.deps.store.alerts(query);
  }

  async acknowledge(ctx: RequestContext, id: string): Promise<Result<void>> {
    const by = ctx.actor.kind === 'staff' ? ctx.actor.id : 'system';
    return (await this.deps.store.acknowledgeAlert(id, by, this.deps.clock.now())) ? ok(undefined) : fail('ALERT_NOT_FOUND');
  }

  /** Retention (A8): reports older than the keep period go (with their alerts). */
  purgeBefore(cutoff: number): Promise<number> {
    return this.deps.store.purgeBefore(cutoff);
  }

  /** Runs what is due: end-of-session audits, the scheduled period, live checks. One at a time. */
  tick(now: number): Promise<void> {
    this.#ticking = this.#ticking.then(() => this.#tick(now)).catch((err: unknown) => this.deps.onError?.(err));
    return this.#ticking;
  }

  async #tick(now: number): Promise<void> {
    // Sessions that ended (in the last week) without their audit: also after a restart or on another node.
    for (const s of await this.deps.store.endedWithoutAudit(now - 7 * DAY)) {
      await this.#audit('session_end', { brandId: s.brandId, sessionId: s.sessionId, from: s.startedAt ?? 0, until: s.endedAt + 1 }, `session_end:${s.sessionId}`);
    }
    // The previous scheduled period, per brand with decisions in it.
    const period = this.options.scheduleHours * HOUR;
    const until = Math.floor((now + CHINA_OFFSET) / period) * period - CHINA_OFFSET;
    const from = until - period;
    if (this.#scheduledUntil !== until) {
      // Decisions of the period still buffered are written first, so no brand is missed.
      await this.deps.flushDecisions?.();
      for (const brandId of await this.deps.store.brandsWithDecisions(from, until)) {
        const key = `scheduled:${brandId}:${new Date(from + CHINA_OFFSET).toISOString().slice(0, 13)}`;
        if (!(await this.deps.store.hasRunKey(key))) await this.#audit('scheduled', { brandId, sessionId: null, from, until }, key);
      }
      // Only once every brand's audit is done (a failure throws before this and is tried at the next tick).
      this.#scheduledUntil = until;
    }
    if (this.options.liveMinutes > 0) await this.#live(now);
  }

  async #live(now: number): Promise<void> {
    const every = this.options.liveMinutes * 60_000;
    const live = await this.deps.store.liveSessions();
    const open = new Set(live.map((s) => s.sessionId));
    for (const id of this.#liveChecked.keys()) {
      if (open.has(id)) continue;
      this.#liveChecked.delete(id);
      this.#liveFlags.delete(id);
    }
    for (const s of live) {
      const n = Math.floor((now - s.startedAt) / every);
      if (n < 1 || (this.#liveChecked.get(s.sessionId) ?? 0) >= n) continue;
      this.#liveChecked.set(s.sessionId, n);
      const scope = { brandId: s.brandId, sessionId: s.sessionId, from: s.startedAt, until: now + 1 };
      const computed = await this.#compute('live', scope);
      if (!computed) continue;
      // Only viewer-segment gaps alert live (harm to viewers, now); exposure is in every report. A
      // check every few minutes is a test every few minutes: a gap alerts only when two checks in a
      // row find it, so one noisy check raises nothing.
      const segmentFlags = computed.flags.filter((f) => f.kind === 'segment');
      const before = this.#liveFlags.get(s.sessionId);
      this.#liveFlags.set(s.sessionId, new Set(segmentFlags.map(flagKey)));
      if (!before) continue;
      const alerted = new Set((await this.deps.store.alerts({ sessionId: s.sessionId, limit: 1_000 })).flatMap((a) => a.flags.map(flagKey)));
      const fresh = segmentFlags.filter((f) => before.has(flagKey(f)) && !alerted.has(flagKey(f)));
      if (fresh.length === 0) continue;
      if (!(await this.deps.store.saveAudit({ report: computed, summary: summaryOf(computed), runKey: `live:${s.sessionId}:${n}` }))) continue;
      const alert: FairnessAlert = { id: `alert-${randomBytes(6).toString('hex')}`, auditId: computed.id, brandId: s.brandId, sessionId: s.sessionId, createdAt: now, flags: fresh, acknowledgedAt: null };
      await this.deps.store.saveAlert(alert);
      this.deps.onAlert?.(alert);
    }
  }

  /** Computes and stores an audit; a run key another node took already stores nothing. */
  async #audit(trigger: AuditTrigger, scope: DecisionScope, runKey: string | null): Promise<Result<FairnessReport | undefined>> {
    const report = await this.#compute(trigger, scope);
    if (!report) return fail('AUDIT_EMPTY');
    const saved = await this.deps.store.saveAudit({ report, summary: summaryOf(report), runKey });
    return ok(saved ? report : undefined);
  }

  async #compute(trigger: AuditTrigger, scope: DecisionScope): Promise<FairnessReport | undefined> {
    await this.deps.flushDecisions?.();
    const meter = this.deps.meter ?? NO_METER;
    const session = scope.sessionId ?? undefined;
    const { log, cpuMicros: readMicros } = await this.#runner.collect(scope);
    if (readMicros !== undefined) meter.record('audits', readMicros, session);
    if (!log) return undefined;
    const [catalogueSize, sellers] = await Promise.all([this.deps.store.catalogueSize(scope.brandId), this.deps.store.productSellers(scope.brandId)]);
    const input = auditInputOf(log, { settings: this.settings, catalogueSize, priceBandOf: this.deps.priceBandOf, sellerOf: (id) => sellers.get(id) });
    const { computation: computed, cpuMicros } = await this.#runner.compute(log, input);
    meter.record('audits', cpuMicros, session);
    meter.count('audits', 1, session);
    const createdAt = this.deps.clock.now();
    return {
      id: `audit-${randomBytes(6).toString('hex')}`,
      trigger,
      scope,
      createdAt,
      keepUntil: createdAt + this.options.keepDays * DAY,
      decisions: computed.decisions,
      lists: computed.lists,
      personalisedShare: computed.personalisedShare,
      simulated: scope.sessionId !== null && (this.deps.isSimulated?.(scope.sessionId) ?? false),
      definitions: {
        premiumFromFen: computed.premiumFromFen,
        selection: `premium product shown: price ≥ the ${Math.round(this.settings.premiumQuantile * 100)}th percentile of the prices of the products shown`,
        label: 'clicked',
      },
      method: {
        bootstrap: this.settings.bootstrap,
        seed: this.settings.seed,
        tests: 'rates: two-proportion z-test; mean price and discount: Welch z-test; two-sided',
        correction: `Holm over every segment gap of the audit (all attributes, metrics and groups), and over the product groups of each grouping for exposure; α = ${this.settings.alpha}`,
      },
      thresholds: thresholdsOf(this.settings, this.options.thresholdReason),
      segments: computed.segments,
      exposure: computed.exposure,
      mitigation: computed.mitigation,
      flags: computed.flags,
    };
  }
}

function flagKey(f: AuditFlag): string {
  return `${f.kind}\u0000${f.dimension}\u0000${f.group}\u0000${f.metric}`;
}

/** The list row of a report, with its trend figures. */
export function summaryOf(r: FairnessReport): AuditSummaryRow {
  let maxPriceGap: number | null = null;
  let minParityRatio: number | null = null;
  for (const s of r.segments) {
    for (const g of s.gaps) if (g.metric === 'meanPrice' && g.ratio !== null) maxPriceGap = Math.max(maxPriceGap ?? 0, Math.abs(1 - g.ratio));
    const p = s.summary.demographicParityRatio;
    if (s.status === 'ok' && p !== null) minParityRatio = Math.min(minParityRatio ?? 1, p);
  }
  return {
    id: r.id,
    trigger: r.trigger,
    brandId: r.scope.brandId,
    sessionId: r.scope.sessionId,
    from: r.scope.from,
    until: r.scope.until,
    createdAt: r.createdAt,
    decisions: r.decisions,
    flagged: r.flags.length,
    simulated: r.simulated,
    headline: { maxPriceGap, minParityRatio, exposureGini: r.exposure.exposureGini, coverage: r.exposure.coverage },
  };
}
