/**
 * Access-log verification (#/access-log, S3): the log's size, its latest signed checkpoint and the
 * last verification run (whichever node or job ran it). A run that found tampering is shown loudly,
 * each problem with its position. Officers can verify now and sign a checkpoint.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { formatCount, formatDateTime } from '../../ui/format.ts';
import { verifierLabel } from './staff-view.ts';
import { StaffName } from './StaffName.tsx';

/** The shapes of /api/v1/compliance/access-log/* (src/modules/access-log/service.ts). */
interface Problem {
  kind: string;
  position?: number;
  lastPosition?: number;
  checkpoint?: number;
  lastCheckpoint?: number;
  against?: number;
  message: string;
}

interface VerifyReport {
  ok: boolean;
  entries: number;
  treeSize: number;
  checkpoints: number;
  latestVerifiedCheckpoint: { number: number; treeSize: number; rootHash: string; createdAt: string } | null;
  unsignedEntries: number;
  proofsChecked: { inclusion: number; consistency: number };
  prunedBelow: number;
  prunedEntries: number;
  problems: Problem[];
}

interface VerificationRun {
  id: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** `name`: the staff account's sign-in name, when the server knows it. */
  by: { id: string; role: string; name?: string | null };
  status: 'ok' | 'failed' | 'error';
  problemCount: number;
  errorCode: string | null;
  report: VerifyReport | null;
}

interface AccessLogStatus {
  entries: number;
  prunedBelow: number;
  latestCheckpoint: { number: number; treeSize: number; rootHash: string; createdAt: string; keyId: string } | null;
  entriesSinceCheckpoint: number;
  key: { keyId: string; publicKeyPem: string } | null;
  keyError: string | null;
  lastVerification: VerificationRun | null;
}

interface SignedCheckpoint {
  number: number;
  treeSize: number;
}

const BASE = '/api/v1/compliance/access-log';
const KINDS = [
  'altered-entry',
  'malformed-entry',
  'reordered-entry',
  'removed-entries',
  'inserted-entry',
  'head-mismatch',
  'root-mismatch',
  'truncated-log',
  'inconsistent-checkpoint',
  'bad-signature',
  'unknown-key',
  'removed-checkpoints',
  'inclusion-proof-failed',
  'missing-body',
  'unrecorded-prune',
] as const;
type Kind = (typeof KINDS)[number];
const isKind = (kind: string): kind is Kind => (KINDS as readonly string[]).includes(kind);

/** Where a problem is, in words: a position or range first, else a checkpoint or range, else the whole log. */
function whereOf(p: Problem): string {
  if (p.position !== undefined && p.lastPosition !== undefined && p.lastPosition !== p.position) {
    return t('compliance.accessLogPage.where.positions', { from: formatCount(p.position), to: formatCount(p.lastPosition) });
  }
  if (p.position !== undefined) return t('compliance.accessLogPage.where.position', { position: formatCount(p.position) });
  if (p.checkpoint !== undefined && p.lastCheckpoint !== undefined && p.lastCheckpoint !== p.checkpoint) {
    return t('compliance.accessLogPage.where.checkpoints', { from: p.checkpoint, to: p.lastCheckpoint });
  }
  if (p.checkpoint !== undefined) return t('compliance.accessLogPage.where.checkpoint', { number: p.checkpoint });
  return t('compliance.accessLogPage.where.log');
}

const when = (iso: string): string => formatDateTime(Date.parse(iso));

/** Label–value rows as a two-column table (the kit's table style). */
function Facts({ rows }: { rows: readonly (readonly [string, JSX.Element | string])[] }): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="product-table">
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CheckpointCard({ status }: { status: AccessLogStatus }): JSX.Element {
  const c = status.latestCheckpoint;
  return (
    <section class="card panel" aria-labelledby="access-log-checkpoint-heading" data-testid="access-log-checkpoint-card">
      <h2 id="access-log-checkpoint-heading">{t('compliance.accessLogPage.checkpointHeading')}</h2>
      <Facts
        rows={[
          [t('compliance.accessLogPage.entries'), <span data-testid="access-log-entries" data-count={status.entries}>{formatCount(status.entries)}</span>],
          ...(c
            ? ([
                [t('compliance.accessLogPage.checkpointNumber'), `#${c.number}`],
                [t('compliance.accessLogPage.treeSize'), formatCount(c.treeSize)],
                [t('compliance.accessLogPage.signedAt'), <time dateTime={c.createdAt}>{when(c.createdAt)}</time>],
                [t('compliance.accessLogPage.root'), <code>{c.rootHash}</code>],
                [t('compliance.accessLogPage.keyId'), <code>{c.keyId}</code>],
              ] as const)
            : []),
          [
            t('compliance.accessLogPage.sinceCheckpoint'),
            <span data-testid="access-log-since-checkpoint" data-count={status.entriesSinceCheckpoint}>{formatCount(status.entriesSinceCheckpoint)}</span>,
          ],
        ]}
      />
      {!c && <p class="muted">{t('compliance.accessLogPage.noCheckpoint')}</p>}
      {status.prunedBelow > 0 && <p class="muted">{t('compliance.accessLogPage.pruned', { position: formatCount(status.prunedBelow) })}</p>}
      {status.keyError && (
        <p class="problem" role="alert">
          {t('compliance.accessLogPage.keyError', { code: status.keyError })}
        </p>
      )}
    </section>
  );
}

