/**
 * Cross-border transfers (#/cross-border, L1, L2): this China year's count of individuals whose
 * personal information left the region against the 2024 CAC thresholds, the alerts raised, each
 * recipient with the state of its transfer basis, and the outbound calls the gateway refused.
 * Everything shown comes from the server; nothing here can send or allow a transfer.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { regionName, t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { formatCount, formatDateTime } from '../../ui/format.ts';
import {
  currentBasis,
  expiresSoon,
  isRefusalReason,
  shareOf,
  thresholdLevel,
  type DestinationView,
  type TransferAlert,
  type TransferLogEntry,
  type YearCounter,
} from './cross-border-view.ts';

const BASE = '/api/v1/compliance/transfer';

interface Loaded {
  counter: YearCounter;
  alerts: TransferAlert[];
  destinations: DestinationView[];
  refused: TransferLogEntry[];
  loadedAt: number;
}

const LEVEL_BADGE = { reached: 'badge badge-live', warning: 'badge badge-scheduled', below: 'badge badge-ok' } as const;

function CounterCard({ counter }: { counter: YearCounter }): JSX.Element {
  return (
    <section class="card panel" data-testid="cross-border-counter" aria-labelledby="cross-border-counter-title">
      <h2 id="cross-border-counter-title">{t('compliance.crossBorder.counterTitle', { year: counter.year })}</h2>
      <p>
        {t('compliance.crossBorder.totals', {
          year: counter.year,
          individuals: formatCount(counter.individuals),
          sensitive: formatCount(counter.sensitiveIndividuals),
        })}
      </p>
      <div class="table-wrap">
        <table class="product-table">
          <caption>{t('compliance.crossBorder.counterCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('compliance.crossBorder.threshold')}</th>
              <th scope="col">{t('compliance.crossBorder.count')}</th>
              <th scope="col">{t('compliance.crossBorder.progress')}</th>
              <th scope="col">{t('compliance.crossBorder.status')}</th>
              <th scope="col">{t('compliance.crossBorder.route')}</th>
            </tr>
          </thead>
          <tbody>
            {counter.thresholds.map((s) => {
              const level = thresholdLevel(s);
              const label = t(`compliance.crossBorder.thresholds.${s.id}`);
              return (
                <tr key={s.id} data-testid="cross-border-threshold" data-threshold={s.id} data-level={level} data-count={s.count}>
                  <th scope="row">{label}</th>
                  <td class="num">
                    {t('compliance.crossBorder.countOf', { value: formatCount(s.count), limit: formatCount(s.limit) })}
                  </td>
                  <td>
                    {/* A native progress bar: announced with its value; the text beside it says the same. */}
                    <span style={{ whiteSpace: 'nowrap' }}>
                      <progress
                        max={100}
                        value={shareOf(s.count, s.limit)}
                        style={{ width: '6em' }}
                        aria-label={t('compliance.crossBorder.progressLabel', { threshold: label })}
                      />{' '}
                      <span class="muted">{t('compliance.crossBorder.percent', { percent: shareOf(s.count, s.limit) })}</span>
                    </span>
                  </td>
                  <td>
                    <span class={LEVEL_BADGE[level]}>{t(`compliance.crossBorder.levels.${level}`, { warningAt: formatCount(s.warningAt) })}</span>
                  </td>
                  <td>{t(`compliance.crossBorder.routes.${s.route}`)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="muted">{t('compliance.crossBorder.rules')}</p>
    </section>
  );
}

