import { describe, expect, it } from 'vitest';
import type { FlashSaleView } from '../../ui/contract.ts';
import { soldOutToAnnounce, SOLD_OUT_NOTICES_SHOWN, withNotices } from './flash-notices.ts';

const sale = (id: string, endReason: FlashSaleView['endReason'], productId = `p-${id}`): FlashSaleView => ({
  id,
  productId,
  priceFen: 9900,
  previousPriceFen: 12900,
  quantity: 5,
  remaining: 0,
  startsAt: 1,
  endsAt: 2,
  status: 'ended',
  endReason,
});

describe('soldOutToAnnounce', () => {
  it('announces sold-out sales only, never one ended on time, early or with the show', () => {
    const ended = [sale('a', 'expired'), sale('b', 'sold_out'), sale('c', 'ended_by_host'), sale('d', 'session_ended'), sale('e', 'sold_out')];
    expect(soldOutToAnnounce(ended, new Set())).toEqual([
      { flashSaleId: 'b', productId: 'p-b' },
      { flashSaleId: 'e', productId: 'p-e' },
    ]);
  });

  it('announces each sale once, even when the socket repeats it', () => {
    const ended = [sale('b', 'sold_out'), sale('b', 'sold_out'), sale('f', 'sold_out')];
    expect(soldOutToAnnounce(ended, new Set(['f']))).toEqual([{ flashSaleId: 'b', productId: 'p-b' }]);
    expect(soldOutToAnnounce(ended, new Set(['b', 'f']))).toEqual([]);
  });
});

describe('withNotices', () => {
  it('keeps the newest few', () => {
    const notices = Array.from({ length: 5 }, (_, i) => ({ flashSaleId: `s${i}`, productId: `p${i}` }));
    const shown = withNotices(notices.slice(0, 2), notices.slice(2));
    expect(shown).toHaveLength(SOLD_OUT_NOTICES_SHOWN);
    expect(shown.map((n) => n.flashSaleId)).toEqual(['s2', 's3', 's4']);
  });
});
