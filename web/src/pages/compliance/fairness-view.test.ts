import { describe, expect, it } from 'vitest';
import {
  acknowledgePath,
  alertsPath,
  auditBody,
  auditHtmlHref,
  auditJsonDownloadHref,
  auditListPath,
  changeDirection,
  comparePath,
  defaultPair,
  defaultWindow,
  flagText,
  formatChange,
  formatIndex,
  formatMetric,
  formatPercent,
  formatYuan,
  fromLocalInput,
  knownScopes,
  lastValue,
  sortAlerts,
  toLocalInput,
  trendOf,
  unacknowledged,
  withAcknowledged,
  type AuditSummaryRow,
  type FairnessAlert,
} from './fairness-view.ts';

const row = (id: string, createdAt: number, over: Partial<AuditSummaryRow> = {}): AuditSummaryRow => ({
  id,
  trigger: 'on_demand',
  brandId: 'b1',
  sessionId: 's1',
  from: 0,
  until: 1,
  createdAt,
  decisions: 100,
  flagged: 0,
  simulated: false,
  headline: { maxPriceGap: 0.5, minParityRatio: 0.7, exposureGini: 0.9, coverage: 0.1 },
  ...over,
});

const alert = (id: string, createdAt: number, acknowledgedAt: number | null = null): FairnessAlert => ({
  id,
  auditId: 'audit-000000000000',
  brandId: 'b1',
  sessionId: 's1',
  createdAt,
  acknowledgedAt,
  flags: [],
});

describe('fairness view: paths', () => {
  it('builds the API paths, leaving out an empty filter', () => {
    expect(auditListPath()).toBe('/api/v1/fairness/audits?limit=50');
    expect(auditListPath({ trigger: 'all' })).toBe('/api/v1/fairness/audits?limit=50');
    expect(auditListPath({ trigger: 'live', brandId: 'b 1', sessionId: 's/1', limit: 5 })).toBe('/api/v1/fairness/audits?brandId=b+1&sessionId=s%2F1&trigger=live&limit=5');
    expect(auditJsonDownloadHref('audit-abc')).toBe('/api/v1/fairness/audits/audit-abc?download=true');
    expect(auditHtmlHref('audit-abc', 'en')).toBe('/api/v1/fairness/audits/audit-abc/report.html?locale=en');
    expect(auditHtmlHref('audit-abc', 'zh-CN', true)).toBe('/api/v1/fairness/audits/audit-abc/report.html?locale=zh-CN&download=true');
    expect(comparePath('a', 'b')).toBe('/api/v1/fairness/compare?a=a&b=b');
    expect(alertsPath('demo room')).toBe('/api/v1/fairness/alerts?sessionId=demo%20room&limit=50');
    expect(acknowledgePath('alert-1')).toBe('/api/v1/fairness/alerts/alert-1/acknowledge');
  });
});

describe('fairness view: the run form', () => {
  it('round-trips datetime-local values in local time and refuses incomplete or impossible ones', () => {
    const at = new Date(2026, 0, 31, 9, 5).getTime();
    expect(toLocalInput(at)).toBe('2026-01-31T09:05');
    expect(fromLocalInput('2026-01-31T09:05')).toBe(at);
    expect(fromLocalInput('2026-01-31T09:05:30')).toBe(at + 30_000);
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('2026-01-31')).toBeNull();
    expect(fromLocalInput('2026-02-31T10:00')).toBeNull();
  });

  it('defaults to the last 24 hours up to the next whole minute', () => {
    const now = new Date(2026, 4, 10, 12, 30, 15).getTime();
    expect(defaultWindow(now)).toEqual({ from: '2026-05-09T12:31', until: '2026-05-10T12:31' });
    const onTheMinute = new Date(2026, 4, 10, 12, 30, 0).getTime();
    expect(defaultWindow(onTheMinute).until).toBe('2026-05-10T12:31');
  });

  it('sends a session, or a brand with its window, and says what is missing', () => {
    const base = { sessionId: '', brandId: '', from: '2026-05-09T12:00', until: '2026-05-10T12:00' };
    expect(auditBody({ ...base, kind: 'session', sessionId: '  demo ' })).toEqual({ body: { sessionId: 'demo' }, problem: null });
    expect(auditBody({ ...base, kind: 'session' }).problem).toBe('sessionRequired');
    expect(auditBody({ ...base, kind: 'brand' }).problem).toBe('brandRequired');
    expect(auditBody({ ...base, kind: 'brand', brandId: 'b1', from: '' }).problem).toBe('fromInvalid');
    expect(auditBody({ ...base, kind: 'brand', brandId: 'b1', until: 'x' }).problem).toBe('untilInvalid');
    expect(auditBody({ ...base, kind: 'brand', brandId: 'b1', from: base.until }).problem).toBe('windowOrder');
    expect(auditBody({ ...base, kind: 'brand', brandId: ' b1 ', sessionId: 'ignored' })).toEqual({
      body: { brandId: 'b1', from: new Date(2026, 4, 9, 12).getTime(), until: new Date(2026, 4, 10, 12).getTime() },
      problem: null,
    });
  });
});

