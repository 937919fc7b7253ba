import { afterEach, describe, expect, it } from 'vitest';
import { PURPOSE_NOTICES, PURPOSES } from '../../../../src/modules/consent/purposes.ts';
import { i18n } from '../../i18n/index.ts';
import { CONSENT_PURPOSES, EXPORT_PURPOSES, exportPurposeLabel, methodCounts, methodLabel, NOTICE_KINDS, noticeKindLabel, purposeLabel } from './consent-ledger-view.ts';

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

describe('consent ledger view', () => {
  it('names every purpose as the viewer’s notice does, in both languages, never by its key', async () => {
    expect([...CONSENT_PURPOSES]).toEqual([...PURPOSES]);
    for (const notice of PURPOSE_NOTICES) expect(purposeLabel(notice.id), notice.id).toBe(notice.title.zh);
    expect(purposeLabel('personalised_recommendations')).toBe('个性化推荐');
    await i18n.changeLanguage('en');
    for (const notice of PURPOSE_NOTICES) expect(purposeLabel(notice.id), notice.id).toBe(notice.title.en);
  });

  it('names how consent was given or withdrawn with the banner’s own words; an unknown method stays as sent', async () => {
    expect(methodLabel('accept_all')).toBe('全部接受');
    expect(methodLabel('withdraw')).toBe('撤回全部同意');
    expect(methodLabel('some_new_way')).toBe('some_new_way');
    expect(purposeLabel('toString')).toBe('toString');
    expect(methodCounts({ accept_all: 1200, custom: 1, withdraw: 2 })).toBe('全部接受：1,200 · 自选：1 · 撤回全部同意：2');
    expect(methodCounts({})).toBe('—');
    await i18n.changeLanguage('en');
    expect(methodCounts({ decline_all: 3, custom: 1 })).toBe('Decline all: 3 · Own choice: 1');
  });

  it('names each reason for an export', async () => {
    expect(EXPORT_PURPOSES.map(exportPurposeLabel)).toEqual(['监管审计', '内部审计', '处理个人信息权利请求']);
    await i18n.changeLanguage('en');
    expect(exportPurposeLabel('internal-audit')).toBe('Internal audit');
  });

  it('names each kind of archived notice; a kind the pages do not know stays as sent', async () => {
    expect(NOTICE_KINDS.map(noticeKindLabel)).toEqual(['个人信息处理说明', '监护人告知', '个人信息出境单独告知']);
    expect(noticeKindLabel('marketing_terms')).toBe('marketing_terms');
    await i18n.changeLanguage('en');
    expect(noticeKindLabel('transfer')).toBe('Separate notice for a cross-border transfer');
  });
});
