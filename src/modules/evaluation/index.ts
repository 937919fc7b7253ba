/**
 * Offline (off-policy) evaluation: estimate how a policy would have done from logged bandit
 * feedback — the Open Bandit Dataset layout or Qingliu's decision-log export — with replay, IPS,
 * SNIPS, the direct method and doubly robust estimators, bootstrap intervals and weight diagnostics.
 */
export {
  loadBanditLog,
  describeProblem,
  OBD_COLUMNS,
  QINGLIU_COLUMNS,
  ITEM_CONTEXT_FILE,
  AFFINITY_PREFIX,
  type BanditLog,
  type LogLayout,
  type LogProblem,
  type LoadResult,
  type FeatureColumn,
} from './logs.js';
export { ESTIMATOR_NAMES, type EstimatorName, type Estimate } from './estimators.js';
export { DEFAULT_POLICIES, POLICY_NAMES, type PolicyName } from './policies.js';
export { evaluateLog, EVALUATE_DEFAULTS, type EvaluateOptions, type EvaluateResult, type EvaluationReport, type PolicyEstimate } from './service.js';
/** The pieces the energy comparison trains and scores with (the same as `qingliu evaluate`'s). */
export { featureMap, type FeatureMap } from './features.js';
export { banditPolicy, mlpPolicy } from './policies.js';
export { DEFAULT_RIDGE, fitLogistic } from './reward-model.js';
