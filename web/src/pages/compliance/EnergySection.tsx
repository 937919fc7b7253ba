/**
 * Energy and carbon (#/energy): for a chosen period, the totals (energy, operational and embodied
 * carbon, SCI per 1,000 recommendations and per live-session hour, the grid factor with its year and
 * source, the method and the model's coefficients), the per-component table, the trend (energy and
 * carbon per hour or day, and gCO₂e per 1,000 recommendations; ECharts, loaded lazily, with its
 * figures as a table), the green-hosting advice (candidate sites ranked by gCO₂e per 1,000
 * recommendations) and the downloads (the report as JSON, the trend as CSV). Every figure says which
 * method made it; SCI is location-based, and certificates or offsets never reduce it.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { currentLocale, pick, t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import type { BarSeriesOption, ChartOption, LineSeriesOption } from '../../ui/charts.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import {
  ENERGY_COMPONENTS,
  TREND_BUCKETS,
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
  energyMethodLabel,
  formatFactor,
  formatNumber,
  formatShare,
  isEnergyComponent,
  modelEntries,
  periodOf,
  reportFileName,
  suggestBucket,
  trendFileName,
  trendSeries,
  trendTotals,
  type ComponentRow,
  type EnergyReport,
  type EnergyTrend,
  type Period,
  type PeriodProblem,
  type RegionAdvice,
  type TrendBucket,
} from '../../ui/energy.ts';
import { formatCount, formatDateTime } from '../../ui/format.ts';
import { loadCharts, useLazyChart, type ChartsModule } from '../../ui/lazy-chart.ts';
import { durationText } from '../host/EnergyMeter.tsx';
import { isCurrentSite, regionsFactorYearNote, reportNotes } from './energy-view.ts';
import { DAY, fromLocalInput, toLocalInput } from './fairness-view.ts';

const locale = (): 'zh-CN' | 'en' => currentLocale();
const MINUTE = 60_000;

/** The default period: the last 24 hours, to the next whole minute (so this minute's samples are in). */
function defaultPeriod(now: number): Period {
  const until = Math.ceil((now + 1) / MINUTE) * MINUTE;
  return { since: until - DAY, until };
}

const componentLabel = (component: string): string => (isEnergyComponent(component) ? t(`energy.components.names.${component}`) : component);

/** Components in the order; any the pages do not know yet follow, as the server named them. */
function orderedComponents(rows: readonly ComponentRow[]): ComponentRow[] {
  const rank = (c: string): number => {
    const i = (ENERGY_COMPONENTS as readonly string[]).indexOf(c);
    return i < 0 ? ENERGY_COMPONENTS.length : i;
  };
  return [...rows].sort((a, b) => rank(a.component) - rank(b.component) || a.component.localeCompare(b.component));
}

function Fact({ label, children, testId, data }: { label: string; children: JSX.Element | string; testId?: string; data?: Record<string, string | number> }): JSX.Element {
  const attributes = Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, v]));
  return (
    <div>
      <dt class="muted">{label}</dt>
      <dd style={{ margin: '2px 0 0', fontWeight: 600, overflowWrap: 'anywhere', fontVariantNumeric: 'tabular-nums' }} data-testid={testId} {...attributes}>
        {children}
      </dd>
    </div>
  );
}

const FACTS_STYLE = { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(190px, 1fr))', gap: '10px 16px', margin: '0 0 12px' } as const;

// ---- the section ----

interface Loaded {
  period: Period;
  bucket: TrendBucket;
  report: EnergyReport | null;
  trend: EnergyTrend | null;
  reportError: unknown;
  trendError: unknown;
}

