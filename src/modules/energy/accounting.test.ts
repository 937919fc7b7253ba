/**
 * The accounting model from its definition (research note §3.1; accounting.ts's header):
 *   compute IT kWh = (vCPU-h × min W + CPU-h × (max − min) W) ÷ 1000   (CCF's utilisation line)
 *   memory IT kWh  = GB-h × 0.000392
 *   energy         = (compute + memory) × PUE
 *   carbon g       = energy × kg/kWh × 1000
 *   M g            = TE × (TiR ÷ EL) × (RR ÷ ToR)
 *   SCI            = (O + M) × 1000 ÷ R per 1,000 recommendations
 * The figures below are worked by hand from those lines, not from the code.
 */
import { describe, expect, it } from 'vitest';
import { account, emptyTotals, METHOD_MODEL, METHOD_RAPL, modelComputeItKwh, type PowerSettings, type SampleTotals } from './accounting.js';
import { ccfComputeEstimate, ccfMemoryEstimate } from './ccf.js';
import { METERED_COMPONENTS, type MeteredComponent } from './meter.js';

/** |actual − expected| ≤ 1e-12 × |expected| (or 1e-18 absolute near 0). */
function close(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.max(1e-18, 1e-12 * Math.abs(expected)));
}

const SETTINGS: PowerSettings = { minWattsPerVcpu: 0.74, maxWattsPerVcpu: 3.5, pue: 1.3, kgPerKwh: 0.5306, embodied: null };

function totals(over: Partial<Omit<SampleTotals, 'componentSeconds' | 'counts'>> & { componentSeconds?: Partial<Record<MeteredComponent, number>>; counts?: Partial<Record<MeteredComponent, number>> } = {}): SampleTotals {
  const t = emptyTotals();
  const { componentSeconds, counts, ...rest } = over;
  Object.assign(t, rest);
  Object.assign(t.componentSeconds, componentSeconds ?? {});
  Object.assign(t.counts, counts ?? {});
  return t;
}

/**
 * One hour on 2 vCPUs (2 vCPU-h) with half an hour of process CPU time (u = 0.25), 4 GB-h of
 * memory, 12,000 recommendations. CPU time: 1,600 s in spans, 200 s outside them.
 */
const SMALL = totals({
  samples: 1,
  wallSeconds: 3600,
  vcpuSeconds: 7200,
  cpuSeconds: 1800,
  memoryGbHours: 4,
  componentSeconds: { recommend: 900, learn: 100, audits: 200, assistant: 0, serving: 300, storage: 100 },
  otherSeconds: 200,
  counts: { recommend: 12_000, learn: 40, audits: 1 },
});

// By hand: compute = (2 × 0.74 + 0.5 × 2.76) / 1000 = (1.48 + 1.38) / 1000 = 0.00286 kWh
//          memory  = 4 × 0.000392 = 0.001568 kWh
//          energy  = (0.00286 + 0.001568) × 1.3 = 0.004428 × 1.3 = 0.0057564 kWh
//          carbon  = 0.0057564 × 0.5306 × 1000 = 3.05434584 g
//          SCI     = 3.05434584 × 1000 / 12000 = 0.25452882 g per 1,000 recommendations
const COMPUTE_IT = 0.00286;
const MEMORY_IT = 0.001568;
const ENERGY = 0.0057564;
const CARBON = 3.05434584;
const SCI = 0.25452882;

function addTotals(a: SampleTotals, b: SampleTotals): SampleTotals {
  const t = emptyTotals();
  for (const k of ['samples', 'raplSamples', 'raplJoules', 'wallSeconds', 'vcpuSeconds', 'cpuSeconds', 'memoryGbHours', 'otherSeconds'] as const) t[k] = a[k] + b[k];
  for (const c of METERED_COMPONENTS) {
    t.componentSeconds[c] = a.componentSeconds[c] + b.componentSeconds[c];
    t.counts[c] = a.counts[c] + b.counts[c];
  }
  return t;
}

