/**
 * The host console's "experiments in this room" panel: every experiment whose definition covers this
 * session (it names the room, or names none and belongs to the room's brand), running ones first,
 * with its status, a simulated badge, the latest verdict of each treatment arm and a link to its page.
 * Fetched again every 30 s (the verdicts change only at the server's scheduled looks).
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pick, t } from '../../i18n/index.ts';
import { ProblemMessage } from '../../ui/components.tsx';
import {
  byRelevance,
  coversSession,
  experimentBadgeClass,
  experimentPageHref,
  fetchExperimentReport,
  listExperiments,
  type ExperimentReport,
  type ExperimentView,
} from '../../ui/experiments.ts';
import { formatClock } from '../../ui/format.ts';

export const ROOM_EXPERIMENTS_REFRESH_MS = 30_000;
/** At most this many experiments are listed (and their reports fetched). */
const MAX_SHOWN = 10;

interface Row {
  experiment: ExperimentView;
  /** The latest look's verdicts, one per treatment arm; null when it has none (or it failed to load). */
  verdicts: { treatment: string; name: string; text: { zh: string; en: string } }[] | null;
}

async function loadRows(sessionId: string, brandId: string): Promise<Row[]> {
  const { items } = await listExperiments({ brandId });
  const covering = items.filter((e) => coversSession(e, sessionId, brandId)).sort(byRelevance).slice(0, MAX_SHOWN);
  const reports = await Promise.all(
    covering.map((e) => (e.status === 'draft' ? Promise.resolve(null) : fetchExperimentReport(e.id).catch((): ExperimentReport | null => null))),
  );
  return covering.map((experiment, i) => {
    const latest = reports[i]?.latest ?? null;
    const name = (arm: string): string => experiment.definition.arms.find((a) => a.id === arm)?.name ?? arm;
    return { experiment, verdicts: latest ? latest.comparisons.map((c) => ({ treatment: c.treatment, name: name(c.treatment), text: c.verdict.text })) : null };
  });
}

export function RoomExperiments({ sessionId, brandId }: { sessionId: string; brandId: string }): JSX.Element {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);

  useEffect(() => {
    let current = true;
    const load = (): void => {
      loadRows(sessionId, brandId).then(
        (loaded) => {
          if (!current) return;
          setRows(loaded);
          setError(null);
          setUpdatedAt(Date.now());
        },
        (failure: unknown) => {
          if (current) setError(failure);
        },
      );
    };
    load();
    const timer = setInterval(load, ROOM_EXPERIMENTS_REFRESH_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [sessionId, brandId]);

  return (
    <section class="card panel" aria-labelledby="room-experiments-title" data-testid="host-experiments" data-slot="room-experiments">
      <div class="panel-head">
        <h2 id="room-experiments-title">{t('host.experiments.title')}</h2>
        {updatedAt !== null && <span class="muted">{t('host.experiments.refreshed', { time: formatClock(updatedAt) })}</span>}
      </div>
      {error !== null && (
        <div role="alert">
          <p class="muted">{t('host.experiments.failed')}</p>
          <ProblemMessage error={error} />
        </div>
      )}
      {rows === null && error === null && <p class="muted">{t('common.loading')}</p>}
      {rows !== null &&
        (rows.length === 0 ? (
          <p class="muted" data-testid="host-experiments-empty">
            {t('host.experiments.empty')}
          </p>
        ) : (
          <div class="table-wrap">
            <table class="product-table">
              <caption class="visually-hidden">{t('host.experiments.caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('host.experiments.columns.name')}</th>
                  <th scope="col">{t('host.experiments.columns.status')}</th>
                  <th scope="col">{t('host.experiments.columns.verdict')}</th>
                  <th scope="col">{t('host.experiments.columns.link')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ experiment, verdicts }) => (
                  <tr key={experiment.id} data-testid="host-experiment-row" data-experiment-id={experiment.id} data-status={experiment.status}>
                    <th scope="row">
                      {experiment.name}
                      {experiment.definition.sessionIds.length === 0 && <span class="muted"> · {t('host.experiments.allRooms')}</span>}
                    </th>
                    <td>
                      <span class="tag-row">
                        <span class={experimentBadgeClass(experiment.status)} data-status={experiment.status}>
                          {t(`experiment.statuses.${experiment.status}`)}
                        </span>
                        {experiment.simulated && (
                          <span class="badge badge-flash" data-testid="host-experiment-simulated">
                            {t('experiment.simulated')}
                          </span>
                        )}
                      </span>
                    </td>
                    <td data-testid="host-experiment-verdict">
                      {verdicts === null || verdicts.length === 0 ? (
                        <span class="muted">{experiment.status === 'draft' ? t('experiment.statuses.draft') : t('host.experiments.noVerdict')}</span>
                      ) : (
                        verdicts.map((v) => (
                          <div key={v.treatment}>{verdicts.length > 1 ? t('host.experiments.verdictOf', { name: v.name, verdict: pick(v.text) }) : pick(v.text)}</div>
                        ))
                      )}
                    </td>
                    <td>
                      <a
                        href={experimentPageHref(experiment.id)}
                        data-testid="host-experiment-link"
                        aria-label={t('host.experiments.openLabel', { name: experiment.name })}
                      >
                        {t('host.experiments.open')}
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </section>
  );
}
