import { describe, expect, it } from 'vitest';
import { normalise, stem, tokenize } from './index.js';

describe('tokenize', () => {
  it('segments Chinese words and adds character bigrams without repeating two-character words', () => {
    const terms = tokenize('婴儿超薄透气纸尿裤');
    expect(terms).toEqual(expect.arrayContaining(['婴儿', '纸尿', '尿裤', '超薄', '透气']));
    expect(terms.filter((t) => t === '婴儿')).toHaveLength(1);
  });

  it('drops stop words and the bigrams that touch them, keeps intent words', () => {
    expect(tokenize('这个多少钱？')).toEqual(['多少钱', '多少', '少钱']);
    expect(tokenize('还有货吗')).toEqual(expect.arrayContaining(['还有', '有货']));
    expect(tokenize('还有货吗')).not.toContain('吗');
    expect(tokenize('Is the price of it in stock?')).toEqual(['price', 'stock']);
  });

  it('folds full-width characters and case (NFKC)', () => {
    expect(normalise('ＰＰＳＵ奶瓶２４０ｍｌ？')).toBe('ppsu奶瓶240ml?');
    expect(tokenize('ＰＰＳＵ奶瓶２４０ｍｌ')).toEqual(tokenize('PPSU 奶瓶 240ml'));
  });

  it('keeps numbers and gives number + unit one canonical term in both languages', () => {
    expect(tokenize('6个月的宝宝')).toContain('6个月');
    expect(tokenize('for 6 months')).toContain('6个月');
    expect(tokenize('200ml')).toEqual(expect.arrayContaining(['200', 'ml', '200ml']));
    expect(tokenize('200 毫升')).toContain('200ml');
    expect(tokenize('80抽×6包')).toEqual(expect.arrayContaining(['80抽', '6包']));
    expect(tokenize('1299.00元')).toContain('1299');
  });

  it('analyses mixed Chinese and English text', () => {
    const terms = tokenize('PPSU 宽口径奶瓶 240ml 带手柄, Wide-Neck Bottles');
    expect(terms).toEqual(expect.arrayContaining(['ppsu', '奶瓶', '口径', '240ml', 'wide', 'neck', 'bottle']));
  });

  it('stems English plurals and possessives lightly', () => {
    expect(['diapers', 'nappies', 'boxes', 'glass', 'months', 'wipes'].map(stem)).toEqual(['diaper', 'nappy', 'box', 'glass', 'month', 'wipe']);
    expect(tokenize("Baby's nappies")).toEqual(['baby', 'nappy']);
  });

  it('is deterministic and empty for empty or punctuation-only text', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize('？！…')).toEqual([]);
    expect(tokenize('推车多少钱')).toEqual(tokenize('推车多少钱'));
  });
});
