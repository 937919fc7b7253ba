/**
 * Fairness audits (#/fairness, A8): run an audit now (one session, or a brand over a window), the
 * list of audits with their trigger, scope, size and flagged gaps, a trend chart of their headline
 * figures (ECharts, loaded lazily), one audit opened (its flags in the page's language, the viewer
 * segments with small groups suppressed, product exposure, links to the HTML report and the
 * downloads), and two audits compared. Reports hold aggregates only; nothing here identifies a viewer.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { loadCharts, useLazyChart, type ChartsModule } from '../../ui/lazy-chart.ts';
import { currentLocale, groupValueLabel, t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import type { ChartOption, LineSeriesOption } from '../../ui/charts.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { FairnessAlerts } from '../host/FairnessAlerts.tsx';
import { formatClock, formatCount, formatDateTime } from '../../ui/format.ts';
import {
  AUDIT_TRIGGERS,
  HEADLINES,
  auditBody,
  auditHtmlHref,
  auditJsonDownloadHref,
  auditListPath,
  auditPath,
  changeDirection,
  comparePath,
  defaultPair,
  emptyForm,
  flagText,
  formatChange,
  formatIndex,
  formatMetric,
  formatPercent,
  isProductGrouping,
  isSegmentAttribute,
  isSegmentMetric,
  knownScopes,
  lastValue,
  runAuditPath,
  trendOf,
  type AuditComparison,
  type AuditFlag,
  type AuditForm,
  type AuditSummaryRow,
  type AuditTrigger,
  type FairnessReport,
  type FormProblem,
  type Headline,
  type SegmentAudit,
  type TriggerFilter,
} from './fairness-view.ts';

// ---- names in the page's language ----

const triggerLabel = (trigger: AuditTrigger): string => t(`fairness.triggers.${trigger}`);
const attributeLabel = (attribute: string): string => (isSegmentAttribute(attribute) ? t(`fairness.attributes.${attribute}`) : attribute);
const metricLabel = (metric: string): string =>
  isSegmentMetric(metric) ? t(`fairness.metrics.${metric}`) : metric === 'gini' || metric === 'exposureGini' || metric === 'coverage' ? t(`fairness.exposureMetrics.${metric}`) : metric;
const headlineLabel = (headline: Headline): string => t(`fairness.headlines.${headline}`);
const locale = (): 'zh-CN' | 'en' => currentLocale();

/** A group's name, with the value the JSON carries beside it when the two differ. */
function GroupName({ dimension, group }: { dimension: string; group: string }): JSX.Element {
  const label = groupValueLabel(dimension, group);
  return label === group ? (
    <code>{group}</code>
  ) : (
    <>
      {label} <code class="muted">{group}</code>
    </>
  );
}

/** How each headline figure is written: gaps and coverage as percentages, indices with two decimals. */
function formatHeadline(headline: Headline, value: number | null): string {
  return headline === 'maxPriceGap' || headline === 'coverage' ? formatPercent(value) : formatIndex(value);
}

/** Each trend line its own colour (each at least 3:1 against white) and marker. */
const HEADLINE_STYLE: Record<Headline, { colour: string; symbol: string }> = {
  maxPriceGap: { colour: '#c9302c', symbol: 'circle' },
  minParityRatio: { colour: '#1d4ed8', symbol: 'rect' },
  exposureGini: { colour: '#7a5200', symbol: 'triangle' },
  coverage: { colour: '#1f7a4d', symbol: 'diamond' },
};

function SimulatedTag({ testId = 'fairness-simulated' }: { testId?: string }): JSX.Element {
  return (
    <span class="badge badge-flash" data-testid={testId}>
      {t('fairness.simulated')}
    </span>
  );
}

function FlagsBadge({ n }: { n: number }): JSX.Element {
  return n > 0 ? (
    <strong class="badge badge-live" data-testid="fairness-flags-count" data-count={n}>
      {t('fairness.list.flagged', { n: formatCount(n) })}
    </strong>
  ) : (
    <span class="muted" data-testid="fairness-flags-count" data-count={0}>
      {t('fairness.list.none')}
    </span>
  );
}

function ScopeText({ row }: { row: Pick<AuditSummaryRow, 'brandId' | 'sessionId' | 'from' | 'until'> }): JSX.Element {
  return (
    <>
      <span class="sku">{row.brandId}</span>
      {' · '}
      {row.sessionId === null ? t('fairness.allSessions') : <code>{row.sessionId}</code>}
      <br />
      <span class="muted">{t('fairness.list.window', { from: formatDateTime(row.from), until: formatDateTime(row.until) })}</span>
    </>
  );
}

// ---- the section ----

