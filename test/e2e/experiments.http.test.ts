/**
 * Experiments end to end on both databases: an operator defines and starts an experiment in the
 * demo room; consenting viewers are split by keyed hash and served by their arm (the non-personalised
 * list, or the arm's own bandit); viewers without consent are outside, served non-personalised and
 * counted anonymously; clicks, orders, opt-outs and complaints reach the right arm; a scheduled look
 * stores its analysis; stopping takes the final look. Bad definitions name their field.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PURPOSES } from '../../src/modules/consent/index.js';
import { buildApp } from '../../src/app.js';
import { signIn, testApp, type TestApp } from '../support/app.js';
import { DIALECTS, freshStorage } from '../support/databases.js';
import { waitFor } from '../support/ws.js';

const BRAND = 'demo-brand';

const definition = (over: Record<string, unknown> = {}) => ({
  name: 'Personalised vs not',
  brandId: BRAND,
  sessionIds: ['demo'],
  arms: [
    { id: 'control', name: 'Not personalised', policy: 'non_personalised' },
    { id: 'bandit', name: 'LinUCB', policy: 'linucb', epsilon: 0.05 },
  ],
  allocation: [0.5, 0.5],
  control: 'control',
  primaryMetric: 'conversion',
  plannedUnitsPerArm: 100,
  lookEveryMinutes: 5,
  ...over,
});

describe.each(DIALECTS)('experiments on %s', (dialect) => {
  let t: TestApp;
  let admin: { cookie: string };
  let n = 0;
  beforeEach(async () => {
    t = await testApp(dialect);
    admin = await signIn(t.app, 'admin');
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
  });
  afterEach(async () => t.close());

  const post = (url: string, payload?: unknown, cookie = admin.cookie) => t.app.inject({ method: 'POST', url, headers: { cookie }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const decide = async (deviceId: string, granted: readonly string[]) => {
    const notice = (await t.app.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
    // Each viewer from its own address, as real devices are (the route allows 30 decisions a minute per address).
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/consent',
      remoteAddress: `10.9.${++n % 250}.${n % 200}`,
      payload: { deviceId, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: granted.length ? 'custom' : 'decline_all', granted },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const recs = async (deviceId: string) => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations?k=3', headers: { 'x-qingliu-device': deviceId } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { personalised: boolean; modelVersion: string; experiment?: { id: string; arm: string }; items: { decisionId: string; productId: string; personalised: boolean }[] };
  };
  const report = async (id: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/experiments/${id}`, headers: { cookie: admin.cookie } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const device = (i: number) => `exp-${dialect}-viewer-${String(i).padStart(6, '0')}`;

  it('discards a draft (it served no one), never a started experiment', async () => {
    const draft = (await post('/api/v1/experiments', definition())).json().id as string;
    const del = (id: string) => t.app.inject({ method: 'DELETE', url: `/api/v1/experiments/${id}`, headers: { cookie: admin.cookie } });
    const gone = await del(draft);
    expect(gone.statusCode, gone.body).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/experiments/${draft}`, headers: { cookie: admin.cookie } })).json().code).toBe('EXPERIMENT_NOT_FOUND');
    const again = await del(draft);
    expect([again.statusCode, again.json().code]).toEqual([404, 'EXPERIMENT_NOT_FOUND']);
    // Started: kept, whatever happens (stopping is the way out), and so is its record after the stop.
    const started = (await post('/api/v1/experiments', definition())).json().id as string;
    expect((await post(`/api/v1/experiments/${started}/start`)).statusCode).toBe(200);
    const refused = await del(started);
    expect([refused.statusCode, refused.json().code]).toEqual([409, 'EXPERIMENT_STATE']);
    expect((await post(`/api/v1/experiments/${started}/stop`, { reason: 'done' })).statusCode).toBe(200);
    expect((await del(started)).statusCode).toBe(409);
    expect((await report(started)).experiment.status).toBe('stopped');
    // Not for anyone signed out.
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/experiments/${started}` })).statusCode).toBe(401);
  });

  it('marks an operator’s experiment simulated once simulated viewers reach its room, a brand-wide one too, and lists it so', async () => {
    for (const over of [{}, { sessionIds: [] }]) {
      const created = await post('/api/v1/experiments', definition(over));
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      expect(created.json().simulated).toBe(false);
      expect((await post(`/api/v1/experiments/${id}/start`)).json().status).toBe('running');
      // Real viewers leave it as it is.
      await recs(device(900));
      await t.app.services.experiments.flush();
      expect((await report(id)).experiment.simulated).toBe(false);
      // A simulated viewer reaches the room (demo mode): from then on it is shown as simulated.
      const simulated = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations?k=3', headers: { 'x-qingliu-device': device(901), 'x-qingliu-simulated': '1' } });
      expect(simulated.statusCode, simulated.body).toBe(200);
      await expect.poll(async () => (await report(id)).experiment.simulated).toBe(true);
      const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/experiments', headers: { cookie: admin.cookie } })).json() as { items: { id: string; simulated: boolean }[] };
      expect(listed.items.find((e) => e.id === id)!.simulated).toBe(true);
      expect((await post(`/api/v1/experiments/${id}/stop`, { reason: 'next case' })).statusCode).toBe(200);
    }
  });

  it('splits consenting viewers by keyed hash, keeps the rest outside, counts outcomes per arm and looks on schedule', async () => {
    const created = await post('/api/v1/experiments', definition());
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json().status).toBe('draft');
    expect((await post(`/api/v1/experiments/${id}/start`)).json().status).toBe('running');
    expect((await post(`/api/v1/experiments/${id}/start`)).json().code).toBe('EXPERIMENT_STATE');

    const consenting = Array.from({ length: 40 }, (_, i) => device(i));
    for (const d of consenting) await decide(d, PURPOSES);
    const armOf = new Map<string, string>();
    for (const d of consenting) {
      const first = await recs(d);
      const again = await recs(d);
      // The arm is stable per viewer, and labelled truthfully: the control arm's list is not personalised.
      expect(again.personalised).toBe(first.personalised);
      armOf.set(d, first.personalised ? 'bandit' : 'control');
      expect(first.experiment).toEqual({ id, arm: armOf.get(d) });
      if (first.personalised) expect(first.modelVersion).toMatch(new RegExp(`^experiment:${id}:bandit:`));
      else expect(first.modelVersion).toBe('non-personalised-v1');
    }
    const sizes = [...armOf.values()].reduce((m, a) => m.set(a, (m.get(a) ?? 0) + 1), new Map<string, number>());
    expect(sizes.get('control')).toBeGreaterThan(5);
    expect(sizes.get('bandit')).toBeGreaterThan(5);

    // Outside: no personalisation consent → non-personalised, never a unit.
    const outsiders = [device(900), device(901)];
    await decide(outsiders[0]!, []);
    for (const d of outsiders) {
      const list = await recs(d);
      expect(list.personalised).toBe(false);
      expect(list.experiment?.arm).toBe('outside');
    }

    // A click from a bandit viewer, an order from a control viewer and one from an outsider.
    const banditViewer = consenting.find((d) => armOf.get(d) === 'bandit')!;
    const controlViewer = consenting.find((d) => armOf.get(d) === 'control')!;
    const shown = await recs(banditViewer);
    const click = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions/demo/recommendations/feedback',
      payload: { decisionId: shown.items[0]!.decisionId, type: 'click', idempotencyKey: `exp-click-${dialect}-${++n}`, deviceId: banditViewer },
    });
    expect(click.statusCode, click.body).toBe(202);
    expect(click.json().learned).toBe(true);
    const room = (await t.app.inject('/api/v1/sessions/demo')).json() as { products: { id: string; priceFen: number; soldOut: boolean }[] };
    const product = room.products.find((p) => !p.soldOut)!;
    const order = (d: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/sessions/demo/orders', headers: { 'x-qingliu-device': d }, payload: { productId: product.id, quantity: 2, clientOrderId: `exp-order-${dialect}-${++n}` } });
    expect((await order(controlViewer)).statusCode).toBe(201);
    expect((await order(outsiders[0]!)).statusCode).toBe(201);

    // The bandit viewer switches personalisation off: an opt-out, and from now on not personalised.
    await t.app.inject({ method: 'PUT', url: '/api/v1/privacy/personalisation', headers: { 'x-qingliu-device': banditViewer }, payload: { brandId: BRAND, on: false } });
    expect((await recs(banditViewer)).personalised).toBe(false);

    // The production model learnt nothing from the experiment; the arm's model did.
    expect(t.app.services.recommender.updates).toBe(0);
    expect(t.app.services.recommender.armModel(id, 'bandit')?.updates).toBe(1);

    // A look on schedule (the clock moved on by the look interval).
    await t.app.services.experiments.takeDueLooks(Date.now() + 6 * 60_000);
    const r = await report(id);
    expect(r.looks).toHaveLength(1);
    const arm = (a: string, cohort = 'in') => r.arms.find((x: { arm: string; cohort: string }) => x.arm === a && x.cohort === cohort);
    expect(arm('control').units + arm('bandit').units).toBe(40);
    // The information on the difference, 1/(1/n_control + 1/n_bandit), over the plan's (100 per arm: 50).
    expect(r.latest.fraction).toBeCloseTo(1 / (1 / arm('control').units + 1 / arm('bandit').units) / 50, 10);
    expect(arm('control').units).toBe(sizes.get('control'));
    expect(arm('bandit').requests).toBe(2 * sizes.get('bandit')! + 1);
    expect(arm('bandit').impressions).toBe(3 * (2 * sizes.get('bandit')! + 1));
    expect(arm('bandit').clickThrough).toBeGreaterThan(0);
    expect(arm('control').orders).toBe(1);
    expect(arm('control').gmvYuan).toBe((2 * product.priceFen) / 100);
    // The opted-out viewer's later request is outside (no consent now); earlier ones stay in their arm.
    const outside = arm('outside', 'outside');
    expect(outside.requests).toBe(outsiders.length + 1);
    expect(outside.orders).toBe(1);
    expect(outside.units).toBeNull();
    const comparison = r.latest.comparisons[0];
    expect(comparison.treatment).toBe('bandit');
    expect(r.latest.arms.find((a: { arm: string }) => a.arm === 'bandit').means.opt_out_rate).toBeCloseTo(1 / sizes.get('bandit')!, 10);
    expect(r.latest.arms.find((a: { arm: string }) => a.arm === 'control').means.conversion).toBeCloseTo(1 / sizes.get('control')!, 10);
    expect(typeof comparison.verdict.text.en).toBe('string');
    expect(Number.isFinite(r.latest.bound)).toBe(true);
    expect(arm('bandit').energy.method).toMatch(/ccf-linear/);

    // No unit row holds a device id or the pseudonym.
    const units = await t.app.services.storage.db.selectFrom('experiment_units').selectAll().execute();
    expect(units).toHaveLength(40);
    const subject = t.app.services.protection.subjectFor(banditViewer, t.app.services.region);
    expect(JSON.stringify(units)).not.toContain(subject);
    expect(JSON.stringify(units)).not.toContain(banditViewer);

    // The viewer sees their unit in their data export, and erasure deletes it.
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/privacy/data', headers: { 'x-qingliu-device': banditViewer } });
    const mine = exported.json().experiment_units as { experimentId: string; arm: string; requests: number; optedOut: boolean }[];
    expect(mine).toEqual([expect.objectContaining({ experimentId: id, arm: 'LinUCB', requests: 3, optedOut: true })]);
    await t.app.inject({ method: 'POST', url: '/api/v1/privacy/erasure', headers: { 'x-qingliu-device': banditViewer }, payload: { confirm: true } });
    expect(await t.app.services.storage.db.selectFrom('experiment_units').selectAll().execute()).toHaveLength(39);

    // Stopping takes a final look when there is news, and the room goes back to the production model.
    const stopped = await post(`/api/v1/experiments/${id}/stop`, { reason: 'enough' });
    expect(stopped.json().status).toBe('stopped');
    expect((await recs(consenting.find((d) => armOf.get(d) === 'bandit' && d !== banditViewer)!)).modelVersion).toMatch(/^qingliu-linear-v3:/);
  });

  it('refuses bad definitions with every problem named, and a second experiment in the same room', async () => {
    const bad = await post('/api/v1/experiments', definition({ allocation: [0.5, 0.4], arms: [{ id: 'control', name: 'A', policy: 'non_personalised' }, { id: 'b', name: 'B', policy: 'mlp-heavy' }], primaryMetric: 'happiness' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
    expect(bad.json().detail).toContain('/allocation: the shares must sum to 1');
    expect(bad.json().detail).toContain('/arms/1/policy: unknown model "mlp-heavy"');
    expect(bad.json().detail).toContain('/primaryMetric: unknown metric "happiness"');
    // The same entries as every other refused body in the API: one per problem, its field and why.
    expect(bad.json().errors).toEqual(
      expect.arrayContaining([
        { field: 'body.allocation', reason: 'the shares must sum to 1 (they sum to 0.9)' },
        { field: 'body.arms.1.policy', reason: expect.stringMatching(/^unknown model "mlp-heavy"; known: /) },
        { field: 'body.primaryMetric', reason: expect.stringMatching(/^unknown metric "happiness"; known: /) },
      ]),
    );
    expect(bad.json()).not.toHaveProperty('problems');
    const extra = (await post('/api/v1/experiments', definition({ extra: 1 }))).json();
    expect(extra.detail).toBe('/extra: unknown field');
    expect(extra.errors).toEqual([{ field: 'body.extra', reason: 'unknown field' }]);
    expect((await post('/api/v1/experiments', { ...definition(), name: undefined })).json().errors).toEqual([{ field: 'body.name', reason: 'missing required field' }]);
    expect((await post('/api/v1/experiments', definition({ control: 'nobody' }))).json().detail).toContain('/control: no arm "nobody"');
    // Every unknown room is named, not only the first.
    const rooms = await post('/api/v1/experiments', definition({ sessionIds: ['no-such-room', 'demo', 'nor-this-one'] }));
    expect(rooms.statusCode).toBe(404);
    expect(rooms.json()).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      detail: '/sessionIds/0: no live session "no-such-room"; /sessionIds/2: no live session "nor-this-one"',
      errors: [
        { field: 'body.sessionIds.0', reason: 'no live session "no-such-room"' },
        { field: 'body.sessionIds.2', reason: 'no live session "nor-this-one"' },
      ],
    });
    expect((await post('/api/v1/experiments', definition({ arms: [{ id: 'a', name: 'A', policy: 'non_personalised' }, { id: 'b', name: 'B', policy: 'non_personalised' }], control: 'a' }))).json().detail).toContain(
      'at least one arm must use a learning model',
    );
    // Nothing was stored by any refused definition.
    expect(await t.app.services.storage.db.selectFrom('experiments').selectAll().execute()).toHaveLength(0);

    const a = (await post('/api/v1/experiments', definition())).json().id as string;
    const b = (await post('/api/v1/experiments', definition({ sessionIds: [] }))).json().id as string;
    expect((await post(`/api/v1/experiments/${a}/start`)).statusCode).toBe(200);
    const clash = await post(`/api/v1/experiments/${b}/start`);
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('EXPERIMENT_CONFLICT');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/experiments/exp-000000000000', headers: { cookie: admin.cookie } })).json().code).toBe('EXPERIMENT_NOT_FOUND');

    // Roles: a moderator may read but not define; viewers may not read.
    const moderator = await signIn(t.app, 'moderator');
    expect((await post('/api/v1/experiments', definition(), moderator.cookie)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/experiments/${a}`, headers: { cookie: moderator.cookie } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/experiments/${a}` })).statusCode).toBe(401);
  });

  it('names every problem of a definition at once: the schema’s, the semantic ones and the unknown rooms', async () => {
    const bad = await post(
      '/api/v1/experiments',
      definition({ arms: [{ id: 'control', name: 'A', policy: 'non_personalised' }, { id: 'b', name: 'B', policy: 'mlp-heavy' }], allocation: [0.5, 0.4], sessionIds: ['demo', 'nosuch'] }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
    expect(bad.json().errors).toEqual([
      { field: 'body.arms.1.policy', reason: expect.stringMatching(/^unknown model "mlp-heavy"; known: .*mlp/) },
      { field: 'body.allocation', reason: 'the shares must sum to 1 (they sum to 0.9)' },
      { field: 'body.sessionIds.1', reason: 'no live session "nosuch"' },
    ]);
    // A schema problem does not hide the others.
    const many = await post('/api/v1/experiments', definition({ allocation: [0.5, 0.5, 0.2], control: 'c', primaryMetric: 'ctr', plannedUnitsPerArm: 20 }));
    expect(many.statusCode).toBe(400);
    expect(many.json().errors).toEqual(
      expect.arrayContaining([
        { field: 'body.plannedUnitsPerArm', reason: 'must be >= 100' },
        { field: 'body.allocation', reason: '3 shares for 2 arms: one share per arm, in arm order' },
        { field: 'body.allocation', reason: 'the shares must sum to 1 (they sum to 1.2)' },
        { field: 'body.control', reason: 'no arm "c" (arms: control, bandit)' },
        { field: 'body.primaryMetric', reason: expect.stringMatching(/^unknown metric "ctr"; known: /) },
      ]),
    );
    expect(many.json().errors).toHaveLength(5);
    expect(await t.app.services.storage.db.selectFrom('experiments').selectAll().execute()).toHaveLength(0);
  });

  it('stops without a body, or with an empty JSON body: the reason is optional', async () => {
    for (const request of [{}, { headers: { 'content-type': 'application/json' }, payload: '' }]) {
      const id = (await post('/api/v1/experiments', definition())).json().id as string;
      expect((await post(`/api/v1/experiments/${id}/start`)).statusCode).toBe(200);
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/experiments/${id}/stop`, ...request, headers: { cookie: admin.cookie, ...(request.headers ?? {}) } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: 'stopped', stopReason: 'stopped by operator', stopReasonCode: 'stopped_by_operator' });
    }
    // A body that is there is still checked.
    const id = (await post('/api/v1/experiments', definition())).json().id as string;
    await post(`/api/v1/experiments/${id}/start`);
    expect((await post(`/api/v1/experiments/${id}/stop`, { reason: '' })).statusCode).toBe(400);
    expect((await post(`/api/v1/experiments/${id}/stop`, { why: 'x' })).statusCode).toBe(400);
    const typed = await post(`/api/v1/experiments/${id}/stop`, { reason: '演示结束' });
    expect(typed.json()).toMatchObject({ status: 'stopped', stopReason: '演示结束', stopReasonCode: null });
  });

  it('concludes an experiment when its room ends, and refuses one in an ended room', async () => {
    const id = (await post('/api/v1/experiments', definition({ sessionIds: ['demo'] }))).json().id as string;
    expect((await post(`/api/v1/experiments/${id}/start`)).statusCode).toBe(200);
    await recs(device(1));
    expect((await post('/api/v1/sessions/demo/end', {})).statusCode).toBe(200);
    await waitFor(async () => ((await report(id)).experiment.status === 'stopped' ? true : undefined), 'the experiment to conclude when its room ended', 10_000);
    expect((await report(id)).experiment).toMatchObject({ status: 'stopped', stopReasonCode: 'room_ended' });
    // The room is over: a new experiment there is refused, naming it; so is a list.
    const refused = await post('/api/v1/experiments', definition({ sessionIds: ['demo'] }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([{ field: 'body.sessionIds.0', reason: 'the live session "demo" has ended' }]);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', headers: { 'x-qingliu-device': device(1) } });
    expect([list.statusCode, list.json().code]).toEqual([409, 'SESSION_ENDED']);
  });
});

describe('an experiment across a restart', () => {
  it('keeps running, keeps each viewer in their arm, and restores the bandit arm’s own model', async () => {
    const { storage, dispose } = await freshStorage('sqlite');
    const template = await testApp('sqlite');
    await template.close();
    const first = await buildApp(template.config, { logger: false, storage });
    try {
      const admin = await signIn(first, 'admin');
      await first.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
      const created = await first.inject({ method: 'POST', url: '/api/v1/experiments', headers: { cookie: admin.cookie }, payload: definition({ allocation: [0.01, 0.99] }) });
      const id = created.json().id as string;
      await first.inject({ method: 'POST', url: `/api/v1/experiments/${id}/start`, headers: { cookie: admin.cookie } });
      const notice = (await first.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
      const viewers = ['restart-exp-viewer-000001', 'restart-exp-viewer-000002', 'restart-exp-viewer-000003'];
      const arms = new Map<string, string>();
      let learnt = 0;
      for (const [i, d] of viewers.entries()) {
        await first.inject({
          method: 'POST',
          url: '/api/v1/consent',
          remoteAddress: `10.8.0.${i + 1}`,
          payload: { deviceId: d, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] },
        });
        const list = (await first.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', headers: { 'x-qingliu-device': d } })).json();
        arms.set(d, list.experiment.arm);
        if (list.experiment.arm === 'bandit') {
          const fb = await first.inject({
            method: 'POST',
            url: '/api/v1/sessions/demo/recommendations/feedback',
            payload: { decisionId: list.items[0].decisionId, type: 'like', idempotencyKey: `restart-exp-${i}`, deviceId: d },
          });
          if (fb.json().learned) learnt++;
        }
      }
      expect(learnt).toBeGreaterThan(0);
      const before = first.services.recommender.armModel(id, 'bandit')!;
      expect(before.updates).toBe(learnt);
      await first.close();

      const second = await buildApp(template.config, { logger: false, storage });
      try {
        for (const d of viewers) {
          const list = (await second.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations', headers: { 'x-qingliu-device': d } })).json();
          expect(list.experiment).toEqual({ id, arm: arms.get(d) });
          if (arms.get(d) === 'bandit') expect(list.modelVersion).toBe(before.version);
        }
        expect(second.services.recommender.armModel(id, 'bandit')).toEqual(before);
      } finally {
        await second.close();
      }
    } finally {
      await dispose();
    }
  });
});

describe('the heavier model (an MLP) as an experiment arm', () => {
  it('serves personalised lists explained by gradient × input, learns from its own feedback, and is restored after a restart', async () => {
    const { storage, dispose } = await freshStorage('sqlite');
    const template = await testApp('sqlite');
    await template.close();
    const first = await buildApp(template.config, { logger: false, storage });
    try {
      const admin = await signIn(first, 'admin');
      await first.inject({ method: 'POST', url: '/api/v1/sessions/demo/start', headers: { cookie: admin.cookie }, payload: {} });
      const arms = [
        { id: 'control', name: 'Not personalised', policy: 'non_personalised' },
        { id: 'neural', name: 'MLP', policy: 'mlp', epsilon: 0.1 },
      ];
      // The MLP has no confidence bonus: a width for it is refused, by name.
      const bad = await first.inject({
        method: 'POST',
        url: '/api/v1/experiments',
        headers: { cookie: admin.cookie },
        payload: definition({ arms: [arms[0], { ...arms[1], alpha: 2 }] }),
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().detail).toContain('/arms/1/alpha: the mlp arm has no confidence bonus');
      const created = await first.inject({ method: 'POST', url: '/api/v1/experiments', headers: { cookie: admin.cookie }, payload: definition({ arms, allocation: [0.01, 0.99] }) });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      await first.inject({ method: 'POST', url: `/api/v1/experiments/${id}/start`, headers: { cookie: admin.cookie } });
      const notice = (await first.inject({ method: 'GET', url: `/api/v1/consent/notice?brandId=${BRAND}&locale=zh-CN` })).json();
      const viewers = ['mlp-arm-viewer-000001', 'mlp-arm-viewer-000002', 'mlp-arm-viewer-000003', 'mlp-arm-viewer-000004'];
      let learnt = 0;
      let served = 0;
      let neuralViewer: string | undefined;
      for (const [i, d] of viewers.entries()) {
        await first.inject({
          method: 'POST',
          url: '/api/v1/consent',
          remoteAddress: `10.7.0.${i + 1}`,
          payload: { deviceId: d, brandId: BRAND, noticeVersion: notice.version, noticeHash: notice.hash, locale: 'zh-CN', method: 'accept_all', granted: [...PURPOSES] },
        });
        const list = (await first.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations?k=4', headers: { 'x-qingliu-device': d } })).json();
        if (list.experiment.arm !== 'neural') continue;
        neuralViewer ??= d;
        served++;
        expect(list.personalised).toBe(true);
        expect(list.modelVersion).toMatch(new RegExp(`^experiment:${id}:neural:\\d+$`));
        for (const item of list.items) {
          const e = item.explanation;
          // A first-order attribution, labelled so, with what it leaves out reported.
          expect(e.method).toBe('gradient-x-input');
          expect(Number.isFinite(e.residual)).toBe(true);
          expect(e.contributions.length).toBeGreaterThan(0);
          const sum = e.contributions.reduce((a: number, c: { phi: number }) => a + c.phi, 0);
          expect(Math.abs(e.base + sum + e.residual - e.score)).toBeLessThan(1e-9);
          expect(e.exploration.bonus).toBe(0);
        }
        const fb = await first.inject({
          method: 'POST',
          url: '/api/v1/sessions/demo/recommendations/feedback',
          payload: { decisionId: list.items[0].decisionId, type: 'click', idempotencyKey: `mlp-arm-${i}`, deviceId: d },
        });
        expect(fb.statusCode, fb.body).toBe(202);
        if (fb.json().learned) learnt++;
      }
      expect(served).toBeGreaterThan(0);
      expect(learnt).toBe(served);
      const before = first.services.recommender.armModel(id, 'neural')!;
      expect(before).toMatchObject({ kind: 'mlp', updates: learnt, version: `experiment:${id}:neural:${learnt}` });
      // The production model learnt nothing from the arm.
      expect(first.services.recommender.updates).toBe(0);
      await first.close();

      const second = await buildApp(template.config, { logger: false, storage });
      try {
        const list = (await second.inject({ method: 'GET', url: '/api/v1/sessions/demo/recommendations?k=4', headers: { 'x-qingliu-device': neuralViewer! } })).json();
        expect(list.experiment).toEqual({ id, arm: 'neural' });
        expect(list.modelVersion).toBe(before.version);
        expect(second.services.recommender.armModel(id, 'neural')).toEqual(before);
      } finally {
        await second.close();
      }
    } finally {
      await dispose();
    }
  });
});
