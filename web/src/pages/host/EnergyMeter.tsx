/**
 * The host console's live energy meter for the session being hosted: energy (Wh) and carbon
 * (gCO₂e) so far, per 1,000 recommendations and per live hour, with the method that produced them
 * and the grid factor's value, year and source (on hover, and in a details element for keyboard and
 * screen-reader users). Fetched on mount and every 10 s; a failed refresh is shown and the last
 * figures stay. Figures are location-based: certificates and offsets never reduce them.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentLocale, pick, t } from '../../i18n/index.ts';
import { ApiError, apiRequest } from '../../ui/api.ts';
import { ProblemMessage } from '../../ui/components.tsx';
import { energyMethodLabel, formatCarbonG, formatDecimal, formatEnergyWh, formatFactor, sessionEnergyPath, sessionTime, type Quantity, type SessionEnergy } from '../../ui/energy.ts';
import { formatClock, formatCount, formatDateTime } from '../../ui/format.ts';

export const ENERGY_METER_REFRESH_MS = 10_000;

/** Live time in minutes below an hour, else in hours. */
export function durationText(hours: number): string {
  const time = sessionTime(hours, currentLocale());
  return time.unit === 'minutes' ? t('common.minutes', { n: time.n }) : t('energy.hoursValue', { n: time.n });
}

const FIGURES_STYLE = { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))', gap: '10px 16px', margin: '0 0 12px' } as const;
const DT_STYLE = { fontSize: '13px', color: 'var(--muted)' } as const;
const DD_STYLE = { margin: '2px 0 0', fontSize: '17px', fontWeight: 700, fontVariantNumeric: 'tabular-nums', overflowWrap: 'anywhere' } as const;

function Figure(props: { label: string; quantity: Quantity | string; title?: string; testId: string; data?: Record<string, string | number | null> }): JSX.Element {
  const text = typeof props.quantity === 'string' ? props.quantity : props.quantity.text;
  const data = Object.fromEntries(Object.entries(props.data ?? {}).map(([k, v]) => [`data-${k}`, v ?? '']));
  return (
    <div>
      <dt style={DT_STYLE}>{props.label}</dt>
      <dd style={DD_STYLE} title={props.title} data-testid={props.testId} {...data}>
        {text}
      </dd>
    </div>
  );
}

