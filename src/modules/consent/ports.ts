import type { Locale } from '../../context/index.js';
import type { Purpose } from './purposes.js';

export type ConsentMethod = 'accept_all' | 'decline_all' | 'custom' | 'withdraw';

/** One decision, as stored in the append-only ledger (C2, C8). */
export interface ConsentRecord {
  /** Random 128-bit id, the receipt number given to the viewer. */
  id: string;
  /** Keyed pseudonym of the viewer: the raw device id is never stored here. */
  subject: string;
  brandId: string;
  granted: Purpose[];
  refused: Purpose[];
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
  method: ConsentMethod;
  region: string;
  createdAt: number;
}

/** Append-only: there is deliberately no update, and deletion only by the retention schedule. */
export interface ConsentLedger {
  append(record: ConsentRecord): Promise<void>;
  latest(subject: string, brandId: string): Promise<ConsentRecord | undefined>;
  history(subject: string): Promise<ConsentRecord[]>;
  /** Records in (time, id) order, for export; `after` is the last record of the previous page. */
  page(options: { limit: number; after?: { createdAt: number; id: string } }): Promise<ConsentRecord[]>;
  /** Retention only: records older than the cutoff are deleted. Returns how many. */
  purgeBefore(cutoff: number): Promise<number>;
}

/** Which notice a text is: the privacy notice, a guardian's notice (PIPL 31) or a cross-border one (PIPL 39). */
export type NoticeKind = 'consent' | 'guardian' | 'transfer';

/** One exact notice text as shown, as a decision's `noticeHash` names it. */
export interface NoticeText {
  /** SHA-256 (hex) of `text` as UTF-8: the hash every decision made on it stores. */
  hash: string;
  kind: NoticeKind;
  version: string;
  locale: Locale;
  /** What the text was written for: the brand (privacy and guardian notices) or the destination (cross-border). */
  scope: string;
  text: string;
}

/** An archived text with when it was first and last in use (rendered for a viewer or decided on). */
export interface ArchivedNotice extends NoticeText {
  firstUsedAt: number;
  lastUsedAt: number;
}

/**
 * Every notice text a decision was made on, so that the ledger's hash can always be shown as the
 * words the viewer read (C2, C8), after the wording, the version or the brand's details changed.
 * Holds no personal data. Texts go only when no decision made on them can still be kept.
 */
export interface NoticeArchive {
  /** Keeps the text once per hash and moves its last use forward (never back). Refuses a hash that is not the text's. */
  keep(notice: NoticeText, at: number): Promise<void>;
  /** Moves an archived text's last use forward (a new record on an earlier text, e.g. a withdrawal); false when it is not archived. */
  touch(hash: string, at: number): Promise<boolean>;
  get(hash: string): Promise<ArchivedNotice | undefined>;
  /** Every archived text without its words, most recently used first. */
  list(): Promise<Omit<ArchivedNotice, 'text'>[]>;
  /**
   * Retention only: texts last used before the cutoff are deleted, except those whose hash a kept
   * record still names (`stillNamed`: every hash in the consent, guardian and cross-border ledgers).
   * Returns how many.
   */
  purgeUnusedBefore(cutoff: number, stillNamed: ReadonlySet<string>): Promise<number>;
}
