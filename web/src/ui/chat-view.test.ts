import { describe, expect, it } from 'vitest';
import { i18n } from '../i18n/index.ts';
import {
  AI_LABEL,
  AI_LABEL_PREFIX,
  chatErrorText,
  chatLength,
  cleanNickname,
  defaultNickname,
  escapeHtml,
  excerpt,
  handoffReasonText,
  isAssistantMention,
  keywordLines,
  labelledCopyText,
  qrShape,
  readNickname,
  safeLinkHref,
  secondsFromDetail,
  sourceFieldKey,
  writeNickname,
  type NicknameStorage,
} from './chat-view.ts';

describe('labelledCopyText', () => {
  it('puts the label in front of the selected words', () => {
    expect(labelledCopyText('售价 129 元', '这款奶瓶售价 129 元。')).toBe(`${AI_LABEL_PREFIX}售价 129 元`);
  });

  it('copies the whole message when nothing is selected', () => {
    expect(labelledCopyText('', '这款奶瓶售价 129 元。')).toBe(`${AI_LABEL_PREFIX}这款奶瓶售价 129 元。`);
    expect(labelledCopyText('  \n', 'all')).toBe(`${AI_LABEL_PREFIX}all`);
  });

  it('keeps one label when the selection took the visible badge along', () => {
    expect(labelledCopyText(`${AI_LABEL} 售价 129 元`, 'x')).toBe(`${AI_LABEL_PREFIX}售价 129 元`);
    expect(labelledCopyText(`${AI_LABEL_PREFIX}售价`, 'x')).toBe(`${AI_LABEL_PREFIX}售价`);
  });

  it('escapes text for an html clipboard entry', () => {
    expect(escapeHtml('<img src=x onerror="a()">&\'')).toBe('&#60;img src=x onerror=&#34;a()&#34;&#62;&#38;&#39;');
  });
});

describe('nicknames', () => {
  it('defaults to 观众 and four unambiguous characters', () => {
    expect(defaultNickname(() => 0)).toBe('观众AAAA');
    expect(defaultNickname(() => 0.999)).toBe('观众9999');
    expect(defaultNickname()).toMatch(/^观众[A-HJKMNP-Z2-9]{4}$/);
  });

  it('cleans typed nicknames to at most 20 characters, empty → null', () => {
    expect(cleanNickname('  小  明 ')).toBe('小 明');
    expect(cleanNickname('   ')).toBeNull();
    expect(cleanNickname('长'.repeat(30))).toBe('长'.repeat(20));
    expect(cleanNickname('😀'.repeat(25))).toHaveLength(40); // 20 code points, 2 UTF-16 units each
  });

  it('is kept in storage, and blocked storage is survived', () => {
    const map = new Map<string, string>();
    const storage: NicknameStorage = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
    expect(readNickname(storage)).toBeNull();
    writeNickname('小明', storage);
    expect(readNickname(storage)).toBe('小明');
    const blocked: NicknameStorage = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('blocked');
      },
    };
    expect(readNickname(blocked)).toBeNull();
    expect(() => writeNickname('x', blocked)).not.toThrow();
  });
});

describe('composing', () => {
  it('recognises a public question to the assistant', () => {
    expect(isAssistantMention('@助手 这个多少钱')).toBe(true);
    expect(isAssistantMention('  ＠助手这个多少钱')).toBe(true);
    expect(isAssistantMention('@assistant how much?')).toBe(true);
    expect(isAssistantMention('@Assistant, how much?')).toBe(true);
    expect(isAssistantMention('@assistants rock')).toBe(false);
    expect(isAssistantMention('问一下 @助手')).toBe(false);
  });

  it('shortens a message to its first words', () => {
    expect(excerpt('  这款 \n 奶瓶  ')).toBe('这款 奶瓶');
    expect(excerpt('一二三四五六', 4)).toBe('一二三四…');
  });

  it('counts code points', () => {
    expect(chatLength('好😀')).toBe(2);
  });

  it('reads the seconds a slow-mode refusal names', () => {
    expect(secondsFromDetail('Slow mode: wait 7 s')).toBe(7);
    expect(secondsFromDetail('wait 2.3 seconds')).toBe(3);
    expect(secondsFromDetail('slow mode')).toBeNull();
  });
});

