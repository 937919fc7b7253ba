/**
 * Regions by name in Chinese and English: the deployment's data region (a label such as
 * `cn-mainland`) and cross-border recipients' regions, whose two-letter ids are country or territory
 * codes named from Node's own region data (Intl.DisplayNames). Hong Kong, Macao and Taiwan are named
 * as China's. Any other id is shown as configured. The pages name regions the same way
 * (web/src/i18n, common.regions and regionName).
 */
import type { Locale } from '../context/index.js';

const NAMED: Readonly<Record<string, { zh: string; en: string }>> = {
  'cn-mainland': { zh: '中国大陆', en: 'mainland China' },
  hk: { zh: '中国香港', en: 'Hong Kong, China' },
  mo: { zh: '中国澳门', en: 'Macao, China' },
  tw: { zh: '中国台湾', en: 'Taiwan, China' },
};

const displayNames = new Map<Locale, Intl.DisplayNames>();

export function regionName(region: string, locale: Locale): string {
  const named = NAMED[region];
  if (named && Object.hasOwn(NAMED, region)) return locale === 'zh-CN' ? named.zh : named.en;
  if (/^[a-z]{2}$/.test(region) && region !== 'zz') {
    let names = displayNames.get(locale);
    if (!names) displayNames.set(locale, (names = new Intl.DisplayNames([locale], { type: 'region', fallback: 'none' })));
    const name = names.of(region.toUpperCase());
    if (name) return name;
  }
  return region;
}
