import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENERGY_METHODS,
  energyMethodLabel,
  bucketLabels,
  energyRegionsPath,
  energyReportDownloadHref,
  energyReportPath,
  energyTrendCsvHref,
  energyTrendPath,
  formatCarbonG,
  formatCpuSeconds,
  formatDecimal,
  formatEnergyKwh,
  formatEnergyWh,
  formatFactor,
  formatQuantity,
  formatShare,
  isEnergyComponent,
  modelEntries,
  periodOf,
  reportFileName,
  scaleFor,
  sessionTime,
  sessionEnergyPath,
  suggestBucket,
  trendFileName,
  trendSeries,
  trendTotals,
  type TrendPoint,
} from './energy.ts';
import { i18n } from '../i18n/index.ts';
import { METHOD_MODEL, METHOD_RAPL } from '../../../src/modules/energy/accounting.ts';

const H = 3_600_000;

describe('energy units', () => {
  it('picks Wh, mWh, µWh, kWh or MWh so the figure reads 1 … 999', () => {
    expect(formatEnergyWh(1.2345, 'en').text).toBe('1.23 Wh');
    expect(formatEnergyWh(0.0123, 'en').text).toBe('12.3 mWh');
    expect(formatEnergyWh(0.00042, 'en').text).toBe('420 µWh');
    expect(formatEnergyWh(1234, 'en').text).toBe('1.23 kWh');
    expect(formatEnergyWh(250, 'en').text).toBe('250 Wh');
    expect(formatEnergyWh(3_456_789, 'en').text).toBe('3.46 MWh');
    expect(formatEnergyWh(1_234_567_890, 'en').text).toBe('1,235 MWh');
    expect(formatEnergyWh(0.5, 'zh-CN')).toEqual({ value: '500', unit: 'mWh', text: '500 mWh' });
  });

  it('moves up a unit when rounding reaches 1,000', () => {
    expect(formatEnergyWh(999.7, 'en').text).toBe('1 kWh');
    expect(formatEnergyWh(0.99951, 'en').text).toBe('1 Wh');
    expect(formatEnergyWh(999.4, 'en').text).toBe('999 Wh');
  });

  it('converts kWh from the report', () => {
    expect(formatEnergyKwh(0.0000123, 'en').text).toBe('12.3 mWh');
    expect(formatEnergyKwh(2.5, 'en').text).toBe('2.5 kWh');
    expect(formatEnergyKwh(null, 'en').text).toBe('—');
  });

  it('writes carbon in µg … t CO₂e', () => {
    expect(formatCarbonG(0.65, 'en').text).toBe('650 mg CO₂e');
    expect(formatCarbonG(12.34, 'en').text).toBe('12.3 g CO₂e');
    expect(formatCarbonG(5300, 'en').text).toBe('5.3 kg CO₂e');
    expect(formatCarbonG(2_000_000, 'en').text).toBe('2 t CO₂e');
    expect(formatCarbonG(0.0000042, 'en').text).toBe('4.2 µg CO₂e');
  });

  it('never writes a tiny positive figure as 0', () => {
    expect(formatEnergyWh(1e-12, 'en').text).toBe('< 0.001 µWh');
    expect(formatCarbonG(3e-9, 'en').text).toBe('0.003 µg CO₂e');
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 1e12, noNaN: true }), (value) => {
        for (const kind of ['energy', 'carbon', 'cpu'] as const) {
          const q = formatQuantity(kind, value, 'en');
          expect(q.value).not.toBe('0');
          expect(Number(q.value.replace(/[<,\s]/g, ''))).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('writes zero as zero and a missing figure as a dash', () => {
    expect(formatEnergyWh(0, 'en').text).toBe('0 Wh');
    expect(formatCarbonG(0, 'en').text).toBe('0 g CO₂e');
    expect(formatEnergyWh(null, 'en')).toEqual({ value: '—', unit: '', text: '—' });
    expect(formatCarbonG(undefined, 'en').text).toBe('—');
    expect(formatCarbonG(Number.NaN, 'en').text).toBe('—');
  });

  it('writes CPU time in s, ms, µs or h', () => {
    expect(formatCpuSeconds(0.0042, 'en').text).toBe('4.2 ms');
    expect(formatCpuSeconds(12.5, 'en').text).toBe('12.5 s');
    expect(formatCpuSeconds(7200, 'en').text).toBe('2 h');
  });

  it('writes grid factors as published, plain figures and shares', () => {
    expect(formatFactor(0.5306, 'en')).toBe('0.5306 kg CO₂e/kWh');
    expect(formatFactor(0.55, 'zh-CN')).toBe('0.55 kg CO₂e/kWh');
    expect(formatDecimal(1.3, 'en')).toBe('1.3');
    expect(formatDecimal(0.256, 'en')).toBe('0.26');
    expect(formatDecimal(0.0042, 'en')).toBe('0.0042');
    expect(formatDecimal(0, 'en')).toBe('0');
    expect(sessionTime(0.25, 'en')).toEqual({ unit: 'minutes', n: '15' });
    expect(sessionTime(0.00155, 'en')).toEqual({ unit: 'minutes', n: '0.1' });
    expect(sessionTime(0.0001, 'en')).toEqual({ unit: 'minutes', n: '0.006' });
    expect(sessionTime(2.5, 'en')).toEqual({ unit: 'hours', n: '2.5' });
    expect(sessionTime(null, 'en')).toEqual({ unit: 'hours', n: '—' });
    expect(formatShare(1, 4, 'en')).toBe('25.0%');
    expect(formatShare(0, 4, 'en')).toBe('0.0%');
    expect(formatShare(0.0001, 4, 'en')).toBe('< 0.1%');
    expect(formatShare(1, 0, 'en')).toBe('—');
  });
});

describe('energy paths and periods', () => {
  const period = { since: Date.UTC(2025, 4, 3, 14, 0), until: Date.UTC(2025, 4, 4, 14, 0) };

  it('builds the API paths with ISO times', () => {
    expect(sessionEnergyPath('demo room')).toBe('/api/v1/sessions/demo%20room/energy');
    expect(energyReportPath(period)).toBe('/api/v1/energy/report?since=2025-05-03T14%3A00%3A00.000Z&until=2025-05-04T14%3A00%3A00.000Z');
    expect(energyTrendPath(period, 'hour')).toBe('/api/v1/energy/trend?since=2025-05-03T14%3A00%3A00.000Z&until=2025-05-04T14%3A00%3A00.000Z&bucket=hour');
    expect(energyTrendCsvHref(period, 'day')).toMatch(/^\/api\/v1\/energy\/trend\.csv\?since=.+&until=.+&bucket=day$/);
    expect(energyReportDownloadHref(period)).toBe(`${energyReportPath(period)}&download=true`);
    expect(energyRegionsPath(period)).toBe('/api/v1/energy/regions?since=2025-05-03T14%3A00%3A00.000Z&until=2025-05-04T14%3A00%3A00.000Z');
  });

  it('checks a period and suggests a bucket', () => {
    expect(periodOf(null, 2)).toEqual({ period: null, problem: 'sinceInvalid' });
    expect(periodOf(1, null)).toEqual({ period: null, problem: 'untilInvalid' });
    expect(periodOf(2, 2)).toEqual({ period: null, problem: 'order' });
    expect(periodOf(1, 2)).toEqual({ period: { since: 1, until: 2 }, problem: null });
    expect(suggestBucket({ since: 0, until: 24 * H })).toBe('hour');
    expect(suggestBucket({ since: 0, until: 48 * H })).toBe('hour');
    expect(suggestBucket({ since: 0, until: 49 * H })).toBe('day');
  });

  it('names the downloads by the period in UTC', () => {
    expect(reportFileName(period)).toBe('qingliu-energy-report-20250503T1400Z-20250504T1400Z.json');
    expect(trendFileName(period, 'hour')).toBe('qingliu-energy-trend-hour-20250503T1400Z-20250504T1400Z.csv');
  });

  it('knows the components', () => {
    expect(isEnergyComponent('recommend')).toBe(true);
    expect(isEnergyComponent('other')).toBe(true);
    expect(isEnergyComponent('memory')).toBe(true);
    expect(isEnergyComponent('mining')).toBe(false);
  });
});

describe('the energy trend', () => {
  const point = (hour: number, energyKwh: number, carbonG: number, recommendations: number): TrendPoint => ({
    start: new Date(Date.UTC(2025, 4, 3, hour)).toISOString(),
    cpuSeconds: energyKwh * 1000,
    energyKwh,
    carbonG,
    recommendations,
    gPer1000Recommendations: recommendations > 0 ? (carbonG / recommendations) * 1000 : null,
    method: 'ccf-utilisation',
  });

  it('orders the points and puts each series in one unit that fits its largest figure', () => {
    const series = trendSeries([point(15, 0.000002, 0.00106, 0), point(14, 0.00001, 0.0053, 500)]);
    expect(series.times).toEqual([Date.UTC(2025, 4, 3, 14), Date.UTC(2025, 4, 3, 15)]);
    expect(series.energy.scale.unit).toBe('mWh');
    expect(series.energy.values).toEqual([10, 2]);
    expect(series.carbon.scale.unit).toBe('mg CO₂e');
    expect(series.carbon.values).toEqual([5.3, 1.06]);
    expect(series.intensity.scale.unit).toBe('mg CO₂e');
    expect(series.intensity.values).toEqual([10.6, null]);
  });

  it('uses the base unit for an all-zero or empty series', () => {
    expect(scaleFor('energy', [0, 0])).toEqual({ unit: 'Wh', size: 1 });
    expect(scaleFor('carbon', [null])).toEqual({ unit: 'g CO₂e', size: 1 });
    expect(trendSeries([]).times).toEqual([]);
  });

  it('totals the trend', () => {
    expect(trendTotals([point(14, 0.001, 0.5, 1000), point(15, 0.003, 1.5, 1000)])).toEqual({ energyWh: 4, carbonG: 2, recommendations: 2000, gPer1000Recommendations: 1 });
    expect(trendTotals([point(14, 0.001, 0.5, 0)]).gPer1000Recommendations).toBeNull();
  });

  it('labels buckets by the hour or the day', () => {
    const times = [new Date(2025, 4, 3, 14).getTime()];
    expect(bucketLabels(times, 'hour', 'en')[0]).toMatch(/5\/3.*14:00/);
    expect(bucketLabels(times, 'day', 'en')).toEqual(['5/3']);
  });
});

describe('the model coefficients', () => {
  it('lists them in the server’s order, numbers as written and objects as JSON', () => {
    expect(modelEntries({ maxWattsPerVcpu: 3.5, source: 'CCF', rapl: false, extra: { a: 1 }, none: null })).toEqual([
      ['maxWattsPerVcpu', '3.5'],
      ['source', 'CCF'],
      ['rapl', 'false'],
      ['extra', '{"a":1}'],
      ['none', 'null'],
    ]);
  });
});

describe('energy method names', () => {
  it('names each method the server reports, and both are its own', async () => {
    expect([...ENERGY_METHODS].sort()).toEqual([METHOD_MODEL, METHOD_RAPL].sort());
    expect(energyMethodLabel('ccf-utilisation')).toBe('CPU 利用率线性模型（Cloud Carbon Footprint）');
    await i18n.changeLanguage('en');
    expect(energyMethodLabel('rapl-package+ccf-memory')).toBe("RAPL-measured CPU package energy, plus Cloud Carbon Footprint's memory coefficient");
    expect(energyMethodLabel('some-future-model')).toBe('some-future-model');
    await i18n.changeLanguage('zh-CN');
  });
});
