/**
 * One i18next instance for every page. Simplified Chinese is the default; the viewer's choice is kept
 * in localStorage (`qingliu.locale`) and mirrored on `<html lang>`; a link's `?lang=` wins for its view.
 */
import i18next from 'i18next';
import zhCN from './zh-CN.json';
import en from './en.json';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
export const LOCALE_STORAGE_KEY = 'qingliu.locale';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof zhCN };
  }
}

export function isLocale(value: unknown): value is Locale {
  return value === 'zh-CN' || value === 'en';
}

function storedLocale(): Locale {
  try {
    const value = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY);
    return isLocale(value) ? value : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE; // storage can be blocked (private mode, sandboxed frames)
  }
}

/**
 * The language a link asks for (`?lang=en`, e.g. one shared with an English-speaking reader): every
 * page is shown in it for that view, without changing the stored choice. Anything else is ignored.
 */
export function localeAsked(search: string): Locale | undefined {
  const asked = new URLSearchParams(search).get('lang');
  return isLocale(asked) ? asked : undefined;
}

export const i18n = i18next.createInstance();
void i18n.init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: localeAsked(globalThis.location?.search ?? '') ?? storedLocale(),
  fallbackLng: DEFAULT_LOCALE,
  supportedLngs: LOCALES,
  // Preact escapes text it renders; escaping here too would show entities.
  interpolation: { escapeValue: false },
  initAsync: false,
});

export const t = i18n.t.bind(i18n);

export function currentLocale(): Locale {
  return isLocale(i18n.language) ? i18n.language : DEFAULT_LOCALE;
}

export function setLocale(locale: Locale): void {
  try {
    globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, locale);
  } catch {
    // not persisted; the switch still works for this page view
  }
  void i18n.changeLanguage(locale);
}

/** Keeps `<html lang>` in step with the language, now and on every change. */
export function syncDocumentLanguage(doc: Document): void {
  const apply = (): void => {
    doc.documentElement.lang = currentLocale();
  };
  apply();
  i18n.on('languageChanged', apply);
}

/** A product's name or any `{zh, en}` pair in the current language. */
export function pick(text: { zh: string; en: string }): string {
  return currentLocale() === 'en' ? text.en || text.zh : text.zh || text.en;
}

type CategoryKey = keyof typeof zhCN.category;
type ErrorCodeKey = keyof typeof zhCN.errors.codes;
type RegionKey = keyof typeof zhCN.common.regions;

/** Category label; an unknown category shows its raw key. */
export function categoryLabel(category: string): string {
  return Object.hasOwn(zhCN.category, category) ? t(`category.${category as CategoryKey}`) : category;
}

/** A data region's name (`cn-mainland` → 中国大陆), as every page says it; a region the pages do not name stays as configured. */
export function regionName(region: string): string {
  if (Object.hasOwn(zhCN.common.regions, region)) return t(`common.regions.${region as RegionKey}`);
  // A two-letter id is a country or territory code (a cross-border recipient's "sg"): named by the browser's
  // own data (Hong Kong, Macao and Taiwan are named above, as China's; "zz" is no region).
  if (/^[a-z]{2}$/.test(region) && region !== 'zz') {
    try {
      const name = new Intl.DisplayNames([currentLocale()], { type: 'region', fallback: 'none' }).of(region.toUpperCase());
      if (name) return name;
    } catch {
      // No region names in this browser: the id as configured.
    }
  }
  return region;
}

type LanguageKey = keyof typeof zhCN.privacy.data.values.locale;

/** A request's or record's language by name (简体中文, 英文); an unknown one as it is. */
export function languageName(locale: string): string {
  return Object.hasOwn(zhCN.privacy.data.values.locale, locale) ? t(`privacy.data.values.locale.${locale as LanguageKey}`) : locale;
}

type GroupValues = Readonly<Record<string, Readonly<Record<string, string>> | undefined>>;

/**
 * A fairness group's name: a segment value or price band (fairness.groupValues), a category's
 * label; anything else (a seller, an unknown value) as it is.
 */
export function groupValueLabel(dimension: string, group: string): string {
  if (dimension === 'category') return categoryLabel(group);
  const values = (zhCN.fairness.groupValues as GroupValues)[dimension];
  return values !== undefined && Object.hasOwn(values, group) ? i18n.t(`fairness.groupValues.${dimension}.${group}`, { defaultValue: group }) : group;
}

/** A translated message for a known problem code, or null. */
export function errorCodeMessage(code: string): string | null {
  return Object.hasOwn(zhCN.errors.codes, code) ? t(`errors.codes.${code as ErrorCodeKey}`) : null;
}
