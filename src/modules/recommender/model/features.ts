/**
 * The recommender's feature space and its allow-list (A7).
 *
 * Every input the bandit may see is a named feature with a group, a sensitivity flag and bilingual
 * labels. A `FeatureSpace` is built from a list of specs and refuses, at construction:
 *   - sensitive personal information (PIPL art. 28: health, religion, whereabouts, financial
 *     accounts …) unless the caller names it in `separateConsent`;
 *   - any name not on the code's allow-list, unless `allowUnlisted` (the offline evaluator's
 *     dataset features).
 * So a feature cannot reach the model by being added to a request: it has to be added here, in
 * code, and reviewed. Declared age band is deliberately absent: it gates minors mode (M1, M2); it
 * is not a ranking feature.
 *
 * Values are plain numbers, normally in [0, 1]; `bias` is always present and always 1, so the
 * linear model's intercept is an ordinary weight.
 */

export type FeatureGroup = 'product' | 'room' | 'behaviour' | 'profile';

export interface Bilingual {
  zh: string;
  en: string;
}

export interface FeatureSpec {
  name: string;
  group: FeatureGroup;
  sensitive: boolean;
  label: Bilingual;
  /**
   * Shown to the viewer when this feature is one of the top positive contributions (A2). English
   * starts with a capital (each reason is an item of its own); Chinese addresses the viewer as 您.
   */
  reason?: Bilingual;
  /** Reasons of one topic say the same thing to a viewer: only the strongest of them is shown. */
  reasonTopic?: string;
}

export type FeatureErrorCode = 'SENSITIVE_FEATURE' | 'UNLISTED_FEATURE' | 'UNKNOWN_FEATURE' | 'DUPLICATE_FEATURE' | 'SPEC_MISMATCH' | 'INVALID_VALUE';

/** A fault in building or using a feature space. Messages name features only, never values. */
export class FeatureError extends Error {
  readonly code: FeatureErrorCode;
  readonly feature: string;
  constructor(code: FeatureErrorCode, feature: string, message: string) {
    super(message);
    this.name = 'FeatureError';
    this.code = code;
    this.feature = feature;
  }
}

/** A sensitive feature was asked for without separate consent covering it (A7). */
export class SensitiveFeatureError extends FeatureError {
  constructor(feature: string) {
    super('SENSITIVE_FEATURE', feature, `feature "${feature}" is sensitive personal information and needs separate consent`);
    this.name = 'SensitiveFeatureError';
  }
}

/** The 13 product categories of the demo catalogue (src/modules/catalogue/seed). */
export const PRODUCT_CATEGORIES = [
  'stroller',
  'car_seat',
  'carrier',
  'diapers',
  'wipes',
  'bottles',
  'feeding',
  'skincare',
  'bath',
  'clothing',
  'sleep',
  'toys',
  'health',
] as const;
export type ProductCategory = (typeof PRODUCT_CATEGORIES)[number];

export const PRICE_BANDS = ['low', 'mid', 'high'] as const;
export type PriceBand = (typeof PRICE_BANDS)[number];

export const BIAS = 'bias';
export const categoryFeature = (category: ProductCategory): string => `product.category.${category}`;
export const priceBandFeature = (band: PriceBand): string => `product.price_band.${band}`;

/**
 * The value of `room.pinned_recent`: 1 at the moment of pinning, halving every `halfLifeMinutes`;
 * 0 when the product was never pinned. Time is an argument: this layer reads no clock.
 */
export function pinnedRecency(minutesSincePin: number | undefined, halfLifeMinutes = 5): number {
  if (minutesSincePin === undefined || !Number.isFinite(minutesSincePin)) return 0;
  if (!(halfLifeMinutes > 0)) throw new RangeError('halfLifeMinutes must be positive');
  return Math.pow(2, -Math.max(0, minutesSincePin) / halfLifeMinutes);
}

const CATEGORY_LABELS: Record<ProductCategory, Bilingual> = {
  stroller: { zh: '婴儿推车', en: 'strollers' },
  car_seat: { zh: '安全座椅', en: 'car seats' },
  carrier: { zh: '背带腰凳', en: 'baby carriers' },
  diapers: { zh: '纸尿裤', en: 'diapers' },
  wipes: { zh: '湿巾', en: 'wipes' },
  bottles: { zh: '奶瓶', en: 'bottles' },
  feeding: { zh: '喂养用品', en: 'feeding' },
  skincare: { zh: '婴童护肤', en: 'baby skincare' },
  bath: { zh: '洗浴用品', en: 'bath' },
  clothing: { zh: '童装', en: 'clothing' },
  sleep: { zh: '睡眠用品', en: 'sleep' },
  toys: { zh: '玩具', en: 'toys' },
  health: { zh: '健康护理', en: 'health care' },
};

