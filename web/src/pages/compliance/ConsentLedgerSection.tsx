/** Consent ledger: statistics over everyone's latest decision, and the ledger export (logged on the server). */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { EXPORT_PURPOSES, exportPurposeLabel, methodCounts, purposeLabel, type ConsentSummary, type ExportPurpose } from './consent-ledger-view.ts';

export function ConsentLedgerSection(): JSX.Element {
  const [summary, setSummary] = useState<ConsentSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [purpose, setPurpose] = useState<ExportPurpose>('internal-audit');

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
            <tr key={purposeId} data-testid="consent-purpose-row" data-purpose={purposeId}>
              <th scope="row" title={purposeId}>
                {purposeLabel(purposeId)}
              </th>
              <td>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <p class="muted" data-testid="consent-by-method">
        {t('compliance.consentLedger.byMethod')} {methodCounts(summary.byMethod)}
      </p>
      <div class="field">
        <label for="export-purpose">{t('compliance.consentLedger.exportPurpose')}</label>
        <select id="export-purpose" value={purpose} onChange={(e) => setPurpose((e.currentTarget as HTMLSelectElement).value as typeof purpose)}>
          {EXPORT_PURPOSES.map((p) => (
            <option key={p} value={p}>
              {exportPurposeLabel(p)}
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
