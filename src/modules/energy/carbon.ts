/**
 * Carbon accounting: location-based grid emission factors for China and the Green Software
 * Foundation's Software Carbon Intensity (SCI, ISO/IEC 21031:2024).
 *
 * Why location-based: SCI measures what the software causes on the grid it actually draws from,
 * so it takes the grid's average intensity. Market instruments (green certificates, PPAs, offsets)
 * cannot reduce an SCI score — the specification says so — and nothing here accepts them.
 *
 * Every factor carries its year and source, because factors change every year (the 2023 southern
 * grids rose when drought cut hydropower) and a figure without its vintage cannot be checked.
 */

export interface LocalisedName {
  zh: string;
  en: string;
}

/** What area a factor averages over. */
export type GridScope = 'national' | 'regional-grid' | 'province' | 'custom';

export interface GridFactor {
  id: string;
  name: LocalisedName;
  scope: GridScope;
  /** kg CO2 per kWh consumed (location-based average). */
  kgPerKwh: number;
  /** The year the electricity was generated (not the year of publication). */
  year: number;
  source: string;
}

// Sources. These texts come from secondary reprints of the announcements (news reports), not
// from the ministry's own page; check them against mee.gov.cn before relying on a figure in a
// public report. The year and source travel with every figure so that check stays possible.
const SOURCE_2021 = 'MEE/NBS announcement 2024 No. 12 (12 Apr 2024): 2021 electricity CO2 emission factors';
const SOURCE_2022 = 'MEE/NBS announcement of 20 Dec 2024 (as reported by the Beijing News): 2022 electricity CO2 emission factors';
const SOURCE_2023 = 'MEE/NBS joint announcement reported Jan 2026 (Guangming Daily; China Electric Power News): 2023 electricity CO2 emission factors';
const SOURCES: Readonly<Record<number, string>> = { 2021: SOURCE_2021, 2022: SOURCE_2022, 2023: SOURCE_2023 };

type Row = readonly [id: string, zh: string, en: string, scope: GridScope, values: Readonly<Record<number, number>>];

const ROWS: readonly Row[] = [
  ['cn-national', '全国', 'China (national average)', 'national', { 2021: 0.5568, 2022: 0.5366, 2023: 0.5306 }],
  ['cn-north', '华北', 'North China grid', 'regional-grid', { 2022: 0.6776, 2023: 0.6361 }],
  ['cn-northeast', '东北', 'Northeast China grid', 'regional-grid', { 2022: 0.5564, 2023: 0.5122 }],
  ['cn-east', '华东', 'East China grid', 'regional-grid', { 2022: 0.5617, 2023: 0.55 }],
  ['cn-central', '华中', 'Central China grid', 'regional-grid', { 2022: 0.5395, 2023: 0.5271 }],
  ['cn-northwest', '西北', 'Northwest China grid', 'regional-grid', { 2022: 0.5857, 2023: 0.5543 }],
  ['cn-south', '南方', 'Southern grid', 'regional-grid', { 2022: 0.3869, 2023: 0.4042 }],
  ['cn-southwest', '西南', 'Southwest China grid', 'regional-grid', { 2022: 0.2268, 2023: 0.2472 }],
  ['cn-hebei', '河北', 'Hebei', 'province', { 2022: 0.7252 }],
  ['cn-shanxi', '山西', 'Shanxi', 'province', { 2022: 0.7096 }],
  ['cn-tianjin', '天津', 'Tianjin', 'province', { 2022: 0.7041 }],
  ['cn-inner-mongolia', '内蒙古', 'Inner Mongolia', 'province', { 2022: 0.6849 }],
  ['cn-anhui', '安徽', 'Anhui', 'province', { 2022: 0.6782 }],
  ['cn-fujian', '福建', 'Fujian', 'province', { 2022: 0.4092 }],
  ['cn-guangxi', '广西', 'Guangxi', 'province', { 2022: 0.4044 }],
  ['cn-qinghai', '青海', 'Qinghai', 'province', { 2022: 0.1567 }],
  ['cn-sichuan', '四川', 'Sichuan', 'province', { 2022: 0.1404 }],
  ['cn-yunnan', '云南', 'Yunnan', 'province', { 2022: 0.1073 }],
];

/** Published location-based grid factors, one entry per area and year, oldest year first. */
export const GRID_FACTORS: readonly Readonly<GridFactor>[] = Object.freeze(
  ROWS.flatMap(([id, zh, en, scope, values]) =>
    Object.entries(values).map(([year, kgPerKwh]) =>
      Object.freeze({ id, name: Object.freeze({ zh, en }), scope, kgPerKwh, year: Number(year), source: SOURCES[Number(year)] ?? '' }),
    ),
  ),
);

/**
 * The factor for an area, from the latest year published when `year` is omitted (the freshest
 * figure is the best estimate of today's grid). Unknown areas or years are refused with the known
 * ones listed, never silently replaced by another year or the national average.
 */