function AlertsCard({ alerts }: { alerts: TransferAlert[] }): JSX.Element {
  return (
    <section class="card panel" data-testid="cross-border-alerts" aria-labelledby="cross-border-alerts-title">
      <h2 id="cross-border-alerts-title">{t('compliance.crossBorder.alertsTitle')}</h2>
      {alerts.length === 0 ? (
        <p class="muted">{t('compliance.crossBorder.noAlerts')}</p>
      ) : (
        <ul>
          {alerts.map((a) => (
            <li key={`${a.year}-${a.threshold}-${a.level}`} data-testid="cross-border-alert" data-threshold={a.threshold} data-level={a.level}>
              <span class={LEVEL_BADGE[a.level]}>{t(`compliance.crossBorder.alertLevels.${a.level}`)}</span>{' '}
              {t('compliance.crossBorder.alertText', {
                threshold: t(`compliance.crossBorder.thresholds.${a.threshold}`),
                limit: formatCount(a.limit),
                value: formatCount(a.count),
                when: formatDateTime(a.raisedAt),
              })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DestinationsCard({ destinations, now }: { destinations: DestinationView[]; now: number }): JSX.Element {
  return (
    <section class="card panel" data-testid="cross-border-destinations" aria-labelledby="cross-border-destinations-title">
      <h2 id="cross-border-destinations-title">{t('compliance.crossBorder.destinationsTitle')}</h2>
      {destinations.length === 0 ? (
        <p class="muted">{t('compliance.crossBorder.noDestinations')}</p>
      ) : (
        <div class="table-wrap">
          <table class="product-table">
            <thead>
              <tr>
                <th scope="col">{t('compliance.crossBorder.recipient')}</th>
                <th scope="col">{t('compliance.crossBorder.region')}</th>
                <th scope="col">{t('compliance.crossBorder.status')}</th>
                <th scope="col">{t('compliance.crossBorder.basis')}</th>
              </tr>
            </thead>
            <tbody>
              {destinations.map((d) => {
                const basis = currentBasis(d.bases);
                return (
                  <tr key={d.id} data-testid="cross-border-destination" data-destination-id={d.id} data-status={d.status}>
                    <th scope="row">
                      {d.recipientName}
                      <br />
                      <code class="muted">{d.id}</code>{' '}
                      {d.sensitive && <span class="badge badge-category">{t('compliance.crossBorder.sensitiveBadge')}</span>}
                    </th>
                    <td data-testid="cross-border-region">
                      {regionName(d.region)}
                      {regionName(d.region) !== d.region && <span class="muted"> ({d.region})</span>}
                    </td>
                    <td>
                      <span class={d.status === 'no_valid_basis' ? 'badge badge-live' : 'badge badge-ok'}>{t(`compliance.crossBorder.destinationStatus.${d.status}`)}</span>
                    </td>
                    <td>
                      {basis ? (
                        <>
                          {t(`compliance.crossBorder.basisKinds.${basis.kind}`)} · <code>{basis.reference}</code>
                          <br />
                          {expiresSoon(basis, now) ? (
                            <strong data-testid="cross-border-ends-soon">{t('compliance.crossBorder.endsSoon', { date: formatDateTime(basis.validUntil) })}</strong>
                          ) : (
                            <span class="muted">{t('compliance.crossBorder.validUntil', { date: formatDateTime(basis.validUntil) })}</span>
                          )}
                        </>
                      ) : d.domestic ? (
                        <span class="muted">{t('compliance.crossBorder.notRequired')}</span>
                      ) : (
                        <span class="muted">{t('compliance.crossBorder.noBasis', { recorded: d.bases.length })}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RefusedCard({ refused }: { refused: TransferLogEntry[] }): JSX.Element {
  return (
    <section class="card panel" data-testid="cross-border-refused" aria-labelledby="cross-border-refused-title">
      <h2 id="cross-border-refused-title">{t('compliance.crossBorder.refusedTitle')}</h2>
      {refused.length === 0 ? (
        <p class="muted">{t('compliance.crossBorder.noRefused')}</p>
      ) : (
        <div class="table-wrap">
          <table class="product-table">
            <thead>
              <tr>
                <th scope="col">{t('compliance.crossBorder.time')}</th>
                <th scope="col">{t('compliance.crossBorder.destination')}</th>
                <th scope="col">{t('compliance.crossBorder.individuals')}</th>
                <th scope="col">{t('compliance.crossBorder.categories')}</th>
                <th scope="col">{t('compliance.crossBorder.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {refused.map((e) => (
                <tr key={e.id} data-testid="cross-border-refusal" data-reason={e.reason ?? ''}>
                  <td>{formatDateTime(e.createdAt)}</td>
                  <td>
                    <code>{e.destinationId}</code>
                    {e.region && <span class="muted"> ({regionName(e.region) === e.region ? e.region : `${regionName(e.region)}, ${e.region}`})</span>}
                  </td>
                  <td class="num">{formatCount(e.subjects)}</td>
                  <td>
                    {e.categories.map((c) => (
                      <code key={c}>{c} </code>
                    ))}
                  </td>
                  <td>{isRefusalReason(e.reason) ? t(`compliance.crossBorder.reasons.${e.reason}`) : (e.reason ?? '—')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted">{t('compliance.crossBorder.noPersonalData')}</p>
    </section>
  );
}

export function CrossBorderSection(): JSX.Element {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    Promise.all([
      apiRequest<YearCounter>('GET', `${BASE}/counter`),
      apiRequest<{ items: TransferAlert[] }>('GET', `${BASE}/alerts`),
      apiRequest<{ items: DestinationView[] }>('GET', `${BASE}/destinations`),
      apiRequest<{ items: TransferLogEntry[] }>('GET', `${BASE}/log?outcome=refused&limit=20`),
    ]).then(
      ([counter, alerts, destinations, refused]) => {
        if (!live) return;
        setData({
          counter,
          alerts: alerts.items.filter((a) => a.year === counter.year),
          destinations: destinations.items,
          refused: refused.items,
          loadedAt: Date.now(),
        });
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, []);

  if (error) return <ProblemMessage error={error} />;
  if (!data) return <Spinner />;
  return (
    <div class="cross-border" data-testid="cross-border" style={{ display: 'grid', gap: '16px' }}>
      <CounterCard counter={data.counter} />
      <AlertsCard alerts={data.alerts} />
      <DestinationsCard destinations={data.destinations} now={data.loadedAt} />
      <RefusedCard refused={data.refused} />
    </div>
  );
}
