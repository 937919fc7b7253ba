import { describe, expect, it } from 'vitest';
import { ccfAverageWatts, ccfComputeEstimate, ccfMemoryEstimate, CCF_ALIBABA_AVERAGE, CCF_MEMORY_KWH_PER_GB_HOUR } from './index.js';

/** |actual − expected| ≤ 1e-15 × |expected|: the published vectors must agree to the last digits. */
function expectRelClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-15 * Math.abs(expected));
}

describe('ccfComputeEstimate (CCF ComputeEstimator test vectors)', () => {
  it('reproduces the us-east-1 vector: 1 % utilisation, replication 2', () => {
    // CCF passes cpuUtilizationAverage: 1.0 meaning 1 %; here that is the fraction 0.01.
    // (0.71 + 0.01 × (3.46 − 0.71)) × 1 × 1.135 × 2 / 1000 = 0.001674125
    const e = ccfComputeEstimate({ utilisation: 0.01, vCpuHours: 1, minWatts: 0.71, maxWatts: 3.46, pue: 1.135, replicationFactor: 2, emissionsFactorTPerKwh: 0.000415755 });
    expect(e.kilowattHours).toBe(0.0016741249999999998);
    expect(e.co2eTonnes).toBe(6.960258393749999e-7);
    expectRelClose(e.kilowattHours, 0.001674125);
    // CCF's percentage converts by p / 100: the same double as the literal 0.01.
    expect(ccfComputeEstimate({ utilisation: 1.0 / 100, vCpuHours: 1, minWatts: 0.71, maxWatts: 3.46, pue: 1.135, replicationFactor: 2, emissionsFactorTPerKwh: 0.000415755 })).toEqual(e);
  });

  it('reproduces the af-south-1 vector with the default replication factor of 1', () => {
    const e = ccfComputeEstimate({ utilisation: 0.01, vCpuHours: 1, minWatts: 0.71, maxWatts: 3.46, pue: 1.135, emissionsFactorTPerKwh: 0.000928 });
    expect(e.kilowattHours).toBe(0.0008370624999999999);
    expect(e.co2eTonnes).toBe(7.76794e-7);
  });

  it('uses averageWatts in place of the min/max line', () => {
    const e = ccfComputeEstimate({ averageWatts: 350, vCpuHours: 1, pue: 1.135, replicationFactor: 1, emissionsFactorTPerKwh: 0.000928 });
    expect(e.averageWatts).toBe(350);
    expect(e.kilowattHours).toBe(0.39725);
    expect(e.co2eTonnes).toBe(0.000368648);
    expectRelClose(e.co2eTonnes, 0.000368648);
    // The override wins even when min/max are also given.
    expect(ccfComputeEstimate({ averageWatts: 350, utilisation: 1, minWatts: 1, maxWatts: 2, vCpuHours: 1, pue: 1.135, emissionsFactorTPerKwh: 0.000928 }).kilowattHours).toBe(0.39725);
  });

  it('gives 4.24 W for 2 vCPUs at 50 % with CCF Alibaba averages (the region-choice example)', () => {
    const perVcpu = ccfAverageWatts({ utilisation: 0.5, minWatts: CCF_ALIBABA_AVERAGE.minWattsPerVcpu, maxWatts: CCF_ALIBABA_AVERAGE.maxWattsPerVcpu });
    expect(perVcpu).toBeCloseTo(2.12, 12);
    expect(2 * perVcpu).toBeCloseTo(4.24, 12);
    // One hour of it, before PUE: 2 vCPU-hours × 2.12 W = 4.24 Wh.
    expect(ccfComputeEstimate({ utilisation: 0.5, minWatts: 0.74, maxWatts: 3.5, vCpuHours: 2, pue: 1, emissionsFactorTPerKwh: 0 }).kilowattHours).toBeCloseTo(0.00424, 15);
  });

  it('spans min to max watts over utilisation 0..1', () => {
    expect(ccfAverageWatts({ utilisation: 0, minWatts: 0.74, maxWatts: 3.5 })).toBe(0.74);
    expect(ccfAverageWatts({ utilisation: 1, minWatts: 0.74, maxWatts: 3.5 })).toBe(3.5);
    expect(ccfComputeEstimate({ utilisation: 0.3, minWatts: 1, maxWatts: 2, vCpuHours: 0, pue: 1.2, emissionsFactorTPerKwh: 0.0005 })).toEqual({ averageWatts: 1.3, kilowattHours: 0, co2eTonnes: 0 });
  });

  it('refuses impossible input with a message naming the field', () => {
    const base = { utilisation: 0.5, minWatts: 0.74, maxWatts: 3.5, vCpuHours: 1, pue: 1.3, emissionsFactorTPerKwh: 0.0005 };
    const cases: [Partial<typeof base> & { averageWatts?: number; replicationFactor?: number }, RegExp][] = [
      [{ utilisation: 50 }, /utilisation must be a fraction in \[0, 1\], got 50/],
      [{ utilisation: -0.1 }, /utilisation must be ≥ 0/],
      [{ utilisation: Number.NaN }, /utilisation must be a finite number/],
      [{ vCpuHours: -1 }, /vCpuHours must be ≥ 0, got -1/],
      [{ vCpuHours: Number.POSITIVE_INFINITY }, /vCpuHours must be a finite number/],
      [{ pue: 0.9 }, /pue must be ≥ 1, got 0.9/],
      [{ pue: 3.5 }, /pue must be ≤ 3, got 3.5/],
      [{ minWatts: -1 }, /minWatts must be ≥ 0/],
      [{ maxWatts: 1500 }, /maxWatts must be ≤ 1000 W per vCPU, got 1500/],
      [{ minWatts: 4, maxWatts: 3 }, /maxWatts \(3\) must be ≥ minWatts \(4\)/],
      [{ averageWatts: 1001 }, /averageWatts must be ≤ 1000/],
      [{ averageWatts: 0 }, /averageWatts must be > 0/],
      [{ replicationFactor: 0 }, /replicationFactor must be ≥ 1, got 0/],
      [{ emissionsFactorTPerKwh: -0.1 }, /emissionsFactorTPerKwh must be ≥ 0/],
      [{ emissionsFactorTPerKwh: 0.5366 }, /kg\/kWh must be divided by 1000/],
    ];
    for (const [patch, message] of cases) {
      expect(() => ccfComputeEstimate({ ...base, ...patch }), JSON.stringify(patch)).toThrow(RangeError);
      expect(() => ccfComputeEstimate({ ...base, ...patch }), JSON.stringify(patch)).toThrow(message);
    }
    expect(() => ccfAverageWatts({ minWatts: 1, maxWatts: 2 })).toThrow(/missing utilisation/);
  });
});

