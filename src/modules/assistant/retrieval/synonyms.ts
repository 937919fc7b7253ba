/**
 * The bilingual vocabulary of questions: colloquial phrases → canonical field intents (price, stock …),
 * and product words → their synonyms (尿不湿 ↔ 纸尿裤 ↔ nappy ↔ diaper) for query expansion.
 *
 * Phrases are compiled with the same tokenizer as the questions, so a phrase matches when all of its
 * terms are among the question's terms (for Chinese these are its character bigrams, which survive
 * segmentation differences: "多少钱一包" still contains 多少, 少钱). Typos are tolerated the way they
 * happen: English words (≥ 4 letters) within one edit (transposition included: "pirce", "shiping"),
 * Chinese characters replaced by a common IME homophone ("多少前", "有或吗"). A typo-matched phrase
 * counts 0.8 of an exact one.
 */
import { normalise, tokenize } from './tokenize.js';

export type Intent = 'price' | 'stock' | 'age' | 'material' | 'size' | 'usage' | 'shipping' | 'returns';

/** Fixed order: ties between intents are broken by it. */
export const INTENTS: readonly Intent[] = ['price', 'stock', 'age', 'material', 'size', 'usage', 'shipping', 'returns'];

/** Which catalogue fields answer an intent (for the answerer; `faq` means FAQ documents). */
export const INTENT_FIELDS: Readonly<Record<Intent, readonly string[]>> = {
  price: ['priceFen', 'listPriceFen'],
  stock: ['stock'],
  age: ['ageMinMonths', 'ageMaxMonths', 'attributes.suitableWeight', 'attributes.suitableHeight'],
  material: ['attributes.material', 'attributes.ingredients', 'attributes.certification'],
  size: ['attributes.size', 'attributes.capacity', 'attributes.count', 'attributes.weight', 'attributes.foldedSize', 'attributes.teatSize'],
  usage: ['description', 'faq'],
  shipping: ['faq'],
  returns: ['faq'],
};

/** Strong phrases weigh 1; weak ones (宝宝, 适合, 多大: common in any question) 0.35. */
const TRIGGERS: Readonly<Record<Intent, { strong: readonly string[]; weak?: readonly string[] }>> = {
  price: {
    strong: ['多少钱', '价格', '价钱', '几块', '几钱', '贵不贵', '便宜', '优惠', '划线价', '秒杀价', '售价', 'how much', 'cost', 'price', 'cheap', 'expensive', 'discount'],
    weak: ['贵', '钱'],
  },
  stock: {
    strong: ['还有吗', '有货', '库存', '没货', '缺货', '现货', '卖完', '断货', '补货', '还有几', 'in stock', 'sold out', 'left', 'available', 'availability', 'stock'],
  },
  age: {
    strong: ['几个月', '多少个月', '个月', '几岁', '岁', '月龄', '年龄', '新生儿', '多大的宝宝', 'newborn', 'month', 'age', 'old', 'toddler', 'infant'],
    weak: ['适合', '宝宝', '多大', 'suitable', 'baby'],
  },
  material: {
    strong: ['材质', '成分', '材料', '面料', '配方', '原料', '什么做的', '啥做的', '无毒', 'material', 'ingredient', 'made of', 'fabric', 'formula', 'bpa'],
  },
  size: {
    strong: ['尺寸', '尺码', '容量', '大小', '规格', '多重', '重量', '几片', '多少片', 'size', 'capacity', 'ml', 'dimension', 'weight', 'big', 'fit'],
    weak: ['多大', '码'],
  },
  usage: {
    // "how long" is a usage phrase, not a product word ("Long-Sleeve" must not be named by it).
    strong: ['怎么用', '用法', '如何使用', '使用方法', '怎么使用', '怎么洗', '清洗', '怎么装', '安装', '怎么选', 'how to use', 'how long', 'use', 'instruction', 'clean', 'wash', 'install'],
  },
  shipping: {
    strong: ['发货', '快递', '包邮', '运费', '配送', '几天到', '到货', '物流', '送达', '寄', '什么时候发', '啥时候发', 'shipping', 'ship', 'delivery', 'deliver', 'postage', 'courier'],
  },
  returns: {
    strong: ['退货', '退款', '七天无理由', '无理由', '换货', '退换', '能退', '退吗', 'return', 'refund', 'exchange'],
  },
};

