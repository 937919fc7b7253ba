import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import { arrivalCurve, arrivalQuantile, drawCategorical, generateAudience, mixSeed, personaKeyOf, type SimViewer } from './audience.js';
import { PURPOSES, builtinScenarioPath, readScenarioFile, type Scenario } from './scenario.js';

const base = readScenarioFile(builtinScenarioPath('baby-care'));
const withViewers = (s: Scenario, viewers: number): Scenario => ({ ...s, audience: { ...s.audience, viewers } });

let large: SimViewer[] | undefined;
/** 20,000 viewers of baby-care, made once for the statistical tests. */
const largeAudience = (): SimViewer[] => (large ??= generateAudience(withViewers(base, 20_000), 7));

describe('mixSeed', () => {
  it('is stable, sensitive to every part and its type, and within 53 bits', () => {
    expect(mixSeed('a', 1, 2)).toBe(mixSeed('a', 1, 2));
    expect(mixSeed('a', 1, 2)).not.toBe(mixSeed('a', 2, 1));
    expect(mixSeed('a1')).not.toBe(mixSeed('a', 1));
    expect(mixSeed(1)).not.toBe(mixSeed('1'));
    expect(mixSeed(2 ** 40)).not.toBe(mixSeed(0));
    const seeds = Array.from({ length: 20_000 }, (_, i) => mixSeed('persona', 'baby-care', 7, i));
    expect(seeds.every((s) => Number.isSafeInteger(s) && s >= 0)).toBe(true);
    expect(new Set(seeds).size).toBe(20_000);
  });
});

