import type { Kysely, Selectable } from 'kysely';
import { nextTurn } from '../../../shared/next-turn.js';
import type { Database } from '../../../storage/index.js';
import type { AuditSummaryRow, AuditTrigger, FairnessAlert, FairnessReport } from '../audit/contract.js';
import type { AuditRow } from '../audit/log.js';
import type { AuditQuery, DecisionScope, FairnessStore, StoredAudit } from '../ports.js';

/** Decisions are read in pages of this many rows (keyset on created_at, id). */
/**
 * Rows read per query of a scan. A scan yields to the event loop between pages: an audit of a busy
 * show reads millions of rows, and SQLite's reads resolve without letting any request in, so a scan
 * in one go held every request back for seconds.
 */
const PAGE = 2_000;

export class KyselyFairnessStore implements FairnessStore {
  constructor(private readonly db: Kysely<Database>) {}

  async scanDecisions(scope: DecisionScope, visit: (row: AuditRow) => void): Promise<{ skipped: number }> {
    const sessions =
      scope.sessionId !== null ? [scope.sessionId] : (await this.db.selectFrom('live_sessions').select('id').where('brand_id', '=', scope.brandId).execute()).map((r) => r.id);
    // One stream of pages per session, merged oldest first. Each page is one index range of one
    // session, starting where its last page ended: a brand's sessions asked for together
    // (session_id IN …) made the database sort every remaining row of the window for every page.
    const streams = sessions.map((sessionId) => ({ sessionId, rows: [] as DecisionPageRow[], next: 0, after: undefined as Cursor | undefined, done: false }));
    const fill = async (s: (typeof streams)[number]): Promise<void> => {
      s.rows = await this.#page(scope, s.sessionId, s.after);
      s.next = 0;
      if (s.rows.length < PAGE) s.done = true;
      const last = s.rows.at(-1);
      if (last) s.after = { at: Number(last.created_at), id: last.id };
    };
    // First pages one session after another: a brand's sessions all at once would queue a query
    // per session for the pool (one connection on the audit thread), and wait past its timeout.
    for (const s of streams) await fill(s);
    let skipped = 0;
    let sinceTurn = 0;
    for (;;) {
      // The stream whose next row is the oldest (created_at, then id).
      let pick: (typeof streams)[number] | undefined;
      for (const s of streams) {
        const r = s.rows[s.next];
        if (!r) continue;
        const p = pick?.rows[pick.next];
        if (!p || Number(r.created_at) < Number(p.created_at) || (Number(r.created_at) === Number(p.created_at) && r.id < p.id)) pick = s;
      }
      if (!pick) return { skipped };
      const r = pick.rows[pick.next++]!;
      if (r.price_fen === null || r.list_price_fen === null || r.category === null) skipped++;
      else visit(auditRowOf(r));
      if (pick.next === pick.rows.length && !pick.done) await fill(pick);
      // Between pages' worth of rows the event loop runs.
      if (++sinceTurn === PAGE) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
  }

  /** One page of a session's decisions in the scope, after the cursor, oldest first. */
  #page(scope: DecisionScope, sessionId: string, after: Cursor | undefined): Promise<DecisionPageRow[]> {
    let q = this.db
      .selectFrom('recommendation_decisions')
      .select(PAGE_COLUMNS)
      .where('session_id', '=', sessionId)
      // Each page starts where the last ended: its lower bound moves with it, so the index range
      // starts there (the OR below alone is a filter, and every page would walk the scope again
      // from its start: minutes for a show of millions of decisions).
      .where('created_at', '>=', after ? Math.max(after.at, scope.from) : scope.from)
      .where('created_at', '<', scope.until);
    if (scope.experiment) q = q.where('experiment_id', '=', scope.experiment.id).where('arm', '=', scope.experiment.arm);
    if (after) {
      const a = after;
      q = q.where((eb) => eb.or([eb('created_at', '>', a.at), eb.and([eb('created_at', '=', a.at), eb('id', '>', a.id)])]));
    }
    return q.orderBy('created_at').orderBy('id').limit(PAGE).execute();
  }

