/**
 * What a question asks of a product, finer than retrieval's intents: the structured fields (price,
 * stock, age), groups of attribute keys (material, weight, size …), and the brand topics that only
 * FAQ answers cover (shipping, returns, invoices …).
 *
 * Each aspect has trigger phrases in both languages (matched on the NFKC, lower-cased text) and, for
 * attribute aspects, the attribute keys that answer it, best first, with fallbacks for products that
 * lack them (diapers have no `weight`, their `size` says which weights fit). Retrieval's typo-tolerant
 * intents ("多少前", "pirce") are mapped in as well.
 */
import { normalise, type RankedIntent } from '../retrieval/index.js';

export type Aspect =
  | 'price'
  | 'stock'
  | 'age'
  | 'material'
  | 'ingredients'
  | 'weight'
  | 'height'
  | 'size'
  | 'capacity'
  | 'count'
  | 'certification'
  | 'installation'
  | 'origin'
  | 'battery'
  | 'power'
  | 'range'
  | 'warmth'
  | 'teat'
  | 'positions'
  | 'colour'
  | 'warranty'
  | 'overview'
  | 'shipping'
  | 'returns'
  | 'invoice'
  | 'authenticity'
  | 'service'
  | 'order'
  | 'pricing_policy';

/** Aspects whose answer is a product field (structured or attribute). */
export const PRODUCT_ASPECTS: ReadonlySet<Aspect> = new Set<Aspect>([
  'price',
  'stock',
  'age',
  'material',
  'ingredients',
  'weight',
  'height',
  'size',
  'capacity',
  'count',
  'certification',
  'installation',
  'origin',
  'battery',
  'power',
  'range',
  'warmth',
  'teat',
  'positions',
  'colour',
  'warranty',
]);

/** Aspects only a FAQ answers: the shop's policies and services. */
export const TOPIC_ASPECTS: ReadonlySet<Aspect> = new Set<Aspect>(['shipping', 'returns', 'invoice', 'authenticity', 'service', 'order', 'pricing_policy']);

/** Attribute keys answering an aspect, best first; `fallback` is used only when none of `keys` exists. */
export const ATTRIBUTE_KEYS: Readonly<Partial<Record<Aspect, { keys: readonly string[]; fallback?: readonly string[] }>>> = {
  age: { keys: ['suitableWeight', 'suitableHeight'] },
  material: { keys: ['material', 'ingredients'] },
  // "what's in the first-aid kit" asks for its contents.
  ingredients: { keys: ['ingredients', 'phLevel'], fallback: ['contents', 'material'] },
  weight: { keys: ['weight', 'suitableWeight'], fallback: ['size'] },
  height: { keys: ['suitableHeight'], fallback: ['size'] },
  size: { keys: ['size', 'foldedSize'], fallback: ['capacity', 'suitableHeight', 'suitableWeight'] },
  capacity: { keys: ['capacity'], fallback: ['size', 'count'] },
  // "how many grams/ml" of a cream is its net content.
  count: { keys: ['count', 'contents'], fallback: ['capacity'] },
  certification: { keys: ['certification'] },
  installation: { keys: ['installation'] },
  origin: { keys: ['origin'] },
  battery: { keys: ['battery'] },
  power: { keys: ['power'] },
  range: { keys: ['measurementRange'] },
  warmth: { keys: ['tog'] },
  teat: { keys: ['teatSize'] },
  positions: { keys: ['carryPositions'] },
  // Often asked, not in the demo data: a product without them is handed off rather than guessed at.
  colour: { keys: ['colour', 'color', 'colours', 'colors'] },
  warranty: { keys: ['warranty', 'guaranteePeriod'] },
};

const CHILD = '(宝宝|孩子|娃|小孩|宝贝|婴儿|新生儿|月龄)';