export function EnergyMeter({ sessionId }: { sessionId: string }): JSX.Element {
  const [energy, setEnergy] = useState<SessionEnergy | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);

  useEffect(() => {
    let current = true;
    const load = (): void => {
      const mine = ++generation.current; // an older answer must not overwrite a newer one
      apiRequest<SessionEnergy>('GET', sessionEnergyPath(sessionId)).then(
        (fetched) => {
          if (!current || mine !== generation.current) return;
          setEnergy(fetched);
          setError(null);
        },
        (failure: unknown) => {
          if (!current || mine !== generation.current) return;
          setError(failure);
          // Refused (a role that may not see it): asking again every 10 s would not change that.
          if (failure instanceof ApiError && failure.status === 403) clearInterval(timer);
        },
      );
    };
    const timer = setInterval(load, ENERGY_METER_REFRESH_MS);
    load();
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [sessionId]);

  const refused = error instanceof ApiError && error.status === 403;
  const locale = currentLocale();
  const factor = energy ? formatFactor(energy.gridFactor.value, locale) : '';
  // Every figure says, on hover, which method and which factor (with its year and source) made it.
  const title = energy ? t('energy.meter.figureTitle', { method: energyMethodLabel(energy.method), value: factor, year: energy.gridFactor.year, source: energy.gridFactor.source }) : '';
  const perHour = energy && energy.gPerSessionHour !== null ? t('energy.perHourValue', { value: formatCarbonG(energy.gPerSessionHour, locale).text }) : '—';

  return (
    <section
      class="card panel"
      aria-labelledby="host-energy-title"
      data-testid="host-energy-meter"
      data-slot="energy-meter"
      data-live={energy ? String(energy.live) : undefined}
      data-recommendations={energy?.recommendations}
      data-energy-wh={energy?.energyWh}
      data-carbon-g={energy?.carbonG}
    >
      <div class="panel-head">
        <h2 id="host-energy-title">{t('energy.meter.title')}</h2>
        {energy && (
          <span class="tag-row" style={{ alignItems: 'center' }}>
            <span class={energy.live ? 'badge badge-live' : 'badge badge-ended'} data-testid="host-energy-live">
              {energy.live ? t('energy.meter.live') : t('energy.meter.notLive')}
            </span>
            <span class="muted" style={{ fontSize: '13px' }}>
              {t('energy.meter.refreshed', { time: formatClock(energy.at) })}
            </span>
          </span>
        )}
      </div>
      <p class="muted">{t('energy.meter.note')}</p>

      {error !== null && (
        <div data-testid="host-energy-problem">
          {!refused && <p class="muted">{t('energy.meter.failed')}</p>}
          <ProblemMessage error={error} />
        </div>
      )}
      {energy === null && error === null && <p class="muted">{t('common.loading')}</p>}
      {energy && (
        <>
          <dl style={FIGURES_STYLE}>
            <Figure label={t('energy.meter.energy')} quantity={formatEnergyWh(energy.energyWh, locale)} title={title} testId="host-energy-wh" data={{ wh: energy.energyWh }} />
            <Figure label={t('energy.meter.carbon')} quantity={formatCarbonG(energy.carbonG, locale)} title={title} testId="host-energy-carbon" data={{ g: energy.carbonG }} />
            <Figure
              label={t('energy.meter.whPer1000')}
              quantity={formatEnergyWh(energy.whPer1000Recommendations, locale)}
              title={title}
              testId="host-energy-wh-per-1000"
              data={{ wh: energy.whPer1000Recommendations }}
            />
            <Figure
              label={t('energy.meter.gPer1000')}
              quantity={formatCarbonG(energy.gPer1000Recommendations, locale)}
              title={title}
              testId="host-energy-g-per-1000"
              data={{ g: energy.gPer1000Recommendations }}
            />
            <Figure label={t('energy.meter.gPerHour')} quantity={perHour} title={title} testId="host-energy-g-per-hour" data={{ g: energy.gPerSessionHour }} />
            <Figure
              label={t('energy.meter.recommendations')}
              quantity={formatCount(energy.recommendations)}
              testId="host-energy-recommendations"
              data={{ count: energy.recommendations }}
            />
          </dl>
          {energy.whPer1000Recommendations === null && (
            <p class="muted" data-testid="host-energy-no-recommendations">
              {t('energy.meter.noRecommendations')}
            </p>
          )}
          <p class="muted" style={{ fontSize: '13px' }}>
            {t('energy.meter.since', { time: formatDateTime(energy.since) })}
            {' · '}
            {t('energy.meter.sessionHours')} {durationText(energy.sessionHours)}
          </p>
          <p class="muted" style={{ fontSize: '13px', overflowWrap: 'anywhere' }} data-testid="host-energy-method" data-method={energy.method}>
            {t('energy.meter.method', { method: energyMethodLabel(energy.method) })}
          </p>
          <details data-testid="host-energy-factor" data-year={energy.gridFactor.year} data-region={energy.region.id}>
            <summary>{t('energy.meter.factorSummary', { value: factor, year: energy.gridFactor.year })}</summary>
            <dl style={{ ...FIGURES_STYLE, margin: '8px 0 0' }}>
              <div>
                <dt style={DT_STYLE}>{t('energy.meter.region')}</dt>
                <dd style={{ margin: '2px 0 0' }}>{pick(energy.region.name)}</dd>
              </div>
              <div>
                <dt style={DT_STYLE}>{t('energy.meter.factor')}</dt>
                <dd style={{ margin: '2px 0 0' }} data-testid="host-energy-factor-value">
                  {factor}
                </dd>
              </div>
              <div>
                <dt style={DT_STYLE}>{t('energy.meter.factorYear')}</dt>
                <dd style={{ margin: '2px 0 0' }} data-testid="host-energy-factor-year">
                  {energy.gridFactor.year}
                </dd>
              </div>
              <div>
                <dt style={DT_STYLE}>{t('energy.meter.pue')}</dt>
                <dd style={{ margin: '2px 0 0' }}>{formatDecimal(energy.pue, locale)}</dd>
              </div>
              <div style={{ gridColumn: '1 / -1' }}>
                <dt style={DT_STYLE}>{t('energy.meter.source')}</dt>
                <dd style={{ margin: '2px 0 0', overflowWrap: 'anywhere' }} lang="en" data-testid="host-energy-factor-source">
                  {energy.gridFactor.source}
                </dd>
              </div>
            </dl>
            <p class="muted" style={{ fontSize: '13px' }}>
              {t('energy.locationBased')}
            </p>
          </details>
        </>
      )}
    </section>
  );
}
