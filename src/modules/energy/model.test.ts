import { describe, expect, it } from 'vitest';
import { cpuTimeEnergyKwh, CCF_ALIBABA_AVERAGE } from './index.js';

describe('cpuTimeEnergyKwh', () => {
  it('counts busy CPU time at the maximum watts per vCPU times the PUE', () => {
    // One vCPU-hour fully busy: 3.5 W × 1.3 = 4.55 Wh = 0.00455 kWh.
    expect(cpuTimeEnergyKwh(3600)).toBeCloseTo(0.00455, 12);
    expect(cpuTimeEnergyKwh(0)).toBe(0);
    // Cloud Carbon Footprint's published compute test vector, at 100 % utilisation: minW 0.71, maxW 3.46, PUE 1.135, 1 vCPU-h → 3.46 × 1.135 Wh.
    expect(cpuTimeEnergyKwh(3600, { minWattsPerVcpu: 0.71, maxWattsPerVcpu: 3.46, pue: 1.135 })).toBeCloseTo(0.0039271, 9);
    expect(CCF_ALIBABA_AVERAGE.pue).toBe(1.3);
  });

  it('refuses impossible input', () => {
    expect(() => cpuTimeEnergyKwh(-1)).toThrow(RangeError);
    expect(() => cpuTimeEnergyKwh(Number.NaN)).toThrow(RangeError);
    expect(() => cpuTimeEnergyKwh(1, { minWattsPerVcpu: 1, maxWattsPerVcpu: 2, pue: 0.9 })).toThrow(RangeError);
  });
});