/** Product words and their synonyms, both languages; a question naming one is expanded with the others. */
export const PRODUCT_SYNONYMS: readonly (readonly string[])[] = [
  ['纸尿裤', '尿不湿', '尿布', '尿片', 'diaper', 'nappy'],
  ['拉拉裤', '学步裤', 'pull-up', 'training pants'],
  ['推车', '婴儿车', '宝宝车', '遛娃车', 'stroller', 'pram', 'buggy', 'pushchair'],
  ['安全座椅', '汽车座椅', 'car seat'],
  ['提篮', 'infant carrier'],
  ['背带', '腰凳', '背袋', 'baby carrier', 'hip seat'],
  ['背巾', '包裹式', 'wrap', 'sling'],
  ['湿巾', '湿纸巾', 'wipe'],
  ['棉柔巾', '干巾', 'cotton tissue'],
  ['奶瓶', 'bottle', 'feeding bottle'],
  ['奶嘴', 'teat', 'nipple'],
  ['学饮杯', '吸管杯', '水杯', 'sippy cup', 'straw cup'],
  ['餐椅', '宝宝椅', '吃饭椅', 'high chair'],
  ['碗勺', '吸盘碗', 'bowl', 'suction bowl'],
  ['辅食机', '料理机', 'food maker', 'blender'],
  ['围兜', '围嘴', '饭兜', 'bib'],
  ['储奶袋', '母乳储存袋', '存奶袋', 'milk storage bag', 'breast milk bag'],
  ['润肤霜', '宝宝霜', '保湿霜', 'moisturising cream', 'moisturizing cream'],
  ['面霜', '擦脸霜', 'face cream'],
  ['润肤乳', '身体乳', '润肤露', 'body lotion', 'lotion'],
  ['护臀膏', '护臀霜', '屁屁霜', 'barrier cream', 'nappy cream', 'diaper cream', 'rash cream'],
  ['按摩油', '抚触油', 'massage oil'],
  ['爽身露', '爽身粉', 'talc', 'powder'],
  ['沐浴露', '洗发水', '洗发沐浴', 'shampoo', 'body wash', 'baby wash'],
  ['浴盆', '澡盆', '洗澡盆', 'bathtub', 'tub'],
  ['浴巾', '毛巾', 'towel'],
  ['和尚服', 'kimono'],
  ['连体衣', '爬服', '哈衣', 'sleepsuit', 'romper'],
  ['包屁衣', 'bodysuit', 'onesie'],
  ['睡衣', 'pyjama', 'pajama'],
  ['外套', '摇粒绒', 'jacket', 'fleece', 'coat'],
  ['袜子', '地板袜', 'sock'],
  ['婴儿床', '宝宝床', '小床', 'cot', 'crib'],
  ['睡袋', '防踢被', 'sleeping bag', 'sleep sack'],
  ['床笠', '床单', 'fitted sheet', 'cot sheet'],
  ['床垫', 'mattress'],
  ['布书', 'cloth book', 'crinkle book'],
  ['积木', 'block', 'building block'],
  ['毛绒', '玩偶', '小熊', 'teddy', 'plush', 'soft toy'],
  ['健身架', '游戏毯', '脚踏琴', 'play gym', 'play mat'],
  ['指甲剪', '指甲刀', 'nail clipper', 'nail care'],
  ['体温计', '温度计', 'thermometer'],
  ['急救包', '医药箱', 'first aid'],
  ['吸鼻器', 'nasal aspirator', 'nose'],
];

/** Common IME homophones of characters in the phrases (pinyin in comments): typo → intended. */
const HOMOPHONES: Readonly<Record<string, string>> = {
  钱: '前潜浅欠', // qian
  价: '架假加家', // jia
  格: '个各隔', // ge
  货: '或获火伙', // huo
  库: '裤酷苦', // ku
  存: '村寸', // cun
  邮: '油游由', // you
  递: '地第弟', // di
  退: '腿推', // tui
  款: '宽', // kuan
  尺: '吃迟', // chi
  寸: '存村', // cun
  材: '才财', // cai
  质: '制志致', // zhi
  龄: '零灵铃', // ling
  岁: '碎随', // sui
  发: '法罚', // fa
  运: '云允', // yun
};
const TYPO_TO_INTENDED = new Map<string, string[]>();
for (const [intended, typos] of Object.entries(HOMOPHONES)) {
  for (const t of typos) TYPO_TO_INTENDED.set(t, [...(TYPO_TO_INTENDED.get(t) ?? []), intended]);
}

interface Phrase {
  text: string;
  terms: string[];
  weight: number;
}

/**
 * The terms a phrase requires. For Chinese phrases of two or more characters these are the character
 * bigrams (the segmenter may not split them the same way in context); otherwise the tokenizer's terms.
 */
function phraseTerms(phrase: string): string[] {
  const terms = tokenize(phrase);
  const hanBigrams = terms.filter((t) => /^\p{Script=Han}{2}$/u.test(t));
  const latin = terms.filter((t) => !/\p{Script=Han}/u.test(t));
  const base = hanBigrams.length > 0 ? [...hanBigrams, ...latin] : terms;
  return [...new Set(base)];
}

const COMPILED: readonly { intent: Intent; phrases: Phrase[] }[] = INTENTS.map((intent) => {
  const t = TRIGGERS[intent];
  const phrases = [
    ...t.strong.map((text) => ({ text, terms: phraseTerms(text), weight: 1 })),
    ...(t.weak ?? []).map((text) => ({ text, terms: phraseTerms(text), weight: 0.35 })),
  ].filter((p) => p.terms.length > 0);
  return { intent, phrases };
});

