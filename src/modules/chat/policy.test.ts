import { describe, expect, it } from 'vitest';
import { checkNickname, checkText, cleanText, containsLink, DEFAULT_KEYWORDS, defaultNickname, freshPace, isSafeLink, KeywordFilter, takePace } from './policy.js';

const filter = new KeywordFilter(DEFAULT_KEYWORDS);
const viewer = { maxLength: 20, staff: false, filter };

describe('cleaning and checking chat text', () => {
  it('drops invisible characters, collapses spaces and refuses what is empty once cleaned', () => {
    expect(cleanText('  你好\u200b\u202e  世界 \r\n\r\n\r\n\r\n再见  ')).toBe('你好 世界\n\n再见');
    expect(checkText(' \u200b\u3000 ', viewer)).toMatchObject({ ok: false, code: 'CHAT_EMPTY' });
    expect(checkText('a\u0007b', viewer)).toMatchObject({ ok: false, code: 'CHAT_EMPTY' });
  });

  it('counts length in code points (an emoji or a Han character is one)', () => {
    expect(checkText('👍'.repeat(20), viewer)).toMatchObject({ ok: true });
    expect(checkText('好'.repeat(21), viewer)).toMatchObject({ ok: false, code: 'CHAT_TOO_LONG' });
  });

  it('finds links, jump codes and inline images however they are written (LC6)', () => {
    for (const t of [
      'https://a.example.com',
      'HTTP://X.CN',
      'www.example.com',
      'www。example。com',
      'taobao.com',
      'taobao 点 com',
      'shop．example．cn/abc',
      'weixin://dl/x',
      'data:image/png;base64,AAAA',
      '￥AbCdEf12345￥',
      'ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ',
    ]) {
      expect(containsLink(t), t).toBe(true);
    }
    for (const t of ['这个 3.5kg 的推车', '价格 129.9 元', 'size 0-6m', '我在 5.com 楼下', 'e.g. it works', '好用!!!']) {
      expect(containsLink(t), t).toBe(t === '我在 5.com 楼下');
    }
    expect(checkText('www.example.com', viewer)).toMatchObject({ ok: false, code: 'CHAT_LINK_NOT_ALLOWED' });
    expect(checkText('www.example.com', { ...viewer, staff: true })).toMatchObject({ ok: true });
  });

  it('accepts only http(s) links without credentials from staff', () => {
    expect(isSafeLink('https://coupon.example.cn/x?y=1')).toBe(true);
    expect(isSafeLink('javascript:alert(1)')).toBe(false);
    expect(isSafeLink('https://user:pw@example.com')).toBe(false);
    expect(isSafeLink('not a url')).toBe(false);
  });
});

describe('the keyword filter', () => {
  it('matches Chinese through spaces and symbols, English as whole words with common swaps undone', () => {
    expect(filter.match('傻 * 逼')).toBe('傻逼');
    expect(filter.match('加 V 私聊')).toBe('加v');
    expect(filter.match('What a B1TCH')).toBe('bitch');
    expect(filter.match('kill   yourself')).toBe('kill yourself');
    expect(filter.match('a classic assessment of the dickens novel')).toBeUndefined();
    expect(filter.match('这个推车真好')).toBeUndefined();
  });

  it('refuses a message with a listed word, and says which word without the message', () => {
    expect(checkText('你个傻逼', viewer)).toMatchObject({ ok: false, code: 'CHAT_BLOCKED_WORDS', keyword: '傻逼' });
  });
});

describe('pace: the rate limit and slow mode', () => {
  const limits = { perMinute: 60, burst: 3, slowModeSeconds: 0 };
  it('allows a burst, then one message a second', () => {
    const pace = freshPace(3, 0);
    expect([0, 0, 0].map((t) => takePace(pace, t, limits).ok)).toEqual([true, true, true]);
    expect(takePace(pace, 10, limits)).toMatchObject({ ok: false, code: 'CHAT_RATE_LIMITED', retryAfterSeconds: 1 });
    expect(takePace(pace, 1010, limits).ok).toBe(true);
  });

  it('in slow mode allows one message per interval and says how long to wait', () => {
    const pace = freshPace(3, 0);
    const slow = { ...limits, slowModeSeconds: 10 };
    expect(takePace(pace, 1000, slow).ok).toBe(true);
    expect(takePace(pace, 4000, slow)).toMatchObject({ ok: false, code: 'CHAT_SLOW_MODE', retryAfterSeconds: 7 });
    expect(takePace(pace, 11_000, slow).ok).toBe(true);
  });
});

describe('nicknames', () => {
  it('keeps a clean nickname, refuses links, blocked words and long ones, and gives a default', () => {
    expect(checkNickname(' 小 明 ', filter)).toBe('小 明');
    expect(checkNickname('www.spam.com', filter)).toBeUndefined();
    expect(checkNickname('傻逼', filter)).toBeUndefined();
    expect(checkNickname('长'.repeat(21), filter)).toBeUndefined();
    expect(defaultNickname('abc-def_1234')).toBe('观众1234');
  });
});
