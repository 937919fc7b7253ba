/**
 * The consent banner and the privacy settings (C2, C3, C5, C7). The notice's text is shown exactly as
 * the server sent it — the ledger keeps its SHA-256 — and every purpose is its own switch, off by
 * default. Accept all, Decline all and Save choices are the same size and style; Escape or "Not now"
 * never decides anything: it folds the dialog into a bar with the same buttons that leaves the page
 * free. Settings (the Privacy button) pre-fill the current choices and offer Withdraw all in one step.
 *
 * A modal per the WAI-ARIA dialog pattern: role="dialog", aria-modal, labelled and described, focus
 * moved in on open, trapped (Tab / Shift+Tab cycle), returned on close; the page behind is inert
 * while it is open and only then.
 */
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { LocaleSwitch, ProblemMessage, Spinner } from '../../ui/components.tsx';
import { isModal, noticeParagraphs, receiptsNewestFirst, type ConsentAction, type ConsentNotice, type ConsentReceipt } from '../../ui/consent.ts';
import { trapTab } from '../../ui/focus-trap.ts';
import { formatDateTime } from '../../ui/format.ts';
import type { ConsentController } from './use-consent.ts';

const TITLE_ID = 'consent-title';
const INTRO_ID = 'consent-intro';
const BAR_TEXT_ID = 'consent-bar-text';

export function ConsentBanner({ consent }: { consent: ConsentController }): JSX.Element | null {
  const { view } = consent;
  const dialogRef = useRef<HTMLDivElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const modal = isModal(view);
  const wasModal = useRef(false);

  // Focus in on open (the heading, so a screen reader starts at the top); back where it was on close.
  useEffect(() => {
    if (modal && !wasModal.current) titleRef.current?.focus();
    if (!modal && wasModal.current) {
      const target = consent.returnFocus.current;
      consent.returnFocus.current = null;
      if (target?.isConnected) target.focus();
    }
    wasModal.current = modal;
  }, [modal]);

  // While modal: the page behind does not scroll, and focus that lands outside (a click on a toast,
  // assistive technology) is brought back.
  useEffect(() => {
    if (!modal) return;
    const { body } = document;
    const overflow = body.style.overflow;
    body.style.overflow = 'hidden';
    const onFocusIn = (event: FocusEvent): void => {
      const dialog = dialogRef.current;
      if (dialog && event.target instanceof Node && !dialog.contains(event.target)) titleRef.current?.focus();
    };
    document.addEventListener('focusin', onFocusIn);
    return () => {
      body.style.overflow = overflow;
      document.removeEventListener('focusin', onFocusIn);
    };
  }, [modal]);

  if (view === 'hidden') return null;
  if (view === 'compact') return <ConsentBar consent={consent} />;

  const settings = view === 'settings';
  // Settings without any decision yet offer the first-time choices; with one, Withdraw all and Save.
  const firstChoice = !settings || consent.status?.current == null;

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      consent.dismiss(); // folds or closes; never a decision
      return;
    }
    if (event.key === 'Tab' && dialogRef.current) trapTab(dialogRef.current, event);
  };

  return (
    <div class="consent-backdrop">
      <div
        ref={dialogRef}
        class="consent-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={TITLE_ID}
        aria-describedby={INTRO_ID}
        data-testid="consent-dialog"
        data-mode={view}
        onKeyDown={onKeyDown}
      >
        <header class="consent-head">
          <h2 id={TITLE_ID} ref={titleRef} tabIndex={-1}>
            {settings ? t('consent.settingsTitle') : t('consent.title')}
          </h2>
          <div class="consent-head-actions">
            <LocaleSwitch testId="consent-locale-switch" />
            <button type="button" class="btn btn-ghost btn-small" data-testid="consent-later" aria-label={settings && consent.decided ? t('common.close') : t('consent.laterLabel')} onClick={consent.dismiss}>
              {settings && consent.decided ? t('common.close') : t('consent.later')}
            </button>
          </div>
        </header>

        <div class="consent-scroll">
          <p id={INTRO_ID} class="consent-intro">
            {t('consent.intro')}
          </p>
          {consent.noticeChanged && (
            <p class="consent-alert" role="alert">
              {t('consent.noticeChanged')}
            </p>
          )}
          {/* TODO(M1): the age gate goes here, before any purpose is offered (see use-consent.ts). */}
          <NoticeBody consent={consent} />
          {settings && <ReceiptHistory consent={consent} />}
          {settings && (
            <p class="consent-centre">
              {/* The privacy centre (/privacy, R1) is a later page: a marked place, not a dead link. */}
              <span class="link-coming" data-slot="privacy-centre" data-href="/privacy">
                {t('consent.privacyCentre')}
              </span>{' '}
              <span class="muted">（{t('consent.privacyCentreComing')}）</span>
            </p>
          )}
        </div>

        <footer class="consent-footer">
          {consent.error !== null && <ProblemMessage error={consent.error} />}
          {firstChoice ? <FirstChoiceButtons consent={consent} /> : <SettingsButtons consent={consent} />}
        </footer>
      </div>
    </div>
  );
}