/** Every term that belongs to some intent phrase (down-weighted when matching product names). */
export const INTENT_TERMS: ReadonlySet<string> = new Set(COMPILED.flatMap((c) => c.phrases.flatMap((p) => [...p.terms, ...tokenize(p.text)])));

const SYNONYM_GROUPS: readonly Phrase[][] = PRODUCT_SYNONYMS.map((group) => group.map((text) => ({ text, terms: phraseTerms(text), weight: 1 })));

/** Optimal string alignment distance ≤ 1 (one insertion, deletion, substitution or adjacent transposition). */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  if (la === lb) {
    const diff: number[] = [];
    for (let i = 0; i < la && diff.length <= 2; i++) if (a[i] !== b[i]) diff.push(i);
    if (diff.length === 1) return true;
    const [i, j] = diff;
    return diff.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
  }
  const [s, l] = la < lb ? [a, b] : [b, a];
  let i = 0;
  while (i < s.length && s[i] === l[i]) i++;
  return s.slice(i) === l.slice(i + 1);
}

/** How well a required term is present: 1 exactly, 0.8 as a typo, 0 not at all. */
function presence(term: string, terms: ReadonlySet<string>, latinTerms: readonly string[]): number {
  if (terms.has(term)) return 1;
  if (/^\p{Script=Han}{2}$/u.test(term)) {
    for (const t of terms) {
      if (t.length !== 2 || t === term) continue;
      const [a, b] = [...t];
      const ok0 = a === term[0] || (a !== undefined && TYPO_TO_INTENDED.get(a)?.includes(term[0] ?? '') === true);
      const ok1 = b === term[1] || (b !== undefined && TYPO_TO_INTENDED.get(b)?.includes(term[1] ?? '') === true);
      if (ok0 && ok1) return 0.8;
    }
    return 0;
  }
  if (/^[a-z]{4,}$/.test(term)) {
    for (const t of latinTerms) if (t.length >= 4 && withinOneEdit(t, term)) return 0.8;
  }
  return 0;
}

/** How well a phrase is present: the least present of its terms. */
function phraseMatch(p: Phrase, terms: ReadonlySet<string>, latinTerms: readonly string[]): number {
  let m = 1;
  for (const t of p.terms) {
    m = Math.min(m, presence(t, terms, latinTerms));
    if (m === 0) return 0;
  }
  return m;
}

export interface RankedIntent {
  intent: Intent;
  score: number;
  /** The phrases that matched, as written in the table. */
  phrases: string[];
}

/**
 * The intents of a question's terms, best first: score = the best matched phrase (weight × 1 exact,
 * × 0.8 typo) plus 0.1 for each further phrase of the same intent. Ties in the fixed INTENTS order.
 */
export function detectIntents(terms: readonly string[]): RankedIntent[] {
  const set = new Set(terms);
  const latin = terms.filter((t) => /^[a-z]{4,}$/.test(t));
  const out: RankedIntent[] = [];
  for (const { intent, phrases } of COMPILED) {
    let best = 0;
    const matched: string[] = [];
    for (const p of phrases) {
      const m = phraseMatch(p, set, latin) * p.weight;
      if (m <= 0) continue;
      matched.push(p.text);
      best = Math.max(best, m);
    }
    if (matched.length > 0) out.push({ intent, score: round(best + 0.1 * (matched.length - 1)), phrases: matched });
  }
  return out.sort((a, b) => b.score - a.score || INTENTS.indexOf(a.intent) - INTENTS.indexOf(b.intent));
}

/**
 * Whether the words of a multi-word Latin phrase occur one after the other among the terms ("infant
 * carrier", not "baby … infant carrier" for "baby carrier"). Han phrases match by their bigrams.
 */
function adjacentLatin(p: Phrase, terms: readonly string[]): boolean {
  if (p.terms.length < 2 || p.terms.some((t) => /\p{Script=Han}/u.test(t))) return true;
  for (let i = 0; i + p.terms.length <= terms.length; i++) {
    if (p.terms.every((t, j) => terms[i + j] === t)) return true;
  }
  return false;
}

/** The synonyms of the product words a question names: the terms of every other member of each matched group. */
export function expandSynonyms(terms: readonly string[]): string[] {
  const set = new Set(terms);
  const latin = terms.filter((t) => /^[a-z]{4,}$/.test(t));
  const extra = new Set<string>();
  for (const group of SYNONYM_GROUPS) {
    if (!group.some((p) => phraseMatch(p, set, latin) === 1 && adjacentLatin(p, terms))) continue;
    for (const p of group) for (const t of p.terms) if (!set.has(t)) extra.add(t);
  }
  return [...extra].sort();
}

/**
 * Words pointing at "the thing being shown": 这 + a measure word (这个, 这款, 这包, 这台 …), 它, and
 * this/it/these/those/them/they ("how many of these do u have left").
 */
const DEIXIS = /这一?[个款件套只瓶种包袋盒罐桶台辆把条双本支张片块份组]|它|\b(?:this|it|these|those|them|they|that one)\b/u;

export function hasDeixis(text: string): boolean {
  return DEIXIS.test(normalise(text));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
