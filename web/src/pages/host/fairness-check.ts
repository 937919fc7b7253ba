/** What an on-demand fairness check found, in the host's terms (no DOM, unit-tested). */
import type { FairnessReport } from '../../../../src/modules/fairness/audit/contract.ts';

/**
 * `flagged`: gaps to look at; `none`: viewer groups were compared and nothing was flagged;
 * `tooFew`: no viewer group was large enough to compare, so "no gap" would claim what was not tested.
 */
export function checkOutcome(report: Pick<FairnessReport, 'flags' | 'segments'>): 'flagged' | 'none' | 'tooFew' {
  if (report.flags.length > 0) return 'flagged';
  return report.segments.some((s) => s.status === 'ok') ? 'none' : 'tooFew';
}
