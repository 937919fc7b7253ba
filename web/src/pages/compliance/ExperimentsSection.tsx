/**
 * Experiments (#/experiments): every A/B experiment on recommendations, newest first, filterable by
 * status, each marked when simulated and linking to its page (verdicts, per-arm figures, method).
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import {
  EXPERIMENT_STATUSES,
  experimentBadgeClass,
  experimentPageHref,
  listExperiments,
  type ExperimentStatusFilter,
  type ExperimentView,
} from '../../ui/experiments.ts';
import { formatCount, formatDateTime } from '../../ui/format.ts';

export function ExperimentsSection(): JSX.Element {
  const [status, setStatus] = useState<ExperimentStatusFilter>('all');
  const [items, setItems] = useState<ExperimentView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current; // a slower answer for an older filter must not overwrite a newer one
    setError(null);
    listExperiments({ status }).then(
      (page) => mine === generation.current && setItems(page.items),
      (failure: unknown) => mine === generation.current && setError(failure),
    );
  }, [status]);

  return (
    <div data-testid="experiments-section">
      <section class="card panel" aria-labelledby="experiments-list-heading">
        <h2 id="experiments-list-heading">{t('compliance.experiments.listHeading')}</h2>
        <p class="muted">{t('compliance.experiments.note')}</p>
        <div class="field">
          <label for="experiments-status-filter">{t('compliance.experiments.filterStatus')}</label>
          <select
            id="experiments-status-filter"
            class="input"
            value={status}
            data-testid="experiments-status-filter"
            onChange={(event) => setStatus(event.currentTarget.value as ExperimentStatusFilter)}
          >
            <option value="all">{t('compliance.experiments.statusAll')}</option>
            {EXPERIMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`experiment.statuses.${s}`)}
              </option>
            ))}
          </select>
        </div>

        {error !== null && <ProblemMessage error={error} />}
        {items === null ? (
          error === null && <Spinner />
        ) : items.length === 0 ? (
          <p class="muted" data-testid="experiments-empty">
            {t('compliance.experiments.empty')}
          </p>
        ) : (
          <>
            <p class="muted" data-testid="experiments-count" data-count={items.length}>
              {t('compliance.experiments.count', { n: formatCount(items.length) })}
            </p>
            <div class="table-wrap">
              <table class="product-table" data-testid="experiments-table">
                <caption class="visually-hidden">{t('compliance.experiments.caption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('compliance.experiments.columns.name')}</th>
                    <th scope="col">{t('compliance.experiments.columns.status')}</th>
                    <th scope="col">{t('compliance.experiments.columns.brand')}</th>
                    <th scope="col">{t('compliance.experiments.columns.rooms')}</th>
                    <th scope="col">{t('compliance.experiments.columns.createdAt')}</th>
                    <th scope="col">{t('compliance.experiments.columns.startedAt')}</th>
                    <th scope="col">{t('compliance.experiments.columns.stoppedAt')}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={e.id} data-testid="experiments-row" data-experiment-id={e.id} data-status={e.status} data-simulated={e.simulated ? 'true' : 'false'}>
                      <th scope="row">
                        <a href={experimentPageHref(e.id)} data-testid="experiments-link" aria-label={t('compliance.experiments.openLabel', { name: e.name })}>
                          {e.name}
                        </a>
                        <br />
                        <code class="muted">{e.id}</code>
                      </th>
                      <td>
                        <span class="tag-row">
                          <span class={experimentBadgeClass(e.status)} data-status={e.status}>
                            {t(`experiment.statuses.${e.status}`)}
                          </span>
                          {e.simulated && (
                            <span class="badge badge-flash" data-testid="experiments-simulated">
                              {t('experiment.simulated')}
                            </span>
                          )}
                        </span>
                      </td>
                      <td class="sku">{e.brandId}</td>
                      <td>{e.definition.sessionIds.length === 0 ? t('compliance.experiments.allRooms') : e.definition.sessionIds.join(', ')}</td>
                      <td>{formatDateTime(e.createdAt)}</td>
                      <td>{e.startedAt === null ? '—' : formatDateTime(e.startedAt)}</td>
                      <td>{e.stoppedAt === null ? '—' : formatDateTime(e.stoppedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