/** A catalogue category's bilingual name, or null for a category Qingliu does not know. */
export function categoryWords(category: string): Bilingual | null {
  return Object.hasOwn(CATEGORY_LABELS, category) ? CATEGORY_LABELS[category as ProductCategory] : null;
}

const BIAS_SPEC: FeatureSpec = Object.freeze({ name: BIAS, group: 'product', sensitive: false, label: { zh: '基线', en: 'baseline' } });

const spec = (name: string, group: FeatureGroup, label: Bilingual, reason?: Bilingual, reasonTopic?: string): FeatureSpec =>
  Object.freeze({ name, group, sensitive: false, label, ...(reason ? { reason } : {}), ...(reasonTopic ? { reasonTopic } : {}) });

/**
 * The default Qingliu features, in encoding order (31 dimensions). `behaviour.*` and `profile.*`
 * are used only for viewers who consented to personalised recommendations; the caller leaves those
 * values out (0) otherwise. `profile.child_age_fit` is 1 when the product's age range meets the
 * child's age band the viewer declared (coarse, declared, never inferred);
 * `profile.age_band_popular` is how often parents who declared the same band chose the product's
 * category, relative to everyone (an aggregate over that band, context.ts `AgeBandCounts`, kept with the model).
 */
export const FEATURES: readonly FeatureSpec[] = Object.freeze([
  BIAS_SPEC,
  ...PRODUCT_CATEGORIES.map((c) =>
    spec(categoryFeature(c), 'product', { zh: `品类：${CATEGORY_LABELS[c].zh}`, en: `category: ${CATEGORY_LABELS[c].en}` }, {
      zh: `${CATEGORY_LABELS[c].zh}近期很受关注`,
      en: `The ${CATEGORY_LABELS[c].en} category has been drawing interest lately`,
    }),
  ),
  spec(priceBandFeature('low'), 'product', { zh: '价位：较低', en: 'price band: low' }, { zh: '价格实惠', en: 'It is in the lower price range' }),
  spec(priceBandFeature('mid'), 'product', { zh: '价位：中等', en: 'price band: mid' }, { zh: '中等价位', en: 'It is in the mid price range' }),
  spec(priceBandFeature('high'), 'product', { zh: '价位：较高', en: 'price band: high' }, { zh: '品质价位', en: 'It is in the premium price range' }),
  spec('product.on_sale', 'product', { zh: '低于标价', en: 'below list price' }, { zh: '现价低于标价', en: 'It is priced below its list price' }),
  // No viewer-facing reason: "few left" as a persuasion line is an urgency nudge (A9). The label
  // still appears in the full explanation.
  spec('product.stock_low', 'product', { zh: '库存较少', en: 'low stock' }),
  // "Presenting now" and "presented a few minutes ago" are one reason: a product on stage has both
  // (its recency is highest while pinned), and the words listed first are the ones shown.
  spec('room.pinned', 'room', { zh: '主播讲解中', en: 'pinned by the host' }, { zh: '主播正在介绍这件商品', en: 'The host is presenting this now' }, 'host_presenting'),
  spec('room.pinned_recent', 'room', { zh: '刚被讲解', en: 'recently pinned' }, { zh: '主播刚刚介绍过这件商品', en: 'The host presented this a few minutes ago' }, 'host_presenting'),
  spec('room.flash_sale', 'room', { zh: '秒杀中', en: 'flash sale' }, { zh: '正在秒杀', en: 'On flash sale now' }),
  // Popular now and popular this show both tell the viewer "others here like it": one reason.
  spec(
    'room.popular_5m',
    'room',
    { zh: '5 分钟热度', en: 'popularity, last 5 minutes' },
    { zh: '最近 5 分钟在本直播间很受欢迎', en: 'Popular in this room in the last 5 minutes' },
    'popular_here',
  ),
  spec('room.popular_session', 'room', { zh: '本场热度', en: 'popularity this session' }, { zh: '本场直播很受欢迎', en: 'Popular in this stream' }, 'popular_here'),
  // Looking at a product also counts for its category, so a product the viewer looked at has both
  // reasons: one topic, said in the words of the product itself (REASON_TOPIC_ORDER). The same for
  // the cart.
  spec(
    'behaviour.same_category_viewed',
    'behaviour',
    { zh: '看过同类商品', en: 'viewed similar products' },
    { zh: '您刚刚看过同类商品', en: 'You just looked at similar products' },
    'viewed_by_you',
  ),
  spec(
    'behaviour.same_category_carted',
    'behaviour',
    { zh: '同类商品已加购', en: 'similar product in cart' },
    { zh: '您把同类商品加入了购物车', en: 'You added a similar product to your cart' },
    'carted_by_you',
  ),
  spec('behaviour.viewed_this', 'behaviour', { zh: '看过这件商品', en: 'viewed this product' }, { zh: '您刚刚看过这件商品', en: 'You looked at this product' }, 'viewed_by_you'),
  spec('behaviour.carted_this', 'behaviour', { zh: '已在购物车', en: 'in your cart' }, { zh: '这件商品在您的购物车里', en: 'This product is in your cart' }, 'carted_by_you'),
  spec('behaviour.tag_weight', 'behaviour', { zh: '兴趣标签', en: 'interest tags' }, { zh: '符合您的兴趣标签', en: 'It matches your interest tags' }),
  spec('profile.child_age_fit', 'profile', { zh: '适合宝宝月龄', en: 'fits your child’s age' }, {
    zh: '适合您告诉我们的宝宝月龄',
    en: 'It suits the age you gave for your child',
  }),
  spec('profile.age_band_popular', 'profile', { zh: '同月龄段家长的选择', en: 'chosen by parents of same-age children' }, {
    zh: '和您宝宝同月龄段的家长常选这类商品',
    en: 'Parents of children your child’s age often choose this kind of product',
  }),
]);

