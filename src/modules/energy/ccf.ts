/**
 * Cloud Carbon Footprint's compute and memory estimates, reproduced so that our figures can be
 * checked against CCF's own published test vectors (packages/core/src/compute/ComputeEstimator.ts
 * and packages/core/src/memory/MemoryEstimator.ts). The arithmetic is kept in CCF's order —
 * watts × vCPU-hours × PUE × replication ÷ 1000 — because floating-point results depend on it and
 * "reproduces CCF exactly" is only checkable if the last digit matches.
 *
 * One deliberate difference: CCF takes utilisation as a percentage (`cpuUtilizationAverage: 1.0`
 * in its tests means 1 %) and divides by 100 inside the formula. Here utilisation is a fraction in
 * [0, 1], so the unit cannot be mistaken; 1 % is 0.01. (1 / 100 and the literal 0.01 are the same
 * double, so CCF's vectors reproduce bit for bit; for other percentages p / 100 is the faithful
 * conversion.)
 *
 * These are models, not measurements: CCF's coefficients are fleet averages per vCPU.
 */

/** Watts per vCPU above which an input is surely a unit mistake (a whole server is a few hundred W). */
export const CCF_MAX_WATTS_PER_VCPU = 1000;

/** PUE above this is not a data centre but a mistake (the worst surveyed sites are near 2.5). */
export const CCF_MAX_PUE = 3;

/**
 * Emission factors here are in metric tonnes CO2e per kWh, as in CCF. The dirtiest grids are near
 * 0.0012 t/kWh; anything above 0.002 is almost certainly kg/kWh passed by mistake.
 */
export const CCF_MAX_EMISSIONS_FACTOR_T_PER_KWH = 0.002;

/** CCF's memory coefficient: kWh per GB-hour of memory (MEMORY_COEFFICIENT, 0.000392). */
export const CCF_MEMORY_KWH_PER_GB_HOUR = 0.000392;

export interface CcfPowerInput {
  /** Average CPU utilisation as a fraction in [0, 1] (CCF's percentage ÷ 100). */
  utilisation?: number;
  /** Watts of one vCPU at 0 % utilisation. */
  minWatts?: number;
  /** Watts of one vCPU at 100 % utilisation. */
  maxWatts?: number;
  /**
   * Measured or published average watts per vCPU; when given it replaces the min/max line, as
   * CCF's `averageWatts` does. Must be > 0: CCF tests it for truthiness, so a 0 there silently
   * means "absent" — we refuse it rather than repeat the ambiguity.
   */
  averageWatts?: number;
}

export interface CcfComputeInput extends CcfPowerInput {
  /** vCPU-hours of use (vCPUs × hours). */
  vCpuHours: number;
  /** Power usage effectiveness of the data centre, in [1, 3]. */
  pue: number;
  /** Copies of the work kept by the service (CCF's replicationFactor), ≥ 1; default 1. */
  replicationFactor?: number;
  /** Location-based grid factor in metric tonnes CO2e per kWh (kg/kWh ÷ 1000). */
  emissionsFactorTPerKwh: number;
}

export interface CcfEstimate {
  /** Average watts per vCPU used by the estimate. */
  averageWatts: number;
  kilowattHours: number;
  /** Metric tonnes CO2e. */
  co2eTonnes: number;
}

export interface CcfMemoryInput {
  gigabyteHours: number;
  pue: number;
  replicationFactor?: number;
  emissionsFactorTPerKwh: number;
}

function finiteAtLeast(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`${field} must be a finite number, got ${String(value)}`);
  if (value < min) throw new RangeError(`${field} must be ≥ ${min}, got ${value}`);
  return value;
}

function watts(field: string, value: unknown): number {
  const w = finiteAtLeast(field, value, 0);
  if (w > CCF_MAX_WATTS_PER_VCPU) throw new RangeError(`${field} must be ≤ ${CCF_MAX_WATTS_PER_VCPU} W per vCPU, got ${w}`);
  return w;
}

function pueOf(value: unknown): number {
  const pue = finiteAtLeast('pue', value, 1);
  if (pue > CCF_MAX_PUE) throw new RangeError(`pue must be ≤ ${CCF_MAX_PUE}, got ${pue}`);
  return pue;
}

function emissionsFactorOf(value: unknown): number {
  const ef = finiteAtLeast('emissionsFactorTPerKwh', value, 0);
  if (ef > CCF_MAX_EMISSIONS_FACTOR_T_PER_KWH) {
    throw new RangeError(`emissionsFactorTPerKwh must be ≤ ${CCF_MAX_EMISSIONS_FACTOR_T_PER_KWH} t/kWh, got ${ef} (kg/kWh must be divided by 1000)`);
  }
  return ef;
}

/**
 * Average watts of one vCPU: `averageWatts` when given, else min + utilisation × (max − min).
 * Example (CCF's Alibaba averages, 0.74–3.5 W): 50 % → 2.12 W per vCPU, so 2 vCPUs draw 4.24 W.
 */
export function ccfAverageWatts(input: CcfPowerInput): number {
  if (input.averageWatts !== undefined) {
    const w = watts('averageWatts', input.averageWatts);
    if (w === 0) throw new RangeError('averageWatts must be > 0 (omit it to use minWatts/maxWatts)');
    return w;
  }
  if (input.minWatts === undefined || input.maxWatts === undefined || input.utilisation === undefined) {
    const missing = (['utilisation', 'minWatts', 'maxWatts'] as const).filter((k) => input[k] === undefined).join(', ');
    throw new RangeError(`averageWatts or all of utilisation, minWatts, maxWatts must be given (missing ${missing})`);
  }
  const utilisation = finiteAtLeast('utilisation', input.utilisation, 0);
  if (utilisation > 1) throw new RangeError(`utilisation must be a fraction in [0, 1], got ${utilisation} (CCF's percentages must be divided by 100)`);
  const min = watts('minWatts', input.minWatts);
  const max = watts('maxWatts', input.maxWatts);
  if (max < min) throw new RangeError(`maxWatts (${max}) must be ≥ minWatts (${min})`);
  return min + utilisation * (max - min);
}

/** kWh and tonnes CO2e of compute, as CCF's ComputeEstimator computes them. */
export function ccfComputeEstimate(input: CcfComputeInput): CcfEstimate {
  const averageWatts = ccfAverageWatts(input);
  const vCpuHours = finiteAtLeast('vCpuHours', input.vCpuHours, 0);
  const pue = pueOf(input.pue);
  const replicationFactor = finiteAtLeast('replicationFactor', input.replicationFactor ?? 1, 1);
  const ef = emissionsFactorOf(input.emissionsFactorTPerKwh);
  const kilowattHours = (averageWatts * vCpuHours * pue * replicationFactor) / 1000;
  return { averageWatts, kilowattHours, co2eTonnes: kilowattHours * ef };
}

/** kWh and tonnes CO2e of memory held, as CCF's MemoryEstimator computes them (GB-h × 0.000392 × PUE × replication). */
export function ccfMemoryEstimate(input: CcfMemoryInput): Omit<CcfEstimate, 'averageWatts'> {
  const gigabyteHours = finiteAtLeast('gigabyteHours', input.gigabyteHours, 0);
  const pue = pueOf(input.pue);
  const replicationFactor = finiteAtLeast('replicationFactor', input.replicationFactor ?? 1, 1);
  const ef = emissionsFactorOf(input.emissionsFactorTPerKwh);
  const kilowattHours = gigabyteHours * CCF_MEMORY_KWH_PER_GB_HOUR * pue * replicationFactor;
  return { kilowattHours, co2eTonnes: kilowattHours * ef };
}
