/**
 * The viewer's consent on the live page: the notice in the page's language (re-fetched on a language
 * switch, because its hash is per language), this device's current decision, the banner's view and
 * its toggles, and the decision itself. The rules live in ui/consent.ts; this wires them to the API.
 *
 * Nothing here gates the page: stream, showcase, cart and orders work whatever happens (C3), and a
 * failed call only leaves the banner where it is.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentLocale } from '../../i18n/index.ts';
import { consentReceipts, consentStatus, decideConsent, getNotice } from '../../ui/api.ts';
import {
  buildDecision,
  initialToggles,
  initialView,
  isModal,
  isNoticeChanged,
  needsAsking,
  viewAfterDecision,
  viewAfterDismiss,
  viewAfterNoticeChanged,
  type ConsentAction,
  type ConsentNotice,
  type ConsentReceipt,
  type ConsentStatus,
  type ConsentView,
  type Toggles,
} from '../../ui/consent.ts';
import { deviceId, storedDeviceId } from '../../ui/device.ts';

export interface ConsentController {
  view: ConsentView;
  /** The notice on screen; null while it loads (or after it was found outdated). */
  notice: ConsentNotice | null;
  noticeError: unknown;
  /** True when a decision can be made now: the notice shown is the one of the page's language. */
  ready: boolean;
  status: ConsentStatus | null;
  /** The viewer has a decision under the current notice. */
  decided: boolean;
  toggles: Toggles;
  busy: ConsentAction | null;
  error: unknown;
  /** The last decision was refused because the notice changed; the new one is shown. */
  noticeChanged: boolean;
  receipts: ConsentReceipt[] | null;
  receiptsError: unknown;
  /** Where focus goes back to when the modal closes (the element that opened it, if any). */
  returnFocus: { current: HTMLElement | null };
  setToggle: (purposeId: string, on: boolean) => void;
  decide: (action: ConsentAction) => void;
  dismiss: () => void;
  expand: () => void;
  openSettings: () => void;
  retryNotice: () => void;
}

function activeElement(): HTMLElement | null {
  const el = document.activeElement;
  return el instanceof HTMLElement && el !== document.body ? el : null;
}

/** `brandId` is null until the room has loaded; nothing is fetched before. */
export function useConsent(brandId: string | null, onRecorded: (receipt: ConsentReceipt) => void): ConsentController {
  const locale = currentLocale();
  const [notice, setNotice] = useState<ConsentNotice | null>(null);
  const [noticeError, setNoticeError] = useState<unknown>(null);
  const [noticeRequest, setNoticeRequest] = useState(0);
  const [status, setStatus] = useState<ConsentStatus | null>(null);
  const [statusSettled, setStatusSettled] = useState(false);
  const [view, setView] = useState<ConsentView>('hidden');
  const [toggles, setToggles] = useState<Toggles>({});
  const [busy, setBusy] = useState<ConsentAction | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [noticeChanged, setNoticeChanged] = useState(false);
  const [receipts, setReceipts] = useState<ConsentReceipt[] | null>(null);
  const [receiptsError, setReceiptsError] = useState<unknown>(null);
  const autoOpened = useRef(false);
  const returnFocus = useRef<HTMLElement | null>(null);

  // The notice in the page's language; again on every language switch (its text and hash differ).
  useEffect(() => {
    if (!brandId) return;
    let current = true;
    setNoticeError(null);
    getNotice(brandId, locale).then(
      (fetched) => {
        if (current) setNotice(fetched);
      },
      (failure: unknown) => {
        if (current) setNoticeError(failure);
      },
    );
    return () => {
      current = false;
    };
  }, [brandId, locale, noticeRequest]);

  // This device's decision. A browser without a device id has made none, so nothing is asked of the server.
  useEffect(() => {
    if (!brandId) return;
    let current = true;
    const id = storedDeviceId();
    if (!id) {
      setStatusSettled(true);
      return;
    }
    consentStatus(brandId, id)
      .then(
        (fetched) => {
          if (current) setStatus((known) => known ?? fetched); // a decision made meanwhile is newer
        },
        () => undefined, // no status: ask (below); the page works either way
      )
      .finally(() => {
        if (current) setStatusSettled(true);
      });
    return () => {
      current = false;
    };
  }, [brandId]);

  // First entry: ask once the notice is here and the status is known or known to be unavailable.
  // TODO(M1): the age gate comes first here — a declared age under 14 leads to the guardian-consent
  // flow, and until then the page stays anonymous and non-personalised; no purpose is offered.
  useEffect(() => {
    if (autoOpened.current || !statusSettled || !notice) return;
    autoOpened.current = true;
    if (initialView(status) === 'hidden' || view !== 'hidden') return; // decided, or already opened by hand
    returnFocus.current = activeElement();
    setToggles(initialToggles());
    setView(initialView(status));
  }, [statusSettled, notice, status, view]);

  const decided = status !== null && !needsAsking(status);
  const ready = notice !== null && notice.locale === locale;

  const decide = (action: ConsentAction): void => {
    if (!notice || !ready || busy) return;
    const decision = buildDecision(action, notice, toggles, deviceId());
    setBusy(action);
    setError(null);
    decideConsent(decision).then(
      (receipt) => {
        setBusy(null);
        setStatus({ current: receipt, needsAsking: false, noticeVersion: receipt.noticeVersion });
        setReceipts((list) => (list ? [...list, receipt] : list));
        setNoticeChanged(false);
        setView(viewAfterDecision());
        onRecorded(receipt);
      },
      (failure: unknown) => {
        setBusy(null);
        if (isNoticeChanged(failure)) {
          // Decided on a notice that is no longer current: show the current one, choices reset.
          setNoticeChanged(true);
          setNotice(null);
          setToggles(view === 'settings' ? initialToggles(status?.current ?? null) : initialToggles());
          setView(viewAfterNoticeChanged(view));
          setNoticeRequest((n) => n + 1);
          return;
        }
        setError(failure);
      },
    );
  };

  const loadReceipts = (): void => {
    setReceiptsError(null);
    const id = storedDeviceId();
    if (!id) {
      setReceipts([]);
      return;
    }
    consentReceipts(id).then(
      (answer) => setReceipts(answer.items),
      (failure: unknown) => setReceiptsError(failure),
    );
  };

  return {
    view,
    notice,
    noticeError,
    ready,
    status,
    decided,
    toggles,
    busy,
    error,
    noticeChanged,
    receipts,
    receiptsError,
    returnFocus,
    setToggle: (purposeId, on) => setToggles((current) => ({ ...current, [purposeId]: on })),
    decide,
    dismiss: () => {
      setError(null);
      setNoticeChanged(false);
      setView((current) => viewAfterDismiss(current, decided));
    },
    expand: () => {
      returnFocus.current = null; // the bar's button that opened it goes away
      setView('ask');
    },
    openSettings: () => {
      if (!isModal(view)) returnFocus.current = activeElement();
      setError(null);
      setNoticeChanged(false);
      setToggles(initialToggles(status?.current ?? null));
      setView('settings');
      if (!notice) setNoticeRequest((n) => n + 1);
      loadReceipts();
    },
    retryNotice: () => setNoticeRequest((n) => n + 1),
  };
}
