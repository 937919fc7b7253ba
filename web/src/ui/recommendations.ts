/**
 * Recommendations on the pages: the shapes the server sends (src/modules/recommender/service.ts and
 * routes.ts), the pure rules for showing them, and the calls.
 *
 * - A list is personalised only when the server says so (A5); the page never decides it.
 * - A card's price always comes from the room state, never from the recommendation (A6).
 * - An explanation is exact: base + Σφ = score; the exploration bonus is separate and said so.
 * - Feedback carries a random idempotency key and the device id only when the browser already has
 *   one (it is never made for this). A 👍, 👎 or 不感兴趣 is given once per product in the room: it
 *   outlives the decision it was given on, and its key stays the same. One the server did not take
 *   is undone, so the viewer can give it again (under the same key).
 */
import { ApiError, apiRequest } from './api.ts';
import type { FlashSaleView, RoomState, ServerMessage, ShowcaseProduct } from './contract.ts';
import { DEVICE_HEADER } from './device.ts';
import { applyServerMessage, type RoomUpdate } from './room-state.ts';

export type FeedbackType = 'click' | 'add_to_cart' | 'purchase' | 'like' | 'dislike' | 'not_interested';
export const FEEDBACK_TYPES: readonly FeedbackType[] = ['click', 'add_to_cart', 'purchase', 'like', 'dislike', 'not_interested'];

export interface RecContribution {
  feature: string;
  value: number;
  phi: number;
}

export interface RecExplanation {
  score: number;
  base: number;
  contributions: RecContribution[];
  exploration: { active: boolean; bonus: number };
  modelVersion: string;
  /** The MLP arm's first-order attribution (gradient × input): base + Σφ + residual = score. */
  approximation?: { method: 'gradient-x-input'; residual: number };
}

export interface RecItem {
  decisionId: string;
  productId: string;
  position: number;
  personalised: boolean;
  explanation: RecExplanation;
  reasons: { zh: string[]; en: string[] };
  propensity: number;
}

export interface RecList {
  personalised: boolean;
  label: { zh: string; en: string };
  modelVersion: string;
  items: RecItem[];
  at?: number;
}

export interface RecProductHealth {
  productId: string;
  impressions: number;
  clicks: number;
  carts: number;
  purchases: number;
  explored: number;
  ctr: number;
  cartRate: number;
}

export interface RecHealth {
  modelVersion: string;
  updates: number;
  impressions: number;
  explorationShare: number;
  personalisedShare: number;
  products: RecProductHealth[];
}

export type FeatureGroup = 'product' | 'room' | 'behaviour' | 'profile';
export const FEATURE_GROUPS: readonly FeatureGroup[] = ['product', 'room', 'behaviour', 'profile'];

export interface HowFeature {
  name: string;
  group: FeatureGroup | (string & {});
  personal: boolean;
  label: string;
}

export interface HowItWorks {
  version: string;
  locale?: string;
  objective: string;
  personalised: string;
  nonPersonalised: string;
  nonPersonalisedWeights: Record<string, number>;
  learning: string;
  features: HowFeature[];
  neverUsed: string[];
  /** How fairness is checked (and, when on, the exposure-fair re-ranking). */
  fairness?: string;
  switchOff: string;
  model: { kind: string; epsilon: number; version: string };
}

/** How many cards the viewer panel shows. */
export const RECS_SHOWN = 4;
/** The server's maximum k. */
export const RECS_MAX_K = 10;
/** base + Σφ must equal the score within this (floating point only). */
export const EXPLANATION_TOLERANCE = 1e-9;