const sumLines = (lines: { energyKwh: number }[]) => lines.reduce((s, l) => s + l.energyKwh, 0);

describe('account(): the utilisation model', () => {
  it('computes a small period by hand: compute, memory, PUE, carbon and SCI per 1,000 recommendations', () => {
    const a = account(SMALL, SETTINGS);
    expect(a.method).toBe(METHOD_MODEL);
    expect(a.cpuSeconds).toBe(1800);
    expect(a.vcpuHours).toBe(2);
    expect(a.utilisation).toBe(0.25);
    expect(a.memoryGbHours).toBe(4);
    close(a.computeItKwh, COMPUTE_IT);
    close(a.memoryItKwh, MEMORY_IT);
    close(a.energyKwh, ENERGY);
    close(a.carbonG, CARBON);
    expect(a.embodiedG).toBeNull();
    expect(a.recommendations).toBe(12_000);
    close(a.sciPer1000Recommendations, SCI);
  });

  it('agrees with CCF’s own estimators at the same utilisation (compute bit for bit, facility energy and carbon to rounding)', () => {
    const a = account(SMALL, SETTINGS);
    const ccf = ccfComputeEstimate({ vCpuHours: 2, utilisation: 0.25, minWatts: 0.74, maxWatts: 3.5, pue: 1, emissionsFactorTPerKwh: 0 });
    expect(a.computeItKwh).toBe(ccf.kilowattHours);
    expect(ccf.averageWatts).toBeCloseTo(1.43, 14); // 0.74 + 0.25 × 2.76
    const mem = ccfMemoryEstimate({ gigabyteHours: 4, pue: 1, emissionsFactorTPerKwh: 0 });
    expect(a.memoryItKwh).toBe(mem.kilowattHours);
    // With PUE and the factor in tonnes, CCF's own figures for the same period.
    const ccfPue = ccfComputeEstimate({ vCpuHours: 2, utilisation: 0.25, minWatts: 0.74, maxWatts: 3.5, pue: 1.3, emissionsFactorTPerKwh: 0.5306 / 1000 });
    const memPue = ccfMemoryEstimate({ gigabyteHours: 4, pue: 1.3, emissionsFactorTPerKwh: 0.5306 / 1000 });
    close(a.energyKwh, ccfPue.kilowattHours + memPue.kilowattHours);
    close(a.carbonG, (ccfPue.co2eTonnes + memPue.co2eTonnes) * 1e6);
    // modelComputeItKwh is the same line on its own.
    expect(modelComputeItKwh(1800, 7200, SETTINGS)).toBe(a.computeItKwh);
    expect(modelComputeItKwh(5, 0, SETTINGS)).toBe(0);
  });

  it('counts the idle power of held vCPUs: no CPU time still costs vCPU-h × min W', () => {
    const idle = account(totals({ samples: 1, wallSeconds: 3600, vcpuSeconds: 4 * 3600 }), SETTINGS);
    close(idle.computeItKwh, (4 * 0.74) / 1000);
    close(idle.energyKwh, ((4 * 0.74) / 1000) * 1.3);
    expect(idle.utilisation).toBe(0);
    expect(idle.recommendations).toBe(0);
    expect(idle.sciPer1000Recommendations).toBeNull();
    // Nothing at all: nothing used, no division by zero anywhere.
    const none = account(emptyTotals(), SETTINGS);
    expect(none).toMatchObject({ method: METHOD_MODEL, energyKwh: 0, carbonG: 0, embodiedG: null, utilisation: 0, sciPer1000Recommendations: null });
    for (const line of none.components) expect(line.energyKwh).toBe(0);
  });

  it('splits compute energy by CPU time over the components, with memory its own line, and the lines add up to the total', () => {
    const a = account(SMALL, SETTINGS);
    expect(a.components.map((c) => c.component)).toEqual([...METERED_COMPONENTS, 'other', 'memory']);
    close(sumLines(a.components), a.energyKwh);
    const perCpuSecond = (COMPUTE_IT * 1.3) / 1800;
    const byName = new Map(a.components.map((c) => [c.component, c]));
    close(byName.get('recommend')!.energyKwh, 900 * perCpuSecond);
    close(byName.get('audits')!.energyKwh, 200 * perCpuSecond);
    close(byName.get('other')!.energyKwh, 200 * perCpuSecond);
    expect(byName.get('assistant')!.energyKwh).toBe(0);
    close(byName.get('memory')!.energyKwh, MEMORY_IT * 1.3);
    expect(byName.get('memory')!.cpuSeconds).toBe(0);
    expect(byName.get('recommend')).toMatchObject({ cpuSeconds: 900, count: 12_000 });
    expect(byName.get('learn')!.count).toBe(40);
    // Each line's carbon is its energy at the grid factor; they add up to the carbon.
    for (const line of a.components) close(line.carbonG, line.energyKwh * 0.5306 * 1000);
    close(
      a.components.reduce((s, l) => s + l.carbonG, 0),
      a.carbonG,
    );
    // With no CPU time at all, the idle power goes to "other" and the lines still add up.
    const idle = account(totals({ samples: 1, wallSeconds: 60, vcpuSeconds: 120, memoryGbHours: 0.01 }), SETTINGS);
    close(sumLines(idle.components), idle.energyKwh);
    close(idle.components.find((c) => c.component === 'other')!.energyKwh, idle.computeItKwh * 1.3);
  });

  it('applies the PUE and the grid factor linearly', () => {
    const base = account(SMALL, SETTINGS);
    const pue2 = account(SMALL, { ...SETTINGS, pue: 2.6 });
    close(pue2.energyKwh, 2 * base.energyKwh);
    close(pue2.computeItKwh, base.computeItKwh); // IT energy does not depend on the PUE
    const clean = account(SMALL, { ...SETTINGS, kgPerKwh: 0.1073 });
    expect(clean.energyKwh).toBe(base.energyKwh);
    close(clean.carbonG, ENERGY * 0.1073 * 1000);
    const watts = account(SMALL, { ...SETTINGS, minWattsPerVcpu: 1, maxWattsPerVcpu: 1 });
    close(watts.computeItKwh, 2 / 1000); // a flat 1 W per vCPU, whatever the utilisation
  });
});

