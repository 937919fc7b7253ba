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
  viewer_events: ViewerEventTable;
  anonymous_event_counts: AnonymousEventCountTable;
  access_log_entries: AccessLogEntryTable;
  access_log_head: AccessLogHeadTable;
  access_log_checkpoints: AccessLogCheckpointTable;
  data_keys: DataKeyTable;
  data_key_tombstones: DataKeyTombstoneTable;
  pseudonyms: PseudonymTable;
  protection_meta: ProtectionMetaTable;
}
