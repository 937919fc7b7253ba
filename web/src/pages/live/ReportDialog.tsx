/**
 * Reporting an assistant answer or a recommendation (AI6): a reason, an optional note, POST
 * /api/v1/reports, then the ticket number. The device id is the page's own (created here if the
 * viewer has none yet, since a report needs someone to answer to).
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentLocale, t } from '../../i18n/index.ts';
import { REPORT_DETAILS_MAX, REPORT_EXCERPT_MAX, REPORT_REASONS, sendReport, type ReportReason, type ReportTarget } from '../../ui/chat-api.ts';
import { Dialog, ProblemMessage } from '../../ui/components.tsx';
import { deviceId } from '../../ui/device.ts';

/** What is being reported; null: the dialog is closed. */
export interface ReportSubject {
  target: ReportTarget;
  /** The assistant answer's id (a chat message or a private reply). */
  messageId?: string;
  /** The recommended product. */
  productId?: string;
  /** Shown to the viewer: the product's name, or the answer's first words. */
  summary: string;
  /** An assistant answer's text as the viewer saw it (a private answer is not kept by the server). */
  answerText?: string;
}

export function ReportDialog(props: { sessionId: string; subject: ReportSubject | null; onClose: () => void }): JSX.Element {
  const { subject } = props;
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [details, setDetails] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [ticketId, setTicketId] = useState<string | null>(null);

  useEffect(() => {
    setReason(null);
    setDetails('');
    setSending(false);
    setError(null);
    setTicketId(null);
  }, [subject]);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!subject || !reason || sending) return;
    setSending(true);
    setError(null);
    try {
      const note = details.trim();
      const answer = await sendReport({
        deviceId: deviceId(),
        sessionId: props.sessionId,
        target: subject.target,
        ...(subject.messageId ? { messageId: subject.messageId } : {}),
        ...(subject.productId ? { productId: subject.productId } : {}),
        reason,
        ...(note ? { details: note } : {}),
        ...(subject.answerText ? { excerpt: Array.from(subject.answerText).slice(0, REPORT_EXCERPT_MAX).join('') } : {}),
        locale: currentLocale(),
      });
      setTicketId(answer.ticketId);
    } catch (failure) {
      setError(failure);
    } finally {
      setSending(false);
    }
  };

  return (
    <Dialog open={subject !== null} title={t('live.report.title')} onClose={props.onClose} testId="report-dialog">
      {subject && ticketId !== null && (
        <div role="status" data-testid="report-done">
          <p class="success-box">{t('live.report.done', { ticketId })}</p>
          <div class="dialog-actions">
            <button type="button" class="btn btn-primary" onClick={props.onClose}>
              {t('common.close')}
            </button>
          </div>
        </div>
      )}
      {subject && ticketId === null && (
        <form onSubmit={submit} noValidate>
          <p class="report-subject">
            {subject.target === 'assistant_answer' ? t('live.report.aboutAnswer', { text: subject.summary }) : t('live.report.aboutRecommendation', { name: subject.summary })}
          </p>
          <fieldset class="field">
            <legend>{t('live.report.reason')}</legend>
            <div class="choice-row">
              {REPORT_REASONS.map((value) => (
                <label class="choice" key={value}>
                  <input type="radio" name="report-reason" value={value} checked={reason === value} data-testid={`report-reason-${value}`} onChange={() => setReason(value)} />
                  <span>{t(`live.report.reasons.${value}`)}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <div class="field">
            <label for="report-details">{t('live.report.details')}</label>
            <textarea
              id="report-details"
              class="input"
              rows={3}
              maxLength={REPORT_DETAILS_MAX}
              value={details}
              data-testid="report-details"
              onInput={(e) => setDetails(e.currentTarget.value)}
            />
            <span class="field-hint">{t('live.report.detailsHint', { n: details.length, max: REPORT_DETAILS_MAX })}</span>
          </div>
          {error !== null && <ProblemMessage error={error} />}
          <div class="dialog-actions">
            <button type="button" class="btn btn-ghost" onClick={props.onClose}>
              {t('common.cancel')}
            </button>
            <button type="submit" class="btn btn-primary" disabled={reason === null || sending} data-testid="report-submit">
              {sending ? t('live.report.submitting') : t('live.report.submit')}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
