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
    { category: 'room_events', keepDays: 1, basis: '' },
    { category: 'viewer_events', keepDays: 90, basis: '' },
  ],
  staffSessionHours: 12,
  minorSpending: { perOrderFen: 10_000, monthlyFen: 40_000 },
});
type Rules = { data: { category: string; name: string; kept: string }[]; location: string; region: string };
const rules = async (locale: 'zh-CN' | 'en', region = 'cn-mainland'): Promise<Rules> => {
  const r = await processingRules(modules(region), 'b', locale);
  if (!r.ok) throw new Error(r.code);
  return r.value as Rules;
};
const row = (r: Rules, category: string) => r.data.find((d) => d.category === category);
const kept = (r: Rules, category: string) => row(r, category)?.kept;

describe('processing rules', () => {
  it('says how long in days, one day in the singular', async () => {
    const en = await rules('en');
    expect(kept(en, 'anonymous counts')).toBe('1 day');
    expect(kept(en, 'personal events')).toBe('90 days');
    const zh = await rules('zh-CN');
    expect(kept(zh, 'anonymous counts')).toBe('1 天');
    expect(kept(zh, 'personal events')).toBe('90 天');
  });

  it('names each kind of data in the page’s language, not by its identifier', async () => {
    const zh = await rules('zh-CN');
    expect(row(zh, 'personal events')?.name).toBe('个性化行为事件');
    expect(row(zh, 'staff accounts')?.name).toBe('员工账号与登录会话');
    for (const d of zh.data) expect(d.name, d.category).toMatch(/^[^A-Za-z]*\p{Script=Han}[^A-Za-z]*$/u);
    const en = await rules('en');
    expect(row(en, 'personal events')?.name).toBe('Personal behaviour events');
    for (const d of en.data) expect(d.name, d.category).toMatch(/^[A-Z][a-z]/);
    for (const r of [zh, en]) expect(new Set(r.data.map((d) => d.name)).size).toBe(r.data.length);
    expect(en.data.map((d) => d.category)).toEqual(zh.data.map((d) => d.category));
  });

  it('says the staff accounts stay and their sign-in sessions go, each with its own period', async () => {
    // Sessions last staffSessionHours and are deleted by the retention job a day (staff_sign_ins) after they expire.
    expect(kept(await rules('zh-CN'), 'staff accounts')).toBe('账号：业务需要期间（不会自动删除）；登录会话：退出登录时删除，否则 12 小时后失效，失效 1 天后删除');
    expect(kept(await rules('en'), 'staff accounts')).toBe(
      'Accounts: while the business needs them (never deleted automatically); sign-in sessions: deleted at sign-out, or expire after 12 hours and are deleted 1 day later',
    );
    const oneHour = await processingRules({ ...modules('cn-mainland'), staffSessionHours: 1, retentionSchedule: () => [{ category: 'staff_sign_ins', keepDays: 2, basis: '' }] }, 'b', 'en');
    if (!oneHour.ok) throw new Error(oneHour.code);
    expect(kept(oneHour.value as Rules, 'staff accounts')).toContain('expire after 1 hour and are deleted 2 days later');
  });

  it('names the data region in words, and an unnamed region by its label', async () => {
    const zh = await rules('zh-CN');
    expect(zh.location).toContain('部署所在地区（中国大陆）');
    expect(zh.region).toBe('cn-mainland');
    expect((await rules('en')).location).toContain("the deployment's region (mainland China)");
    expect((await rules('en', 'eu-west')).location).toContain('(eu-west)');
  });
});
