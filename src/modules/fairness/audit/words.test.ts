import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVICE_CLASSES } from '../../../shared/device-class.js';
import { priceBandOf } from '../../recommender/index.js';
import { PRICE_BANDS } from '../../recommender/model/index.js';
import { CHILD_AGE_BANDS, CITY_TIERS } from '../../viewer-profile/index.js';
import { GROUP_VALUE_WORDS } from './contract.js';
import { groupWords } from './words.js';

const pageWords = (file: string) => (JSON.parse(readFileSync(new URL(`../../../../web/src/i18n/${file}`, import.meta.url), 'utf8')) as { fairness: { groupValues: Record<string, Record<string, string>> } }).fairness.groupValues;

describe('the words for fairness groups', () => {
  it('name every value a segment or a price band can take, and nothing else', () => {
    const keys = (d: keyof typeof GROUP_VALUE_WORDS) => Object.keys(GROUP_VALUE_WORDS[d]).sort();
    expect(keys('childAgeBand')).toEqual([...CHILD_AGE_BANDS].sort());
    expect(keys('cityTier')).toEqual([...CITY_TIERS].sort());
    expect(keys('device')).toEqual([...DEVICE_CLASSES].sort());
    expect(keys('visitor')).toEqual(['new', 'returning']);
    expect(keys('priceBand')).toEqual([...PRICE_BANDS].sort());
  });

  it('state the price bands’ bounds as the recommender draws them', () => {
    expect([priceBandOf(9_999), priceBandOf(10_000), priceBandOf(39_999), priceBandOf(40_000)]).toEqual(['low', 'mid', 'mid', 'high']);
    expect(GROUP_VALUE_WORDS.priceBand.low!.zh).toContain('低于 ¥100');
    expect(GROUP_VALUE_WORDS.priceBand.mid!.en).toBe('mid (¥100 to under ¥400)');
    expect(GROUP_VALUE_WORDS.priceBand.high!.zh).toContain('¥400 及以上');
  });

  it('are the words the consoles show (web i18n), in both languages', () => {
    const zh = pageWords('zh-CN.json');
    const en = pageWords('en.json');
    for (const [dimension, values] of Object.entries(GROUP_VALUE_WORDS)) {
      for (const [value, words] of Object.entries(values)) {
        expect(zh[dimension]?.[value], `${dimension}.${value}`).toBe(words.zh);
        expect(en[dimension]?.[value], `${dimension}.${value}`).toBe(words.en);
      }
      expect(Object.keys(zh[dimension]!).sort()).toEqual(Object.keys(values).sort());
      expect(Object.keys(en[dimension]!).sort()).toEqual(Object.keys(values).sort());
    }
  });

  it('name a known category, and keep a seller or an unknown value as it is', () => {
    expect(groupWords('category', 'stroller')).toEqual({ zh: '婴儿推车', en: 'strollers' });
    expect(groupWords('category', 'kites')).toEqual({ zh: 'kites', en: 'kites' });
    expect(groupWords('seller', '星星母婴')).toEqual({ zh: '星星母婴', en: '星星母婴' });
    expect(groupWords('cityTier', 'tier2')).toEqual({ zh: '二线城市', en: 'tier-2 city' });
    expect(groupWords('cityTier', 'toString')).toEqual({ zh: 'toString', en: 'toString' });
  });
});
