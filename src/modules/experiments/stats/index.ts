/**
 * Statistics of A/B experiments watched while they run: a group-sequential design with Lan–DeMets
 * alpha spending (O'Brien–Fleming-type by default, Pocock-type as an option), boundaries by recursive
 * numerical integration, repeated confidence intervals that stay valid however many scheduled looks
 * are taken, and planning of the maximum sample size. Pure functions, no I/O.
 * The method is described in docs/experiments-statistics.md.
 */
export { normalCdf, normalPdf, normalQuantile, normalUpper } from './normal.js';
export { SPENDINGS, alphaSpent, type Spending } from './spending.js';
export {
  MAX_BOUND,
  MAX_LOOKS,
  DEFAULT_GRID_RESOLUTION,
  groupSequentialBounds,
  spendingBounds,
  crossingProbabilities,
  type CrossingProbabilities,
  type IntegrationOptions,
} from './boundaries.js';
export {
  mean,
  variance,
  differenceInterval,
  relativeUpliftInterval,
  zStatistic,
  sequentialAnalysis,
  fixedSampleInterval,
  type ArmSums,
  type Interval,
  type DifferenceInterval,
  type LookInput,
  type SequentialLook,
} from './intervals.js';
export {
  maxUnitsPerArm,
  requiredConversionUnits,
  inflationFactor,
  fixedUnitsPerArm,
  sequentialPower,
  requiredDrift,
  equallySpaced,
  type SampleSizeInput,
} from './planning.js';
