/**
 * Rights requests (PIPL 44–50; R3): counts, a filterable list of metadata with due dates, and one
 * request at a time opened in a dialog. Opening shows the viewer's words and is written to the
 * access log on the server, so it happens only on an explicit "Open". Completing or rejecting
 * needs a reason for a rejection; the save button stays disabled until one is typed.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { languageName, regionName, t } from '../../i18n/index.ts';
import { ApiError, apiRequest } from '../../ui/api.ts';
import { Dialog, ProblemMessage, Spinner } from '../../ui/components.tsx';
import { formatCount, formatDateTime } from '../../ui/format.ts';
import {
  TICKET_KINDS,
  TICKET_STATUSES,
  reasonProblem,
  resolutionBody,
  resolvePath,
  statusBadgeClass,
  ticketListPath,
  ticketPath,
  withResolved,
  type StaffTicket,
  type StatusFilter,
  type TicketFilter,
  type TicketMetadata,
  type TicketOutcome,
  type TicketPage,
  type TicketStatus,
  type TicketSummary,
} from './rights-view.ts';
import { handlerLabel } from './staff-view.ts';
import { StaffName } from './StaffName.tsx';

const RIGHTS_CODES = ['TICKET_NOT_FOUND', 'TICKET_CLOSED', 'REASON_REQUIRED'] as const;

/** Who closed the ticket: their sign-in name, then the account id (the access log has ids only), else the id itself. */
function HandledBy({ id, name }: { id: string; name: string | null }): JSX.Element {
  return (
    <>
      <dt>{t('compliance.rights.handledBy')}</dt>
      <dd data-testid="rights-handled-by" data-staff-id={id}>
        <StaffName label={handlerLabel(id, name)} />
      </dd>
    </>
  );
}

/** Our own words for this section's codes; any other problem as the shared kit shows it. */
function RightsProblem({ error }: { error: unknown }): JSX.Element {
  const code = error instanceof ApiError ? (RIGHTS_CODES as readonly string[]).find((c) => c === error.code) : undefined;
  if (!code) return <ProblemMessage error={error} />;
  return (
    <p class="problem" role="alert">
      {t(`compliance.rights.errors.${code as (typeof RIGHTS_CODES)[number]}`)}
      <span class="problem-code"> {t('errors.codeLabel', { code })}</span>
    </p>
  );
}

function StatusBadge({ status }: { status: TicketStatus }): JSX.Element {
  return (
    <span class={statusBadgeClass(status)} data-status={status}>
      {t(`compliance.rights.statuses.${status}`)}
    </span>
  );
}

function OverdueBadge(): JSX.Element {
  return (
    <span class="badge badge-flash" data-testid="rights-overdue">
      {t('compliance.rights.overdue')}
    </span>
  );
}

