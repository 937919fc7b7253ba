import { describe, expect, it } from 'vitest';
import {
  assistantMemoryOf,
  DEFAULT_BRAND,
  DETAILS_MAX,
  downloadName,
  flatRecord,
  hashPrefix,
  otherCategories,
  parsePrivacyQuery,
  privacyRoute,
  splitTag,
  ticketDetailsError,
  ticketsOf,
} from './privacy-view.ts';

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

  it('lists the export categories the page has no section for, flattened', () => {
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
      { category: 'transfers', label: '个人信息出境', describe: '出境的年份', records: [{ id: 't1', to: '{"region":"eu"}', at: '1' }] },
      // Without a name in the page's language, the key itself.
      { category: 'note', label: 'note', describe: null, records: [{ value: 'plain' }] },
    ]);
    expect(otherCategories(data, 'en').map((o) => [o.label, o.describe])).toEqual([
      ['Transfers out of the region', 'The years'],
      ['note', null],
    ]);
    // An export without sections (an older server) still lists everything, under its keys.
    const { sections: _sections, ...older } = data;
    expect(otherCategories(older).map((o) => o.label)).toEqual(['transfers', 'note']);
    expect(flatRecord(null)).toEqual({ value: '' });
    expect(ticketsOf({ rights_tickets: [{ id: 'a' }] })).toEqual([{ id: 'a' }]);
    expect(ticketsOf({})).toBeNull();
  });

  it('has no assistant memory unless the export has the key', () => {
    expect(assistantMemoryOf({})).toBeNull();
    expect(assistantMemoryOf({ assistantMemory: [{ a: 1 }] })).toEqual([{ a: 1 }]);
    expect(assistantMemoryOf({ assistant_memory: [] })).toEqual([]);
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