function VerificationCard({ run }: { run: VerificationRun | null }): JSX.Element {
  if (!run) {
    return (
      <section class="card panel" aria-labelledby="access-log-run-heading" data-testid="access-log-run" data-status="none">
        <h2 id="access-log-run-heading">{t('compliance.accessLogPage.runHeading')}</h2>
        <p class="muted">{t('compliance.accessLogPage.neverVerified')}</p>
      </section>
    );
  }
  const r = run.report;
  const badge = run.status === 'ok' ? 'badge badge-ok' : 'badge badge-flash';
  const by = (
    <span data-testid="access-log-run-by" data-staff-id={run.by.role === 'system' ? undefined : run.by.id}>
      <StaffName label={verifierLabel(run.by)} />
    </span>
  );
  return (
    <section class="card panel" aria-labelledby="access-log-run-heading" data-testid="access-log-run" data-status={run.status}>
      <h2 id="access-log-run-heading">
        {t('compliance.accessLogPage.runHeading')}{' '}
        <span class={badge} data-testid="access-log-run-status">
          {t(`compliance.accessLogPage.status.${run.status}`)}
        </span>
      </h2>
      <Facts
        rows={[
          [t('compliance.accessLogPage.ranAt'), <time dateTime={run.startedAt}>{when(run.startedAt)}</time>],
          [t('compliance.accessLogPage.ranBy'), by],
          [t('compliance.accessLogPage.duration'), t('compliance.accessLogPage.durationValue', { ms: formatCount(run.durationMs) })],
        ]}
      />
      {run.status === 'error' && (
        <p class="problem" role="alert">
          {t('compliance.accessLogPage.runError', { code: run.errorCode ?? 'INTERNAL' })}
        </p>
      )}
      {r && (
        <p class="muted">
          {t('compliance.accessLogPage.checked', {
            entries: formatCount(r.entries),
            checkpoints: formatCount(r.checkpoints),
            consistency: formatCount(r.proofsChecked.consistency),
            inclusion: formatCount(r.proofsChecked.inclusion),
          })}
          {r.unsignedEntries > 0 && <> {t('compliance.accessLogPage.unsigned', { count: formatCount(r.unsignedEntries) })}</>}
        </p>
      )}
      {run.status === 'failed' && r && (
        <div class="problem" role="alert" data-testid="access-log-problems">
          <p>
            <strong>{t('compliance.accessLogPage.problemsHeading', { count: formatCount(run.problemCount) })}</strong>
          </p>
          <ul>
            {r.problems.map((p, i) => (
              <li key={i} data-testid="access-log-problem" data-kind={p.kind} data-position={p.position ?? ''}>
                <strong>{whereOf(p)}</strong>: {isKind(p.kind) ? t(`compliance.accessLogPage.kinds.${p.kind}`) : p.kind} <code>{p.kind}</code>
              </li>
            ))}
          </ul>
          {run.problemCount > r.problems.length && (
            <p>{t('compliance.accessLogPage.problemsTruncated', { shown: formatCount(r.problems.length), count: formatCount(run.problemCount) })}</p>
          )}
          <p>{t('compliance.accessLogPage.problemsAdvice')}</p>
        </div>
      )}
    </section>
  );
}

export function AccessLogSection(): JSX.Element {
  const [status, setStatus] = useState<AccessLogStatus | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'verify' | 'checkpoint' | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setStatus(await apiRequest<AccessLogStatus>('GET', `${BASE}/status`));
      setLoadError(null);
    } catch (err) {
      setLoadError(err);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (action: 'verify' | 'checkpoint') => {
    setBusy(action);
    setActionError(null);
    setNotice(null);
    try {
      if (action === 'verify') {
        const run = await apiRequest<VerificationRun>('POST', `${BASE}/verify`, {});
        setNotice(run.status === 'ok' ? t('compliance.accessLogPage.verifiedOk') : null);
      } else {
        const c = await apiRequest<SignedCheckpoint>('POST', `${BASE}/checkpoint`, {});
        setNotice(t('compliance.accessLogPage.signed', { number: c.number, count: formatCount(c.treeSize) }));
      }
    } catch (err) {
      setActionError(err);
    } finally {
      // A failed run is recorded too: the status shows it either way.
      await load();
      setBusy(null);
    }
  };

  if (loadError && !status) return <ProblemMessage error={loadError} />;
  if (!status) return <Spinner />;
  return (
    <div class="access-log-section" data-testid="access-log-status">
      <div class="row-actions">
        <button type="button" class="btn btn-primary" disabled={busy !== null} aria-busy={busy === 'verify'} onClick={() => void act('verify')} data-testid="access-log-verify">
          {t('compliance.accessLogPage.verifyNow')}
        </button>
        <button
          type="button"
          class="btn btn-secondary"
          disabled={busy !== null}
          aria-busy={busy === 'checkpoint'}
          onClick={() => void act('checkpoint')}
          data-testid="access-log-sign-checkpoint"
        >
          {t('compliance.accessLogPage.signCheckpoint')}
        </button>
        <button type="button" class="btn btn-ghost" disabled={busy !== null} onClick={() => void load()} data-testid="access-log-refresh">
          {t('compliance.accessLogPage.refresh')}
        </button>
      </div>
      <div aria-live="polite">
        {busy && <Spinner label={t(busy === 'verify' ? 'compliance.accessLogPage.verifying' : 'compliance.accessLogPage.signing')} />}
        {notice && !busy && (
          <p role="status" data-testid="access-log-notice">
            {notice}
          </p>
        )}
      </div>
      {actionError !== null && <ProblemMessage error={actionError} />}
      {loadError !== null && <ProblemMessage error={loadError} />}
      <VerificationCard run={status.lastVerification} />
      <CheckpointCard status={status} />
      <p class="muted">{t('compliance.accessLogPage.about')}</p>
    </div>
  );
}
