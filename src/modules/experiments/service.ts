/**
 * A/B experiments on live traffic (recommendations): defined by an operator, started and stopped,
 * assigning each viewer with personalisation consent to an arm by a keyed hash, counting what
 * happened per arm and per viewer-unit, taking scheduled looks (interim analyses), and reporting
 * results whose intervals stay valid under those looks.
 *
 * Viewers without personalisation consent are never put in a personalised arm: they get the
 * non-personalised list and are counted apart, anonymously (no unit, no row of their own).
 */
import { randomBytes } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import type { Clock, RequestContext } from '../../context/index.js';
import { Lru } from '../../shared/lru.js';
import { OUTSIDE_ARM, type ArmAssignment, type ArmPolicy, type ExperimentArms, type FeedbackType } from '../recommender/index.js';
import { cpuTimeEnergyKwh, CPU_TIME_METHOD } from '../energy/index.js';
import { analyse, informationFraction, withoutEmptyIntervals, type ArmFairness } from './analysis.js';
import type { ArmReport, ExperimentReport, ExperimentView, LookAnalysis, StopReasonCode } from './contract.js';

export type { ArmReport, ExperimentReport, ExperimentView } from './contract.js';
import { armIndexOf, unitOf } from './assignment.js';
import { describeProblems, parseDefinition, problemErrors, type DefinitionProblem, type ExperimentDefinition } from './definition.js';
import type { ArmTotals, Cohort, ExperimentRecord, ExperimentStatus, ExperimentStore, TotalsDelta, UnitDelta } from './ports.js';

/** The longest reason an experiment is stopped for (characters). */
export const STOP_REASON_MAX = 200;

/**
 * The reasons the system records (and the simulator gives), stored in English words as always and
 * reported with a stable code the pages translate. Any other reason is an operator's own, kept as typed.
 */
export const STOP_REASONS: Readonly<Record<StopReasonCode, string>> = {
  stopped_by_operator: 'stopped by operator',
  planned_sample_reached: 'planned sample reached',
  room_ended: 'every room of the experiment ended',
  simulation_ended: 'simulation ended',
};

export function stopReasonCode(reason: string | null): StopReasonCode | null {
  if (reason === null) return null;
  return (Object.keys(STOP_REASONS) as StopReasonCode[]).find((code) => STOP_REASONS[code] === reason) ?? null;
}

/** The energy method's stable id (the pages translate it). */
export const ENERGY_METHOD_ID = 'ccf-linear';

export interface ExperimentDeps {
  store: ExperimentStore;
  clock: Clock;
  region: string;
  /** The keyed pseudonym of a device (the protection module's). */
  subjectOf(deviceId: string): string;
  /** The brand of a live session, or undefined when there is no such session. */
  sessionBrand(sessionId: string): Promise<string | undefined>;
  /**
   * Whether a session has ended (its show is over for good). When given, experiments are neither
   * created nor started in an ended room, and a running experiment whose rooms have all ended is
   * concluded (a final look, stopped as "room_ended") at the next schedule check.
   */
  sessionEnded?(sessionId: string): Promise<boolean>;
  /** Whether the viewer allows personalised recommendations from this brand now (consent, minors mode, the switch). */
  allowsPersonalisation(deviceId: string, brandId: string): Promise<boolean>;
  /** Whether a brand exists. */
  brandExists(brandId: string): Promise<boolean>;
  /**
   * Whether the caller may run the show of this session (an administrator, the system, or its own
   * host). A host defines, starts and stops experiments only in rooms they host; an experiment
   * across a brand's rooms (no sessions named) is an administrator's.
   */
  canManageSession(ctx: RequestContext, sessionId: string): Promise<boolean>;
  /** 'demo' allows simulated experiments (never in production: LC4). */
  mode: 'demo' | 'production';
  /**
   * The fairness audit of each arm's own decisions (for a fairness_gap guardrail): the flagged
   * viewer-segment gaps per arm.
   */
  armFairness?: (experimentId: string, brandId: string, arms: readonly string[]) => Promise<ArmFairness[]>;
  /** Told when an experiment starts, stops or completes (other nodes reload; arm models leave memory). */
  onChanged?: (experimentId: string, status: ExperimentStatus) => void;
  onError?: (err: unknown) => void;
}

