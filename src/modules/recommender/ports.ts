/** What the recommender needs from storage. Nothing here identifies a viewer. */

export interface DecisionRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly productId: string;
  readonly position: number;
  readonly propensity: number;
  readonly explored: boolean;
  readonly personalised: boolean;
  readonly modelVersion: string;
  /** The non-personal features (product and room) at decision time, by name. */
  readonly context: Readonly<Record<string, number>>;
  readonly region: string;
  readonly createdAt: number;
  /** The running experiment and arm that made this decision, if any. */
  readonly experiment?: { readonly id: string; readonly arm: string } | undefined;
  /** The first decision id of the list this decision was shown in (the fairness audit's unit). */
  readonly listId?: string | undefined;
  /**
   * A label for the viewer's lists within this show (HMAC of the device id under a key held in
   * memory for the show, never stored): the fairness audit's unit of analysis.
   */
  readonly showViewer?: string | undefined;
  /** What the exposure-fair re-ranker did to the list, when it is on. */
  readonly rerank?: 'holdout' | 'kept' | 'changed' | undefined;
  /** What a fairness audit reads: the price the viewer saw (a running flash sale's), the list price, the category. */
  readonly priceFen?: number | undefined;
  readonly listPriceFen?: number | undefined;
  readonly category?: string | undefined;
  /** The list's coarse segments (no identity); absent on decisions made before they were recorded. */
  readonly segments?: DecisionSegments | undefined;
}

/**
 * The coarse segments a decision carries for fairness audits, each null when unknown: the child age
 * band (only on personalised lists: it is declared for ranking under that consent), the declared
 * city tier (declared for audits only), the device class and whether the viewer is new or returning.
 */
export interface DecisionSegments {
  readonly childAgeBand: string | null;
  readonly cityTier: string | null;
  readonly device: string | null;
  readonly visitor: 'new' | 'returning' | null;
}

export type FeedbackType = 'click' | 'add_to_cart' | 'purchase' | 'like' | 'dislike' | 'not_interested';

/** What recording one feedback did (RecommenderStore.recordFeedback). */
export type FeedbackRecorded = 'recorded' | 'duplicate' | 'conflict' | 'order_used';

export interface ProductHealth {
  productId: string;
  impressions: number;
  clicks: number;
  carts: number;
  purchases: number;
  explored: number;
}

/**
 * Which updates a model state holds: per origin node, the last of its updates included (each node
 * numbers its own updates of a model 1, 2, 3 …). A node missing from it contributed nothing.
 */
export type VersionVector = Readonly<Record<string, number>>;

/** The node id that rows and snapshots stored before updates carried their origin were given. */
export const LEGACY_NODE = 'legacy';

export interface SnapshotRecord {
  readonly version: string;
  readonly model: string;
  /** How many updates the snapshot's model holds in all. */
  readonly updates: number;
  readonly snapshot: string;
  readonly createdAt: number;
  /** Exactly the updates the snapshot holds. */
  readonly vector: VersionVector;
}

/** One item's part in a model's age-band counts, carried by the update that learns from it (no identity). */
export interface InterestDelta {
  /** The declared child age band of the viewer it was shown to. */
  readonly band: string;
  /** The product's category. */
  readonly category: string;
  /** The item's first update: it counts as shown. */
  readonly shown: boolean;
  /** The item's first positive feedback (click, add to cart, purchase or like). */
  readonly positive: boolean;
}

/** One learning step of a model, as its origin node recorded it: a feature vector and a reward, never who. */
export interface ModelUpdateRecord {
  /** The node that learnt it. */
  readonly node: string;
  /** The origin node's own count of its updates of this model (1, 2, 3 …). */
  readonly seq: number;
  readonly x: readonly number[];
  readonly reward: number;
  readonly createdAt: number;
  /** Shown to a viewer who declared a child age band: its part in the model's age-band counts. */
  readonly interest?: InterestDelta | undefined;
}

/** Told on the bus after a node stored updates of a model, so the other nodes read them at once. */
export interface ModelLearned {
  readonly type: 'model_learned';
  readonly node: string;
  readonly model: string;
}

/** The bus, as the recommender's replication uses it (one topic). */
export interface ModelLearnedChannel {
  publish(message: ModelLearned): Promise<void>;
  subscribe(handler: (message: unknown) => void): () => void;
}

export interface RecommenderStore {
  /** Many decisions in one transaction (the service buffers them). */
  appendDecisions(decisions: readonly DecisionRecord[]): Promise<void>;
  decision(id: string): Promise<DecisionRecord | undefined>;
  /**
   * Records feedback and marks the decision's outcome, once per idempotency key and once per
   * decision and kind (a second click on one recommendation is the same act again). `duplicate`
   * (nothing changed): the key, or this kind on this decision, was already recorded; `conflict`
   * (nothing changed): the key was used for another decision or kind; `order_used` (nothing
   * changed): a purchase's order already answers for another recommendation.
   */
  recordFeedback(input: { idempotencyKey: string; decisionId: string; type: FeedbackType; learned: boolean; at: number; orderId?: string }): Promise<FeedbackRecorded>;
  /** Per product for a session since a time: impressions and outcomes. */
  health(sessionId: string, since: number): Promise<ProductHealth[]>;
  /** Impressions and outcomes over every session since a time, split by personalised or not. */
  summary(since: number): Promise<{ personalised: boolean; impressions: number; clicks: number; carts: number; purchases: number; explored: number }[]>;
  /** Personalised decisions of a session since a time. */
  personalisedCount(sessionId: string, since: number): Promise<number>;
  /** The decisions of a time range, oldest first, for the off-policy evaluation export (lists the re-ranker changed left out). */
  decisionsBetween(from: number, until: number, limit: number, after?: { createdAt: number; id: string }): Promise<(DecisionRecord & { clicked: boolean })[]>;

  /** The snapshot holding the most updates (ties: the newest); undefined when none was saved. */
  latestSnapshot(model: string): Promise<SnapshotRecord | undefined>;
  /** Saving a version again is a no-op (the first kept). */
  saveSnapshot(snapshot: SnapshotRecord): Promise<void>;
  /**
   * The model's updates that `vector` does not hold — for each node, those with a greater seq; all
   * of a node it does not name — ordered by node, then seq. `exceptNode`: leave that node's out.
   */
  updatesSince(model: string, vector: VersionVector, exceptNode?: string): Promise<ModelUpdateRecord[]>;
  /** Stores one update once: false (and nothing changed) when its (model, node, seq) is already stored. */
  appendUpdate(model: string, update: ModelUpdateRecord): Promise<boolean>;
  /**
   * Stores many updates of one model in one transaction, each once (a repeat is a no-op, as in
   * appendUpdate). All or nothing. Committed without waiting for the disk, like the decision log.
   */
  appendUpdates(model: string, updates: readonly ModelUpdateRecord[]): Promise<void>;
  /** Deletes the updates `vector` holds that were created before `before`; answers how many. */
  pruneUpdates(model: string, vector: VersionVector, before: number): Promise<number>;
  /**
   * Deletes the model's snapshots made before `before`, except the latest (the one restore would
   * read: the most updates, ties to the newest); answers how many. A busy node makes one a second.
   */
  pruneSnapshots(model: string, before: number): Promise<number>;
  /** Retention: decisions and feedback before the cutoff. */
  purgeBefore(cutoff: number): Promise<number>;
}
