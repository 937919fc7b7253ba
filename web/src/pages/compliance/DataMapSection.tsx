/** The data map and retention schedule: what is stored, where, personal or not, protected how, kept how long. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pick, t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';

interface RetentionEntry {
  category: string;
  keepDays: number;
  basis: string;
}

interface DataMap {
  region: string;
  entries: {
    category: string;
    tables: string[];
    personal: boolean;
    protection: 'sealed' | 'keyed-ids' | 'hashed' | 'none';
    what: { zh: string; en: string };
    kept: { retention: Partial<RetentionEntry> & { category: string } } | { note: { zh: string; en: string } };
  }[];
  schedule: RetentionEntry[];
}

export function DataMapSection(): JSX.Element {
  const [map, setMap] = useState<DataMap | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    apiRequest<DataMap>('GET', '/api/v1/compliance/data-map').then(setMap, setError);
  }, []);
  if (error) return <ProblemMessage error={error} />;
  if (!map) return <Spinner />;
  const days = (n: number) => t('compliance.dataMap.days', { n });
  return (
    <div class="card panel" data-testid="data-map">
      <p>{t('compliance.dataMap.region', { region: map.region })}</p>
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
                      ? days(e.kept.retention.keepDays)
                      : e.kept.retention.category}
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
            {map.schedule.map((c) => (
              <tr key={c.category}>
                <th scope="row">
                  <code>{c.category}</code>
                </th>
                <td>{days(c.keepDays)}</td>
                <td lang="en">{c.basis}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted">{t('compliance.dataMap.enforced')}</p>
    </div>
  );
}
