/**
 * A/B experiments on the pages: the server's contract (src/modules/experiments/contract.ts, types
 * only, nothing from the server is bundled), the calls, and the small rules the experiment page, the
 * host console's "experiments in this room" panel and the compliance console share.
 */
import { apiRequest } from './api.ts';
import type { ExperimentReport, ExperimentStatus, ExperimentView } from '../../../src/modules/experiments/contract.ts';

export type {
  ArmPolicyName,
  ArmReport,
  ArmSummary,
  Bilingual,
  Comparison,
  DefinitionView,
  ExperimentReport,
  ExperimentStatus,
  ExperimentView,
  GuardrailResult,
  IntervalView,
  LookAnalysis,
  StopReasonCode,
  Verdict,
  VerdictKind,
} from '../../../src/modules/experiments/contract.ts';

/** The same list as the server's (kept here so nothing from the server is bundled; the type checks they match). */
export const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped', 'completed'] as const satisfies readonly ExperimentStatus[];
export type ExperimentStatusFilter = ExperimentStatus | 'all';

/** Roles that may start and stop experiments (the server checks again). */
export const EXPERIMENT_OPERATORS: readonly string[] = ['admin', 'host'];
export const canOperateExperiments = (role: string): boolean => EXPERIMENT_OPERATORS.includes(role);

const enc = encodeURIComponent;
export const experimentApiPath = (id: string): string => `/api/v1/experiments/${enc(id)}`;
/** The experiment's page (the server serves /experiments/:id → experiment.html). */
export const experimentPageHref = (id: string): string => `/experiments/${enc(id)}`;

/** GET /api/v1/experiments with the filter; 'all' and an empty brand are left out. */
export function experimentListPath(filter: { status?: ExperimentStatusFilter; brandId?: string } = {}): string {
  const q = new URLSearchParams();
  if (filter.status && filter.status !== 'all') q.set('status', filter.status);
  if (filter.brandId) q.set('brandId', filter.brandId);
  const query = q.toString();
  return query ? `/api/v1/experiments?${query}` : '/api/v1/experiments';
}

export const listExperiments = (filter: { status?: ExperimentStatusFilter; brandId?: string } = {}): Promise<{ items: ExperimentView[] }> =>
  apiRequest('GET', experimentListPath(filter));
export const fetchExperimentReport = (id: string): Promise<ExperimentReport> => apiRequest('GET', experimentApiPath(id));
export const startExperiment = (id: string): Promise<ExperimentView> => apiRequest('POST', `${experimentApiPath(id)}/start`);
/** Discards a draft (never started); the server refuses any other with EXPERIMENT_STATE. */
export const discardExperiment = (id: string): Promise<void> => apiRequest('DELETE', experimentApiPath(id));
/** Stops a running experiment; a blank reason is left out (the server then records its default). */
export const stopExperiment = (id: string, reason = ''): Promise<ExperimentView> =>
  apiRequest('POST', `${experimentApiPath(id)}/stop`, stopBody(reason));

export function stopBody(reason: string): { reason?: string } {
  const trimmed = reason.trim();
  return trimmed ? { reason: trimmed } : {};
}

/** Whether an experiment runs in this room: it names the room, or names none and belongs to the room's brand. */
export function coversSession(experiment: Pick<ExperimentView, 'brandId' | 'definition'>, sessionId: string, brandId: string): boolean {
  if (experiment.brandId !== brandId) return false;
  const rooms = experiment.definition.sessionIds;
  return rooms.length === 0 || rooms.includes(sessionId);
}

/** Badge style per status (existing badge classes of the UI kit). */
export function experimentBadgeClass(status: ExperimentStatus): string {
  switch (status) {
    case 'draft':
      return 'badge badge-scheduled';
    case 'running':
      return 'badge badge-live';
    case 'completed':
      return 'badge badge-ok';
    case 'stopped':
      return 'badge badge-ended';
  }
}

/** Running first, then drafts, then finished ones; newest first within each. */
export function byRelevance(a: ExperimentView, b: ExperimentView): number {
  const rank = (s: ExperimentStatus): number => (s === 'running' ? 0 : s === 'draft' ? 1 : 2);
  return rank(a.status) - rank(b.status) || b.createdAt - a.createdAt || a.id.localeCompare(b.id);
}
