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
