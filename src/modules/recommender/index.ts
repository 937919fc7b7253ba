/** The explainable real-time recommender: consent-aware lists with exact explanations, live learning under consent, health and model card. */
export {
  RecommenderService,
  RECOMMENDER_DEFAULTS,
  MODEL_ID,
  NON_PERSONALISED_VERSION,
  NON_PERSONALISED_WEIGHTS,
  PRIOR_WEIGHTS,
  DIVERSITY_PENALTY,
  FEEDBACK_REWARD,
  POPULARITY_WEIGHT,
  FEEDBACK_POPULARITY_WEIGHT,
  priceBandOf,
  armModelId,
  ARM_POLICIES,
  OUTSIDE_ARM,
  type ArmAssignment,
  type ArmPolicy,
  type ExperimentArms,
  type RecommenderDeps,
  type RecommenderOptions,
  type Recommendations,
  type RecommendationItem,
  type FeedbackInput,
  type HealthReport,
  type RelayedFeedback,
  FEEDBACK_RELAY_TOPIC,
  DEFAULT_REWARD,
} from './service.js';
export { AgeBandCounts, interestDelta, type InterestItem } from './context.js';
export { recommenderRoutes, howItWorks, HOW_IT_WORKS_VERSION, type RecommenderRouteDeps } from './routes.js';
export { KyselyRecommenderStore } from './adapters/recommender.kysely.js';
export { MODEL_LEARNED_TOPIC } from './model-slot.js';
export { categoryWords } from './model/index.js';
export type * from './ports.js';
