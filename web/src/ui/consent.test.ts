import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import {
  blockedPurposes,
  buildBandDecision,
  buildDecision,
  grantsSomething,
  isMinorMode,
  minorsErrorKey,
  togglesForBand,
  initialToggles,
  initialView,
  isModal,
  isNoticeChanged,
  needsAsking,
  noticeParagraphs,
  receiptsNewestFirst,
  viewAfterDecision,
  viewAfterDismiss,
  viewAfterNoticeChanged,
  type ConsentNotice,
  type ConsentReceipt,
} from './consent.ts';

const PURPOSE_IDS = ['personalised_recommendations', 'assistant_memory', 'model_improvement', 'marketing', 'merchant_sharing'];
const DEVICE = 'AAAAAAAAAAAAAAAAAAAAAA';

function notice(locale: 'zh-CN' | 'en', overrides: Partial<ConsentNotice> = {}): ConsentNotice {
  return {
    version: '2026-11-29.1',
    locale,
    brandId: 'b1',
    text: locale === 'zh-CN' ? '个人信息处理说明\n\n第二段' : 'How we process personal information\n\nSecond paragraph',
    hash: locale === 'zh-CN' ? 'a'.repeat(64) : 'b'.repeat(64),
    purposes: PURPOSE_IDS.map((id) => ({ id, title: id, use: 'use', dataCategories: 'data', retention: 'kept' })),
    operator: { name: 'Op', contactEmail: 'privacy@example.test', contactPhone: '400-000-0000' },
    ...overrides,
  };
}

function receipt(overrides: Partial<ConsentReceipt> = {}): ConsentReceipt {
  return {
    consentId: 'r1',
    brandId: 'b1',
    granted: [],
    refused: PURPOSE_IDS,
    noticeVersion: '2026-11-29.1',
    noticeHash: 'a'.repeat(64),
    locale: 'zh-CN',
    method: 'decline_all',
    region: 'cn',
    at: 1000,
    ...overrides,
  };
}

describe('buildDecision', () => {
  const zh = notice('zh-CN');

  it('Accept all grants every purpose the notice names', () => {
    expect(buildDecision('accept_all', zh, {}, DEVICE)).toMatchObject({ method: 'accept_all', granted: PURPOSE_IDS });
  });

  it('Decline all is one action and grants nothing, whatever the toggles say', () => {
    const all = Object.fromEntries(PURPOSE_IDS.map((id) => [id, true]));
    expect(buildDecision('decline_all', zh, all, DEVICE)).toMatchObject({ method: 'decline_all', granted: [] });
  });

  it('Save choices grants exactly the switched-on purposes, in notice order', () => {
    const decision = buildDecision('save', zh, { marketing: true, personalised_recommendations: true, assistant_memory: false }, DEVICE);
    expect(decision).toMatchObject({ method: 'custom', granted: ['personalised_recommendations', 'marketing'] });
  });

  it('Save choices with untouched toggles grants nothing (all off by default)', () => {
    expect(buildDecision('save', zh, initialToggles(), DEVICE)).toMatchObject({ method: 'custom', granted: [] });
  });

  it('never sends a purpose the notice does not name', () => {
    const decision = buildDecision('save', zh, { marketing: true, location_tracking: true }, DEVICE);
    expect(decision.granted).toEqual(['marketing']);
  });

  it('Withdraw all is one action: method withdraw, nothing granted', () => {
    const all = Object.fromEntries(PURPOSE_IDS.map((id) => [id, true]));
    expect(buildDecision('withdraw', zh, all, DEVICE)).toMatchObject({ method: 'withdraw', granted: [] });
  });

  it('takes version, hash, locale and brand from the notice shown, and the device id given', () => {
    const en = notice('en', { version: '2027-01-01.1', brandId: 'b9' });
    for (const action of ['accept_all', 'decline_all', 'save', 'withdraw'] as const) {
      const decision = buildDecision(action, en, {}, DEVICE);
      expect(decision).toMatchObject({ deviceId: DEVICE, brandId: 'b9', noticeVersion: '2027-01-01.1', noticeHash: 'b'.repeat(64), locale: 'en' });
      expect(Object.keys(decision).sort()).toEqual(['brandId', 'deviceId', 'granted', 'locale', 'method', 'noticeHash', 'noticeVersion']);
    }
    // The Chinese notice gives the Chinese hash: the hash follows the text on screen.
    expect(buildDecision('accept_all', zh, {}, DEVICE)).toMatchObject({ noticeHash: 'a'.repeat(64), locale: 'zh-CN' });
  });
});

