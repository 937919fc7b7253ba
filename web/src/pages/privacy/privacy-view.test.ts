import { afterEach, describe, expect, it } from 'vitest';
import { PURPOSE_NOTICES } from '../../../../src/modules/consent/purposes.ts';
import { i18n, regionName } from '../../i18n/index.ts';
import {
  assistantMemoryOf,
  DEFAULT_BRAND,
  DETAILS_MAX,
  downloadName,
  erasureLines,
  hashPrefix,
  isEmptyRecord,
  otherCategories,
  parsePrivacyQuery,
  privacyRoute,
  recordFields,
  sectionsOf,
  splitTag,
  ticketDetailsError,
  ticketsOf,
  type FieldView,
} from './privacy-view.ts';
import { ageBandName, consentMethodName, purposeName, purposeNames, recordText } from './record-text.ts';

describe('privacy centre view rules', () => {
  it('reads brand and from, defaulting the brand and dropping malformed ids', () => {
    expect(parsePrivacyQuery('?brand=acme&from=demo')).toEqual({ brandId: 'acme', from: 'demo' });
    expect(parsePrivacyQuery('')).toEqual({ brandId: DEFAULT_BRAND, from: null });
    expect(parsePrivacyQuery('?brand=../x&from=<script>')).toEqual({ brandId: DEFAULT_BRAND, from: null });
  });

  it('routes /privacy/rules to the rules page and everything else to the centre', () => {
    expect(privacyRoute('/privacy/rules')).toBe('rules');
    expect(privacyRoute('/privacy/rules/')).toBe('rules');
    expect(privacyRoute('/privacy')).toBe('centre');
    expect(privacyRoute('/privacy.html')).toBe('centre');
  });

  it('lists the export categories the page has no section for', () => {
    const data = {
      generatedAt: 'x',
      region: 'cn',
      subject: 's',
      profile: {},
      pseudonyms: [],
      consents: [],
      guardianConsents: [],
      events: [],
      feedback: [],
      tags: [],
      rights_tickets: [],
      transfers: [{ id: 't1', to: { region: 'eu' }, at: 1 }],
      note: 'plain',
      sections: { transfers: { label: { zh: '个人信息出境', en: 'Transfers out of the region' }, describe: { zh: '出境的年份', en: 'The years' } }, note: { label: { zh: '' } } },
    };
    expect(otherCategories(data)).toEqual([
      { category: 'transfers', label: '个人信息出境', describe: '出境的年份', records: [{ id: 't1', to: { region: 'eu' }, at: 1 }] },
      // Without a name in the page's language, the key itself.
      { category: 'note', label: 'note', describe: null, records: ['plain'] },
    ]);
    expect(otherCategories(data, 'en').map((o) => [o.label, o.describe])).toEqual([
      ['Transfers out of the region', 'The years'],
      ['note', null],
    ]);
    // An export without sections (an older server) still lists everything, under its keys.
    const { sections: _sections, ...older } = data;
    expect(otherCategories(older).map((o) => o.label)).toEqual(['transfers', 'note']);
    expect(ticketsOf({ rights_tickets: [{ id: 'a' }] })).toEqual([{ id: 'a' }]);
    expect(ticketsOf({})).toBeNull();
  });

  it('says a category holding only an empty record holds nothing (the cross-border record with no consents and no years)', () => {
    const data = { cross_border: [{ consents: [], counted: [] }], sections: {} };
    expect(otherCategories(data)).toEqual([{ category: 'cross_border', label: 'cross_border', describe: null, records: [] }]);
    const counted = { consents: [], counted: [{ year: 2026, kind: 'any', firstAt: 1 }] };
    expect(otherCategories({ cross_border: [counted] })[0]!.records).toEqual([counted]);
    expect(isEmptyRecord({ a: [], b: null, c: '', d: { e: [] } })).toBe(true);
    expect(isEmptyRecord({ a: 0 })).toBe(false);
    expect(isEmptyRecord({ a: false })).toBe(false);
  });

  it('takes the assistant memory from the chat records, where the export files it, and leaves it out of the chat section', () => {
    const session = { kind: 'session_memory', sessionId: 'demo', turns: [{ at: 1, productIds: ['p1'], intents: ['price'] }] };
    const kept = { kind: 'kept_memory', brandId: 'demo-brand', expiresAt: 2, turns: [{ at: 1, productIds: ['p1'], intents: ['price'] }] };
    const message = { kind: 'chat_message', sessionId: 'demo', at: 1, nickname: 'n', text: 'hi', status: 'visible' };
    const question = { kind: 'question_to_host', sessionId: 'demo', at: 1, question: 'q', status: 'open' };
    const data = { chat: [message, question, session, kept] };
    expect(assistantMemoryOf(data)).toEqual([session, kept]);
    expect(otherCategories(data)[0]!.records).toEqual([message, question]);
    // None held: an empty list, never a claim that contradicts the chat records.
    expect(assistantMemoryOf({ chat: [message] })).toEqual([]);
    expect(assistantMemoryOf({})).toEqual([]);
    // A list under a key of its own is read too.
    expect(assistantMemoryOf({ assistant_memory: [{ a: 1 }] })).toEqual([{ a: 1 }]);
  });

  it('names the sources of an erasure report as the export named them, and what is kept by its reason', () => {
    const sections = sectionsOf({
      sections: {
        chat: { label: { zh: '聊天与购物助手', en: 'Chat and the shopping assistant' }, describe: { zh: 'd', en: 'd' } },
        cross_border: { label: { zh: '个人信息出境', en: 'Transfers out of the region' }, describe: { zh: 'd', en: 'd' } },
      },
    });
    const report = {
      bySource: { chat: 2, cross_border: 0, newer: 1 },
      retained: [
        { category: 'consent_records', why: { zh: '同意与撤回记录以假名保存 3 年', en: 'Consent records are kept 3 years' } },
        { category: 'chat', why: { zh: '管理记录保存 3 年', en: 'The moderation log is kept 3 years' } },
      ],
    };
    expect(erasureLines(report, sections, 'zh-CN')).toEqual({
      deleted: [
        { category: 'chat', label: '聊天与购物助手', count: 2 },
        { category: 'cross_border', label: '个人信息出境', count: 0 },
        // A source the export never named keeps its key.
        { category: 'newer', label: 'newer', count: 1 },
      ],
      retained: [
        { category: 'consent_records', label: null, why: '同意与撤回记录以假名保存 3 年' },
        { category: 'chat', label: '聊天与购物助手', why: '管理记录保存 3 年' },
      ],
    });
    expect(erasureLines(report, sections, 'en').deleted.map((l) => l.label)).toEqual(['Chat and the shopping assistant', 'Transfers out of the region', 'newer']);
    expect(erasureLines(report, sections, 'en').retained[1]).toEqual({ category: 'chat', label: 'Chat and the shopping assistant', why: 'The moderation log is kept 3 years' });
    // Before the export has loaded (or from an older server), the keys.
    expect(erasureLines(report, sectionsOf({}), 'zh-CN').deleted.map((l) => l.label)).toEqual(['chat', 'cross_border', 'newer']);
  });

  it('checks ticket details like the server: 1–2000 characters, counted as code points', () => {
    expect(ticketDetailsError('')).toBe('required');
    expect(ticketDetailsError('   ')).toBe('required');
    expect(ticketDetailsError('请更正我的年龄')).toBeNull();
    expect(ticketDetailsError('字'.repeat(DETAILS_MAX))).toBeNull();
    expect(ticketDetailsError('😀'.repeat(DETAILS_MAX))).toBeNull();
    expect(ticketDetailsError('a'.repeat(DETAILS_MAX + 1))).toBe('tooLong');
  });

  it('takes a safe file name from content-disposition, else the fallback', () => {
    expect(downloadName('attachment; filename="qingliu-my-data-2026-11-29.csv"', 'f.csv')).toBe('qingliu-my-data-2026-11-29.csv');
    expect(downloadName(null, 'f.csv')).toBe('f.csv');
    expect(downloadName('attachment; filename="../../etc/passwd"', 'f.csv')).toBe('f.csv');
  });

  it('shortens hashes and splits tags', () => {
    expect(hashPrefix('a'.repeat(64))).toBe(`${'a'.repeat(12)}…`);
    expect(hashPrefix('abc')).toBe('abc');
    expect(splitTag('category:stroller')).toEqual({ kind: 'category', value: 'stroller' });
    expect(splitTag('plain')).toEqual({ kind: '', value: 'plain' });
  });
});

