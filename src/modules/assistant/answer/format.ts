/** Formatting of quoted catalogue values: money, age ranges, attribute labels, lists, sentences. */
import type { Bilingual } from '../../catalogue/index.js';
import type { AnswerLocale } from './types.js';

export const inLocale = (text: Bilingual, locale: AnswerLocale): string => (locale === 'en' ? text.en : text.zh);

/**
 * fen → "¥1299", "¥39.90": whole yuan without decimals (how prices are said in a live room),
 * otherwise two. No thousands separators in either language, so the figure reads the same as the
 * catalogue's and as any check that looks for it.
 */
export function formatMoney(fen: number): string {
  const yuan = Math.floor(fen / 100);
  const cents = fen % 100;
  return cents === 0 ? `¥${yuan}` : `¥${yuan}.${String(cents).padStart(2, '0')}`;
}

/** An instant as a clock time in China (UTC+8, no daylight saving): "20:35". */
export function formatChinaTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(11, 16);
}

/** "6–36 个月（0.5–3 岁）" — months as the catalogue stores them, with years when both ends are whole years. */
export function formatAgeRange(minMonths: number, maxMonths: number, locale: AnswerLocale): string {
  const years = minMonths % 12 === 0 && maxMonths % 12 === 0 && maxMonths >= 24 ? [minMonths / 12, maxMonths / 12] : undefined;
  if (locale === 'en') {
    const range = `${minMonths}–${maxMonths} months`;
    return years ? `${range} (${years[0]}–${years[1]} years)` : range;
  }
  const range = `${minMonths}–${maxMonths} 个月`;
  return years ? `${range}（${years[0]}–${years[1]} 岁）` : range;
}

/** Labels of the attribute keys the catalogue uses; other keys are spelt out from their camelCase. */
const ATTRIBUTE_LABELS: Readonly<Record<string, Bilingual>> = {
  material: { zh: '材质', en: 'Material' },
  ingredients: { zh: '成分', en: 'Ingredients' },
  weight: { zh: '重量', en: 'Weight' },
  foldedSize: { zh: '折叠尺寸', en: 'Folded size' },
  size: { zh: '尺寸/尺码', en: 'Size' },
  suitableWeight: { zh: '适用体重', en: 'Suitable weight' },
  suitableHeight: { zh: '适用身高', en: 'Suitable height' },
  certification: { zh: '认证', en: 'Certification' },
  installation: { zh: '安装方式', en: 'Installation' },
  carryPositions: { zh: '背抱方式', en: 'Carry positions' },
  count: { zh: '数量', en: 'Count' },
  capacity: { zh: '容量/净含量', en: 'Capacity' },
  teatSize: { zh: '奶嘴', en: 'Teat' },
  power: { zh: '功率', en: 'Power' },
  origin: { zh: '产地', en: 'Made in' },
  phLevel: { zh: '酸碱度', en: 'pH' },
  tog: { zh: '保暖等级', en: 'TOG' },
  battery: { zh: '电池', en: 'Batteries' },
  measurementRange: { zh: '测量范围', en: 'Measurement range' },
  contents: { zh: '内含', en: 'Contents' },
};

export function attributeLabel(key: string, locale: AnswerLocale): string {
  const known = ATTRIBUTE_LABELS[key];
  if (known) return inLocale(known, locale);
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return locale === 'en' ? words.charAt(0).toUpperCase() + words.slice(1) : '规格';
}

/** Sentences of a catalogue text, each with its closing punctuation. */
export function sentences(text: string): string[] {
  // A full stop ends a sentence only before a space or the end ("6.8 kg", "e.g." inside stay whole).
  const parts = text.match(/(?:[^。！？；!?;.]|\.(?!\s|$)|(?<=\be\.g|\bi\.e)\.\s)+(?:[。！？；!?;]+|\.(?=\s|$)|$)/g) ?? [];
  return parts.map((s) => s.trim()).filter((s) => s.length > 1);
}

/** Ends a clause so that clauses can be joined: Chinese with "。", English with ".". */
export function closeSentence(text: string, locale: AnswerLocale): string {
  const t = text.trim();
  if (/[。！？.!?]$/.test(t)) return t;
  return locale === 'en' ? `${t}.` : `${t}。`;
}