// ---------------------------------------------------------------- parsing (the socket's payload is untyped)

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function parseExplanation(v: unknown): RecExplanation | null {
  if (!isRecord(v) || !isNum(v['score']) || !isNum(v['base']) || !Array.isArray(v['contributions'])) return null;
  const contributions: RecContribution[] = [];
  for (const c of v['contributions']) {
    if (!isRecord(c) || typeof c['feature'] !== 'string' || !isNum(c['phi'])) return null;
    contributions.push({ feature: c['feature'], value: isNum(c['value']) ? c['value'] : 0, phi: c['phi'] });
  }
  const ex = isRecord(v['exploration']) ? v['exploration'] : {};
  return {
    score: v['score'],
    base: v['base'],
    contributions,
    exploration: { active: ex['active'] === true, bonus: isNum(ex['bonus']) ? ex['bonus'] : 0 },
    modelVersion: typeof v['modelVersion'] === 'string' ? v['modelVersion'] : '',
    ...(v['method'] === 'gradient-x-input' && isNum(v['residual']) ? { approximation: { method: 'gradient-x-input' as const, residual: v['residual'] } } : {}),
  };
}

function parseItem(v: unknown): RecItem | null {
  if (!isRecord(v) || typeof v['decisionId'] !== 'string' || typeof v['productId'] !== 'string') return null;
  const explanation = parseExplanation(v['explanation']);
  if (!explanation) return null;
  const reasons = isRecord(v['reasons']) ? v['reasons'] : {};
  return {
    decisionId: v['decisionId'],
    productId: v['productId'],
    position: isNum(v['position']) ? v['position'] : 0,
    personalised: v['personalised'] === true,
    explanation,
    reasons: { zh: isStrArray(reasons['zh']) ? reasons['zh'] : [], en: isStrArray(reasons['en']) ? reasons['en'] : [] },
    propensity: isNum(v['propensity']) ? v['propensity'] : 1,
  };
}

/** A list from the server (GET or the socket's `recommendations` message), or null when malformed. */
export function parseRecList(v: unknown): RecList | null {
  if (!isRecord(v) || !Array.isArray(v['items']) || !isRecord(v['label'])) return null;
  const label = v['label'];
  if (typeof label['zh'] !== 'string' || typeof label['en'] !== 'string') return null;
  const items: RecItem[] = [];
  for (const raw of v['items']) {
    const item = parseItem(raw);
    if (!item) return null;
    items.push(item);
  }
  return {
    personalised: v['personalised'] === true,
    label: { zh: label['zh'], en: label['en'] },
    modelVersion: typeof v['modelVersion'] === 'string' ? v['modelVersion'] : '',
    items,
    ...(isNum(v['at']) ? { at: v['at'] } : {}),
  };
}

// ---------------------------------------------------------------- display rules

export type LocaleCode = 'zh-CN' | 'en';

/** The item's plain-language reasons in the page's language (the other language when one is empty). */
export function reasonsFor(item: Pick<RecItem, 'reasons'>, locale: LocaleCode): string[] {
  const primary = locale === 'zh-CN' ? item.reasons.zh : item.reasons.en;
  const other = locale === 'zh-CN' ? item.reasons.en : item.reasons.zh;
  return primary.length > 0 ? primary : other;
}

export function labelFor(list: Pick<RecList, 'label'>, locale: LocaleCode): string {
  return locale === 'zh-CN' ? list.label.zh : list.label.en;
}

/** Which model a version string names: `qingliu-linear-v3:16` → family "linear", design 3, 16 updates. */
export interface ModelVersionParts {
  family: 'linear' | 'mlp' | 'other';
  design: number | null;
  updates: number | null;
  /** The version as the server sent it (for support and the logs). */
  technical: string;
}

/** Reads a model version (`<id>:<updates>`, the id ending `-v<design>`); anything else is `other`, kept whole. */
export function parseModelVersion(version: string): ModelVersionParts {
  const m = /^qingliu-(linear|mlp)(?:-v(\d+))?:(\d+)$/.exec(version);
  if (!m) return { family: 'other', design: null, updates: null, technical: version };
  return { family: m[1] as 'linear' | 'mlp', design: m[2] === undefined ? null : Number(m[2]), updates: Number(m[3]), technical: version };
}

