/**
 * The notice that a room includes a simulated audience (demo mode only; LC4: simulated traffic is
 * labelled wherever it appears). It asks the server, which remembers the rooms simulated requests
 * touched in the last ten minutes, on mount and every 30 s; a failed check shows nothing new.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n/index.ts';
import { apiRequest } from './api.ts';

export const SIMULATION_REFRESH_MS = 30_000;

interface SimulationStatus {
  mode: 'demo' | 'production';
  simulated: boolean;
  since: number | null;
}

export function SimulatedAudienceNotice({ sessionId }: { sessionId: string }): JSX.Element | null {
  const [status, setStatus] = useState<SimulationStatus | null>(null);
  useEffect(() => {
    let current = true;
    const load = (): void => {
      apiRequest<SimulationStatus>('GET', `/api/v1/sessions/${encodeURIComponent(sessionId)}/simulation`).then(
        (s) => {
          if (current) setStatus(s);
        },
        () => undefined,
      );
    };
    load();
    const timer = setInterval(load, SIMULATION_REFRESH_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [sessionId]);
  if (!status?.simulated) return null;
  return (
    <p class="simulated-notice" role="note" data-testid="simulated-notice">
      <strong>{t('common.simulated.title')}</strong> {t('common.simulated.body')}
    </p>
  );
}