describe('ccfMemoryEstimate (CCF MemoryEstimator test vectors)', () => {
  it('multiplies GB-hours by 0.000392 kWh, PUE and replication', () => {
    expect(CCF_MEMORY_KWH_PER_GB_HOUR).toBe(0.000392);
    const gcp = ccfMemoryEstimate({ gigabyteHours: 90, pue: 1.11, replicationFactor: 2, emissionsFactorTPerKwh: 0.000479 });
    expect(gcp.kilowattHours).toBe(0.0783216);
    expect(gcp.co2eTonnes).toBe(0.000037516046400000004);
    const aws = ccfMemoryEstimate({ gigabyteHours: 80, pue: 1.135, emissionsFactorTPerKwh: 0.000415755 });
    expect(aws.kilowattHours).toBe(0.035593599999999996);
    expect(aws.co2eTonnes).toBe(0.000014798217168);
  });

  it('refuses impossible input', () => {
    expect(() => ccfMemoryEstimate({ gigabyteHours: -1, pue: 1.2, emissionsFactorTPerKwh: 0.0005 })).toThrow(/gigabyteHours must be ≥ 0/);
    expect(() => ccfMemoryEstimate({ gigabyteHours: 1, pue: 0, emissionsFactorTPerKwh: 0.0005 })).toThrow(/pue must be ≥ 1/);
  });
});
