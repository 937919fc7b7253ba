/**
 * The host console's notice that a flash sale sold out: its card leaves the "running" list, so the
 * host is told why (a polite status, not an alert). Sales that ended for another reason (on time,
 * ended early, the show ended) are not announced here: the host did it, or the countdown said so.
 */
import type { FlashSaleView } from '../../ui/contract.ts';

/** How long a sold-out notice stays on screen. */
export const SOLD_OUT_NOTICE_MS = 20_000;
/** At most this many notices at once (the newest). */
export const SOLD_OUT_NOTICES_SHOWN = 3;

export interface SoldOutNotice {
  flashSaleId: string;
  productId: string;
}

/** The sales in `ended` that sold out and are not in `announced` yet, oldest first, each once. */
export function soldOutToAnnounce(ended: readonly FlashSaleView[], announced: ReadonlySet<string>): SoldOutNotice[] {
  const fresh: SoldOutNotice[] = [];
  const seen = new Set(announced);
  for (const sale of ended) {
    if (sale.endReason !== 'sold_out' || seen.has(sale.id)) continue;
    seen.add(sale.id);
    fresh.push({ flashSaleId: sale.id, productId: sale.productId });
  }
  return fresh;
}

/** The notices shown after `fresh` arrive: the newest SOLD_OUT_NOTICES_SHOWN. */
export function withNotices(shown: readonly SoldOutNotice[], fresh: readonly SoldOutNotice[]): SoldOutNotice[] {
  return [...shown, ...fresh].slice(-SOLD_OUT_NOTICES_SHOWN);
}
