import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_MAP } from './data-map.js';

/** The compliance console's names for the retention categories (web/src/i18n, compliance.dataMap.categories). */
const consoleNames = (file: string) =>
  (JSON.parse(readFileSync(new URL(`../../web/src/i18n/${file}`, import.meta.url), 'utf8')) as { compliance: { dataMap: { categories: Record<string, string> } } }).compliance.dataMap
    .categories;

/** Entries that hold more (or other) records than their retention category, so are named for what they hold. */
const NAMED_FOR_MORE = new Set([
  'cross-border transfers', // also the recipients and their legal bases
  'recommendations', // also the model snapshots and updates
  'chat moderation', // also the ban list and each room's settings
  'anonymous counts', // the anonymous event counts and room counters too, not only the retry keys
  'staff accounts', // the accounts as well as their sign-in sessions
]);

describe('the data map’s names', () => {
  it('are the compliance console’s names wherever an entry is exactly one retention category', () => {
    const zh = consoleNames('zh-CN.json');
    const en = consoleNames('en.json');
    for (const d of DATA_MAP) {
      if (!('retentionCategory' in d.kept) || NAMED_FOR_MORE.has(d.category)) continue;
      const c = d.kept.retentionCategory;
      expect({ zh: d.name.zh, en: d.name.en }, `${d.category} (${c})`).toEqual({ zh: zh[c], en: en[c] });
    }
  });

  it('are unique in each language', () => {
    for (const lang of ['zh', 'en'] as const) expect(new Set(DATA_MAP.map((d) => d.name[lang])).size).toBe(DATA_MAP.length);
  });
});
