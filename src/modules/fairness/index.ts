/**
 * Fairness audits of recommendation and selection decisions: group metrics, disparities against a
 * reference group with significance and small-group suppression, inequality indices, and exposure
 * in rankings (src/modules/fairness/metrics, pure), plus reading the two CSV inputs of
 * `qingliu fairness` and `qingliu exposure`. Definitions, thresholds and test vectors: docs/fairness.md.
 */
export * from './metrics/index.js';
export {
  describeCsvProblem,
  parseDecisionCsv,
  parseRankingCsv,
  readDecisionFile,
  readRankingFile,
  type CsvProblem,
  type CsvResult,
  type DecisionFileColumns,
  type RankingData,
  type RankingFileColumns,
} from './csv.js';
export * from './audit/contract.js';
export {
  AUDIT_SETTINGS_DEFAULTS,
  auditInputOf,
  computeAudit,
  productPriceBands,
  runAudit,
  thresholdsOf,
  type AuditComputation,
  type AuditInput,
  type AuditSettings,
  type PriceBandOf,
} from './audit/engine.js';
export { AuditLogBuilder, type AuditLogColumns, type AuditRow, type SegmentColumn } from './audit/log.js';
export { renderAuditHtml } from './audit/report-html.js';
export type { AuditQuery, AuditRunner, CollectedLog, DecisionScope, FairnessStore, StoredAudit } from './ports.js';
export { AuditRunnerError, InProcessAuditRunner } from './adapters/audit-in-process.js';
export { AuditThread } from './adapters/audit-thread.js';
export { KyselyFairnessStore } from './adapters/fairness.kysely.js';
export { FAIRNESS_DEFAULTS, FairnessService, summaryOf, type AuditComparison, type AuditRequest, type FairnessDeps, type FairnessOptions } from './service.js';
export { fairnessRoutes } from './routes.js';
