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
import { ApiError, consentReceipts, consentStatus, decideConsent, getNotice } from '../../ui/api.ts';
import {
  buildBandDecision,
  grantsSomething,
  initialToggles,
  initialView,
  isModal,
  isNoticeChanged,
  needsAsking,
  viewAfterDecision,
  viewAfterDismiss,
  viewAfterNoticeChanged,
  togglesForBand,
  type AgeBand,
  type ConsentAction,
  type ConsentNotice,
  type ConsentReceipt,
  type ConsentStatus,
  type ConsentView,
  type Toggles,
} from '../../ui/consent.ts';
import { deviceId, storedDeviceId } from '../../ui/device.ts';
import { declareAge, privacyProfile, requestGuardian, setPersonalisation, type PrivacyProfile } from './privacy-api.ts';

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
  // ---- the age gate (M1/M2) ----
  /** The band picked in this dialog, or the one declared before; null until the viewer picks one. */
  band: AgeBand | null;
  setBand: (band: AgeBand) => void;
  /** This device's privacy profile (declared band, personalisation switch); null without a device id. */
  profile: PrivacyProfile | null;
  /** Under 14: the link for the guardian's own phone, once requested. */
  guardianLink: string | null;
  guardianBusy: boolean;
  guardianError: unknown;
  askGuardian: () => void;
  personalisationBusy: boolean;
  personalisationError: unknown;
  setPersonalisationOn: (on: boolean) => void;
}

/** A refusal made on the page itself (no band picked yet), shown like the server's problems. */
function localProblem(code: string, title: string): ApiError {
  return new ApiError({ type: 'about:blank', title, status: 0, code });
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
  const [band, setBandState] = useState<AgeBand | null>(null);
  const [profile, setProfile] = useState<PrivacyProfile | null>(null);
  const [guardianLink, setGuardianLink] = useState<string | null>(null);
  const [guardianBusy, setGuardianBusy] = useState(false);
  const [guardianError, setGuardianError] = useState<unknown>(null);
  const [personalisationBusy, setPersonalisationBusy] = useState(false);
  const [personalisationError, setPersonalisationError] = useState<unknown>(null);
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
    loadProfile(brandId, id);
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
  // The age gate is part of the dialog (ConsentBanner): no purpose can be granted before a band is
  // declared; under 14 a guardian decides, and until then the page stays anonymous and non-personalised.
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

  function loadProfile(brand: string, id: string): void {
    privacyProfile(brand, id).then(
      (fetched) => {
        setProfile(fetched);
        if (fetched.ageBand) setBandState(fetched.ageBand);
      },
      () => undefined, // without it the gate simply starts unset
    );
  }

  /** The effective purposes and the mode, after a decision or a switch. */
  const refreshStatus = (): void => {
    const id = storedDeviceId();
    if (!brandId || !id) return;
    consentStatus(brandId, id).then(
      (fetched) => setStatus(fetched),
      () => undefined,
    );
  };

  const decide = (action: ConsentAction): void => {
    if (!notice || !ready || busy || !brandId) return;
    const granting = grantsSomething(action, notice, toggles);
    setError(null);
    // Granting anything needs a declared age band (M1); declining never does.
    if (granting && band === null) {
      setError(localProblem('AGE_REQUIRED', 'age band required'));
      return;
    }
    if (granting && band === 'under_14') {
      setError(localProblem('GUARDIAN_CONSENT_REQUIRED', 'guardian consent required'));
      return;
    }
    const id = deviceId();
    const decision = buildBandDecision(action, notice, toggles, id, band);
    setBusy(action);
    const declared = granting && band !== null ? declareAge(brandId, band, id).then(setProfile) : Promise.resolve();
    declared
      .then(() => decideConsent(decision))
      .then(
        (receipt) => {
          setBusy(null);
          setStatus((known) => ({ ...known, current: receipt, needsAsking: false, noticeVersion: receipt.noticeVersion }));
          setReceipts((list) => (list ? [...list, receipt] : list));
          setNoticeChanged(false);
          setView(viewAfterDecision());
          onRecorded(receipt);
          refreshStatus();
        },
        (failure: unknown) => {
          setBusy(null);
          if (failure instanceof ApiError && failure.code === 'AGE_DECLARATION_LOCKED') loadProfile(brandId, id); // show the declared band
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

  /** Under 14: declare the band, then ask for a one-time link the guardian opens on their own phone. */
  const askGuardian = (): void => {
    if (!brandId || guardianBusy) return;
    const id = deviceId();
    setGuardianBusy(true);
    setGuardianError(null);
    declareAge(brandId, 'under_14', id)
      .then((declared) => {
        setProfile(declared);
        return requestGuardian(brandId, id);
      })
      .then(
        (issued) => setGuardianLink(`${location.origin}${issued.path}`),
        (failure: unknown) => setGuardianError(failure),
      )
      .finally(() => setGuardianBusy(false));
  };

  const setPersonalisationOn = (on: boolean): void => {
    const id = storedDeviceId();
    if (!brandId || !id || personalisationBusy) return;
    setPersonalisationBusy(true);
    setPersonalisationError(null);
    setPersonalisation(brandId, on, id)
      .then(
        (updated) => {
          setProfile(updated);
          refreshStatus();
        },
        (failure: unknown) => setPersonalisationError(failure),
      )
      .finally(() => setPersonalisationBusy(false));
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
    band,
    setBand: (next) => {
      setBandState(next);
      setError(null);
      if (notice) setToggles((current) => togglesForBand(current, next, notice));
    },
    profile,
    guardianLink,
    guardianBusy,
    guardianError,
    askGuardian,
    personalisationBusy,
    personalisationError,
    setPersonalisationOn,
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
      const id = storedDeviceId();
      if (brandId && id) {
        loadProfile(brandId, id);
        refreshStatus();
      }
    },
    retryNotice: () => setNoticeRequest((n) => n + 1),
  };
}
