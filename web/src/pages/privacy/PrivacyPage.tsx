/**
 * The viewer's privacy centre (/privacy?brand=&from=): what we hold (R1), tags (A3), the
 * personalisation switch (A1), requests (R3) and erasure. Without a device id the viewer never
 * decided anything, so nothing is held and no personal endpoint is called.
 */
import { Fragment, type ComponentChildren, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { categoryLabel, currentLocale, regionName, t } from '../../i18n/index.ts';
import { LocaleSwitch, ProblemMessage, Spinner } from '../../ui/components.tsx';
import { forgetDeviceId, storedDeviceId } from '../../ui/device.ts';
import { NoticeWords } from '../../ui/notice-words.tsx';
import {
  deleteTag,
  downloadExport,
  eraseAll,
  fileTicket,
  getData,
  getProfile,
  getTags,
  getTickets,
  setPersonalisation,
  setChildAge,
  setCityTier,
  CHILD_AGE_BANDS,
  CITY_TIERS,
  type ChildAgeBand,
  type CityTier,
  type ErasureReport,
  type InterestTag,
  type ProfileView,
  type ViewerTicket,
} from './privacy-api.ts';
import {
  assistantMemoryOf,
  DETAILS_MAX,
  detailsLength,
  erasureLines,
  formatTime,
  hashPrefix,
  otherCategories,
  parsePrivacyQuery,
  recordFields,
  sectionsOf,
  splitTag,
  TICKET_KINDS,
  ticketDetailsError,
  ticketsOf,
  type ExportSections,
  type FieldView,
  type RecordText,
  type TicketKind,
  type ViewerExport,
} from './privacy-view.ts';
import { ageBandName, consentMethodName, purposeNames, recordText } from './record-text.ts';

export function PrivacyShell(props: { title: string; from: string | null; children: ComponentChildren; testId: string }): JSX.Element {
  return (
    <main class="privacy-page" data-testid={props.testId}>
      <header class="privacy-top">
        {props.from ? (
          <a class="btn btn-ghost btn-small" href={`/live/${encodeURIComponent(props.from)}`} data-testid="privacy-back">
            ← {t('privacy.backToLive')}
          </a>
        ) : (
          <span />
        )}
        <LocaleSwitch />
      </header>
      <h1>{props.title}</h1>
      {props.children}
    </main>
  );
}

function Section(props: { id: string; title: string; testId?: string; children: ComponentChildren }): JSX.Element {
  return (
    <section class="card privacy-section" aria-labelledby={`${props.id}-title`} data-testid={props.testId}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function PrivacyPage(): JSX.Element {
  const { brandId, from } = parsePrivacyQuery(location.search);
  // Read once: after an erasure the browser forgets the id, but this page keeps showing the report.
  const [deviceId] = useState(() => storedDeviceId());
  const [erased, setErased] = useState<ErasureReport | null>(null);
  // The names of the export's sources, kept for the erasure report (after it there is no export to name them).
  const [sections, setSections] = useState<ExportSections>({});
  const [generation, setGeneration] = useState(0); // bumps to reload the data after a change
  useEffect(() => {
    document.title = t('privacy.documentTitle');
  });
  const rulesHref = `/privacy/rules?brand=${encodeURIComponent(brandId)}${from ? `&from=${encodeURIComponent(from)}` : ''}`;
  const links = (
    <Section id="privacy-links" title={t('privacy.withdrawTitle')}>
      <p>{t('privacy.withdrawText')}</p>
      <p class="privacy-actions">
        {from && (
          <a class="btn btn-secondary" href={`/live/${encodeURIComponent(from)}`}>
            {t('privacy.backToLive')}
          </a>
        )}
        <a class="btn btn-secondary" href={rulesHref} data-testid="privacy-rules-link">
          {t('privacy.rulesLink')}
        </a>
      </p>
    </Section>
  );

  if (!deviceId) {
    return (
      <PrivacyShell title={t('privacy.title')} from={from} testId="privacy-page">
        <p class="success-box" data-testid="privacy-nothing-held">
          {t('privacy.noDevice')}
        </p>
        <p>
          {t('privacy.noDeviceHint')} <a href={rulesHref}>{t('privacy.rulesLink')}</a>
        </p>
      </PrivacyShell>
    );
  }

  return (
    <PrivacyShell title={t('privacy.title')} from={from} testId="privacy-page">
      <p class="intro">{t('privacy.intro')}</p>
      {erased ? (
        <ErasureReportView report={erased} sections={sections} />
      ) : (
        <>
          <DataSection deviceId={deviceId} generation={generation} onSections={setSections} />
          <TagsSection deviceId={deviceId} onChange={() => setGeneration((g) => g + 1)} />
          <PersonalisationSection deviceId={deviceId} brandId={brandId} />
          <TicketsSection deviceId={deviceId} onChange={() => setGeneration((g) => g + 1)} />
          <EraseSection deviceId={deviceId} onErased={setErased} />
        </>
      )}
      {links}
    </PrivacyShell>
  );
}

// ---- R1: what we hold ----

function DataSection({ deviceId, generation, onSections }: { deviceId: string; generation: number; onSections: (sections: ExportSections) => void }): JSX.Element {
  const [data, setData] = useState<ViewerExport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [downloading, setDownloading] = useState<'json' | 'csv' | null>(null);
  const locale = currentLocale();
  useEffect(() => {
    setError(null);
    getData(deviceId).then((exported) => {
      setData(exported);
      onSections(sectionsOf(exported));
    }, setError);
  }, [deviceId, generation]);

  const download = async (format: 'json' | 'csv'): Promise<void> => {
    setDownloading(format);
    setError(null);
    try {
      await downloadExport(deviceId, format);
    } catch (e) {
      setError(e);
    } finally {
      setDownloading(null);
    }
  };

  return (
    <Section id="privacy-data" title={t('privacy.data.title')} testId="privacy-data">
      <p class="privacy-actions">
        <button type="button" class="btn btn-secondary" disabled={downloading !== null} onClick={() => void download('json')} data-testid="privacy-download-json">
          {t('privacy.data.downloadJson')}
        </button>
        <button type="button" class="btn btn-secondary" disabled={downloading !== null} onClick={() => void download('csv')} data-testid="privacy-download-csv">
          {t('privacy.data.downloadCsv')}
        </button>
      </p>
      {downloading && <p role="status">{t('privacy.data.downloading')}</p>}
      {error !== null && <ProblemMessage error={error} />}
      {!data && error === null && <Spinner />}
      {data && <DataView data={data} locale={locale} />}
    </Section>
  );
}

function DataView({ data, locale }: { data: ViewerExport; locale: 'zh-CN' | 'en' }): JSX.Element {
  // The export files the assistant's memory under chat; it has its own heading here (privacy-view.ts).
  const memory = assistantMemoryOf(data);
  const tickets = ticketsOf(data);
  const text = recordText(locale);
  const yesNo = (on: boolean) => (on ? t('privacy.data.on') : t('privacy.data.off'));
  return (
    <div class="privacy-data">
      <p class="muted">{t('privacy.data.generatedAt', { time: formatTime(Date.parse(data.generatedAt), locale), region: regionName(data.region) })}</p>

      <h3>{t('privacy.data.consents')}</h3>
      {data.consents.length === 0 ? (
        <p class="muted">{t('privacy.none')}</p>
      ) : (
        <ul class="privacy-list" data-testid="privacy-consents">
          {data.consents.map((c) => (
            <li key={c.consentId} data-consent-id={c.consentId}>
              <dl class="privacy-fields">
                <dt>{t('privacy.data.consentId')}</dt>
                <dd>
                  <code>{c.consentId}</code>
                </dd>
                <dt>{t('privacy.data.time')}</dt>
                <dd>{formatTime(c.at, locale)}</dd>
                <dt>{t('privacy.data.granted')}</dt>
                <dd>{purposeNames(c.granted, locale)}</dd>
                <dt>{t('privacy.data.refused')}</dt>
                <dd>{purposeNames(c.refused, locale)}</dd>
                <dt>{t('privacy.data.noticeVersion')}</dt>
                <dd>{c.noticeVersion}</dd>
                <dt>{t('privacy.data.hash')}</dt>
                <dd>
                  <code title={c.noticeHash}>{hashPrefix(c.noticeHash)}</code>
                  <NoticeWords hash={c.noticeHash} context={`${c.noticeVersion} · ${formatTime(c.at, locale)}`} />
                </dd>
                <dt>{t('privacy.data.method')}</dt>
                <dd>{consentMethodName(c.method)}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}

      <h3>{t('privacy.data.guardianConsents')}</h3>
      {data.guardianConsents.length === 0 ? (
        <p class="muted">{t('privacy.none')}</p>
      ) : (
        <ul class="privacy-list" data-testid="privacy-guardian-consents">
          {data.guardianConsents.map((g) => (
            <li key={g.id}>
              {formatTime(g.at, locale)} · {consentMethodName(g.method)} · {t('privacy.data.granted')}
              {locale === 'en' ? ': ' : '：'}
              {purposeNames(g.granted, locale)} · {g.noticeVersion} ·{' '}
              <code title={g.noticeHash}>{hashPrefix(g.noticeHash)}</code>
              <NoticeWords hash={g.noticeHash} context={`${g.noticeVersion} · ${formatTime(g.at, locale)}`} />
            </li>
          ))}
        </ul>
      )}

      <h3>{t('privacy.data.profile')}</h3>
      <dl class="privacy-fields" data-testid="privacy-profile">
        <dt>{t('privacy.data.ageBand')}</dt>
        <dd>{data.profile.ageBand ? ageBandName(data.profile.ageBand) : t('privacy.data.notDeclared')}</dd>
        <dt>{t('privacy.data.personalisation')}</dt>
        <dd>{yesNo(data.profile.personalisation)}</dd>
        <dt>{t('privacy.personalisation.childAge')}</dt>
        <dd>{data.profile.childAgeBand ? t(`privacy.personalisation.childAgeBands.${data.profile.childAgeBand as ChildAgeBand}`) : t('privacy.data.notDeclared')}</dd>
        <dt>{t('privacy.personalisation.cityTier')}</dt>
        <dd>{data.profile.cityTier ? t(`privacy.personalisation.cityTiers.${data.profile.cityTier as CityTier}`) : t('privacy.data.notDeclared')}</dd>
      </dl>

      <RecordList title={t('privacy.data.events')} records={data.events} text={text} testId="privacy-events" />
      <RecordList title={t('privacy.data.feedback')} records={data.feedback} text={text} testId="privacy-feedback" />
      <RecordList title={t('privacy.data.tags')} records={data.tags} text={text} testId="privacy-data-tags" />
      {tickets && <RecordList title={t('privacy.data.tickets')} records={tickets} text={text} testId="privacy-data-tickets" />}

      <h3>{t('privacy.data.pseudonyms')}</h3>
      <p data-testid="privacy-pseudonyms" data-count={data.pseudonyms.length}>
        {t('privacy.data.pseudonymCount', { count: data.pseudonyms.length })}
      </p>

      <RecordList
        title={t('privacy.data.assistantMemory')}
        describe={t('privacy.data.assistantMemoryNote')}
        records={memory}
        text={text}
        testId="privacy-assistant-memory"
      />

      {otherCategories(data, locale).map((other) => (
        <RecordList key={other.category} title={other.label} describe={other.describe} records={other.records} text={text} testId="privacy-other" category={other.category} />
      ))}
    </div>
  );
}

/** A generic list of records: a count, then each record's fields in words. */
function RecordList(props: { title: string; describe?: string | null; records: readonly unknown[]; text: RecordText; testId: string; category?: string }): JSX.Element {
  return (
    <>
      <h3>
        {props.title} <small class="muted">{t('privacy.data.count', { count: props.records.length })}</small>
      </h3>
      {props.describe && <p class="muted">{props.describe}</p>}
      {props.records.length === 0 ? (
        <p class="muted" data-testid={props.testId} data-count="0" data-category={props.category}>
          {t('privacy.none')}
        </p>
      ) : (
        <ol class="privacy-records" data-testid={props.testId} data-count={props.records.length} data-category={props.category}>
          {props.records.map((record, i) => (
            <li key={i}>
              <RecordFields fields={recordFields(record, props.text)} />
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

/** A record's fields, each named; a record inside it (a payload, a list of receipts) as fields of its own. */
function RecordFields({ fields }: { fields: readonly FieldView[] }): JSX.Element {
  return (
    <dl class="privacy-fields">
      {fields.map((field) => (
        <Fragment key={field.key}>
          <dt data-field={field.key} class={'text' in field ? undefined : 'privacy-field-group'}>
            {field.label}
          </dt>
          <dd class={'text' in field ? undefined : 'privacy-field-group'}>
            {'text' in field ? (
              field.text
            ) : 'record' in field ? (
              <RecordFields fields={field.record} />
            ) : (
              <ol class="privacy-records">
                {field.records.map((inner, i) => (
                  <li key={i}>
                    <RecordFields fields={inner} />
                  </li>
                ))}
              </ol>
            )}
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}

// ---- A3: tags ----

function tagLabel(tag: string): string {
  const { kind, value } = splitTag(tag);
  return kind === 'category' ? categoryLabel(value) : tag;
}

function TagsSection({ deviceId, onChange }: { deviceId: string; onChange: () => void }): JSX.Element {
  const [tags, setTags] = useState<InterestTag[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const load = (): void => {
    getTags(deviceId).then((r) => setTags(r.items), setError);
  };
  useEffect(load, [deviceId]);

  const remove = async (tag: string): Promise<void> => {
    setError(null);
    try {
      await deleteTag(deviceId, tag);
      setConfirming(null);
      setNotice(t('privacy.tags.deleted', { tag: tagLabel(tag) }));
      load();
      onChange();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Section id="privacy-tags" title={t('privacy.tags.title')} testId="privacy-tags">
      <p>{t('privacy.tags.intro')}</p>
      {error !== null && <ProblemMessage error={error} />}
      <p role="status" class="muted">
        {notice}
      </p>
      {!tags && error === null && <Spinner />}
      {tags && tags.length === 0 && <p class="muted">{t('privacy.tags.empty')}</p>}
      {tags && tags.length > 0 && (
        <ul class="privacy-list">
          {tags.map((tag) => (
            <li key={tag.tag} class="privacy-tag" data-testid="privacy-tag" data-tag={tag.tag}>
              <span>
                <span class="badge badge-category">{tagLabel(tag.tag)}</span> <span class="muted">{t('privacy.tags.weight', { weight: tag.weight })}</span>
              </span>
              {confirming === tag.tag ? (
                <span class="privacy-confirm" role="group" aria-label={t('privacy.tags.confirm', { tag: tagLabel(tag.tag) })}>
                  <span>{t('privacy.tags.confirm', { tag: tagLabel(tag.tag) })}</span>
                  <button type="button" class="btn btn-danger btn-small" onClick={() => void remove(tag.tag)} data-testid="privacy-tag-delete-confirm">
                    {t('privacy.tags.delete')}
                  </button>
                  <button type="button" class="btn btn-ghost btn-small" onClick={() => setConfirming(null)}>
                    {t('privacy.erase.cancel')}
                  </button>
                </span>
              ) : (
                <button
                  type="button"
                  class="btn btn-secondary btn-small"
                  aria-label={t('privacy.tags.deleteLabel', { tag: tagLabel(tag.tag) })}
                  onClick={() => setConfirming(tag.tag)}
                  data-testid="privacy-tag-delete"
                >
                  {t('privacy.tags.delete')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

// ---- A1: personalisation ----

function PersonalisationSection({ deviceId, brandId }: { deviceId: string; brandId: string }): JSX.Element {
  const [profile, setProfile] = useState<ProfileView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    getProfile(deviceId, brandId).then(setProfile, setError);
  }, [deviceId, brandId]);

  const declareChildAge = async (band: ChildAgeBand | null): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setProfile(await setChildAge(deviceId, brandId, band));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const declareCityTier = async (tier: CityTier | null): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setProfile(await setCityTier(deviceId, brandId, tier));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const toggle = async (on: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setProfile(await setPersonalisation(deviceId, brandId, on));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section id="privacy-personalisation" title={t('privacy.personalisation.title')}>
      {error !== null && <ProblemMessage error={error} />}
      {!profile && error === null && <Spinner />}
      {profile && (
        <>
          <div class="privacy-switch-row">
            <label for="personalisation-switch">{t('privacy.personalisation.label')}</label>
            <input
              id="personalisation-switch"
              type="checkbox"
              role="switch"
              class="switch"
              checked={profile.personalisation}
              disabled={busy}
              aria-describedby="personalisation-explain"
              data-testid="personalisation-switch"
              onChange={(event) => void toggle(event.currentTarget.checked)}
            />
            <span aria-hidden="true">{profile.personalisation ? t('privacy.data.on') : t('privacy.data.off')}</span>
          </div>
          <p id="personalisation-explain" class="muted">
            {t('privacy.personalisation.explain')}
            {profile.minorsMode && ` ${t('privacy.personalisation.minors')}`}
          </p>
          <p role="status" class="visually-hidden">
            {profile.personalisation ? t('privacy.personalisation.nowOn') : t('privacy.personalisation.nowOff')}
          </p>
          <div class="privacy-switch-row">
            <label for="child-age-band">{t('privacy.personalisation.childAge')}</label>
            <select
              id="child-age-band"
              data-testid="child-age-band"
              value={profile.childAgeBand ?? ''}
              disabled={busy}
              aria-describedby="child-age-explain"
              onChange={(event) => void declareChildAge(event.currentTarget.value === '' ? null : (event.currentTarget.value as ChildAgeBand))}
            >
              <option value="">{t('privacy.personalisation.childAgeNone')}</option>
              {CHILD_AGE_BANDS.map((band) => (
                <option value={band} key={band}>
                  {t(`privacy.personalisation.childAgeBands.${band}`)}
                </option>
              ))}
            </select>
          </div>
          <p id="child-age-explain" class="muted">
            {t('privacy.personalisation.childAgeExplain')}
          </p>
          <div class="privacy-switch-row">
            <label for="city-tier">{t('privacy.personalisation.cityTier')}</label>
            <select
              id="city-tier"
              data-testid="city-tier"
              value={profile.cityTier ?? ''}
              disabled={busy}
              aria-describedby="city-tier-explain"
              onChange={(event) => void declareCityTier(event.currentTarget.value === '' ? null : (event.currentTarget.value as CityTier))}
            >
              <option value="">{t('privacy.personalisation.cityTierNone')}</option>
              {CITY_TIERS.map((tier) => (
                <option value={tier} key={tier}>
                  {t(`privacy.personalisation.cityTiers.${tier}`)}
                </option>
              ))}
            </select>
          </div>
          <p id="city-tier-explain" class="muted">
            {t('privacy.personalisation.cityTierExplain')}
          </p>
        </>
      )}
    </Section>
  );
}

// ---- R3: requests ----

function TicketsSection({ deviceId, onChange }: { deviceId: string; onChange: () => void }): JSX.Element {
  const [tickets, setTickets] = useState<ViewerTicket[] | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [kind, setKind] = useState<TicketKind>('access');
  const [details, setDetails] = useState('');
  const [fieldError, setFieldError] = useState<'required' | 'tooLong' | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const [notice, setNotice] = useState('');
  const locale = currentLocale();
  const load = (): void => {
    getTickets(deviceId).then((r) => setTickets(r.items), setListError);
  };
  useEffect(load, [deviceId]);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (submitting) return;
    const found = ticketDetailsError(details);
    setFieldError(found);
    if (found) return;
    setSubmitting(true);
    setFailure(null);
    try {
      await fileTicket(deviceId, { kind, details: details.trim(), locale });
      setDetails('');
      setNotice(t('privacy.tickets.filed'));
      load();
      onChange();
    } catch (e) {
      setFailure(e);
    } finally {
      setSubmitting(false);
    }
  };

  const used = detailsLength(details);
  const described = ['ticket-details-hint', 'ticket-details-counter', fieldError ? 'ticket-details-error' : ''].filter(Boolean).join(' ');
  return (
    <Section id="privacy-tickets" title={t('privacy.tickets.title')}>
      <p>{t('privacy.tickets.intro')}</p>
      <form onSubmit={submit} noValidate data-testid="ticket-form">
        <div class="field">
          <label for="ticket-kind">{t('privacy.tickets.kind')}</label>
          <select id="ticket-kind" class="input" value={kind} data-testid="ticket-kind" onChange={(e) => setKind(e.currentTarget.value as TicketKind)}>
            {TICKET_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`privacy.tickets.kinds.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="ticket-details">{t('privacy.tickets.details')}</label>
          <textarea
            id="ticket-details"
            class="input"
            rows={4}
            maxLength={DETAILS_MAX}
            value={details}
            aria-invalid={fieldError ? 'true' : 'false'}
            aria-describedby={described}
            data-testid="ticket-details"
            onInput={(e) => setDetails(e.currentTarget.value)}
          />
          <span class="field-hint" id="ticket-details-hint">
            {t('privacy.tickets.detailsHint')}
          </span>
          <span class={`field-hint ${used > DETAILS_MAX ? 'field-error' : ''}`} id="ticket-details-counter" data-testid="ticket-details-counter">
            {t('privacy.tickets.counter', { used, max: DETAILS_MAX })}
          </span>
          {fieldError && (
            <span class="field-error" id="ticket-details-error">
              {t(`privacy.tickets.${fieldError}`, { max: DETAILS_MAX })}
            </span>
          )}
        </div>
        {failure !== null && <ProblemMessage error={failure} />}
        <button type="submit" class="btn btn-primary" disabled={submitting} data-testid="ticket-submit">
          {submitting ? t('privacy.tickets.submitting') : t('privacy.tickets.submit')}
        </button>
        <p role="status" class="muted">
          {notice}
        </p>
      </form>
      {listError !== null && <ProblemMessage error={listError} />}
      {!tickets && listError === null && <Spinner />}
      {tickets && tickets.length === 0 && <p class="muted">{t('privacy.tickets.empty')}</p>}
      {tickets && tickets.length > 0 && (
        <ul class="privacy-list" data-testid="ticket-list">
          {tickets.map((ticket) => (
            <li key={ticket.id} data-testid="ticket-item" data-status={ticket.status} data-kind={ticket.kind}>
              <p>
                <strong>{t(`privacy.tickets.kinds.${ticket.kind}`)}</strong>{' '}
                <span class={`badge ${ticket.status === 'rejected' ? 'badge-sold-out' : ticket.status === 'completed' ? 'badge-ok' : 'badge-scheduled'}`}>
                  {t(`privacy.tickets.status.${ticket.status}`)}
                </span>{' '}
                <small class="muted">{t('privacy.tickets.reference', { id: ticket.id })}</small>
              </p>
              <p class="muted">
                {t('privacy.tickets.filedAt', { time: formatTime(ticket.createdAt, locale) })} · {t('privacy.tickets.dueAt', { time: formatTime(ticket.dueAt, locale) })}
                {ticket.closedAt !== null && ` · ${t('privacy.tickets.closedAt', { time: formatTime(ticket.closedAt, locale) })}`}
              </p>
              {ticket.details !== null && <p class="privacy-pre">{ticket.details}</p>}
              {ticket.detailsErased && <p class="muted">{t('privacy.tickets.detailsErased')}</p>}
              {/* The officer's reason or note is written for the viewer: a rejection always has one, a completion may. */}
              {ticket.status !== 'open' && ticket.reason && (
                <p data-testid="ticket-reason">{ticket.status === 'rejected' ? t('privacy.tickets.reason', { reason: ticket.reason }) : t('privacy.tickets.completionNote', { reason: ticket.reason })}</p>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

// ---- erasure ----

function EraseSection({ deviceId, onErased }: { deviceId: string; onErased: (report: ErasureReport) => void }): JSX.Element {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const erase = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const report = await eraseAll(deviceId);
      // The erased id is not used again: the next visit starts afresh.
      forgetDeviceId();
      onErased(report);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Section id="privacy-erase" title={t('privacy.erase.title')}>
      <p>{t('privacy.erase.deleted')}</p>
      <p>{t('privacy.erase.retainedTitle')}</p>
      <ul>
        <li>{t('privacy.erase.retainedConsent')}</li>
        <li>{t('privacy.erase.retainedOrders')}</li>
      </ul>
      {error !== null && <ProblemMessage error={error} />}
      {!confirming ? (
        <button type="button" class="btn btn-danger" onClick={() => setConfirming(true)} data-testid="erase-button">
          {t('privacy.erase.button')}
        </button>
      ) : (
        <div class="privacy-confirm" role="group" aria-labelledby="erase-confirm-text">
          <p id="erase-confirm-text">
            <strong>{t('privacy.erase.confirmText')}</strong>
          </p>
          <button type="button" class="btn btn-danger-solid" disabled={busy} onClick={() => void erase()} data-testid="erase-confirm">
            {busy ? t('privacy.erase.erasing') : t('privacy.erase.confirm')}
          </button>{' '}
          <button type="button" class="btn btn-ghost" disabled={busy} onClick={() => setConfirming(false)} data-testid="erase-cancel">
            {t('privacy.erase.cancel')}
          </button>
        </div>
      )}
    </Section>
  );
}

function ErasureReportView({ report, sections }: { report: ErasureReport; sections: ExportSections }): JSX.Element {
  const locale = currentLocale();
  const lines = erasureLines(report, sections, locale);
  return (
    <section class="card privacy-section" aria-labelledby="erase-report-title" data-testid="erase-report" role="status">
      <h2 id="erase-report-title">{t('privacy.erase.reportTitle')}</h2>
      <ul>
        <li data-testid="erase-report-events" data-count={report.eventsDeleted}>
          {t('privacy.erase.events', { count: report.eventsDeleted })}
        </li>
        <li data-testid="erase-report-tags" data-count={report.tagsDeleted}>
          {t('privacy.erase.tags', { count: report.tagsDeleted })}
        </li>
        <li>{t('privacy.erase.profile', { count: report.profileRowsDeleted })}</li>
        <li>{t('privacy.erase.pseudonyms', { count: report.pseudonymsDeleted })}</li>
        {lines.deleted.map(({ category, label, count }) => (
          <li key={category} data-testid="erase-report-source" data-category={category} data-count={count}>
            {t('privacy.erase.bySource', { category: label, count })}
          </li>
        ))}
        <li data-testid="erase-report-key" data-destroyed={String(report.dataKeyDestroyed)}>
          {report.dataKeyDestroyed ? t('privacy.erase.keyDestroyed') : t('privacy.erase.keyNotDestroyed')}
        </li>
      </ul>
      {lines.retained.length > 0 && (
        <>
          <h3>{t('privacy.erase.retainedAfter')}</h3>
          <ul>
            {lines.retained.map((r) => (
              <li key={r.category} data-testid="erase-report-retained" data-category={r.category}>
                {r.label !== null && `${r.label}${locale === 'en' ? ': ' : '：'}`}
                {r.why}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
