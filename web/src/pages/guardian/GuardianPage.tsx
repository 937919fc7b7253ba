/**
 * A guardian's consent for a child under 14 (/guardian#code=…), on the guardian's own device: the
 * separate notice exactly as the server sent it (its hash is per language, so a language switch
 * fetches it again), a relationship, a box per purpose (all unticked), and two equal buttons.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentLocale, t } from '../../i18n/index.ts';
import { ApiError, apiRequest } from '../../ui/api.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { DEVICE_HEADER, deviceId } from '../../ui/device.ts';
import { PrivacyShell } from '../privacy/PrivacyPage.tsx';
import { formatTime } from '../privacy/privacy-view.ts';
import { buildGuardianDecision, codeFromHash, guardianErrorKey, paragraphsOf, type GuardianNotice, type Relationship } from './guardian-view.ts';

interface GuardianConsentView {
  id: string;
  brandId: string;
  granted: string[];
  method: string;
  noticeVersion: string;
  noticeHash: string;
  locale: string;
  at: number;
}

function GuardianProblem({ error }: { error: unknown }): JSX.Element {
  const key = error instanceof ApiError ? guardianErrorKey(error.code) : null;
  if (!key) return <ProblemMessage error={error} />;
  return (
    <p class="problem" role="alert" data-testid="guardian-error" data-code={(error as ApiError).code}>
      {t(`guardian.errors.${key}`)}
    </p>
  );
}

export function GuardianPage(): JSX.Element {
  const [code] = useState(() => codeFromHash(location.hash));
  const locale = currentLocale();
  const [notice, setNotice] = useState<GuardianNotice | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [relationship, setRelationship] = useState<Relationship>('parent');
  const [ticked, setTicked] = useState<Record<string, boolean>>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [result, setResult] = useState<GuardianConsentView | null>(null);

  useEffect(() => {
    document.title = t('guardian.documentTitle');
  });
  useEffect(() => {
    if (!code || result) return;
    setLoadError(null);
    apiRequest<GuardianNotice>('POST', '/api/v1/guardian/notice', { code, locale }).then(setNotice, setLoadError);
  }, [code, locale, result]);

  const decide = async (action: 'consent' | 'refuse'): Promise<void> => {
    if (!code || !notice || busy) return;
    setBusy(true);
    setFailure(null);
    try {
      const body = buildGuardianDecision(action, code, notice, relationship, ticked);
      setResult(await apiRequest<GuardianConsentView>('POST', '/api/v1/guardian/consent', body, { [DEVICE_HEADER]: deviceId() }));
    } catch (e) {
      setFailure(e);
      // A changed notice: show the current one so the guardian decides on what they read.
      if (e instanceof ApiError && guardianErrorKey(e.code) === 'outdated') {
        apiRequest<GuardianNotice>('POST', '/api/v1/guardian/notice', { code, locale }).then(setNotice, setLoadError);
      }
    } finally {
      setBusy(false);
    }
  };

  const titleOf = (id: string): string => notice?.purposes.find((p) => p.id === id)?.title ?? id;

  return (
    <PrivacyShell title={t('guardian.title')} from={null} testId="guardian-page">
      <p>{t('guardian.intro')}</p>
      <p class="muted">{t('guardian.ownDevice')}</p>
      {!code && (
        <p class="problem" role="alert" data-testid="guardian-error" data-code="NO_CODE">
          {t('guardian.noCode')}
        </p>
      )}
      {code && loadError !== null && <GuardianProblem error={loadError} />}
      {code && !notice && loadError === null && !result && <Spinner />}
      {result && (
        <section class="card privacy-section success-box" role="status" data-testid="guardian-result" data-granted={result.granted.join(' ')} data-method={result.method}>
          <p>
            <strong>{result.granted.length > 0 ? t('guardian.granted', { purposes: result.granted.map(titleOf).join(locale === 'en' ? ', ' : '、') }) : t('guardian.refusedAll')}</strong>
          </p>
          <p class="muted">{t('guardian.receipt', { id: result.id, version: result.noticeVersion, time: formatTime(result.at, locale) })}</p>
          <p>{t('guardian.withdraw')}</p>
        </section>
      )}
      {notice && !result && (
        <>
          <section class="card privacy-section guardian-notice" data-testid="guardian-notice" data-hash={notice.hash} data-version={notice.version} lang={notice.locale}>
            {paragraphsOf(notice.text).map((p, i) => (i === 0 ? <h2 key={i}>{p}</h2> : <p key={i}>{p}</p>))}
          </section>
          <form class="card privacy-section" onSubmit={(e) => e.preventDefault()}>
            <fieldset class="privacy-fieldset">
              <legend>{t('guardian.relationship')}</legend>
              {(['parent', 'legal_guardian'] as const).map((r) => (
                <label key={r} class="guardian-purpose">
                  <input type="radio" name="relationship" value={r} checked={relationship === r} onChange={() => setRelationship(r)} data-testid="guardian-relationship" data-relationship={r} />
                  <span>{r === 'parent' ? t('guardian.parent') : t('guardian.legalGuardian')}</span>
                </label>
              ))}
            </fieldset>
            <fieldset class="privacy-fieldset">
              <legend>{t('guardian.purposes')}</legend>
              {notice.purposes.map((p) => (
                <label key={p.id} class="guardian-purpose">
                  <input
                    type="checkbox"
                    checked={ticked[p.id] === true}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setTicked((current) => ({ ...current, [p.id]: on }));
                    }}
                    data-testid="guardian-purpose"
                    data-purpose={p.id}
                  />
                  <span>
                    <strong>{p.title}</strong>
                    <br />
                    <span class="muted">{p.use}</span>
                  </span>
                </label>
              ))}
            </fieldset>
            {failure !== null && <GuardianProblem error={failure} />}
            <div class="guardian-choices">
              <button type="button" class="btn btn-choice" disabled={busy} onClick={() => void decide('consent')} data-testid="guardian-consent">
                {busy ? t('guardian.sending') : t('guardian.consent')}
              </button>
              <button type="button" class="btn btn-choice" disabled={busy} onClick={() => void decide('refuse')} data-testid="guardian-refuse">
                {t('guardian.refuse')}
              </button>
            </div>
          </form>
        </>
      )}
    </PrivacyShell>
  );
}
