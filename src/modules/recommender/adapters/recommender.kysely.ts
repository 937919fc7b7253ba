import { CompiledQuery, sql, SqliteAdapter, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, SqliteWriterThread, WriterStatement } from '../../../storage/index.js';
import type { RecommendationDecisionTable } from '../../../storage/schema.js';
import type { DecisionRecord, FeedbackRecorded, FeedbackType, InterestDelta, ModelUpdateRecord, ProductHealth, RecommenderStore, SnapshotRecord, VersionVector } from '../ports.js';

const OUTCOME_COLUMN: Partial<Record<FeedbackType, 'clicked' | 'carted' | 'purchased'>> = {
  click: 'clicked',
  add_to_cart: 'carted',
  purchase: 'purchased',
};

export interface KyselyRecommenderStoreOptions {
  /**
   * SQLite on disk: the storage's writer thread (`Storage.writer`). The decision log is then
   * written there instead of on the request thread.
   */
  writer?: SqliteWriterThread;
}

export class KyselyRecommenderStore implements RecommenderStore {
  readonly #sqlite: boolean;
  readonly #writer: SqliteWriterThread | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    options: KyselyRecommenderStoreOptions = {},
  ) {
    this.#sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    this.#writer = this.#sqlite ? options.writer : undefined;
  }

  /** Inserts of 1 and of CHUNK rows, compiled once for this dialect (placeholders differ); rows only bind values. */
  readonly #insertSql = new Map<number, string>();

  #insertText(rows: number, sample: DecisionRecord): string {
    let text = this.#insertSql.get(rows);
    if (text === undefined) {
      text = this.db
        .insertInto('recommendation_decisions')
        .values(Array.from({ length: rows }, () => rowOf(sample)))
        .onConflict((oc) => oc.column('id').doNothing())
        .compile().sql;
      this.#insertSql.set(rows, text);
    }
    return text;
  }

  /** The inserts of a batch: chunks of DECISION_CHUNK rows, then the rest one by one. */
  #inserts(decisions: readonly DecisionRecord[]): WriterStatement[] {
    const inserts: WriterStatement[] = [];
    let i = 0;
    for (; i + DECISION_CHUNK <= decisions.length; i += DECISION_CHUNK) {
      const values: unknown[] = [];
      for (let j = i; j < i + DECISION_CHUNK; j++) pushRow(values, decisions[j]!);
      inserts.push([this.#insertText(DECISION_CHUNK, decisions[i]!), values]);
    }
    for (; i < decisions.length; i++) inserts.push([this.#insertText(1, decisions[i]!), pushRow([], decisions[i]!)]);
    return inserts;
  }

  /**
   * The decision log is telemetry for health figures and offline evaluation, already buffered in
   * memory for up to a flush interval; it is committed without waiting for the disk. On SQLite (WAL)
   * its transaction runs at synchronous = NORMAL on the held connection, which is then set back, so
   * the rows reach the disk with the next fully synchronous commit; on PostgreSQL with
   * synchronous_commit off for that transaction only. A power cut may lose the last fraction of a
   * second of decisions, never other data, and never leaves the database inconsistent.
   */
  appendDecisions(decisions: readonly DecisionRecord[]): Promise<void> {
    if (decisions.length === 0) return Promise.resolve();
    // Decisions are logged on every request: binding values to statements compiled once (50 rows
    // at a time, then one by one) keeps the log's cost per request small. On SQLite on disk the
    // writer thread binds them, so the request thread only copies the values.
    return this.#writeWithoutWaitingForDisk(() => this.#inserts(decisions));
  }

  /** Inserts of a model's updates, chunk sizes compiled once each. */
  readonly #updateSql = new Map<number, string>();

  #updateInserts(model: string, updates: readonly ModelUpdateRecord[]): WriterStatement[] {
    const statements: WriterStatement[] = [];
    let i = 0;
    for (const size of UPDATE_CHUNKS) {
      for (; i + size <= updates.length; i += size) {
        let text = this.#updateSql.get(size);
        if (text === undefined) {
          const row = { model: '', node: '', seq: 0, x: '', reward: 0, created_at: 0, interest: null };
          text = this.db
            .insertInto('model_updates')
            .values(Array.from({ length: size }, () => row))
            .onConflict((oc) => oc.columns(['model', 'node', 'seq']).doNothing())
            .compile().sql;
          this.#updateSql.set(size, text);
        }
        const values: unknown[] = [];
        for (let j = i; j < i + size; j++) {
          const u = updates[j]!;
          values.push(model, u.node, u.seq, JSON.stringify(u.x), u.reward, u.createdAt, interestJson(u.interest));
        }
        statements.push([text, values]);
      }
    }
    return statements;
  }

  /**
   * A model's own updates are learnt state shared between nodes, one per shown item under consent
   * (the reward wait): committed like the decision log, without waiting for the disk, and on SQLite
   * on disk by the writer thread. A power cut may lose the last fraction of a second of learning;
   * the model then restores to the snapshot and the updates that were stored.
   */
  appendUpdates(model: string, updates: readonly ModelUpdateRecord[]): Promise<void> {
    if (updates.length === 0) return Promise.resolve();
    return this.#writeWithoutWaitingForDisk(() => this.#updateInserts(model, updates));
  }

  /**
   * One transaction committed without waiting for the disk (see appendDecisions). On the writer
   * thread the statements are copied into its message at once and nothing here holds them while
   * the commit is awaited: thousands of rows a second would otherwise outlive two scavenges and be
   * promoted to the old generation only to die there.
   */
  #writeWithoutWaitingForDisk(build: () => readonly WriterStatement[]): Promise<void> {
    try {
      const statements = build();
      return this.#writer ? this.#writer.run(statements, 'NORMAL') : this.#writeOnConnection(statements);
    } catch (err) {
      // A method that answers with a promise refuses through it, never by throwing.
      return Promise.reject(err);
    }
  }

  async #writeOnConnection(statements: readonly WriterStatement[]): Promise<void> {
    const insert = async (tx: Transaction<Database>) => {
      for (const [text, values] of statements) await tx.executeQuery(CompiledQuery.raw(text, values as unknown[]));
    };
    if (this.#sqlite) {
      await this.db.connection().execute(async (conn) => {
        const before = (await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(conn)).rows[0]?.synchronous ?? 2;
        await sql.raw('PRAGMA synchronous = NORMAL').execute(conn);
        try {
          await conn.transaction().execute(insert);
        } finally {
          await sql.raw(`PRAGMA synchronous = ${Number(before)}`).execute(conn);
        }
      });
    } else {
      await this.db.transaction().execute(async (tx) => {
        await sql.raw('SET LOCAL synchronous_commit = off').execute(tx);
        await insert(tx);
      });
    }
  }

  async decision(id: string): Promise<DecisionRecord | undefined> {
    const r = await this.db.selectFrom('recommendation_decisions').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? decisionOf(r) : undefined;
  }

  async recordFeedback(input: { idempotencyKey: string; decisionId: string; type: FeedbackType; learned: boolean; at: number; orderId?: string }): Promise<FeedbackRecorded> {
    return this.db.transaction().execute(async (tx) => {
      // Any unique key: the idempotency key, this kind on this decision (recommendation_feedback_once),
      // or a purchase's order (recommendation_feedback_order).
      const inserted = await tx
        .insertInto('recommendation_feedback')
        .values({ idempotency_key: input.idempotencyKey, decision_id: input.decisionId, type: input.type, learned: input.learned ? 1 : 0, created_at: input.at, order_id: input.orderId ?? null })
        .onConflict((oc) => oc.doNothing())
        .returning('idempotency_key')
        .execute();
      if (inserted.length === 0) {
        // The same key again: the same request (duplicate) only if it said the same thing, its order included.
        const earlier = await tx.selectFrom('recommendation_feedback').select(['decision_id', 'type', 'order_id']).where('idempotency_key', '=', input.idempotencyKey).executeTakeFirst();
        if (earlier) return earlier.decision_id !== input.decisionId || earlier.type !== input.type || (earlier.order_id ?? undefined) !== input.orderId ? 'conflict' : 'duplicate';
        // An order that already answers for another recommendation, whatever this one has recorded.
        if (input.orderId !== undefined) {
          const owner = await tx.selectFrom('recommendation_feedback').select('decision_id').where('order_id', '=', input.orderId).executeTakeFirst();
          if (owner && owner.decision_id !== input.decisionId) return 'order_used';
        }
        return 'duplicate';
      }
      const column = OUTCOME_COLUMN[input.type];
      if (column) await tx.updateTable('recommendation_decisions').set({ [column]: 1 }).where('id', '=', input.decisionId).execute();
      else await tx.updateTable('recommendation_decisions').set({ feedback: input.type }).where('id', '=', input.decisionId).execute();
      return 'recorded';
    });
  }

  async health(sessionId: string, since: number): Promise<ProductHealth[]> {
    const rows = await this.db
      .selectFrom('recommendation_decisions')
      .select((eb) => [
        'product_id',
        eb.fn.countAll<number>().as('impressions'),
        eb.fn.sum<number>('clicked').as('clicks'),
        eb.fn.sum<number>('carted').as('carts'),
        eb.fn.sum<number>('purchased').as('purchases'),
        eb.fn.sum<number>('explored').as('explored'),
      ])
      .where('session_id', '=', sessionId)
      .where('created_at', '>=', since)
      .groupBy('product_id')
      .execute();
    return rows
      .map((r) => ({
        productId: r.product_id,
        impressions: Number(r.impressions),
        clicks: Number(r.clicks ?? 0),
        carts: Number(r.carts ?? 0),
        purchases: Number(r.purchases ?? 0),
        explored: Number(r.explored ?? 0),
      }))
      .sort((a, b) => b.impressions - a.impressions || a.productId.localeCompare(b.productId));
  }

  async summary(since: number) {
    const rows = await this.db
      .selectFrom('recommendation_decisions')
      .select((eb) => [
        'personalised',
        eb.fn.countAll<number>().as('impressions'),
        eb.fn.sum<number>('clicked').as('clicks'),
        eb.fn.sum<number>('carted').as('carts'),
        eb.fn.sum<number>('purchased').as('purchases'),
        eb.fn.sum<number>('explored').as('explored'),
      ])
      .where('created_at', '>=', since)
      .groupBy('personalised')
      .execute();
    return rows.map((r) => ({
      personalised: Number(r.personalised) === 1,
      impressions: Number(r.impressions),
      clicks: Number(r.clicks ?? 0),
      carts: Number(r.carts ?? 0),
      purchases: Number(r.purchases ?? 0),
      explored: Number(r.explored ?? 0),
    }));
  }

  async personalisedCount(sessionId: string, since: number): Promise<number> {
    const r = await this.db
      .selectFrom('recommendation_decisions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('session_id', '=', sessionId)
      .where('created_at', '>=', since)
      .where('personalised', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async decisionsBetween(from: number, until: number, limit: number, after?: { createdAt: number; id: string }) {
    // A list the re-ranker changed was not drawn with the propensities it carries: left out.
    let q = this.db
      .selectFrom('recommendation_decisions')
      .selectAll()
      .where('created_at', '>=', from)
      .where('created_at', '<', until)
      .where((eb) => eb.or([eb('rerank', 'is', null), eb('rerank', '!=', 'changed')]));
    if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
    const rows = await q.orderBy('created_at').orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ ...decisionOf(r), clicked: Number(r.clicked) === 1 }));
  }

  async latestSnapshot(model: string): Promise<SnapshotRecord | undefined> {
    const r = await this.db
      .selectFrom('model_snapshots')
      .selectAll()
      .where('model', '=', model)
      .orderBy('updates', 'desc')
      .orderBy('created_at', 'desc')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? { version: r.version, model: r.model, updates: Number(r.updates), snapshot: r.snapshot, createdAt: Number(r.created_at), vector: vectorOf(r.vector) } : undefined;
  }

  /**
   * A snapshot (every few thousand updates: about one a second on a busy node) is committed fully
   * synchronously, as before, but on SQLite on disk by the writer thread, behind the updates it
   * holds: the request thread does not wait for the disk.
   */
  async saveSnapshot(s: SnapshotRecord): Promise<void> {
    const insert = this.db
      .insertInto('model_snapshots')
      .values({ version: s.version, model: s.model, updates: s.updates, snapshot: s.snapshot, created_at: s.createdAt, vector: JSON.stringify(s.vector) })
      .onConflict((oc) => oc.column('version').doNothing())
      .compile();
    if (this.#writer) {
      await this.#writer.run([[insert.sql, [...insert.parameters]]], 'FULL');
      return;
    }
    await this.db.executeQuery(insert);
  }

  async updatesSince(model: string, vector: VersionVector, exceptNode?: string): Promise<ModelUpdateRecord[]> {
    // Every node that stored updates of the model, found by one index seek each, then the rows
    // after each one's cursor as one range of the (model, node, seq) key each. A single
    // `node <> self` condition instead walked every row of this node's own last hour at each sync
    // (a busy node learns thousands a second, and syncs every second).
    const nodes = (await this.#nodesOf(model)).filter((node) => node !== exceptNode);
    if (nodes.length === 0) return [];
    const rows = await this.db
      .selectFrom('model_updates')
      .select(['node', 'seq', 'x', 'reward', 'created_at', 'interest'])
      // The model in every branch, so that each is an index range (SQLite's multi-index OR, PostgreSQL's bitmap OR).
      .where((eb) => eb.or(nodes.map((node) => eb.and([eb('model', '=', model), eb('node', '=', node), eb('seq', '>', vector[node] ?? 0)]))))
      .execute();
    // Ordered here, not by the database: text collation differs between dialects and locales.
    return rows
      .map((r) => {
        const interest = interestOf(r.interest);
        return { node: r.node, seq: Number(r.seq), x: JSON.parse(r.x) as number[], reward: Number(r.reward), createdAt: Number(r.created_at), ...(interest ? { interest } : {}) };
      })
      .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.seq - b.seq));
  }

  /** The nodes with stored updates of the model: a skip over the (model, node, seq) key, one seek per node, in the database's own order. */
  async #nodesOf(model: string): Promise<string[]> {
    const nodes: string[] = [];
    let after: string | undefined;
    for (;;) {
      let q = this.db.selectFrom('model_updates').select((eb) => eb.fn.min('node').as('node')).where('model', '=', model);
      if (after !== undefined) q = q.where('node', '>', after);
      const next = (await q.executeTakeFirst())?.node ?? null;
      if (next === null) return nodes;
      nodes.push(next);
      after = next;
    }
  }

  async appendUpdate(model: string, u: ModelUpdateRecord): Promise<boolean> {
    const r = await this.db
      .insertInto('model_updates')
      .values({ model, node: u.node, seq: u.seq, x: JSON.stringify(u.x), reward: u.reward, created_at: u.createdAt, interest: interestJson(u.interest) })
      .onConflict((oc) => oc.columns(['model', 'node', 'seq']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async pruneUpdates(model: string, vector: VersionVector, before: number): Promise<number> {
    // The rows older than `before` first, through the (model, created_at) index: only those, not
    // every row the snapshot holds (an hour of them on a busy node), are walked.
    const old = await this.db
      .selectFrom('model_updates')
      .select((eb) => ['node', eb.fn.max('seq').as('seq')])
      .where('model', '=', model)
      .where('created_at', '<', before)
      .groupBy('node')
      .execute();
    const covered = old.flatMap((r) => {
      const upTo = Math.min(Number(r.seq), vector[r.node] ?? 0);
      return upTo > 0 ? [[r.node, upTo] as const] : [];
    });
    if (covered.length === 0) return 0;
    const r = await this.db
      .deleteFrom('model_updates')
      .where((eb) => eb.or(covered.map(([node, seq]) => eb.and([eb('model', '=', model), eb('node', '=', node), eb('seq', '<=', seq)]))))
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async pruneSnapshots(model: string, before: number): Promise<number> {
    const latest = await this.latestSnapshot(model);
    if (!latest) return 0;
    const r = await this.db
      .deleteFrom('model_snapshots')
      .where('model', '=', model)
      .where('created_at', '<', before)
      // Never the latest, nor one that holds as many updates (a newer latest may have been saved
      // since it was read: it holds more, so it is kept too).
      .where('updates', '<', latest.updates)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async purgeBefore(cutoff: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const a = await tx.deleteFrom('recommendation_feedback').where('created_at', '<', cutoff).executeTakeFirst();
      const b = await tx.deleteFrom('recommendation_decisions').where('created_at', '<', cutoff).executeTakeFirst();
      return Number(a.numDeletedRows) + Number(b.numDeletedRows);
    });
  }
}

const DECISION_CHUNK = 50;
/** Rows per INSERT when appending model updates in a batch: the largest chunks first, then smaller (6 values a row). */
const UPDATE_CHUNKS = [100, 10, 1] as const;

/** A stored version vector: a JSON object of node → last seq (anything else in it is ignored). */
function vectorOf(text: string): VersionVector {
  const parsed: unknown = JSON.parse(text);
  const vector: Record<string, number> = {};
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    for (const [node, seq] of Object.entries(parsed)) if (Number.isSafeInteger(seq) && (seq as number) > 0) vector[node] = seq as number;
  }
  return vector;
}

/**
 * The non-personalised list of a room is computed once per room change and its items' contexts are
 * shared by every decision made from it: their JSON is written once. Contexts are never mutated.
 */
const CONTEXT_JSON = new WeakMap<object, string>();
function contextJson(context: Readonly<Record<string, number>>): string {
  let text = CONTEXT_JSON.get(context);
  if (text === undefined) {
    text = JSON.stringify(context);
    CONTEXT_JSON.set(context, text);
  }
  return text;
}

/** A row's values appended in the compiled insert's column order. */
function pushRow(values: unknown[], d: DecisionRecord): unknown[] {
  const row = rowOf(d);
  for (const key in row) values.push(row[key as keyof typeof row]);
  return values;
}

/** Column order is fixed here and in the compiled insert: both come from this one object literal. */
function rowOf(d: DecisionRecord) {
  return {
    id: d.id,
    session_id: d.sessionId,
    product_id: d.productId,
    position: d.position,
    propensity: d.propensity,
    explored: d.explored ? 1 : 0,
    personalised: d.personalised ? 1 : 0,
    model_version: d.modelVersion,
    context: contextJson(d.context),
    region: d.region,
    created_at: d.createdAt,
    clicked: 0,
    carted: 0,
    purchased: 0,
    feedback: null,
    experiment_id: d.experiment?.id ?? null,
    arm: d.experiment?.arm ?? null,
    list_id: d.listId ?? null,
    show_viewer: d.showViewer ?? null,
    rerank: d.rerank ?? null,
    price_fen: d.priceFen ?? null,
    list_price_fen: d.listPriceFen ?? null,
    category: d.category ?? null,
    seg_child_age: d.segments?.childAgeBand ?? null,
    seg_city_tier: d.segments?.cityTier ?? null,
    seg_device: d.segments?.device ?? null,
    seg_visitor: d.segments?.visitor ?? null,
  };
}

function decisionOf(r: Selectable<RecommendationDecisionTable>): DecisionRecord {
  return {
    id: r.id,
    sessionId: r.session_id,
    productId: r.product_id,
    position: Number(r.position),
    propensity: Number(r.propensity),
    explored: Number(r.explored) === 1,
    personalised: Number(r.personalised) === 1,
    modelVersion: r.model_version,
    context: JSON.parse(r.context) as Record<string, number>,
    region: r.region,
    ...(r.experiment_id !== null && r.arm !== null ? { experiment: { id: r.experiment_id, arm: r.arm } } : {}),
    createdAt: Number(r.created_at),
    ...(r.list_id !== null ? { listId: r.list_id } : {}),
    ...(r.show_viewer !== null ? { showViewer: r.show_viewer } : {}),
    ...(r.rerank === 'holdout' || r.rerank === 'kept' || r.rerank === 'changed' ? { rerank: r.rerank } : {}),
    ...(r.price_fen !== null ? { priceFen: Number(r.price_fen) } : {}),
    ...(r.list_price_fen !== null ? { listPriceFen: Number(r.list_price_fen) } : {}),
    ...(r.category !== null ? { category: r.category } : {}),
    ...(r.seg_child_age !== null || r.seg_city_tier !== null || r.seg_device !== null || r.seg_visitor !== null
      ? { segments: { childAgeBand: r.seg_child_age, cityTier: r.seg_city_tier, device: r.seg_device, visitor: r.seg_visitor === 'new' || r.seg_visitor === 'returning' ? r.seg_visitor : null } }
      : {}),
  };
}

/** An update's part in the age-band counts as stored: `[band, category, shown, positive]`. */
function interestJson(d: InterestDelta | undefined): string | null {
  return d ? JSON.stringify([d.band, d.category, d.shown ? 1 : 0, d.positive ? 1 : 0]) : null;
}

function interestOf(text: string | null): InterestDelta | undefined {
  if (text === null) return undefined;
  const [band, category, shown, positive] = JSON.parse(text) as [string, string, number, number];
  return { band, category, shown: shown === 1, positive: positive === 1 };
}
