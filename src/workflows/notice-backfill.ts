/**
 * Archives, where it can, the text behind a recorded notice hash that has none: a record made before
 * texts were archived, or by a node still running older code during an upgrade. Each such record's
 * notice is rendered again from its brand or destination as they are now, and kept only if it
 * renders to exactly the recorded hash; a hash that no longer renders (the wording, the version or
 * the brand's details changed since) stays without words, and the privacy centre says so.
 */
import type { CatalogueService } from '../modules/catalogue/index.js';
import { type ConsentService, type NoticeKeeper, type NoticeText } from '../modules/consent/index.js';
import type { TransferService } from '../modules/transfer/index.js';
import { guardianNoticeFor } from '../modules/viewer-profile/index.js';
import type { Storage } from '../storage/index.js';
import type { Locale } from '../context/index.js';

export interface NoticeBackfill {
  /** Hashes whose text was archived now. */
  archived: number;
  /** Hashes still without an archived text. */
  missing: number;
}

const localeOf = (value: string): Locale => (value === 'en' ? 'en' : 'zh-CN');

export async function backfillNoticeTexts(m: {
  storage: Storage;
  consent: ConsentService;
  catalogue: Pick<CatalogueService, 'getBrand'>;
  transfer: Pick<TransferService, 'notice'>;
  notices: NoticeKeeper;
}): Promise<NoticeBackfill> {
  const db = m.storage.db;
  const archived = db.selectFrom('notice_texts').select('hash');
  const [consents, guardians, transfers] = await Promise.all([
    db.selectFrom('consent_records').select(['notice_hash', 'brand_id', 'locale']).distinct().where('notice_hash', 'not in', archived).execute(),
    db.selectFrom('guardian_consents').select(['notice_hash', 'brand_id', 'locale']).distinct().where('notice_hash', 'not in', archived).execute(),
    db.selectFrom('transfer_consents').select(['notice_hash', 'destination_id', 'locale']).distinct().where('notice_hash', 'not in', archived).execute(),
  ]);
  const candidates: Array<{ hash: string; render: () => Promise<NoticeText | undefined> }> = [
    ...consents.map((r) => ({
      hash: r.notice_hash,
      render: async () => {
        const n = await m.consent.notice(r.brand_id, localeOf(r.locale));
        return n.ok ? { hash: n.value.hash, kind: 'consent' as const, version: n.value.version, locale: n.value.locale, scope: r.brand_id, text: n.value.text } : undefined;
      },
    })),
    ...guardians.map((r) => ({
      hash: r.notice_hash,
      render: async () => {
        const brand = await m.catalogue.getBrand(r.brand_id);
        if (!brand) return undefined;
        const n = guardianNoticeFor(brand, localeOf(r.locale));
        return { hash: n.hash, kind: 'guardian' as const, version: n.version, locale: n.locale, scope: r.brand_id, text: n.text };
      },
    })),
    ...transfers.map((r) => ({
      hash: r.notice_hash,
      render: async () => {
        const n = await m.transfer.notice(r.destination_id, localeOf(r.locale));
        return n.ok ? { hash: n.value.hash, kind: 'transfer' as const, version: n.value.version, locale: localeOf(r.locale), scope: r.destination_id, text: n.value.text } : undefined;
      },
    })),
  ];
  const done = new Set<string>();
  const all = new Set(candidates.map((c) => c.hash));
  for (const c of candidates) {
    if (done.has(c.hash)) continue;
    const notice = await c.render();
    if (notice?.hash !== c.hash) continue;
    await m.notices.keepNow(notice);
    done.add(c.hash);
  }
  return { archived: done.size, missing: all.size - done.size };
}
