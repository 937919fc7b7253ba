/**
 * From CPU time to energy, as Cloud Carbon Footprint does for compute: average watts per vCPU =
 * min + utilisation × (max − min), times the data centre's PUE. Work measured as CPU time keeps a
 * vCPU busy for that time, so its energy is counted at the maximum watts. Coefficients: CCF's
 * averages for Alibaba Cloud (MIN_WATTS_AVG 0.74 / MAX_WATTS_AVG 3.5 W per vCPU, in CCF's
 * AliFootprintEstimationConstants) and Alibaba Cloud's average PUE of 1.3 (1.2 at its northern
 * sites). These are estimates, not meter readings; every figure says which method made it.
 */
export interface CpuPowerModel {
  /** Watts of one vCPU when idle. */
  minWattsPerVcpu: number;
  /** Watts of one vCPU when fully busy. */
  maxWattsPerVcpu: number;
  /** Power usage effectiveness of the data centre (≥ 1). */
  pue: number;
}

export const CCF_ALIBABA_AVERAGE: Readonly<CpuPowerModel> = Object.freeze({ minWattsPerVcpu: 0.74, maxWattsPerVcpu: 3.5, pue: 1.3 });

export const CPU_TIME_METHOD = 'ccf-linear (CPU time at full utilisation × max W per vCPU × PUE)';

/** kWh used by `cpuSeconds` of busy CPU time. */
export function cpuTimeEnergyKwh(cpuSeconds: number, model: Readonly<CpuPowerModel> = CCF_ALIBABA_AVERAGE): number {
  if (!(cpuSeconds >= 0) || !Number.isFinite(cpuSeconds)) throw new RangeError('cpuSeconds must be a finite number ≥ 0');
  if (!(model.pue >= 1)) throw new RangeError('PUE must be at least 1');
  return (cpuSeconds * model.maxWattsPerVcpu * model.pue) / 3_600_000;
}