/**
 * Within a reason topic, which words are said when the product has more than one of its reasons:
 * the first of these it has. The most specific come first ("presenting now" before "a few minutes
 * ago", "you looked at this product" before "similar products"). A topic not listed here says the
 * reason listed first in the feature space.
 */
export const REASON_TOPIC_ORDER: Readonly<Record<string, readonly string[]>> = Object.freeze({
  host_presenting: ['room.pinned', 'room.pinned_recent'],
  popular_here: ['room.popular_5m', 'room.popular_session'],
  viewed_by_you: ['behaviour.viewed_this', 'behaviour.same_category_viewed'],
  carted_by_you: ['behaviour.carted_this', 'behaviour.same_category_carted'],
});

/** The allow-list: every feature Qingliu may rank with without separate consent. */
export const ALLOWED_FEATURES: readonly FeatureSpec[] = FEATURES;

const sensitive = (name: string, label: Bilingual): FeatureSpec => Object.freeze({ name, group: 'profile', sensitive: true, label });

/**
 * Sensitive personal information (PIPL art. 28) that must never reach the model without separate
 * consent naming it. Listed so that the refusal is tested and so that an unlisted spec cannot
 * smuggle one of these names in with `sensitive: false`. No reasons: sensitive attributes are never
 * shown as a reason (A2).
 */
export const SENSITIVE_FEATURES: readonly FeatureSpec[] = Object.freeze([
  sensitive('profile.health_condition', { zh: '健康状况', en: 'health condition' }),
  sensitive('profile.precise_location', { zh: '精确位置', en: 'precise location' }),
  sensitive('profile.religion', { zh: '宗教信仰', en: 'religion' }),
  sensitive('profile.financial_account', { zh: '金融账户', en: 'financial account' }),
  sensitive('profile.biometric', { zh: '生物识别信息', en: 'biometric data' }),
  sensitive('profile.specific_identity', { zh: '特定身份', en: 'specific identity' }),
  sensitive('profile.minor_under_14', { zh: '不满十四周岁', en: 'under 14' }),
]);

const KNOWN = new Map<string, FeatureSpec>([...ALLOWED_FEATURES, ...SENSITIVE_FEATURES].map((s) => [s.name, s]));
const PERSONAL_GROUPS: ReadonlySet<FeatureGroup> = new Set(['behaviour', 'profile']);

/**
 * Whether a feature is personal (group behaviour or profile), i.e. usable only under consent to
 * personalised recommendations. Known names go by their spec; others by their `group.` prefix.
 */
