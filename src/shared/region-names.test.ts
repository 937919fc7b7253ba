import { describe, expect, it } from 'vitest';
import { regionName } from './region-names.js';

describe('regionName', () => {
  it('names the data region and recipients’ country codes in either language', () => {
    expect(regionName('cn-mainland', 'zh-CN')).toBe('中国大陆');
    expect(regionName('cn-mainland', 'en')).toBe('mainland China');
    expect(regionName('sg', 'zh-CN')).toBe('新加坡');
    expect(regionName('sg', 'en')).toBe('Singapore');
    expect(['hk', 'mo', 'tw'].map((r) => regionName(r, 'zh-CN'))).toEqual(['中国香港', '中国澳门', '中国台湾']);
    expect(regionName('tw', 'en')).toBe('Taiwan, China');
  });

  it('leaves an id that is no known region as configured', () => {
    expect(regionName('eu-west', 'zh-CN')).toBe('eu-west');
    expect(regionName('xx', 'en')).toBe('xx');
    expect(regionName('zz', 'zh-CN')).toBe('zz');
    expect(regionName('constructor', 'en')).toBe('constructor');
  });
});
