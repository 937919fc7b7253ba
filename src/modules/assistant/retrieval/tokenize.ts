/**
 * Text → normalised terms for retrieval, the same analysis for documents and questions.
 *
 *  1. NFKC (full-width → half-width: "ＰＰＳＵ２４０ｍｌ？" → "ppsu240ml?"), lower case.
 *  2. `Intl.Segmenter('zh', { granularity: 'word' })`, word-like segments only. Han words are kept
 *     as they are; Latin/digit runs are split into words and numbers, words get a light plural stem.
 *  3. Character bigrams of every Han run ("纸尿裤" → 纸尿, 尿裤): robust to segmentation misses and
 *     one-character typos. A bigram equal to the two-character word at the same position is not
 *     repeated, so a correctly segmented two-character word is not counted twice.
 *  4. Number + unit terms in one canonical form across languages: "6个月", "6 months" → `6个月`;
 *     "200ml", "200 毫升" → `200ml`; "80抽" → `80抽`.
 *  5. A small bilingual stop-word list; words that carry intent (多少钱, 库存, price, stock, how …)
 *     are kept.
 *
 * The terms keep their multiplicity (term frequency matters to BM25); their order is words, then
 * bigrams, then number+unit terms.
 */

export type Locale = 'zh-CN' | 'en';

const SEGMENTER = new Intl.Segmenter('zh', { granularity: 'word' });
const HAN = /\p{Script=Han}/u;
const HAN_RUNS = /\p{Script=Han}+/gu;
const PARTS = /(\p{Script=Han}+)|([\p{L}\p{N}]+(?:\.\d+)?)/gu;
const LATIN_PIECES = /\d+(?:\.\d+)?|\p{L}+/gu;

/** Function words with no retrieval value. Deixis (这个, it, this) is detected on the raw text, not on terms. */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  // zh
  '的', '了', '吗', '呢', '吧', '啊', '呀', '哦', '嘛', '么', '是', '和', '与', '及', '或', '在', '也', '都', '就', '还',
  '这', '那', '这个', '那个', '这款', '那款', '这种', '这件', '这些', '那些', '它', '它们', '我', '你', '您', '我们', '你们',
  '他', '她', '款', '件', '只', '请', '问', '请问', '一下', '个', '一个', '什么', '可以', '能', '会', '给', '把', '被', '让', '哪', '呃', '嗯',
  // en
  'a', 'an', 'the', 'is', 'are', 'was', 'were', 'be', 'am', 'do', 'doe', 'does', 'did', 'to', 'of', 'in', 'on', 'at', 'for',
  'with', 'and', 'or', 'it', 'its', 'this', 'that', 'these', 'those', 'i', 'you', 'we', 'my', 'your', 'our', 'me', 'us',
  'can', 'could', 'will', 'would', 'should', 'there', 'any', 'please', 'hi', 'hello', 'what', 'which', 'one', 'by', 'from', 'about',
]);

/** Particles and pronouns: a bigram with one of them is noise ("的宝", "用吗", "用这"). */
const PARTICLES: ReadonlySet<string> = new Set(['的', '了', '吗', '呢', '吧', '啊', '呀', '哦', '嘛', '这', '那', '它', '我', '你', '您']);

/** Units after a number, mapped to one canonical spelling shared by both languages. */
const UNIT_CANON: Record<string, string> = {
  个月: '个月', 月龄: '个月', 月: '个月', month: '个月', months: '个月', mo: '个月',
  岁: '岁', 周岁: '岁', year: '岁', years: '岁', yr: '岁', yrs: '岁',
  ml: 'ml', 毫升: 'ml', l: 'l', 升: 'l', g: 'g', 克: 'g', kg: 'kg', 公斤: 'kg', 千克: 'kg',
  cm: 'cm', 厘米: 'cm', mm: 'mm', 毫米: 'mm',
  片: '片', count: '片', 包: '包', pack: '包', packs: '包', 抽: '抽', sheet: '抽', sheets: '抽',
  只: '只', 支: '支', 件: '件', piece: '件', pieces: '件', pcs: '件', 双: '双', pair: '双', pairs: '双', 本: '本', 粒: '粒', 条: '条', 套: '套',
};
const UNIT_ALTERNATION = Object.keys(UNIT_CANON)
  .sort((a, b) => b.length - a.length)
  .join('|');
const NUMBER_UNIT = new RegExp(`(\\d+(?:\\.\\d+)?)\\s*(${UNIT_ALTERNATION})(?![a-z])`, 'gu');

/** NFKC, lower case, and a few look-alike characters folded (– — → -, × → x is left: it is a separator). */
export function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\u2010-\u2015]/g, '-').replace(/[’‘]/g, "'");
}

/** A light English stem: plural and possessive endings only (diapers → diaper, nappies → nappy). */
export function stem(word: string): string {
  const w = word.endsWith("'s") ? word.slice(0, -2) : word;
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (/(?:sses|xes|zes|ches|shes)$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) return w.slice(0, -1);
  return w;
}

/** "1299.00" → "1299", "4.90" → "4.9". */
function canonNumber(n: string): string {
  return n.includes('.') ? n.replace(/\.?0+$/, '') : n;
}

function keep(term: string): boolean {
  return term.length > 0 && !STOP_WORDS.has(term);
}

/**
 * The normalised terms of `text`. `locale` is a hint only: both scripts are always analysed, so a
 * mixed question ("PPSU 奶瓶 240ml 多少钱") works in either locale.
 */
export function tokenize(text: string, _locale?: Locale): string[] {
  const s = normalise(text).replace(/'s\b/g, '');
  const words: string[] = [];
  const twoCharWordAt = new Set<number>();
  /** Positions inside a multi-character Han stop word or a particle: bigrams touching them are noise ("这个多少钱" → no 个多). */
  const inStopWord = new Set<number>();

  for (const seg of SEGMENTER.segment(s)) {
    if (!seg.isWordLike) continue;
    for (const m of seg.segment.matchAll(PARTS)) {
      const [part, han] = m;
      if (han) {
        const at = seg.index + (m.index ?? 0);
        if (han.length === 2) twoCharWordAt.add(at);
        if (keep(han)) words.push(han);
        else if (han.length > 1 || PARTICLES.has(han)) for (let i = 0; i < han.length; i++) inStopWord.add(at + i);
        continue;
      }
      for (const piece of part.matchAll(LATIN_PIECES)) {
        const p = piece[0];
        const term = /^\d/.test(p) ? canonNumber(p) : stem(p);
        if (keep(term)) words.push(term);
      }
    }
  }

  const bigrams: string[] = [];
  for (const run of s.matchAll(HAN_RUNS)) {
    const r = run[0];
    const start = run.index ?? 0;
    for (let i = 0; i + 1 < r.length; i++) {
      if (twoCharWordAt.has(start + i) || inStopWord.has(start + i) || inStopWord.has(start + i + 1)) continue;
      const b = r.slice(i, i + 2);
      if (keep(b)) bigrams.push(b);
    }
  }

  const units: string[] = [];
  for (const m of s.matchAll(NUMBER_UNIT)) {
    const [, num, unit] = m;
    if (num && unit) units.push(`${canonNumber(num)}${UNIT_CANON[unit] ?? unit}`);
  }

  return [...words, ...bigrams, ...units];
}

/** Whether the text contains Han characters (used to pick typo tolerance in the intent table). */
export function hasHan(text: string): boolean {
  return HAN.test(text);
}