export function FairnessSection(): JSX.Element {
  const [trigger, setTrigger] = useState<TriggerFilter>('all');
  const [items, setItems] = useState<AuditSummaryRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const generation = useRef(0);

  const load = useCallback((filter: TriggerFilter) => {
    const mine = ++generation.current; // a slower answer for an older filter must not overwrite a newer one
    setError(null);
    apiRequest<{ items: AuditSummaryRow[] }>('GET', auditListPath({ trigger: filter })).then(
      (page) => {
        if (mine !== generation.current) return;
        setItems(page.items);
        setLoadedAt(Date.now());
      },
      (failure: unknown) => mine === generation.current && setError(failure),
    );
  }, []);
  useEffect(() => load(trigger), [trigger, load]);

  return (
    <div data-testid="fairness-section">
      <p class="muted">{t('fairness.aggregatesOnly')}</p>
      {/* Live alerts from every show, raised while it runs, as the host console sees them for its own. */}
      <FairnessAlerts testId="compliance-fairness-alerts" />
      <RunAuditForm
        known={items ?? []}
        onDone={(report) => {
          load(trigger);
          setOpenId(report.id);
        }}
      />

      <section class="card panel" aria-labelledby="fairness-list-heading">
        <div class="panel-head">
          <h2 id="fairness-list-heading">{t('fairness.list.heading')}</h2>
          <button type="button" class="btn btn-ghost btn-small" data-testid="fairness-refresh" onClick={() => load(trigger)}>
            {t('fairness.list.refresh')}
          </button>
        </div>
        <p class="muted">{t('fairness.list.note')}</p>
        <div class="field">
          <label for="fairness-trigger-filter">{t('fairness.list.filterTrigger')}</label>
          <select
            id="fairness-trigger-filter"
            class="input"
            value={trigger}
            data-testid="fairness-trigger-filter"
            onChange={(event) => setTrigger(event.currentTarget.value as TriggerFilter)}
          >
            <option value="all">{t('fairness.list.triggerAll')}</option>
            {AUDIT_TRIGGERS.map((tr) => (
              <option key={tr} value={tr}>
                {triggerLabel(tr)}
              </option>
            ))}
          </select>
        </div>
        {error !== null && <ProblemMessage error={error} />}
        {/* The refreshed list is announced: how many audits, and when. */}
        <p class="muted" aria-live="polite" aria-atomic="true" data-testid="fairness-count" data-count={items?.length ?? 0}>
          {items !== null && loadedAt !== null && items.length > 0 ? t('fairness.list.count', { n: formatCount(items.length), time: formatClock(loadedAt) }) : ''}
        </p>
        {items === null ? (
          error === null && <Spinner />
        ) : items.length === 0 ? (
          <p class="muted" data-testid="fairness-empty">
            {t('fairness.list.empty')}
          </p>
        ) : (
          <AuditTable items={items} openId={openId} onOpen={setOpenId} />
        )}
      </section>

      {openId !== null && <AuditDetail key={openId} id={openId} onClose={() => setOpenId(null)} />}
      {items !== null && <TrendPanel items={items} />}
      {items !== null && <ComparePanel items={items} />}
    </div>
  );
}

// ---- run an audit now ----

