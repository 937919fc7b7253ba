/** The data map and retention schedule: what is stored, where, personal or not, protected how, kept how long. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pick, t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { keptFor, regionLine, retentionBasis, retentionCategoryLabel, type DataMap } from './data-map-view.ts';

export function DataMapSection(): JSX.Element {
  const [map, setMap] = useState<DataMap | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    apiRequest<DataMap>('GET', '/api/v1/compliance/data-map').then(setMap, setError);
  }, []);
  if (error) return <ProblemMessage error={error} />;
  if (!map) return <Spinner />;
  return (
    <div class="card panel" data-testid="data-map">
      <p data-testid="data-map-region" data-region={map.region}>
        {regionLine(map.region)}
      </p>
      <div class="table-wrap">
        <table class="product-table">
          <caption>{t('compliance.dataMap.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('compliance.dataMap.data')}</th>
              <th scope="col">{t('compliance.dataMap.tables')}</th>
              <th scope="col">{t('compliance.dataMap.personal')}</th>
              <th scope="col">{t('compliance.dataMap.protection')}</th>
              <th scope="col">{t('compliance.dataMap.kept')}</th>
            </tr>
          </thead>
          <tbody>
            {map.entries.map((e) => (
              <tr key={e.category} data-testid="data-map-row" data-category={e.category}>
                <th scope="row">{pick(e.what)}</th>
                <td>
                  {e.tables.map((table) => (
                    <code key={table} class="table-name">
                      {table}{' '}
                    </code>
                  ))}
                </td>
                <td>{e.personal ? t('compliance.dataMap.yes') : t('compliance.dataMap.no')}</td>
                <td>{t(`compliance.dataMap.protections.${e.protection}`)}</td>
                <td>
                  {'note' in e.kept
                    ? pick(e.kept.note)
                    : e.kept.retention.keepDays !== undefined
                      ? keptFor(e.kept.retention.keepDays)
                      : retentionCategoryLabel(e.kept.retention.category)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table class="product-table" data-testid="retention-schedule">
          <caption>{t('compliance.dataMap.scheduleCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('compliance.dataMap.category')}</th>
              <th scope="col">{t('compliance.dataMap.kept')}</th>
              <th scope="col">{t('compliance.dataMap.basis')}</th>
            </tr>
          </thead>
          <tbody>
            {map.schedule.map((c) => {
              const basis = retentionBasis(c);
              return (
                <tr key={c.category} data-testid="retention-row" data-category={c.category} data-keep-days={c.keepDays}>
                  <th scope="row">
                    {retentionCategoryLabel(c.category)}
                    <br />
                    <code class="muted">{c.category}</code>
                  </th>
                  <td>{keptFor(c.keepDays)}</td>
                  <td lang={basis.lang ?? undefined} data-testid="retention-basis">
                    {basis.text}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="muted">{t('compliance.dataMap.enforced')}</p>
    </div>
  );
}
