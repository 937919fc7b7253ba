/** Consent ledger: statistics over everyone's latest decision, and the ledger export (logged on the server). */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';

interface ConsentSummary {
  decisions: number;
  viewers: number;
  granted: Record<string, number>;
  byMethod: Record<string, number>;
  byNoticeVersion: Record<string, number>;
}

const EXPORT_PURPOSES = ['regulator-audit', 'internal-audit', 'rights-request'] as const;

export function ConsentLedgerSection(): JSX.Element {
  const [summary, setSummary] = useState<ConsentSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [purpose, setPurpose] = useState<(typeof EXPORT_PURPOSES)[number]>('internal-audit');

  useEffect(() => {
    apiRequest<ConsentSummary>('GET', '/api/v1/compliance/consents/summary').then(setSummary, setError);
  }, []);

  if (error) return <ProblemMessage error={error} />;
  if (!summary) return <Spinner />;
  const exportUrl = (format: 'json' | 'csv') => `/api/v1/compliance/consents/export?format=${format}&purpose=${purpose}`;
  return (
    <div class="card panel" data-testid="consent-summary">
      <p>
        {t('compliance.consentLedger.totals', { decisions: summary.decisions, viewers: summary.viewers })}
      </p>
      <div class="table-wrap">
      <table class="product-table">
        <caption>{t('compliance.consentLedger.grantedCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('compliance.consentLedger.purpose')}</th>
            <th scope="col">{t('compliance.consentLedger.granted')}</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(summary.granted).map(([purposeId, n]) => (
            <tr key={purposeId}>
              <th scope="row">
                <code>{purposeId}</code>
              </th>
              <td>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <p class="muted">
        {t('compliance.consentLedger.byMethod')}{' '}
        {Object.entries(summary.byMethod)
          .map(([m, n]) => `${m}: ${n}`)
          .join(' · ') || '—'}
      </p>
      <div class="field">
        <label for="export-purpose">{t('compliance.consentLedger.exportPurpose')}</label>
        <select id="export-purpose" value={purpose} onChange={(e) => setPurpose((e.currentTarget as HTMLSelectElement).value as typeof purpose)}>
          {EXPORT_PURPOSES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <p>
        <a class="btn btn-primary" href={exportUrl('csv')} download data-testid="export-csv">
          {t('compliance.consentLedger.exportCsv')}
        </a>{' '}
        <a class="btn btn-secondary" href={exportUrl('json')} download data-testid="export-json">
          {t('compliance.consentLedger.exportJson')}
        </a>
      </p>
      <p class="muted">{t('compliance.consentLedger.logged')}</p>
    </div>
  );
}
