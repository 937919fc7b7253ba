import { describe, expect, it } from 'vitest';
import { AgeBandInterest } from './context.js';

const MODEL = 'qingliu-linear-v3';

/** Shows `shown` items of a category to a band, `positive` of them drawing positive feedback. */
function record(interest: AgeBandInterest, band: string, category: string, shown: number, positive: number, model = MODEL): void {
  for (let i = 0; i < shown; i++) interest.shown(model, band, category);
  for (let i = 0; i < positive; i++) interest.positive(model, band, category);
}

describe('AgeBandInterest (profile.age_band_popular)', () => {
  it('reads 0.5, "as for everyone", with no data at all', () => {
    const interest = new AgeBandInterest();
    expect(interest.value(MODEL, '0_6m', 'diapers')).toBe(0.5);
    expect(interest.value(MODEL, '3_6y', 'toys')).toBe(0.5);
  });

  it('follows what each band chooses: the same category reads high for one band and low for another', () => {
    const interest = new AgeBandInterest();
    // Newborn parents choose diapers 1 time in 5; parents of 3–6-year-olds 1 in 100. Toys the other way round.
    record(interest, '0_6m', 'diapers', 2_000, 400);
    record(interest, '3_6y', 'diapers', 2_000, 20);
    record(interest, '0_6m', 'toys', 2_000, 20);
    record(interest, '3_6y', 'toys', 2_000, 400);
    // Overall 840 of 8,000 (≈ 10.5 %): 20 % is about twice that (lift ≈ 1.9 → 0.65), 1 % a tenth (→ 0.09).
    expect(interest.value(MODEL, '0_6m', 'diapers')).toBeGreaterThan(0.6);
    expect(interest.value(MODEL, '3_6y', 'diapers')).toBeLessThan(0.15);
    expect(interest.value(MODEL, '3_6y', 'toys')).toBeGreaterThan(0.6);
    expect(interest.value(MODEL, '0_6m', 'toys')).toBeLessThan(0.15);
    // A band never seen reads as the category over every band (here the average of the two).
    expect(interest.value(MODEL, '1_3y', 'diapers')).toBeCloseTo(interest.value(MODEL, '1_3y', 'toys'), 2);
    expect(interest.value(MODEL, '1_3y', 'diapers')).toBeGreaterThan(0.4);
    expect(interest.value(MODEL, '1_3y', 'diapers')).toBeLessThan(0.6);
  });

  it('is exact against a calculation by hand, shrinkage included', () => {
    const interest = new AgeBandInterest();
    record(interest, '6_12m', 'feeding', 30, 9);
    record(interest, '6_12m', 'bath', 70, 1);
    // overall = (10 + 1) / (100 + 20); feeding over every band = (9 + 50·overall) / (30 + 50);
    // the band's = (9 + 50·feeding) / (30 + 50); lift = band / overall; the value = lift / (1 + lift).
    const overall = 11 / 120;
    const feeding = (9 + 50 * overall) / 80;
    const band = (9 + 50 * feeding) / 80;
    const value = (rate: number) => rate / overall / (1 + rate / overall);
    expect(interest.value(MODEL, '6_12m', 'feeding')).toBeCloseTo(value(band), 12);
    const bath = (1 + 50 * overall) / 120;
    const bandBath = (1 + 50 * bath) / 120;
    expect(interest.value(MODEL, '6_12m', 'bath')).toBeCloseTo(value(bandBath), 12);
    expect(interest.counts(MODEL, '6_12m', 'feeding')).toEqual({ shown: 30, positive: 9 });
  });

  it('keeps each model apart, and forgets a model that left', () => {
    const interest = new AgeBandInterest();
    record(interest, '0_6m', 'diapers', 1_000, 300, 'experiment:e1:bandit');
    expect(interest.value('experiment:e1:bandit', '0_6m', 'diapers')).toBeGreaterThan(0.5);
    expect(interest.value(MODEL, '0_6m', 'diapers')).toBe(0.5);
    interest.forgetModel('experiment:e1:bandit');
    expect(interest.value('experiment:e1:bandit', '0_6m', 'diapers')).toBe(0.5);
    expect(interest.counts('experiment:e1:bandit', '0_6m', 'diapers')).toEqual({ shown: 0, positive: 0 });
  });

  it('halves its counts at 200,000 shown items, so recent shows weigh more and memory stays bounded', () => {
    const interest = new AgeBandInterest();
    record(interest, '1_3y', 'toys', 199_999, 10_000);
    expect(interest.counts(MODEL, '1_3y', 'toys')).toEqual({ shown: 199_999, positive: 10_000 });
    const before = interest.value(MODEL, '1_3y', 'toys');
    interest.shown(MODEL, '1_3y', 'toys');
    expect(interest.counts(MODEL, '1_3y', 'toys')).toEqual({ shown: 100_000, positive: 5_000 });
    // The rates are the same after halving (up to the priors' weight).
    expect(interest.value(MODEL, '1_3y', 'toys')).toBeCloseTo(before, 3);
  });
});