describe('initialToggles', () => {
  it('are all off when asking', () => {
    const toggles = initialToggles();
    expect(PURPOSE_IDS.filter((id) => toggles[id] === true)).toEqual([]);
    expect(initialToggles(null)).toEqual({});
  });

  it('in settings, are on for exactly the purposes the current decision granted', () => {
    const toggles = initialToggles(receipt({ granted: ['marketing', 'assistant_memory'], method: 'custom' }));
    expect(PURPOSE_IDS.filter((id) => toggles[id] === true)).toEqual(['assistant_memory', 'marketing']);
    // A purpose the notice adds later was never granted, so it starts off (C6).
    expect(toggles['new_purpose'] ?? false).toBe(false);
  });
});

describe('noticeParagraphs', () => {
  it('splits on blank lines and loses nothing: joined again it is the exact text', () => {
    const text = '标题（版本 1）\n\n  第一段，带空格 \n\n第二段：用途。\n第二行';
    const paragraphs = noticeParagraphs(text);
    expect(paragraphs).toEqual(['标题（版本 1）', '  第一段，带空格 ', '第二段：用途。\n第二行']);
    expect(paragraphs.join('\n\n')).toBe(text);
  });

  it('round-trips the server’s real notice, whose SHA-256 the ledger keeps', async () => {
    // Loaded by path at run time so the pages' type check does not pull in the server's modules.
    const path = '../../../src/modules/consent/notice.ts';
    const server = (await import(/* @vite-ignore */ path)) as {
      noticeFor: (brand: unknown, locale: 'zh-CN' | 'en') => ConsentNotice;
    };
    const brand = {
      id: 'b1',
      name: { zh: '暖芽', en: 'NuanYa' },
      operator: { zh: '暖芽演示公司', en: 'NuanYa Demo Co.' },
      contactEmail: 'privacy@nuanya.example',
      contactPhone: '400-000-0000',
      merchantLicence: 'L',
    };
    for (const locale of ['zh-CN', 'en'] as const) {
      const real = server.noticeFor(brand, locale);
      const shown = noticeParagraphs(real.text).join('\n\n');
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(shown));
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
      expect(hex).toBe(real.hash);
      expect(buildDecision('accept_all', real, {}, DEVICE).granted).toEqual(PURPOSE_IDS);
    }
  });
});

describe('when to ask', () => {
  it('asks when the server says so, or when there is no status', () => {
    expect(needsAsking(null)).toBe(true);
    expect(needsAsking({ current: null, needsAsking: true, noticeVersion: 'v' })).toBe(true);
    expect(needsAsking({ current: receipt(), needsAsking: true, noticeVersion: 'v2' })).toBe(true);
    expect(needsAsking({ current: receipt(), needsAsking: false, noticeVersion: 'v' })).toBe(false);
    expect(initialView(null)).toBe('ask');
    expect(initialView({ current: receipt(), needsAsking: false, noticeVersion: 'v' })).toBe('hidden');
  });

  it('recognises a refusal because the notice changed', () => {
    const problem = (code: string, status = 409) => new ApiError({ type: 'about:blank', title: code, status, code });
    expect(isNoticeChanged(problem('NOTICE_OUTDATED'))).toBe(true);
    expect(isNoticeChanged(problem('NOTICE_MISMATCH'))).toBe(true);
    expect(isNoticeChanged(problem('VALIDATION_FAILED', 400))).toBe(false);
    expect(isNoticeChanged(problem('NETWORK_ERROR', 0))).toBe(false);
    expect(isNoticeChanged(new Error('NOTICE_OUTDATED'))).toBe(false);
  });
});

describe('banner views', () => {
  it('Escape or "not now" never decides: undecided viewers keep the compact bar', () => {
    expect(viewAfterDismiss('ask', false)).toBe('compact');
    expect(viewAfterDismiss('compact', false)).toBe('compact');
    expect(viewAfterDismiss('settings', false)).toBe('compact');
    expect(viewAfterDismiss('settings', true)).toBe('hidden');
    expect(viewAfterDismiss('hidden', false)).toBe('hidden');
  });

  it('a recorded decision closes everything; an outdated notice is shown again in full', () => {
    expect(viewAfterDecision()).toBe('hidden');
    expect(viewAfterNoticeChanged('compact')).toBe('ask');
    expect(viewAfterNoticeChanged('ask')).toBe('ask');
    expect(viewAfterNoticeChanged('settings')).toBe('settings');
  });

  it('only the full dialogs are modal: the compact bar leaves the page free', () => {
    expect(isModal('ask')).toBe(true);
    expect(isModal('settings')).toBe(true);
    expect(isModal('compact')).toBe(false);
    expect(isModal('hidden')).toBe(false);
  });
});

