import { describe, expect, it } from 'vitest';
import en from './en.json';
import zhCN from './zh-CN.json';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string): string[] => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? '').sort();

const zh = flatten(zhCN);
const english = flatten(en);

describe('message catalogues', () => {
  it('zh-CN and en have exactly the same keys', () => {
    const onlyZh = [...zh.keys()].filter((k) => !english.has(k));
    const onlyEn = [...english.keys()].filter((k) => !zh.has(k));
    expect({ onlyZh, onlyEn }).toEqual({ onlyZh: [], onlyEn: [] });
  });

  it('has no empty strings', () => {
    const empty = [...zh, ...english].filter(([, text]) => text.trim() === '').map(([key]) => key);
    expect(empty).toEqual([]);
  });

  it('uses the same placeholders in both languages', () => {
    const mismatched = [...zh.keys()].filter((key) => placeholders(zh.get(key) ?? '').join() !== placeholders(english.get(key) ?? '').join());
    expect(mismatched).toEqual([]);
  });

  it('names every product category', () => {
    const categories = ['stroller', 'car_seat', 'carrier', 'diapers', 'wipes', 'bottles', 'feeding', 'skincare', 'bath', 'clothing', 'sleep', 'toys', 'health'];
    for (const category of categories) {
      expect(zh.has(`category.${category}`), category).toBe(true);
    }
  });

  it('has a Chinese default that is actually Chinese', () => {
    expect(zh.get('live.actions.addToCart')).toBe('加入购物车');
    expect(zh.get('common.localeSwitch.text')).toBe('EN');
    expect(english.get('common.localeSwitch.text')).toBe('中文');
  });
});
