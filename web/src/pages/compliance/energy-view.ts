/** The energy section's words for what the server reports as codes and figures (no DOM, unit-tested). */
import { t } from '../../i18n/index.ts';
import type { EnergyNoteCode, EnergyReport, RegionRankingRow } from '../../ui/energy.ts';

/** The note codes the pages can say (src/modules/energy/contract.ts). */
export const ENERGY_NOTE_CODES = [
  'location-based',
  'no-samples',
  'rapl-partial',
  'model-estimate',
  'rapl-off',
  'rapl-unreadable',
  'rapl-not-every-sample',
  'embodied-left-out',
  'storage-scope',
] as const satisfies readonly EnergyNoteCode[];

const isNoteCode = (code: string): code is (typeof ENERGY_NOTE_CODES)[number] => (ENERGY_NOTE_CODES as readonly string[]).includes(code);

/**
 * The report's notes in the page's language. A note whose code the pages do not know (or a report
 * without codes) is shown in the server's English, marked as English.
 */
export function reportNotes(report: Pick<EnergyReport, 'notes' | 'noteCodes'>): { text: string; lang: 'en' | null }[] {
  const codes = report.noteCodes ?? [];
  return report.notes.map((english, i) => {
    const note = codes.length === report.notes.length ? codes[i] : undefined;
    return note && isNoteCode(note.code) ? { text: t(`energy.reportNotes.${note.code}`, note.values), lang: null } : { text: english, lang: 'en' };
  });
}

/** Whether a ranked site is this deployment's own (the server says so; older answers are matched by id). */
export const isCurrentSite = (row: Pick<RegionRankingRow, 'id' | 'current'>, current: string | null): boolean => row.current ?? (current !== null && row.id === current);

/**
 * Which years the ranking's grid factors are from, as the rows say: the candidate sites share one
 * year (the latest with provincial figures) while this deployment's own row uses the factor it is
 * configured with, which may be newer. Null when there is nothing ranked.
 */
export function regionsFactorYearNote(ranking: readonly Pick<RegionRankingRow, 'id' | 'current' | 'factorYear'>[], current: string | null): string | null {
  if (ranking.length === 0) return null;
  const years = new Set(ranking.map((row) => row.factorYear));
  if (years.size === 1) return t('energy.regions.factorYearSame', { year: ranking[0]!.factorYear });
  const own = ranking.find((row) => isCurrentSite(row, current));
  const candidates = new Set(ranking.filter((row) => row !== own).map((row) => row.factorYear));
  if (own && candidates.size === 1) return t('energy.regions.factorYearMixed', { hubYear: [...candidates][0]!, currentYear: own.factorYear });
  return t('energy.regions.factorYearEach');
}