export function gridFactor(id: string, year?: number): Readonly<GridFactor> {
  const rows = GRID_FACTORS.filter((f) => f.id === id);
  if (rows.length === 0) {
    const known = [...new Set(GRID_FACTORS.map((f) => f.id))].join(', ');
    throw new RangeError(`unknown grid factor id "${id}"; known ids: ${known}`);
  }
  if (year === undefined) return rows.reduce((a, b) => (b.year > a.year ? b : a));
  const hit = rows.find((f) => f.year === year);
  if (!hit) throw new RangeError(`no ${year} factor for "${id}"; known years: ${rows.map((f) => f.year).join(', ')}`);
  return hit;
}

export interface CustomFactorInput {
  id: string;
  kgPerKwh: number;
  year: number;
  source: string;
  name?: LocalisedName;
}

/** kg/kWh above this is no real grid (pure lignite generation is about 1.2). */
export const MAX_PLAUSIBLE_KG_PER_KWH = 2;

/**
 * An operator-supplied factor (a supplier's disclosure, a newer announcement). It must say which
 * year and source it comes from, for the same reason the built-in table does.
 */
export function customFactor(input: CustomFactorInput): Readonly<GridFactor> {
  const { id, kgPerKwh, year, source } = input;
  if (typeof id !== 'string' || id.trim() === '') throw new TypeError('custom factor: id must be a non-empty string');
  if (year === undefined || year === null) throw new TypeError(`custom factor "${id}": year is required (the year the electricity was generated)`);
  if (typeof source !== 'string' || source.trim() === '') throw new TypeError(`custom factor "${id}": source is required (who published the figure, and where)`);
  if (typeof kgPerKwh !== 'number' || !Number.isFinite(kgPerKwh) || kgPerKwh <= 0 || kgPerKwh > MAX_PLAUSIBLE_KG_PER_KWH) {
    throw new RangeError(`custom factor "${id}": kgPerKwh must be > 0 and ≤ ${MAX_PLAUSIBLE_KG_PER_KWH} kg CO2e/kWh, got ${String(kgPerKwh)}`);
  }
  if (!Number.isInteger(year) || year < 1990 || year > 2100) throw new RangeError(`custom factor "${id}": year must be a whole year in 1990..2100, got ${String(year)}`);
  return Object.freeze({ id, name: Object.freeze({ ...(input.name ?? { zh: id, en: id }) }), scope: 'custom', kgPerKwh, year, source: source.trim() });
}

export interface DataCentreHub {
  id: string;
  name: LocalisedName;
  /** PUE used for this site. */
  pue: number;
  pueSource: string;
  /** The factor of the grid the site draws from. */
  factor: Readonly<GridFactor>;
}

const PUE_NORTH = "Alibaba Cloud's reported PUE for its northern sites (1.2)";
const PUE_OTHER = "Alibaba Cloud's reported PUE for its other sites (1.3)";

/**
 * Data-centre hubs and the grid factor each draws from. All are pinned to 2022, the latest year
 * for which provincial factors are recorded here, so hubs compare like with like: a 2023 regional
 * factor beside a 2022 provincial one would mix a weather effect (2023's dry year) into a siting
 * decision. Where no provincial factor is recorded the regional grid's is used (Beijing and
 * Qingdao are in the North China grid). A provincial average is still an average: Zhangjiakou's
 * own wind and solar are not visible in Hebei's figure.
 */
const HUB_ROWS: readonly (readonly [id: string, zh: string, en: string, pue: number, factorId: string])[] = [
  ['zhangjiakou', '张家口', 'Zhangjiakou', 1.2, 'cn-hebei'],
  ['ulanqab', '乌兰察布', 'Ulanqab', 1.2, 'cn-inner-mongolia'],
  ['hohhot', '呼和浩特', 'Hohhot', 1.2, 'cn-inner-mongolia'],
  ['beijing', '北京', 'Beijing', 1.2, 'cn-north'],
  ['qingdao', '青岛', 'Qingdao', 1.2, 'cn-north'],
  ['chengdu', '成都', 'Chengdu', 1.3, 'cn-sichuan'],
  ['hangzhou', '杭州', 'Hangzhou', 1.3, 'cn-east'],
  ['shanghai', '上海', 'Shanghai', 1.3, 'cn-east'],
  ['nanjing', '南京', 'Nanjing', 1.3, 'cn-east'],
  ['shenzhen', '深圳', 'Shenzhen', 1.3, 'cn-south'],
  ['guangzhou', '广州', 'Guangzhou', 1.3, 'cn-south'],
  ['heyuan', '河源', 'Heyuan', 1.3, 'cn-south'],
];

export const HUB_FACTOR_YEAR = 2022;

export const DATA_CENTRE_HUBS: readonly Readonly<DataCentreHub>[] = Object.freeze(
  HUB_ROWS.map(([id, zh, en, pue, factorId]) =>
    Object.freeze({
      id,
      name: Object.freeze({ zh, en }),
      pue,
      pueSource: id === 'chengdu' ? `${PUE_OTHER}; assumed for Chengdu` : pue === 1.2 ? PUE_NORTH : PUE_OTHER,
      factor: gridFactor(factorId, HUB_FACTOR_YEAR),
    }),
  ),
);

function nonNegative(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`${field} must be a finite number ≥ 0, got ${String(value)}`);
  return value;
}