function Summary({ summary }: { summary: TicketSummary }): JSX.Element {
  return (
    <section class="card panel" aria-labelledby="rights-summary-heading" data-testid="rights-summary">
      <h2 id="rights-summary-heading">{t('compliance.rights.summaryHeading')}</h2>
      <p>
        {t('compliance.rights.totals', {
          total: formatCount(summary.total),
          open: formatCount(summary.byStatus.open),
          completed: formatCount(summary.byStatus.completed),
          rejected: formatCount(summary.byStatus.rejected),
        })}
      </p>
      <p data-testid="rights-overdue-count" data-count={summary.overdue}>
        {summary.overdue > 0 ? (
          <strong>{t('compliance.rights.overdueCount', { count: summary.overdue })}</strong>
        ) : (
          <span class="muted">{t('compliance.rights.noneOverdue')}</span>
        )}
      </p>
      <div class="table-wrap">
        <table class="product-table">
          <caption>{t('compliance.rights.byKindCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('compliance.rights.kind')}</th>
              {TICKET_STATUSES.map((s) => (
                <th scope="col" key={s} class="num">
                  {t(`compliance.rights.statuses.${s}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {TICKET_KINDS.map((kind) => (
              <tr key={kind}>
                <th scope="row">{t(`compliance.rights.kinds.${kind}`)}</th>
                {TICKET_STATUSES.map((s) => (
                  <td key={s} class="num">
                    {formatCount(summary.byKind[kind][s])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The open request: its words (a logged read, made when the dialog opens) and the outcome form. */
function TicketDialog(props: { id: string | null; onClose: () => void; onResolved: (ticket: StaffTicket) => void; onConflict: () => void }): JSX.Element {
  const { id, onResolved, onConflict } = props;
  const [ticket, setTicket] = useState<StaffTicket | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<TicketOutcome>('completed');
  const [reason, setReason] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState<TicketStatus | null>(null);

  useEffect(() => {
    setTicket(null);
    setLoadError(null);
    setOutcome('completed');
    setReason('');
    setSaveError(null);
    setSaved(null);
    if (!id) return;
    let live = true;
    apiRequest<StaffTicket>('GET', ticketPath(id)).then(
      (loaded) => live && setTicket(loaded),
      (error: unknown) => live && setLoadError(error),
    );
    return () => {
      live = false;
    };
  }, [id]);

  const problem = reasonProblem(outcome, reason);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!ticket || problem || saving) return;
    setSaving(true);
    setSaveError(null);
    try {
      const resolved = await apiRequest<StaffTicket>('POST', resolvePath(ticket.id), resolutionBody(outcome, reason));
      // The words stay as they were read; the outcome fields come from the server.
      setTicket({ ...ticket, ...resolved });
      setSaved(resolved.status);
      onResolved(resolved);
    } catch (error) {
      setSaveError(error);
      if (error instanceof ApiError && (error.code === 'TICKET_CLOSED' || error.code === 'TICKET_NOT_FOUND')) onConflict();
    } finally {
      setSaving(false);
    }
  };

  return (
    <Dialog open={id !== null} title={t('compliance.rights.dialogTitle')} onClose={props.onClose} testId="rights-dialog">
      {loadError ? (
        <RightsProblem error={loadError} />
      ) : !ticket ? (
        <Spinner />
      ) : (
        <div data-testid="rights-ticket" data-ticket-id={ticket.id} data-status={ticket.status}>
          <dl>
            <dt>{t('compliance.rights.reference')}</dt>
            <dd>
              <code>{ticket.id}</code>
            </dd>
            <dt>{t('compliance.rights.columns.kind')}</dt>
            <dd>{t(`compliance.rights.kinds.${ticket.kind}`)}</dd>
            <dt>{t('compliance.rights.columns.status')}</dt>
            <dd>
              <StatusBadge status={ticket.status} /> {ticket.overdue && <OverdueBadge />}
            </dd>
            <dt>{t('compliance.rights.columns.createdAt')}</dt>
            <dd>{formatDateTime(ticket.createdAt)}</dd>
            <dt>{t('compliance.rights.columns.dueAt')}</dt>
            <dd>{formatDateTime(ticket.dueAt)}</dd>
            {ticket.closedAt !== null && (
              <>
                <dt>{t('compliance.rights.columns.closedAt')}</dt>
                <dd>{formatDateTime(ticket.closedAt)}</dd>
              </>
            )}
            {ticket.handledBy && <HandledBy id={ticket.handledBy} name={ticket.handledByName} />}
            <dt>{t('compliance.rights.filedIn')}</dt>
            <dd>{languageName(ticket.locale)}</dd>
            <dt>{t('compliance.rights.region')}</dt>
            <dd>{regionName(ticket.region)}</dd>
          </dl>

          <h3>{t('compliance.rights.details')}</h3>
          {ticket.detailsErased ? (
            <p class="muted" data-testid="rights-details-erased">
              {t('compliance.rights.detailsErased')}
            </p>
          ) : (
            <blockquote class="card" lang={ticket.locale} data-testid="rights-details" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
              {ticket.details}
            </blockquote>
          )}

          {ticket.reason && (
            <>
              <h3>{t('compliance.rights.reasonShown')}</h3>
              <p data-testid="rights-reason" style={{ whiteSpace: 'pre-wrap' }}>
                {ticket.reason}
              </p>
            </>
          )}

          <p role="status" aria-live="polite">
            {saved && t('compliance.rights.resolved', { status: t(`compliance.rights.statuses.${saved}`) })}
          </p>

          {ticket.status === 'open' ? (
            <form onSubmit={(event) => void submit(event)} data-testid="rights-resolve-form" noValidate>
              <h3>{t('compliance.rights.resolveHeading')}</h3>
              <fieldset class="field">
                <legend>{t('compliance.rights.outcome')}</legend>
                <div class="choice-row">
                  {(['completed', 'rejected'] as const).map((o) => (
                    <label class="choice" key={o}>
                      <input type="radio" name="outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} data-testid={`rights-outcome-${o}`} />
                      <span>{t(`compliance.rights.outcomes.${o}`)}</span>
                    </label>
                  ))}
                </div>
              </fieldset>
              {ticket.kind === 'deletion' && outcome === 'completed' && (
                <p class="problem" role="note" data-testid="rights-deletion-warning">
                  {t('compliance.rights.deletionWarning')}
                </p>
              )}
              <div class="field">
                <label for="rights-reason">{t('compliance.rights.reason')}</label>
                <textarea
                  id="rights-reason"
                  class="input"
                  rows={4}
                  value={reason}
                  required={outcome === 'rejected'}
                  aria-required={outcome === 'rejected'}
                  aria-invalid={problem === 'reasonTooLong' ? true : undefined}
                  aria-describedby="rights-reason-hint rights-reason-problem"
                  onInput={(event) => setReason(event.currentTarget.value)}
                  data-testid="rights-reason-input"
                />
                <p id="rights-reason-hint" class="field-hint">
                  {t('compliance.rights.reasonHint')}
                </p>
                <p id="rights-reason-problem" class="field-error" aria-live="polite">
                  {problem === 'reasonTooLong' && t('compliance.rights.reasonTooLong')}
                  {problem === 'reasonRequired' && t('compliance.rights.reasonRequired')}
                </p>
              </div>
              {saveError !== null && <RightsProblem error={saveError} />}
              <p class="muted">{t('compliance.rights.resolveLogged')}</p>
              <div class="dialog-actions">
                <button type="button" class="btn btn-secondary" onClick={props.onClose}>
                  {t('common.cancel')}
                </button>
                <button type="submit" class="btn btn-primary" disabled={problem !== null || saving} data-testid="rights-resolve-submit">
                  {saving ? t('compliance.rights.saving') : t('compliance.rights.submit')}
                </button>
              </div>
            </form>
          ) : (
            <p class="muted">{t('compliance.rights.closedNote')}</p>
          )}
        </div>
      )}
    </Dialog>
  );
}

export function RightsSection(): JSX.Element {
  const [summary, setSummary] = useState<TicketSummary | null>(null);
  const [summaryError, setSummaryError] = useState<unknown>(null);
  const [filter, setFilter] = useState<TicketFilter>({ status: 'open', overdueOnly: false });
  const [items, setItems] = useState<TicketMetadata[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const generation = useRef(0);

  const loadSummary = useCallback(() => {
    apiRequest<TicketSummary>('GET', '/api/v1/compliance/tickets/summary').then(
      (s) => {
        setSummary(s);
        setSummaryError(null);
      },
      setSummaryError,
    );
  }, []);

  const loadList = useCallback((current: TicketFilter) => {
    const mine = ++generation.current; // a slower answer for an older filter must not overwrite a newer one
    setListError(null);
    apiRequest<TicketPage>('GET', ticketListPath(current)).then(
      (page) => {
        if (mine !== generation.current) return;
        setItems(page.items);
        setNext(page.next);
      },
      (error: unknown) => mine === generation.current && setListError(error),
    );
  }, []);

  useEffect(loadSummary, [loadSummary]);
  useEffect(() => loadList(filter), [filter, loadList]);

  const loadMore = async (): Promise<void> => {
    if (!next) return;
    const mine = generation.current;
    setLoadingMore(true);
    try {
      const page = await apiRequest<TicketPage>('GET', ticketListPath(filter, next));
      if (mine !== generation.current) return;
      setItems((list) => [...(list ?? []), ...page.items]);
      setNext(page.next);
    } catch (error) {
      setListError(error);
    } finally {
      setLoadingMore(false);
    }
  };

  const refresh = (): void => {
    loadSummary();
    loadList(filter);
  };

  return (
    <div class="rights-section" data-testid="rights-section">
      {summaryError ? <RightsProblem error={summaryError} /> : summary ? <Summary summary={summary} /> : <Spinner />}

      <section class="card panel" aria-labelledby="rights-list-heading">
        <h2 id="rights-list-heading">{t('compliance.rights.listHeading')}</h2>
        <div class="choice-row">
          <div class="field">
            <label for="rights-status-filter">{t('compliance.rights.filterStatus')}</label>
            <select
              id="rights-status-filter"
              class="input"
              value={filter.status}
              data-testid="rights-status-filter"
              onChange={(event) => setFilter({ ...filter, status: event.currentTarget.value as StatusFilter })}
            >
              <option value="all">{t('compliance.rights.statusAll')}</option>
              {TICKET_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`compliance.rights.statuses.${s}`)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label>
              <input
                type="checkbox"
                checked={filter.overdueOnly}
                data-testid="rights-overdue-filter"
                onChange={(event) => setFilter({ ...filter, overdueOnly: event.currentTarget.checked })}
              />{' '}
              {t('compliance.rights.filterOverdue')}
            </label>
          </div>
        </div>
        <p class="muted">{t('compliance.rights.openLogged')}</p>

        {listError !== null && <RightsProblem error={listError} />}
        {items === null ? (
          listError === null && <Spinner />
        ) : items.length === 0 ? (
          <p class="muted" data-testid="rights-empty">
            {t('compliance.rights.empty')}
          </p>
        ) : (
          <div class="table-wrap">
            <table class="product-table" data-testid="rights-table">
              <caption class="visually-hidden">{t('compliance.rights.listCaption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('compliance.rights.columns.id')}</th>
                  <th scope="col">{t('compliance.rights.columns.kind')}</th>
                  <th scope="col">{t('compliance.rights.columns.status')}</th>
                  <th scope="col">{t('compliance.rights.columns.createdAt')}</th>
                  <th scope="col">{t('compliance.rights.columns.dueAt')}</th>
                  <th scope="col">{t('compliance.rights.columns.closedAt')}</th>
                  <th scope="col">{t('compliance.rights.columns.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={item.id} data-testid="rights-row" data-ticket-id={item.id} data-status={item.status} data-overdue={item.overdue ? 'true' : 'false'}>
                    <th scope="row">
                      <code>{item.id}</code>
                    </th>
                    <td>{t(`compliance.rights.kinds.${item.kind}`)}</td>
                    <td>
                      <StatusBadge status={item.status} />
                    </td>
                    <td>{formatDateTime(item.createdAt)}</td>
                    <td>
                      {formatDateTime(item.dueAt)} {item.overdue && <OverdueBadge />}
                    </td>
                    <td>{item.closedAt === null ? '—' : formatDateTime(item.closedAt)}</td>
                    <td>
                      <button
                        type="button"
                        class="btn btn-secondary btn-small"
                        aria-label={t('compliance.rights.openLabel', { id: item.id })}
                        onClick={() => setOpenId(item.id)}
                        data-testid="rights-open"
                      >
                        {t('compliance.rights.open')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {next && (
          <p>
            <button type="button" class="btn btn-ghost" disabled={loadingMore} onClick={() => void loadMore()} data-testid="rights-load-more">
              {t('compliance.rights.loadMore')}
            </button>
          </p>
        )}
      </section>

      <TicketDialog
        id={openId}
        onClose={() => setOpenId(null)}
        onResolved={(resolved) => {
          setItems((list) => (list ? withResolved(list, resolved, filter) : list));
          loadSummary();
        }}
        onConflict={refresh}
      />
    </div>
  );
}