/** Trigger phrases, both languages in one pattern (questions mix them: "PPSU奶瓶多少钱"). */
const TRIGGERS: Readonly<Partial<Record<Aspect, RegExp>>> = {
  // "hw much", "how mch": the one-edit typos of a two-word phrase that retrieval's typo tolerance (≥ 4 letters) misses.
  price: /多少钱|多钱|价格|价钱|什么价|啥价|几块|几元|多少米(?!长|宽|高)|卖多少|售价|划线价|原价|现价|贵不贵|\b(how|hw|hwo|hoe|ho)\s*(much|mch|muhc|mush)\b|\bprices?\b|\bcosts?\b|\bpricey\b|\bexpensive\b|\bcheap\b/u,
  stock: /有货|有没有货|没货|货没|库存|还剩|剩多少|剩几|缺货|断货|卖完|售罄|还有吗|还有没有|还有多少|还有几|抢到|现货|in stock|\bstock\b|sold out|\bleft\b|available|availability/u,
  age: new RegExp(
    `几个月|多少个月|几岁|多大的?${CHILD}|${CHILD}.{0,3}多大|月龄|年龄|用到.{0,4}多大|多大.{0,3}(能|可以)用|[\\d一二两三四五六七八九十半]+\\s*(个月|岁)|\\bage\\b|how old|\\bmonths?\\b|\\byears? old\\b|\\b(son|daughter|kid|child|boy|girl) is \\d+` +
      // "newborn" alone is usually part of a product's name ("the newborn wrap"); asking whether it suits one is about age.
      `|新生儿.{0,6}(能|可以)用|(能|可以)用.{0,4}新生儿|\\b(ok|okay|suitable|safe|good) for (a |my )?newborn|\\buse (it |this |them )?(for|with|on) (a |my )?newborn`,
    'u',
  ),
  material: /材质|材料|面料|料子|布料|什么做的|啥做的|是什么做|用的什么|made of|made from|\bmaterials?\b|\bfabric\b/u,
  ingredients: /成分|配方|添加|加了什么|含有|含不含|ingredients?|what'?s in|what is in|\bwhat [a-z]+ (is|are) in\b/u,
  weight: /多重|重量|几斤|多少斤|\d\s*斤|公斤|千克|承重|\bkg\b|\d\s*kg|heavy|weigh|\bweight\b/u,
  height: /多高|身高|高度|\btall\b|\bheight\b/u,
  size: new RegExp(
    `尺寸|尺码|大小|规格|(?<!几个月的?|${CHILD}.{0,2})多大(?!.{0,2}${CHILD})|(什么|啥|哪个|哪几个|几个|选)码|码数|多长|多宽|多厚|长度|宽度|厚度|折起来|折叠后|打开|展开|\\bsizes?\\b|dimensions?|how big|\\bbig\\b|thick|\\blong\\b(?! (sleeve|can|does|will|is|before|until|for))|\\bwide\\b|length|how (thin|thick)`,
    'u',
  ),
  capacity: /容量|毫升|\bml\b|\d\s*ml|多少克|几克|净含量|装多少|能装|capacity|volume|\bhold\b|\bgrams?\b|\bounces?\b|\boz\b/u,
  count: /几片|多少片|几包|几抽|多少抽|几本|几件(?!套)|一套几|一包几|几只|几支|几双|几条|多少个|多少粒|几粒|how many(?! (ml|months|years|days|hours))|\bcount\b|\bpieces\b|pack of/u,
  certification: /认证|国标|标准|检测|质检|合格|certif|standard|tested/u,
  installation: /安装|怎么装|装车|\binstall/u,
  origin: /产地|哪里产|哪产|哪里生产|哪生产|哪里做的|国产|进口|made in|where .{0,30}\bmade\b|\borigin\b|manufactur|produced/u,
  battery: /电池|batter(y|ies)/u,
  power: /功率|瓦数|多少瓦|\bwatts?\b|\bpower\b/u,
  range: /测量范围|量程|测量.{0,4}范围|\bmeasure|range does/u,
  warmth: /\btog\b|保暖|室温|room temp/u,
  teat: /奶嘴(尺寸|型号|几号|多大|什么号)|\bteat size\b|\bwhich teat\b/u,
  positions: /背法|姿势|抱法|几种背|carry positions?|\bpositions?\b/u,
  colour: /颜色|几种色|什么色|啥色|配色|colou?rs?\b/u,
  warranty: /保修|质保|三包|warrant/u,
  overview: /介绍|讲讲|说说|怎么样|好不好|好用吗|特点|特别|亮点|卖点|优点|有什么用|是什么东西|tell me about|special|features?|any good|worth it|details?|describe|what is it\b|what does it do/u,
  shipping: /发货|快递|包邮|运费|配送|物流|送达|到货|几天到|能发|寄|什么时候发|啥时候发|几时发|多久发|\bship|deliver|postage|courier/u,
  returns: /退货|退款|退换|换货|能退|可以退|还能退|退吗|退不|无理由|\breturn|refund|exchange|change my mind/u,
  invoice: /发票|开票|抬头|税号|invoice|fapiao|receipt/u,
  authenticity: /正品|真货|假货|真的假的|真假|防伪|山寨|genuine|\bfake\b|authentic|counterfeit/u,
  service: /客服.{0,6}(时间|几点|上班|下班|在线|营业)|服务时间|几点下班|几点上班|热线|customer service|service hours|hotline|opening hours/u,
  order: /改地址|地址.{0,4}(写错|错了|改|修改|换)|修改.{0,4}(地址|订单)|填错|wrong address|change (the |my )?(delivery )?address|edit (my )?order/u,
  // How the shop's prices work ("划线价是真的原价吗"), not what a product's list price is ("划线价是多少": price).
  pricing_policy: /(划线价|秒杀价?|原价|活动价).{0,8}(真|假|怎么回事|什么意思|为什么|是不是|怎么算|规则)|(真|假)的?.{0,4}(划线价|原价)|flash ?sales?\b|(crossed[- ]out|original|list|was) prices?.{0,20}\b(mean|real|true|work)|how do .{0,20}prices? work/u,
};

