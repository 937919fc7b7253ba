/**
 * An experiment's page (/experiments/:id), for signed-in staff: what it compares and how (read-only
 * definition), the latest verdict of each treatment arm against control with the share of the
 * planned sample reached, charts of every scheduled look (ECharts, loaded after the shell), the
 * per-arm figures including the viewers outside the comparison, the guardrails, and the method.
 * Administrators and hosts start a draft and stop a running experiment here.
 *
 * Looks are taken by the server on schedule, so refreshing (every 30 s while it runs) only shows
 * the newest stored analysis; it never changes a result.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getRoomState } from '../../ui/api.ts';
import { useLazyChart } from '../../ui/lazy-chart.ts';
import { pick, t } from '../../i18n/index.ts';
import { useStaff } from '../../ui/auth.ts';
import { Dialog, ProblemMessage, Spinner, ToastRegion, useToaster, type Toaster } from '../../ui/components.tsx';
import type { StaffUser } from '../../ui/contract.ts';
import {
  canOperateExperiments,
  experimentBadgeClass,
  fetchExperimentReport,
  discardExperiment,
  startExperiment,
  stopExperiment,
  type ArmReport,
  type Comparison,
  type DefinitionView,
  type ExperimentReport,
  type ExperimentStatus,
  type ExperimentView,
  type IntervalView,
  type LookAnalysis,
} from '../../ui/experiments.ts';
import { formatClock, formatCount, formatDateTime } from '../../ui/format.ts';
import { StaffHeader, StaffPending } from '../../ui/staff-header.tsx';
import type { ChartSpec } from './charts.ts';
import {
  armColour,
  armMeanSeries,
  armName,
  chartValue,
  comparisonTitle,
  differenceSeries,
  displayDigits,
  displayScale,
  energyBars,
  experimentIdFromPath,
  fixed,
  formatDifference,
  formatDifferenceEstimate,
  formatLevel,
  formatMargin,
  formatRate,
  formatShare,
  formatUplift,
  formatWh,
  formatYuanAmount,
  fractionPercent,
  giniPair,
  isArmPolicyName,
  isEnergyMethodId,
  isKnownMetric,
  isStopReasonCode,
  mayOperateExperiment,
  metricKind,
  minutesUntilNextLook,
  reportStage,
  stopReasonProblem,
  upliftAxisLimit,
  confidenceLevel,
  upliftSeries,
  cutAt,
  verdictTone,
  type IntervalPoint,
} from './experiment-view.ts';
import './experiment.css';

/** How often a running experiment's report is fetched again (looks are scheduled by the server). */
export const REPORT_REFRESH_MS = 30_000;

type Look = LookAnalysis & { takenAt: number };

// ---- names in the page's language ----

const metricLabel = (metric: string): string => (isKnownMetric(metric) ? t(`experiment.metrics.${metric}`) : metric);
const policyLabel = (policy: string): string => (isArmPolicyName(policy) ? t(`experiment.policies.${policy}`) : policy);
/** Why it ended: a known reason in the page's language, an operator's own words as typed. */
const stopReasonLabel = (experiment: Pick<ExperimentView, 'stopReason' | 'stopReasonCode'>): string =>
  isStopReasonCode(experiment.stopReasonCode) ? t(`experiment.stopReasons.${experiment.stopReasonCode}`) : (experiment.stopReason ?? '');
/** The energy method in the page's language when it is a known one; the server's words otherwise. */
const energyMethodLabel = (energy: ArmReport['energy']): string => (isEnergyMethodId(energy.methodId) ? t(`experiment.energyMethods.${energy.methodId}`) : energy.method);
const energyMethodLabels = (arms: readonly ArmReport[]): string[] => [...new Set(arms.map((a) => energyMethodLabel(a.energy)))];
/** Items of a list in a sentence: "；" in Chinese, "; " in English. */
const listed = (items: readonly string[]): string => items.join(t('experiment.listSeparator'));
const SPENDINGS = ['obrien_fleming', 'pocock'] as const;
const spendingLabel = (spending: string): string =>
  (SPENDINGS as readonly string[]).includes(spending) ? t(`experiment.spendings.${spending as (typeof SPENDINGS)[number]}`) : spending;
/** The arm's name as shown: the outside cohort in the page's language, the others as the operator named them. */
const armLabel = (arm: Pick<ArmReport, 'cohort' | 'name'>): string => (arm.cohort === 'outside' ? t('experiment.arms.outsideName') : arm.name);
/** How many arms are compared with control (each at α divided by this number). */
const treatmentCount = (d: DefinitionView): number => Math.max(1, d.arms.filter((a) => a.id !== d.control).length);

function StatusBadge({ status, testId }: { status: ExperimentStatus; testId?: string }): JSX.Element {
  return (
    <span class={experimentBadgeClass(status)} data-testid={testId} data-status={status}>
      {status === 'running' && <span class="live-dot" aria-hidden="true" />}
      {t(`experiment.statuses.${status}`)}
    </span>
  );
}

function SimulatedBadge({ testId = 'experiment-simulated' }: { testId?: string }): JSX.Element {
  return (
    <span class="badge badge-flash" data-testid={testId}>
      {t('experiment.simulated')}
    </span>
  );
}

// ---- the page ----

