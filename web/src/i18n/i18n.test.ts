import { afterEach, describe, expect, it } from 'vitest';
import { categoryLabel, currentLocale, errorCodeMessage, i18n, localeAsked, pick, t } from './index.ts';

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

describe('i18n', () => {
  it('defaults to Simplified Chinese', () => {
    expect(currentLocale()).toBe('zh-CN');
    expect(t('common.status.live')).toBe('直播中');
  });

  it('takes the language a link asks for, and only a known one', () => {
    expect(localeAsked('?lang=en')).toBe('en');
    expect(localeAsked('?brand=demo-brand&lang=zh-CN')).toBe('zh-CN');
    expect(localeAsked('?lang=fr')).toBeUndefined();
    expect(localeAsked('')).toBeUndefined();
  });

  it('switches to English and interpolates', async () => {
    await i18n.changeLanguage('en');
    expect(t('live.flash.remaining', { n: 3 })).toBe('Only 3 left');
    expect(pick({ zh: '奶瓶', en: 'Bottle' })).toBe('Bottle');
  });

  it('translates known categories and shows unknown ones raw', () => {
    expect(categoryLabel('car_seat')).toBe('安全座椅');
    expect(categoryLabel('telescopes')).toBe('telescopes');
    expect(categoryLabel('toString')).toBe('toString');
  });

  it('translates known problem codes only', () => {
    expect(errorCodeMessage('PRODUCT_SOLD_OUT')).toBe('商品已售罄');
    expect(errorCodeMessage('SOMETHING_NEW')).toBeNull();
  });
});
