/**
 * The answer deadline the product states is the one this module enforces: a ticket is due
 * `RIGHTS_DEFAULTS.dueDays` calendar days after filing (service.ts), so the privacy notice, the
 * processing rules and the privacy centre say "within N days" — never working days — in both languages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Locale } from '../../context/index.js';
import { ok } from '../../errors/index.js';
import { loadDemoCatalogue } from '../catalogue/index.js';
import { noticeFor, type ConsentService } from '../consent/index.js';
import { processingRules } from '../../workflows/processing-rules.js';
import { RIGHTS_DEFAULTS } from './service.js';

const { brand } = loadDemoCatalogue();

const consent = { notice: async (_brandId: string, locale: Locale) => ok(noticeFor(brand, locale)) } as unknown as ConsentService;

const pageTexts = (file: string) => (JSON.parse(readFileSync(new URL(`../../../web/src/i18n/${file}`, import.meta.url), 'utf8')) as { privacy: { tickets: { intro: string } } }).privacy.tickets.intro;

/** Every statement of the answer deadline in a text: "15 天", "15 个工作日", "15 days", "15 working days". */
const deadlines = (text: string): string[] => [...text.matchAll(/\d+\s*(?:个工作日|个?自然日|天|(?:working |business |calendar )?days?)/g)].map((m) => m[0]);

describe('the rights-request deadline in words', () => {
  it('says the same number of calendar days in the notice, the processing rules and the privacy centre, in both languages', async () => {
    const expected: Record<Locale, string> = { 'zh-CN': `${RIGHTS_DEFAULTS.dueDays} 天`, en: `${RIGHTS_DEFAULTS.dueDays} days` };
    for (const locale of ['zh-CN', 'en'] as const) {
      // The notice's paragraph on rights (its other paragraphs give retention periods in days).
      const notice = noticeFor(brand, locale)
        .text.split('\n\n')
        .filter((p) => /答复|We answer/.test(p))
        .join('\n\n');
      const rules = await processingRules({ consent, region: 'cn-mainland', retentionSchedule: () => [], staffSessionHours: 12, minorSpending: { perOrderFen: 0, monthlyFen: 0 } }, brand.id, locale);
      if (!rules.ok) throw new Error('no processing rules');
      const rightsRule = (rules.value as { rights: string }).rights;
      const page = pageTexts(locale === 'zh-CN' ? 'zh-CN.json' : 'en.json');
      for (const [where, text] of [['notice', notice], ['processing rules', rightsRule], ['privacy centre', page]] as const) {
        expect(deadlines(text), `${where} (${locale})`).toEqual([expected[locale]]);
        expect(text, `${where} (${locale})`).not.toMatch(/工作日|working day|business day/i);
      }
    }
  });
});