function NoticeBody({ consent }: { consent: ConsentController }): JSX.Element {
  const { notice } = consent;
  if (!notice) {
    if (consent.noticeError !== null) {
      return (
        <div class="consent-notice-error">
          <p>{t('consent.noticeFailed')}</p>
          <ProblemMessage error={consent.noticeError} />
          <button type="button" class="btn btn-ghost btn-small" onClick={consent.retryNotice}>
            {t('common.retry')}
          </button>
        </div>
      );
    }
    return <Spinner label={t('consent.noticeLoading')} />;
  }
  return (
    <>
      <dl class="consent-operator">
        <dt>{t('consent.operator')}</dt>
        <dd>{notice.operator.name}</dd>
        <dt>{t('consent.contact')}</dt>
        <dd>
          <a href={`mailto:${notice.operator.contactEmail}`}>{notice.operator.contactEmail}</a>
          {' · '}
          <a href={`tel:${notice.operator.contactPhone.replace(/[^\d+]/g, '')}`}>{notice.operator.contactPhone}</a>
        </dd>
      </dl>
      <section class="consent-notice" lang={notice.locale} data-testid="consent-notice" data-version={notice.version} data-hash={notice.hash} aria-label={t('consent.noticeLabel')}>
        {noticeParagraphs(notice.text).map((paragraph, i) => (
          <p key={i}>{paragraph}</p>
        ))}
      </section>
      {!consent.ready && <Spinner label={t('consent.noticeLoading')} />}
      <PurposeSwitches consent={consent} notice={notice} />
    </>
  );
}

