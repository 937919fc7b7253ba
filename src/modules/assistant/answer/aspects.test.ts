import { describe, expect, it } from 'vitest';
import { childAgeMonths, detectAspects, topicsOf, triggerText } from './aspects.js';

describe('detectAspects', () => {
  it.each([
    ['这个多少钱', ['price']],
    ['hw much is it', ['price']],
    ['还有货吗', ['stock']],
    ['any left?', ['stock']],
    ['几个月能用', ['age']],
    ['弹力背巾适合多大宝宝', ['age']],
    ['浴盆打开有多大', ['size']],
    ['这个推车多重', ['weight']],
    ['how tall is the teddy', ['height']],
    ['储奶袋一个能装多少毫升', ['capacity']],
    ['how many pieces in the kit', ['count']],
    ['how many are left', ['stock']],
    ['含酒精吗', ['ingredients']],
    ['是什么材质的', ['material']],
    ['有3c认证吗', ['certification']],
    ['where is it made', ['origin']],
    ['what batteries does it take', ['battery']],
    ['有几种颜色', ['colour']],
    ['介绍一下', ['overview']],
    ['多久发货', ['shipping']],
    ['能开发票吗', ['invoice']],
    ['划线价是真的吗', ['price', 'pricing_policy']],
  ] as const)('%s → %s', (q, want) => {
    expect(detectAspects(q)).toEqual(want);
  });

  it('uses retrieval’s typo-tolerant intents only when no trigger matched', () => {
    expect(detectAspects('多少前', [{ intent: 'price', score: 0.8, phrases: ['多少钱'] }])).toEqual(['price']);
    // "socks" is one edit from "stock", but the question asks for the material.
    expect(detectAspects('what r the socks made of', [{ intent: 'stock', score: 0.8, phrases: ['stock'] }])).toEqual(['material']);
  });

  it('tells a product word from a question about the material', () => {
    expect(detectAspects('is it 100% cotton')).toContain('material');
    expect(detectAspects('cotton tissues price')).toEqual(['price']);
  });

  it('keeps the words that asked apart from content words', () => {
    expect(triggerText('手口湿巾成分是什么 含酒精吗', ['ingredients'])).toBe('成分');
  });

  it('labels FAQ questions with their shop topics', () => {
    expect(topicsOf('多久发货？配送到哪些地区？')).toEqual(['shipping']);
    expect(topicsOf('Do you offer 7-day no-reason returns?')).toEqual(['returns']);
  });
});

describe('childAgeMonths', () => {
  it.each([
    ['我家宝宝两岁了还能用吗', 24],
    ['宝宝8个月了', 8],
    ['孩子三岁半能坐吗', 36],
    ['is it ok for a 8 month old', 8],
    ['my son is 4, can he use it', 48],
    ['a 2-year-old', 24],
  ] as const)('%s → %d', (q, months) => {
    expect(childAgeMonths(q)).toBe(months);
  });

  it('ignores ages not tied to a child', () => {
    expect(childAgeMonths('为啥要6个月以上才能用')).toBeUndefined();
    expect(childAgeMonths('my baby is 10kg')).toBeUndefined();
  });
});