export interface ExperimentOptions {
  /** Buffered counts are written at least this often. */
  flushMs: number;
  /** How often the look schedule is checked. */
  tickMs: number;
}

export const EXPERIMENT_DEFAULTS: ExperimentOptions = { flushMs: 1000, tickMs: 15_000 };

interface Running {
  record: ExperimentRecord;
  /** When this node last took (or tried to take) a look; the looks themselves are read from the store. */
  lastLookAt: number;
}

export class ExperimentService implements ExperimentArms {
  readonly options: ExperimentOptions;
  /** Running experiments by room, and brand-wide ones by brand. */
  #bySession = new Map<string, Running>();
  #byBrand = new Map<string, Running>();
  #byId = new Map<string, Running>();
  readonly #units = new Lru<string, string>(100_000);
  #unitDeltas = new Map<string, UnitDelta>();
  #totalDeltas = new Map<string, TotalsDelta>();
  #flushing: Promise<void> = Promise.resolve();
  #timers: NodeJS.Timeout[] = [];
  #looking: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ExperimentDeps,
    options: Partial<ExperimentOptions> = {},
  ) {
    this.options = { ...EXPERIMENT_DEFAULTS, ...options };
  }

  // ---- lifecycle ----

  /** Reads the running experiments (at start, and when another node changed one). */
  async load(): Promise<void> {
    const running = await this.deps.store.list({ status: 'running' });
    const bySession = new Map<string, Running>();
    const byBrand = new Map<string, Running>();
    const byId = new Map<string, Running>();
    for (const record of running) {
      const previous = this.#byId.get(record.id);
      const looks = await this.deps.store.looks(record.id);
      const r: Running = { record, lastLookAt: looks.at(-1)?.takenAt ?? previous?.lastLookAt ?? record.startedAt ?? record.createdAt };
      byId.set(record.id, r);
      if (record.definition.sessionIds.length === 0) byBrand.set(record.brandId, r);
      for (const s of record.definition.sessionIds) bySession.set(s, r);
    }
    this.#bySession = bySession;
    this.#byBrand = byBrand;
    this.#byId = byId;
    this.#simulatedRooms = new Set();
  }

  start(): void {
    const flush = setInterval(() => void this.flush(), this.options.flushMs);
    // Each tick also re-reads which experiments run: one started or stopped elsewhere (another node
    // whose message was missed, or the CLI on a single-node deployment) takes effect within a tick.
    const tick = setInterval(
      () =>
        void this.load()
          .then(() => this.concludeEndedRooms())
          .then(() => this.takeDueLooks(this.deps.clock.now()), this.deps.onError),
      this.options.tickMs,
    );
    flush.unref();
    tick.unref();
    this.#timers.push(flush, tick);
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#looking;
    await this.flush();
  }

  // ---- operator actions ----

  async create(ctx: RequestContext, input: unknown, opts: { simulated?: boolean } = {}): Promise<Result<ExperimentView>> {
    if (opts.simulated && this.deps.mode !== 'demo') return fail('SIMULATION_REFUSED', 'simulated experiments run only in demo mode');
    // Every problem at once — the definition's, the brand's and each room's — so the operator fixes them all in one go.
    const parsed = parseDefinition(input);
    const problems: DefinitionProblem[] = parsed.ok ? [] : [...parsed.problems];
    const raw = (typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}) as Record<string, unknown>;
    const brandId = parsed.ok ? parsed.value.brandId : typeof raw.brandId === 'string' && !problems.some((p) => p.field === '/brandId') ? raw.brandId : undefined;
    const sessionIds = parsed.ok
      ? parsed.value.sessionIds
      : raw.sessionIds === undefined
        ? []
        : Array.isArray(raw.sessionIds) && raw.sessionIds.every((x) => typeof x === 'string') && !problems.some((p) => p.field.startsWith('/sessionIds'))
          ? (raw.sessionIds as string[])
          : undefined;
    if (sessionIds !== undefined) {
      const denied = await this.#denied(ctx, sessionIds);
      if (denied) return denied;
    }
    if (brandId !== undefined && !(await this.deps.brandExists(brandId))) problems.push({ field: '/brandId', reason: `no brand "${brandId}"` });
    let unknownRooms = 0;
    for (const [i, s] of (sessionIds ?? []).entries()) {
      const problem = await this.#roomProblem(s, brandId);
      if (problem === 'unknown') unknownRooms += 1;
      if (problem) problems.push({ field: `/sessionIds/${i}`, reason: roomReason(s, problem) });
    }
    if (problems.length) return invalidDefinition(problems, unknownRooms === problems.length ? 'SESSION_NOT_FOUND' : 'VALIDATION_FAILED');
    if (!parsed.ok) return invalidDefinition(parsed.problems);
    const d = parsed.value;
    const record: ExperimentRecord = {
      id: `exp-${randomBytes(6).toString('hex')}`,
      brandId: d.brandId,
      name: d.name,
      definition: d,
      status: 'draft',
      simulated: opts.simulated === true,
      assignmentSalt: randomBytes(32).toString('hex'),
      createdBy: ctx.actor.kind === 'staff' ? ctx.actor.name : 'system',
      createdAt: this.deps.clock.now(),
      startedAt: null,
      stoppedAt: null,
      stopReason: null,
    };
    if (!(await this.deps.store.insert(record))) return fail('DUPLICATE_REQUEST', 'an experiment with this id exists; try again');
    return ok(viewOf(record));
  }

  async startExperiment(ctx: RequestContext, id: string): Promise<Result<ExperimentView>> {
    const record = await this.deps.store.get(id);
    if (!record) return fail('EXPERIMENT_NOT_FOUND');
    const denied = await this.#denied(ctx, record.definition.sessionIds);
    if (denied) return denied;
    if (record.status !== 'draft') return fail('EXPERIMENT_STATE', `it is ${record.status}; only a draft can start`);
    // A room may have ended since the experiment was defined: it would never get a viewer.
    const ended: DefinitionProblem[] = [];
    for (const [i, s] of record.definition.sessionIds.entries()) {
      const problem = await this.#roomProblem(s, record.brandId);
      if (problem) ended.push({ field: `/sessionIds/${i}`, reason: roomReason(s, problem) });
    }
    if (ended.length) return fail('EXPERIMENT_STATE', describeProblems(ended), { errors: problemErrors(ended) });
    await this.load();
    const clash = this.#clashWith(record);
    if (clash) return fail('EXPERIMENT_CONFLICT', `experiment ${clash.id} already runs in ${clash.where}`);
    if (!(await this.deps.store.setStatus(id, ['draft'], 'running', this.deps.clock.now()))) return fail('EXPERIMENT_STATE', 'it changed meanwhile; reload');
    await this.load();
    this.deps.onChanged?.(id, 'running');
    return ok(viewOf((await this.deps.store.get(id))!));
  }

  /**
   * Discards a draft: defined but never started, it served no one and has no figures, so nothing is
   * lost. A started experiment is kept whatever happens (stop it instead): its record is the
   * account of what viewers were shown.
   */
  async discardDraft(ctx: RequestContext, id: string): Promise<Result<{ id: string }>> {
    const record = await this.deps.store.get(id);
    if (!record) return fail('EXPERIMENT_NOT_FOUND');
    const denied = await this.#denied(ctx, record.definition.sessionIds);
    if (denied) return denied;
    if (record.status !== 'draft') return fail('EXPERIMENT_STATE', `it is ${record.status}; only a draft can be discarded (stop a running experiment instead)`);
    if (!(await this.deps.store.deleteDraft(id))) return fail('EXPERIMENT_STATE', 'it changed meanwhile; reload');
    return ok({ id });
  }

  /** Stops a running experiment after a last look (its final analysis). */
  async stopExperiment(ctx: RequestContext, id: string, reason: string = STOP_REASONS.stopped_by_operator): Promise<Result<ExperimentView>> {
    const record = await this.deps.store.get(id);
    if (!record) return fail('EXPERIMENT_NOT_FOUND');
    const denied = await this.#denied(ctx, record.definition.sessionIds);
    if (denied) return denied;
    // The same rule for the API and the CLI: a short line of text.
    const length = [...reason].length;
    if (length < 1 || length > STOP_REASON_MAX) return fail('VALIDATION_FAILED', `reason: 1–${STOP_REASON_MAX} characters`, { errors: [{ field: 'body.reason', reason: `1–${STOP_REASON_MAX} characters` }] });
    if ([...reason].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return fail('VALIDATION_FAILED', 'reason: no control characters', { errors: [{ field: 'body.reason', reason: 'no control characters' }] });
    if (record.status !== 'running') return fail('EXPERIMENT_STATE', `it is ${record.status}; only a running experiment can stop`);
    await this.load();
    const running = this.#byId.get(id);
    if (running) await this.#serially(() => this.#takeLook(running, this.deps.clock.now(), true));
    await this.deps.store.setStatus(id, ['running'], 'stopped', this.deps.clock.now(), reason);
    await this.load();
    this.deps.onChanged?.(id, 'stopped');
    return ok(viewOf((await this.deps.store.get(id))!));
  }

  /** Why a room cannot take part in an experiment of this brand: it does not exist, is another brand's, or has ended. */
  async #roomProblem(sessionId: string, brandId: string | undefined): Promise<RoomProblem | undefined> {
    const brand = await this.deps.sessionBrand(sessionId);
    if (brand === undefined) return 'unknown';
    if (brandId !== undefined && brand !== brandId) return 'other_brand';
    if (this.deps.sessionEnded && (await this.deps.sessionEnded(sessionId))) return 'ended';
    return undefined;
  }

  /**
   * Concludes every running experiment whose rooms have all ended (its show is over, no viewer can
   * join): a final look, then stopped with the reason "room_ended". Checked on every schedule tick, so
   * an end missed by this node (a restart, another node's room) is still seen; `noteSessionEnded` is
   * the prompt path when the live room announces the end. Brand-wide experiments cover rooms yet to
   * come and are left running.
   */
  async concludeEndedRooms(): Promise<void> {
    const sessionEnded = this.deps.sessionEnded;
    if (!sessionEnded) return;
    for (const running of [...this.#byId.values()]) {
      const rooms = running.record.definition.sessionIds;
      if (rooms.length === 0) continue;
      let allEnded = true;
      for (const s of rooms) if (!(await sessionEnded(s))) allEnded = false;
      if (allEnded) await this.#conclude(running.record.id, STOP_REASONS.room_ended);
    }
  }

  /** A room's show ended: the experiments running only in ended rooms are concluded now. */
  async noteSessionEnded(sessionId: string): Promise<void> {
    if (![...this.#byId.values()].some((r) => r.record.definition.sessionIds.includes(sessionId))) return;
    await this.concludeEndedRooms();
  }

  /** The final look and the stop, by the system. */
  async #conclude(id: string, reason: string): Promise<void> {
    const running = this.#byId.get(id);
    if (!running) return;
    await this.#serially(() => this.#takeLook(running, this.deps.clock.now(), true));
    if (await this.deps.store.setStatus(id, ['running'], 'stopped', this.deps.clock.now(), reason)) {
      await this.load();
      this.deps.onChanged?.(id, 'stopped');
    }
  }

  /** FORBIDDEN unless the caller may run every room of the experiment (a brand-wide one: administrators only). */
  async #denied(ctx: RequestContext, sessionIds: readonly string[]): Promise<Result<never> | undefined> {
    const a = ctx.actor;
    if (a.kind === 'system' || (a.kind === 'staff' && a.role === 'admin')) return undefined;
    if (sessionIds.length === 0) return fail('FORBIDDEN', 'an experiment across all of a brand’s rooms is an administrator’s');
    for (const s of sessionIds) {
      if (!(await this.deps.canManageSession(ctx, s))) return fail('FORBIDDEN', 'you do not host every room of this experiment');
    }
    return undefined;
  }

  async get(id: string): Promise<ExperimentView | undefined> {
    const r = await this.deps.store.get(id);
    return r ? viewOf(r) : undefined;
  }

  async list(filter: { status?: ExperimentStatus; brandId?: string } = {}): Promise<ExperimentView[]> {
    return (await this.deps.store.list(filter)).map(viewOf);
  }

  async report(id: string): Promise<Result<ExperimentReport>> {
    const record = await this.deps.store.get(id);
    if (!record) return fail('EXPERIMENT_NOT_FOUND');
    await this.flush();
    const [totals, sums, stored] = await Promise.all([this.deps.store.totals(id), this.deps.store.unitSums(id), this.deps.store.looks(id)]);
    // One entry per look: the final analysis taken at a stop with no new viewer repeats the last look
    // (its fraction and boundary, with the outcomes that arrived since) and takes its place.
    const looks: (LookAnalysis & { takenAt: number })[] = [];
    for (const l of stored) {
      const analysis = { ...withoutEmptyIntervals(JSON.parse(l.analysis) as LookAnalysis), takenAt: l.takenAt };
      if (looks.length > 0 && looks[looks.length - 1]!.look === analysis.look) looks[looks.length - 1] = analysis;
      else looks.push(analysis);
    }
    const arms: ArmReport[] = [
      ...record.definition.arms.map((a) => armReport(a.id, a.name, a.policy, 'in', totals, sums.find((s) => s.arm === a.id)?.units ?? 0)),
      armReport(OUTSIDE_ARM, 'Outside (no personalisation consent)', 'non_personalised', 'outside', totals, null),
    ];
    return ok({
      experiment: viewOf(record),
      arms,
      looks,
      latest: looks.at(-1) ?? null,
      method:
        'Group-sequential design with Lan–DeMets alpha spending and repeated confidence intervals (docs/experiments-statistics.md); ' +
        'alpha split evenly over the treatment arms; viewers are units, assigned by a keyed hash of their pseudonym; viewers without personalisation consent are outside the comparison.',
    });
  }

  // ---- the request path (ExperimentArms) ----

  assign(sessionId: string, brandId: string, subject: string | undefined): ArmAssignment | undefined {
    const running = this.#runningIn(sessionId, brandId);
    if (!running) return undefined;
    if (subject === undefined) return { experimentId: running.record.id, arm: OUTSIDE_ARM, policy: 'non_personalised' };
    const d = running.record.definition;
    const arm = d.arms[armIndexOf(this.#unit(running, subject), d.allocation)]!;
    return {
      experimentId: running.record.id,
      arm: arm.id,
      policy: arm.policy as ArmPolicy,
      ...(arm.epsilon !== undefined ? { epsilon: arm.epsilon } : {}),
      ...(arm.alpha !== undefined ? { alpha: arm.alpha } : {}),
    };
  }

  /**
   * Simulated viewers (demo mode) reached this room: the experiment running there is marked
   * simulated from now on, whoever created it, so its figures are never read as a real audience's
   * (LC4). Cheap per request: nothing to do unless an unmarked experiment runs, and each room is
   * looked up once per reading of the running experiments.
   */
  async noteSimulatedTraffic(sessionId: string): Promise<void> {
    if (this.#simulatedRooms.has(sessionId)) return;
    const unmarked = [...this.#byId.values()].some((r) => !r.record.simulated);
    if (!unmarked) return;
    this.#simulatedRooms.add(sessionId);
    try {
      let running = this.#bySession.get(sessionId);
      if (!running && this.#byBrand.size > 0) {
        const brand = await this.deps.sessionBrand(sessionId);
        running = brand === undefined ? undefined : this.#byBrand.get(brand);
      }
      if (!running || running.record.simulated) return;
      if (await this.deps.store.markSimulated(running.record.id)) {
        await this.load();
        this.deps.onChanged?.(running.record.id, running.record.status);
      }
    } catch (err) {
      // Not marked (the database did not answer): the room's next simulated request tries again.
      this.#simulatedRooms.delete(sessionId);
      throw err;
    }
  }

  /** Rooms already looked at by noteSimulatedTraffic since the running experiments were last read. */
  #simulatedRooms = new Set<string>();

  /** The running experiment covering this room (its own, or its brand's brand-wide one). */
  #runningIn(sessionId: string, brandId: string): Running | undefined {
    const running = this.#bySession.get(sessionId) ?? this.#byBrand.get(brandId);
    return running && running.record.brandId === brandId ? running : undefined;
  }

  served(assignment: ArmAssignment, subject: string | undefined, served: { items: number; rankingMicros: number; at: number }): void {
    const running = this.#byId.get(assignment.experimentId);
    if (!running) return;
    const cohort: Cohort = assignment.arm === OUTSIDE_ARM ? 'outside' : 'in';
    this.#addTotals(assignment.experimentId, assignment.arm, cohort, { requests: 1, impressions: served.items, rankingCpuMicros: served.rankingMicros });
    if (cohort === 'in' && subject !== undefined) {
      this.#addUnit(running, this.#unit(running, subject), assignment.arm, served.at, { requests: 1, impressions: served.items });
    }
  }

  feedback(experiment: { id: string; arm: string }, deviceId: string | undefined, type: FeedbackType, at: number): void {
    const running = this.#byId.get(experiment.id);
    if (!running) return;
    const counts = type === 'click' ? { clicks: 1 } : type === 'add_to_cart' ? { carts: 1 } : undefined;
    if (!counts) return;
    const cohort: Cohort = experiment.arm === OUTSIDE_ARM ? 'outside' : 'in';
    this.#addTotals(experiment.id, experiment.arm, cohort, counts);
    if (cohort === 'in' && deviceId !== undefined) this.#addUnit(running, this.#unit(running, this.deps.subjectOf(deviceId)), experiment.arm, at, counts);
  }

  // ---- outcomes reported by other modules ----

  /** An order placed in a room: counted for the viewer's unit, or anonymously outside the comparison. */
  async noteOrder(sessionId: string, brandId: string, deviceId: string | undefined, amountFen: number): Promise<void> {
    const running = this.#runningIn(sessionId, brandId);
    if (!running) return;
    if (deviceId !== undefined) {
      await this.flush();
      const arm = await this.deps.store.changeUnit(running.record.id, this.#unit(running, this.deps.subjectOf(deviceId)), { orders: 1, gmvFen: amountFen });
      if (arm !== undefined) return;
      // A consenting viewer never shown a list is not part of the experiment (exposure-triggered analysis).
      if (await this.deps.allowsPersonalisation(deviceId, brandId)) return;
    }
    this.#addTotals(running.record.id, OUTSIDE_ARM, 'outside', { orders: 1, gmvFen: amountFen });
  }

  /** The viewer switched personalisation off or withdrew that consent: an opt-out in every experiment of the brand. */
  async noteOptOut(subject: string, brandId: string): Promise<void> {
    await this.#changeEverywhere(subject, (r) => r.record.brandId === brandId, { optedOut: true });
  }

  /** The viewer filed a report or complaint. */
  async noteReport(subject: string): Promise<void> {
    await this.#changeEverywhere(subject, () => true, { reports: 1 });
  }

  /** The viewer's own unit rows in every experiment (the privacy centre's export). */
  async unitsOfSubject(subject: string): Promise<readonly unknown[]> {
    await this.flush();
    const all = await this.deps.store.list({});
    const rows = await this.deps.store.units(all.map((e) => ({ experimentId: e.id, unit: unitOf(e.assignmentSalt, subject) })));
    return rows.map((r) => {
      const e = all.find((x) => x.id === r.experimentId)!;
      const arm = e.definition.arms.find((a) => a.id === r.arm);
      return { experiment: e.name, experimentId: e.id, simulated: e.simulated, arm: arm?.name ?? r.arm, ...r.counts };
    });
  }

  // ---- looks ----

  /** Takes the looks that are due (the schedule: every lookEveryMinutes while running). */
  takeDueLooks(now: number): Promise<void> {
    return this.#serially(async () => {
      for (const running of [...this.#byId.values()]) {
        if (now - running.lastLookAt >= running.record.definition.lookEveryMinutes * 60_000) await this.#takeLook(running, now, false);
      }
    });
  }

  #serially(work: () => Promise<void>): Promise<void> {
    this.#looking = this.#looking.then(work).catch((err) => this.deps.onError?.(err));
    return this.#looking;
  }

  async #takeLook(running: Running, now: number, stopping: boolean): Promise<void> {
    await this.flush();
    const id = running.record.id;
    running.lastLookAt = now;
    const [sums, exposure, stored] = await Promise.all([this.deps.store.unitSums(id), this.deps.store.exposure(id), this.deps.store.looks(id)]);
    const fractions = lookFractions(running.record.definition, stored);
    let fraction = informationFraction(running.record.definition, sums);
    if (fraction <= 0) {
      // An arm has no viewer yet: no information on the difference. A stop still records its final
      // look (verdict: not enough data), at the share of the planned viewers that came.
      const units = sums.reduce((n, x) => n + x.units, 0);
      if (!stopping || units === 0) return;
      fraction = Math.min(1, units / (running.record.definition.plannedUnitsPerArm * running.record.definition.arms.length));
    }
    if (fraction <= (fractions.at(-1) ?? 0)) {
      // No new viewers since the last look: nothing to spend alpha on. At the stop, the final analysis
      // is still recorded — the last look again, at its own boundary, with the outcomes (orders,
      // opt-outs, reports) that arrived since — so the verdict is final.
      if (!stopping || fractions.length === 0) return;
      fraction = fractions.at(-1)!;
    } else {
      fractions.push(fraction);
    }
    const definition = running.record.definition;
    const fairness =
      this.deps.armFairness && definition.guardrails.some((g) => g.metric === 'fairness_gap')
        ? await this.deps.armFairness(id, running.record.brandId, definition.arms.map((a) => a.id))
        : undefined;
    const analysis = analyse({ definition, fractions, sums, exposure, stopped: stopping, ...(fairness ? { fairness } : {}) });
    // False when another node took this look first: its record stands.
    if (!(await this.deps.store.addLook({ experimentId: id, look: stored.length + 1, fraction, takenAt: now, analysis: JSON.stringify(analysis) }))) return;
    if (fraction >= 1 && !stopping) {
      if (await this.deps.store.setStatus(id, ['running'], 'completed', now, STOP_REASONS.planned_sample_reached)) {
        await this.load();
        this.deps.onChanged?.(id, 'completed');
      }
    }
  }

  // ---- buffering ----

  /** Writes the buffered counts (one transaction). */
  flush(): Promise<void> {
    if (this.#unitDeltas.size === 0 && this.#totalDeltas.size === 0) return this.#flushing;
    const units = [...this.#unitDeltas.values()];
    const totals = [...this.#totalDeltas.values()];
    this.#unitDeltas = new Map();
    this.#totalDeltas = new Map();
    this.#flushing = this.#flushing.then(() => this.deps.store.applyDeltas(units, totals)).catch((err) => this.deps.onError?.(err));
    return this.#flushing;
  }

  #unit(running: Running, subject: string): string {
    const key = `${running.record.id}|${subject}`;
    let unit = this.#units.get(key);
    if (unit === undefined) {
      unit = unitOf(running.record.assignmentSalt, subject);
      this.#units.set(key, unit);
    }
    return unit;
  }

  #addUnit(running: Running, unit: string, arm: string, at: number, counts: Partial<Pick<UnitDelta, 'requests' | 'impressions' | 'clicks' | 'carts'>>): void {
    const key = `${running.record.id}|${unit}`;
    let d = this.#unitDeltas.get(key);
    if (!d) {
      d = { experimentId: running.record.id, unit, arm, region: this.deps.region, at, requests: 0, impressions: 0, clicks: 0, carts: 0 };
      this.#unitDeltas.set(key, d);
    }
    d.at = Math.max(d.at, at);
    d.requests += counts.requests ?? 0;
    d.impressions += counts.impressions ?? 0;
    d.clicks += counts.clicks ?? 0;
    d.carts += counts.carts ?? 0;
  }

  #addTotals(experimentId: string, arm: string, cohort: Cohort, counts: Partial<Omit<TotalsDelta, 'experimentId' | 'arm' | 'cohort'>>): void {
    const key = `${experimentId}|${arm}|${cohort}`;
    let d = this.#totalDeltas.get(key);
    if (!d) {
      d = { experimentId, arm, cohort, requests: 0, impressions: 0, clicks: 0, carts: 0, orders: 0, gmvFen: 0, rankingCpuMicros: 0 };
      this.#totalDeltas.set(key, d);
    }
    d.requests += counts.requests ?? 0;
    d.impressions += counts.impressions ?? 0;
    d.clicks += counts.clicks ?? 0;
    d.carts += counts.carts ?? 0;
    d.orders += counts.orders ?? 0;
    d.gmvFen += counts.gmvFen ?? 0;
    d.rankingCpuMicros += counts.rankingCpuMicros ?? 0;
  }

  async #changeEverywhere(subject: string, applies: (r: Running) => boolean, change: { optedOut?: boolean; reports?: number }): Promise<void> {
    const targets = [...this.#byId.values()].filter(applies);
    if (targets.length === 0) return;
    await this.flush();
    for (const r of targets) await this.deps.store.changeUnit(r.record.id, this.#unit(r, subject), change);
  }

  #clashWith(record: ExperimentRecord): { id: string; where: string } | undefined {
    for (const other of this.#byId.values()) {
      if (other.record.brandId !== record.brandId) continue;
      const mine = record.definition.sessionIds;
      const theirs = other.record.definition.sessionIds;
      if (mine.length === 0 || theirs.length === 0) return { id: other.record.id, where: mine.length === 0 ? 'a room of this brand' : `room ${mine[0]}` };
      const shared = mine.find((s) => theirs.includes(s));
      if (shared) return { id: other.record.id, where: `room ${shared}` };
    }
    return undefined;
  }
}

function viewOf(r: ExperimentRecord): ExperimentView {
  return {
    id: r.id,
    brandId: r.brandId,
    name: r.name,
    status: r.status,
    simulated: r.simulated,
    definition: r.definition,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    stoppedAt: r.stoppedAt,
    stopReason: r.stopReason,
    stopReasonCode: stopReasonCode(r.stopReason),
  };
}

function armReport(arm: string, name: string, policy: string, cohort: Cohort, totals: readonly ArmTotals[], units: number | null): ArmReport {
  const t = totals.find((x) => x.arm === arm && x.cohort === cohort) ?? { requests: 0, impressions: 0, clicks: 0, carts: 0, orders: 0, gmvFen: 0, rankingCpuMicros: 0 };
  const cpuMsPer1000 = t.requests ? (t.rankingCpuMicros / t.requests) * 1000 / 1000 : null;
  return {
    arm,
    name,
    policy,
    cohort,
    units,
    requests: t.requests,
    impressions: t.impressions,
    clickThrough: t.impressions ? t.clicks / t.impressions : null,
    cartRate: t.impressions ? t.carts / t.impressions : null,
    orders: t.orders,
    gmvYuan: t.gmvFen / 100,
    energy: {
      rankingCpuMsPer1000: cpuMsPer1000,
      whPer1000: cpuMsPer1000 === null ? null : cpuTimeEnergyKwh(cpuMsPer1000 / 1000) * 1000,
      method: CPU_TIME_METHOD,
      methodId: ENERGY_METHOD_ID,
    },
  };
}

type RoomProblem = 'unknown' | 'other_brand' | 'ended';

function roomReason(sessionId: string, problem: RoomProblem): string {
  switch (problem) {
    case 'unknown':
      return `no live session "${sessionId}"`;
    case 'other_brand':
      return `session "${sessionId}" belongs to another brand`;
    case 'ended':
      return `the live session "${sessionId}" has ended`;
  }
}

/** A refused definition: every problem in the detail (for the CLI) and as the API's `errors` entries. */
function invalidDefinition<T>(problems: readonly DefinitionProblem[], code: 'VALIDATION_FAILED' | 'SESSION_NOT_FOUND' = 'VALIDATION_FAILED'): Result<T> {
  return fail(code, describeProblems(problems), { errors: problemErrors(problems) });
}

/**
 * The information fractions of the looks already taken, as the current measure gives them (from
 * each stored analysis' units per arm), so a new look is compared with them on one scale — also
 * for an experiment that ran across an upgrade that changed the measure. Falls back to the stored
 * fractions when a stored analysis does not say (or the sequence would not rise).
 */
function lookFractions(definition: ExperimentDefinition, stored: readonly { fraction: number; analysis: string }[]): number[] {
  const recomputed = stored.map((l) => {
    try {
      const arms = (JSON.parse(l.analysis) as { arms?: { arm?: unknown; units?: unknown }[] }).arms ?? [];
      return informationFraction(
        definition,
        arms.flatMap((a) => (typeof a.arm === 'string' && typeof a.units === 'number' ? [{ arm: a.arm, units: a.units }] : [])),
      );
    } catch {
      return Number.NaN;
    }
  });
  const rising = recomputed.every((f, i) => f > 0 && Number.isFinite(f) && (i === 0 || f > recomputed[i - 1]!));
  return rising ? recomputed : stored.map((l) => l.fraction);
}