function positive(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`${field} must be a finite number > 0, got ${String(value)}`);
  return value;
}

/** SCI's O = E × I, in grams CO2e: energy in kWh times a location-based factor in kg/kWh. */
export function operationalCarbon(energyKwh: number, factorKgPerKwh: number): number {
  return nonNegative('energyKwh', energyKwh) * nonNegative('factorKgPerKwh', factorKgPerKwh) * 1000;
}

export interface EmbodiedInput {
  /** TE: embodied emissions of the hardware over its life, kg CO2e. */
  totalEmbodiedKg: number;
  /** TiR: hours the hardware was reserved for the software. */
  timeReservedHours: number;
  /** EL: expected lifespan of the hardware, hours. */
  expectedLifespanHours: number;
  /** RR: resources reserved (e.g. vCPUs). */
  resourcesReserved: number;
  /** ToR: total resources of the hardware (e.g. vCPUs of the host). */
  totalResources: number;
}

/**
 * SCI's M = TE × (TiR / EL) × (RR / ToR), in grams CO2e: the share of the hardware's embodied
 * emissions that this software's time and resources account for. A share above the whole
 * (reserving longer than the lifespan, or more than the host has) is refused, not capped.
 */
export function embodiedCarbon(input: EmbodiedInput): number {
  const te = nonNegative('totalEmbodiedKg', input.totalEmbodiedKg);
  const tir = nonNegative('timeReservedHours', input.timeReservedHours);
  const el = positive('expectedLifespanHours', input.expectedLifespanHours);
  const rr = nonNegative('resourcesReserved', input.resourcesReserved);
  const tor = positive('totalResources', input.totalResources);
  if (tir > el) throw new RangeError(`timeReservedHours (${tir}) must not exceed expectedLifespanHours (${el})`);
  if (rr > tor) throw new RangeError(`resourcesReserved (${rr}) must not exceed totalResources (${tor})`);
  return te * 1000 * (tir / el) * (rr / tor);
}

export interface SciInput {
  /** O, grams CO2e. */
  operationalG: number;
  /** M, grams CO2e. */
  embodiedG: number;
  /** R: how many functional units (e.g. recommendations served) the emissions bought. */
  functionalUnits: number;
}

/**
 * SCI = (O + M) per R, grams CO2e per functional unit. There is deliberately no parameter for
 * offsets, certificates or other market-based measures: the SCI specification says they cannot
 * reduce the score. Negative O or M are refused for the same reason — they would be an offset by
 * another name.
 */
export function sci(input: SciInput): number {
  const o = nonNegative('operationalG', input.operationalG);
  const m = nonNegative('embodiedG', input.embodiedG);
  const r = positive('functionalUnits', input.functionalUnits);
  return (o + m) / r;
}

export interface SciRecommendationsInput {
  operationalG: number;
  embodiedG: number;
  /** Recommendations served while O and M were incurred. */
  recommendations: number;
}

/** SCI with R = 1,000 recommendations: grams CO2e per thousand recommendations served. */
export function sciPer1000Recommendations(input: SciRecommendationsInput): number {
  return sci({ operationalG: input.operationalG, embodiedG: input.embodiedG, functionalUnits: positive('recommendations', input.recommendations) / 1000 });
}

export interface RegionCandidate {
  id: string;
  name: LocalisedName;
  pue: number;
  factor: Readonly<GridFactor>;
}

export interface RegionRanking {
  id: string;
  name: LocalisedName;
  pue: number;
  factorId: string;
  kgPerKwh: number;
  factorYear: number;
  factorSource: string;
  /** Facility energy per 1,000 recommendations: IT energy × PUE. */
  kwhPer1000: number;
  /** Operational grams CO2e per 1,000 recommendations. */
  gPer1000: number;
}

/**
 * Ranks candidate sites by operational gCO2e per 1,000 recommendations, lowest first. The
 * workload's energy is its IT energy (servers only, no PUE) so each site's own PUE can be applied
 * once: g = kWh_IT × PUE × kgPerKwh × 1000. Ties keep a stable order by id. Embodied emissions are
 * left out: they depend on the hardware, not on where it stands.
 */
export function rankRegions(workloadKwhPer1000: number, candidates: readonly Readonly<RegionCandidate>[]): RegionRanking[] {
  const kwh = nonNegative('workloadKwhPer1000', workloadKwhPer1000);
  return candidates
    .map((c) => {
      if (typeof c.pue !== 'number' || !(c.pue >= 1 && c.pue <= 3)) throw new RangeError(`candidate "${c.id}": pue must be in [1, 3], got ${String(c.pue)}`);
      const kwhPer1000 = kwh * c.pue;
      return {
        id: c.id,
        name: c.name,
        pue: c.pue,
        factorId: c.factor.id,
        kgPerKwh: c.factor.kgPerKwh,
        factorYear: c.factor.year,
        factorSource: c.factor.source,
        kwhPer1000,
        gPer1000: operationalCarbon(kwhPer1000, c.factor.kgPerKwh),
      };
    })
    .sort((a, b) => a.gPer1000 - b.gPer1000 || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
