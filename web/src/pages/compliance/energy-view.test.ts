import { afterEach, describe, expect, it } from 'vitest';
import { DATA_CENTRE_HUBS, gridFactor, HUB_FACTOR_YEAR } from '../../../../src/modules/energy/carbon.ts';
import { i18n } from '../../i18n/index.ts';
import type { EnergyReport } from '../../ui/energy.ts';
import { reportNotes, regionsFactorYearNote } from './energy-view.ts';

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

const report: Pick<EnergyReport, 'notes' | 'noteCodes'> = {
  notes: [
    'Location-based: green-electricity certificates, power purchase agreements and offsets never reduce these figures (SCI); they may be noted beside them.',
    'RAPL was readable for 1 of 2 samples; the model is used for all of them so the period is measured one way.',
    'RAPL counters are unreadable here, so the model applies: no powercap tree at /sys/x.',
    'Something the pages do not know yet.',
  ],
  noteCodes: [
    { code: 'location-based', values: {} },
    { code: 'rapl-partial', values: { readable: 1, samples: 2 } },
    { code: 'rapl-unreadable', values: { reason: 'no powercap tree at /sys/x' } },
    { code: 'brand-new' as never, values: {} },
  ],
};

describe('energy view', () => {
  const page = (text: string, code: string) => ({ text, lang: null, code, parts: [{ text, lang: null }] });

  it('says the report’s notes in Chinese on the Chinese page, with their figures', () => {
    const notes = reportNotes(report);
    expect(notes[0]).toEqual(page('采用基于位置的方法：绿色电力证书、购电协议和碳抵消均不抵减这些数值（SCI），只可另行注明。', 'location-based'));
    expect(notes[1]).toEqual(page('2 个样本中只有 1 个读到了 RAPL；为使整个期间按同一种方法计量，全部样本都采用模型估算。', 'rapl-partial'));
    // The system's reason stays in English inside the Chinese note, as its own piece marked English.
    expect(notes[2]).toEqual({
      text: '此处无法读取 RAPL 计数器，因此采用模型估算。原因：no powercap tree at /sys/x',
      lang: null,
      code: 'rapl-unreadable',
      parts: [
        { text: '此处无法读取 RAPL 计数器，因此采用模型估算。原因：', lang: null },
        { text: 'no powercap tree at /sys/x', lang: 'en' },
      ],
    });
    // An unknown code: the server's English, marked as English.
    expect(notes[3]).toEqual({ text: 'Something the pages do not know yet.', lang: 'en', code: 'brand-new', parts: [{ text: 'Something the pages do not know yet.', lang: null }] });
  });

  it('says them in English as the server does', async () => {
    await i18n.changeLanguage('en');
    const notes = reportNotes(report);
    expect(notes.slice(0, 3).map((n) => ({ text: n.text, lang: n.lang }))).toEqual(report.notes.slice(0, 3).map((text) => ({ text, lang: null })));
    expect(notes[2]!.parts).toEqual([
      { text: 'RAPL counters are unreadable here, so the model applies: ', lang: null },
      { text: 'no powercap tree at /sys/x', lang: 'en' },
      { text: '.', lang: null },
    ]);
  });

  it('falls back to the English notes when the codes do not line up with them', () => {
    expect(reportNotes({ notes: ['a', 'b'], noteCodes: [{ code: 'no-samples', values: {} }] })).toEqual([
      { text: 'a', lang: 'en', code: null, parts: [{ text: 'a', lang: null }] },
      { text: 'b', lang: 'en', code: null, parts: [{ text: 'b', lang: null }] },
    ]);
  });

  it('shows the English notes of a report from an older node, which sends no codes', () => {
    // A rolling deploy: a node without note codes answers. JSON has no `noteCodes` at all.
    const older = JSON.parse(JSON.stringify({ notes: report.notes })) as EnergyReport;
    expect(reportNotes(older).map((n) => [n.text, n.lang, n.code])).toEqual(report.notes.map((text) => [text, 'en', null]));
  });

  it('gives the factor years the ranking really uses: the sites’ shared year, and this deployment’s own', async () => {
    // As the server ranks by default: the hubs at their pinned year, this deployment (cn-national) at its latest.
    const own = gridFactor('cn-national');
    expect(own.year).not.toBe(HUB_FACTOR_YEAR);
    const ranking = [
      ...DATA_CENTRE_HUBS.map((h) => ({ id: h.id, current: false, factorYear: h.factor.year })),
      { id: 'cn-national', current: true, factorYear: own.year },
    ];
    const note = regionsFactorYearNote(ranking, 'cn-national')!;
    expect(note).toContain(`${HUB_FACTOR_YEAR} 年`);
    expect(note).toContain(`（${own.year} 年）`);
    expect(note).not.toContain('同一年份');
    await i18n.changeLanguage('en');
    expect(regionsFactorYearNote(ranking, 'cn-national')).toBe(
      `The candidate sites use ${HUB_FACTOR_YEAR} grid factors (the latest year with provincial figures), so they compare like with like; this deployment's row uses its configured factor (${own.year}).`,
    );
    // A deployment at a hub (its own row at the hubs' year): one year for all.
    expect(regionsFactorYearNote(ranking.slice(0, -1).map((r, i) => ({ ...r, current: i === 0 })), null)).toBe(`All sites use ${HUB_FACTOR_YEAR} grid factors, so they compare like with like.`);
    // An older answer without `current`: matched by id.
    expect(regionsFactorYearNote([{ id: 'a', factorYear: 2022 }, { id: 'b', factorYear: 2022 }, { id: 'mine', factorYear: 2023 }] as never, 'mine')).toContain('(2023)');
    expect(regionsFactorYearNote([{ id: 'a', current: false, factorYear: 2021 }, { id: 'b', current: false, factorYear: 2022 }], null)).toBe(
      "The sites' grid factors are not all of the same year: each row gives its year.",
    );
    expect(regionsFactorYearNote([], null)).toBeNull();
  });
});