/** A signed number with a fixed number of decimals: +0.500, −1.250, 0.000 (U+2212 for minus). */
export function formatSigned(n: number, digits = 3): string {
  const fixed = Math.abs(n).toFixed(digits);
  if (Number(fixed) === 0) return (0).toFixed(digits);
  return `${n > 0 ? '+' : '−'}${fixed}`;
}

export function formatNumber(n: number, digits = 3): string {
  const fixed = Math.abs(n).toFixed(digits);
  if (Number(fixed) === 0) return (0).toFixed(digits);
  return `${n < 0 ? '−' : ''}${fixed}`;
}

/** A share 0…1 as a percentage with one decimal: 0.1234 → "12.3%". */
export function formatShare(share: number): string {
  if (!Number.isFinite(share)) return '—';
  return `${(Math.round(share * 1000) / 10).toFixed(1)}%`;
}

export interface ContributionRow {
  feature: string;
  value: number;
  phi: number;
  /** φ signed, 3 decimals. */
  phiText: string;
  direction: 'up' | 'down' | 'none';
}

/** The contributions, largest |φ| first (ties by name, so the order is stable). */
export function contributionRows(explanation: Pick<RecExplanation, 'contributions'>, digits = 3): ContributionRow[] {
  return [...explanation.contributions]
    .sort((a, b) => Math.abs(b.phi) - Math.abs(a.phi) || a.feature.localeCompare(b.feature))
    .map((c) => ({
      feature: c.feature,
      value: c.value,
      phi: c.phi,
      phiText: formatSigned(c.phi, digits),
      direction: c.phi > 0 ? 'up' : c.phi < 0 ? 'down' : 'none',
    }));
}

export interface ExplanationCheck {
  base: number;
  sum: number;
  /** base + Σφ */
  total: number;
  score: number;
  /** |base + Σφ − score| ≤ 1e-9 (scaled for large scores). */
  exact: boolean;
}

/** Checks the identity shown under the table: base + Σφ = score (the exploration bonus is not in it). */
export function checkExplanation(explanation: Pick<RecExplanation, 'base' | 'score' | 'contributions'>): ExplanationCheck {
  // Summed in a fixed order (by |φ| desc) — the same order the table shows.
  let sum = 0;
  for (const c of [...explanation.contributions].sort((a, b) => Math.abs(b.phi) - Math.abs(a.phi))) sum += c.phi;
  const total = explanation.base + sum;
  const tolerance = EXPLANATION_TOLERANCE * Math.max(1, Math.abs(explanation.score));
  return { base: explanation.base, sum, total, score: explanation.score, exact: Math.abs(total - explanation.score) <= tolerance };
}

/**
 * The cards to show: items whose product is in the room (a product that left the showcase is not
 * shown), not hidden by the viewer, at most `shown`. Each card takes its product — and so its price —
 * from the room state.
 */
export function visibleItems(
  list: Pick<RecList, 'items'> | null,
  products: readonly ShowcaseProduct[],
  hidden: ReadonlySet<string>,
  shown = RECS_SHOWN,
): { item: RecItem; product: ShowcaseProduct }[] {
  if (!list) return [];
  const byId = new Map(products.map((p) => [p.id, p]));
  const out: { item: RecItem; product: ShowcaseProduct }[] = [];
  const seen = new Set<string>();
  for (const item of list.items) {
    const product = byId.get(item.productId);
    if (!product || hidden.has(item.productId) || seen.has(item.productId)) continue;
    seen.add(item.productId);
    out.push({ item, product });
    if (out.length >= shown) break;
  }
  return out;
}

/** How many to ask for so that `shown` remain after the viewer's hidden ones. */
export function requestK(hiddenCount: number, shown = RECS_SHOWN): number {
  return Math.min(RECS_MAX_K, Math.max(1, shown + hiddenCount));
}

