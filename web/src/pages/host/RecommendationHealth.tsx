/**
 * The host console's "recommendation health" panel: the model version and how many updates it has
 * learned, this session's impressions, the exploration and personalised shares, and per product the
 * impressions, click-through and add-to-cart rates. Names come from the room state; figures from
 * GET /recommendations/health, fetched again every 10 s. A failed refresh is shown, the last figures
 * stay and it is tried again; a refusal (401 signed out, 403 not allowed) stops the refreshes and
 * says so, since asking again would get the same answer.
 */
import type { JSX } from 'preact';
import { pick, t } from '../../i18n/index.ts';
import { ProblemMessage } from '../../ui/components.tsx';
import type { RoomState } from '../../ui/contract.ts';
import { formatClock, formatCount } from '../../ui/format.ts';
import { loginUrl } from '../../ui/location.ts';
import { fetchHealth, formatShare, parseModelVersion } from '../../ui/recommendations.ts';
import { useRefreshing } from './use-refreshing.ts';
import './recommendation-health.css';

export const HEALTH_REFRESH_MS = 10_000;

export function RecommendationHealth({ sessionId, state }: { sessionId: string; state: RoomState }): JSX.Element {
  const view = useRefreshing(`health:${sessionId}`, () => fetchHealth(sessionId), { intervalMs: HEALTH_REFRESH_MS });
  const { data: health, error, updatedAt, refused } = view;

  const names = new Map(state.products.map((p) => [p.id, pick(p.name)]));
  const rows = health ? [...health.products].sort((a, b) => b.impressions - a.impressions || a.productId.localeCompare(b.productId)) : [];

  return (
    <section
      class="card panel recs-health"
      aria-labelledby="recs-health-title"
      data-testid="host-recs-health"
      data-slot="recommendation-health"
      data-model-version={health?.modelVersion}
      data-updates={health?.updates}
    >
      <div class="panel-head">
        <h2 id="recs-health-title">{t('recs.health.title')}</h2>
        {updatedAt !== null && (
          <span class="muted recs-health-time">
            {refused === null ? t('recs.health.refreshed', { time: formatClock(updatedAt) }) : t('recs.health.stoppedAt', { time: formatClock(updatedAt) })}
          </span>
        )}
      </div>
      {refused !== null ? (
        <div class="recs-health-stopped" role="alert" data-testid="host-recs-stopped" data-status={refused.status}>
          <p>
            {refused.status === 401 ? t('recs.health.signedOut') : t('recs.health.forbidden')}
            <span class="problem-code"> {t('errors.codeLabel', { code: refused.code })}</span>
          </p>
          {refused.status === 401 && (
            <a href={loginUrl(`${location.pathname}${location.search}`)} data-testid="host-recs-sign-in">
              {t('recs.health.signInAgain')}
            </a>
          )}
        </div>
      ) : (
        error !== null && (
          <div role="alert">
            <p class="muted">{t('recs.health.failed')}</p>
            <ProblemMessage error={error} />
          </div>
        )
      )}
      {health === null && error === null && <p class="muted">{t('common.loading')}</p>}
      {health && (
        <>
          <dl class="recs-health-figures">
            <div>
              <dt>{t('recs.health.modelVersion')}</dt>
              <dd data-testid="host-recs-model-version" data-version={health.modelVersion}>
                <ModelName version={health.modelVersion} />
              </dd>
            </div>
            <div>
              <dt>{t('recs.health.updates')}</dt>
              <dd data-testid="host-recs-updates" data-count={health.updates}>
                {formatCount(health.updates)}
              </dd>
            </div>
            <div>
              <dt>{t('recs.health.impressions')}</dt>
              <dd data-testid="host-recs-impressions" data-count={health.impressions}>
                {formatCount(health.impressions)}
              </dd>
            </div>
            <div>
              <dt>{t('recs.health.explorationShare')}</dt>
              <dd>{formatShare(health.explorationShare)}</dd>
            </div>
            <div>
              <dt>{t('recs.health.personalisedShare')}</dt>
              <dd>{formatShare(health.personalisedShare)}</dd>
            </div>
          </dl>
          {rows.length === 0 ? (
            <p class="muted">{t('recs.health.empty')}</p>
          ) : (
            <div class="table-wrap">
              <table class="recs-health-table">
                <thead>
                  <tr>
                    <th scope="col">{t('recs.health.product')}</th>
                    <th scope="col" class="num">
                      {t('recs.health.impressions')}
                    </th>
                    <th scope="col" class="num">
                      {t('recs.health.ctr')}
                    </th>
                    <th scope="col" class="num">
                      {t('recs.health.cartRate')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.productId} data-testid="host-recs-row" data-product-id={row.productId}>
                      <th scope="row">{names.get(row.productId) ?? row.productId}</th>
                      <td class="num">{formatCount(row.impressions)}</td>
                      <td class="num">{formatShare(row.ctr)}</td>
                      <td class="num">{formatShare(row.cartRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** The model by name ("线性 Bandit（第 3 版设计）"), with the version the server sent beneath it for support. */
function ModelName({ version }: { version: string }): JSX.Element {
  const parts = parseModelVersion(version);
  if (parts.family === 'other' || parts.design === null) return <code>{version}</code>;
  return (
    <>
      <span data-testid="host-recs-model-name">{t(`recs.health.modelName.${parts.family}`, { design: parts.design })}</span>
      <br />
      <small class="muted">
        {t('recs.health.modelTechnical')}: <code data-testid="host-recs-model-technical">{parts.technical}</code>
      </small>
    </>
  );
}
