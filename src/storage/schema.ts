/**
 * Table types shared by the Kysely adapters. Money is integer fen (1/100 CNY); times are epoch
 * milliseconds; booleans are 0/1; JSON is stored as text. The same shapes hold on SQLite and PostgreSQL.
 */
export interface BrandTable {
  id: string;
  name_zh: string;
  name_en: string;
  operator_zh: string;
  operator_en: string;
  contact_email: string;
  contact_phone: string;
  merchant_licence: string;
  created_at: number;
}

export interface FaqTable {
  id: string;
  brand_id: string;
  /** null for a brand-wide entry (shipping, returns …). */
  product_id: string | null;
  position: number;
  question_zh: string;
  answer_zh: string;
  question_en: string;
  answer_en: string;
}

export interface ProductTable {
  id: string;
  brand_id: string;
  sku: string;
  name_zh: string;
  name_en: string;
  description_zh: string;
  description_en: string;
  category: string;
  price_fen: number;
  list_price_fen: number;
  stock: number;
  age_min_months: number;
  age_max_months: number;
  attributes: string;
  image_url: string;
  created_at: number;
  updated_at: number;
}

export interface StaffUserTable {
  id: string;
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
  disabled: number;
}

export interface StaffSessionTable {
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface LiveSessionTable {
  id: string;
  brand_id: string;
  title_zh: string;
  title_en: string;
  host_user_id: string | null;
  status: string;
  hls_url: string | null;
  poster_url: string | null;
  scheduled_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  created_at: number;
  /** Bumped on every showcase change; row-locked on PostgreSQL to serialise changes to one room. */
  version: number;
}

export interface SessionProductTable {
  session_id: string;
  product_id: string;
  position: number;
  sold_out: number;
  pinned_at: number | null;
}

export interface FlashSaleTable {
  id: string;
  session_id: string;
  product_id: string;
  price_fen: number;
  previous_price_fen: number;
  quantity: number;
  sold: number;
  starts_at: number;
  ends_at: number;
  ended_at: number | null;
  end_reason: string | null;
  created_at: number;
}

export interface SessionCounterTable {
  session_id: string;
  likes: number;
  add_to_cart: number;
  orders: number;
  units_sold: number;
}

export interface RoomEventTable {
  session_id: string;
  client_event_id: string;
  type: string;
  product_id: string | null;
  created_at: number;
}

export interface OrderTable {
  id: string;
  session_id: string;
  product_id: string;
  client_order_id: string;
  quantity: number;
  unit_price_fen: number;
  flash_sale_id: string | null;
  replay_offset_ms: number | null;
  created_at: number;
}

export interface ConsentRecordTable {
  id: string;
  subject: string;
  brand_id: string;
  /** JSON arrays of purpose ids. */
  granted: string;
  refused: string;
  notice_version: string;
  notice_hash: string;
  locale: string;
  method: string;
  region: string;
  created_at: number;
}

/** One exact notice text a consent decision's hash refers to (no personal data). */
export interface NoticeTextTable {
  hash: string;
  /** consent | guardian | transfer */
  kind: string;
  version: string;
  locale: string;
  /** The brand id (consent, guardian) or the destination id (transfer). */
  scope: string;
  text: string;
  first_used_at: number;
  last_used_at: number;
}

/** A subject's data key, only ever stored wrapped (base64url envelope) by a key-encryption key. */
export interface DataKeyTable {
  subject_id: string;
  key_id: string;
  wrapped_key: string;
  kek_id: string;
  created_at: number;
}

/** What remains of a destroyed data key: its random id and when (never the subject). */
export interface DataKeyTombstoneTable {
  key_id: string;
  destroyed_at: number;
}

/** The device id ↔ pseudonym mapping (S2); the device id is sealed under the subject's data key. */
export interface PseudonymTable {
  purpose: string;
  region: string;
  pseudonym: string;
  subject_id: string;
  device_id_sealed: string;
  created_at: number;
}

export interface ProtectionMetaTable {
  name: string;
  value: string;
}

/** The access log (see src/modules/access-log): canonical JSON entries and their hex leaf hashes. */
export interface AccessLogEntryTable {
  seq: number;
  entry: string;
  leaf_hash: string;
}

/** One row (id 1): entries so far, the tree's right edge (hex subtree hashes, comma-separated), checkpoints so far. */
export interface AccessLogHeadTable {
  id: number;
  size: number;
  frontier: string;
  checkpoints: number;
}

export interface AccessLogCheckpointTable {
  number: number;
  tree_size: number;
  root_hash: string;
  created_at: number;
  key_id: string;
  signature: string;
}

export interface ViewerEventTable {
  id: string;
  subject: string;
  pseudonym: string;
  purpose: string;
  session_id: string;
  type: string;
  client_event_id: string;
  /** AES-256-GCM envelope (text form) under the subject's data key. */
  payload_sealed: string;
  region: string;
  created_at: number;
}

export interface AnonymousEventCountTable {
  session_id: string;
  type: string;
  count: number;
}

export interface ViewerProfileTable {
  subject: string;
  region: string;
  profile_sealed: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface ViewerTagsTable {
  subject: string;
  region: string;
  tags_sealed: string;
  version: number;
  updated_at: number;
}

export interface GuardianConsentTable {
  id: string;
  subject: string;
  brand_id: string;
  guardian_subject: string;
  /** JSON array of purposes. */
  granted: string;
  details_sealed: string;
  notice_version: string;
  notice_hash: string;
  locale: string;
  method: string;
  region: string;
  created_at: number;
}

export interface GuardianRequestTable {
  code_hash: string;
  subject: string;
  brand_id: string;
  region: string;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

export interface MinorSpendTable {
  subject: string;
  region: string;
  period: string;
  spent_fen: number;
  updated_at: number;
}

// ---- rights tickets (migration 0009): table interfaces go here ----
/** A viewer's rights request (PIPL 44–50, R3); the details are sealed under the viewer's data key. */
export interface RightsTicketTable {
  id: string;
  subject: string;
  kind: string;
  status: string;
  /** AES-256-GCM envelope (text form) of the viewer's own words. */
  details_sealed: string;
  locale: string;
  region: string;
  created_at: number;
  updated_at: number;
  due_at: number;
  closed_at: number | null;
  /** Staff user id (or `system`) who closed it. */
  handled_by: string | null;
  /** Why it was rejected (required then), or a note on completion; shown to the viewer. */
  reason: string | null;
}

// ---- cross-border transfer (migration 0010): table interfaces go here ----

/** A recipient personal information may be sent to (L1); never updated: a changed recipient is a new id. */
export interface TransferDestinationTable {
  id: string;
  recipient_name: string;
  contact: string;
  region: string;
  purpose_zh: string;
  purpose_en: string;
  method_zh: string;
  method_en: string;
  rights_zh: string;
  rights_en: string;
  /** JSON array of {id, zh, en, sensitive}. */
  categories: string;
  /** 1 when any category is sensitive personal information. */
  sensitive: number;
  base_url: string;
  created_by: string;
  created_at: number;
}

/** A recorded transfer basis (PIPL 38): standard contract, certification or CAC security assessment. */
export interface TransferBasisTable {
  id: string;
  destination_id: string;
  kind: string;
  reference: string;
  valid_from: number;
  valid_until: number;
  recorded_by: string;
  recorded_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

/** Who changed the destination registry, when and how (append-only). */
export interface TransferChangeTable {
  id: string;
  destination_id: string;
  action: string;
  actor: string;
  /** JSON object. */
  detail: string;
  created_at: number;
}

/** Separate consent per viewer and destination (PIPL 39): append-only, keyed subject only. */
export interface TransferConsentTable {
  id: string;
  subject: string;
  destination_id: string;
  decision: string;
  notice_version: string;
  notice_hash: string;
  locale: string;
  region: string;
  created_at: number;
}

/** Every outbound call the gateway refused or made: counts and categories, never subject ids. */
export interface TransferLogTable {
  id: string;
  destination_id: string;
  region: string | null;
  cross_border: number;
  subjects: number;
  /** JSON array of category ids. */
  categories: string;
  sensitive: number;
  outcome: string;
  reason: string | null;
  http_status: number | null;
  actor: string;
  created_at: number;
}

/** One row per individual, year (UTC+8) and kind ('any' | 'sensitive'): the unique key counts once. */
export interface TransferIndividualTable {
  year: number;
  kind: string;
  subject: string;
  first_at: number;
}

/** Running totals of transfer_individuals per year and kind, so reading the counter scans nothing. */
export interface TransferYearTotalTable {
  year: number;
  kind: string;
  count: number;
}

/** Threshold alerts (L2): one row per year, threshold and level, raised once. */
export interface TransferAlertTable {
  year: number;
  threshold: string;
  level: string;
  limit_value: number;
  count: number;
  raised_at: number;
}

// ---- access-log retention (migration 0011): table interfaces go here ----

/**
 * The access log's complete interior subtrees (level ≥ 1; level 0 is access_log_entries.leaf_hash):
 * node (level, idx) is MTH of leaves [idx·2^level, (idx+1)·2^level). Written at append time, so a
 * proof reads O(log n) rows.
 */
export interface AccessLogNodeTable {
  level: number;
  idx: number;
  hash: string;
}

/** One row (id 1): the prune horizon. Entries below it may have an empty body (leaf hash kept). */
export interface AccessLogRetentionTable {
  id: number;
  pruned_below: number;
}

/** Verification runs of the access log: who ran it, when, and the report (JSON, no personal data). */
export interface AccessLogVerificationTable {
  id: string;
  started_at: number;
  finished_at: number;
  duration_ms: number;
  actor_id: string;
  actor_role: string;
  /** ok | failed | error */
  status: string;
  problem_count: number;
  /** JSON VerifyReport with its problems capped, or null when the run could not complete. */
  report: string | null;
  error_code: string | null;
}

export interface RecommendationDecisionTable {
  id: string;
  session_id: string;
  product_id: string;
  position: number;
  propensity: number;
  explored: number;
  personalised: number;
  model_version: string;
  context: string;
  region: string;
  created_at: number;
  clicked: number;
  carted: number;
  purchased: number;
  feedback: string | null;
  /** Set when a running experiment's arm made the decision (0013). */
  experiment_id: string | null;
  arm: string | null;
  /** What a fairness audit needs (0014): the price seen and list price, the category, and the list's coarse segments. */
  list_id: string | null;
  show_viewer: string | null;
  rerank: string | null;
  price_fen: number | null;
  list_price_fen: number | null;
  category: string | null;
  seg_child_age: string | null;
  seg_city_tier: string | null;
  seg_device: string | null;
  seg_visitor: string | null;
}

export interface FairnessAuditTable {
  id: string;
  run_key: string | null;
  trigger: string;
  brand_id: string;
  session_id: string | null;
  scope_from: number;
  scope_until: number;
  created_at: number;
  keep_until: number;
  decisions: number;
  flagged: number;
  simulated: number;
  headline: string;
  report: string;
}

export interface FairnessAlertTable {
  id: string;
  audit_id: string;
  brand_id: string;
  session_id: string;
  created_at: number;
  flags: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

export interface ExperimentTable {
  id: string;
  brand_id: string;
  name: string;
  definition: string;
  status: string;
  simulated: number;
  assignment_salt: string;
  created_by: string;
  created_at: number;
  started_at: number | null;
  stopped_at: number | null;
  stop_reason: string | null;
}

export interface ExperimentUnitTable {
  experiment_id: string;
  unit: string;
  arm: string;
  region: string;
  first_seen_at: number;
  last_seen_at: number;
  requests: number;
  impressions: number;
  clicks: number;
  carts: number;
  orders: number;
  gmv_fen: number;
  reports: number;
  opted_out: number;
}

export interface ExperimentArmTotalsTable {
  experiment_id: string;
  arm: string;
  cohort: string;
  requests: number;
  impressions: number;
  clicks: number;
  carts: number;
  orders: number;
  gmv_fen: number;
  ranking_cpu_micros: number;
}

export interface ExperimentLookTable {
  experiment_id: string;
  look: number;
  fraction: number;
  taken_at: number;
  analysis: string;
}

export interface RecommendationFeedbackTable {
  idempotency_key: string;
  decision_id: string;
  type: string;
  learned: number;
  created_at: number;
  /** A purchase's order (0024); null for other kinds and for purchases recorded before. */
  order_id: string | null;
}

export interface ModelSnapshotTable {
  version: string;
  model: string;
  /** How many updates the snapshot holds in all. */
  updates: number;
  snapshot: string;
  created_at: number;
  /** JSON version vector {node: last seq held} (migration 0018). */
  vector: string;
}

/** Primary key (model, node, seq): each node numbers its own updates of a model (migration 0018). */
export interface ModelUpdateTable {
  model: string;
  node: string;
  seq: number;
  x: string;
  reward: number;
  created_at: number;
  /** JSON [band, category, shown 0|1, positive 0|1] (0019); null when the item's viewer declared no band. */
  interest: string | null;
}

export interface Database {
  brands: BrandTable;
  faqs: FaqTable;
  products: ProductTable;
  staff_users: StaffUserTable;
  staff_sessions: StaffSessionTable;
  live_sessions: LiveSessionTable;
  session_products: SessionProductTable;
  flash_sales: FlashSaleTable;
  session_counters: SessionCounterTable;
  room_events: RoomEventTable;
  orders: OrderTable;
  consent_records: ConsentRecordTable;
  notice_texts: NoticeTextTable;
  viewer_events: ViewerEventTable;
  anonymous_event_counts: AnonymousEventCountTable;
  access_log_entries: AccessLogEntryTable;
  access_log_head: AccessLogHeadTable;
  access_log_checkpoints: AccessLogCheckpointTable;
  data_keys: DataKeyTable;
  data_key_tombstones: DataKeyTombstoneTable;
  pseudonyms: PseudonymTable;
  protection_meta: ProtectionMetaTable;
  viewer_profiles: ViewerProfileTable;
  viewer_tags: ViewerTagsTable;
  experiments: ExperimentTable;
  experiment_units: ExperimentUnitTable;
  experiment_arm_totals: ExperimentArmTotalsTable;
  experiment_looks: ExperimentLookTable;
  guardian_consents: GuardianConsentTable;
  guardian_requests: GuardianRequestTable;
  minor_spend: MinorSpendTable;
  // rights tickets (0009)
  rights_tickets: RightsTicketTable;
  // cross-border transfer (0010)
  transfer_destinations: TransferDestinationTable;
  transfer_bases: TransferBasisTable;
  transfer_changes: TransferChangeTable;
  transfer_consents: TransferConsentTable;
  transfer_log: TransferLogTable;
  transfer_individuals: TransferIndividualTable;
  transfer_year_totals: TransferYearTotalTable;
  transfer_alerts: TransferAlertTable;
  // access-log retention (0011)
  access_log_nodes: AccessLogNodeTable;
  access_log_retention: AccessLogRetentionTable;
  access_log_verifications: AccessLogVerificationTable;
  recommendation_decisions: RecommendationDecisionTable;
  recommendation_feedback: RecommendationFeedbackTable;
  model_snapshots: ModelSnapshotTable;
  model_updates: ModelUpdateTable;
  // fairness audits (0014)
  fairness_audits: FairnessAuditTable;
  fairness_alerts: FairnessAlertTable;
  // energy (0015)
  energy_samples: EnergySampleTable;
  energy_session_samples: EnergySessionSampleTable;
  // chat and assistant (0016)
  chat_messages: ChatMessageTable;
  chat_rooms: ChatRoomTable;
  chat_bans: ChatBanTable;
  chat_moderation_log: ChatModerationLogTable;
  assistant_handoffs: AssistantHandoffTable;
  assistant_memory: AssistantMemoryTable;
  assistant_session_memory: AssistantSessionMemoryTable;
}

export interface ChatMessageTable {
  id: string;
  session_id: string;
  at: number;
  author_kind: 'viewer' | 'staff' | 'assistant';
  author_subject: string | null;
  staff_id: string | null;
  nickname: string | null;
  text: string | null;
  nickname_sealed: string | null;
  text_sealed: string | null;
  status: 'visible' | 'hidden' | 'deleted' | 'banned';
  shadow: number;
  ai_generated: number;
  meta: string;
  /** A viewer's message: the id their page gave it (unique per session and author); null otherwise. */
  client_event_id: string | null;
}

export interface ChatRoomTable {
  session_id: string;
  slow_mode_seconds: number;
  keywords: string;
  pinned_message_id: string | null;
  updated_at: number;
}

export interface ChatBanTable {
  id: string;
  session_id: string;
  subject: string;
  kind: 'ban' | 'shadow';
  nickname_sealed: string | null;
  created_at: number;
  created_by: string;
  lifted_at: number | null;
  lifted_by: string | null;
}

export interface ChatModerationLogTable {
  session_id: string;
  seq: number;
  action: string;
  message_id: string | null;
  target_subject: string | null;
  target_nickname_sealed: string | null;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string | null;
  reason: string | null;
  details: string;
  at: number;
  prev_hash: string;
  hash: string;
}

export interface AssistantHandoffTable {
  id: string;
  session_id: string;
  subject: string | null;
  question: string | null;
  question_sealed: string | null;
  nickname: string | null;
  nickname_sealed: string | null;
  locale: string;
  reason: string;
  message_id: string | null;
  status: 'open' | 'answered' | 'dismissed';
  created_at: number;
  handled_at: number | null;
  handled_by: string | null;
}

export interface AssistantMemoryTable {
  subject: string;
  brand_id: string;
  turns_sealed: string;
  updated_at: number;
  expires_at: number;
}

export interface AssistantSessionMemoryTable {
  session_id: string;
  subject: string;
  /** AES-GCM under the subject's data key: which products were asked about, and what about. */
  turns_sealed: string;
  updated_at: number;
}

export interface EnergySampleTable {
  id: string;
  node: string;
  started_at: number;
  ended_at: number;
  wall_ms: number;
  vcpus: number;
  process_cpu_us: number;
  other_us: number;
  span_scale: number;
  memory_gb_hours: number;
  rapl_joules: number | null;
  rapl_note: string | null;
  recommend_us: number;
  recommend_n: number;
  learn_us: number;
  learn_n: number;
  audits_us: number;
  audits_n: number;
  assistant_us: number;
  assistant_n: number;
  serving_us: number;
  serving_n: number;
  storage_us: number;
  storage_n: number;
}

export interface EnergySessionSampleTable {
  sample_id: string;
  session_id: string;
  started_at: number;
  span_us: number;
  sample_span_us: number;
  recommendations: number;
}