function RunAuditForm({ known, onDone }: { known: AuditSummaryRow[]; onDone: (report: FairnessReport) => void }): JSX.Element {
  const [form, setForm] = useState<AuditForm>(() => emptyForm(Date.now()));
  const [tried, setTried] = useState(false);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<FairnessReport | null>(null);
  const checked = auditBody(form);
  const problem: FormProblem | null = tried ? checked.problem : null;
  const scopes = knownScopes(known);
  const set = (patch: Partial<AuditForm>): void => setForm((current) => ({ ...current, ...patch }));

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setTried(true);
    if (!checked.body || running) return;
    setRunning(true);
    setFailure(null);
    setDone(null);
    try {
      const report = await apiRequest<FairnessReport>('POST', runAuditPath, checked.body);
      setDone(report);
      onDone(report);
    } catch (error) {
      setFailure(error);
    } finally {
      setRunning(false);
    }
  };

  const fieldProblem = (which: FormProblem[]): string | null => (problem !== null && which.includes(problem) ? t(`fairness.run.problems.${problem}`) : null);
  const sessionProblem = fieldProblem(['sessionRequired']);
  const brandProblem = fieldProblem(['brandRequired']);
  const windowProblem = fieldProblem(['fromInvalid', 'untilInvalid', 'windowOrder']);

  return (
    <section class="card panel" aria-labelledby="fairness-run-heading">
      <h2 id="fairness-run-heading">{t('fairness.run.heading')}</h2>
      <p class="muted">{t('fairness.run.note')}</p>
      <form noValidate onSubmit={(event) => void submit(event)} data-testid="fairness-run-form">
        <fieldset class="field">
          <legend>{t('fairness.run.scope')}</legend>
          <div class="choice-row">
            {(['session', 'brand'] as const).map((kind) => (
              <label class="choice" key={kind}>
                <input
                  type="radio"
                  name="fairness-scope"
                  value={kind}
                  checked={form.kind === kind}
                  onChange={() => set({ kind })}
                  data-testid={`fairness-scope-${kind}`}
                />
                <span>{t(kind === 'session' ? 'fairness.run.scopeSession' : 'fairness.run.scopeBrand')}</span>
              </label>
            ))}
          </div>
        </fieldset>

        {form.kind === 'session' ? (
          <ScopeIdField
            id="fairness-session-id"
            listId="fairness-known-sessions"
            problemId="fairness-session-problem"
            label={t('fairness.run.sessionId')}
            known={scopes.sessions}
            value={form.sessionId}
            problem={sessionProblem}
            onInput={(sessionId) => set({ sessionId })}
          />
        ) : (
          <>
            <ScopeIdField
              id="fairness-brand-id"
              listId="fairness-known-brands"
              problemId="fairness-brand-problem"
              label={t('fairness.run.brandId')}
              known={scopes.brands}
              value={form.brandId}
              problem={brandProblem}
              onInput={(brandId) => set({ brandId })}
            />
            <div class="choice-row">
              <div class="field">
                <label for="fairness-from">{t('fairness.run.from')}</label>
                <input
                  id="fairness-from"
                  class="input"
                  type="datetime-local"
                  value={form.from}
                  aria-invalid={problem === 'fromInvalid' || problem === 'windowOrder' ? true : undefined}
                  aria-describedby="fairness-time-hint fairness-window-problem"
                  data-testid="fairness-from"
                  onInput={(event) => set({ from: event.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for="fairness-until">{t('fairness.run.until')}</label>
                <input
                  id="fairness-until"
                  class="input"
                  type="datetime-local"
                  value={form.until}
                  aria-invalid={problem === 'untilInvalid' || problem === 'windowOrder' ? true : undefined}
                  aria-describedby="fairness-time-hint fairness-window-problem"
                  data-testid="fairness-until"
                  onInput={(event) => set({ until: event.currentTarget.value })}
                />
              </div>
            </div>
            <p id="fairness-time-hint" class="field-hint">
              {t('fairness.run.timeHint')}
            </p>
            <p id="fairness-window-problem" class="field-error" aria-live="polite">
              {windowProblem}
            </p>
          </>
        )}

        {failure !== null && (
          <div data-testid="fairness-run-problem">
            <ProblemMessage error={failure} />
          </div>
        )}
        <p role="status" data-testid="fairness-run-status">
          {done && (
            <span data-testid="fairness-run-done" data-audit-id={done.id} data-flags={done.flags.length}>
              {t('fairness.run.done', { id: done.id, n: done.flags.length })}
            </span>
          )}
        </p>
        <button type="submit" class="btn btn-primary" disabled={running} data-testid="fairness-run-submit">
          {running ? t('fairness.run.running') : t('fairness.run.submit')}
        </button>
      </form>
    </section>
  );
}

// ---- the list ----

function AuditTable({ items, openId, onOpen }: { items: AuditSummaryRow[]; openId: string | null; onOpen: (id: string) => void }): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="product-table" data-testid="fairness-table">
        <caption class="visually-hidden">{t('fairness.list.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('fairness.list.columns.createdAt')}</th>
            <th scope="col">{t('fairness.list.columns.trigger')}</th>
            <th scope="col">{t('fairness.list.columns.scope')}</th>
            <th scope="col" class="num">
              {t('fairness.list.columns.decisions')}
            </th>
            <th scope="col">{t('fairness.list.columns.flags')}</th>
            <th scope="col">{t('fairness.list.columns.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((row) => (
            <tr
              key={row.id}
              data-testid="fairness-row"
              data-audit-id={row.id}
              data-trigger={row.trigger}
              data-flags={row.flagged}
              data-simulated={row.simulated ? 'true' : 'false'}
              aria-current={row.id === openId ? 'true' : undefined}
            >
              <th scope="row">
                {formatDateTime(row.createdAt)}
                <br />
                <code class="muted">{row.id}</code>
              </th>
              <td>
                <span class="tag-row">
                  <span class="badge badge-scheduled" data-testid="fairness-trigger">
                    {triggerLabel(row.trigger)}
                  </span>
                  {row.simulated && <SimulatedTag />}
                </span>
              </td>
              <td>
                <ScopeText row={row} />
              </td>
              <td class="num">{formatCount(row.decisions)}</td>
              <td>
                <FlagsBadge n={row.flagged} />
              </td>
              <td>
                <button
                  type="button"
                  class={row.id === openId ? 'btn btn-primary btn-small' : 'btn btn-secondary btn-small'}
                  aria-label={t('fairness.list.openLabel', { id: row.id })}
                  data-testid="fairness-open"
                  onClick={() => onOpen(row.id)}
                >
                  {row.id === openId ? t('fairness.list.opened') : t('fairness.list.open')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---- the trend chart (ECharts arrives with a dynamic import) ----


/** Time labels for the x axis: to the minute, or to the second when two audits share a minute. */
function timeLabels(times: number[]): string[] {
  const format = (withSeconds: boolean) =>
    new Intl.DateTimeFormat(currentLocale(), { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}), hour12: false });
  const minutes = times.map((time) => format(false).format(time));
  return new Set(minutes).size === minutes.length ? minutes : times.map((time) => format(true).format(time));
}

interface TrendSpec {
  categories: string[];
  series: { name: string; values: (number | null)[]; colour: string; symbol: string }[];
  xName: string;
  yName: string;
}

function trendOption(spec: TrendSpec, charts: ChartsModule): ChartOption {
  const axisLabel = charts.AXIS_LABEL;
  return {
    ...charts.baseOption(),
    xAxis: charts.categoryXAxis(spec.categories, spec.xName),
    yAxis: {
      type: 'value',
      name: spec.yName,
      nameTextStyle: { color: '#6b5d55', align: 'left' },
      axisLabel: { ...axisLabel, formatter: (v: number) => v.toFixed(2) },
      splitLine: { lineStyle: { color: '#eedfd4' } },
    },
    series: spec.series.map(
      (s): LineSeriesOption => ({
        type: 'line',
        name: s.name,
        data: s.values,
        silent: true,
        symbol: s.symbol,
        symbolSize: 9,
        itemStyle: { color: s.colour },
        lineStyle: { width: 2.5, color: s.colour },
        connectNulls: false,
      }),
    ),
  };
}

function TrendPanel({ items }: { items: AuditSummaryRow[] }): JSX.Element {
  const trend = trendOf(items);
  const enough = trend.ids.length >= 2;
  return (
    <section class="card panel" aria-labelledby="fairness-trend-heading" data-testid="fairness-trend-panel">
      <h2 id="fairness-trend-heading">{t('fairness.trend.heading')}</h2>
      <p class="muted">{t('fairness.trend.note')}</p>
      {enough ? (
        <TrendChart trend={trend} />
      ) : (
        <p class="muted" data-testid="fairness-trend-empty">
          {t('fairness.trend.needTwo')}
        </p>
      )}
    </section>
  );
}

/** A session or brand id, with the ids already audited offered as suggestions. */
function ScopeIdField(props: {
  id: string;
  /** Ids of the suggestions list and of the problem line. */
  listId: string;
  problemId: string;
  label: string;
  known: readonly string[];
  value: string;
  problem: string | null | undefined;
  onInput: (value: string) => void;
}): JSX.Element {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        class="input"
        type="text"
        maxLength={64}
        autocomplete="off"
        list={props.listId}
        value={props.value}
        aria-invalid={props.problem ? true : undefined}
        aria-describedby={props.problemId}
        data-testid={props.id}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
      <datalist id={props.listId}>
        {props.known.map((v) => (
          <option key={v} value={v} />
        ))}
      </datalist>
      <p id={props.problemId} class="field-error" aria-live="polite">
        {props.problem}
      </p>
    </div>
  );
}

function TrendChart({ trend }: { trend: ReturnType<typeof trendOf> }): JSX.Element {
  const spec: TrendSpec = {
    categories: timeLabels(trend.times),
    series: HEADLINES.map((h) => ({ name: headlineLabel(h), values: trend.series[h], colour: HEADLINE_STYLE[h].colour, symbol: HEADLINE_STYLE[h].symbol })),
    xName: t('fairness.trend.timeAxis'),
    yName: t('fairness.trend.axis'),
  };
  const key = JSON.stringify(spec);
  const { canvas, state } = useLazyChart(loadCharts, key, (charts, k) => trendOption(JSON.parse(k) as TrendSpec, charts));
  const summary = t('fairness.trend.summary', {
    n: trend.ids.length,
    values: HEADLINES.map((h) => `${headlineLabel(h)} ${formatHeadline(h, lastValue(trend.series[h]))}`).join('；'),
  });
  return (
    <figure class="card" style={{ margin: 0, padding: '12px' }} data-testid="fairness-trend" data-rendered={state === 'ready' ? 'true' : 'false'} data-points={trend.ids.length}>
      <figcaption>
        <ul class="tag-row" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {HEADLINES.map((h) => (
            <li key={h} style={{ display: 'inline-flex', alignItems: 'center', gap: '6px', marginRight: '12px' }}>
              <span aria-hidden="true" style={{ display: 'inline-block', width: '18px', height: '4px', borderRadius: '2px', background: HEADLINE_STYLE[h].colour }} />
              {headlineLabel(h)}
            </li>
          ))}
        </ul>
      </figcaption>
      <div ref={canvas} role="img" aria-label={summary} style={{ width: '100%', height: '280px' }} />
      {state === 'loading' && <p class="muted">{t('fairness.trend.loading')}</p>}
      {state === 'failed' && (
        <p class="problem" role="alert">
          {t('fairness.trend.failed')}
        </p>
      )}
      <details>
        <summary>{t('fairness.trend.table')}</summary>
        <div class="table-wrap">
          <table class="product-table" data-testid="fairness-trend-table">
            <thead>
              <tr>
                <th scope="col">{t('fairness.trend.columns.createdAt')}</th>
                {HEADLINES.map((h) => (
                  <th scope="col" class="num" key={h}>
                    {headlineLabel(h)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {trend.ids.map((id, i) => (
                <tr key={id}>
                  <th scope="row">
                    {formatDateTime(trend.times[i]!)} <code class="muted">{id}</code>
                  </th>
                  {HEADLINES.map((h) => (
                    <td class="num" key={h}>
                      {formatHeadline(h, trend.series[h][i] ?? null)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

// ---- one audit ----

function FlagList({ flags, testId = 'fairness-flag' }: { flags: readonly AuditFlag[]; testId?: string }): JSX.Element {
  if (flags.length === 0) return <p class="muted">{t('fairness.noFlags')}</p>;
  return (
    <ul>
      {flags.map((flag, i) => (
        <li key={i} data-testid={testId} data-kind={flag.kind} data-dimension={flag.dimension} data-metric={flag.metric}>
          {flagText(flag, locale())}
        </li>
      ))}
    </ul>
  );
}

function AuditDetail({ id, onClose }: { id: string; onClose: () => void }): JSX.Element {
  const [report, setReport] = useState<FairnessReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    apiRequest<FairnessReport>('GET', auditPath(id)).then(
      (loaded) => live && setReport(loaded),
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [id]);
  // Opening a report moves focus to it, so keyboard and screen-reader users land there.
  useEffect(() => {
    heading.current?.focus();
  }, []);

  return (
    <section class="card panel" aria-labelledby="fairness-report-heading" data-testid="fairness-report" data-audit-id={id} data-flags={report?.flags.length}>
      <div class="panel-head">
        <h2 id="fairness-report-heading" ref={heading} tabIndex={-1}>
          {t('fairness.detail.heading')} <code>{id}</code>
        </h2>
        <button type="button" class="btn btn-ghost btn-small" data-testid="fairness-report-close" onClick={onClose}>
          {t('fairness.detail.close')}
        </button>
      </div>
      {error !== null ? <ProblemMessage error={error} /> : report === null ? <Spinner /> : <ReportBody report={report} />}
    </section>
  );
}

function ReportBody({ report }: { report: FairnessReport }): JSX.Element {
  const { scope, exposure } = report;
  const minSize = report.thresholds.minGroupSize.value;
  return (
    <>
      <div class="tag-row">
        <span class="badge badge-scheduled">{triggerLabel(report.trigger)}</span>
        {report.simulated && <SimulatedTag testId="fairness-report-simulated" />}
      </div>
      {report.simulated && <p class="muted">{t('fairness.simulatedNote')}</p>}

      <h3 id="fairness-flags-heading">{t('fairness.flagsCount', { n: report.flags.length })}</h3>
      <div aria-labelledby="fairness-flags-heading" data-testid="fairness-report-flags">
        <FlagList flags={report.flags} />
      </div>

      <h3>{t('fairness.detail.links')}</h3>
      <ul class="tag-row" style={{ listStyle: 'none', padding: 0, gap: '8px 20px' }}>
        <li>
          <a href={auditHtmlHref(report.id, 'zh-CN')} target="_blank" rel="noopener" hreflang="zh-CN" data-testid="fairness-html-zh">
            {t('fairness.reportHtmlZh')}
            <span class="visually-hidden">{t('fairness.newTab')}</span>
          </a>
        </li>
        <li>
          <a href={auditHtmlHref(report.id, 'en')} target="_blank" rel="noopener" hreflang="en" data-testid="fairness-html-en">
            {t('fairness.reportHtmlEn')}
            <span class="visually-hidden">{t('fairness.newTab')}</span>
          </a>
        </li>
        <li>
          <a href={auditJsonDownloadHref(report.id)} download={`qingliu-fairness-${report.id}.json`} data-testid="fairness-download-json">
            {t('fairness.downloadJson')}
          </a>
        </li>
        <li>
          <a href={auditHtmlHref(report.id, locale(), true)} download={`qingliu-fairness-${report.id}.html`} data-testid="fairness-download-html">
            {t('fairness.downloadHtml')}
          </a>
        </li>
      </ul>

      <h3>{t('fairness.detail.facts')}</h3>
      <dl style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(180px, 1fr))', gap: '8px 16px' }}>
        <Fact label={t('fairness.detail.brand')}>{scope.brandId}</Fact>
        <Fact label={t('fairness.detail.session')}>{scope.sessionId ?? t('fairness.allSessions')}</Fact>
        <Fact label={t('fairness.detail.window')}>{t('fairness.list.window', { from: formatDateTime(scope.from), until: formatDateTime(scope.until) })}</Fact>
        <Fact label={t('fairness.detail.createdAt')}>{formatDateTime(report.createdAt)}</Fact>
        <Fact label={t('fairness.detail.decisions')} testId="fairness-report-decisions">
          {formatCount(report.decisions)}
        </Fact>
        <Fact label={t('fairness.detail.lists')}>{formatCount(report.lists)}</Fact>
        <Fact label={t('fairness.detail.personalisedShare')}>{formatPercent(report.personalisedShare)}</Fact>
        <Fact label={t('fairness.detail.keepUntil')}>{formatDateTime(report.keepUntil)}</Fact>
      </dl>

      <h3>{t('fairness.detail.segmentsHeading')}</h3>
      <p class="muted">{t('fairness.detail.segmentsNote')}</p>
      {report.segments.map((segment) => (
        <SegmentTable key={segment.attribute} segment={segment} minSize={minSize} />
      ))}

      <h3>{t('fairness.detail.exposureHeading')}</h3>
      <dl data-testid="fairness-exposure" style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(180px, 1fr))', gap: '8px 16px' }}>
        <Fact label={t('fairness.detail.coverage')} testId="fairness-coverage">
          {formatPercent(exposure.coverage)}
        </Fact>
        <Fact label={t('fairness.detail.exposureGini')} testId="fairness-exposure-gini">
          {formatIndex(exposure.exposureGini, 3)}
        </Fact>
        <Fact label={t('fairness.detail.gini')} testId="fairness-gini">
          {formatIndex(exposure.gini, 3)}
        </Fact>
        <Fact label={t('fairness.detail.productsShown')}>
          {t('fairness.detail.productsShownValue', { shown: formatCount(exposure.productsShown), catalogue: formatCount(exposure.catalogueSize) })}
        </Fact>
        {exposure.groupings.map((g) => (
          <Fact key={g.grouping} label={`${isProductGrouping(g.grouping) ? t(`fairness.groupings.${g.grouping}`) : g.grouping} · ${t('fairness.detail.columns.impressions')}`}>
            {g.groups.length === 0 ? '—' : g.groups.map((p) => `${groupValueLabel(g.grouping, p.group)} ${formatCount(p.impressions)}`).join(locale() === 'en' ? ', ' : '，')}
          </Fact>
        ))}
      </dl>
      {report.mitigation ? (
        <>
          <h3>{t('fairness.detail.mitigationHeading')}</h3>
          <p data-testid="fairness-mitigation">
            {t('fairness.detail.mitigationText', {
              applied: formatCount(report.mitigation.lists.applied),
              holdout: formatCount(report.mitigation.lists.holdout),
              ctrApplied: formatPercent(report.mitigation.ctr.applied),
              ctrHoldout: formatPercent(report.mitigation.ctr.holdout),
              interval: report.mitigation.ctr.ci95 ? `[${(report.mitigation.ctr.ci95[0] * 100).toFixed(2)}, ${(report.mitigation.ctr.ci95[1] * 100).toFixed(2)}]` : '—',
            })}
          </p>
        </>
      ) : null}
    </>
  );
}

function Fact({ label, children, testId }: { label: string; children: JSX.Element | string; testId?: string }): JSX.Element {
  return (
    <div>
      <dt class="muted">{label}</dt>
      <dd style={{ margin: '2px 0 0', fontWeight: 600, overflowWrap: 'anywhere' }} data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

function SegmentTable({ segment, minSize }: { segment: SegmentAudit; minSize: number }): JSX.Element {
  const name = attributeLabel(segment.attribute);
  const captionId = `fairness-segment-${segment.attribute}`;
  return (
    <div data-testid="fairness-segment" data-attribute={segment.attribute} data-status={segment.status}>
      <h4 id={captionId}>{name}</h4>
      {segment.status !== 'ok' && <p class="muted">{t(`fairness.attributeStatus.${segment.status}`, { n: minSize })}</p>}
      {segment.status !== 'not_recorded' && (
        <p class="muted">
          {t('fairness.detail.recorded', { recorded: formatCount(segment.recorded), missing: formatCount(segment.missing) })}
          {segment.reference !== null && (
            <>
              {' · '}
              {t('fairness.detail.reference', { group: groupValueLabel(segment.attribute, segment.reference) })}
            </>
          )}
        </p>
      )}
      {segment.groups.length > 0 && (
        <div class="table-wrap">
          <table class="product-table">
            <caption class="visually-hidden">{t('fairness.detail.groupsCaption', { attribute: name })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('fairness.detail.columns.group')}</th>
                <th scope="col" class="num">
                  {t('fairness.detail.columns.viewers')}
                </th>
                <th scope="col" class="num">
                  {t('fairness.detail.columns.impressions')}
                </th>
                <th scope="col" class="num">
                  {t('fairness.detail.columns.premiumRate')}
                </th>
                <th scope="col" class="num">
                  {t('fairness.detail.columns.ctr')}
                </th>
                <th scope="col" class="num">
                  {t('fairness.detail.columns.meanPrice')}
                </th>
                <th scope="col" class="num">
                  {t('fairness.detail.columns.meanDiscount')}
                </th>
              </tr>
            </thead>
            <tbody>
              {segment.groups.map((g) => (
                <tr key={g.group} data-testid="fairness-group-row" data-group={g.group} data-suppressed={g.suppressed ? 'true' : 'false'}>
                  <th scope="row">
                    <GroupName dimension={segment.attribute} group={g.group} />
                    {g.group === segment.reference && <span class="muted"> · {t('fairness.detail.referenceMark')}</span>}
                  </th>
                  <td class="num" data-testid="fairness-group-viewers">
                    {g.viewers === undefined ? '—' : formatCount(g.viewers)}
                  </td>
                  <td class="num">{formatCount(g.impressions)}</td>
                  {g.suppressed ? (
                    <td colSpan={4} class="muted" data-testid="fairness-suppressed">
                      {t('fairness.detail.suppressed', { n: minSize })}
                    </td>
                  ) : (
                    <>
                      <td class="num">{formatPercent(g.premiumRate)}</td>
                      <td class="num">{formatPercent(g.ctr)}</td>
                      <td class="num">{formatMetric('meanPrice', g.meanPrice)}</td>
                      <td class="num">{formatPercent(g.meanDiscount)}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

// ---- compare two audits ----

function ComparePanel({ items }: { items: AuditSummaryRow[] }): JSX.Element {
  const [pair, setPair] = useState(() => defaultPair(items));
  const [result, setResult] = useState<AuditComparison | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [working, setWorking] = useState(false);
  const chosen = useRef(false);
  const ids = items.map((r) => r.id).join(',');
  // Until someone picks, the newest audit is compared with the one before it (also after a new audit
  // arrives); a pick that left the list (filter, refresh) falls back to that pair too.
  useEffect(() => {
    setPair((current) => {
      const present = new Set(items.map((r) => r.id));
      const valid = present.has(current.a) && present.has(current.b) && current.a !== current.b;
      return chosen.current && valid ? current : defaultPair(items);
    });
  }, [ids]);
  const choose = (patch: Partial<typeof pair>): void => {
    chosen.current = true;
    setPair({ ...pair, ...patch });
  };

  const same = pair.a !== '' && pair.a === pair.b;
  const compare = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!pair.a || !pair.b || same || working) return;
    setWorking(true);
    setError(null);
    try {
      setResult(await apiRequest<AuditComparison>('GET', comparePath(pair.a, pair.b)));
    } catch (failure) {
      setResult(null);
      setError(failure);
    } finally {
      setWorking(false);
    }
  };

  const option = (row: AuditSummaryRow): JSX.Element => (
    <option key={row.id} value={row.id}>
      {t('fairness.compare.option', { time: formatDateTime(row.createdAt), trigger: triggerLabel(row.trigger), id: row.id })}
    </option>
  );

  return (
    <section class="card panel" aria-labelledby="fairness-compare-heading" data-testid="fairness-compare">
      <h2 id="fairness-compare-heading">{t('fairness.compare.heading')}</h2>
      {items.length < 2 ? (
        <p class="muted">{t('fairness.compare.needTwo')}</p>
      ) : (
        <form noValidate onSubmit={(event) => void compare(event)}>
          <p class="muted">{t('fairness.compare.note')}</p>
          <div class="choice-row">
            <div class="field">
              <label for="fairness-compare-a">{t('fairness.compare.a')}</label>
              <select id="fairness-compare-a" class="input" value={pair.a} data-testid="fairness-compare-a" onChange={(event) => choose({ a: event.currentTarget.value })}>
                {items.map(option)}
              </select>
            </div>
            <div class="field">
              <label for="fairness-compare-b">{t('fairness.compare.b')}</label>
              <select id="fairness-compare-b" class="input" value={pair.b} data-testid="fairness-compare-b" onChange={(event) => choose({ b: event.currentTarget.value })}>
                {items.map(option)}
              </select>
            </div>
          </div>
          <p class="field-error" aria-live="polite">
            {same ? t('fairness.compare.same') : ''}
          </p>
          <button type="submit" class="btn btn-secondary" disabled={same || working} data-testid="fairness-compare-submit">
            {working ? t('fairness.compare.working') : t('fairness.compare.submit')}
          </button>
        </form>
      )}
      {error !== null && <ProblemMessage error={error} />}
      <div aria-live="polite">{result && <CompareResult result={result} />}</div>
    </section>
  );
}

function CompareResult({ result }: { result: AuditComparison }): JSX.Element {
  const pp = t('fairness.pp');
  const segments = result.segments.filter((s) => s.a !== null || s.b !== null);
  return (
    <div data-testid="fairness-compare-result" data-a={result.a?.id} data-b={result.b?.id}>
      {segments.length === 0 ? (
        <p class="muted" data-testid="fairness-compare-no-segments">
          {t('fairness.compare.noSegments')}
        </p>
      ) : (
        <div class="table-wrap">
          <table class="product-table" data-testid="fairness-compare-table">
            <caption>{t('fairness.compare.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('fairness.compare.columns.attribute')}</th>
                <th scope="col">{t('fairness.compare.columns.group')}</th>
                <th scope="col">{t('fairness.compare.columns.metric')}</th>
                <th scope="col" class="num">
                  {t('fairness.compare.columns.a')}
                </th>
                <th scope="col" class="num">
                  {t('fairness.compare.columns.b')}
                </th>
                <th scope="col" class="num">
                  {t('fairness.compare.columns.change')}
                </th>
              </tr>
            </thead>
            <tbody>
              {segments.map((s) => (
                <tr
                  key={`${s.attribute}/${s.group}/${s.metric}`}
                  data-testid="fairness-compare-row"
                  data-attribute={s.attribute}
                  data-group={s.group}
                  data-metric={s.metric}
                  data-direction={changeDirection(s.change)}
                >
                  <td>{attributeLabel(s.attribute)}</td>
                  <th scope="row">
                    <GroupName dimension={s.attribute} group={s.group} />
                  </th>
                  <td>{metricLabel(s.metric)}</td>
                  <td class="num">{formatMetric(s.metric, s.a)}</td>
                  <td class="num">{formatMetric(s.metric, s.b)}</td>
                  <td class="num">{formatChange(s.metric, s.change, pp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="table-wrap">
        <table class="product-table" data-testid="fairness-compare-exposure">
          <caption>{t('fairness.compare.exposureCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('fairness.compare.columns.metric')}</th>
              <th scope="col" class="num">
                {t('fairness.compare.columns.a')}
              </th>
              <th scope="col" class="num">
                {t('fairness.compare.columns.b')}
              </th>
              <th scope="col" class="num">
                {t('fairness.compare.columns.change')}
              </th>
            </tr>
          </thead>
          <tbody>
            {result.exposure.map((e) => (
              <tr key={e.metric} data-testid="fairness-compare-exposure-row" data-metric={e.metric}>
                <th scope="row">{metricLabel(e.metric)}</th>
                <td class="num">{e.metric === 'coverage' ? formatPercent(e.a) : formatIndex(e.a, 3)}</td>
                <td class="num">{e.metric === 'coverage' ? formatPercent(e.b) : formatIndex(e.b, 3)}</td>
                <td class="num">{formatChange(e.metric, e.change, pp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('fairness.compare.flagsA', { n: result.flags.a.length })}</h3>
      <div data-testid="fairness-compare-flags-a">
        <FlagList flags={result.flags.a} testId="fairness-compare-flag-a" />
      </div>
      <h3>{t('fairness.compare.flagsB', { n: result.flags.b.length })}</h3>
      <div data-testid="fairness-compare-flags-b">
        <FlagList flags={result.flags.b} testId="fairness-compare-flag-b" />
      </div>
    </div>
  );
}