/**
 * Content words that imply an aspect without asking for it: "含酒精吗" is about the ingredients, but
 * the ingredients list does not answer it (the description's "不添加酒精" does), so these words stay
 * in the question when the field clauses are subtracted (`triggerText` leaves them out).
 * A substance word asks for the material in a question form ("是纯棉的吗", "is it cotton?"), not
 * when it names the product ("the cotton tissues").
 */
const ABOUT: Readonly<Partial<Record<Aspect, RegExp>>> = {
  material: /木头|木材|含棉|纯棉|棉的|什么漆|啥漆|是什么(布|木|棉|胶|塑料)|\b(is|are) (it|they|this|these|the [a-z-]+( [a-z-]+)?) (\d+\s*% )?(cotton|wood(en)?|plastic|silicone|glass|metal|steel)\b|\bbpa\b|\bpaint\b/u,
  ingredients: /香精|酒精|防腐剂|滑石粉|酸碱|ph值|是什么(油|粉|霜|乳)|啥油|fragrance|alcohol|paraben|\btalc\b|\bph\b/u,
  certification: /3c|ccc/u,
  installation: /isofix|安全带|seat ?belt|\blatch\b/u,
  teat: /奶嘴|\bteats?\b|\bnipples?\b/u,
};

/**
 * Retrieval's intents tolerate typos ("多少前", "pirce", "有或吗"); they are used only when the
 * triggers above find nothing, since a typo match can also be a product word ("socks" ~ "stock").
 */
const FROM_INTENT: Readonly<Record<string, Aspect>> = {
  price: 'price',
  stock: 'stock',
  shipping: 'shipping',
  returns: 'returns',
};

