import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { ExperimentTable } from '../../../storage/schema.js';
import type { ExperimentDefinition, UnitMetric } from '../definition.js';
import type { ArmTotals, ArmUnitSums, ExperimentRecord, ExperimentStatus, ExperimentStore, LookRecord, TotalsDelta, UnitChange, UnitCounts, UnitDelta } from '../ports.js';

const n = (v: unknown): number => Number(v ?? 0);

/** Per-viewer metric expressions over experiment_units: the value of one unit. */
const METRIC_SQL: Record<UnitMetric, string> = {
  conversion: 'case when orders > 0 then 1 else 0 end',
  gmv_per_viewer: 'gmv_fen',
  clicks_per_viewer: 'clicks',
  carts_per_viewer: 'carts',
  opt_out_rate: 'opted_out',
  report_rate: 'case when reports > 0 then 1 else 0 end',
};
/** GMV is stored in fen and reported in yuan. */
const METRIC_SCALE: Record<UnitMetric, number> = {
  conversion: 1,
  gmv_per_viewer: 0.01,
  clicks_per_viewer: 1,
  carts_per_viewer: 1,
  opt_out_rate: 1,
  report_rate: 1,
};

export class KyselyExperimentStore implements ExperimentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(r: ExperimentRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('experiments')
      .values({
        id: r.id,
        brand_id: r.brandId,
        name: r.name,
        definition: JSON.stringify(r.definition),
        status: r.status,
        simulated: r.simulated ? 1 : 0,
        assignment_salt: r.assignmentSalt,
        created_by: r.createdBy,
        created_at: r.createdAt,
        started_at: r.startedAt,
        stopped_at: r.stoppedAt,
        stop_reason: r.stopReason,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return n(result.numInsertedOrUpdatedRows) === 1;
  }

  async get(id: string): Promise<ExperimentRecord | undefined> {
    const row = await this.db.selectFrom('experiments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? recordOf(row) : undefined;
  }

  async list(filter: { status?: ExperimentStatus; brandId?: string }): Promise<ExperimentRecord[]> {
    let q = this.db.selectFrom('experiments').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.brandId) q = q.where('brand_id', '=', filter.brandId);
    return (await q.orderBy('created_at', 'desc').orderBy('id').execute()).map(recordOf);
  }

  async setStatus(id: string, from: readonly ExperimentStatus[], to: ExperimentStatus, at: number, reason?: string): Promise<boolean> {
    const r = await this.db
      .updateTable('experiments')
      .set({
        status: to,
        ...(to === 'running' ? { started_at: at } : {}),
        ...(to === 'stopped' || to === 'completed' ? { stopped_at: at, stop_reason: reason ?? null } : {}),
      })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return n(r.numUpdatedRows) === 1;
  }

  async deleteDraft(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('experiments').where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
    return n(r.numDeletedRows) === 1;
  }

  async markSimulated(id: string): Promise<boolean> {
    const r = await this.db.updateTable('experiments').set({ simulated: 1 }).where('id', '=', id).where('simulated', '=', 0).executeTakeFirst();
    return n(r.numUpdatedRows) === 1;
  }

  async applyDeltas(units: readonly UnitDelta[], totals: readonly TotalsDelta[]): Promise<void> {
    if (units.length === 0 && totals.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const u of units) {
        await tx
          .insertInto('experiment_units')
          .values({
            experiment_id: u.experimentId,
            unit: u.unit,
            arm: u.arm,
            region: u.region,
            first_seen_at: u.at,
            last_seen_at: u.at,
            requests: u.requests,
            impressions: u.impressions,
            clicks: u.clicks,
            carts: u.carts,
            orders: 0,
            gmv_fen: 0,
            reports: 0,
            opted_out: 0,
          })
          .onConflict((oc) =>
            oc.columns(['experiment_id', 'unit']).doUpdateSet({
              requests: sql`experiment_units.requests + excluded.requests`,
              impressions: sql`experiment_units.impressions + excluded.impressions`,
              clicks: sql`experiment_units.clicks + excluded.clicks`,
              carts: sql`experiment_units.carts + excluded.carts`,
              last_seen_at: sql`case when excluded.last_seen_at > experiment_units.last_seen_at then excluded.last_seen_at else experiment_units.last_seen_at end`,
            }),
          )
          .execute();
      }
      for (const t of totals) await addTotals(tx, t);
    });
  }

  async changeUnit(experimentId: string, unit: string, change: UnitChange): Promise<string | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('experiment_units').select(['arm', 'opted_out']).where('experiment_id', '=', experimentId).where('unit', '=', unit).executeTakeFirst();
      if (!row) return undefined;
      await tx
        .updateTable('experiment_units')
        .set({
          orders: sql`orders + ${change.orders ?? 0}`,
          gmv_fen: sql`gmv_fen + ${change.gmvFen ?? 0}`,
          reports: sql`reports + ${change.reports ?? 0}`,
          ...(change.optedOut ? { opted_out: 1 } : {}),
        })
        .where('experiment_id', '=', experimentId)
        .where('unit', '=', unit)
        .execute();
      if (change.orders || change.gmvFen) {
        await addTotals(tx, { experimentId, arm: row.arm, cohort: 'in', requests: 0, impressions: 0, clicks: 0, carts: 0, orders: change.orders ?? 0, gmvFen: change.gmvFen ?? 0, rankingCpuMicros: 0 });
      }
      return row.arm;
    });
  }

  async unitSums(experimentId: string): Promise<ArmUnitSums[]> {
    const metrics = Object.keys(METRIC_SQL) as UnitMetric[];
    const rows = await this.db
      .selectFrom('experiment_units')
      .select((eb) => [
        'arm',
        eb.fn.countAll<string>().as('units'),
        ...metrics.flatMap((m) => [
          sql<string>`sum(${sql.raw(METRIC_SQL[m])})`.as(`${m}_s`),
          sql<string>`sum((${sql.raw(METRIC_SQL[m])}) * (${sql.raw(METRIC_SQL[m])}))`.as(`${m}_q`),
        ]),
      ])
      .where('experiment_id', '=', experimentId)
      .groupBy('arm')
      .execute();
    return rows.map((r) => {
      const row = r as unknown as Record<string, unknown>;
      const units = n(row.units);
      const out = {} as Record<UnitMetric, { units: number; sum: number; sumSquares: number }>;
      for (const m of metrics) {
        const k = METRIC_SCALE[m];
        out[m] = { units, sum: n(row[`${m}_s`]) * k, sumSquares: n(row[`${m}_q`]) * k * k };
      }
      return { arm: String(row.arm), units, metrics: out };
    });
  }

  async totals(experimentId: string): Promise<ArmTotals[]> {
    const rows = await this.db.selectFrom('experiment_arm_totals').selectAll().where('experiment_id', '=', experimentId).orderBy('arm').orderBy('cohort').execute();
    return rows.map((r) => ({
      arm: r.arm,
      cohort: r.cohort === 'outside' ? 'outside' : 'in',
      requests: n(r.requests),
      impressions: n(r.impressions),
      clicks: n(r.clicks),
      carts: n(r.carts),
      orders: n(r.orders),
      gmvFen: n(r.gmv_fen),
      rankingCpuMicros: n(r.ranking_cpu_micros),
    }));
  }

  async exposure(experimentId: string): Promise<{ arm: string; productId: string; position: number; count: number }[]> {
    const rows = await this.db
      .selectFrom('recommendation_decisions')
      .select((eb) => ['arm', 'product_id', 'position', eb.fn.countAll<string>().as('count')])
      .where('experiment_id', '=', experimentId)
      .groupBy(['arm', 'product_id', 'position'])
      .execute();
    return rows.map((r) => ({ arm: r.arm ?? '', productId: r.product_id, position: n(r.position), count: n(r.count) }));
  }

  async addLook(look: LookRecord): Promise<boolean> {
    const r = await this.db
      .insertInto('experiment_looks')
      .values({ experiment_id: look.experimentId, look: look.look, fraction: look.fraction, taken_at: look.takenAt, analysis: look.analysis })
      .onConflict((oc) => oc.columns(['experiment_id', 'look']).doNothing())
      .executeTakeFirst();
    return n(r.numInsertedOrUpdatedRows) === 1;
  }

  async looks(experimentId: string): Promise<LookRecord[]> {
    const rows = await this.db.selectFrom('experiment_looks').selectAll().where('experiment_id', '=', experimentId).orderBy('look').execute();
    return rows.map((r) => ({ experimentId: r.experiment_id, look: n(r.look), fraction: n(r.fraction), takenAt: n(r.taken_at), analysis: r.analysis }));
  }

  async units(units: readonly { experimentId: string; unit: string }[]): Promise<{ experimentId: string; arm: string; counts: UnitCounts }[]> {
    const out: { experimentId: string; arm: string; counts: UnitCounts }[] = [];
    for (const u of units) {
      const r = await this.db.selectFrom('experiment_units').selectAll().where('experiment_id', '=', u.experimentId).where('unit', '=', u.unit).executeTakeFirst();
      if (!r) continue;
      out.push({
        experimentId: r.experiment_id,
        arm: r.arm,
        counts: {
          firstSeenAt: n(r.first_seen_at),
          lastSeenAt: n(r.last_seen_at),
          requests: n(r.requests),
          impressions: n(r.impressions),
          clicks: n(r.clicks),
          carts: n(r.carts),
          orders: n(r.orders),
          gmvFen: n(r.gmv_fen),
          reports: n(r.reports),
          optedOut: n(r.opted_out) === 1,
        },
      });
    }
    return out;
  }

  async deleteUnits(units: readonly { experimentId: string; unit: string }[]): Promise<number> {
    let deleted = 0;
    for (const u of units) {
      const r = await this.db.deleteFrom('experiment_units').where('experiment_id', '=', u.experimentId).where('unit', '=', u.unit).executeTakeFirst();
      deleted += n(r.numDeletedRows);
    }
    return deleted;
  }

  async purgeUnitsOfEndedBefore(cutoff: number): Promise<number> {
    const r = await this.db
      .deleteFrom('experiment_units')
      .where('experiment_id', 'in', (eb) => eb.selectFrom('experiments').select('id').where('stopped_at', 'is not', null).where('stopped_at', '<', cutoff))
      .executeTakeFirst();
    return n(r.numDeletedRows);
  }
}

