/** The processing rules (/privacy/rules?brand=, R4): public, versioned, fetched again on a language switch. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentLocale, t } from '../../i18n/index.ts';
import { ProblemMessage, Spinner } from '../../ui/components.tsx';
import { getRules, type ProcessingRules } from './privacy-api.ts';
import { PrivacyShell } from './PrivacyPage.tsx';
import { parsePrivacyQuery } from './privacy-view.ts';

const PROTECTIONS = ['sealed', 'keyed-ids', 'hashed', 'none'] as const;
const protectionLabel = (p: string): string =>
  (PROTECTIONS as readonly string[]).includes(p) ? t(`privacy.rules.protectionKinds.${p as (typeof PROTECTIONS)[number]}`) : p;

export function RulesPage(): JSX.Element {
  const { brandId, from } = parsePrivacyQuery(location.search);
  const locale = currentLocale();
  const [rules, setRules] = useState<ProcessingRules | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = t('privacy.rules.documentTitle');
  });
  useEffect(() => {
    setError(null);
    getRules(brandId, locale).then(setRules, setError);
  }, [brandId, locale]);

  const centre = `/privacy?brand=${encodeURIComponent(brandId)}${from ? `&from=${encodeURIComponent(from)}` : ''}`;
  return (
    <PrivacyShell title={t('privacy.rules.title')} from={from} testId="rules-page">
      <p>
        <a href={centre}>{t('privacy.rules.backToCentre')}</a>
      </p>
      {error !== null && <ProblemMessage error={error} />}
      {!rules && error === null && <Spinner />}
      {rules && (
        <div class="privacy-rules" data-version={rules.version} lang={rules.locale}>
          <p class="muted" data-testid="rules-version">
            {t('privacy.rules.version', { version: rules.version })}
          </p>
          <section class="card privacy-section" aria-labelledby="rules-operator">
            <h2 id="rules-operator">{t('privacy.rules.operator')}</h2>
            <p>{rules.operator.name}</p>
            <p>{t('privacy.rules.contact', { email: rules.operator.contactEmail, phone: rules.operator.contactPhone })}</p>
          </section>
          <TextSection id="rules-essential" title={t('privacy.rules.essential')} text={rules.essential} />
          <section class="card privacy-section" aria-labelledby="rules-purposes">
            <h2 id="rules-purposes">{t('privacy.rules.purposes')}</h2>
            {rules.purposes.map((p) => (
              <article key={p.id} class="privacy-purpose" data-testid="rules-purpose" data-purpose={p.id}>
                <h3>{p.title}</h3>
                <dl class="privacy-fields">
                  <dt>{t('privacy.rules.use')}</dt>
                  <dd>{p.use}</dd>
                  <dt>{t('privacy.rules.dataCategories')}</dt>
                  <dd>{p.dataCategories}</dd>
                  <dt>{t('privacy.rules.retention')}</dt>
                  <dd>{p.retention}</dd>
                </dl>
              </article>
            ))}
          </section>
          <section class="card privacy-section" aria-labelledby="rules-data">
            <h2 id="rules-data">{t('privacy.rules.data')}</h2>
            <div class="table-wrap">
              <table class="product-table">
                <thead>
                  <tr>
                    <th scope="col">{t('privacy.rules.category')}</th>
                    <th scope="col">{t('privacy.rules.what')}</th>
                    <th scope="col">{t('privacy.rules.personal')}</th>
                    <th scope="col">{t('privacy.rules.protection')}</th>
                    <th scope="col">{t('privacy.rules.kept')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rules.data.map((d) => (
                    <tr key={d.category} data-testid="rules-data-row" data-category={d.category}>
                      <th scope="row">{d.name}</th>
                      <td>{d.what}</td>
                      <td>{d.personal ? t('privacy.rules.yes') : t('privacy.rules.no')}</td>
                      <td>{protectionLabel(d.protection)}</td>
                      <td>{d.kept}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <TextSection id="rules-security" title={t('privacy.rules.security')} text={rules.security} />
          <TextSection id="rules-location" title={t('privacy.rules.location')} text={rules.location} />
          <TextSection id="rules-minors" title={t('privacy.rules.minors')} text={rules.minors} />
          <TextSection id="rules-rights" title={t('privacy.rules.rights')} text={rules.rights} />
          <TextSection id="rules-automated" title={t('privacy.rules.automated')} text={rules.automatedDecisions} />
        </div>
      )}
    </PrivacyShell>
  );
}

function TextSection({ id, title, text }: { id: string; title: string; text: string }): JSX.Element {
  return (
    <section class="card privacy-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <p class="privacy-pre">{text}</p>
    </section>
  );
}