describe('staff links', () => {
  it('allows http and https only', () => {
    expect(safeLinkHref('https://shop.example.com/p/1')).toBe('https://shop.example.com/p/1');
    expect(safeLinkHref('http://example.com')).toBe('http://example.com/');
    expect(safeLinkHref('javascript:alert(1)')).toBeNull();
    expect(safeLinkHref('data:text/html,<b>x</b>')).toBeNull();
    expect(safeLinkHref('not a url')).toBeNull();
  });

  it('draws a QR code as one path of unit squares inside its size', () => {
    const shape = qrShape('https://shop.example.com/p/1');
    // A QR version's side is 17 + 4 × version modules, plus a two-module border on each side.
    expect((shape.size - 4 - 17) % 4).toBe(0);
    expect(shape.size).toBeGreaterThanOrEqual(21 + 4);
    const squares = shape.path.match(/M(\d+) (\d+)h1v1h-1z/g) ?? [];
    expect(squares.length).toBeGreaterThan(100);
    expect(squares.join('')).toBe(shape.path);
    for (const square of squares) {
      const [, x, y] = /M(\d+) (\d+)/.exec(square)!;
      expect(Number(x)).toBeGreaterThanOrEqual(2);
      expect(Number(y)).toBeLessThan(shape.size - 2);
    }
    expect(qrShape('https://shop.example.com/p/2').path).not.toBe(shape.path);
  });
});

describe('keywordLines', () => {
  it('takes one keyword a line, trimmed, without blanks or repeats', () => {
    expect(keywordLines(' 微信 \r\n\n加我\n微信\n  ')).toEqual(['微信', '加我']);
    expect(keywordLines('')).toEqual([]);
  });
});

describe('handoffReasonText', () => {
  it('names the reasons it knows and shows others as sent', () => {
    expect(handoffReasonText('asked_for_person')).toBe('观众要求人工回答');
    expect(handoffReasonText('something_new')).toBe('something_new');
    expect(handoffReasonText('toString')).toBe('toString');
  });

  it('says of a question the product data does not answer that the data lacks it, not that the product is missing', async () => {
    // The assistant hands off with `not_in_catalogue` when a product it found has no data for the question.
    expect(handoffReasonText('not_in_catalogue')).toBe('商品资料里没有这项信息');
    try {
      await i18n.changeLanguage('en');
      expect(handoffReasonText('not_in_catalogue')).toBe('The product information does not cover it');
    } finally {
      await i18n.changeLanguage('zh-CN');
    }
  });
});

describe('sourceFieldKey', () => {
  it('names the fields it knows, and only those', () => {
    expect(sourceFieldKey('priceFen')).toBe('price');
    expect(sourceFieldKey('price')).toBe('price');
    expect(sourceFieldKey('attributes.material')).toBe('attributes');
    expect(sourceFieldKey('ageMinMonths')).toBe('age');
    expect(sourceFieldKey('faqs')).toBe('faq');
    expect(sourceFieldKey('answer.zh')).toBe('faq');
    expect(sourceFieldKey('listPriceFen')).toBe('listPrice');
    expect(sourceFieldKey('warranty')).toBeNull();
    expect(sourceFieldKey('constructor')).toBeNull();
  });
});

describe('chatErrorText', () => {
  it('names the seconds of a slow-mode wait, translates chat codes, and falls back to the server’s words', () => {
    expect(chatErrorText({ code: 'CHAT_SLOW_MODE', detail: 'Slow mode: wait 7 s' })).toBe('慢速模式已开启，请 7 秒后再发送');
    expect(chatErrorText({ code: 'CHAT_SLOW_MODE', detail: 'slow mode' })).toBe('慢速模式已开启，请稍后再发送');
    expect(chatErrorText({ code: 'CHAT_LINK_NOT_ALLOWED', detail: 'x' })).toBe('观众不能发送链接或二维码');
    expect(chatErrorText({ code: 'CHAT_SOMETHING_NEW', detail: 'As the server said' })).toBe('As the server said');
  });
});