export function ExperimentPage(): JSX.Element {
  const staff = useStaff();
  const id = experimentIdFromPath(location.pathname);
  if (staff.kind !== 'signed-in') return <StaffPending staff={staff} />;
  return (
    <>
      <StaffHeader user={staff.user} title={t('experiment.title')} />
      {id ? (
        <ExperimentConsole id={id} user={staff.user} />
      ) : (
        <main class="page-message">
          <h1>{t('errors.codes.EXPERIMENT_NOT_FOUND')}</h1>
        </main>
      )}
    </>
  );
}

/** The report, fetched now and every 30 s while the experiment runs; a failed refresh keeps the last one. */
function useReport(id: string): { report: ExperimentReport | null; error: unknown; updatedAt: number | null; reload: () => void } {
  const [report, setReport] = useState<ExperimentReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    fetchExperimentReport(id).then(
      (fetched) => {
        if (mine !== generation.current) return;
        setReport(fetched);
        setError(null);
        setUpdatedAt(Date.now());
      },
      (failure: unknown) => {
        if (mine === generation.current) setError(failure);
      },
    );
  }, [id]);
  useEffect(reload, [reload]);
  const running = report?.experiment.status === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, REPORT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [running, reload]);
  return { report, error, updatedAt, reload };
}

function ExperimentConsole({ id, user }: { id: string; user: StaffUser }): JSX.Element {
  const { report, error, updatedAt, reload } = useReport(id);
  const toaster = useToaster();
  const [discarded, setDiscarded] = useState<string | null>(null);
  const experiment = report?.experiment;
  useEffect(() => {
    document.title = experiment
      ? t(experiment.simulated ? 'experiment.documentTitleSimulated' : 'experiment.documentTitle', { name: experiment.name })
      : t('experiment.title');
  });

  if (discarded !== null) {
    return (
      <main class="page-message" data-testid="experiment-discarded">
        <p>{t('experiment.actions.discarded', { name: discarded })}</p>
      </main>
    );
  }
  if (!report) {
    if (error !== null) {
      return (
        <main class="page-message" data-testid="experiment-page-error">
          <ProblemMessage error={error} />
        </main>
      );
    }
    return <Spinner />;
  }
  const { definition } = report.experiment;
  return (
    <>
      <main
        class="exp-main"
        data-testid="experiment-page"
        data-experiment-id={report.experiment.id}
        data-status={report.experiment.status}
        data-simulated={report.experiment.simulated ? 'true' : 'false'}
        data-looks={report.looks.length}
      >
        <Header experiment={report.experiment} user={user} onChanged={reload} onDiscarded={() => setDiscarded(report.experiment.name)} toaster={toaster} />
        {error !== null && (
          <div class="card panel" role="alert">
            <p class="muted">{t('experiment.results.refreshFailed')}</p>
            <ProblemMessage error={error} />
          </div>
        )}
        <Verdicts report={report} updatedAt={updatedAt} />
        <Charts report={report} />
        <ArmsTable report={report} />
        <Guardrails definition={definition} latest={report.latest} />
        <details class="card panel exp-details" data-testid="experiment-method">
          <summary>
            <h2>{t('experiment.method.title')}</h2>
          </summary>
          <p class="exp-method-text" data-testid="experiment-method-text">
            {t('experiment.method.text')}
          </p>
          {report.latest && (
            <p>{t('experiment.method.bound', { bound: fixed(report.latest.bound, 3), alpha: fixed(report.latest.alphaPerComparison, 4) })}</p>
          )}
          <p class="muted">{t('experiment.method.doc')}</p>
        </details>
        <DefinitionDetails definition={definition} />
      </main>
      <ToastRegion toaster={toaster} />
    </>
  );
}

// ---- header: what it is, its settings, start and stop ----