export function EnergySection(): JSX.Element {
  const [initial] = useState(() => defaultPeriod(Date.now()));
  const [since, setSince] = useState(() => toLocalInput(initial.since));
  const [until, setUntil] = useState(() => toLocalInput(initial.until));
  const [bucket, setBucket] = useState<TrendBucket>(() => suggestBucket(initial));
  const [tried, setTried] = useState(false);
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const generation = useRef(0);

  const checked = periodOf(fromLocalInput(since), fromLocalInput(until));
  const problem: PeriodProblem | null = tried ? checked.problem : null;

  const load = useCallback((period: Period, chosen: TrendBucket) => {
    const mine = ++generation.current; // a slower answer for an older period must not overwrite a newer one
    setLoading(true);
    const settle = <T,>(promise: Promise<T>): Promise<{ value: T | null; error: unknown }> =>
      promise.then(
        (value) => ({ value, error: null }),
        (error: unknown) => ({ value: null, error }),
      );
    void Promise.all([settle(apiRequest<EnergyReport>('GET', energyReportPath(period))), settle(apiRequest<EnergyTrend>('GET', energyTrendPath(period, chosen)))]).then(
      ([report, trend]) => {
        if (mine !== generation.current) return;
        setLoaded({ period, bucket: chosen, report: report.value, trend: trend.value, reportError: report.error, trendError: trend.error });
        setLoading(false);
      },
    );
  }, []);
  useEffect(() => load(initial, suggestBucket(initial)), [initial, load]);

  const submit = (event: Event): void => {
    event.preventDefault();
    setTried(true);
    if (checked.period) load(checked.period, bucket);
  };

  const report = loaded?.report ?? null;
  return (
    <div data-testid="energy-section">
      <p class="muted" data-testid="energy-location-note">
        {t('energy.locationBased')}
      </p>

      <section class="card panel" aria-labelledby="energy-period-heading">
        <h2 id="energy-period-heading">{t('energy.period.heading')}</h2>
        <form noValidate onSubmit={submit} data-testid="energy-period-form">
          <div class="choice-row" style={{ alignItems: 'flex-end' }}>
            <div class="field">
              <label for="energy-since">{t('energy.period.since')}</label>
              <input
                id="energy-since"
                class="input"
                type="datetime-local"
                value={since}
                aria-invalid={problem === 'sinceInvalid' || problem === 'order' ? true : undefined}
                aria-describedby="energy-time-hint energy-period-problem"
                data-testid="energy-since"
                onInput={(event) => setSince(event.currentTarget.value)}
              />
            </div>
            <div class="field">
              <label for="energy-until">{t('energy.period.until')}</label>
              <input
                id="energy-until"
                class="input"
                type="datetime-local"
                value={until}
                aria-invalid={problem === 'untilInvalid' || problem === 'order' ? true : undefined}
                aria-describedby="energy-time-hint energy-period-problem"
                data-testid="energy-until"
                onInput={(event) => setUntil(event.currentTarget.value)}
              />
            </div>
            <div class="field">
              <label for="energy-bucket">{t('energy.period.bucket')}</label>
              <select id="energy-bucket" class="input" value={bucket} data-testid="energy-bucket" onChange={(event) => setBucket(event.currentTarget.value as TrendBucket)}>
                {TREND_BUCKETS.map((b) => (
                  <option key={b} value={b}>
                    {t(`energy.period.buckets.${b}`)}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <button type="submit" class="btn btn-primary" disabled={loading} aria-busy={loading} data-testid="energy-submit">
                {loading ? t('energy.period.loading') : t('energy.period.submit')}
              </button>
            </div>
          </div>
          <p id="energy-time-hint" class="field-hint">
            {t('energy.period.timeHint')}
          </p>
          <p id="energy-period-problem" class="field-error" aria-live="polite" data-testid="energy-period-problem">
            {problem ? t(`energy.period.problems.${problem}`) : ''}
          </p>
        </form>
      </section>

      {loaded === null ? (
        <Spinner />
      ) : (
        <>
          {loaded.reportError !== null && <ProblemMessage error={loaded.reportError} />}
          {report && <TotalsPanel report={report} />}
          <ExportPanel loaded={loaded} />
          {report && <ComponentsPanel report={report} />}
          {loaded.trendError !== null && <ProblemMessage error={loaded.trendError} />}
          {loaded.trend && <TrendPanel trend={loaded.trend} report={report} />}
        </>
      )}
      {loaded !== null && <RegionsPanel period={loaded.period} currentRegion={report?.region ?? null} />}
    </div>
  );
}

// ---- totals ----

function TotalsPanel({ report }: { report: EnergyReport }): JSX.Element {
  const l = locale();
  const since = Date.parse(report.since);
  const until = Date.parse(report.until);
  const model = modelEntries(report.model);
  return (
    <section
      class="card panel"
      aria-labelledby="energy-totals-heading"
      data-testid="energy-totals"
      data-energy-kwh={report.energyKwh}
      data-carbon-g={report.carbonG}
      data-recommendations={report.recommendations}
      data-samples={report.samples}
    >
      <div class="panel-head">
        <h2 id="energy-totals-heading">{t('energy.totals.heading')}</h2>
        <span class="muted" data-testid="energy-totals-window">
          {t('energy.totals.window', { since: formatDateTime(since), until: formatDateTime(until) })}
        </span>
      </div>
      <dl style={FACTS_STYLE}>
        <Fact label={t('energy.totals.energy')} testId="energy-total-energy" data={{ kwh: report.energyKwh }}>
          {formatEnergyKwh(report.energyKwh, l).text}
        </Fact>
        <Fact label={t('energy.totals.carbon')} testId="energy-total-carbon" data={{ g: report.carbonG }}>
          {formatCarbonG(report.carbonG, l).text}
        </Fact>
        <Fact label={t('energy.totals.embodied')} testId="energy-total-embodied">
          {report.embodiedG === null ? t('energy.totals.embodiedNone') : formatCarbonG(report.embodiedG, l).text}
        </Fact>
        <Fact label={t('energy.totals.recommendations')} testId="energy-total-recommendations" data={{ count: report.recommendations }}>
          {formatCount(report.recommendations)}
        </Fact>
        <Fact label={t('energy.totals.liveHours')} testId="energy-total-live-hours">
          {durationText(report.liveSessionHours)}
        </Fact>
        <Fact label={t('energy.totals.cpu')} testId="energy-total-cpu">
          {formatCpuSeconds(report.cpuSeconds, l).text}
        </Fact>
        <Fact label={t('energy.totals.samples')} testId="energy-total-samples">
          {formatCount(report.samples)}
        </Fact>
      </dl>

      <h3 id="energy-sci-heading">{t('energy.totals.sciLabel')}</h3>
      <dl style={FACTS_STYLE} aria-labelledby="energy-sci-heading">
        <Fact label={t('energy.totals.sciPer1000')} testId="energy-sci-1000" data={{ g: report.sciPer1000Recommendations ?? '' }}>
          {formatCarbonG(report.sciPer1000Recommendations, l).text}
        </Fact>
        <Fact label={t('energy.totals.sciPerHour')} testId="energy-sci-hour" data={{ g: report.sciPerLiveSessionHour ?? '' }}>
          {report.sciPerLiveSessionHour === null ? '—' : t('energy.perHourValue', { value: formatCarbonG(report.sciPerLiveSessionHour, l).text })}
        </Fact>
      </dl>
      {report.sciPer1000Recommendations === null && <p class="muted">{t('energy.totals.noRecommendations')}</p>}
      <p class="muted" data-testid="energy-sci-note">
        {t('energy.totals.sciNote')}
      </p>

      <dl style={FACTS_STYLE} data-testid="energy-factor" data-year={report.gridFactor.year} data-region={report.region}>
        <Fact label={t('energy.totals.region')}>{pick(report.regionName)}</Fact>
        <Fact label={t('energy.totals.factor')} testId="energy-factor-value">
          {formatFactor(report.gridFactor.value, l)}
        </Fact>
        <Fact label={t('energy.totals.factorYear')} testId="energy-factor-year">
          {String(report.gridFactor.year)}
        </Fact>
        <Fact label={t('energy.totals.pue')} testId="energy-pue">
          <>
            {formatDecimal(report.pue, l)}
            {report.pueSource && (
              <span class="muted" style={{ display: 'block', fontSize: '12px', fontWeight: 400 }} lang="en">
                {report.pueSource}
              </span>
            )}
          </>
        </Fact>
      </dl>
      <p class="muted" style={{ overflowWrap: 'anywhere' }}>
        {t('energy.totals.factorSource')}: <span lang="en" data-testid="energy-factor-source">{report.gridFactor.source}</span>
      </p>
      <p style={{ overflowWrap: 'anywhere', marginBottom: 0 }} data-testid="energy-method" data-method={report.method}>
        {t('energy.totals.method', { method: energyMethodLabel(report.method) })}
      </p>
      {report.methodDescription && (
        <p class="muted" style={{ overflowWrap: 'anywhere', marginTop: '4px' }} lang="en" data-testid="energy-method-description">
          {report.methodDescription}
        </p>
      )}
      {model.length > 0 && (
        <details data-testid="energy-model">
          <summary>{t('energy.totals.model')}</summary>
          <dl style={{ ...FACTS_STYLE, marginTop: '8px' }}>
            {model.map(([key, value]) => (
              <Fact key={key} label={key}>
                <code>{value}</code>
              </Fact>
            ))}
          </dl>
        </details>
      )}
      {report.notes.length > 0 && (
        <details data-testid="energy-notes" open>
          <summary>{t('energy.totals.notes')}</summary>
          <ul>
            {reportNotes(report).map((note, i) => (
              <li key={i} lang={note.lang ?? undefined} data-testid="energy-note" data-code={note.code ?? undefined}>
                {note.parts.map((part, j) =>
                  part.lang === null ? (
                    part.text
                  ) : (
                    <span key={j} lang={part.lang} data-testid="energy-note-system-words">
                      {part.text}
                    </span>
                  ),
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

// ---- export ----

function ExportPanel({ loaded }: { loaded: Loaded }): JSX.Element {
  return (
    <section class="card panel" aria-labelledby="energy-export-heading" data-testid="energy-export">
      <h2 id="energy-export-heading">{t('energy.export.heading')}</h2>
      <p class="muted">{t('energy.export.note')}</p>
      <div class="row-actions">
        <a class="btn btn-secondary" href={energyReportDownloadHref(loaded.period)} download={reportFileName(loaded.period)} data-testid="energy-download-json">
          {t('energy.export.json')}
        </a>
        <a class="btn btn-secondary" href={energyTrendCsvHref(loaded.period, loaded.bucket)} download={trendFileName(loaded.period, loaded.bucket)} data-testid="energy-download-csv">
          {t('energy.export.csv')}
        </a>
      </div>
    </section>
  );
}

// ---- components ----

function ComponentsPanel({ report }: { report: EnergyReport }): JSX.Element {
  const l = locale();
  const rows = orderedComponents(report.components);
  const total = rows.reduce(
    (sum, r) => ({ cpuSeconds: sum.cpuSeconds + r.cpuSeconds, energyKwh: sum.energyKwh + r.energyKwh, carbonG: sum.carbonG + r.carbonG }),
    { cpuSeconds: 0, energyKwh: 0, carbonG: 0 },
  );
  return (
    <section class="card panel" aria-labelledby="energy-components-heading" data-testid="energy-components">
      <h2 id="energy-components-heading">{t('energy.components.heading')}</h2>
      <p class="muted">{t('energy.components.note')}</p>
      <div class="table-wrap">
        <table class="product-table" data-testid="energy-components-table">
          <caption class="visually-hidden">{t('energy.components.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('energy.components.columns.component')}</th>
              <th scope="col" class="num">
                {t('energy.components.columns.cpu')}
              </th>
              <th scope="col" class="num">
                {t('energy.components.columns.energy')}
              </th>
              <th scope="col" class="num">
                {t('energy.components.columns.carbon')}
              </th>
              <th scope="col" class="num">
                {t('energy.components.columns.share')}
              </th>
              <th scope="col" class="num">
                {t('energy.components.columns.count')}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.component} data-testid="energy-component-row" data-component={row.component} data-kwh={row.energyKwh} data-g={row.carbonG}>
                <th scope="row">{componentLabel(row.component)}</th>
                <td class="num">{formatCpuSeconds(row.cpuSeconds, l).text}</td>
                <td class="num">{formatEnergyKwh(row.energyKwh, l).text}</td>
                <td class="num">{formatCarbonG(row.carbonG, l).text}</td>
                <td class="num">{formatShare(row.energyKwh, total.energyKwh, l)}</td>
                <td class="num">{formatCount(row.count)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{t('energy.components.total')}</th>
              <td class="num">{formatCpuSeconds(total.cpuSeconds, l).text}</td>
              <td class="num">{formatEnergyKwh(total.energyKwh, l).text}</td>
              <td class="num">{formatCarbonG(total.carbonG, l).text}</td>
              <td class="num">{total.energyKwh > 0 ? formatShare(total.energyKwh, total.energyKwh, l) : '—'}</td>
              <td class="num" />
            </tr>
          </tfoot>
        </table>
      </div>
      <p class="muted" style={{ overflowWrap: 'anywhere' }} data-testid="energy-components-method">
        {t('energy.components.method', { method: energyMethodLabel(report.method) })}
      </p>
    </section>
  );
}

// ---- the trend (ECharts arrives with a dynamic import) ----


/** Each series its own colour (each at least 3:1 against white) and marker. */
const COLOURS = { energy: '#1d4ed8', carbon: '#7a5200', intensity: '#1f7a4d' } as const;

interface ChartSpec {
  categories: string[];
  xName: string;
  /** Left axis first; a second axis is drawn on the right. */
  axes: string[];
  series: { kind: 'bar' | 'line'; name: string; values: (number | null)[]; colour: string; symbol: string; axis: number }[];
}

function chartOption(spec: ChartSpec, charts: ChartsModule): ChartOption {
  const axisLabel = charts.AXIS_LABEL;
  const l = locale();
  return {
    ...charts.baseOption(),
    xAxis: charts.categoryXAxis(spec.categories, spec.xName),
    yAxis: spec.axes.map((name, i) => ({
      type: 'value' as const,
      name,
      position: i === 0 ? ('left' as const) : ('right' as const),
      nameTextStyle: { color: '#6b5d55', align: i === 0 ? ('left' as const) : ('right' as const) },
      axisLabel: { ...axisLabel, formatter: (v: number) => formatNumber(v, l) },
      splitLine: { show: i === 0, lineStyle: { color: '#eedfd4' } },
    })),
    series: spec.series.map((s): BarSeriesOption | LineSeriesOption =>
      s.kind === 'bar'
        ? { type: 'bar', name: s.name, data: s.values, silent: true, yAxisIndex: s.axis, itemStyle: { color: s.colour }, barMaxWidth: 28 }
        : {
            type: 'line',
            name: s.name,
            data: s.values,
            silent: true,
            yAxisIndex: s.axis,
            symbol: s.symbol,
            symbolSize: 8,
            itemStyle: { color: s.colour },
            lineStyle: { width: 2.5, color: s.colour },
            connectNulls: false,
          },
    ),
  };
}

function TrendChart({ kind, title, summary, spec }: { kind: 'energy' | 'intensity'; title: string; summary: string; spec: ChartSpec }): JSX.Element {
  const key = JSON.stringify(spec);
  const { canvas, state } = useLazyChart(loadCharts, key, (charts, k) => chartOption(JSON.parse(k) as ChartSpec, charts));
  return (
    <figure
      class="card"
      style={{ margin: '0 0 12px', padding: '12px' }}
      data-testid="energy-trend-chart"
      data-chart={kind}
      data-rendered={state === 'ready' ? 'true' : 'false'}
      data-points={spec.categories.length}
    >
      <figcaption>
        <strong>{title}</strong>
        <ul class="tag-row" style={{ listStyle: 'none', margin: '4px 0 0', padding: 0 }}>
          {spec.series.map((s) => (
            <li key={s.name} style={{ display: 'inline-flex', alignItems: 'center', gap: '6px', marginRight: '12px' }}>
              <span
                aria-hidden="true"
                style={{ display: 'inline-block', width: s.kind === 'bar' ? '12px' : '18px', height: s.kind === 'bar' ? '12px' : '4px', borderRadius: '2px', background: s.colour }}
              />
              {s.name}
            </li>
          ))}
        </ul>
      </figcaption>
      <div ref={canvas} role="img" aria-label={summary} style={{ width: '100%', height: '260px' }} />
      {state === 'loading' && <p class="muted">{t('energy.trend.loading')}</p>}
      {state === 'failed' && (
        <p class="problem" role="alert">
          {t('energy.trend.failed')}
        </p>
      )}
    </figure>
  );
}

function TrendPanel({ trend, report }: { trend: EnergyTrend; report: EnergyReport | null }): JSX.Element {
  const l = locale();
  const series = trendSeries(trend.points);
  const totals = trendTotals(trend.points);
  const categories = bucketLabels(series.times, trend.bucket, l);
  const n = trend.points.length;
  const bucketUnit = t(`energy.trend.bucketUnit.${trend.bucket}`);
  const sorted = [...trend.points].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const energySpec: ChartSpec = {
    categories,
    xName: t('energy.trend.timeAxis'),
    axes: [series.energy.scale.unit, series.carbon.scale.unit],
    series: [
      { kind: 'bar', name: t('energy.trend.energySeries', { unit: series.energy.scale.unit }), values: series.energy.values, colour: COLOURS.energy, symbol: 'rect', axis: 0 },
      { kind: 'line', name: t('energy.trend.carbonSeries', { unit: series.carbon.scale.unit }), values: series.carbon.values, colour: COLOURS.carbon, symbol: 'diamond', axis: 1 },
    ],
  };
  const intensitySpec: ChartSpec = {
    categories,
    xName: t('energy.trend.timeAxis'),
    axes: [series.intensity.scale.unit],
    series: [
      {
        kind: 'line',
        name: t('energy.trend.intensitySeries', { unit: series.intensity.scale.unit }),
        values: series.intensity.values,
        colour: COLOURS.intensity,
        symbol: 'circle',
        axis: 0,
      },
    ],
  };
  return (
    <section class="card panel" aria-labelledby="energy-trend-heading" data-testid="energy-trend" data-bucket={trend.bucket} data-points={n}>
      <h2 id="energy-trend-heading">{t('energy.trend.heading')}</h2>
      <p class="muted">{t('energy.trend.note', { bucket: bucketUnit })}</p>
      {report && (
        <p class="muted" style={{ overflowWrap: 'anywhere' }} data-testid="energy-trend-method">
          {t('energy.trend.method', { method: energyMethodLabel(report.method), factor: formatFactor(report.gridFactor.value, l), year: report.gridFactor.year })}
        </p>
      )}
      {n === 0 ? (
        <p class="muted" data-testid="energy-trend-empty">
          {t('energy.trend.empty')}
        </p>
      ) : (
        <>
          <TrendChart
            kind="energy"
            title={t('energy.trend.energyTitle')}
            summary={t('energy.trend.summaryEnergy', { n, energy: formatEnergyWh(totals.energyWh, l).text, carbon: formatCarbonG(totals.carbonG, l).text })}
            spec={energySpec}
          />
          <TrendChart
            kind="intensity"
            title={t('energy.trend.intensityTitle')}
            summary={t('energy.trend.summaryIntensity', { n, value: formatCarbonG(totals.gPer1000Recommendations, l).text })}
            spec={intensitySpec}
          />
          <details>
            <summary>{t('energy.trend.table')}</summary>
            <div class="table-wrap">
              <table class="product-table" data-testid="energy-trend-table">
                <caption class="visually-hidden">{t('energy.trend.caption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('energy.trend.columns.start')}</th>
                    <th scope="col" class="num">
                      {t('energy.trend.columns.cpu')}
                    </th>
                    <th scope="col" class="num">
                      {t('energy.trend.columns.energy')}
                    </th>
                    <th scope="col" class="num">
                      {t('energy.trend.columns.carbon')}
                    </th>
                    <th scope="col" class="num">
                      {t('energy.trend.columns.recommendations')}
                    </th>
                    <th scope="col" class="num">
                      {t('energy.trend.columns.intensity')}
                    </th>
                    <th scope="col">{t('energy.trend.columns.method')}</th>
                  </tr>
                </thead>
                <tbody>
                  {sorted.map((p) => (
                    <tr key={p.start} data-testid="energy-trend-row" data-start={p.start}>
                      <th scope="row">{formatDateTime(Date.parse(p.start))}</th>
                      <td class="num">{formatCpuSeconds(p.cpuSeconds, l).text}</td>
                      <td class="num">{formatEnergyKwh(p.energyKwh, l).text}</td>
                      <td class="num">{formatCarbonG(p.carbonG, l).text}</td>
                      <td class="num">{formatCount(p.recommendations)}</td>
                      <td class="num">{formatCarbonG(p.gPer1000Recommendations, l).text}</td>
                      <td>{p.method ?? report?.method ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

// ---- green hosting advice ----

function RegionsPanel({ period, currentRegion }: { period: Period; currentRegion: string | null }): JSX.Element {
  const [advice, setAdvice] = useState<RegionAdvice | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    apiRequest<RegionAdvice>('GET', energyRegionsPath(period)).then(
      (loaded) => live && setAdvice(loaded),
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [period.since, period.until]);
  const l = locale();
  const measured = advice?.workload.kwhPer1000 ?? null;
  const current = advice?.current ?? currentRegion;
  // Sources are long and shared by many sites: each is written once below the table, numbered.
  const sources = [...new Set(advice?.ranking.map((row) => row.factorSource) ?? [])];
  const yearNote = advice ? regionsFactorYearNote(advice.ranking, current) : null;
  return (
    <section class="card panel" aria-labelledby="energy-regions-heading" data-testid="energy-regions" data-sites={advice?.ranking.length} data-measured={measured === null ? 'false' : 'true'}>
      <h2 id="energy-regions-heading">{t('energy.regions.heading')}</h2>
      <p class="muted" data-testid="energy-regions-note">
        {t('energy.regions.note')}
        {yearNote && <> {yearNote}</>}
      </p>
      {error !== null && <ProblemMessage error={error} />}
      {advice === null ? (
        error === null && <Spinner />
      ) : (
        <>
          {measured === null ? (
            <p class="muted" data-testid="energy-regions-empty">
              {t('energy.regions.noWorkload')}
            </p>
          ) : (
            <p data-testid="energy-regions-workload" data-kwh={measured}>
              {t('energy.regions.workload', { energy: formatEnergyKwh(measured, l).text, from: advice.workload.measuredFrom })}
            </p>
          )}
          {advice.ranking.length > 0 && (
            <>
              <div class="table-wrap">
                <table class="product-table" data-testid="energy-regions-table">
                  <caption class="visually-hidden">{t('energy.regions.caption')}</caption>
                  <thead>
                    <tr>
                      <th scope="col" class="num">
                        {t('energy.regions.columns.rank')}
                      </th>
                      <th scope="col">{t('energy.regions.columns.site')}</th>
                      <th scope="col" class="num">
                        {t('energy.regions.columns.carbon')}
                      </th>
                      <th scope="col" class="num">
                        {t('energy.regions.columns.energy')}
                      </th>
                      {measured === null && (
                        <th scope="col" class="num">
                          {t('energy.regions.columns.perItKwh')}
                        </th>
                      )}
                      <th scope="col" class="num">
                        {t('energy.regions.columns.pue')}
                      </th>
                      <th scope="col">{t('energy.regions.columns.factor')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {advice.ranking.map((row, i) => {
                      const mine = isCurrentSite(row, current);
                      const source = sources.indexOf(row.factorSource) + 1;
                      return (
                        <tr
                          key={row.id}
                          data-testid="energy-region-row"
                          data-region={row.id}
                          data-rank={i + 1}
                          data-g={row.gPer1000 ?? ''}
                          data-current={mine ? 'true' : 'false'}
                          aria-current={mine ? 'true' : undefined}
                        >
                          <td class="num">{i + 1}</td>
                          <th scope="row">
                            {pick(row.name)}
                            {mine && (
                              <span class="badge badge-ok" style={{ marginLeft: '6px' }}>
                                {t('energy.regions.current')}
                              </span>
                            )}
                          </th>
                          <td class="num">
                            <strong>{formatCarbonG(row.gPer1000, l).text}</strong>
                          </td>
                          <td class="num">{formatEnergyKwh(row.kwhPer1000, l).text}</td>
                          {measured === null && <td class="num">{row.gPerItKwh === undefined ? '—' : formatCarbonG(row.gPerItKwh, l).text}</td>}
                          <td class="num">{formatDecimal(row.pue, l)}</td>
                          <td style={{ whiteSpace: 'nowrap' }} title={row.factorId}>
                            {t('energy.regions.factorValue', { value: formatFactor(row.kgPerKwh, l), year: row.factorYear })}{' '}
                            <span class="visually-hidden" lang="en">
                              {row.factorSource}
                            </span>
                            <a href={`#energy-source-${source}`} aria-hidden="true" tabIndex={-1}>
                              [{source}]
                            </a>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <ol class="muted" style={{ fontSize: '13px', overflowWrap: 'anywhere' }} aria-label={t('energy.regions.sources')} lang="en" data-testid="energy-regions-sources">
                {sources.map((text, i) => (
                  <li key={text} id={`energy-source-${i + 1}`}>
                    {text}
                  </li>
                ))}
              </ol>
            </>
          )}
        </>
      )}
      <p class="muted" data-testid="energy-regions-method">
        {t('energy.regions.method')}
      </p>
    </section>
  );
}