/** The price a card shows: exactly what the showcase shows for that product (A6). */
export function cardPrice(product: ShowcaseProduct, sale: FlashSaleView | undefined): { priceFen: number; struckFen: number | null; flash: boolean } {
  if (sale && sale.remaining > 0) return { priceFen: sale.priceFen, struckFen: sale.previousPriceFen, flash: true };
  return { priceFen: product.priceFen, struckFen: product.listPriceFen > product.priceFen ? product.listPriceFen : null, flash: false };
}

/**
 * What in the room changes the list (pins, flash sales, sold-outs, the status): when this key
 * changes, a list fetched over HTTP is fetched again.
 */
export function showcaseKey(state: Pick<RoomState, 'pins' | 'flashSales' | 'products' | 'session'> | null): string {
  if (!state) return '';
  const sales = state.flashSales.map((f) => `${f.id}:${f.productId}:${f.endsAt}`).sort();
  const soldOut = state.products.filter((p) => p.soldOut).map((p) => p.id).sort();
  return JSON.stringify([state.session.status, state.pins, sales, soldOut]);
}

export interface FeatureGroupView {
  group: string;
  features: HowFeature[];
}

/** The features grouped in a fixed order (product, room, behaviour, profile, then any other). */
export function groupFeatures(features: readonly HowFeature[]): FeatureGroupView[] {
  const groups = new Map<string, HowFeature[]>();
  for (const g of FEATURE_GROUPS) groups.set(g, []);
  for (const f of features) {
    const list = groups.get(f.group) ?? [];
    list.push(f);
    groups.set(f.group, list);
  }
  return [...groups.entries()].filter(([, list]) => list.length > 0).map(([group, list]) => ({ group, features: list }));
}

/** A fresh idempotency key: 128 random bits, base64url (22 characters; the server takes 8–64). */
export function newIdempotencyKey(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(16));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export interface FeedbackBody {
  decisionId: string;
  type: FeedbackType;
  idempotencyKey: string;
  deviceId?: string;
  /** A purchase: the order it placed (the server checks it is of this card's product, placed after it was shown). */
  orderId?: string;
}

/** The feedback body; the device id only when the browser already has one. */
export function feedbackBody(decisionId: string, type: FeedbackType, deviceId: string | null, idempotencyKey: string = newIdempotencyKey()): FeedbackBody {
  return deviceId ? { decisionId, type, idempotencyKey, deviceId } : { decisionId, type, idempotencyKey };
}

/**
 * Why feedback did not go through: `retry` when it may on a second try (no answer, the server busy
 * or failing, too many at once), `refused` when the server answered that it cannot take it (the
 * recommendation is no longer known, say): trying again would not help.
 */
export type FeedbackFailure = 'retry' | 'refused';

/** Which failure an error from the feedback call is. */
export function failureOf(err: unknown): FeedbackFailure {
  const status = err instanceof ApiError ? err.status : 0;
  return status === 0 || status === 408 || status === 429 || status >= 500 ? 'retry' : 'refused';
}

/** Feedback the viewer gave on a product, with the one idempotency key it is sent under. */
export interface GivenFeedback {
  type: FeedbackType;
  idempotencyKey: string;
  /** The send failed: nothing was recorded, the product counts as not given, and the key waits for a retry of the same feedback. */
  failed?: FeedbackFailure;
}

/**
 * The 👍, 👎 and 不感兴趣 given in this room, by product id. A refreshed list shows the same products
 * under new decision ids, so the answer is kept by product: it stays given, and is never sent twice.
 */
export type GivenByProduct = ReadonlyMap<string, GivenFeedback>;

/** What the viewer already said about this item's product, if anything (feedback that failed to send is not said). */
export function givenFor(given: GivenByProduct, item: Pick<RecItem, 'productId'>): FeedbackType | undefined {
  const feedback = given.get(item.productId);
  return feedback && !feedback.failed ? feedback.type : undefined;
}