describe('fairness view: list, trend and compare', () => {
  const rows = [row('c', 300, { headline: { maxPriceGap: null, minParityRatio: 0.5, exposureGini: 0.8, coverage: 0.2 } }), row('a', 100), row('b', 200, { sessionId: null, brandId: 'b0' })];

  it('draws the headline figures oldest first, with gaps as null', () => {
    const trend = trendOf(rows);
    expect(trend.ids).toEqual(['a', 'b', 'c']);
    expect(trend.times).toEqual([100, 200, 300]);
    expect(trend.series.maxPriceGap).toEqual([0.5, 0.5, null]);
    expect(trend.series.coverage).toEqual([0.1, 0.1, 0.2]);
    expect(lastValue(trend.series.maxPriceGap)).toBe(0.5);
    expect(lastValue([null, null])).toBeNull();
  });

  it('compares the newest audit with the one before by default', () => {
    expect(defaultPair(rows)).toEqual({ a: 'b', b: 'c' });
    expect(defaultPair([row('x', 1)])).toEqual({ a: '', b: 'x' });
  });

  it('suggests the brands and sessions seen', () => {
    expect(knownScopes(rows)).toEqual({ brands: ['b0', 'b1'], sessions: ['s1'] });
  });
});

describe('fairness view: alerts', () => {
  it('lists unacknowledged alerts first, newest first within each', () => {
    const sorted = sortAlerts([alert('old', 1), alert('ack-new', 9, 10), alert('new', 5), alert('ack-old', 2, 3)]);
    expect(sorted.map((a) => a.id)).toEqual(['new', 'old', 'ack-new', 'ack-old']);
    expect(unacknowledged(sorted)).toBe(2);
  });

  it('marks one alert acknowledged, once', () => {
    const list = [alert('x', 1), alert('y', 2, 5)];
    const after = withAcknowledged(list, 'x', 7);
    expect(after.map((a) => a.acknowledgedAt)).toEqual([7, 5]);
    expect(withAcknowledged(after, 'y', 9)[1]!.acknowledgedAt).toBe(5);
  });

  it('shows a flag in the page language, falling back to the other', () => {
    expect(flagText({ text: { zh: '中文', en: 'English' } }, 'zh-CN')).toBe('中文');
    expect(flagText({ text: { zh: '中文', en: 'English' } }, 'en')).toBe('English');
    expect(flagText({ text: { zh: '中文', en: '' } }, 'en')).toBe('中文');
  });
});

describe('fairness view: numbers', () => {
  it('formats rates, indices, prices and changes', () => {
    expect(formatPercent(0.675)).toBe('67.5%');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(Number.NaN)).toBe('—');
    expect(formatPercent(-0.0001)).toBe('0.0%');
    expect(formatIndex(0.93456)).toBe('0.93');
    expect(formatIndex(0.93456, 3)).toBe('0.935');
    expect(formatYuan(129)).toBe('¥129.00');
    expect(formatMetric('meanPrice', 59.9)).toBe('¥59.90');
    expect(formatMetric('ctr', 0.2)).toBe('20.0%');
    expect(formatChange('premiumRate', 0.042, 'pp')).toBe('+4.2 pp');
    expect(formatChange('premiumRate', -0.675, 'pp')).toBe('\u221267.5 pp');
    expect(formatChange('meanPrice', -12.5, 'pp')).toBe('\u2212¥12.50');
    expect(formatChange('meanPrice', 0, 'pp')).toBe('¥0.00');
    expect(formatChange('exposureGini', 0.0123, 'pp')).toBe('+0.012');
    expect(formatChange('coverage', 0, 'pp')).toBe('0.0 pp');
    expect(formatChange('ctr', null, 'pp')).toBe('—');
    expect(changeDirection(0.1)).toBe('up');
    expect(changeDirection(-0.1)).toBe('down');
    expect(changeDirection(0)).toBe('none');
    expect(changeDirection(null)).toBe('none');
  });
});
