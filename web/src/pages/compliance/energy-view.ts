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

/** A piece of a note: in the note's own language (lang null), or the system's words in English inside a translated note ('en'). */
export interface NotePart {
  text: string;
  lang: 'en' | null;
}

export interface ReportNote {
  /** The whole note. */
  text: string;
  /** Null when the note is in the page's language; 'en' when it is the server's English sentence. */
  lang: 'en' | null;
  /** The note's code, when the report's codes line up with its notes; null otherwise. */
  code: string | null;
  /** The note to render, piece by piece: a reason the system gives stays in English, marked as English. */
  parts: NotePart[];
}

/** The values a note carries in the system's own words (English), never translated. */
const SYSTEM_WORDS = ['reason'] as const;
const MARK = '\u0000';

/**
 * A translated note in pieces: each of the system's own words (SYSTEM_WORDS) is put in as a marker,
 * then split out as its own English piece, so the page can mark it `lang="en"` inside the Chinese.
 */
function noteParts(code: (typeof ENERGY_NOTE_CODES)[number], values: Readonly<Record<string, string | number>>): NotePart[] {
  const marked: Record<string, string | number> = { ...values };
  for (const key of SYSTEM_WORDS) if (Object.hasOwn(values, key)) marked[key] = `${MARK}${key}${MARK}`;
  const pieces = t(`energy.reportNotes.${code}`, marked).split(MARK);
  // Odd pieces are the markers' keys: the value, in English; even pieces the page's words.
  return pieces
    .map((piece, i): NotePart => (i % 2 === 1 ? { text: String(values[piece] ?? ''), lang: 'en' } : { text: piece, lang: null }))
    .filter((part) => part.text !== '');
}

/**
 * The report's notes in the page's language. A note whose code the pages do not know, or a report
 * without codes (an older node, during a rolling deploy), is shown in the server's English, marked as
 * English.
 */
export function reportNotes(report: Pick<EnergyReport, 'notes'> & { noteCodes?: EnergyReport['noteCodes'] | undefined }): ReportNote[] {
  const codes = report.noteCodes ?? [];
  return report.notes.map((english, i) => {
    const note = codes.length === report.notes.length ? codes[i] : undefined;
    if (note && isNoteCode(note.code)) {
      const parts = noteParts(note.code, note.values);
      return { text: parts.map((part) => part.text).join(''), lang: null, code: note.code, parts };
    }
    return { text: english, lang: 'en', code: note?.code ?? null, parts: [{ text: english, lang: null }] };
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