function Header(props: { experiment: ExperimentView; user: StaffUser; onChanged: () => void; onDiscarded: () => void; toaster: Toaster }): JSX.Element {
  const { experiment, user, onChanged, onDiscarded, toaster } = props;
  const d = experiment.definition;
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirmStop, setConfirmStop] = useState(false);
  const operator = useMayOperate(experiment, user);

  const act = async (action: () => Promise<unknown>, done: string): Promise<void> => {
    setBusy(true);
    setActionError(null);
    try {
      await action();
      toaster.show('success', done);
    } catch (failure) {
      setActionError(failure);
    } finally {
      setBusy(false);
      onChanged(); // the state may have changed either way (e.g. EXPERIMENT_STATE)
    }
  };

  return (
    <section class="card panel exp-head" aria-labelledby="exp-title">
      <div class="exp-head-top">
        <div class="exp-head-name">
          <span class="muted">{t('experiment.kicker')}</span>
          <h1 id="exp-title" data-testid="experiment-name">
            {experiment.name}
          </h1>
          <div class="exp-badges">
            <StatusBadge status={experiment.status} testId="experiment-status" />
            {experiment.simulated && <SimulatedBadge />}
            <code class="muted">{experiment.id}</code>
          </div>
        </div>
        {operator && (
          <div class="exp-actions">
            {experiment.status === 'draft' && (
              <button
                type="button"
                class="btn btn-primary"
                data-testid="experiment-start"
                disabled={busy}
                onClick={() => void act(() => startExperiment(experiment.id), t('experiment.actions.started'))}
              >
                {busy ? t('experiment.actions.working') : t('experiment.actions.start')}
              </button>
            )}
            {experiment.status === 'draft' && (
              <button
                type="button"
                class="btn btn-secondary"
                data-testid="experiment-discard"
                disabled={busy}
                onClick={() => {
                  if (!window.confirm(t('experiment.actions.discardConfirm'))) return;
                  setBusy(true);
                  setActionError(null);
                  discardExperiment(experiment.id).then(onDiscarded, (failure: unknown) => {
                    setActionError(failure);
                    setBusy(false);
                    onChanged();
                  });
                }}
              >
                {t('experiment.actions.discard')}
              </button>
            )}
            {experiment.status === 'running' && (
              <button type="button" class="btn btn-danger" data-testid="experiment-stop" disabled={busy} onClick={() => setConfirmStop(true)}>
                {busy ? t('experiment.actions.working') : t('experiment.actions.stop')}
              </button>
            )}
          </div>
        )}
      </div>
      {actionError !== null && <ProblemMessage error={actionError} />}
      {experiment.simulated && (
        <p class="exp-simulated-note" data-testid="experiment-simulated-note">
          {t('experiment.simulatedNote')}
        </p>
      )}
      {d.description && <p class="exp-description">{d.description}</p>}
      <dl class="exp-facts" aria-label={t('experiment.facts.label')}>
        <Fact label={t('experiment.facts.rooms')}>
          {d.sessionIds.length === 0 ? (
            t('experiment.facts.allRooms', { brand: experiment.brandId })
          ) : (
            <span class="exp-rooms" data-testid="experiment-rooms">
              {d.sessionIds.map((s) => (
                <code key={s}>{s}</code>
              ))}
            </span>
          )}
        </Fact>
        <Fact label={t('experiment.facts.startedAt')}>{experiment.startedAt === null ? t('experiment.facts.notYet') : formatDateTime(experiment.startedAt)}</Fact>
        <Fact label={t('experiment.facts.stoppedAt')}>{experiment.stoppedAt === null ? t('experiment.facts.notYet') : formatDateTime(experiment.stoppedAt)}</Fact>
        {experiment.stopReason && (
          <Fact label={t('experiment.facts.stopReason')} testId="experiment-stop-reason-shown">
            {stopReasonLabel(experiment)}
          </Fact>
        )}
        <Fact label={t('experiment.facts.primaryMetric')} testId="experiment-primary-metric">
          {metricLabel(d.primaryMetric)}
        </Fact>
        <Fact label={t('experiment.facts.guardrails')}>
          {d.guardrails.length === 0
            ? t('experiment.facts.noGuardrails')
            : listed(d.guardrails.map((g) => t('experiment.facts.guardrailItem', { metric: metricLabel(g.metric), margin: formatMargin(g.metric, g.margin ?? defaultMargin(g.metric)) })))}
        </Fact>
        <Fact label={t('experiment.facts.alpha')}>{t('experiment.facts.alphaValue', { alpha: String(d.alpha) })}</Fact>
        <Fact label={t('experiment.facts.spending')}>{spendingLabel(d.spending)}</Fact>
        <Fact label={t('experiment.facts.plannedPerArm')}>{t('experiment.facts.plannedValue', { n: formatCount(d.plannedUnitsPerArm) })}</Fact>
        <Fact label={t('experiment.facts.lookEvery')}>
          {d.lookEveryMinutes === 1 ? t('experiment.facts.lookEveryOne') : t('experiment.facts.lookEveryValue', { n: d.lookEveryMinutes })}
        </Fact>
        <Fact label={t('experiment.facts.created')}>{t('experiment.facts.createdValue', { name: experiment.createdBy, time: formatDateTime(experiment.createdAt) })}</Fact>
      </dl>
      {!operator && (experiment.status === 'draft' || experiment.status === 'running') && <p class="muted">{t('experiment.actions.readOnly')}</p>}
      <StopDialog
        open={confirmStop}
        onClose={() => setConfirmStop(false)}
        onStop={(reason) => {
          setConfirmStop(false);
          void act(() => stopExperiment(experiment.id, reason), t('experiment.actions.stopped'));
        }}
      />
    </section>
  );
}

/**
 * Whether the user may start and stop this experiment (the server's rule): an administrator; a host of
 * every room it names (read from the rooms, as the host console decides); not before that is known.
 */
function useMayOperate(experiment: ExperimentView, user: StaffUser): boolean {
  const rooms = experiment.definition.sessionIds;
  const needsRooms = user.role === 'host' && rooms.length > 0;
  const [hosts, setHosts] = useState<(string | null)[] | null>(null);
  const key = rooms.join('\n');
  useEffect(() => {
    if (!needsRooms) return;
    let current = true;
    setHosts(null);
    Promise.all(rooms.map((s) => getRoomState(s).then((state) => state.session.hostName))).then(
      (found) => {
        if (current) setHosts(found);
      },
      () => {
        // Not known: no buttons (the server would refuse anyway if they did not host the rooms).
        if (current) setHosts([]);
      },
    );
    return () => {
      current = false;
    };
  }, [needsRooms, key]);
  return canOperateExperiments(user.role) && mayOperateExperiment(user, experiment.definition, needsRooms ? hosts : null);
}

/** The server's default margins: 0, and 0.1 for the exposure Gini. */
const defaultMargin = (metric: string): number => (metric === 'exposure_gini' ? 0.1 : 0);