async function addTotals(db: Kysely<Database>, t: TotalsDelta): Promise<void> {
  await db
    .insertInto('experiment_arm_totals')
    .values({
      experiment_id: t.experimentId,
      arm: t.arm,
      cohort: t.cohort,
      requests: t.requests,
      impressions: t.impressions,
      clicks: t.clicks,
      carts: t.carts,
      orders: t.orders,
      gmv_fen: t.gmvFen,
      ranking_cpu_micros: Math.round(t.rankingCpuMicros),
    })
    .onConflict((oc) =>
      oc.columns(['experiment_id', 'arm', 'cohort']).doUpdateSet({
        requests: sql`experiment_arm_totals.requests + excluded.requests`,
        impressions: sql`experiment_arm_totals.impressions + excluded.impressions`,
        clicks: sql`experiment_arm_totals.clicks + excluded.clicks`,
        carts: sql`experiment_arm_totals.carts + excluded.carts`,
        orders: sql`experiment_arm_totals.orders + excluded.orders`,
        gmv_fen: sql`experiment_arm_totals.gmv_fen + excluded.gmv_fen`,
        ranking_cpu_micros: sql`experiment_arm_totals.ranking_cpu_micros + excluded.ranking_cpu_micros`,
      }),
    )
    .execute();
}

function recordOf(r: Selectable<ExperimentTable>): ExperimentRecord {
  return {
    id: r.id,
    brandId: r.brand_id,
    name: r.name,
    definition: JSON.parse(r.definition) as ExperimentDefinition,
    status: r.status as ExperimentStatus,
    simulated: n(r.simulated) === 1,
    assignmentSalt: r.assignment_salt,
    createdBy: r.created_by,
    createdAt: n(r.created_at),
    startedAt: r.started_at === null ? null : n(r.started_at),
    stoppedAt: r.stopped_at === null ? null : n(r.stopped_at),
    stopReason: r.stop_reason,
  };
}
