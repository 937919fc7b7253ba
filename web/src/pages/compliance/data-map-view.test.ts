import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../../i18n/index.ts';
import { keptFor, regionLine, RETENTION_CATEGORIES, retentionBasis, retentionCategoryLabel } from './data-map-view.ts';

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

/** The schedule as docs/data-map.md lists it; test/e2e/retention.test.ts keeps it in step with the running app. */
const documented = [...readFileSync(new URL('../../../../docs/data-map.md', import.meta.url), 'utf8').matchAll(/^\| `([a-z_]+)` \| (\d+) days? \| (.+) \|$/gm)].map(
  ([, category, days, basis]) => ({ category: category!, keepDays: Number(days), basis: basis! }),
);

describe('data map view', () => {
  it('names the deployment’s region, never its configured id', async () => {
    expect(regionLine('cn-mainland')).toBe('所有数据存放在部署所在地区：中国大陆。');
    await i18n.changeLanguage('en');
    expect(regionLine('cn-mainland')).toBe("Everything is stored in the deployment's region: Mainland China.");
    // A region the pages do not name yet stays as configured.
    expect(regionLine('eu-west')).toBe("Everything is stored in the deployment's region: eu-west.");
  });

  it('names every retention category the app enforces, and its basis in Chinese rather than the server’s English', () => {
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.map((c) => c.category)).toEqual([...RETENTION_CATEGORIES]);
    for (const entry of documented) {
      const basis = retentionBasis(entry);
      expect(basis.lang, entry.category).toBeNull();
      expect(basis.text, entry.category).not.toBe(entry.basis);
      expect(basis.text, entry.category).toMatch(/[\u4e00-\u9fff]/);
      expect(retentionCategoryLabel(entry.category), entry.category).toMatch(/[\u4e00-\u9fff]/);
    }
    const events = documented.find((c) => c.category === 'viewer_events')!;
    expect(retentionBasis(events).text).toBe('在“个性化推荐”同意下记录的个人行为事件；按告知所述保存 90 天');
    expect(retentionCategoryLabel('consent_records')).toBe('同意记录');
  });

  it('says in English exactly what the server says, with the period the job enforces', async () => {
    await i18n.changeLanguage('en');
    for (const entry of documented) expect(retentionBasis(entry), entry.category).toEqual({ text: entry.basis, lang: null });
    expect(retentionBasis({ category: 'assistant_memory', keepDays: 45, basis: '' }).text).toContain('expires 45 days after its last use');
  });

  it('shows a category it does not know as the server sent it, marked as English', () => {
    expect(retentionBasis({ category: 'new_things', keepDays: 3, basis: 'kept briefly' })).toEqual({ text: 'kept briefly', lang: 'en' });
    expect(retentionCategoryLabel('new_things')).toBe('new_things');
  });

  it('writes one day in the singular', async () => {
    expect(keptFor(1096)).toBe('1096 天');
    await i18n.changeLanguage('en');
    expect(keptFor(1)).toBe('1 day');
    expect(keptFor(90)).toBe('90 days');
  });
});
