import { describe, expect, it } from 'vitest';
import { attributeLabel, closeSentence, formatAgeRange, formatMoney, sentences } from './format.js';

describe('formatMoney', () => {
  it('writes fen as yuan: whole amounts without decimals, others with two, no thousands separator', () => {
    expect(formatMoney(129_900)).toBe('¥1299');
    expect(formatMoney(3_990)).toBe('¥39.90');
    expect(formatMoney(5)).toBe('¥0.05');
  });
});

describe('formatAgeRange', () => {
  it('gives months as stored, and years when both ends are whole years', () => {
    expect(formatAgeRange(0, 36, 'zh-CN')).toBe('0–36 个月（0–3 岁）');
    expect(formatAgeRange(6, 36, 'en')).toBe('6–36 months');
    expect(formatAgeRange(36, 72, 'en')).toBe('36–72 months (3–6 years)');
    expect(formatAgeRange(0, 12, 'en')).toBe('0–12 months');
  });
});

describe('sentences and labels', () => {
  it('splits at sentence ends, not inside numbers or "e.g."', () => {
    expect(sentences('整车仅 4.9 公斤，可单手提起。配有储物篮。')).toEqual(['整车仅 4.9 公斤，可单手提起。', '配有储物篮。']);
    expect(sentences('At 4.9 kg it is light. Size 66 fits, e.g. most babies. Done')).toEqual(['At 4.9 kg it is light.', 'Size 66 fits, e.g. most babies.', 'Done']);
  });

  it('closes a clause once, in the language’s way', () => {
    expect(closeSentence('材质：棉', 'zh-CN')).toBe('材质：棉。');
    expect(closeSentence('Size S (4–8 kg)', 'en')).toBe('Size S (4–8 kg).');
    expect(closeSentence('Done.', 'en')).toBe('Done.');
  });

  it('labels known attribute keys and spells out others', () => {
    expect(attributeLabel('material', 'zh-CN')).toBe('材质');
    expect(attributeLabel('measurementRange', 'en')).toBe('Measurement range');
    expect(attributeLabel('strapLength', 'en')).toBe('Strap length');
  });
});
