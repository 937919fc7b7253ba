import { describe, expect, it } from 'vitest';
import { currentBasis, expiresSoon, isRefusalReason, shareOf, thresholdLevel, type TransferBasis } from './cross-border-view.ts';

const basis = (id: string, status: TransferBasis['status'], validUntil: number): TransferBasis => ({
  id,
  kind: 'standard_contract',
  reference: id,
  validFrom: 0,
  validUntil,
  recordedAt: 0,
  revokedAt: status === 'revoked' ? 1 : null,
  status,
});

describe('cross-border view rules', () => {
  it('names the level of a threshold: reached over warning over below', () => {
    expect(thresholdLevel({ warning: true, reached: true })).toBe('reached');
    expect(thresholdLevel({ warning: true, reached: false })).toBe('warning');
    expect(thresholdLevel({ warning: false, reached: false })).toBe('below');
  });

  it('fills the bar by share of the limit, never past 100 %, never rounding a count up to the limit', () => {
    expect(shareOf(0, 10_000)).toBe(0);
    expect(shareOf(8_000, 10_000)).toBe(80);
    expect(shareOf(9_999, 10_000)).toBe(99.9);
    expect(shareOf(1, 1_000_000)).toBe(0);
    expect(shareOf(25_000, 10_000)).toBe(100);
    expect(shareOf(5, 0)).toBe(0);
  });

  it('picks the valid basis that lasts longest, or none', () => {
    expect(currentBasis([basis('a', 'valid', 10), basis('b', 'valid', 30), basis('c', 'revoked', 99)])?.id).toBe('b');
    expect(currentBasis([basis('x', 'expired', 10), basis('y', 'not_yet_valid', 99), basis('z', 'revoked', 99)])).toBeNull();
    expect(currentBasis([])).toBeNull();
  });

  it('flags a basis ending within 60 days', () => {
    const day = 86_400_000;
    expect(expiresSoon({ validUntil: 60 * day }, 0)).toBe(true);
    expect(expiresSoon({ validUntil: 61 * day }, 0)).toBe(false);
  });

  it('knows the refusal reasons it can translate', () => {
    expect(isRefusalReason('missing_consent')).toBe(true);
    expect(isRefusalReason('made_up')).toBe(false);
    expect(isRefusalReason(null)).toBe(false);
  });
});