/** How the viewer's last feedback on this item's product failed, if it did (the card says so). */
export function feedbackFailedFor(given: GivenByProduct, item: Pick<RecItem, 'productId'>): FeedbackFailure | undefined {
  return given.get(item.productId)?.failed;
}

/**
 * Records the viewer's feedback on a product: the updated map and what to send, or null when they
 * already gave feedback on that product (under any decision), so nothing is sent. The key is made
 * once per product and kept when the same feedback that failed is given again: had the first send
 * reached the server after all, it would count it once (it keeps one row per key). Other feedback
 * after a failure is a new answer under a new key (under the old key the server would keep the
 * first answer while the page showed the second).
 */
export function giveFeedback(
  given: GivenByProduct,
  productId: string,
  type: FeedbackType,
  makeKey: () => string = newIdempotencyKey,
): { given: GivenByProduct; feedback: GivenFeedback } | null {
  const earlier = given.get(productId);
  if (earlier && !earlier.failed) return null;
  const feedback: GivenFeedback = { type, idempotencyKey: earlier !== undefined && earlier.type === type ? earlier.idempotencyKey : makeKey() };
  return { given: new Map(given).set(productId, feedback), feedback };
}

/**
 * Undoes feedback the server did not take (sendRecFeedback resolved null): the product counts as not
 * given again, so its buttons work, and its key is kept for the retry. The map is returned as it is
 * when the product's feedback is no longer the one that was sent.
 */
export function feedbackFailed(given: GivenByProduct, productId: string, sent: GivenFeedback, failure: FeedbackFailure = 'retry'): GivenByProduct {
  if (given.get(productId) !== sent) return given;
  return new Map(given).set(productId, { ...sent, failed: failure });
}

// ---------------------------------------------------------------- calls

const sessionPath = (sessionId: string): string => `/api/v1/sessions/${encodeURIComponent(sessionId)}`;

export async function fetchRecommendations(sessionId: string, deviceId: string | null, k: number): Promise<RecList> {
  const raw = await apiRequest<unknown>('GET', `${sessionPath(sessionId)}/recommendations?k=${k}`, undefined, deviceId ? { [DEVICE_HEADER]: deviceId } : undefined);
  const list = parseRecList(raw);
  if (!list) throw new Error('malformed recommendations');
  return list;
}

export function postFeedback(sessionId: string, body: FeedbackBody): Promise<{ learned: boolean; duplicate: boolean }> {
  return apiRequest('POST', `${sessionPath(sessionId)}/recommendations/feedback`, body);
}

export function fetchHealth(sessionId: string): Promise<RecHealth> {
  return apiRequest('GET', `${sessionPath(sessionId)}/recommendations/health`);
}

export function fetchHowItWorks(locale: LocaleCode): Promise<HowItWorks> {
  return apiRequest('GET', `/api/v1/recommendations/how-it-works?locale=${encodeURIComponent(locale)}`);
}

/**
 * Feedback for a card's decision with this browser's device id if it has one (none is made). Resolves
 * with the server's answer, or null when it failed (feedback never blocks the page), after telling
 * `onFailure` which failure it was. A fresh idempotency key unless one is given (a product's 👍/👎
 * keeps its own: see giveFeedback).
 */
export function sendRecFeedback(
  sessionId: string,
  decisionId: string,
  type: FeedbackType,
  deviceId: string | null,
  post: (sessionId: string, body: FeedbackBody) => Promise<{ learned: boolean; duplicate: boolean }> = postFeedback,
  idempotencyKey?: string,
  onFailure: (failure: FeedbackFailure) => void = () => undefined,
): Promise<{ learned: boolean; duplicate: boolean } | null> {
  return sendBody(sessionId, feedbackBody(decisionId, type, deviceId, idempotencyKey), post, onFailure);
}