describe('account(): RAPL', () => {
  const RAPL = totals({ ...SMALL, counts: { ...SMALL.counts }, componentSeconds: { ...SMALL.componentSeconds }, raplSamples: 1, raplJoules: 36_000 });

  it('measures compute from RAPL joules when every sample has them; memory stays modelled; PUE applies on top', () => {
    const a = account(RAPL, SETTINGS);
    expect(a.method).toBe(METHOD_RAPL);
    close(a.computeItKwh, 0.01); // 36,000 J ÷ 3.6e6 J/kWh
    close(a.memoryItKwh, MEMORY_IT);
    close(a.energyKwh, (0.01 + MEMORY_IT) * 1.3);
    close(a.carbonG, (0.01 + MEMORY_IT) * 1.3 * 0.5306 * 1000);
    close(sumLines(a.components), a.energyKwh);
  });

  it('uses the model unless every sample has RAPL (a mixed period is measured one way)', () => {
    const mixed = { ...RAPL, samples: 3, raplSamples: 2 };
    const a = account(mixed, SETTINGS);
    expect(a.method).toBe(METHOD_MODEL);
    close(a.computeItKwh, COMPUTE_IT);
    expect(account({ ...RAPL, samples: 0, raplSamples: 0 }, SETTINGS).method).toBe(METHOD_MODEL);
    expect(account({ ...RAPL, samples: 3, raplSamples: 3 }, SETTINGS).method).toBe(METHOD_RAPL);
  });
});

