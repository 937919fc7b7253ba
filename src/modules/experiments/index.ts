/** A/B experiments on recommendations: definitions, keyed-hash assignment, sequential analysis, reports. */
export { ExperimentService, EXPERIMENT_DEFAULTS, type ExperimentDeps, type ExperimentOptions, type ExperimentView, type ExperimentReport, type ArmReport } from './service.js';
export { experimentRoutes } from './routes.js';
export { KyselyExperimentStore } from './adapters/experiments.kysely.js';
export { parseDefinition, ExperimentDefinition, UNIT_METRICS, GUARDRAIL_METRICS, DEFINITION_DEFAULTS, type UnitMetric, type GuardrailMetric } from './definition.js';
export { analyse, exposureGini, informationFraction, metricName, type ArmFairness, type LookAnalysis, type Comparison, type Verdict, type VerdictKind } from './analysis.js';
export { unitOf, armIndexOf } from './assignment.js';
export { EXPERIMENT_STATUSES, type ExperimentStatus, type ExperimentStore, type ExperimentRecord } from './ports.js';
export { experimentsDataSource, EXPERIMENT_UNITS_KEEP_DAYS } from './data-source.js';
