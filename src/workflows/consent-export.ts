/**
 * The consent ledger for compliance officers: a summary (aggregates only) and a full export. The
 * export is a staff read of pseudonymous personal data, so it appends to the access log in the same
 * transaction as the read: no export without its log entry, no log entry for an export that failed.
 */
import type { RequestContext } from '../context/index.js';
import type { AccessLogService } from '../modules/access-log/index.js';
import { KyselyConsentLedger, KyselyNoticeArchive, PURPOSES, type ArchivedNotice, type ConsentRecord, type Purpose } from '../modules/consent/index.js';
import type { Storage } from '../storage/index.js';

export interface ConsentSummary {
  decisions: number;
  /** Distinct (viewer, brand) pairs with a decision. */
  viewers: number;
  /** Among each viewer's latest decision: how many grant each purpose. */
  granted: Record<Purpose, number>;
  byMethod: Record<string, number>;
  byNoticeVersion: Record<string, number>;
}

async function allRecords(ledger: KyselyConsentLedger): Promise<ConsentRecord[]> {
  const out: ConsentRecord[] = [];
  let after: { createdAt: number; id: string } | undefined;
  for (;;) {
    const page = await ledger.page({ limit: 1000, ...(after ? { after } : {}) });
    out.push(...page);
    if (page.length < 1000) return out;
    const last = page[page.length - 1]!;
    after = { createdAt: last.createdAt, id: last.id };
  }
}

export async function consentSummary(storage: Storage): Promise<ConsentSummary> {
  const records = await allRecords(new KyselyConsentLedger(storage.db));
  const latest = new Map<string, ConsentRecord>();
  const byMethod: Record<string, number> = {};
  for (const r of records) {
    latest.set(`${r.subject}|${r.brandId}`, r);
    byMethod[r.method] = (byMethod[r.method] ?? 0) + 1;
  }
  const granted = Object.fromEntries(PURPOSES.map((p) => [p, 0])) as Record<Purpose, number>;
  const byNoticeVersion: Record<string, number> = {};
  for (const r of latest.values()) {
    for (const p of r.granted) granted[p]++;
    byNoticeVersion[r.noticeVersion] = (byNoticeVersion[r.noticeVersion] ?? 0) + 1;
  }
  return { decisions: records.length, viewers: latest.size, granted, byMethod, byNoticeVersion };
}

export const EXPORT_PURPOSES = ['regulator-audit', 'internal-audit', 'rights-request'] as const;

export interface LedgerExport {
  records: ConsentRecord[];
  /**
   * The exact text of every notice the records name, by hash, so the export alone shows what each
   * viewer read (C2). `missingNoticeHashes`: hashes recorded before texts were archived.
   */
  notices: ArchivedNotice[];
  missingNoticeHashes: string[];
}

/** Reads the whole ledger and the texts it names, and logs the access, in one transaction. */
export async function exportConsentLedger(
  ctx: RequestContext,
  modules: { storage: Storage; accessLog: AccessLogService },
  purpose: (typeof EXPORT_PURPOSES)[number],
): Promise<LedgerExport> {
  return modules.storage.db.transaction().execute(async (tx) => {
    const records = await allRecords(new KyselyConsentLedger(tx));
    const archive = new KyselyNoticeArchive(tx);
    const notices: ArchivedNotice[] = [];
    const missingNoticeHashes: string[] = [];
    for (const hash of new Set(records.map((r) => r.noticeHash))) {
      const notice = await archive.get(hash);
      if (notice) notices.push(notice);
      else missingNoticeHashes.push(hash);
    }
    await modules.accessLog.record(ctx, { action: 'export', subject: 'consent-ledger:all', purpose }, tx);
    return { records, notices, missingNoticeHashes };
  });
}

export function ledgerCsv(records: readonly ConsentRecord[]): string {
  const cell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const header = ['consentId', 'subject', 'brandId', 'granted', 'refused', 'noticeVersion', 'noticeHash', 'locale', 'method', 'region', 'at'];
  const rows = records.map((r) =>
    [r.id, r.subject, r.brandId, r.granted.join(';'), r.refused.join(';'), r.noticeVersion, r.noticeHash, r.locale, r.method, r.region, new Date(r.createdAt).toISOString()]
      .map(cell)
      .join(','),
  );
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
}
