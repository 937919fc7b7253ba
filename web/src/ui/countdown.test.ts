import { describe, expect, it } from 'vitest';
import { clockOffset, formatCountdown, minutesLeft, remainingMs } from './countdown.ts';

describe('countdowns', () => {
  it('formats time left, rounding partial seconds up', () => {
    expect(formatCountdown(300_000)).toBe('05:00');
    expect(formatCountdown(299_001)).toBe('05:00');
    expect(formatCountdown(299_000)).toBe('04:59');
    expect(formatCountdown(1)).toBe('00:01');
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(-5)).toBe('00:00');
    expect(formatCountdown(3_600_000)).toBe('1:00:00');
    expect(formatCountdown(3_725_000)).toBe('1:02:05');
  });

  it('reads the remaining time on the server clock, corrected for a wrong local clock', () => {
    // The phone's clock is 90 s fast: it reads 1_090_000 when the server reads 1_000_000.
    const offset = clockOffset(1_000_000, 1_090_000);
    expect(offset).toBe(-90_000);
    const serverNow = 1_090_000 + offset + 10_000; // ten seconds later
    expect(remainingMs({ startsAt: 1_000_000, endsAt: 1_060_000 }, serverNow)).toBe(50_000);
  });

  it('never goes below zero nor above the window', () => {
    const sale = { startsAt: 1_000_000, endsAt: 1_060_000 };
    expect(remainingMs(sale, 2_000_000)).toBe(0);
    expect(remainingMs(sale, 999_950)).toBe(60_000);
  });

  it('announces whole minutes, rounded up', () => {
    expect(minutesLeft(300_000)).toBe(5);
    expect(minutesLeft(240_001)).toBe(5);
    expect(minutesLeft(240_000)).toBe(4);
    expect(minutesLeft(1)).toBe(1);
    expect(minutesLeft(0)).toBe(0);
  });
});