/** The aspects of a question, in the fixed order of `TRIGGERS` (structured fields first). */
export function detectAspects(question: string, intents: readonly RankedIntent[] = []): Aspect[] {
  const text = normalise(question);
  const found = new Set<Aspect>();
  for (const [aspect, re] of Object.entries(TRIGGERS) as [Aspect, RegExp][]) if (re.test(text)) found.add(aspect);
  for (const [aspect, re] of Object.entries(ABOUT) as [Aspect, RegExp][]) if (re.test(text)) found.add(aspect);
  if (found.size === 0) {
    for (const i of intents) {
      const a = FROM_INTENT[i.intent];
      if (a !== undefined && i.score >= 0.5) found.add(a);
    }
  }
  // A bare "how many" asks for the count in a pack only when nothing more specific is asked:
  // "how many … left" is stock, "how many ml" capacity, "how many watts" power.
  const countAsked = /几片|多少片|几包|几抽|几本|几件|几只|几支|几双|几条|多少个|多少粒|几粒|\bpieces\b|\bcount\b|pack of|\bhow many (pieces|items|sheets|pairs|books|blocks|bags|diapers|nappies|teats|spoons|filters|packs)\b/u.test(text);
  if (found.has('count') && !countAsked && [...found].some((a) => a !== 'count' && PRODUCT_ASPECTS.has(a))) found.delete('count');
  const order = Object.keys(TRIGGERS) as Aspect[];
  return [...found].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** The words of the question that asked for these aspects ("多少钱", "how heavy"; not the content words of `ABOUT`), joined. */
export function triggerText(question: string, aspects: readonly Aspect[]): string {
  const text = normalise(question);
  const parts: string[] = [];
  for (const a of aspects) {
    const re = TRIGGERS[a];
    if (!re) continue;
    for (const m of text.matchAll(new RegExp(re.source, 'gu'))) parts.push(m[0]);
  }
  return parts.join(' ');
}

/** The topics (brand FAQ aspects) a FAQ question is about, to match questions on the same topic. */
export function topicsOf(text: string): Aspect[] {
  const t = normalise(text);
  return [...TOPIC_ASPECTS].filter((a) => TRIGGERS[a]?.test(t) === true);
}

const ZH_NUMBERS: Readonly<Record<string, number>> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10, 半: 0.5 };

function zhNumber(s: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === '十') return 10;
  if (s.length === 2 && s.startsWith('十')) return 10 + (ZH_NUMBERS[s[1] ?? ''] ?? 0);
  if (s.length === 2 && s.endsWith('十')) return (ZH_NUMBERS[s[0] ?? ''] ?? 0) * 10;
  if (s.length === 3 && s[1] === '十') return (ZH_NUMBERS[s[0] ?? ''] ?? 0) * 10 + (ZH_NUMBERS[s[2] ?? ''] ?? 0);
  return ZH_NUMBERS[s];
}

/**
 * The age of the viewer's child in months when the question states it ("宝宝8个月了", "两岁了",
 * "an 8 month old", "my son is 4"), so the answer can say whether it is within the range.
 * An age not tied to a child ("为啥要6个月以上才能用") is not one.
 */
export function childAgeMonths(question: string): number | undefined {
  const t = normalise(question);
  const zh = new RegExp(`${CHILD}.{0,4}?([\\d.]+|[一二两三四五六七八九十半]+)\\s*(个月|个多月|岁|周岁)|([\\d.]+|[一二两三四五六七八九十半]+)\\s*(个月|岁|周岁)(了|大|的${CHILD})`, 'u').exec(t);
  if (zh) {
    const n = zhNumber(zh[2] ?? zh[4] ?? '');
    const unit = zh[3] ?? zh[5] ?? '';
    if (n !== undefined) return unit.includes('岁') ? n * 12 : n;
  }
  const en = /\b(\d+(?:\.\d+)?)[ -]?(month|mo|year|yr)s?[ -]old\b/u.exec(t);
  if (en?.[1] && en[2]) return en[2].startsWith('y') ? Number(en[1]) * 12 : Number(en[1]);
  const is = /\b(son|daughter|kid|child|boy|girl|baby|toddler|he|she)(?: is|'s) (\d+(?:\.\d+)?)\b(?!\s*(kg|cm|lbs?|months?|weeks?))/u.exec(t);
  if (is?.[2]) return Number(is[2]) * 12;
  return undefined;
}
