/**
 * The consent contract the pages use (src/modules/consent/routes.ts) and the pure logic of the
 * banner: which decision each button makes, the toggles' starting state, and how the banner moves
 * between its views. No DOM, no fetch: unit-tested in node.
 *
 * Purpose ids are taken from the notice as strings, so a purpose the server adds later is shown and
 * decided on without a page change (C6).
 */
import type { Locale } from '../i18n/index.ts';
import { ApiError } from './api.ts';

export type ConsentMethod = 'accept_all' | 'decline_all' | 'custom' | 'withdraw';

export interface NoticePurpose {
  id: string;
  title: string;
  use: string;
  dataCategories: string;
  retention: string;
}

/** GET /api/v1/consent/notice */
export interface ConsentNotice {
  version: string;
  locale: Locale;
  brandId: string;
  /** The exact text shown; the ledger stores its SHA-256. Never reworded on the page. */
  text: string;
  hash: string;
  purposes: NoticePurpose[];
  operator: { name: string; contactEmail: string; contactPhone: string };
}

/** GET /api/v1/notices/:hash: the exact words of a notice a decision was made on (src/modules/consent/routes.ts). */
export interface ArchivedNotice {
  hash: string;
  kind: 'consent' | 'guardian' | 'transfer';
  version: string;
  locale: Locale;
  /** The brand (privacy and guardian notices) or the cross-border destination the text was written for. */
  scope: string;
  text: string;
}

/** 201 from POST /api/v1/consent, and the items of /receipts. */
export interface ConsentReceipt {
  consentId: string;
  brandId: string;
  granted: string[];
  refused: string[];
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
  method: string;
  region: string;
  at: number;
}

/** GET /api/v1/consent/status */
export interface ConsentStatus {
  current: ConsentReceipt | null;
  /** The purposes really allowed now, after minors mode, guardian consent and the personalisation switch. */
  effective?: string[];
  /** undeclared | adult | minor | child_awaiting_guardian | child_with_guardian */
  mode?: ViewerMode | (string & {});
  needsAsking: boolean;
  noticeVersion: string;
}

/** POST /api/v1/consent */
export interface ConsentDecisionBody {
  deviceId: string;
  brandId: string;
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
  method: ConsentMethod;
  granted: string[];
}

/** The buttons: the first three on the banner, the last in privacy settings. */
export type ConsentAction = 'accept_all' | 'decline_all' | 'save' | 'withdraw';

export type Toggles = Readonly<Record<string, boolean>>;

/**
 * The decision a button makes, built only from the notice on screen: its version, hash, locale and
 * brand are what the viewer was shown, and its purposes are the ones they could grant.
 */
export function buildDecision(action: ConsentAction, notice: ConsentNotice, toggles: Toggles, deviceId: string): ConsentDecisionBody {
  const base = { deviceId, brandId: notice.brandId, noticeVersion: notice.version, noticeHash: notice.hash, locale: notice.locale };
  switch (action) {
    case 'accept_all':
      return { ...base, method: 'accept_all', granted: notice.purposes.map((p) => p.id) };
    case 'decline_all':
      return { ...base, method: 'decline_all', granted: [] };
    case 'withdraw':
      return { ...base, method: 'withdraw', granted: [] };
    case 'save':
      return { ...base, method: 'custom', granted: notice.purposes.filter((p) => toggles[p.id] === true).map((p) => p.id) };
  }
}

/**
 * Where the toggles start. Asking (no current decision passed): every purpose off. Settings: on for
 * exactly the purposes the current decision granted; a purpose that decision did not grant — including
 * one new to the notice — starts off (C6). Only the notice's own purposes are ever sent (buildDecision).
 */
export function initialToggles(current: ConsentReceipt | null = null): Record<string, boolean> {
  const toggles: Record<string, boolean> = {};
  for (const id of current?.granted ?? []) toggles[id] = true;
  return toggles;
}

/** The notice's paragraphs as received (split on blank lines; nothing trimmed or reworded). */
export function noticeParagraphs(text: string): string[] {
  return text.split('\n\n');
}

/** Ask when the server says so — or when it cannot be asked (no answer yet is not a yes). */
export function needsAsking(status: ConsentStatus | null): boolean {
  return status === null || status.needsAsking;
}

/** A decision the server refused because the notice it was made on is not the current one. */
export function isNoticeChanged(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'NOTICE_OUTDATED' || error.code === 'NOTICE_MISMATCH');
}

/**
 * The banner's views. `ask`: the modal first-time dialog. `compact`: a bar with the same three
 * buttons that does not block the page (after Escape or "later": nothing is decided by it).
 * `settings`: the modal opened from the Privacy button. `hidden`: nothing shown.
 */
export type ConsentView = 'hidden' | 'ask' | 'compact' | 'settings';

export function isModal(view: ConsentView): boolean {
  return view === 'ask' || view === 'settings';
}

/** Escape or "later": never a decision. An undecided viewer keeps the compact bar. */
export function viewAfterDismiss(view: ConsentView, decided: boolean): ConsentView {
  if (view === 'hidden') return 'hidden';
  return decided ? 'hidden' : 'compact';
}

/** After a recorded decision nothing stays open. */
export function viewAfterDecision(): ConsentView {
  return 'hidden';
}

