import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_FEATURES,
  FEATURES,
  FeatureError,
  FeatureSpace,
  PRODUCT_CATEGORIES,
  SENSITIVE_FEATURES,
  SensitiveFeatureError,
  categoryFeature,
  categoryWords,
  defaultFeatureSpace,
  isPersonal,
  pinnedRecency,
  type FeatureSpec,
} from './index.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof FeatureError ? err.code : 'other';
  }
  return undefined;
};

describe('the default feature space', () => {
  it('has bias first, the 13 demo categories, at most 32 dimensions and no sensitive feature', () => {
    const space = defaultFeatureSpace();
    expect(space.names[0]).toBe('bias');
    expect(space.dim).toBe(31);
    expect(space.dim).toBeLessThanOrEqual(32);
    for (const c of PRODUCT_CATEGORIES) expect(space.has(categoryFeature(c))).toBe(true);
    expect(PRODUCT_CATEGORIES).toHaveLength(13);
    expect(FEATURES.some((f) => f.sensitive)).toBe(false);
    expect(space.names).not.toContain('profile.age_band');
  });

  it('gives viewer-facing reasons in both languages for the named features', () => {
    const space = defaultFeatureSpace();
    expect(space.spec('behaviour.same_category_viewed').reason).toEqual({ zh: '您刚刚看过同类商品', en: 'You just looked at similar products' });
    expect(space.spec('room.pinned').reason).toEqual({ zh: '主播正在介绍这件商品', en: 'The host is presenting this now' });
    expect(space.spec('room.popular_5m').reason).toEqual({ zh: '最近 5 分钟在本直播间很受欢迎', en: 'Popular in this room in the last 5 minutes' });
    expect(space.spec('room.flash_sale').reason).toEqual({ zh: '正在秒杀', en: 'On flash sale now' });
    // A category's reason reads as English whatever the category's name (never 'bath have been …').
    expect(space.spec('product.category.bath').reason).toEqual({ zh: '洗浴用品近期很受关注', en: 'The bath category has been drawing interest lately' });
    expect(space.spec('product.category.stroller').reason!.en).toBe('The strollers category has been drawing interest lately');
    for (const f of FEATURES) {
      expect(f.label.zh.length && f.label.en.length).toBeGreaterThan(0);
      if (f.reason) expect(f.reason.zh.length && f.reason.en.length).toBeGreaterThan(0);
    }
  });

  it('starts every English reason with a capital letter: each stands as an item of its own in the list', () => {
    const lower = FEATURES.filter((f) => f.reason && !/^\p{Lu}/u.test(f.reason.en)).map((f) => f.reason!.en);
    expect(lower).toEqual([]);
  });

  it('addresses the viewer as 您 in every Chinese reason, as the live room and its privacy dialogs do', () => {
    const informal = FEATURES.filter((f) => f.reason?.zh.includes('你')).map((f) => f.reason!.zh);
    expect(informal).toEqual([]);
  });

  it('marks behaviour and profile features personal, product and room ones not', () => {
    const space = defaultFeatureSpace();
    expect(isPersonal('behaviour.tag_weight')).toBe(true);
    expect(isPersonal('profile.religion')).toBe(true);
    expect(isPersonal('room.pinned')).toBe(false);
    expect(isPersonal('product.on_sale')).toBe(false);
    expect(isPersonal('bias')).toBe(false);
    expect(space.isPersonal('behaviour.viewed_this')).toBe(true);
    for (let i = 0; i < space.dim; i++) expect(space.personal[i] === 1).toBe(isPersonal(space.names[i]!));
    const x = space.encode({ 'behaviour.viewed_this': 1, 'room.pinned': 1 });
    const y = space.withoutPersonal(x);
    expect(y[space.indexOf('behaviour.viewed_this')]).toBe(0);
    expect(y[space.indexOf('room.pinned')]).toBe(1);
  });
});

