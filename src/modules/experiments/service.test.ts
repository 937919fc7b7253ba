/**
 * The experiment service's schedule and lifecycle on a real (in-memory SQLite) store with a
 * controlled clock: looks only when due and only with new viewers, completion at the planned
 * sample, a final look on stop, simulated experiments only in demo mode, assignment stable and
 * consent-bound.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemContext } from '../../context/index.js';
import { openStorage, type Storage } from '../../storage/index.js';
import { OUTSIDE_ARM } from '../recommender/index.js';
import { KyselyExperimentStore } from './adapters/experiments.kysely.js';
import { ExperimentService, type ExperimentDeps } from './service.js';

const ctx = systemContext('test');
const definition = {
  name: 'T',
  brandId: 'b1',
  sessionIds: ['s1'],
  arms: [
    { id: 'control', name: 'Control', policy: 'non_personalised' },
    { id: 'bandit', name: 'Bandit', policy: 'lints' },
  ],
  allocation: [0.5, 0.5],
  control: 'control',
  primaryMetric: 'clicks_per_viewer',
  plannedUnitsPerArm: 100,
  lookEveryMinutes: 5,
};

/** The information fraction of a report's latest look from its arms' units (plan: 100 per arm). */
const fractionOf = (arms: readonly { arm: string; units: number }[]) => {
  const n = (id: string) => arms.find((a) => a.arm === id)!.units;
  return Math.min(1, 1 / (1 / n('control') + 1 / n('bandit')) / 50);
};