describe('account(): embodied emissions (SCI’s M)', () => {
  const EMBODIED = { ...SETTINGS, embodied: { totalKg: 1000, lifespanYears: 4, hostVcpus: 8 } };
  // TE 1,000 kg; TiR 1 h of EL 4 years (4 × 365 × 24 = 35,040 h, as CCF counts); RR 2 of ToR 8 vCPUs.
  const M = (1000 * 1000 * (1 / 35_040) * 2) / 8;

  it('takes TE × (TiR ÷ EL) × (RR ÷ ToR) from the settings and adds it to O in the SCI', () => {
    const a = account(SMALL, EMBODIED);
    close(a.embodiedG, M);
    close(a.embodiedG, 1e6 / 35_040 / 4); // 7.1347… g
    close(a.sciPer1000Recommendations, ((CARBON + M) * 1000) / 12_000);
    expect(a.carbonG).toBe(account(SMALL, SETTINGS).carbonG); // M never changes O
  });

  it('is null without a configured TE, and 0-time periods carry no M', () => {
    expect(account(SMALL, SETTINGS).embodiedG).toBeNull();
    expect(account(emptyTotals(), EMBODIED).embodiedG).toBeNull();
  });

  it('scales with the vCPUs held and the time reserved', () => {
    // 4 vCPUs for 2 hours: TiR 2 h, RR 4.
    const a = account(totals({ samples: 1, wallSeconds: 7200, vcpuSeconds: 4 * 7200, cpuSeconds: 10 }), EMBODIED);
    close(a.embodiedG, (1000 * 1000 * (2 / 35_040) * 4) / 8);
  });
});

describe('account(): linearity (stored sums recompute)', () => {
  const B = totals({
    samples: 2,
    wallSeconds: 1200,
    vcpuSeconds: 4 * 1200,
    cpuSeconds: 333.25,
    memoryGbHours: 0.37,
    componentSeconds: { recommend: 120, learn: 3.5, storage: 40.75, serving: 9 },
    otherSeconds: 160,
    counts: { recommend: 2_345, learn: 12 },
  });

  it('the energy, carbon and M of summed totals are the sums of each part’s', () => {
    for (const settings of [SETTINGS, { ...SETTINGS, pue: 1.2, kgPerKwh: 0.7252, embodied: { totalKg: 1500, lifespanYears: 5, hostVcpus: 16 } }]) {
      const a = account(SMALL, settings);
      const b = account(B, settings);
      const sum = account(addTotals(SMALL, B), settings);
      close(sum.computeItKwh, a.computeItKwh + b.computeItKwh);
      close(sum.memoryItKwh, a.memoryItKwh + b.memoryItKwh);
      close(sum.energyKwh, a.energyKwh + b.energyKwh);
      close(sum.carbonG, a.carbonG + b.carbonG);
      if (settings.embodied) close(sum.embodiedG, a.embodiedG! + b.embodiedG!);
      expect(sum.recommendations).toBe(a.recommendations + b.recommendations);
      // The memory line sums too (the compute lines share each period's energy by its own CPU time).
      const memory = (x: typeof a) => x.components.find((c) => c.component === 'memory')!.energyKwh;
      close(memory(sum), memory(a) + memory(b));
      close(sumLines(sum.components), sum.energyKwh);
    }
  });

  it('RAPL periods sum the same way', () => {
    const ra = { ...SMALL, raplSamples: 1, raplJoules: 1_000 };
    const rb = { ...B, raplSamples: 2, raplJoules: 2_500 };
    close(account(addTotals(ra, rb), SETTINGS).energyKwh, account(ra, SETTINGS).energyKwh + account(rb, SETTINGS).energyKwh);
  });

  it('caps utilisation at 1 (CPU time beyond the held vCPUs is not counted above max W)', () => {
    // 1 vCPU for an hour, but 2 CPU-hours (threads beyond the vCPUs configured): 1 vCPU-h at 3.5 W.
    const over = account(totals({ samples: 1, wallSeconds: 3600, vcpuSeconds: 3600, cpuSeconds: 7200 }), SETTINGS);
    expect(over.utilisation).toBe(1);
    close(over.computeItKwh, 3.5 / 1000);
  });
});
