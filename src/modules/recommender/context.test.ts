import { describe, expect, it } from 'vitest';
import { AgeBandCounts, interestDelta, type InterestItem } from './context.js';

/** Learns from `shown` items of a category shown to a band, `positive` of them drawing positive feedback. */
function record(interest: AgeBandCounts, band: string, category: string, shown: number, positive: number): void {
  for (let i = 0; i < shown; i++) interest.add({ band, category, shown: true, positive: i < positive });
}

describe('AgeBandCounts (profile.age_band_popular)', () => {
  it('reads 0.5, "as for everyone", with no data at all', () => {
    const interest = new AgeBandCounts();
    expect(interest.value('0_6m', 'diapers')).toBe(0.5);
    expect(interest.value('3_6y', 'toys')).toBe(0.5);
  });

  it('follows what each band chooses: the same category reads high for one band and low for another', () => {
    const interest = new AgeBandCounts();
    // Newborn parents choose diapers 1 time in 5; parents of 3–6-year-olds 1 in 100. Toys the other way round.
    record(interest, '0_6m', 'diapers', 2_000, 400);
    record(interest, '3_6y', 'diapers', 2_000, 20);
    record(interest, '0_6m', 'toys', 2_000, 20);
    record(interest, '3_6y', 'toys', 2_000, 400);
    // Overall 840 of 8,000 (≈ 10.5 %): 20 % is about twice that (lift ≈ 1.9 → 0.65), 1 % a tenth (→ 0.09).
    expect(interest.value('0_6m', 'diapers')).toBeGreaterThan(0.6);
    expect(interest.value('3_6y', 'diapers')).toBeLessThan(0.15);
    expect(interest.value('3_6y', 'toys')).toBeGreaterThan(0.6);
    expect(interest.value('0_6m', 'toys')).toBeLessThan(0.15);
    // A band never seen reads as the category over every band (here the average of the two).
    expect(interest.value('1_3y', 'diapers')).toBeCloseTo(interest.value('1_3y', 'toys'), 2);
    expect(interest.value('1_3y', 'diapers')).toBeGreaterThan(0.4);
    expect(interest.value('1_3y', 'diapers')).toBeLessThan(0.6);
  });

  it('is exact against a calculation by hand, shrinkage included', () => {
    const interest = new AgeBandCounts();
    record(interest, '6_12m', 'feeding', 30, 9);
    record(interest, '6_12m', 'bath', 70, 1);
    // overall = (10 + 1) / (100 + 20); feeding over every band = (9 + 50·overall) / (30 + 50);
    // the band's = (9 + 50·feeding) / (30 + 50); lift = band / overall; the value = lift / (1 + lift).
    const overall = 11 / 120;
    const feeding = (9 + 50 * overall) / 80;
    const band = (9 + 50 * feeding) / 80;
    const value = (rate: number) => rate / overall / (1 + rate / overall);
    expect(interest.value('6_12m', 'feeding')).toBeCloseTo(value(band), 12);
    const bath = (1 + 50 * overall) / 120;
    const bandBath = (1 + 50 * bath) / 120;
    expect(interest.value('6_12m', 'bath')).toBeCloseTo(value(bandBath), 12);
    expect(interest.counts('6_12m', 'feeding')).toEqual({ shown: 30, positive: 9 });
  });

  it('a positive that comes after the item was counted as shown adds only the positive', () => {
    const interest = new AgeBandCounts();
    interest.add({ band: '0_6m', category: 'diapers', shown: true, positive: false });
    interest.add({ band: '0_6m', category: 'diapers', shown: false, positive: true });
    expect(interest.counts('0_6m', 'diapers')).toEqual({ shown: 1, positive: 1 });
  });

  it('counts an item as shown with its first update and as positive with its first positive reward, each once', () => {
    const item: InterestItem = { band: '0_6m', category: 'diapers' };
    expect(interestDelta(item, 0)).toEqual({ band: '0_6m', category: 'diapers', shown: true, positive: false });
    expect(interestDelta(item, 0)).toBeUndefined();
    expect(interestDelta(item, 1)).toEqual({ band: '0_6m', category: 'diapers', shown: false, positive: true });
    expect(interestDelta(item, 1)).toBeUndefined();
    const clicked: InterestItem = { band: '3_6y', category: 'toys' };
    expect(interestDelta(clicked, 1)).toEqual({ band: '3_6y', category: 'toys', shown: true, positive: true });
  });

  it('a snapshot gives back the same counts and values; an unreadable one reads as no counts', () => {
    const interest = new AgeBandCounts();
    record(interest, '0_6m', 'diapers', 300, 60);
    record(interest, '3_6y', 'toys', 200, 30);
    record(interest, '3_6y', 'diapers', 100, 1);
    const copy = AgeBandCounts.fromJSON(JSON.parse(JSON.stringify(interest)));
    for (const band of ['0_6m', '3_6y', '1_3y'])
      for (const category of ['diapers', 'toys', 'bath']) {
        expect(copy.value(band, category)).toBe(interest.value(band, category));
        expect(copy.counts(band, category)).toEqual(interest.counts(band, category));
      }
    for (const bad of [undefined, null, 'x', [['0_6m', 'diapers', -1, 0]], [['0_6m', 3, 1, 0]], [[1, 2]]]) {
      expect(AgeBandCounts.fromJSON(bad).value('0_6m', 'diapers')).toBe(0.5);
    }
  });

  it('halves its counts at 200,000 shown items, so recent shows weigh more and memory stays bounded', () => {
    const interest = new AgeBandCounts();
    record(interest, '1_3y', 'toys', 199_999, 10_000);
    expect(interest.counts('1_3y', 'toys')).toEqual({ shown: 199_999, positive: 10_000 });
    const before = interest.value('1_3y', 'toys');
    interest.add({ band: '1_3y', category: 'toys', shown: true, positive: false });
    expect(interest.counts('1_3y', 'toys')).toEqual({ shown: 100_000, positive: 5_000 });
    // The rates are the same after halving (up to the priors' weight).
    expect(interest.value('1_3y', 'toys')).toBeCloseTo(before, 3);
  });
});
