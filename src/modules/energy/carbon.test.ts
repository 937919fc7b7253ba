import { describe, expect, it } from 'vitest';
import {
  customFactor,
  DATA_CENTRE_HUBS,
  embodiedCarbon,
  GRID_FACTORS,
  gridFactor,
  HUB_FACTOR_YEAR,
  operationalCarbon,
  rankRegions,
  sci,
  sciPer1000Recommendations,
  type SciInput,
} from './index.js';

/** 2 vCPUs at 50 % with CCF's Alibaba averages: 2 × (0.74 + 0.5 × 2.76) W, for one hour, before PUE. */
const REGION_EXAMPLE_KWH_PER_HOUR = 0.00424;

describe('GRID_FACTORS', () => {
  it('records the published figures, each with its year and source', () => {
    const value = (id: string, year: number) => gridFactor(id, year).kgPerKwh;
    expect([2021, 2022, 2023].map((y) => value('cn-national', y))).toEqual([0.5568, 0.5366, 0.5306]);
    const regional: [string, number, number][] = [
      ['cn-north', 0.6776, 0.6361],
      ['cn-northeast', 0.5564, 0.5122],
      ['cn-east', 0.5617, 0.55],
      ['cn-central', 0.5395, 0.5271],
      ['cn-northwest', 0.5857, 0.5543],
      ['cn-south', 0.3869, 0.4042],
      ['cn-southwest', 0.2268, 0.2472],
    ];
    for (const [id, y2022, y2023] of regional) expect([value(id, 2022), value(id, 2023)], id).toEqual([y2022, y2023]);
    const provinces: [string, number][] = [
      ['cn-hebei', 0.7252],
      ['cn-shanxi', 0.7096],
      ['cn-tianjin', 0.7041],
      ['cn-inner-mongolia', 0.6849],
      ['cn-anhui', 0.6782],
      ['cn-fujian', 0.4092],
      ['cn-guangxi', 0.4044],
      ['cn-qinghai', 0.1567],
      ['cn-sichuan', 0.1404],
      ['cn-yunnan', 0.1073],
    ];
    for (const [id, y2022] of provinces) expect(value(id, 2022), id).toBe(y2022);
    expect(GRID_FACTORS).toHaveLength(3 + 7 * 2 + 10);
    expect(gridFactor('cn-south', 2023).name).toEqual({ zh: '南方', en: 'Southern grid' });
    for (const f of GRID_FACTORS) {
      expect(f.source, `${f.id} ${f.year}`).toMatch(new RegExp(`MEE/NBS .*${f.year} electricity CO2 emission factors$`));
      expect(f.kgPerKwh).toBeGreaterThan(0);
      expect(Object.isFrozen(f)).toBe(true);
    }
    expect(gridFactor('cn-national', 2021).source).toContain('2024 No. 12');
    expect(gridFactor('cn-hebei', 2022).source).toContain('Beijing News');
    expect(gridFactor('cn-north', 2023).source).toContain('Guangming Daily');
  });

  it('agrees with the year-on-year changes the announcements report (a check on transcription)', () => {
    const change = (id: string, from: number, to: number) => Math.round(((gridFactor(id, to).kgPerKwh / gridFactor(id, from).kgPerKwh) - 1) * 1000) / 10;
    expect(change('cn-national', 2021, 2022)).toBe(-3.6);
    expect(change('cn-national', 2022, 2023)).toBe(-1.1);
    const reported: [string, number][] = [
      ['cn-north', -6.1],
      ['cn-northeast', -7.9], // reported as 8.0 %: 0.5122 / 0.5564 − 1 = −7.94 %, rounded from a less rounded base
      ['cn-east', -2.1],
      ['cn-central', -2.3],
      ['cn-northwest', -5.4],
      ['cn-south', 4.5],
      ['cn-southwest', 9.0],
    ];
    for (const [id, pct] of reported) expect(change(id, 2022, 2023), id).toBe(pct);
    // The 2022 Beijing News report: Yunnan's factor is under 14.8 % of Hebei's.
    expect(gridFactor('cn-yunnan').kgPerKwh / gridFactor('cn-hebei').kgPerKwh).toBeLessThan(0.148);
  });
});

describe('gridFactor', () => {
  it('returns the latest year when none is asked for', () => {
    expect(gridFactor('cn-national')).toMatchObject({ year: 2023, kgPerKwh: 0.5306 });
    expect(gridFactor('cn-sichuan')).toMatchObject({ year: 2022, kgPerKwh: 0.1404, scope: 'province' });
  });

  it('refuses unknown ids and years, listing the known ones', () => {
    expect(() => gridFactor('cn-atlantis')).toThrow(/unknown grid factor id "cn-atlantis"; known ids: cn-national, cn-north, .*cn-yunnan/);
    expect(() => gridFactor('cn-hebei', 2023)).toThrow('no 2023 factor for "cn-hebei"; known years: 2022');
    expect(() => gridFactor('cn-national', 2020)).toThrow('known years: 2021, 2022, 2023');
  });
});