describe('the allow-list (A7)', () => {
  const religion = SENSITIVE_FEATURES.find((f) => f.name === 'profile.religion')!;

  it('refuses every sensitive feature without separate consent, and accepts it with consent for that feature', () => {
    expect(SENSITIVE_FEATURES.map((f) => f.name)).toEqual(
      expect.arrayContaining(['profile.health_condition', 'profile.precise_location', 'profile.religion', 'profile.financial_account']),
    );
    for (const s of SENSITIVE_FEATURES) {
      expect(() => new FeatureSpace([...FEATURES, s])).toThrow(SensitiveFeatureError);
      expect(() => new FeatureSpace([...FEATURES, s], { separateConsent: new Set(['profile.some_other']) })).toThrow(SensitiveFeatureError);
      // allowUnlisted is not a way around consent
      expect(() => new FeatureSpace([s], { allowUnlisted: true })).toThrow(SensitiveFeatureError);
      const space = new FeatureSpace([...FEATURES, s], { separateConsent: new Set([s.name]) });
      expect(space.names).toContain(s.name);
      expect(space.isPersonal(s.name)).toBe(true);
    }
  });

  it('refuses a sensitive name relabelled as not sensitive', () => {
    const disguised: FeatureSpec = { ...religion, sensitive: false };
    expect(() => new FeatureSpace([disguised])).toThrow(SensitiveFeatureError);
    expect(() => new FeatureSpace([disguised], { allowUnlisted: true })).toThrow(SensitiveFeatureError);
    expect(codeOf(() => new FeatureSpace([disguised], { separateConsent: new Set([religion.name]) }))).toBe('SPEC_MISMATCH');
  });

  it('refuses a listed feature moved to another group', () => {
    expect(codeOf(() => new FeatureSpace([{ ...ALLOWED_FEATURES[20]!, group: 'profile' }]))).toBe('SPEC_MISMATCH');
  });

  it('refuses unlisted names unless allowUnlisted, and an unlisted spec marked sensitive still needs consent', () => {
    const dataset: FeatureSpec = { name: 'obd.user_feature_0', group: 'profile', sensitive: false, label: { zh: '用户特征 0', en: 'user feature 0' } };
    expect(codeOf(() => new FeatureSpace([dataset]))).toBe('UNLISTED_FEATURE');
    expect(new FeatureSpace([dataset], { allowUnlisted: true }).names).toEqual(['bias', 'obd.user_feature_0']);
    expect(() => new FeatureSpace([{ ...dataset, sensitive: true }], { allowUnlisted: true })).toThrow(SensitiveFeatureError);
  });

  it('refuses duplicates and keeps bias single and first', () => {
    expect(codeOf(() => new FeatureSpace([FEATURES[3]!, FEATURES[3]!]))).toBe('DUPLICATE_FEATURE');
    const space = new FeatureSpace([FEATURES[5]!, FEATURES[0]!]);
    expect(space.names).toEqual(['bias', FEATURES[5]!.name]);
  });
});

describe('encode', () => {
  const space = defaultFeatureSpace();

  it('puts values at their index, 0 for missing names and 1 for bias', () => {
    const x = space.encode({ 'room.pinned': 1, 'room.popular_5m': 0.25 });
    expect(x).toBeInstanceOf(Float64Array);
    expect(x.length).toBe(space.dim);
    expect(x[0]).toBe(1);
    expect(x[space.indexOf('room.pinned')]).toBe(1);
    expect(x[space.indexOf('room.popular_5m')]).toBe(0.25);
    expect(x.reduce((s, v) => s + v, 0)).toBe(2.25);
  });

  it('throws for an unknown name, a non-finite value or a bias other than 1', () => {
    expect(codeOf(() => space.encode({ 'room.pinnned': 1 }))).toBe('UNKNOWN_FEATURE');
    expect(codeOf(() => space.encode({ 'profile.religion': 1 }))).toBe('UNKNOWN_FEATURE');
    expect(codeOf(() => space.indexOf('nope'))).toBe('UNKNOWN_FEATURE');
    expect(codeOf(() => space.encode({ 'room.pinned': Number.NaN }))).toBe('INVALID_VALUE');
    expect(codeOf(() => space.encode({ bias: 0 }))).toBe('INVALID_VALUE');
    expect(space.encode({ bias: 1 })[0]).toBe(1);
  });

  it('round-trips any assignment of known names (property)', () => {
    const names = space.names.slice(1);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), fc.double({ min: -10, max: 10, noNaN: true })), (values) => {
        const x = space.encode(values);
        for (let i = 1; i < space.dim; i++) expect(x[i]).toBe(values[space.names[i]!] ?? 0);
        expect(x[0]).toBe(1);
      }),
    );
  });
});

describe('pinnedRecency', () => {
  it('is 1 at pin time, halves every half-life and is 0 when never pinned', () => {
    expect(pinnedRecency(0)).toBe(1);
    expect(pinnedRecency(5)).toBeCloseTo(0.5, 12);
    expect(pinnedRecency(10, 10)).toBeCloseTo(0.5, 12);
    expect(pinnedRecency(undefined)).toBe(0);
    expect(pinnedRecency(-3)).toBe(1);
    expect(() => pinnedRecency(1, 0)).toThrow(RangeError);
  });
});

describe('the category names', () => {
  /** The pages' names for the categories (web i18n `category.*`). */
  const pageNames = (file: string) =>
    (JSON.parse(readFileSync(new URL(`../../../../web/src/i18n/${file}`, import.meta.url), 'utf8')) as { category: Record<string, string> }).category;
  /** The pages name a category on its own ("Baby skincare"); explanations use it inside a sentence ("baby skincare have …"). */
  const asHeading = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

  it('are the words the pages show (web i18n), in both languages, for every category and no other', () => {
    const zh = pageNames('zh-CN.json');
    const en = pageNames('en.json');
    expect(Object.keys(zh).sort()).toEqual([...PRODUCT_CATEGORIES].sort());
    expect(Object.keys(en).sort()).toEqual([...PRODUCT_CATEGORIES].sort());
    for (const category of PRODUCT_CATEGORIES) {
      const words = categoryWords(category);
      expect(zh[category], category).toBe(words?.zh);
      expect(en[category], category).toBe(asHeading(words?.en ?? ''));
    }
  });
});