/** A purchase on a card: its feedback names the order placed, which answers for this card only. */
export function sendPurchaseFeedback(
  sessionId: string,
  decisionId: string,
  orderId: string,
  deviceId: string | null,
  post: (sessionId: string, body: FeedbackBody) => Promise<{ learned: boolean; duplicate: boolean }> = postFeedback,
): Promise<{ learned: boolean; duplicate: boolean } | null> {
  return sendBody(sessionId, { ...feedbackBody(decisionId, 'purchase', deviceId), orderId }, post, () => undefined);
}

function sendBody(
  sessionId: string,
  body: FeedbackBody,
  post: (sessionId: string, body: FeedbackBody) => Promise<{ learned: boolean; duplicate: boolean }>,
  onFailure: (failure: FeedbackFailure) => void,
): Promise<{ learned: boolean; duplicate: boolean } | null> {
  const failed = (err: unknown) => {
    onFailure(failureOf(err));
    return null;
  };
  try {
    return post(sessionId, body).catch(failed);
  } catch (err) {
    return Promise.resolve(failed(err));
  }
}

/**
 * Whether the room reducer lets a `recommendations` message through without asking for a resync.
 * Until it does, the page must not ask for recommendations over the socket (each push would drop
 * and reopen the connection) and keeps to HTTP instead.
 */
export function socketCarriesRecommendations(
  apply: (state: RoomState | null, message: ServerMessage) => Pick<RoomUpdate, 'kind'> = applyServerMessage,
): boolean {
  try {
    const probe = { seq: 0, products: [], pins: [], flashSales: [] } as unknown as RoomState;
    return apply(probe, { type: 'recommendations', recommendations: null }).kind !== 'resync';
  } catch {
    return false;
  }
}

const QUERY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** /recommendations?brand=&from=: where the viewer came from, for the back link and the privacy centre. */
export function parseHowQuery(search: string): { brandId: string | null; from: string | null } {
  const q = new URLSearchParams(search);
  const brand = q.get('brand');
  const from = q.get('from');
  return { brandId: brand && QUERY_ID.test(brand) ? brand : null, from: from && QUERY_ID.test(from) ? from : null };
}

/** The link from a live room to /recommendations (brand and room carried for the way back). */
export function howItWorksHref(brandId: string | null, sessionId: string | null): string {
  const q = new URLSearchParams();
  if (brandId) q.set('brand', brandId);
  if (sessionId) q.set('from', sessionId);
  const s = q.toString();
  return s ? `/recommendations?${s}` : '/recommendations';
}

/** The privacy centre, for switching personalisation off. */
export function privacyHref(brandId: string | null, from: string | null): string {
  const q = new URLSearchParams();
  if (brandId) q.set('brand', brandId);
  if (from) q.set('from', from);
  const s = q.toString();
  return s ? `/privacy?${s}` : '/privacy';
}

// ---------------------------------------------------------------- what the viewer said, kept on this device

/** The feedback kept on the device: a viewer's 👍, 👎 and 不感兴趣 in a room outlive a reload. */
export type KeptFeedback = 'like' | 'dislike' | 'not_interested';
const KEPT_TYPES: ReadonlySet<string> = new Set<KeptFeedback>(['like', 'dislike', 'not_interested']);
/** At most this many products are remembered per room (the newest win). */
export const ROOM_FEEDBACK_MAX = 200;
const validProductId = (id: string): boolean => id.length > 0 && id.length <= 128;

/** The part of Storage used here, so tests can pass a fake. */
export type FeedbackStorage = Pick<Storage, 'getItem' | 'setItem'>;

function localStore(): FeedbackStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined; // the getter itself can throw
  } catch {
    return undefined;
  }
}

/**
 * Where a room's feedback is kept: localStorage `qingliu.recs.<session id>`, on this device only. The
 * server is never told what a viewer hid (a viewer without consent has nothing stored about them).
 */
