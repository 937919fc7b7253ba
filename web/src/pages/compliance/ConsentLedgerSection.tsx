/** Consent ledger: statistics over everyone's latest decision, and the ledger export (logged on the server). */
import { Fragment, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { languageName, t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { NoticeWords } from '../../ui/notice-words.tsx';
import { EXPORT_PURPOSES, exportPurposeLabel, methodCounts, noticeKindLabel, purposeLabel, type ArchivedNoticeRow, type ConsentSummary, type ExportPurpose } from './consent-ledger-view.ts';

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
      <NoticeArchive />
    </div>
  );
}

/** The archived notice texts the ledger's hashes name, each readable in place. */
function NoticeArchive(): JSX.Element {
  const [items, setItems] = useState<ArchivedNoticeRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    apiRequest<{ items: ArchivedNoticeRow[] }>('GET', '/api/v1/compliance/notices').then((r) => setItems(r.items), setError);
  }, []);
  return (
    <section data-testid="notice-archive">
      <h3>{t('notices.archive')}</h3>
      <p class="muted">{t('notices.archiveIntro')}</p>
      {error ? (
        <ProblemMessage error={error} />
      ) : !items ? (
        <Spinner />
      ) : items.length === 0 ? (
        <p class="muted">{t('notices.none')}</p>
      ) : (
        <div class="table-wrap">
          <table class="product-table">
            <thead>
              <tr>
                <th scope="col">{t('notices.columns.kind')}</th>
                <th scope="col">{t('notices.columns.version')}</th>
                <th scope="col">{t('notices.columns.language')}</th>
                <th scope="col">{t('notices.columns.scope')}</th>
                <th scope="col">{t('notices.columns.firstUsed')}</th>
                <th scope="col">{t('notices.columns.lastUsed')}</th>
                <th scope="col">{t('notices.columns.hash')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((n) => (
                <Fragment key={n.hash}>
                  <tr data-testid="notice-archive-row" data-hash={n.hash}>
                    <th scope="row">{noticeKindLabel(n.kind)}</th>
                    <td>{n.version}</td>
                    <td>{languageName(n.locale)}</td>
                    <td>
                      <code>{n.scope}</code>
                    </td>
                    <td>{formatDateTime(n.firstUsedAt)}</td>
                    <td>{formatDateTime(n.lastUsedAt)}</td>
                    <td>
                      <code title={n.hash}>{n.hash.slice(0, 12)}…</code>
                    </td>
                  </tr>
                  {/* The words open across the whole table, under their row. */}
                  <tr data-testid="notice-archive-words-row" data-hash={n.hash}>
                    <td colSpan={7}>
                      <NoticeWords hash={n.hash} context={`${noticeKindLabel(n.kind)} · ${n.version} · ${languageName(n.locale)} · ${n.scope}`} testId="notice-archive-words" />
                    </td>
                  </tr>
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
