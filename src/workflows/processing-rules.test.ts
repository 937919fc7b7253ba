import { describe, expect, it } from 'vitest';
import { ok } from '../errors/index.js';
import { noticeFor } from '../modules/consent/index.js';
import { processingRules, type RulesModules } from './processing-rules.js';

const brand = { id: 'b', name: { zh: '品牌', en: 'Brand' }, operator: { zh: '运营者', en: 'Operator' }, contactEmail: 'p@example.com', contactPhone: '400', merchantLicence: 'x' };
const modules = (region: string): RulesModules => ({
  consent: { notice: async (_brandId, locale) => ok(noticeFor(brand, locale)) },
  region,
  retentionSchedule: () => [
    { category: 'staff_sign_ins', keepDays: 1, basis: '' },
    { category: 'viewer_events', keepDays: 90, basis: '' },
  ],
  minorSpending: { perOrderFen: 10_000, monthlyFen: 40_000 },
});
type Rules = { data: { category: string; kept: string }[]; location: string; region: string };
const rules = async (locale: 'zh-CN' | 'en', region = 'cn-mainland'): Promise<Rules> => {
  const r = await processingRules(modules(region), 'b', locale);
  if (!r.ok) throw new Error(r.code);
  return r.value as Rules;
};
const kept = (r: Rules, category: string) => r.data.find((d) => d.category === category)?.kept;

describe('processing rules', () => {
  it('says how long in days, one day in the singular', async () => {
    const en = await rules('en');
    expect(kept(en, 'staff accounts')).toBe('1 day');
    expect(kept(en, 'personal events')).toBe('90 days');
    const zh = await rules('zh-CN');
    expect(kept(zh, 'staff accounts')).toBe('1 天');
    expect(kept(zh, 'personal events')).toBe('90 天');
  });

  it('names the data region in words, and an unnamed region by its label', async () => {
    const zh = await rules('zh-CN');
    expect(zh.location).toContain('部署所在地区（中国大陆）');
    expect(zh.region).toBe('cn-mainland');
    expect((await rules('en')).location).toContain("the deployment's region (mainland China)");
    expect((await rules('en', 'eu-west')).location).toContain('(eu-west)');
  });
});