  async liveSessions(): Promise<{ sessionId: string; brandId: string; startedAt: number }[]> {
    const rows = await this.db.selectFrom('live_sessions').select(['id', 'brand_id', 'started_at']).where('status', '=', 'live').execute();
    return rows.map((r) => ({ sessionId: r.id, brandId: r.brand_id, startedAt: Number(r.started_at ?? 0) }));
  }

  async brandsWithDecisions(from: number, until: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('live_sessions')
      .select('brand_id')
      .distinct()
      .where('id', 'in', this.db.selectFrom('recommendation_decisions').select('session_id').distinct().where('created_at', '>=', from).where('created_at', '<', until))
      .execute();
    return rows.map((r) => r.brand_id).sort();
  }

  async endedWithoutAudit(since: number): Promise<{ sessionId: string; brandId: string; startedAt: number | null; endedAt: number }[]> {
    const rows = await this.db
      .selectFrom('live_sessions')
      .select(['id', 'brand_id', 'started_at', 'ended_at'])
      .where('status', '=', 'ended')
      .where('ended_at', '>=', since)
      .where('id', 'not in', this.db.selectFrom('fairness_audits').select('session_id').where('trigger', '=', 'session_end').where('session_id', 'is not', null).$narrowType<{ session_id: string }>())
      .orderBy('ended_at')
      .execute();
    return rows.map((r) => ({ sessionId: r.id, brandId: r.brand_id, startedAt: r.started_at === null ? null : Number(r.started_at), endedAt: Number(r.ended_at) }));
  }

  async session(sessionId: string): Promise<{ brandId: string; startedAt: number | null; endedAt: number | null } | undefined> {
    const r = await this.db.selectFrom('live_sessions').select(['brand_id', 'started_at', 'ended_at']).where('id', '=', sessionId).executeTakeFirst();
    return r ? { brandId: r.brand_id, startedAt: r.started_at === null ? null : Number(r.started_at), endedAt: r.ended_at === null ? null : Number(r.ended_at) } : undefined;
  }

  async catalogueSize(brandId: string): Promise<number> {
    const r = await this.db.selectFrom('products').select((eb) => eb.fn.countAll<number>().as('n')).where('brand_id', '=', brandId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async productSellers(brandId: string): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('products').select(['id', 'attributes']).where('brand_id', '=', brandId).execute();
    const sellers = new Map<string, string>();
    for (const r of rows) {
      let seller: unknown;
      try {
        seller = (JSON.parse(r.attributes) as Record<string, unknown>)['seller'];
      } catch {
        continue;
      }
      const s = seller as { zh?: unknown; en?: unknown } | undefined;
      const name = typeof s?.zh === 'string' && s.zh.trim() !== '' ? s.zh.trim() : typeof s?.en === 'string' && s.en.trim() !== '' ? s.en.trim() : undefined;
      if (name !== undefined) sellers.set(r.id, name);
    }
    return sellers;
  }

  async saveAudit(audit: StoredAudit): Promise<boolean> {
    const { report, summary } = audit;
    const inserted = await this.db
      .insertInto('fairness_audits')
      .values({
        id: report.id,
        run_key: audit.runKey,
        trigger: report.trigger,
        brand_id: report.scope.brandId,
        session_id: report.scope.sessionId,
        scope_from: report.scope.from,
        scope_until: report.scope.until,
        created_at: report.createdAt,
        keep_until: report.keepUntil,
        decisions: report.decisions,
        flagged: report.flags.length,
        simulated: report.simulated ? 1 : 0,
        headline: JSON.stringify(summary.headline),
        report: JSON.stringify(report),
      })
      .onConflict((oc) => oc.column('run_key').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async audit(id: string): Promise<FairnessReport | undefined> {
    const r = await this.db.selectFrom('fairness_audits').select('report').where('id', '=', id).executeTakeFirst();
    return r ? (JSON.parse(r.report) as FairnessReport) : undefined;
  }

  async audits(query: AuditQuery): Promise<AuditSummaryRow[]> {
    let q = this.db
      .selectFrom('fairness_audits')
      .select(['id', 'trigger', 'brand_id', 'session_id', 'scope_from', 'scope_until', 'created_at', 'decisions', 'flagged', 'simulated', 'headline']);
    if (query.brandId !== undefined) q = q.where('brand_id', '=', query.brandId);
    if (query.sessionId !== undefined) q = q.where('session_id', '=', query.sessionId);
    if (query.trigger !== undefined) q = q.where('trigger', '=', query.trigger);
    if (query.before !== undefined) q = q.where('created_at', '<', query.before);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      trigger: r.trigger as AuditTrigger,
      brandId: r.brand_id,
      sessionId: r.session_id,
      from: Number(r.scope_from),
      until: Number(r.scope_until),
      createdAt: Number(r.created_at),
      decisions: Number(r.decisions),
      flagged: Number(r.flagged),
      simulated: Number(r.simulated) === 1,
      headline: JSON.parse(r.headline) as AuditSummaryRow['headline'],
    }));
  }

