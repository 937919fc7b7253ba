/**
 * /recommendations — how recommendations work (A4): public and versioned. Renders the server's
 * how-it-works object in the page's language (fetched again on a language switch): the objective,
 * personalised and non-personalised lists, the published non-personalised weights, how the model
 * learns, the features grouped, what is never used, and how to switch personalisation off.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentLocale, t } from '../../i18n/index.ts';
import { LocaleSwitch, ProblemMessage, Spinner } from '../../ui/components.tsx';
import { fetchHowItWorks, formatSigned, groupFeatures, parseHowQuery, privacyHref, type HowItWorks, type LocaleCode } from '../../ui/recommendations.ts';
import './how-recommendations.css';

const GROUPS = ['product', 'room', 'behaviour', 'profile'] as const;
const groupLabel = (group: string): string => ((GROUPS as readonly string[]).includes(group) ? t(`howRecs.groups.${group as (typeof GROUPS)[number]}`) : group);

export function HowRecommendationsPage(): JSX.Element {
  const { brandId, from } = parseHowQuery(location.search);
  const locale = currentLocale() as LocaleCode;
  const [how, setHow] = useState<HowItWorks | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    document.title = t('howRecs.documentTitle');
  });
  useEffect(() => {
    let current = true;
    setError(null);
    fetchHowItWorks(locale).then(
      (fetched) => {
        if (current) setHow(fetched);
      },
      (failure: unknown) => {
        if (current) setError(failure);
      },
    );
    return () => {
      current = false;
    };
  }, [locale]);

  return (
    <main class="how-recs-page" data-testid="how-recs-page" data-version={how?.version}>
      <header class="how-recs-top">
        {from ? (
          <a class="btn btn-ghost btn-small" href={`/live/${encodeURIComponent(from)}`}>
            ← {t('howRecs.back')}
          </a>
        ) : (
          <span />
        )}
        <LocaleSwitch />
      </header>
      <h1>{t('howRecs.title')}</h1>
      {error !== null && (
        <div role="alert">
          <p>{t('howRecs.failed')}</p>
          <ProblemMessage error={error} />
        </div>
      )}
      {!how && error === null && <Spinner label={t('howRecs.loading')} />}
      {how && (
        <div lang={how.locale ?? locale}>
          <p class="muted" data-testid="how-recs-version">
            {t('howRecs.version', { version: how.version })}
          </p>
          <TextSection id="how-objective" title={t('howRecs.objective')} text={how.objective} />
          <TextSection id="how-personalised" title={t('howRecs.personalised')} text={how.personalised} />
          <section class="card how-recs-section" aria-labelledby="how-non-personalised">
            <h2 id="how-non-personalised">{t('howRecs.nonPersonalised')}</h2>
            <p>{how.nonPersonalised}</p>
            <h3>{t('howRecs.weights')}</h3>
            <table class="how-recs-table" data-testid="how-recs-weights">
              <thead>
                <tr>
                  <th scope="col">{t('howRecs.signal')}</th>
                  <th scope="col" class="num">
                    {t('howRecs.weight')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(how.nonPersonalisedWeights).map(([name, weight]) => (
                  <tr key={name} data-testid="how-recs-weight" data-feature={name}>
                    <th scope="row">{name === 'diversity' ? t('howRecs.diversity') : (how.features.find((f) => f.name === name)?.label ?? name)}</th>
                    <td class="num">{formatSigned(weight, 2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <TextSection id="how-learning" title={t('howRecs.learning')} text={how.learning} />
          <section class="card how-recs-section" aria-labelledby="how-features">
            <h2 id="how-features">{t('howRecs.features')}</h2>
            {groupFeatures(how.features).map((group) => (
              <div key={group.group} class="how-recs-group" data-testid="how-recs-group" data-group={group.group}>
                <h3>{groupLabel(group.group)}</h3>
                <ul>
                  {group.features.map((f) => (
                    <li key={f.name} data-testid="how-recs-feature" data-feature={f.name} data-personal={String(f.personal)}>
                      {f.label} <code>{f.name}</code>{' '}
                      <span class={`badge ${f.personal ? 'how-recs-personal' : 'how-recs-not-personal'}`}>
                        {f.personal ? t('howRecs.personal') : t('howRecs.notPersonal')}
                      </span>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </section>
          <section class="card how-recs-section" aria-labelledby="how-never">
            <h2 id="how-never">{t('howRecs.neverUsed')}</h2>
            <ul>
              {how.neverUsed.map((item) => (
                <li key={item} data-testid="how-recs-never">
                  {item}
                </li>
              ))}
            </ul>
          </section>
          {how.fairness ? (
            <section class="card how-recs-section" aria-labelledby="how-fairness">
              <h2 id="how-fairness">{t('howRecs.fairness')}</h2>
              <p data-testid="how-recs-fairness">{how.fairness}</p>
            </section>
          ) : null}
          <section class="card how-recs-section" aria-labelledby="how-switch-off">
            <h2 id="how-switch-off">{t('howRecs.switchOff')}</h2>
            <p>{how.switchOff}</p>
            <p>
              <a href={privacyHref(brandId, from)} data-testid="how-recs-privacy-link">
                {t('howRecs.privacyLink')}
              </a>
            </p>
          </section>
          <section class="card how-recs-section" aria-labelledby="how-model">
            <h2 id="how-model">{t('howRecs.model')}</h2>
            <ul>
              <li>{t('howRecs.modelKind', { kind: how.model.kind === 'linucb' || how.model.kind === 'lints' ? t(`howRecs.kinds.${how.model.kind}`) : how.model.kind })}</li>
              <li>{t('howRecs.epsilon', { epsilon: how.model.epsilon })}</li>
              <li data-testid="how-recs-model-version">{t('howRecs.modelVersion', { version: how.model.version })}</li>
            </ul>
          </section>
        </div>
      )}
    </main>
  );
}

function TextSection(props: { id: string; title: string; text: string }): JSX.Element {
  return (
    <section class="card how-recs-section" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <p>{props.text}</p>
    </section>
  );
}
