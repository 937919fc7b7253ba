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