export const roomFeedbackKey = (sessionId: string): string => `qingliu.recs.${sessionId}`;

/**
 * The 👍, 👎 and 不感兴趣 this device gave in the room, by product (each with a fresh key: it is never
 * sent again). Anything unreadable is ignored.
 */
export function readRoomFeedback(sessionId: string, storage: FeedbackStorage | undefined = localStore()): GivenByProduct {
  const out = new Map<string, GivenFeedback>();
  try {
    const raw = storage?.getItem(roomFeedbackKey(sessionId));
    if (!raw) return out;
    const parsed: unknown = JSON.parse(raw);
    if (!isRecord(parsed)) return out;
    for (const [productId, type] of Object.entries(parsed)) {
      if (out.size >= ROOM_FEEDBACK_MAX) break;
      if (typeof type === 'string' && KEPT_TYPES.has(type) && validProductId(productId)) out.set(productId, { type: type as KeptFeedback, idempotencyKey: newIdempotencyKey() });
    }
  } catch {
    // blocked or malformed: nothing kept
  }
  return out;
}

/** Keeps the room's given feedback (not the failed, and only 👍, 👎 and 不感兴趣) on this device. */
export function writeRoomFeedback(sessionId: string, given: GivenByProduct, storage: FeedbackStorage | undefined = localStore()): void {
  const kept: Record<string, KeptFeedback> = {};
  const entries = [...given.entries()].filter(([productId, f]) => !f.failed && KEPT_TYPES.has(f.type) && validProductId(productId));
  for (const [productId, f] of entries.slice(-ROOM_FEEDBACK_MAX)) kept[productId] = f.type as KeptFeedback;
  try {
    storage?.setItem(roomFeedbackKey(sessionId), JSON.stringify(kept));
  } catch {
    // storage blocked: remembered for this page view only
  }
}

/** The products the viewer hid (不感兴趣 given and not failed): never shown again in the room. */
export function hiddenProducts(given: GivenByProduct): ReadonlySet<string> {
  const hidden = new Set<string>();
  for (const [productId, f] of given) if (f.type === 'not_interested' && !f.failed) hidden.add(productId);
  return hidden;
}

// ---------------------------------------------------------------- when to ask for a list again

/** The purposes that change what the recommender does for a viewer. */
export const RECS_PURPOSES: readonly string[] = ['personalised_recommendations', 'model_improvement'];

/**
 * What in the viewer's consent changes their list: the allowed purposes that matter (sorted, as a
 * key; null while not known), and how many decisions were recorded on this page (`epoch`).
 */
export interface RecsConsent {
  effective: string | null;
  epoch: number;
}

/** The key of the purposes that matter among those allowed now; null when they are not known. */
export function recsConsentKey(effective: readonly string[] | null | undefined): string | null {
  if (!effective) return null;
  return RECS_PURPOSES.filter((p) => effective.includes(p)).join(',');
}

/**
 * Whether the viewer's consent changed since the list was asked for: `ask` again only when what is
 * allowed really changed; `adopt` what became known (the server already answered with it — a status
 * arriving is no change); `wait` while it is not known. A decision recorded since, with the purposes
 * not known when asked, is asked again.
 */
export function consentChange(asked: RecsConsent, now: RecsConsent): 'ask' | 'adopt' | 'wait' {
  if (now.effective === null) return 'wait';
  if (asked.effective === null) return asked.epoch === now.epoch ? 'adopt' : 'ask';
  return asked.effective === now.effective ? 'adopt' : 'ask';
}

/** The rows worth showing at this precision: those whose φ does not round to 0. */
export function shownContributionRows(rows: readonly ContributionRow[], digits = 3): { shown: ContributionRow[]; omitted: number } {
  const shown = rows.filter((r) => Number(Math.abs(r.phi).toFixed(digits)) !== 0);
  return { shown, omitted: rows.length - shown.length };
}