function Fact({ label, children, testId }: { label: string; children: ComponentChildren; testId?: string }): JSX.Element {
  return (
    <div class="exp-fact">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function StopDialog({ open, onClose, onStop }: { open: boolean; onClose: () => void; onStop: (reason: string) => void }): JSX.Element {
  const [reason, setReason] = useState('');
  useEffect(() => {
    if (open) setReason('');
  }, [open]);
  const problem = stopReasonProblem(reason);
  return (
    <Dialog open={open} title={t('experiment.actions.stopTitle')} onClose={onClose} testId="experiment-stop-dialog">
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!problem) onStop(reason);
        }}
      >
        <p>{t('experiment.actions.stopBody')}</p>
        <div class="field">
          <label for="exp-stop-reason">{t('experiment.actions.stopReason')}</label>
          <input
            id="exp-stop-reason"
            class="input"
            type="text"
            value={reason}
            aria-invalid={problem ? true : undefined}
            aria-describedby="exp-stop-reason-hint exp-stop-reason-problem"
            data-testid="experiment-stop-reason"
            onInput={(event) => setReason(event.currentTarget.value)}
          />
          <p id="exp-stop-reason-hint" class="field-hint">
            {t('experiment.actions.stopReasonHint')}
          </p>
          <p id="exp-stop-reason-problem" class="field-error" aria-live="polite">
            {problem === 'tooLong' && t('experiment.actions.reasonTooLong')}
            {problem === 'controlCharacters' && t('experiment.actions.reasonControl')}
          </p>
        </div>
        <div class="dialog-actions">
          <button type="button" class="btn btn-ghost" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="btn btn-danger-solid" disabled={problem !== null} data-testid="experiment-stop-confirm">
            {t('experiment.actions.confirmStop')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

// ---- verdicts ----

function Verdicts({ report, updatedAt }: { report: ExperimentReport; updatedAt: number | null }): JSX.Element {
  const { experiment, latest } = report;
  const d = experiment.definition;
  const stage = reportStage(report);
  const running = experiment.status === 'running';
  return (
    <section class="card panel" aria-labelledby="exp-verdict-heading" data-testid="experiment-verdicts" data-stage={stage}>
      <div class="panel-head">
        <h2 id="exp-verdict-heading">{t('experiment.results.heading')}</h2>
        {updatedAt !== null && (
          <span class="muted exp-refreshed">
            {running ? t('experiment.results.refreshed', { time: formatClock(updatedAt) }) : t('experiment.results.loadedAt', { time: formatClock(updatedAt) })}
          </span>
        )}
      </div>
      {latest && (
        <>
          <div class="exp-progress">
            <label id="exp-fraction-label" for="exp-fraction" data-testid="experiment-fraction-text">
              {t('experiment.results.fraction', { n: fractionPercent(latest.fraction) })}
            </label>
            <progress id="exp-fraction" max={1} value={Math.min(1, latest.fraction)} data-testid="experiment-fraction" data-fraction={latest.fraction} />
          </div>
          <p class="muted">{t('experiment.results.lookInfo', { look: latest.look, time: formatDateTime(latest.takenAt) })}</p>
          <div class="exp-verdicts">
            {latest.comparisons.map((c) => (
              <VerdictCard key={c.treatment} definition={d} comparison={c} />
            ))}
          </div>
          <p class="muted" data-testid="experiment-interval-note">
            {treatmentCount(d) > 1
              ? t('experiment.results.intervalSeveral', { level: confidenceLevel(d.alpha / treatmentCount(d)), family: confidenceLevel(d.alpha), n: treatmentCount(d) })
              : t('experiment.results.interval', { level: confidenceLevel(d.alpha) })}
          </p>
        </>
      )}
      {stage === 'waiting' && (
        <div data-testid="experiment-first-look">
          <p class="exp-verdict-text">
            {firstLookText(minutesUntilNextLook(d.lookEveryMinutes, experiment.startedAt ?? experiment.createdAt, Date.now()))}
          </p>
          <p class="muted">{t('experiment.results.firstLookNote')}</p>
        </div>
      )}
      {stage === 'draft' && <p data-testid="experiment-not-started">{t('experiment.results.draft')}</p>}
      {stage === 'noLooks' && <p data-testid="experiment-no-looks">{t('experiment.results.noLooks')}</p>}
      <p class="exp-schedule-note" data-testid="experiment-schedule-note">
        {t('experiment.results.scheduleNote')}
      </p>
    </section>
  );
}

const firstLookText = (minutes: number): string => (minutes === 1 ? t('experiment.results.firstLookOne') : t('experiment.results.firstLook', { n: minutes }));

/** A difference with its interval, or "not enough data yet" when the look has none (no variation to measure yet). */
const differenceText = (metric: string, interval: IntervalView | null | undefined): string =>
  interval ? formatDifference(metric, interval) : t('experiment.results.noInterval');

function VerdictCard({ definition, comparison }: { definition: DefinitionView; comparison: Comparison }): JSX.Element {
  const { verdict } = comparison;
  return (
    <article
      class={`exp-verdict tone-${verdictTone(verdict.kind)}`}
      data-testid="experiment-verdict"
      data-treatment={comparison.treatment}
      data-kind={verdict.kind}
      data-final={verdict.final ? 'true' : 'false'}
    >
      <h3>{comparisonTitle(definition, comparison)}</h3>
      <p class="exp-verdict-text" data-testid="experiment-verdict-text">
        {pick(verdict.text)}
      </p>
      <p>
        <span class={verdict.final ? 'badge badge-ended' : 'badge badge-scheduled'} data-testid="experiment-verdict-final">
          {verdict.final ? t('experiment.results.final') : t('experiment.results.interim')}
        </span>
      </p>
      <dl class="exp-verdict-figures">
        <div>
          <dt>
            {t('experiment.results.difference')} · {metricLabel(comparison.metric)}
          </dt>
          <dd data-testid="experiment-difference">{differenceText(comparison.metric, comparison.difference)}</dd>
        </div>
        <div>
          <dt>{t('experiment.results.uplift')}</dt>
          <dd data-testid="experiment-uplift">{comparison.difference ? formatUplift(comparison.relativeUplift) : t('experiment.results.noInterval')}</dd>
        </div>
      </dl>
    </article>
  );
}

// ---- charts (ECharts arrives with a dynamic import) ----

let chartsModule: Promise<typeof import('./charts.ts')> | null = null;
const loadCharts = (): Promise<typeof import('./charts.ts')> => (chartsModule ??= import('./charts.ts'));

interface LegendEntry {
  label: string;
  colour: string;
  kind: 'line' | 'band' | 'zero';
}

function ChartFigure(props: {
  kind: string;
  title: string;
  summary: string;
  spec: ChartSpec;
  legend?: LegendEntry[];
  note?: string;
  table: JSX.Element;
  testKey?: string;
}): JSX.Element {
  const key = JSON.stringify(props.spec);
  const { canvas, state } = useLazyChart(loadCharts, key, (charts, k) => charts.chartOption(JSON.parse(k) as ChartSpec));
  return (
    <figure class="card exp-chart" data-testid="experiment-chart" data-chart={props.kind} data-key={props.testKey} data-rendered={state === 'ready' ? 'true' : 'false'}>
      <figcaption>
        <h3>{props.title}</h3>
        {props.legend && (
          <ul class="exp-legend">
            {props.legend.map((entry) => (
              <li key={entry.label}>
                <span class={`exp-swatch exp-swatch-${entry.kind}`} style={{ '--swatch': entry.colour }} aria-hidden="true" />
                {entry.label}
              </li>
            ))}
          </ul>
        )}
      </figcaption>
      <div ref={canvas} class="exp-chart-canvas" role="img" aria-label={props.summary} />
      {state === 'loading' && <p class="muted exp-chart-status">{t('experiment.charts.loading')}</p>}
      {state === 'failed' && (
        <p class="problem exp-chart-status" role="alert">
          {t('experiment.charts.failed')}
        </p>
      )}
      {props.note && <p class="muted exp-chart-note">{props.note}</p>}
      <details class="exp-chart-data">
        <summary>{t('experiment.charts.table')}</summary>
        <div class="table-wrap">{props.table}</div>
      </details>
    </figure>
  );
}

const lookLabel = (look: Pick<Look, 'look' | 'fraction'>): string => t('experiment.charts.lookLabel', { look: look.look, n: fractionPercent(look.fraction) });

/** The y-axis unit of a metric's differences and of its levels. */
function units(metric: string): { difference: string; level: string; suffixDifference: string; suffixLevel: string } {
  switch (metricKind(metric)) {
    case 'proportion':
      return { difference: t('experiment.units.pp'), level: t('experiment.units.percent'), suffixDifference: 'pp', suffixLevel: '%' };
    case 'money':
      return { difference: t('experiment.units.yuan'), level: t('experiment.units.yuan'), suffixDifference: t('experiment.units.yuan'), suffixLevel: t('experiment.units.yuan') };
    case 'count':
      // The metric's name already says "per viewer" ("clicks per viewer", "人均点击"): its levels need no unit.
      return { difference: t('experiment.units.perViewer'), level: '', suffixDifference: '', suffixLevel: '' };
    case 'index':
      return { difference: '', level: '', suffixDifference: '', suffixLevel: '' };
  }
}

/** A title starts with a capital in English ("Conversion: …"); Chinese is unchanged. */
const sentence = (text: string): string => text.charAt(0).toLocaleUpperCase('en') + text.slice(1);

const axisName = (name: string, unit: string): string => (unit ? t('experiment.charts.axisWithUnit', { name, unit }) : name);

function IntervalTable({ points, format }: { points: IntervalPoint[]; format: (p: IntervalPoint) => string }): JSX.Element {
  return (
    <table class="product-table exp-table">
      <thead>
        <tr>
          <th scope="col">{t('experiment.charts.columns.look')}</th>
          <th scope="col">{t('experiment.charts.columns.time')}</th>
          <th scope="col" class="num">
            {t('experiment.charts.columns.fraction')}
          </th>
          <th scope="col" class="num">
            {t('experiment.charts.columns.value')}
          </th>
        </tr>
      </thead>
      <tbody>
        {points.map((p, i) => (
          <tr key={`${p.look}-${i}`}>
            <th scope="row">{p.look}</th>
            <td>{formatDateTime(p.takenAt)}</td>
            <td class="num">{fractionPercent(p.fraction)}%</td>
            <td class="num">{format(p)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Charts({ report }: { report: ExperimentReport }): JSX.Element {
  const d = report.experiment.definition;
  const metric = d.primaryMetric;
  const looks = report.looks;
  const u = units(metric);
  const scale = displayScale(metric);
  const digits = displayDigits(metric);
  const categories = looks.map(lookLabel);
  // Each comparison's own level: with several treatments α is split between them (Bonferroni).
  const level = confidenceLevel(d.alpha / treatmentCount(d));
  const latestLabel = looks.length ? lookLabel(looks[looks.length - 1]!) : '';
  const treatments = d.arms.filter((a) => a.id !== d.control);
  const controlName = armName(d, d.control);

  const interval = (kind: 'difference' | 'uplift', treatment: { id: string; name: string }): JSX.Element => {
    const colour = armColour(d, treatment.id);
    const points = kind === 'difference' ? differenceSeries(looks, treatment.id) : upliftSeries(looks, treatment.id);
    const s = kind === 'difference' ? scale : 100;
    const format = (p: IntervalPoint): string =>
      p.estimate === null || p.lo === null || p.hi === null
        ? '—'
        : kind === 'difference'
          ? formatDifference(metric, { estimate: p.estimate, lo: p.lo, hi: p.hi })
          : formatUplift({ estimate: p.estimate, lo: p.lo, hi: p.hi });
    const title = sentence(
      t(kind === 'difference' ? 'experiment.charts.differenceTitle' : 'experiment.charts.upliftTitle', {
        metric: metricLabel(metric),
        treatment: treatment.name,
        control: controlName,
      }),
    );
    const last = points[points.length - 1];
    // Relative uplift: long early intervals are cut at an axis fitted to the latest look (said below the chart).
    const limit = kind === 'uplift' ? upliftAxisLimit(points) : null;
    const spec: ChartSpec = {
      ...(limit !== null ? { limit: limit * 100 } : {}),
      kind: 'interval',
      categories,
      estimate: points.map((p) => chartValue(p.estimate, s)),
      lo: points.map((p) => chartValue(p.lo, s)),
      hi: points.map((p) => chartValue(p.hi, s)),
      xName: t('experiment.charts.lookAxis'),
      yName: kind === 'difference' ? axisName(t('experiment.results.difference'), u.difference) : axisName(t('experiment.results.uplift'), t('experiment.units.percent')),
      unit: kind === 'difference' ? u.suffixDifference : '%',
      digits: kind === 'difference' ? digits : 1,
      colour,
    };
    return (
      <ChartFigure
        key={`${kind}-${treatment.id}`}
        kind={kind}
        testKey={treatment.id}
        title={title}
        summary={t('experiment.charts.summaryInterval', { title, look: latestLabel, value: last ? format(last) : t('experiment.charts.noValue') })}
        spec={spec}
        legend={[
          { label: t('experiment.charts.estimate'), colour, kind: 'line' },
          { label: t('experiment.charts.band', { level }), colour, kind: 'band' },
          { label: t('experiment.charts.zero'), colour: '#2a211d', kind: 'zero' },
        ]}
        table={<IntervalTable points={points} format={format} />}
        {...(limit !== null && cutAt(points, limit) ? { note: t('experiment.charts.upliftCut', { limit: Math.round(limit * 100) }) } : {})}
      />
    );
  };

  const means = armMeanSeries(looks, d, metric);
  const meansTitle = sentence(t('experiment.charts.meansTitle', { metric: metricLabel(metric) }));
  const meansSpec: ChartSpec = {
    kind: 'lines',
    categories,
    series: means.map((m) => ({ name: m.name, values: m.values.map((v) => chartValue(v, scale)), colour: armColour(d, m.arm) })),
    xName: t('experiment.charts.lookAxis'),
    yName: axisName(sentence(metricLabel(metric)), u.level),
    unit: u.suffixLevel,
    digits,
  };
  const meansSummary = t('experiment.charts.summaryLines', {
    title: meansTitle,
    values: listed(means.map((m) => `${m.name} ${formatLevel(metric, m.values[m.values.length - 1] ?? null)}`)),
  });

  const bars = energyBars(report.arms);
  const methods = energyMethodLabels(report.arms);
  const energyTitle = t('experiment.charts.energyTitle');
  const energySpec: ChartSpec = {
    kind: 'bars',
    categories: bars.map((b) => (b.cohort === 'outside' ? t('experiment.arms.outsideName') : b.name)),
    values: bars.map((b) => (b.wh === null ? null : Number(b.wh.toPrecision(4)))),
    colours: bars.map((b) => armColour(d, b.arm, b.cohort)),
    xName: t('experiment.charts.armAxis'),
    yName: t('experiment.charts.energyAxis'),
    unit: 'Wh',
    digits: 'significant',
  };
  const energySummary = t('experiment.charts.summaryBars', {
    title: energyTitle,
    values: listed(bars.map((b) => `${b.cohort === 'outside' ? t('experiment.arms.outsideName') : b.name} ${formatWh(b.wh)} Wh`)),
  });

  return (
    <section class="exp-charts" aria-labelledby="exp-charts-heading" data-testid="experiment-charts">
      <h2 id="exp-charts-heading">{t('experiment.charts.heading')}</h2>
      {looks.length === 0 && (
        <p class="card panel muted" data-testid="experiment-charts-empty">
          {t('experiment.charts.empty')}
        </p>
      )}
      <div class="exp-chart-grid">
        {looks.length > 0 && treatments.map((tr) => interval('difference', tr))}
        {looks.length > 0 && treatments.map((tr) => interval('uplift', tr))}
        {looks.length > 0 && (
          <ChartFigure
            kind="means"
            title={meansTitle}
            summary={meansSummary}
            spec={meansSpec}
            legend={means.map((m) => ({ label: m.name, colour: armColour(d, m.arm), kind: 'line' }))}
            table={
              <table class="product-table exp-table">
                <thead>
                  <tr>
                    <th scope="col">{t('experiment.charts.columns.look')}</th>
                    <th scope="col" class="num">
                      {t('experiment.charts.columns.fraction')}
                    </th>
                    {means.map((m) => (
                      <th scope="col" class="num" key={m.arm}>
                        {m.name}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {looks.map((look, i) => (
                    <tr key={`${look.look}-${i}`}>
                      <th scope="row">{look.look}</th>
                      <td class="num">{fractionPercent(look.fraction)}%</td>
                      {means.map((m) => (
                        <td class="num" key={m.arm}>
                          {formatLevel(metric, m.values[i] ?? null)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            }
          />
        )}
        {bars.every((b) => b.wh === null) ? (
          <p class="card panel muted" data-testid="experiment-energy-empty">
            {t('experiment.charts.energyEmpty')}
          </p>
        ) : (
          <ChartFigure
            kind="energy"
            title={energyTitle}
            summary={energySummary}
            spec={energySpec}
            note={methods.map((m) => t('experiment.charts.energyMethod', { method: m })).join(' ')}
            table={
              <table class="product-table exp-table">
                <thead>
                  <tr>
                    <th scope="col">{t('experiment.charts.columns.arm')}</th>
                    <th scope="col" class="num">
                      {t('experiment.charts.columns.energy')}
                    </th>
                    <th scope="col" class="num">
                      {t('experiment.charts.columns.cpu')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {report.arms.map((a) => (
                    <tr key={`${a.arm}-${a.cohort}`}>
                      <th scope="row">{armLabel(a)}</th>
                      <td class="num">{formatWh(a.energy.whPer1000)}</td>
                      <td class="num">{a.energy.rankingCpuMsPer1000 === null ? '—' : fixed(a.energy.rankingCpuMsPer1000, 2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            }
          />
        )}
      </div>
    </section>
  );
}

// ---- arms ----

function ArmsTable({ report }: { report: ExperimentReport }): JSX.Element {
  const d = report.experiment.definition;
  const methods = energyMethodLabels(report.arms);
  const share = (arm: string): string | null => {
    const i = d.arms.findIndex((a) => a.id === arm);
    return i < 0 ? null : formatShare(d.allocation[i] ?? 0);
  };
  return (
    <section class="card panel" aria-labelledby="exp-arms-heading" data-testid="experiment-arms">
      <h2 id="exp-arms-heading">{t('experiment.arms.heading')}</h2>
      <div class="table-wrap">
        <table class="product-table exp-table" data-testid="experiment-arms-table">
          <caption class="visually-hidden">{t('experiment.arms.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('experiment.arms.columns.arm')}</th>
              <th scope="col">{t('experiment.arms.columns.cohort')}</th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.units')}
              </th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.lists')}
              </th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.impressions')}
              </th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.ctr')}
              </th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.cartRate')}
              </th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.orders')}
              </th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.gmv')}
              </th>
              <th scope="col" class="num">
                {t('experiment.arms.columns.energy')}
              </th>
            </tr>
          </thead>
          <tbody>
            {report.arms.map((a) => {
              const s = a.cohort === 'in' ? share(a.arm) : null;
              return (
                <tr key={`${a.arm}-${a.cohort}`} class={a.cohort === 'outside' ? 'exp-outside-row' : undefined} data-testid="experiment-arm-row" data-arm={a.arm} data-cohort={a.cohort}>
                  <th scope="row">
                    <span class="exp-arm-name">{armLabel(a)}</span>
                    <span class="exp-arm-sub muted">
                      {policyLabel(a.policy)}
                      {a.arm === d.control && a.cohort === 'in' && ` · ${t('experiment.arms.control')}`}
                      {s && ` · ${t('experiment.arms.share', { share: s })}`}
                    </span>
                  </th>
                  <td data-testid="experiment-arm-cohort">{a.cohort === 'outside' ? t('experiment.arms.cohortOutside') : t('experiment.arms.cohortIn')}</td>
                  <td class="num" data-testid="experiment-arm-units" data-count={a.units ?? ''}>
                    {a.units === null ? <span class="muted">{t('experiment.arms.notCounted')}</span> : formatCount(a.units)}
                  </td>
                  <td class="num" data-testid="experiment-arm-lists" data-count={a.requests}>
                    {formatCount(a.requests)}
                  </td>
                  <td class="num">{formatCount(a.impressions)}</td>
                  <td class="num">{formatRate(a.clickThrough)}</td>
                  <td class="num">{formatRate(a.cartRate)}</td>
                  <td class="num">{formatCount(a.orders)}</td>
                  <td class="num">{formatYuanAmount(a.gmvYuan)}</td>
                  <td class="num" title={energyMethodLabel(a.energy)}>
                    {formatWh(a.energy.whPer1000)}
                    {methods.length > 1 && <sup>{methods.indexOf(energyMethodLabel(a.energy)) + 1}</sup>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="muted">{t('experiment.arms.outsideNote')}</p>
      <ul class="exp-methods" data-testid="experiment-energy-method">
        {methods.map((m, i) => (
          <li key={m}>
            {methods.length > 1 && <sup>{i + 1}</sup>}
            {t('experiment.arms.energyMethod', { method: m })}
          </li>
        ))}
      </ul>
    </section>
  );
}

// ---- guardrails ----

function Guardrails({ definition, latest }: { definition: DefinitionView; latest: Look | null }): JSX.Element {
  const rows = latest
    ? latest.comparisons.flatMap((c) =>
        c.guardrails.map((g) => {
          const gini = g.metric === 'exposure_gini' ? giniPair(latest, c.control, c.treatment) : null;
          return { comparison: c, guardrail: g, gini };
        }),
      )
    : [];
  return (
    <section class="card panel" aria-labelledby="exp-guardrails-heading" data-testid="experiment-guardrails">
      <h2 id="exp-guardrails-heading">{t('experiment.guardrails.heading')}</h2>
      {definition.guardrails.length === 0 ? (
        <p class="muted">{t('experiment.guardrails.none')}</p>
      ) : !latest ? (
        <p class="muted">{t('experiment.guardrails.waiting')}</p>
      ) : (
        <>
          <div class="table-wrap">
            <table class="product-table exp-table" data-testid="experiment-guardrails-table">
              <caption class="visually-hidden">{t('experiment.guardrails.caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('experiment.guardrails.columns.comparison')}</th>
                  <th scope="col">{t('experiment.guardrails.columns.metric')}</th>
                  <th scope="col" class="num">
                    {t('experiment.guardrails.columns.margin')}
                  </th>
                  <th scope="col" class="num">
                    {t('experiment.guardrails.columns.difference')}
                  </th>
                  <th scope="col">{t('experiment.guardrails.columns.breached')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ comparison, guardrail, gini }) => (
                  <tr
                    key={`${comparison.treatment}-${guardrail.metric}`}
                    class={guardrail.breached ? 'exp-breached' : undefined}
                    data-testid="experiment-guardrail-row"
                    data-metric={guardrail.metric}
                    data-breached={guardrail.breached ? 'true' : 'false'}
                  >
                    <td>{comparisonTitle(definition, comparison)}</td>
                    <th scope="row">{metricLabel(guardrail.metric)}</th>
                    <td class="num">{formatMargin(guardrail.metric, guardrail.margin)}</td>
                    <td class="num">
                      {guardrail.metric === 'fairness_gap'
                        ? guardrail.newGaps && guardrail.newGaps.length > 0
                          ? t('experiment.guardrails.fairnessGaps', {
                              n: guardrail.newGaps.length,
                              gaps: listed(guardrail.newGaps.map((g) => pick(g))),
                            })
                          : t('experiment.guardrails.fairnessNone')
                        : gini
                        ? t('experiment.guardrails.gini', {
                            control: formatLevel('exposure_gini', gini.control),
                            treatment: formatLevel('exposure_gini', gini.treatment),
                            difference: formatDifferenceEstimate('exposure_gini', gini.difference),
                          })
                        : differenceText(guardrail.metric, guardrail.difference)}
                    </td>
                    <td>
                      {guardrail.breached ? (
                        <span class="badge badge-flash">{t('experiment.guardrails.yes')}</span>
                      ) : (
                        <span class="badge badge-ok">{t('experiment.guardrails.no')}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="muted">{t('experiment.guardrails.note')}</p>
        </>
      )}
    </section>
  );
}

// ---- definition ----

function DefinitionDetails({ definition }: { definition: DefinitionView }): JSX.Element {
  return (
    <details class="card panel exp-details" data-testid="experiment-definition">
      <summary>
        <h2>{t('experiment.definition.title')}</h2>
      </summary>
      <p class="muted">{t('experiment.definition.note')}</p>
      <div class="table-wrap">
        <table class="product-table exp-table">
          <caption>{t('experiment.definition.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('experiment.definition.columns.id')}</th>
              <th scope="col">{t('experiment.definition.columns.name')}</th>
              <th scope="col">{t('experiment.definition.columns.policy')}</th>
              <th scope="col" class="num">
                {t('experiment.definition.columns.share')}
              </th>
              <th scope="col">{t('experiment.definition.columns.settings')}</th>
            </tr>
          </thead>
          <tbody>
            {definition.arms.map((arm, i) => (
              <tr key={arm.id}>
                <th scope="row">
                  <code>{arm.id}</code>
                  {arm.id === definition.control && <span class="muted"> · {t('experiment.arms.control')}</span>}
                </th>
                <td>{arm.name}</td>
                <td>{policyLabel(arm.policy)}</td>
                <td class="num">{formatShare(definition.allocation[i] ?? 0)}</td>
                <td>{[arm.epsilon !== undefined ? `ε = ${arm.epsilon}` : '', arm.alpha !== undefined ? `α = ${arm.alpha}` : ''].filter(Boolean).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t('experiment.definition.json')}</h3>
      <pre class="exp-json" lang="en">
        {JSON.stringify(definition, null, 2)}
      </pre>
    </details>
  );
}