export function isPersonal(name: string): boolean {
  const known = KNOWN.get(name);
  if (known) return PERSONAL_GROUPS.has(known.group);
  return name.startsWith('behaviour.') || name.startsWith('profile.');
}

export interface FeatureSpaceOptions {
  /** Names of sensitive features the viewer gave separate consent for. */
  separateConsent?: ReadonlySet<string>;
  /** Accept names not on the allow-list (offline evaluation over a dataset's own features). */
  allowUnlisted?: boolean;
}

/** An ordered, validated set of features and the encoder from named values to a vector. */
export class FeatureSpace {
  readonly dim: number;
  readonly names: readonly string[];
  readonly specs: readonly FeatureSpec[];
  /** 1 where the feature is personal (behaviour, profile), 0 elsewhere; same order as `names`. */
  readonly personal: Uint8Array;
  readonly #index: Map<string, number>;

  constructor(specs: readonly FeatureSpec[], options: FeatureSpaceOptions = {}) {
    const consent = options.separateConsent ?? new Set<string>();
    const ordered: FeatureSpec[] = [BIAS_SPEC];
    const index = new Map<string, number>([[BIAS, 0]]);
    for (const s of specs) {
      if (s.name === BIAS) continue; // always present, always first
      if (index.has(s.name)) throw new FeatureError('DUPLICATE_FEATURE', s.name, `feature "${s.name}" is listed twice`);
      const known = KNOWN.get(s.name);
      const isSensitive = s.sensitive || known?.sensitive === true;
      if (isSensitive && !consent.has(s.name)) throw new SensitiveFeatureError(s.name);
      if (known) {
        if (known.sensitive !== s.sensitive || known.group !== s.group) {
          throw new FeatureError('SPEC_MISMATCH', s.name, `feature "${s.name}" must keep its listed group and sensitivity`);
        }
      } else if (!options.allowUnlisted) {
        throw new FeatureError('UNLISTED_FEATURE', s.name, `feature "${s.name}" is not on the allow-list`);
      }
      index.set(s.name, ordered.length);
      ordered.push(s);
    }
    this.dim = ordered.length;
    this.specs = Object.freeze(ordered);
    this.names = Object.freeze(ordered.map((s) => s.name));
    this.personal = Uint8Array.from(ordered, (s) => (PERSONAL_GROUPS.has(s.group) ? 1 : 0));
    this.#index = index;
  }

  /** Position of a feature in the vector; throws for a name this space does not hold. */
  indexOf(name: string): number {
    const i = this.#index.get(name);
    if (i === undefined) throw new FeatureError('UNKNOWN_FEATURE', name, `feature "${name}" is not in this feature space`);
    return i;
  }

  has(name: string): boolean {
    return this.#index.has(name);
  }

  spec(name: string): FeatureSpec {
    return this.specs[this.indexOf(name)]!;
  }

  isPersonal(name: string): boolean {
    return this.personal[this.indexOf(name)] === 1;
  }

  /** Named values → vector. Unknown names throw; missing ones are 0; `bias` is always 1. */
  encode(values: Readonly<Record<string, number>>): Float64Array {
    return this.encodeInto(values, new Float64Array(this.dim));
  }

  /** As `encode`, into a caller-owned vector (hot paths reuse one). */
  encodeInto(values: Readonly<Record<string, number>>, out: Float64Array): Float64Array {
    if (out.length !== this.dim) throw new RangeError(`vector has ${out.length} dimensions; the space has ${this.dim}`);
    out.fill(0);
    for (const name in values) {
      const v = values[name]!;
      const i = this.indexOf(name);
      if (!Number.isFinite(v)) throw new FeatureError('INVALID_VALUE', name, `feature "${name}" has a non-finite value`);
      if (i === 0 && v !== 1) throw new FeatureError('INVALID_VALUE', name, 'feature "bias" is always 1');
      out[i] = v;
    }
    out[0] = 1;
    return out;
  }

  /** A copy of x with the personal features zeroed: what a viewer without consent is scored on. */
  withoutPersonal(x: Float64Array): Float64Array {
    const y = x.slice();
    for (let i = 0; i < this.dim; i++) if (this.personal[i] === 1) y[i] = 0;
    return y;
  }
}

/** The default space: `FEATURES`, no sensitive features. */
export function defaultFeatureSpace(): FeatureSpace {
  return new FeatureSpace(FEATURES);
}