describe('receiptsNewestFirst', () => {
  it('keeps this brand’s receipts, newest first', () => {
    const items = [receipt({ consentId: 'a', at: 1 }), receipt({ consentId: 'b', at: 3 }), receipt({ consentId: 'x', brandId: 'b2', at: 5 }), receipt({ consentId: 'c', at: 2 })];
    expect(receiptsNewestFirst(items, 'b1').map((r) => r.consentId)).toEqual(['b', 'c', 'a']);
  });
});

describe('the age gate (M1/M2)', () => {
  const zh = notice('zh-CN');
  const all = Object.fromEntries(PURPOSE_IDS.map((id) => [id, true]));

  it('declining, withdrawing and saving nothing grant nothing (no age band needed); Accept all and a switched-on Save do', () => {
    expect(grantsSomething('decline_all', zh, all)).toBe(false);
    expect(grantsSomething('withdraw', zh, all)).toBe(false);
    expect(grantsSomething('save', zh, {})).toBe(false);
    expect(grantsSomething('save', zh, { marketing: true })).toBe(true);
    expect(grantsSomething('accept_all', zh, {})).toBe(true);
  });

  it('blocks nothing for adults or undeclared, three purposes at 14–17, everything under 14', () => {
    expect(blockedPurposes('adult', zh).size).toBe(0);
    expect(blockedPurposes(null, zh).size).toBe(0);
    expect([...blockedPurposes('14_to_17', zh)].sort()).toEqual(['marketing', 'merchant_sharing', 'personalised_recommendations']);
    expect([...blockedPurposes('under_14', zh)].sort()).toEqual([...PURPOSE_IDS].sort());
  });

  it('14–17: Accept all grants only the allowed purposes, sent as custom; Save drops blocked ones', () => {
    expect(buildBandDecision('accept_all', zh, {}, DEVICE, '14_to_17')).toMatchObject({ method: 'custom', granted: ['assistant_memory', 'model_improvement'] });
    expect(buildBandDecision('save', zh, all, DEVICE, '14_to_17')).toMatchObject({ method: 'custom', granted: ['assistant_memory', 'model_improvement'] });
    expect(buildBandDecision('decline_all', zh, all, DEVICE, '14_to_17')).toMatchObject({ method: 'decline_all', granted: [] });
  });

  it('adults get the plain decision; under 14 the child grants nothing', () => {
    expect(buildBandDecision('accept_all', zh, {}, DEVICE, 'adult')).toMatchObject({ method: 'accept_all', granted: PURPOSE_IDS });
    expect(buildBandDecision('accept_all', zh, {}, DEVICE, 'under_14')).toMatchObject({ method: 'decline_all', granted: [] });
  });

  it('picking a band switches off what it cannot grant', () => {
    expect(togglesForBand(all, '14_to_17', zh)).toEqual({ assistant_memory: true, model_improvement: true });
    expect(togglesForBand(all, 'under_14', zh)).toEqual({});
    expect(togglesForBand({ marketing: true, x: false }, 'adult', zh)).toEqual({ marketing: true });
  });

  it('names the minors modes and maps the refusals to messages', () => {
    expect(isMinorMode('minor')).toBe(true);
    expect(isMinorMode('child_awaiting_guardian')).toBe(true);
    expect(isMinorMode('adult')).toBe(false);
    expect(isMinorMode(undefined)).toBe(false);
    const problem = (code: string) => new ApiError({ type: 'about:blank', title: code, status: 403, code });
    expect(minorsErrorKey(problem('MINORS_MODE_RESTRICTED'))).toBe('consent.age.errors.minorsRestricted');
    expect(minorsErrorKey(problem('GUARDIAN_CONSENT_REQUIRED'))).toBe('consent.age.errors.guardianRequired');
    expect(minorsErrorKey(problem('AGE_DECLARATION_LOCKED'))).toBe('consent.age.errors.locked');
    expect(minorsErrorKey(problem('NOTICE_OUTDATED'))).toBeNull();
    expect(minorsErrorKey(new Error('x'))).toBeNull();
  });
});
