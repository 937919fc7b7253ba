import { describe, expect, it } from 'vitest';
import { buildGuardianDecision, codeFromHash, guardianErrorKey, paragraphsOf, type GuardianNotice } from './guardian-view.ts';

const notice: GuardianNotice = {
  version: '2026-11-29.1',
  locale: 'en',
  brandId: 'demo-brand',
  text: 'Title\n\nFirst line\nstill first\n\nSecond',
  hash: 'f'.repeat(64),
  purposes: [
    { id: 'assistant_memory', title: 'Memory', use: 'u' },
    { id: 'model_improvement', title: 'Model', use: 'u' },
  ],
};

describe('guardian page rules', () => {
  it('reads the code from the fragment only when well formed', () => {
    expect(codeFromHash('#code=abcdefghijklmnop1234')).toBe('abcdefghijklmnop1234');
    expect(codeFromHash('')).toBeNull();
    expect(codeFromHash('#code=short')).toBeNull();
    expect(codeFromHash('#code=bad%20code%20with%20spaces')).toBeNull();
  });

  it('grants only ticked purposes of the notice shown, and refuse grants nothing', () => {
    const ticked = { model_improvement: true, assistant_memory: false, marketing: true };
    expect(buildGuardianDecision('consent', 'c'.repeat(20), notice, 'parent', ticked)).toEqual({
      code: 'c'.repeat(20),
      relationship: 'parent',
      granted: ['model_improvement'],
      noticeVersion: notice.version,
      noticeHash: notice.hash,
      locale: 'en',
    });
    expect(buildGuardianDecision('refuse', 'c'.repeat(20), notice, 'legal_guardian', ticked).granted).toEqual([]);
    expect(buildGuardianDecision('consent', 'c'.repeat(20), notice, 'parent', {}).granted).toEqual([]);
  });

  it('explains the codes a guardian can meet', () => {
    expect(guardianErrorKey('GUARDIAN_CODE_INVALID')).toBe('invalid');
    expect(guardianErrorKey('GUARDIAN_SAME_DEVICE')).toBe('sameDevice');
    expect(guardianErrorKey('NOTICE_MISMATCH')).toBe('outdated');
    expect(guardianErrorKey('RATE_LIMITED')).toBeNull();
    expect(guardianErrorKey(null)).toBeNull();
  });

  it('splits the notice into paragraphs without changing a character', () => {
    expect(paragraphsOf(notice.text)).toEqual(['Title', 'First line\nstill first', 'Second']);
    expect(paragraphsOf(notice.text).join('\n\n')).toBe(notice.text);
  });
});
