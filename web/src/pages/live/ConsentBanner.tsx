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
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { ApiError } from '../../ui/api.ts';
import { LocaleSwitch, ProblemMessage, Spinner } from '../../ui/components.tsx';
import {
  AGE_BANDS,
  blockedPurposes,
  isMinorMode,
  isModal,
  minorsErrorKey,
  noticeParagraphs,
  receiptsNewestFirst,
  type ConsentAction,
  type ConsentNotice,
  type ConsentReceipt,
} from '../../ui/consent.ts';
import { trapTab } from '../../ui/focus-trap.ts';
import { formatDateTime } from '../../ui/format.ts';
import type { ConsentController } from './use-consent.ts';
import './consent-age.css';

const TITLE_ID = 'consent-title';
const INTRO_ID = 'consent-intro';
const BAR_TEXT_ID = 'consent-bar-text';

export function ConsentBanner({ consent, sessionId }: { consent: ConsentController; sessionId: string }): JSX.Element | null {
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
          {settings && consent.decided && <EffectiveState consent={consent} />}
          <AgeGate consent={consent} />
          <NoticeBody consent={consent} />
          {settings && consent.decided && <PersonalisationSwitch consent={consent} />}
          {settings && <ReceiptHistory consent={consent} />}
          {settings && (
            <p class="consent-centre">
              <a
                href={`/privacy?brand=${encodeURIComponent(consent.notice?.brandId ?? consent.status?.current?.brandId ?? '')}&from=${encodeURIComponent(sessionId)}`}
                data-testid="privacy-centre-link"
              >
                {t('consent.privacyCentre')}
              </a>{' '}
              <span class="muted">（{t('consent.privacyCentreHint')}）</span>
            </p>
          )}
        </div>

        <footer class="consent-footer">
          {consent.error !== null && <ConsentProblem error={consent.error} />}
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
  const blocked = blockedPurposes(consent.band, notice);
  return (
    <fieldset class="consent-purposes">
      <legend>{t('consent.purposesHeading')}</legend>
      {consent.band === 'under_14' && <p class="consent-minors-note">{t('consent.age.childPurposesNote')}</p>}
      <ul>
        {notice.purposes.map((purpose) => {
          const isBlocked = blocked.has(purpose.id);
          const on = consent.toggles[purpose.id] === true && !isBlocked;
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
                  aria-describedby={isBlocked ? `${detailsId} ${inputId}-blocked` : detailsId}
                  disabled={consent.busy !== null || isBlocked}
                  data-blocked={isBlocked ? 'true' : undefined}
                  data-testid="consent-toggle"
                  data-purpose={purpose.id}
                  onChange={(event) => consent.setToggle(purpose.id, event.currentTarget.checked)}
                />
              </div>
              {isBlocked && consent.band === '14_to_17' && (
                <p id={`${inputId}-blocked`} class="consent-minors-note" data-testid="minors-blocked-note">
                  {t('consent.age.minorBlockedNote')}
                </p>
              )}
              {isBlocked && consent.band === 'under_14' && <span id={`${inputId}-blocked`} hidden />}
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
  // Under 14 the child grants nothing themselves (a guardian decides): the granting buttons stay in
  // place, same size and style, but cannot be used.
  const childBlocked = consent.band === 'under_14' && (props.action === 'accept_all' || props.action === 'save');
  return (
    <button
      type="button"
      class="btn btn-choice"
      data-testid={props.testId}
      disabled={!consent.ready || consent.busy !== null || childBlocked}
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
      {consent.error !== null && <ConsentProblem error={consent.error} />}
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

/** A refusal of the age gate or the minors rules in plain words; any other problem as usual. */
function ConsentProblem({ error }: { error: unknown }): JSX.Element {
  const key = minorsErrorKey(error);
  if (!key) return <ProblemMessage error={error} />;
  const code = error instanceof ApiError ? error.code : '';
  return (
    <p class="problem" role="alert" data-testid="consent-age-error" data-code={code}>
      {t(key)}
    </p>
  );
}

/**
 * The age question (M1), before any purpose: unset by default, a radio group with a legend. Declining
 * needs no answer; granting anything does. Under 14 a guardian decides: the child can ask for a link
 * for the guardian's own phone, or continue without personalisation (the same as Decline all).
 */
function AgeGate({ consent }: { consent: ConsentController }): JSX.Element {
  const declared = consent.profile?.ageBand ?? null;
  return (
    <fieldset class="consent-age" data-testid="age-gate">
      <legend>{t('consent.age.legend')}</legend>
      <p class="consent-age-hint muted">{t('consent.age.hint')}</p>
      <div class="consent-age-options">
        {AGE_BANDS.map((band) => (
          <label key={band} class="consent-age-option">
            <input
              type="radio"
              name="consent-age-band"
              value={band}
              checked={consent.band === band}
              disabled={consent.busy !== null || consent.guardianBusy}
              data-testid="age-band"
              data-band={band}
              onChange={() => consent.setBand(band)}
            />{' '}
            {t(`consent.age.bands.${band}`)}
          </label>
        ))}
      </div>
      {declared !== null && declared !== 'adult' && <p class="consent-minors-note">{t('consent.age.lockedNote')}</p>}
      {consent.band === '14_to_17' && (
        <p class="consent-minors-note" data-testid="minors-note">
          {t('consent.age.minorNote')}
        </p>
      )}
      {consent.band === 'under_14' && <GuardianBox consent={consent} />}
    </fieldset>
  );
}

function GuardianBox({ consent }: { consent: ConsentController }): JSX.Element {
  const [copied, setCopied] = useState(false);
  const copy = (): void => {
    const link = consent.guardianLink;
    if (!link) return;
    navigator.clipboard?.writeText(link).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div class="consent-guardian" data-testid="guardian-box">
      <p>{t('consent.age.childExplain')}</p>
      {consent.guardianLink ? (
        <div class="consent-guardian-link">
          <label for="guardian-link">{t('consent.age.guardianLinkLabel')}</label>
          <input id="guardian-link" class="input" type="text" readOnly value={consent.guardianLink} data-testid="guardian-link" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" class="btn btn-ghost btn-small" data-testid="guardian-link-copy" onClick={copy}>
            {copied ? t('consent.age.copied') : t('consent.age.copy')}
          </button>
          <p class="muted">{t('consent.age.guardianLinkHint')}</p>
        </div>
      ) : (
        <button type="button" class="btn btn-ghost" data-testid="guardian-ask" disabled={consent.guardianBusy} aria-busy={consent.guardianBusy} onClick={consent.askGuardian}>
          {consent.guardianBusy ? t('consent.saving') : t('consent.age.askGuardian')}
        </button>
      )}
      {consent.guardianError !== null && <ConsentProblem error={consent.guardianError} />}
      <button
        type="button"
        class="btn btn-ghost"
        data-testid="guardian-continue"
        disabled={!consent.ready || consent.busy !== null}
        onClick={() => consent.decide('decline_all')}
      >
        {t('consent.age.continueWithout')}
      </button>
    </div>
  );
}

/** After a decision: what is really allowed now (after minors mode, a guardian, the switch) and the mode. */
function EffectiveState({ consent }: { consent: ConsentController }): JSX.Element | null {
  const { status } = consent;
  if (!status?.effective) return null;
  const titles = new Map((consent.notice?.purposes ?? []).map((p) => [p.id, p.title]));
  const mode = status.mode ?? 'undeclared';
  return (
    <section class="consent-effective" data-testid="consent-effective" data-mode={mode} data-effective={status.effective.join(' ')} aria-labelledby="consent-effective-title">
      <h3 id="consent-effective-title">
        {t('consent.effective.heading')}{' '}
        {isMinorMode(mode) && (
          <span class="badge badge-minors" data-testid="consent-minors-badge">
            {t('consent.mode.minorBadge')}
          </span>
        )}
      </h3>
      <p>{status.effective.length ? status.effective.map((id) => titles.get(id) ?? id).join('、') : t('consent.effective.none')}</p>
      <p class="muted">{modeText(mode)}</p>
    </section>
  );
}

function modeText(mode: string): string {
  switch (mode) {
    case 'adult':
      return t('consent.mode.adult');
    case 'minor':
      return t('consent.mode.minor');
    case 'child_awaiting_guardian':
      return t('consent.mode.child_awaiting_guardian');
    case 'child_with_guardian':
      return t('consent.mode.child_with_guardian');
    default:
      return t('consent.mode.undeclared');
  }
}

/** The personalisation switch (A1): off means non-personalised from the next request on. */
function PersonalisationSwitch({ consent }: { consent: ConsentController }): JSX.Element | null {
  const { profile } = consent;
  if (!profile) return null;
  return (
    <section class="consent-personalisation">
      <div class="consent-purpose-row">
        <label for="personalisation-toggle" class="consent-purpose-title">
          {t('consent.personalisation.label')}
        </label>
        <span class="consent-switch-state" aria-hidden="true">
          {profile.personalisation ? t('consent.on') : t('consent.off')}
        </span>
        <input
          id="personalisation-toggle"
          type="checkbox"
          role="switch"
          class="switch"
          checked={profile.personalisation}
          aria-describedby="personalisation-hint"
          disabled={consent.personalisationBusy}
          data-testid="personalisation-toggle"
          onChange={(event) => consent.setPersonalisationOn(event.currentTarget.checked)}
        />
      </div>
      <p id="personalisation-hint" class="muted">
        {t('consent.personalisation.hint')}
      </p>
      {consent.personalisationError !== null && <ConsentProblem error={consent.personalisationError} />}
    </section>
  );
}
