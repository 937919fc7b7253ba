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

export interface ProductHealth {
  productId: string;
  impressions: number;
  clicks: number;
  carts: number;
  purchases: number;
  explored: number;
}

export interface SnapshotRecord {
  readonly version: string;
  readonly model: string;
  readonly updates: number;
  readonly snapshot: string;
  readonly createdAt: number;
}

export interface RecommenderStore {
  /** Many decisions in one transaction (the service buffers them). */
  appendDecisions(decisions: readonly DecisionRecord[]): Promise<void>;
  decision(id: string): Promise<DecisionRecord | undefined>;
  /**
   * Records feedback once per idempotency key and marks the decision's outcome; false (and nothing
   * changed) when the key was already used.
   */
  recordFeedback(input: { idempotencyKey: string; decisionId: string; type: FeedbackType; learned: boolean; at: number }): Promise<boolean>;
  /** Per product for a session since a time: impressions and outcomes. */
  health(sessionId: string, since: number): Promise<ProductHealth[]>;
  /** Impressions and outcomes over every session since a time, split by personalised or not. */
  summary(since: number): Promise<{ personalised: boolean; impressions: number; clicks: number; carts: number; purchases: number; explored: number }[]>;
  /** Personalised decisions of a session since a time. */
  personalisedCount(sessionId: string, since: number): Promise<number>;
  /** The decisions of a time range, oldest first, for the off-policy evaluation export (lists the re-ranker changed left out). */
  decisionsBetween(from: number, until: number, limit: number, after?: { createdAt: number; id: string }): Promise<(DecisionRecord & { clicked: boolean })[]>;

  latestSnapshot(model: string): Promise<SnapshotRecord | undefined>;
  saveSnapshot(snapshot: SnapshotRecord): Promise<void>;
  /** The model's updates after a sequence number, in order. */
  updatesAfter(model: string, seq: number): Promise<{ seq: number; x: number[]; reward: number }[]>;
  appendUpdate(model: string, seq: number, x: readonly number[], reward: number, at: number): Promise<void>;
  /** Drops updates folded into a snapshot. */
  pruneUpdates(model: string, upToSeq: number): Promise<void>;
  /** Retention: decisions and feedback before the cutoff. */
  purgeBefore(cutoff: number): Promise<number>;
}