describe('ExperimentService', () => {
  let storage: Storage;
  const now = 1_000_000;
  const changes: string[] = [];
  const make = (over: Partial<ExperimentDeps> = {}) =>
    new ExperimentService({
      store: new KyselyExperimentStore(storage.db),
      clock: { now: () => now },
      region: 'cn-mainland',
      subjectOf: (d) => `subject-of-${d}`,
      sessionBrand: async (s) => (s === 's1' || s === 's2' ? 'b1' : undefined),
      allowsPersonalisation: async () => false,
      brandExists: async (b) => b === 'b1',
      canManageSession: async (c, s) => c.actor.kind === 'system' || (c.actor.kind === 'staff' && (c.actor.role === 'admin' || (c.actor.role === 'host' && s === 's1' && c.actor.id === 'host-of-s1'))),
      mode: 'demo',
      onChanged: (id, status) => changes.push(`${id}:${status}`),
      ...over,
    });
  beforeEach(async () => {
    storage = await openStorage('sqlite::memory:');
    changes.length = 0;
  });
  afterEach(async () => storage.close());

  it('assigns by keyed hash (stable, per experiment), keeps viewers without consent outside, and only in its rooms', async () => {
    const s = make();
    const id = (await s.create(ctx, definition)).ok && (await s.list())[0]!.id;
    expect((await s.startExperiment(ctx, id as string)).ok).toBe(true);
    const arms = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const a = s.assign('s1', 'b1', `subject-${i}`)!;
      expect(s.assign('s1', 'b1', `subject-${i}`)!.arm).toBe(a.arm);
      arms.set(a.arm, (arms.get(a.arm) ?? 0) + 1);
    }
    expect(arms.get('control')! + arms.get('bandit')!).toBe(400);
    expect(Math.abs(arms.get('control')! - 200)).toBeLessThan(50);
    expect(s.assign('s1', 'b1', undefined)).toEqual({ experimentId: id, arm: OUTSIDE_ARM, policy: 'non_personalised' });
    expect(s.assign('s2', 'b1', 'subject-1')).toBeUndefined();
    expect(s.assign('s1', 'other-brand', 'subject-1')).toBeUndefined();
    expect(s.assign('s1', 'b1', 'subject-1')!.policy).toMatch(/non_personalised|lints/);
  });

  it('looks on schedule only when there are new viewers, completes at the planned sample, and a stop takes the final look', async () => {
    const s = make();
    const created = await s.create(ctx, definition);
    if (!created.ok) throw new Error(created.code);
    const id = created.value.id;
    await s.startExperiment(ctx, id);
    const serve = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const a = s.assign('s1', 'b1', `subject-${i}`)!;
        s.served(a, `subject-${i}`, { items: 4, rankingMicros: 50, at: now });
      }
    };
    serve(0, 60);
    await s.takeDueLooks(now + 60_000); // not due yet (1 minute < 5)
    const early = await s.report(id);
    expect(early.ok && early.value.looks).toHaveLength(0);
    await s.takeDueLooks(now + 5 * 60_000);
    let report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.looks).toHaveLength(1);
    expect(report.value.latest!.fraction).toBeCloseTo(fractionOf(report.value.latest!.arms), 12);
    expect(report.value.latest!.fraction).toBeLessThanOrEqual(60 / 200); // equal arms at most, fewer when they differ
    // Due again but no new viewer: no look (no alpha spent on nothing).
    await s.takeDueLooks(now + 10 * 60_000);
    report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.looks).toHaveLength(1);
    // The energy of the ranking work per 1,000 lists, with its method.
    const bandit = report.value.arms.find((a) => a.arm === 'bandit')!;
    expect(bandit.energy.rankingCpuMsPer1000).toBeCloseTo(50, 9);
    // 50 ms of CPU per 1,000 lists × 3.5 W × PUE 1.3 = 6.3e-5 Wh.
    expect(bandit.energy.whPer1000).toBeCloseTo((0.05 * 3.5 * 1.3) / 3600, 12);

    // Past the planned sample: the next look is final and the experiment completes by itself.
    serve(60, 230);
    await s.takeDueLooks(now + 15 * 60_000);
    report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.latest!.fraction).toBe(1);
    expect(report.value.latest!.final).toBe(true);
    expect(report.value.experiment.status).toBe('completed');
    expect(changes).toContain(`${id}:completed`);
    expect(s.assign('s1', 'b1', 'subject-1')).toBeUndefined();
    expect((await s.stopExperiment(ctx, id)).ok).toBe(false);

    // Another experiment, stopped early: the stop takes a final look below fraction 1.
    const second = await s.create(ctx, { ...definition, name: 'second' });
    if (!second.ok) throw new Error(second.code);
    await s.startExperiment(ctx, second.value.id);
    serve(1000, 1040);
    const stopped = await s.stopExperiment(ctx, second.value.id, 'enough');
    expect(stopped.ok && stopped.value.status).toBe('stopped');
    const r2 = await s.report(second.value.id);
    if (!r2.ok) throw new Error(r2.code);
    expect(r2.value.looks).toHaveLength(1);
    expect(r2.value.latest!.final).toBe(true);
    expect(r2.value.latest!.fraction).toBeLessThan(1);
    await s.stop();
  });

  it('compares a new look with the looks taken before on one scale, also those stored under an earlier measure', async () => {
    const s = make();
    const created = await s.create(ctx, { ...definition, allocation: [0.2, 0.8] });
    if (!created.ok) throw new Error(created.code);
    const id = created.value.id;
    await s.startExperiment(ctx, id);
    const serve = (from: number, to: number) => {
      for (let i = from; i < to; i++) s.served(s.assign('s1', 'b1', `subject-${i}`)!, `subject-${i}`, { items: 4, rankingMicros: 50, at: now });
    };
    serve(0, 100);
    await s.takeDueLooks(now + 5 * 60_000);
    // As stored by a version that counted the total: 100 of 200 planned viewers, 0.5 — far above the
    // information the unequal arms hold (about 0.3).
    await storage.db.updateTable('experiment_looks').set({ fraction: 0.5 }).where('experiment_id', '=', id).execute();
    serve(100, 110);
    await s.takeDueLooks(now + 10 * 60_000);
    const report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.looks).toHaveLength(2);
    expect(report.value.looks[1]!.fraction).toBeCloseTo(fractionOf(report.value.latest!.arms), 12);
    expect(report.value.looks[1]!.fraction).toBeLessThan(0.5);
    await s.stop();
  });

  it('records a final look, with not enough data, when stopped while an arm has no viewer', async () => {
    const s = make();
    const created = await s.create(ctx, { ...definition, allocation: [0.01, 0.99] });
    if (!created.ok) throw new Error(created.code);
    const id = created.value.id;
    await s.startExperiment(ctx, id);
    let served = 0;
    for (let i = 0; served < 6 && i < 500; i++) {
      const a = s.assign('s1', 'b1', `subject-${i}`)!;
      if (a.arm !== 'bandit') continue;
      s.served(a, `subject-${i}`, { items: 4, rankingMicros: 50, at: now });
      served++;
    }
    expect((await s.stopExperiment(ctx, id, 'too early')).ok).toBe(true);
    const report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.looks).toHaveLength(1);
    expect(report.value.latest).toMatchObject({ final: true, fraction: 6 / 200 });
    expect(report.value.latest!.comparisons[0]!.verdict).toMatchObject({ kind: 'not_enough_data', final: true });
    await s.stop();
  });

  it('records the final analysis at a stop with no new viewer since the last look, with the outcomes that came in since', async () => {
    const s = make();
    const created = await s.create(ctx, definition);
    if (!created.ok) throw new Error(created.code);
    const id = created.value.id;
    await s.startExperiment(ctx, id);
    const assigned = Array.from({ length: 40 }, (_, i) => {
      const a = s.assign('s1', 'b1', `subject-of-device-${i}`)!;
      s.served(a, `subject-of-device-${i}`, { items: 4, rankingMicros: 50, at: now });
      return a;
    });
    await s.takeDueLooks(now + 5 * 60_000);
    let report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.looks).toHaveLength(1);
    expect(report.value.latest!.final).toBe(false);
    const before = report.value.latest!.arms.find((a) => a.arm === 'bandit')!.means.clicks_per_viewer;
    // Clicks from viewers already counted: no new viewer, so no scheduled look, but the stop analyses them.
    const bandit = assigned.map((a, i) => ({ a, i })).filter(({ a }) => a.arm === 'bandit');
    for (const { a, i } of bandit) s.feedback({ id, arm: a.arm }, `device-${i}`, 'click', now + 6 * 60_000);
    expect((await s.stopExperiment(ctx, id, 'show over')).ok).toBe(true);
    report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    // The final analysis repeats look 1 (its fraction and boundary) and takes its place: one look 1, final.
    expect(report.value.looks).toHaveLength(1);
    expect(report.value.looks.map((l) => l.look)).toEqual([1]);
    expect(report.value.latest!.look).toBe(1);
    expect(report.value.latest!.final).toBe(true);
    expect(report.value.latest!.fraction).toBeCloseTo(fractionOf(report.value.latest!.arms), 12);
    const after = report.value.latest!.arms.find((a) => a.arm === 'bandit')!.means.clicks_per_viewer;
    expect(after).toBeCloseTo((before ?? 0) + 1, 9);
    expect(report.value.experiment).toMatchObject({ stopReason: 'show over', stopReasonCode: null });
    await s.stop();
  });

  it('numbers looks consistently when a stop repeats the last look after several, and reports no interval while nothing varies', async () => {
    const s = make();
    const created = await s.create(ctx, { ...definition, primaryMetric: 'conversion', guardrails: [{ metric: 'opt_out_rate' }] });
    if (!created.ok) throw new Error(created.code);
    const id = created.value.id;
    await s.startExperiment(ctx, id);
    const serve = (from: number, to: number) => {
      for (let i = from; i < to; i++) s.served(s.assign('s1', 'b1', `subject-${i}`)!, `subject-${i}`, { items: 4, rankingMicros: 50, at: now });
    };
    serve(0, 40);
    await s.takeDueLooks(now + 5 * 60_000);
    serve(40, 88);
    await s.takeDueLooks(now + 10 * 60_000);
    expect((await s.stopExperiment(ctx, id)).ok).toBe(true);
    const report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.looks.map((l) => [l.look, l.final])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(report.value.looks[1]!.fraction).toBeCloseTo(fractionOf(report.value.latest!.arms), 12);
    expect(report.value.looks[0]!.fraction).toBeLessThan(report.value.looks[1]!.fraction);
    // No order, no opt-out: neither arm varies, so no interval is claimed (a point [0, 0] would look certain).
    const c = report.value.latest!.comparisons[0]!;
    expect(c).toMatchObject({ difference: null, relativeUplift: null, z: null, crossed: false, verdict: { kind: 'not_enough_data' } });
    expect(c.guardrails[0]).toMatchObject({ metric: 'opt_out_rate', difference: null, breached: false });
    expect(report.value.experiment).toMatchObject({ status: 'stopped', stopReason: 'stopped by operator', stopReasonCode: 'stopped_by_operator' });
    expect(report.value.arms[0]!.energy.methodId).toBe('ccf-linear');
    await s.stop();
  });

  it('shows analyses stored by earlier versions without a duplicated look or a zero-width interval', async () => {
    const s = make();
    const created = await s.create(ctx, definition);
    if (!created.ok) throw new Error(created.code);
    const id = created.value.id;
    const point = { estimate: 0, lo: 0, hi: 0 };
    const analysis = (final: boolean) =>
      JSON.stringify({
        look: 1,
        fraction: 0.44,
        bound: 8.5,
        alphaPerComparison: 0.05,
        final,
        arms: [],
        comparisons: [
          {
            treatment: 'bandit',
            control: 'control',
            metric: 'clicks_per_viewer',
            difference: { ...point, se: 0 },
            relativeUplift: null,
            z: null,
            crossed: false,
            guardrails: [{ metric: 'opt_out_rate', margin: 0, difference: point, breached: false }],
            verdict: { kind: 'not_enough_data', final, text: { zh: '数据不足', en: 'not enough data yet' } },
          },
        ],
      });
    const store = new KyselyExperimentStore(storage.db);
    await store.addLook({ experimentId: id, look: 1, fraction: 0.44, takenAt: now + 1, analysis: analysis(false) });
    await store.addLook({ experimentId: id, look: 2, fraction: 0.44, takenAt: now + 2, analysis: analysis(true) });
    const report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.looks.map((l) => [l.look, l.final, l.takenAt])).toEqual([[1, true, now + 2]]);
    expect(report.value.latest!.comparisons[0]!.difference).toBeNull();
    expect(report.value.latest!.comparisons[0]!.guardrails[0]!.difference).toBeNull();
  });

  it('refuses to create or start an experiment in an ended room, and concludes one whose rooms have all ended', async () => {
    const ended = new Set<string>();
    const s = make({ sessionEnded: async (id) => ended.has(id) });
    ended.add('s2');
    const refused = await s.create(ctx, { ...definition, sessionIds: ['s1', 's2'] });
    expect(refused).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', detail: '/sessionIds/1: the live session "s2" has ended' });
    // Defined while the room was live, started after it ended: refused, naming the room.
    ended.clear();
    const late = await s.create(ctx, { ...definition, name: 'late', sessionIds: ['s2'] });
    if (!late.ok) throw new Error(late.code);
    ended.add('s2');
    expect(await s.startExperiment(ctx, late.value.id)).toMatchObject({ ok: false, code: 'EXPERIMENT_STATE', detail: '/sessionIds/0: the live session "s2" has ended' });

    const created = await s.create(ctx, { ...definition, sessionIds: ['s1'] });
    if (!created.ok) throw new Error(created.code);
    const id = created.value.id;
    expect((await s.startExperiment(ctx, id)).ok).toBe(true);
    for (let i = 0; i < 30; i++) s.served(s.assign('s1', 'b1', `subject-${i}`)!, `subject-${i}`, { items: 4, rankingMicros: 50, at: now });
    await s.concludeEndedRooms();
    expect((await s.get(id))!.status).toBe('running');
    ended.add('s1');
    await s.noteSessionEnded('s1');
    const report = await s.report(id);
    if (!report.ok) throw new Error(report.code);
    expect(report.value.experiment).toMatchObject({ status: 'stopped', stopReasonCode: 'room_ended' });
    expect(report.value.latest).toMatchObject({ look: 1, final: true });
    expect(changes).toContain(`${id}:stopped`);
    expect(s.assign('s1', 'b1', 'subject-1')).toBeUndefined();
    await s.stop();
  });

  it('lets a host run experiments only in rooms they host, and refuses a brand that does not exist', async () => {
    const s = make();
    const as = (id: string, role: 'host' | 'admin') => ({ requestId: 'r', locale: 'zh-CN' as const, actor: { kind: 'staff' as const, id, name: id, role } });
    const host = as('host-of-s1', 'host');
    const otherHost = as('host-of-nothing', 'host');
    expect(await s.create(otherHost, definition)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    // Across all of a brand's rooms: an administrator's.
    expect(await s.create(host, { ...definition, sessionIds: [] })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect((await s.create(as('admin-1', 'admin'), { ...definition, name: 'brand-wide', sessionIds: [] })).ok).toBe(true);
    expect(await s.create(ctx, { ...definition, brandId: 'no-such-brand', sessionIds: [] })).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', detail: '/brandId: no brand "no-such-brand"' });
    const created = await s.create(host, definition);
    if (!created.ok) throw new Error(created.code);
    expect(await s.startExperiment(otherHost, created.value.id)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect((await s.startExperiment(host, created.value.id)).ok).toBe(true);
    expect(await s.stopExperiment(otherHost, created.value.id)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    // The reason: a short line, as over HTTP (the CLI calls the service directly).
    expect(await s.stopExperiment(host, created.value.id, 'x'.repeat(201))).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', detail: 'reason: 1–200 characters' });
    expect(await s.stopExperiment(host, created.value.id, 'line\nbreak')).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', detail: 'reason: no control characters' });
    expect((await s.get(created.value.id))!.status).toBe('running');
    expect((await s.stopExperiment(host, created.value.id)).ok).toBe(true);
    await s.stop();
  });

  it('refuses simulated experiments outside demo mode, conflicting experiments and unknown rooms', async () => {
    const production = make({ mode: 'production' });
    expect(await production.create(ctx, definition, { simulated: true })).toMatchObject({ ok: false, code: 'SIMULATION_REFUSED' });
    expect((await production.create(ctx, definition)).ok).toBe(true);
    const demo = make();
    const sim = await demo.create(ctx, definition, { simulated: true });
    expect(sim.ok && sim.value.simulated).toBe(true);
    expect(await demo.create(ctx, { ...definition, sessionIds: ['nowhere'] })).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    const [a, b] = await demo.list();
    expect((await demo.startExperiment(ctx, a!.id)).ok).toBe(true);
    expect(await demo.startExperiment(ctx, b!.id)).toMatchObject({ ok: false, code: 'EXPERIMENT_CONFLICT' });
    expect(await demo.startExperiment(ctx, 'exp-000000000000')).toMatchObject({ ok: false, code: 'EXPERIMENT_NOT_FOUND' });
  });
});
