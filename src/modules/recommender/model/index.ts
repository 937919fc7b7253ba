/**
 * The recommender's model layer: feature space and allow-list (A7), a linear contextual bandit,
 * exact explanations (A2) and slate selection with logged propensities. Pure code: no I/O, no
 * database, no clock.
 */
export {
  FEATURES,
  ALLOWED_FEATURES,
  SENSITIVE_FEATURES,
  PRODUCT_CATEGORIES,
  PRICE_BANDS,
  BIAS,
  FeatureSpace,
  FeatureError,
  SensitiveFeatureError,
  isPersonal,
  categoryFeature,
  categoryWords,
  priceBandFeature,
  pinnedRecency,
  defaultFeatureSpace,
  type FeatureSpec,
  type FeatureGroup,
  type FeatureSpaceOptions,
  type FeatureErrorCode,
  type Bilingual,
  type ProductCategory,
  type PriceBand,
} from './features.js';
export { LinearBandit, type BanditKind, type BanditSnapshot, type LinearBanditOptions } from './bandit.js';
export { explain, explainMlp, topReasons, meanVector, REASONS_SHOWN, type Explanation, type Contribution, type ExplanationLocale } from './explain.js';
export { FAIR_RERANK_DEFAULTS, fairRerank, positionExposure, type ExposureLedger, type FairRerankOptions, type RerankResult } from './fair-rerank.js';
export { MLP_DEFAULTS, MlpRanker, type FitHistory, type FitOptions, type MlpOptions, type MlpSnapshot, type TrainOptions } from './mlp.js';
export { selectSlate, scoreOnly, positionPropensities, type SlateCandidate, type SlatePick, type SlateRequest, type SlateScorer } from './slate.js';
export { Rng, type RngState } from '../../../shared/rng.js';