describe('customFactor', () => {
  const good = { id: 'supplier-x', kgPerKwh: 0.42, year: 2024, source: 'Supplier X sustainability report 2024, p. 12' };

  it('accepts a complete, plausible factor', () => {
    expect(customFactor(good)).toEqual({ ...good, scope: 'custom', name: { zh: 'supplier-x', en: 'supplier-x' } });
    expect(customFactor({ ...good, name: { zh: '供应商', en: 'Supplier' } }).name.zh).toBe('供应商');
  });

  it('refuses a factor without year or source, or with an absurd value', () => {
    const missingYear = { ...good } as Partial<typeof good>;
    delete missingYear.year;
    expect(() => customFactor(missingYear as typeof good)).toThrow('custom factor "supplier-x": year is required');
    expect(() => customFactor({ ...good, source: '  ' })).toThrow('custom factor "supplier-x": source is required');
    expect(() => customFactor({ ...good, source: undefined as unknown as string })).toThrow(TypeError);
    expect(() => customFactor({ ...good, id: '' })).toThrow('id must be a non-empty string');
    for (const kgPerKwh of [0, -0.1, 2.01, Number.NaN]) expect(() => customFactor({ ...good, kgPerKwh }), String(kgPerKwh)).toThrow(/kgPerKwh must be > 0 and ≤ 2/);
    expect(customFactor({ ...good, kgPerKwh: 2 }).kgPerKwh).toBe(2);
    for (const year of [1989, 2101, 2024.5]) expect(() => customFactor({ ...good, year }), String(year)).toThrow(/year must be a whole year in 1990..2100/);
    expect(customFactor({ ...good, year: 1990 }).year).toBe(1990);
  });
});

describe('SCI', () => {
  it('computes O = E × I in grams', () => {
    // The region example: 4.24 W × PUE 1.2 = 5.088 Wh per hour, on Hebei's 2022 grid.
    expect(operationalCarbon(REGION_EXAMPLE_KWH_PER_HOUR * 1.2, gridFactor('cn-hebei').kgPerKwh)).toBeCloseTo(3.6898176, 12);
    // Chengdu: 4.24 × 1.3 = 5.512 Wh per hour on Sichuan's grid → 0.77 g/h, about 4.8 × less.
    const chengdu = operationalCarbon(REGION_EXAMPLE_KWH_PER_HOUR * 1.3, gridFactor('cn-sichuan').kgPerKwh);
    expect(chengdu).toBeCloseTo(0.7738848, 12);
    expect(3.6898176 / chengdu).toBeCloseTo(4.77, 2);
    // China's 2022 national average at PUE 1.3: 5.512 × 0.5366 = 2.96 g/h.
    expect(operationalCarbon(0.005512, gridFactor('cn-national', 2022).kgPerKwh)).toBeCloseTo(2.9577392, 12);
    expect(operationalCarbon(0, 0.5)).toBe(0);
    expect(() => operationalCarbon(-1, 0.5)).toThrow('energyKwh must be a finite number ≥ 0, got -1');
    expect(() => operationalCarbon(1, Number.NaN)).toThrow(/factorKgPerKwh/);
  });

  it('computes M = TE × (TiR / EL) × (RR / ToR) in grams', () => {
    // A 1,200 kg server over 4 years (35,040 h), 1 hour on 4 of its 64 vCPUs.
    const m = embodiedCarbon({ totalEmbodiedKg: 1200, timeReservedHours: 1, expectedLifespanHours: 35_040, resourcesReserved: 4, totalResources: 64 });
    expect(m).toBeCloseTo((1_200_000 * (1 / 35_040) * 4) / 64, 12);
    expect(m).toBeCloseTo(2.1404109589, 9);
    expect(embodiedCarbon({ totalEmbodiedKg: 1, timeReservedHours: 10, expectedLifespanHours: 10, resourcesReserved: 8, totalResources: 8 })).toBe(1000);
    expect(() => embodiedCarbon({ totalEmbodiedKg: 1, timeReservedHours: 11, expectedLifespanHours: 10, resourcesReserved: 1, totalResources: 8 })).toThrow(
      'timeReservedHours (11) must not exceed expectedLifespanHours (10)',
    );
    expect(() => embodiedCarbon({ totalEmbodiedKg: 1, timeReservedHours: 1, expectedLifespanHours: 10, resourcesReserved: 9, totalResources: 8 })).toThrow(
      'resourcesReserved (9) must not exceed totalResources (8)',
    );
    expect(() => embodiedCarbon({ totalEmbodiedKg: 1, timeReservedHours: 1, expectedLifespanHours: 0, resourcesReserved: 1, totalResources: 8 })).toThrow(/expectedLifespanHours must be a finite number > 0/);
    expect(() => embodiedCarbon({ totalEmbodiedKg: -1, timeReservedHours: 1, expectedLifespanHours: 10, resourcesReserved: 1, totalResources: 8 })).toThrow(/totalEmbodiedKg/);
  });

  it('divides O + M by the functional units', () => {
    expect(sci({ operationalG: 3, embodiedG: 1, functionalUnits: 8 })).toBe(0.5);
    expect(sciPer1000Recommendations({ operationalG: 3, embodiedG: 1, recommendations: 8000 })).toBe(0.5);
    expect(sciPer1000Recommendations({ operationalG: 3.6898176, embodiedG: 0, recommendations: 1000 })).toBe(3.6898176);
    expect(() => sci({ operationalG: 1, embodiedG: 0, functionalUnits: 0 })).toThrow('functionalUnits must be a finite number > 0, got 0');
    expect(() => sciPer1000Recommendations({ operationalG: 1, embodiedG: 0, recommendations: -5 })).toThrow(/recommendations must be/);
  });

  it('cannot be reduced by market instruments', () => {
    // There is no offset parameter; an extra property is ignored, and a negative term is refused.
    const smuggled = { operationalG: 10, embodiedG: 2, functionalUnits: 4, offsetG: 12 } as SciInput;
    expect(sci(smuggled)).toBe(3);
    expect(() => sci({ operationalG: -10, embodiedG: 2, functionalUnits: 4 })).toThrow('operationalG must be a finite number ≥ 0, got -10');
    expect(() => sci({ operationalG: 10, embodiedG: -2, functionalUnits: 4 })).toThrow(/embodiedG/);
  });
});