  async hasRunKey(runKey: string): Promise<boolean> {
    return (await this.db.selectFrom('fairness_audits').select('id').where('run_key', '=', runKey).executeTakeFirst()) !== undefined;
  }

  async saveAlert(alert: FairnessAlert): Promise<void> {
    await this.db
      .insertInto('fairness_alerts')
      .values({
        id: alert.id,
        audit_id: alert.auditId,
        brand_id: alert.brandId,
        session_id: alert.sessionId,
        created_at: alert.createdAt,
        flags: JSON.stringify(alert.flags),
        acknowledged_at: null,
        acknowledged_by: null,
      })
      .execute();
  }

  async alerts(query: { brandId?: string | undefined; sessionId?: string | undefined; limit: number }): Promise<FairnessAlert[]> {
    let q = this.db.selectFrom('fairness_alerts').selectAll();
    if (query.brandId !== undefined) q = q.where('brand_id', '=', query.brandId);
    if (query.sessionId !== undefined) q = q.where('session_id', '=', query.sessionId);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      auditId: r.audit_id,
      brandId: r.brand_id,
      sessionId: r.session_id,
      createdAt: Number(r.created_at),
      flags: JSON.parse(r.flags) as FairnessAlert['flags'],
      acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
    }));
  }

  async acknowledgeAlert(id: string, by: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('fairness_alerts')
      .set({ acknowledged_at: at, acknowledged_by: by })
      .where('id', '=', id)
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async purgeBefore(cutoff: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const expired = tx.selectFrom('fairness_audits').select('id').where('created_at', '<', cutoff);
      await tx.deleteFrom('fairness_alerts').where('audit_id', 'in', expired).execute();
      const r = await tx.deleteFrom('fairness_audits').where('created_at', '<', cutoff).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }
}

type Cursor = { at: number; id: string };

const PAGE_COLUMNS = [
  'id',
  'created_at',
  'list_id',
  'show_viewer',
  'rerank',
  'product_id',
  'category',
  'position',
  'price_fen',
  'list_price_fen',
  'clicked',
  'purchased',
  'personalised',
  'seg_child_age',
  'seg_city_tier',
  'seg_device',
  'seg_visitor',
] as const;

type DecisionPageRow = Pick<Selectable<Database['recommendation_decisions']>, (typeof PAGE_COLUMNS)[number]>;

/** A decision as the audit reads it (the row has every audit field). */
function auditRowOf(r: DecisionPageRow): AuditRow {
  return {
    // A row without its list (written by hand or by an older node) counts as a list of its own.
    listId: r.list_id ?? r.id,
    // Lists without a viewer label (no device id) count as units of their own.
    unitId: r.show_viewer ?? `list:${r.list_id ?? r.id}`,
    productId: r.product_id,
    category: r.category!,
    // Stored 0-based (the recommender's slate); the audit log is 1-based (a list starts at 1).
    position: Number(r.position) + 1,
    priceFen: Number(r.price_fen),
    listPriceFen: Number(r.list_price_fen),
    clicked: Number(r.clicked) === 1,
    purchased: Number(r.purchased) === 1,
    personalised: Number(r.personalised) === 1,
    rerank: r.rerank === 'holdout' || r.rerank === 'kept' || r.rerank === 'changed' ? r.rerank : null,
    segments: { childAgeBand: r.seg_child_age, cityTier: r.seg_city_tier, device: r.seg_device, visitor: r.seg_visitor },
  };
}