function PurposeSwitches({ consent, notice }: { consent: ConsentController; notice: ConsentNotice }): JSX.Element {
  return (
    <fieldset class="consent-purposes">
      <legend>{t('consent.purposesHeading')}</legend>
      <ul>
        {notice.purposes.map((purpose) => {
          const on = consent.toggles[purpose.id] === true;
          const inputId = `consent-purpose-${purpose.id}`;
          const detailsId = `${inputId}-details`;
          return (
            <li key={purpose.id} class="consent-purpose">
              <div class="consent-purpose-row">
                <label for={inputId} class="consent-purpose-title">
                  {purpose.title}
                </label>
                <span class="consent-switch-state" aria-hidden="true">
                  {on ? t('consent.on') : t('consent.off')}
                </span>
                <input
                  id={inputId}
                  type="checkbox"
                  role="switch"
                  class="switch"
                  checked={on}
                  aria-describedby={detailsId}
                  disabled={consent.busy !== null}
                  data-testid="consent-toggle"
                  data-purpose={purpose.id}
                  onChange={(event) => consent.setToggle(purpose.id, event.currentTarget.checked)}
                />
              </div>
              <div id={detailsId} class="consent-purpose-details">
                <p>{purpose.use}</p>
                <p>
                  <span class="consent-term">{t('consent.dataCategories')}</span>
                  {purpose.dataCategories}
                </p>
                <p>
                  <span class="consent-term">{t('consent.retention')}</span>
                  {purpose.retention}
                </p>
              </div>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}

function ChoiceButton(props: { consent: ConsentController; action: ConsentAction; label: string; testId: string }): JSX.Element {
  const { consent } = props;
  return (
    <button
      type="button"
      class="btn btn-choice"
      data-testid={props.testId}
      disabled={!consent.ready || consent.busy !== null}
      aria-busy={consent.busy === props.action}
      onClick={() => consent.decide(props.action)}
    >
      {consent.busy === props.action ? t('consent.saving') : props.label}
    </button>
  );
}

/** Accept all, Decline all, Save choices: one row, equal size, equal style (C3). */
function FirstChoiceButtons({ consent }: { consent: ConsentController }): JSX.Element {
  return (
    <div class="consent-choices" role="group" aria-label={t('consent.choicesLabel')}>
      <ChoiceButton consent={consent} action="accept_all" label={t('consent.acceptAll')} testId="consent-accept-all" />
      <ChoiceButton consent={consent} action="decline_all" label={t('consent.declineAll')} testId="consent-decline-all" />
      <ChoiceButton consent={consent} action="save" label={t('consent.save')} testId="consent-save" />
    </div>
  );
}

/** Withdraw all is one step, like Accept all (C7). */
function SettingsButtons({ consent }: { consent: ConsentController }): JSX.Element {
  return (
    <div class="consent-choices consent-choices-2" role="group" aria-label={t('consent.choicesLabel')}>
      <ChoiceButton consent={consent} action="withdraw" label={t('consent.withdraw')} testId="consent-withdraw" />
      <ChoiceButton consent={consent} action="save" label={t('consent.save')} testId="consent-save" />
    </div>
  );
}

/** The folded banner: no decision was made, the page is free, the same three buttons stay at hand. */
function ConsentBar({ consent }: { consent: ConsentController }): JSX.Element {
  const granted = consent.notice ? consent.notice.purposes.filter((p) => consent.toggles[p.id] === true).length : 0;
  return (
    <section class="consent-bar" aria-labelledby={BAR_TEXT_ID} data-testid="consent-bar">
      <p id={BAR_TEXT_ID} class="consent-bar-text">
        {t('consent.bar.text')}{' '}
        <button type="button" class="btn-link" data-testid="consent-expand" onClick={consent.expand}>
          {t('consent.bar.expand')}
        </button>
      </p>
      {granted > 0 && <p class="consent-bar-note">{t('consent.bar.selected', { n: granted })}</p>}
      {consent.error !== null && <ProblemMessage error={consent.error} />}
      <FirstChoiceButtons consent={consent} />
    </section>
  );
}

function ReceiptHistory({ consent }: { consent: ConsentController }): JSX.Element {
  const brandId = consent.notice?.brandId ?? consent.status?.current?.brandId ?? '';
  const titles = new Map((consent.notice?.purposes ?? []).map((p) => [p.id, p.title]));
  const purposes = (ids: string[]): string => (ids.length ? ids.map((id) => titles.get(id) ?? id).join('、') : t('consent.receipts.none'));
  let body: JSX.Element;
  if (consent.receiptsError !== null) body = <ProblemMessage error={consent.receiptsError} />;
  else if (consent.receipts === null) body = <Spinner />;
  else {
    const items = receiptsNewestFirst(consent.receipts, brandId);
    body = items.length ? (
      <ol class="consent-receipts" data-testid="consent-receipts">
        {items.map((receipt) => (
          <ReceiptRow key={receipt.consentId} receipt={receipt} purposes={purposes} />
        ))}
      </ol>
    ) : (
      <p class="muted">{t('consent.receipts.empty')}</p>
    );
  }
  return (
    <section class="consent-history" aria-labelledby="consent-history-title">
      <h3 id="consent-history-title">{t('consent.receipts.heading')}</h3>
      {body}
    </section>
  );
}

function ReceiptRow({ receipt, purposes }: { receipt: ConsentReceipt; purposes: (ids: string[]) => string }): JSX.Element {
  return (
    <li class="consent-receipt" data-testid="consent-receipt" data-consent-id={receipt.consentId}>
      <span class="consent-receipt-line">
        <time dateTime={new Date(receipt.at).toISOString()}>{formatDateTime(receipt.at)}</time>
        {' · '}
        <span>{methodLabel(receipt.method)}</span>
      </span>
      <span class="consent-receipt-line">
        {t('consent.receipts.granted')}
        {purposes(receipt.granted)}
      </span>
      <span class="consent-receipt-line muted">
        {t('consent.receipts.number')}
        <code>{receipt.consentId}</code>
      </span>
    </li>
  );
}

const METHODS = ['accept_all', 'decline_all', 'custom', 'withdraw'] as const;

function methodLabel(method: string): string {
  const known = METHODS.find((m) => m === method);
  return known ? t(`consent.methods.${known}`) : method;
}