describe('data-centre hubs and rankRegions', () => {
  it('maps each hub to its grid and PUE, all from one factor year', () => {
    const hub = (id: string) => DATA_CENTRE_HUBS.find((h) => h.id === id);
    expect(hub('zhangjiakou')).toMatchObject({ pue: 1.2, factor: { id: 'cn-hebei', kgPerKwh: 0.7252 } });
    expect(hub('ulanqab')?.factor.id).toBe('cn-inner-mongolia');
    expect(hub('hohhot')?.factor.id).toBe('cn-inner-mongolia');
    expect(hub('chengdu')).toMatchObject({ pue: 1.3, factor: { id: 'cn-sichuan' } });
    for (const id of ['hangzhou', 'shanghai', 'nanjing']) expect(hub(id)).toMatchObject({ pue: 1.3, factor: { id: 'cn-east' } });
    for (const id of ['shenzhen', 'guangzhou', 'heyuan']) expect(hub(id)).toMatchObject({ pue: 1.3, factor: { id: 'cn-south' } });
    for (const id of ['beijing', 'qingdao']) expect(hub(id)?.pue).toBe(1.2);
    for (const h of DATA_CENTRE_HUBS) {
      expect(h.factor.year, h.id).toBe(HUB_FACTOR_YEAR);
      expect(h.pueSource).toMatch(/Alibaba Cloud/);
    }
  });

  it('ranks by IT energy × each site’s PUE × its factor, lowest first, keeping year and source', () => {
    const ranked = rankRegions(REGION_EXAMPLE_KWH_PER_HOUR, DATA_CENTRE_HUBS);
    expect(ranked).toHaveLength(DATA_CENTRE_HUBS.length);
    expect(ranked[0]).toMatchObject({ id: 'chengdu', pue: 1.3, factorId: 'cn-sichuan', kgPerKwh: 0.1404, factorYear: 2022 });
    expect(ranked[0]?.kwhPer1000).toBeCloseTo(0.005512, 15);
    expect(ranked[0]?.gPer1000).toBeCloseTo(0.7738848, 12);
    expect(ranked[0]?.factorSource).toContain('MEE/NBS');
    const last = ranked.at(-1);
    expect(last).toMatchObject({ id: 'zhangjiakou', factorId: 'cn-hebei' });
    expect(last?.gPer1000).toBeCloseTo(3.6898176, 12);
    for (let i = 1; i < ranked.length; i++) expect(ranked[i]!.gPer1000).toBeGreaterThanOrEqual(ranked[i - 1]!.gPer1000);
    // Equal scores keep a stable order by id (Guangzhou, Heyuan and Shenzhen share grid and PUE).
    const south = ranked.filter((r) => r.factorId === 'cn-south').map((r) => r.id);
    expect(south).toEqual(['guangzhou', 'heyuan', 'shenzhen']);
  });

  it('takes custom candidates and refuses bad input', () => {
    const national = { id: 'national', name: { zh: '全国', en: 'National' }, pue: 1.3, factor: gridFactor('cn-national', 2022) };
    const [only] = rankRegions(REGION_EXAMPLE_KWH_PER_HOUR, [national]);
    expect(only?.gPer1000).toBeCloseTo(2.9577392, 12);
    expect(() => rankRegions(-1, [national])).toThrow(/workloadKwhPer1000/);
    expect(() => rankRegions(1, [{ ...national, pue: 0.8 }])).toThrow('candidate "national": pue must be in [1, 3], got 0.8');
    expect(rankRegions(1, [])).toEqual([]);
  });
});
