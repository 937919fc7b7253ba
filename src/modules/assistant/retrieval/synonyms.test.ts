import { describe, expect, it } from 'vitest';
import { detectIntents, expandSynonyms, hasDeixis, tokenize, withinOneEdit, type Intent } from './index.js';

const top = (q: string): Intent | undefined => detectIntents(tokenize(q))[0]?.intent;

describe('detectIntents', () => {
  it.each([
    ['这个多少钱？', 'price'],
    ['贵不贵啊', 'price'],
    ['how much is it', 'price'],
    ['还有货吗', 'stock'],
    ['卖完了吗', 'stock'],
    ['is it still in stock?', 'stock'],
    ['sold out?', 'stock'],
    ['宝宝几个月可以用', 'age'],
    ['3岁能用吗', 'age'],
    ['is it ok for a newborn', 'age'],
    ['是什么材质的', 'material'],
    ['成分安全吗', 'material'],
    ['what is it made of', 'material'],
    ['尺码怎么选', 'size'],
    ['容量多大', 'size'],
    ['what size is it', 'size'],
    ['怎么用', 'usage'],
    ['how to use this', 'usage'],
    ['包邮吗', 'shipping'],
    ['几天发货，用什么快递', 'shipping'],
    ['delivery to Beijing?', 'shipping'],
    ['支持七天无理由退货吗', 'returns'],
    ['can I get a refund', 'returns'],
  ] as const)('%s → %s', (q, intent) => {
    expect(top(q)).toBe(intent);
  });

  it.each([
    ['多少前', 'price'], // 钱 → 前 (qian)
    ['有或吗', 'stock'], // 货 → 或 (huo)
    ['有没有酷存', 'stock'], // 库 → 酷 (ku)
    ['包油吗', 'shipping'], // 邮 → 油 (you)
    ['what is the pirce', 'price'], // transposition
    ['shiping to shanghai', 'shipping'], // deletion
    ['can I get a refnd', 'returns'],
  ] as const)('tolerates the typo in %s → %s, at a lower score', (q, intent) => {
    const [first] = detectIntents(tokenize(q));
    expect(first?.intent).toBe(intent);
    expect(first?.score).toBeLessThan(1);
  });

  it('ranks several intents and returns none for a plain product name', () => {
    const intents = detectIntents(tokenize('尿不湿M码多少钱，还有货吗')).map((i) => i.intent);
    expect(intents).toEqual(expect.arrayContaining(['price', 'stock', 'size']));
    expect(detectIntents(tokenize('婴儿推车'))).toEqual([]);
    expect(detectIntents(tokenize('多少个月能用'))[0]?.intent).toBe('age');
  });
});

describe('synonym phrases', () => {
  it('match a multi-word English synonym only when its words are adjacent', () => {
    expect(expandSynonyms(tokenize('the infant carrier'))).toContain('提篮');
    // "baby … carrier" is not "baby carrier".
    expect(expandSynonyms(tokenize('can my baby be in the infant carrier'))).not.toContain('腰凳');
    expect(expandSynonyms(tokenize('a baby carrier'))).toContain('腰凳');
  });
});

describe('synonyms and deixis', () => {
  it('expands colloquial product words to the catalogue vocabulary', () => {
    expect(expandSynonyms(tokenize('尿不湿'))).toEqual(expect.arrayContaining(['纸尿', '尿裤', 'diaper']));
    expect(expandSynonyms(tokenize('nappies'))).toEqual(expect.arrayContaining(['纸尿', 'diaper']));
    expect(expandSynonyms(tokenize('crib'))).toEqual(expect.arrayContaining(['cot', '婴儿']));
    expect(expandSynonyms(tokenize('多少钱'))).toEqual([]);
  });

  it('detects words pointing at the item on show', () => {
    for (const q of ['这个多少钱', '这款有货吗', '它几个月能用', 'how much is this', 'is it in stock']) expect(hasDeixis(q)).toBe(true);
    for (const q of ['推车多少钱', 'stroller price', 'item list']) expect(hasDeixis(q)).toBe(false);
  });

  it('measures one edit including transpositions', () => {
    expect(withinOneEdit('price', 'pirce')).toBe(true);
    expect(withinOneEdit('shipping', 'shiping')).toBe(true);
    expect(withinOneEdit('refund', 'refunds')).toBe(true);
    expect(withinOneEdit('price', 'prize')).toBe(true);
    expect(withinOneEdit('price', 'pride!')).toBe(false);
    expect(withinOneEdit('stock', 'sotkc')).toBe(false);
  });
});
