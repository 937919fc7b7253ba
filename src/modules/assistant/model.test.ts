import { describe, expect, it } from 'vitest';
import { addsNoNumbers, keepsTheFacts } from './model.js';

const SALE_ZH = '【婴儿推车】秒杀价 ¥999（秒杀前价格 ¥1299），限量 5 件，活动时间 20:30–20:35（北京时间）；截至此刻库存 12 件。';
const SALE_EN = 'Stroller: flash price ¥999 (price before the sale ¥1299), limited to 5, sale window 20:30–20:35 China time; 12 in stock as of now.';

describe('keepsTheFacts: a rewording is used only if it states the same facts', () => {
  it('accepts a friendlier wording of every fact, in either language', () => {
    expect(keepsTheFacts(SALE_ZH, `亲～${SALE_ZH}`)).toBe(true);
    expect(keepsTheFacts(SALE_ZH, '亲，这款婴儿推车现在秒杀价 ¥999，秒杀前价格是 ¥1299，限量 5 件，活动时间 20:30–20:35（北京时间），截至此刻库存 12 件哦～')).toBe(true);
    expect(keepsTheFacts(SALE_EN, 'Good news: the stroller has a flash price of ¥999 (¥1299 before the sale), limited to 5, from 20:30 to 20:35 China time. 12 in stock as of now.')).toBe(true);
  });

  it('refuses one that adds a number', () => {
    expect(addsNoNumbers(SALE_ZH, `${SALE_ZH}再送 1 个收纳袋`)).toBe(false);
    expect(keepsTheFacts(SALE_ZH, `${SALE_ZH}再送 1 个收纳袋`)).toBe(false);
  });

  it('refuses one that drops a fact: the price before the sale, the limit, the window or the stock', () => {
    expect(keepsTheFacts(SALE_ZH, '亲，婴儿推车秒杀价 ¥999，限量 5 件，活动时间 20:30–20:35（北京时间），截至此刻库存 12 件！')).toBe(false);
    expect(keepsTheFacts(SALE_ZH, '亲，婴儿推车秒杀价 ¥999（秒杀前价格 ¥1299），截至此刻库存 12 件，快抢！')).toBe(false);
    expect(keepsTheFacts(SALE_EN, 'The stroller is ¥999 right now (was ¥1299), limited to 5, 12 in stock as of now.')).toBe(false);
  });

  it('refuses one that drops a qualifier: as of now, China time, that the price is a flash price', () => {
    expect(keepsTheFacts(SALE_ZH, SALE_ZH.replace('截至此刻库存', '库存'))).toBe(false);
    expect(keepsTheFacts(SALE_ZH, SALE_ZH.replace('（北京时间）', ''))).toBe(false);
    expect(keepsTheFacts(SALE_EN, SALE_EN.replace('flash price', 'price'))).toBe(false);
    expect(keepsTheFacts(SALE_EN, SALE_EN.replace(' as of now', ''))).toBe(false);
    // A qualifier the grounded answer never had is not asked for.
    expect(keepsTheFacts('现价 ¥1299，划线价 ¥1599。', '亲，现在只要 ¥1299，划线价 ¥1599 哦')).toBe(true);
  });

  it('refuses one that drops "sold out"', () => {
    expect(keepsTheFacts('【婴儿推车】目前已售罄。', '亲，婴儿推车暂时没有了')).toBe(false);
    expect(keepsTheFacts('Stroller: sold out right now.', 'The stroller is SOLD OUT right now, sorry!')).toBe(true);
  });
});