describe('records in words', () => {
  afterEach(async () => {
    await i18n.changeLanguage('zh-CN');
  });

  /** label: text, with records inside as nested arrays. */
  const plain = (fields: FieldView[]): unknown[] =>
    fields.map((f) => ('text' in f ? `${f.label}: ${f.text}` : 'record' in f ? [f.label, plain(f.record)] : [f.label, f.records.map(plain)]));
  const keysOf = (fields: FieldView[]): string[] => fields.flatMap((f) => [f.key, ...('record' in f ? keysOf(f.record) : 'records' in f ? f.records.flatMap(keysOf) : [])]);

  // Every kind of record the export holds (src/workflows/privacy.ts and the other modules' sources).
  const EXPORT_RECORDS: Record<string, unknown>[] = [
    { id: 'e1', purpose: 'personalised_recommendations', type: 'view', payload: { type: 'view', productId: 'p1', sessionId: 'demo', at: 1 }, at: 1 },
    { tag: 'category:bath', kind: 'category', value: 'bath', weight: 1, events: 1, lastEventAt: 1 },
    { id: 't1', kind: 'access', status: 'completed', details: 'x', detailsErased: false, locale: 'zh-CN', region: 'cn-mainland', createdAt: 1, updatedAt: 1, dueAt: 1, closedAt: 1, reason: 'r' },
    { kind: 'chat_message', sessionId: 'demo', at: 1, nickname: 'n', text: 'hi', status: 'visible' },
    { kind: 'question_to_host', sessionId: 'demo', at: 1, question: 'q', status: 'open' },
    { kind: 'session_memory', sessionId: 'demo', turns: [{ at: 1, productIds: ['p1'], intents: ['price'] }] },
    { kind: 'kept_memory', brandId: 'demo-brand', expiresAt: 1, turns: [{ at: 1, productIds: ['p1'], intents: ['price'] }] },
    { experiment: 'x', experimentId: 'x1', simulated: false, arm: 'a', firstSeenAt: 1, lastSeenAt: 1, requests: 1, impressions: 1, clicks: 0, carts: 0, orders: 0, gmvFen: 0, reports: 0, optedOut: false },
    {
      consents: [{ consentId: 'c1', destinationId: 'd1', decision: 'granted', noticeVersion: 'v1', noticeHash: 'h', locale: 'en', region: 'cn-mainland', at: 1 }],
      counted: [{ year: 2026, kind: 'any', firstAt: 1 }],
    },
  ];

  it('names the purposes and methods of consent receipts as the notice and the banner do, in both languages', async () => {
    const all = PURPOSE_NOTICES.map((p) => p.id);
    expect(purposeNames(all, 'zh-CN')).toBe(PURPOSE_NOTICES.map((p) => p.title.zh).join('、'));
    expect(purposeNames([], 'zh-CN')).toBe('—');
    expect(consentMethodName('accept_all')).toBe('全部接受');
    expect(consentMethodName('custom')).toBe('自选');
    expect(consentMethodName('guardian_grant')).toBe('监护人在自己的设备上同意');
    expect(consentMethodName('withdraw')).toBe('撤回全部同意');
    await i18n.changeLanguage('en');
    expect(purposeNames(all, 'en')).toBe(PURPOSE_NOTICES.map((p) => p.title.en).join(', '));
    expect(consentMethodName('accept_all')).toBe('Accept all');
    expect(consentMethodName('decline_all')).toBe('Decline all');
    expect(consentMethodName('guardian_grant')).toBe('By the guardian on their own device');
    // Ids the pages do not know yet stay as the server sent them.
    expect(purposeNames(['future_purpose'], 'en')).toBe('future_purpose');
    expect(consentMethodName('future_method')).toBe('future_method');
  });

  it('names the data region and the declared age band, in both languages', async () => {
    expect(regionName('cn-mainland')).toBe('中国大陆');
    // A cross-border recipient's country code, by name.
    expect(regionName('sg')).toBe('新加坡');
    expect([regionName('hk'), regionName('mo'), regionName('tw')]).toEqual(['中国香港', '中国澳门', '中国台湾']);
    expect(ageBandName('14_to_17')).toBe('14–17 周岁');
    await i18n.changeLanguage('en');
    expect(regionName('cn-mainland')).toBe('Mainland China');
    expect(regionName('sg')).toBe('Singapore');
    // Not a country code: as configured.
    expect(regionName('xx')).toBe('xx');
    expect(regionName('zz')).toBe('zz');
    expect(regionName('tw')).toBe('Taiwan, China');
    expect(ageBandName('adult')).toBe('18 or over');
    // A region the pages do not name is shown as configured.
    expect(regionName('eu-west')).toBe('eu-west');
    expect(ageBandName('other')).toBe('other');
  });

  it('names the purpose of an event record as the consent notice and the receipts do (one list of names)', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      await i18n.changeLanguage(locale);
      const text = recordText(locale);
      for (const p of PURPOSE_NOTICES) {
        const shown = recordFields({ id: 'e1', purpose: p.id, type: 'view', at: 1 }, text).find((f) => f.key === 'purpose');
        expect(shown && 'text' in shown ? shown.text : null).toBe(locale === 'en' ? p.title.en : p.title.zh);
        expect(purposeName(p.id)).toBe(locale === 'en' ? p.title.en : p.title.zh);
      }
      // A purpose the pages do not know yet stays as the export has it.
      const unknown = recordFields({ purpose: 'future_purpose' }, text)[0];
      expect(unknown && 'text' in unknown ? unknown.text : null).toBe('future_purpose');
    }
  });

  it('names every field the export holds, in both languages', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      await i18n.changeLanguage(locale);
      const text = recordText(locale);
      const unnamed = [...new Set(EXPORT_RECORDS.flatMap((r) => keysOf(recordFields(r, text))))].filter((key) => text.field(key) === null);
      expect({ locale, unnamed }).toEqual({ locale, unnamed: [] });
    }
  });

  it('shows a record in Chinese: named fields, times, yes/no, coded values by name, records inside as records', () => {
    const text = { ...recordText('zh-CN'), time: (ms: number) => `T${ms}`, separator: '、' };
    expect(plain(recordFields(EXPORT_RECORDS[0], text))).toEqual([
      '编号: e1',
      '用途: 个性化推荐',
      '行为: 浏览',
      ['记录内容', ['行为: 浏览', '商品编号: p1', '直播间: demo', '时间: T1']],
      '时间: T1',
    ]);
    expect(plain(recordFields(EXPORT_RECORDS[1], text))).toEqual(['标签: 洗浴用品', '类别: 品类', '内容: 洗浴用品', '权重: 1', '依据的行为数: 1', '最近一次行为: T1']);
    expect(plain(recordFields(EXPORT_RECORDS[4], text))).toContain('状态: 待主播回答');
    expect(plain(recordFields(EXPORT_RECORDS[2], text))).toEqual(expect.arrayContaining(['状态: 已完成', '说明已删除: 否', '语言: 简体中文', '理由或说明: r']));
    expect(plain(recordFields(EXPORT_RECORDS[6], text))).toEqual([
      '类别: 经您同意保存的记忆',
      '品牌: demo-brand',
      '保存至: T1',
      ['问过的内容', [['时间: T1', '商品编号: p1', '问的方面: 价格']]],
    ]);
    expect(plain(recordFields({ gmvFen: 12_900, closedAt: null, productIds: ['a', 'b'] }, text))).toEqual(['下单金额: ¥129.00', '办结时间: —', '商品编号: a、b']);
    // Unknown fields and values keep the export's words; a bare value is one field.
    expect(plain(recordFields({ somethingNew: 'x', kind: 'new_kind' }, text))).toEqual(['somethingNew: x', '类别: new_kind']);
    expect(plain(recordFields('plain', text))).toEqual(['内容: plain']);
  });

  it('shows the same record in English', async () => {
    await i18n.changeLanguage('en');
    const text = { ...recordText('en'), time: (ms: number) => `T${ms}` };
    expect(plain(recordFields(EXPORT_RECORDS[8], text))).toEqual([
      ['Separate consents to transfers', [['Consent ID: c1', 'Recipient abroad: d1', 'Decision: Granted', 'Notice version: v1', 'Notice hash: h', 'Language: English', 'Region: Mainland China', 'Time: T1']]],
      ['Years you were counted', [['Year: 2026', 'Kind: Personal information', 'First transfer: T1']]],
    ]);
  });
});
