/**
 * The host console's "fairness alerts" panel for the session being hosted: the live fairness checks'
 * alerts (a significant gap between groups of viewers), unacknowledged first, each with its flags in
 * the page's language, its time, a link to the audit's HTML report and an "Acknowledge" button; and
 * "Run a check now" (an on-demand audit of this session) with its flag count and report link.
 * Fetched on mount and every 15 s. Aggregates only: no viewer is identified. A role that may not
 * run audits (a moderator: POST /fairness/audits is admin, compliance and host) gets no "run" button.
 *
 * Without a session (the compliance console) it lists every session's alerts, each naming its
 * session, with no "run a check" button (the compliance console runs audits in its own form).
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { currentLocale, t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { PoliteAnnouncer, ProblemMessage } from '../../ui/components.tsx';
import { formatClock, formatDateTime } from '../../ui/format.ts';
import {
  acknowledgePath,
  alertsPath,
  auditHtmlHref,
  flagText,
  runAuditPath,
  sortAlerts,
  unacknowledged,
  withAcknowledged,
  type FairnessAlert,
  type FairnessReport,
} from '../compliance/fairness-view.ts';
import { checkOutcome } from './fairness-check.ts';

export const FAIRNESS_ALERTS_REFRESH_MS = 15_000;

export function FairnessAlerts({ sessionId, testId = 'host-fairness-alerts', canRunCheck = true }: { sessionId?: string; testId?: string; canRunCheck?: boolean }): JSX.Element {
  const [alerts, setAlerts] = useState<FairnessAlert[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const [ackError, setAckError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const [check, setCheck] = useState<FairnessReport | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const generation = useRef(0);
  const live = useRef(true);

  const load = useCallback(() => {
    const mine = ++generation.current; // an older answer must not overwrite a newer one
    apiRequest<{ items: FairnessAlert[] }>('GET', alertsPath(sessionId)).then(
      (page) => {
        if (!live.current || mine !== generation.current) return;
        setAlerts(sortAlerts(page.items));
        setError(null);
        setUpdatedAt(Date.now());
      },
      (failure: unknown) => {
        if (live.current && mine === generation.current) setError(failure);
      },
    );
  }, [sessionId]);

  useEffect(() => {
    live.current = true;
    load();
    const timer = setInterval(load, FAIRNESS_ALERTS_REFRESH_MS);
    return () => {
      live.current = false;
      clearInterval(timer);
    };
  }, [load]);

  const acknowledge = async (alert: FairnessAlert): Promise<void> => {
    setBusy((current) => new Set(current).add(alert.id));
    setAckError(null);
    try {
      await apiRequest<{ acknowledged: boolean }>('POST', acknowledgePath(alert.id));
      setAlerts((current) => (current ? sortAlerts(withAcknowledged(current, alert.id, Date.now())) : current));
    } catch (failure) {
      setAckError(failure);
    } finally {
      setBusy((current) => {
        const next = new Set(current);
        next.delete(alert.id);
        return next;
      });
      // Either way the server's view wins (another console may have acknowledged it: ALERT_NOT_FOUND).
      load();
    }
  };

  const runCheck = async (): Promise<void> => {
    setChecking(true);
    setCheckError(null);
    setCheck(null);
    try {
      setCheck(await apiRequest<FairnessReport>('POST', runAuditPath, { sessionId }));
    } catch (failure) {
      setCheckError(failure);
    } finally {
      setChecking(false);
    }
  };

  const pending = alerts ? unacknowledged(alerts) : 0;
  const locale = currentLocale();

  return (
    <section class="card panel" aria-labelledby={`${testId}-title`} data-testid={testId} data-slot="fairness-alerts" data-unacknowledged={pending}>
      <div class="panel-head">
        <h2 id={`${testId}-title`}>
          {t('fairness.host.title')} {pending > 0 && <span class="badge badge-live">{pending}</span>}
        </h2>
        {updatedAt !== null && <span class="muted">{t('fairness.host.refreshed', { time: formatClock(updatedAt) })}</span>}
      </div>
      <p class="muted">{t('fairness.host.note')}</p>
      <PoliteAnnouncer text={pending > 0 ? t('fairness.host.announce', { n: pending }) : ''} />

      {error !== null && (
        <div role="alert">
          <p class="muted">{t('fairness.host.failed')}</p>
          <ProblemMessage error={error} />
        </div>
      )}
      {ackError !== null && <ProblemMessage error={ackError} />}
      {alerts === null && error === null && <p class="muted">{t('common.loading')}</p>}
      {alerts !== null &&
        (alerts.length === 0 ? (
          <p class="muted" data-testid="host-fairness-empty">
            {t('fairness.host.empty')}
          </p>
        ) : (
          <ul aria-label={t('fairness.host.caption')} style={{ listStyle: 'none', margin: 0, padding: 0, display: 'grid', gap: '10px' }}>
            {alerts.map((alert) => {
              const acknowledged = alert.acknowledgedAt !== null;
              const time = formatDateTime(alert.createdAt);
              return (
                <li
                  key={alert.id}
                  class="card"
                  style={{ padding: '10px 12px', opacity: acknowledged ? 0.75 : 1 }}
                  data-testid="host-fairness-alert"
                  data-alert-id={alert.id}
                  data-audit-id={alert.auditId}
                  data-acknowledged={acknowledged ? 'true' : 'false'}
                >
                  <div class="tag-row" style={{ alignItems: 'center', justifyContent: 'space-between' }}>
                    <span class="tag-row" style={{ alignItems: 'center' }}>
                      <span class={acknowledged ? 'badge badge-ended' : 'badge badge-live'} data-testid="host-fairness-alert-state">
                        {acknowledged ? t('fairness.host.acknowledged') : t('fairness.host.pending')}
                      </span>
                      <span class="muted">{t('fairness.host.raisedAt', { time })}</span>
                      {sessionId === undefined && (
                        <span class="muted" data-testid="fairness-alert-session">
                          {t('fairness.host.session', { session: alert.sessionId })}
                        </span>
                      )}
                    </span>
                    {acknowledged ? (
                      <span class="muted">{t('fairness.host.acknowledgedAt', { time: formatDateTime(alert.acknowledgedAt!) })}</span>
                    ) : (
                      <button
                        type="button"
                        class="btn btn-primary btn-small"
                        data-testid="host-fairness-ack"
                        disabled={busy.has(alert.id)}
                        aria-label={t('fairness.host.acknowledgeLabel', { time })}
                        onClick={() => void acknowledge(alert)}
                      >
                        {t('fairness.host.acknowledge')}
                      </button>
                    )}
                  </div>
                  <ul style={{ margin: '8px 0 4px', paddingLeft: '20px' }}>
                    {alert.flags.map((flag, i) => (
                      <li key={i} data-testid="host-fairness-flag" data-dimension={flag.dimension} data-metric={flag.metric}>
                        {flagText(flag, locale)}
                      </li>
                    ))}
                  </ul>
                  <a href={auditHtmlHref(alert.auditId, locale)} target="_blank" rel="noopener" data-testid="host-fairness-report-link">
                    {t('fairness.host.report')}
                    <span class="visually-hidden">{t('fairness.newTab')}</span>
                  </a>
                </li>
              );
            })}
          </ul>
        ))}

      {sessionId !== undefined && canRunCheck && (
      <div style={{ marginTop: '12px' }}>
        <button type="button" class="btn btn-secondary" data-testid="host-fairness-check" disabled={checking} onClick={() => void runCheck()}>
          {checking ? t('fairness.host.checking') : t('fairness.host.check')}
        </button>
        {checkError !== null && <ProblemMessage error={checkError} />}
        <div role="status">
          {check && (
            <p data-testid="host-fairness-check-result" data-flags={check.flags.length} data-audit-id={check.id}>
              {checkOutcome(check) === 'flagged' ? (
                <strong>{t('fairness.host.checkResult', { n: check.flags.length })}</strong>
              ) : checkOutcome(check) === 'none' ? (
                t('fairness.host.checkNone')
              ) : (
                <span data-testid="host-fairness-check-too-few">{t('fairness.host.checkTooFew', { min: check.thresholds.minGroupSize.value })}</span>
              )}{' '}
              <a href={auditHtmlHref(check.id, locale)} target="_blank" rel="noopener" data-testid="host-fairness-check-report">
                {t('fairness.host.checkReport')}
                <span class="visually-hidden">{t('fairness.newTab')}</span>
              </a>
            </p>
          )}
        </div>
      </div>
      )}
    </section>
  );
}