describe('generateAudience', () => {
  it('is deterministic for a seed and differs for another', () => {
    const s = withViewers(base, 300);
    const a = generateAudience(s, 1);
    expect(generateAudience(s, 1)).toEqual(a);
    const b = generateAudience(s, 2);
    expect(b.map((v) => v.deviceId)).not.toEqual(a.map((v) => v.deviceId));
    expect(b.map((v) => v.arrivalMinute)).not.toEqual(a.map((v) => v.arrivalMinute));
  });

  it("keeps each viewer's draws to itself and each concern to its stream", () => {
    const small = generateAudience(withViewers(base, 50), 3);
    const bigger = generateAudience(withViewers(base, 80), 3);
    expect(bigger.slice(0, 50)).toEqual(small); // more viewers do not shift the first ones
    // A different chat rate changes chat minutes only; a different consent rate leaves arrivals alone.
    const chatty = generateAudience({ ...withViewers(base, 50), behaviour: { ...base.behaviour, chatMessagesPerHour: 40 } }, 3);
    expect(chatty.map((v) => [v.arrivalMinute, v.latent, v.consent, v.assistantMinutes])).toEqual(small.map((v) => [v.arrivalMinute, v.latent, v.consent, v.assistantMinutes]));
    const consenting = generateAudience({ ...withViewers(base, 50), consent: { ...base.consent, grant: { ...base.consent.grant, marketing: 0.7 } } }, 3);
    expect(consenting.map((v) => [v.arrivalMinute, v.leaveMinute, v.latent])).toEqual(small.map((v) => [v.arrivalMinute, v.leaveMinute, v.latent]));
  });

  it('gives well-formed simulated viewers', () => {
    const viewers = generateAudience(withViewers(base, 2000), 11);
    const problems: string[] = [];
    const check = (ok: boolean, what: string, v: SimViewer) => {
      if (!ok) problems.push(`viewer ${v.index}: ${what}`);
    };
    viewers.forEach((v, i) => {
      check(v.index === i, 'index', v);
      check(/^sim-[A-Za-z0-9_-]{20}$/.test(v.deviceId), 'device id', v);
      check(v.arrivalMinute >= 0 && v.leaveMinute >= v.arrivalMinute && v.leaveMinute <= base.durationMinutes, 'stay', v);
      check(v.optOutMinute === null || (v.optOutMinute >= v.arrivalMinute && v.optOutMinute < v.leaveMinute), 'opt-out', v);
      check(v.requestMinutes[0] === v.arrivalMinute, 'first request on arrival', v);
      const later = [...v.requestMinutes.slice(1), ...v.assistantMinutes, ...v.chatMinutes];
      check(later.every((t) => t >= v.arrivalMinute && t < v.leaveMinute), 'events while present', v);
      check(v.latent.priceSensitivity >= 0 && Object.keys(v.latent.categoryAffinity).length === 13, 'latent', v);
    });
    expect(problems).toEqual([]);
    expect(new Set(viewers.map((v) => v.deviceId)).size).toBe(viewers.length);
    expect(viewers.some((v) => v.assistantMinutes.length > 0) && viewers.some((v) => v.chatMinutes.length > 0)).toBe(true);
  });

  it('draws arrivals that follow the arrival curve (chi-square over minutes)', () => {
    const viewers = largeAudience();
    const curve = arrivalCurve(base.audience.arrival.points);
    // Expected share of each minute: the curve's area over it (by its quantiles' inverse, numerically).
    const areaUpTo = (t: number) => {
      let area = 0;
      const pts = base.audience.arrival.points;
      for (let i = 1; i < pts.length; i++) {
        const [t0, r0] = pts[i - 1]!;
        const [t1, r1] = pts[i]!;
        if (t <= t0) break;
        const x = Math.min(t, t1) - t0;
        area += r0 * x + ((r1 - r0) / (t1 - t0)) * x * x * 0.5;
      }
      return area / curve.total;
    };
    const counts = new Array<number>(base.durationMinutes).fill(0);
    for (const v of viewers) counts[Math.min(base.durationMinutes - 1, Math.floor(v.arrivalMinute))]! += 1;
    let chi2 = 0;
    counts.forEach((observed, minute) => {
      const expected = viewers.length * (areaUpTo(minute + 1) - areaUpTo(minute));
      chi2 += (observed - expected) ** 2 / expected;
    });
    // 59 degrees of freedom: mean 59, sd ≈ 11; 110 is far in the tail.
    expect(chi2).toBeLessThan(110);
  });

  it('inverts the cumulative arrivals exactly, flat and sloped segments alike', () => {
    const curve = arrivalCurve([
      [0, 0],
      [10, 2],
      [20, 2],
    ]);
    // Area 10 on [0, 10] and 20 on [10, 20]: u = 1/12 ↔ area 2.5 ↔ t = 5 (t²/10 = 2.5).
    expect(arrivalQuantile(curve, 2.5 / 30)).toBeCloseTo(5, 10);
    expect(arrivalQuantile(curve, 0.5)).toBeCloseTo(12.5, 10);
    expect(arrivalQuantile(curve, 0)).toBe(0);
    expect(arrivalQuantile(curve, 0.999999999)).toBeCloseTo(20, 6);
  });

  it('matches the configured consent rates over 20,000 viewers', () => {
    const viewers = largeAudience();
    const n = viewers.length;
    const { acceptAllShare: a, declineAllShare: d, grant } = base.consent;
    for (const purpose of PURPOSES) {
      const share = viewers.filter((v) => v.consent.granted.includes(purpose)).length / n;
      expect(Math.abs(share - grant[purpose])).toBeLessThan(0.015);
    }
    const c = 1 - a - d;
    const q = PURPOSES.map((p) => (grant[p] - a) / c);
    const all = viewers.filter((v) => v.consent.granted.length === 5).length / n;
    const none = viewers.filter((v) => v.consent.granted.length === 0).length / n;
    expect(Math.abs(all - (a + c * q.reduce((x, y) => x * y, 1)))).toBeLessThan(0.01);
    expect(Math.abs(none - (d + c * q.reduce((x, y) => x * (1 - y), 1)))).toBeLessThan(0.012);
  });

  it('matches the segment, minor, locale and returning shares', () => {
    const viewers = largeAudience();
    const n = viewers.length;
    const share = (f: (v: SimViewer) => boolean) => viewers.filter(f).length / n;
    expect(Math.abs(share((v) => v.ageBand !== 'adult') - base.minors.share)).toBeLessThan(0.006);
    expect(Math.abs(share((v) => v.ageBand === 'under_14') - base.minors.share * base.minors.under14Share)).toBeLessThan(0.004);
    expect(Math.abs(share((v) => v.locale === 'en') - base.audience.englishShare)).toBeLessThan(0.012);
    expect(Math.abs(share((v) => v.segment.returning) - base.audience.returningShare)).toBeLessThan(0.015);
    const bandTotal = Object.values(base.segments.childAgeBand).reduce((x, y) => x + y, 0);
    for (const [band, w] of Object.entries(base.segments.childAgeBand)) {
      expect(Math.abs(share((v) => v.segment.childAgeBand === band) - w / bandTotal)).toBeLessThan(0.015);
    }
    expect(Math.abs(share((v) => v.segment.cityTier === 'tier1') - 0.25)).toBeLessThan(0.015);
  });

  it('gives stays with the configured median (lognormal)', () => {
    // Early arrivals only, so the end of the show does not cut the stays.
    const stays = largeAudience()
      .filter((v) => v.arrivalMinute < 20)
      .map((v) => v.leaveMinute - v.arrivalMinute)
      .sort((x, y) => x - y);
    const median = stays[stays.length >> 1]!;
    expect(Math.abs(median / base.audience.dwellMinutes.median - 1)).toBeLessThan(0.06);
  });

  it('draws opting out from the hazard', () => {
    const s = withViewers({ ...base, behaviour: { ...base.behaviour, optOutPerHour: 2 } }, 5000);
    const viewers = generateAudience(s, 5);
    // P(opt out while present) = 1 − e^(−rate · stay).
    const expected = viewers.reduce((sum, v) => sum + 1 - Math.exp((-2 / 60) * (v.leaveMinute - v.arrivalMinute)), 0) / viewers.length;
    const observed = viewers.filter((v) => v.optOutMinute !== null).length / viewers.length;
    expect(Math.abs(observed - expected)).toBeLessThan(0.02);
  });

  it('makes children of younger bands want diapers and bottles, older ones toys and clothing', () => {
    const viewers = largeAudience();
    const mean = (band: string, category: string) => {
      const group = viewers.filter((v) => v.segment.childAgeBand === band);
      return group.reduce((s, v) => s + v.latent.categoryAffinity[category]!, 0) / group.length;
    };
    expect(mean('0_6m', 'diapers')).toBeGreaterThan(mean('3_6y', 'diapers') + 1);
    expect(mean('0_6m', 'bottles')).toBeGreaterThan(mean('3_6y', 'bottles') + 1);
    expect(mean('3_6y', 'toys')).toBeGreaterThan(mean('0_6m', 'toys') + 1);
    expect(mean('3_6y', 'clothing')).toBeGreaterThan(mean('0_6m', 'clothing') + 0.5);
  });

  it('lets returning viewers take over distinct first-time viewers of an earlier show', () => {
    const s = withViewers(base, 400);
    const earlier = generateAudience(s, 100);
    const later = generateAudience(s, 101, { previousShowSeed: 100 });
    const byDevice = new Map(earlier.filter((v) => !v.segment.returning).map((v) => [v.deviceId, v]));
    const returning = later.filter((v) => v.segment.returning);
    expect(returning.length).toBeGreaterThan(50);
    for (const v of returning) {
      const before = byDevice.get(v.deviceId);
      expect(before).toBeDefined();
      expect(v.latent).toEqual(before!.latent);
      expect(v.consent).toEqual(before!.consent);
      expect(v.personaKey).toBe(personaKeyOf(s, 100, before!.index));
    }
    expect(new Set(later.map((v) => v.deviceId)).size).toBe(later.length);
    for (const v of later.filter((x) => !x.segment.returning)) expect(byDevice.has(v.deviceId)).toBe(false);
    expect(() => generateAudience(s, 100, { previousShowSeed: 100 })).toThrow(RangeError);
  });
});

describe('drawCategorical', () => {
  it('never picks a zero weight and follows the weights', () => {
    const rng = new Rng(9);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) counts[drawCategorical(['a', 'b', 'c'] as const, { a: 1, b: 0, c: 3 }, rng.next())]++;
    expect(counts.b).toBe(0);
    expect(Math.abs(counts.c / 10_000 - 0.75)).toBeLessThan(0.02);
  });
});