/** A refused decision on an outdated notice: the new notice is shown again in full. */
export function viewAfterNoticeChanged(view: ConsentView): ConsentView {
  return view === 'settings' ? 'settings' : 'ask';
}

/** On page entry. */
export function initialView(status: ConsentStatus | null): ConsentView {
  return needsAsking(status) ? 'ask' : 'hidden';
}

/** Receipts of one brand, newest first. */
export function receiptsNewestFirst(items: readonly ConsentReceipt[], brandId: string): ConsentReceipt[] {
  return items.filter((r) => r.brandId === brandId).sort((a, b) => b.at - a.at || (a.consentId < b.consentId ? 1 : -1));
}

// ---- minors (M1/M2): the age gate's pure rules ----

/** PUT /api/v1/privacy/age: the bands a viewer can declare. Unset until the viewer picks one. */
export const AGE_BANDS = ['under_14', '14_to_17', 'adult'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/** GET /api/v1/consent/status `mode`. */
export type ViewerMode = 'undeclared' | 'adult' | 'minor' | 'child_awaiting_guardian' | 'child_with_guardian';

/** Purposes a declared 14–17 viewer cannot grant (the server refuses with MINORS_MODE_RESTRICTED). */
export const MINOR_BLOCKED_PURPOSES: readonly string[] = ['personalised_recommendations', 'marketing', 'merchant_sharing'];

/** Error codes of the age gate and the minors rules, and the message key the page shows for each. */
export const MINORS_ERROR_KEYS = {
  GUARDIAN_CONSENT_REQUIRED: 'consent.age.errors.guardianRequired',
  MINORS_MODE_RESTRICTED: 'consent.age.errors.minorsRestricted',
  AGE_DECLARATION_LOCKED: 'consent.age.errors.locked',
  AGE_REQUIRED: 'consent.age.errors.required',
} as const;

export function isAgeBand(value: unknown): value is AgeBand {
  return typeof value === 'string' && (AGE_BANDS as readonly string[]).includes(value);
}

/** The purposes of the notice this band cannot grant itself: all of them under 14 (a guardian decides). */
export function blockedPurposes(band: AgeBand | null, notice: Pick<ConsentNotice, 'purposes'>): Set<string> {
  if (band === 'under_14') return new Set(notice.purposes.map((p) => p.id));
  if (band === '14_to_17') return new Set(notice.purposes.map((p) => p.id).filter((id) => MINOR_BLOCKED_PURPOSES.includes(id)));
  return new Set();
}

/** True for the bands that run the page in minors mode. */
export function isMinorBand(band: AgeBand | null): boolean {
  return band === 'under_14' || band === '14_to_17';
}

/** True for the modes shown with the minors badge. */
export function isMinorMode(mode: string | undefined): boolean {
  return mode === 'minor' || mode === 'child_awaiting_guardian' || mode === 'child_with_guardian';
}

/**
 * Whether a button would grant something (and so needs a declared age band first). Declining all and
 * withdrawing never do, and neither does saving with every switch off.
 */
export function grantsSomething(action: ConsentAction, notice: Pick<ConsentNotice, 'purposes'>, toggles: Toggles): boolean {
  if (action === 'accept_all') return true;
  if (action === 'save') return notice.purposes.some((p) => toggles[p.id] === true);
  return false;
}

/**
 * The decision under a declared band. A minor's Accept all grants only what the band may grant, sent
 * as `custom` with those purposes; Save drops any blocked purpose; under 14 nothing is granted by the
 * child (the guardian decides), so granting buttons are not offered — if called anyway, nothing is
 * granted. Adults and viewers who declared nothing get buildDecision unchanged.
 */
export function buildBandDecision(action: ConsentAction, notice: ConsentNotice, toggles: Toggles, deviceId: string, band: AgeBand | null): ConsentDecisionBody {
  const decision = buildDecision(action, notice, toggles, deviceId);
  if (!isMinorBand(band) || (action !== 'accept_all' && action !== 'save')) return decision;
  const blocked = blockedPurposes(band, notice);
  const granted = decision.granted.filter((id) => !blocked.has(id));
  if (band === 'under_14') return { ...decision, method: granted.length ? 'custom' : 'decline_all', granted };
  return { ...decision, method: 'custom', granted };
}

/** The toggles after a band is picked: a purpose the band cannot grant is switched off. */
export function togglesForBand(toggles: Toggles, band: AgeBand | null, notice: Pick<ConsentNotice, 'purposes'>): Record<string, boolean> {
  const blocked = blockedPurposes(band, notice);
  const next: Record<string, boolean> = {};
  for (const [id, on] of Object.entries(toggles)) if (on && !blocked.has(id)) next[id] = true;
  return next;
}

/** The message key for a refusal of the age gate or the minors rules, or null for any other error. */
export function minorsErrorKey(error: unknown): (typeof MINORS_ERROR_KEYS)[keyof typeof MINORS_ERROR_KEYS] | null {
  if (!(error instanceof ApiError)) return null;
  const code = error.code;
  return code in MINORS_ERROR_KEYS ? MINORS_ERROR_KEYS[code as keyof typeof MINORS_ERROR_KEYS] : null;
}
