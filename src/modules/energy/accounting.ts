/**
 * From stored meter samples to energy and carbon, by a documented model that anyone can recompute
 * from the report's own inputs:
 *
 *   compute (IT)  = CCF: average W per vCPU × vCPU-hours ÷ 1000, where the average is
 *                   min + u × (max − min) and u = process CPU-hours ÷ vCPU-hours (the node's vCPUs
 *                   over the wall time: their idle power counts too, as CCF counts a reserved VM)
 *                 = (vCPU-h × min + CPU-h × (max − min)) ÷ 1000   — linear, so sums of samples recompute
 *   memory (IT)   = CCF: GB-hours of resident memory × 0.000392 kWh per GB-hour
 *   energy        = (compute + memory) × PUE                         (facility energy, kWh)
 *   carbon        = energy × grid factor (kg/kWh) × 1000             (SCI's O, grams CO2e, location-based)
 *   embodied      = SCI's M: TE × (TiR ÷ EL) × (RR ÷ ToR)            (only when the host's TE is given)
 *   SCI           = (O + M) per 1,000 recommendations, and per live-session hour
 *
 * With RAPL readable on every sample the compute term is measured instead: Qingliu's share of the
 * package energy (package joules × its share of the machine's busy CPU time), times PUE; memory
 * stays modelled (the package domains do not cover DRAM). Each report names its method.
 */
import { ccfComputeEstimate, ccfMemoryEstimate } from './ccf.js';
import { embodiedCarbon, operationalCarbon } from './carbon.js';
import { METERED_COMPONENTS, type MeteredComponent } from './meter.js';
import type { ComponentEnergy } from './contract.js';

export type { ComponentEnergy } from './contract.js';

export const METHOD_MODEL = 'ccf-utilisation';
export const METHOD_RAPL = 'rapl-package+ccf-memory';

export const METHOD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [METHOD_MODEL]:
    "Cloud Carbon Footprint's utilisation model: process CPU time over the node's vCPU-hours gives utilisation u; watts per vCPU = min + u × (max − min); plus 0.000392 kWh per GB-hour of resident memory; times PUE",
  [METHOD_RAPL]: "RAPL package counters (Qingliu's share of the package energy by its share of the machine's busy CPU time) plus CCF's memory coefficient; times PUE",
};

/** Sums over a set of samples: every quantity the model needs is a sum, so totals recompute. */
export interface SampleTotals {
  samples: number;
  /** Samples with RAPL energy; the measured method applies only when this equals `samples`. */
  raplSamples: number;
  raplJoules: number;
  wallSeconds: number;
  /** Σ vCPUs × wall seconds. */
  vcpuSeconds: number;
  cpuSeconds: number;
  memoryGbHours: number;
  componentSeconds: Record<MeteredComponent, number>;
  otherSeconds: number;
  counts: Record<MeteredComponent, number>;
}

export interface PowerSettings {
  minWattsPerVcpu: number;
  maxWattsPerVcpu: number;
  pue: number;
  /** kg CO2e per kWh, location-based. */
  kgPerKwh: number;
  embodied: { totalKg: number; lifespanYears: number; hostVcpus: number } | null;
}

export interface Accounting {
  method: string;
  cpuSeconds: number;
  vcpuHours: number;
  utilisation: number;
  memoryGbHours: number;
  /** IT energy (before PUE), compute and memory, kWh. */
  computeItKwh: number;
  memoryItKwh: number;
  /** Facility energy (× PUE), kWh. */
  energyKwh: number;
  carbonG: number;
  /** SCI's M, grams; null when no embodied figure is configured. */
  embodiedG: number | null;
  recommendations: number;
  sciPer1000Recommendations: number | null;
  components: ComponentEnergy[];
}

export function emptyTotals(): SampleTotals {
  const zero = () => Object.fromEntries(METERED_COMPONENTS.map((c) => [c, 0])) as Record<MeteredComponent, number>;
  return { samples: 0, raplSamples: 0, raplJoules: 0, wallSeconds: 0, vcpuSeconds: 0, cpuSeconds: 0, memoryGbHours: 0, componentSeconds: zero(), otherSeconds: 0, counts: zero() };
}

/** IT energy (kWh, before PUE) of compute by the utilisation model; 0 when no time passed. */
export function modelComputeItKwh(cpuSeconds: number, vcpuSeconds: number, power: Pick<PowerSettings, 'minWattsPerVcpu' | 'maxWattsPerVcpu'>): number {
  if (vcpuSeconds <= 0) return 0;
  const utilisation = Math.min(1, cpuSeconds / vcpuSeconds);
  return ccfComputeEstimate({
    vCpuHours: vcpuSeconds / 3600,
    utilisation,
    minWatts: power.minWattsPerVcpu,
    maxWatts: power.maxWattsPerVcpu,
    pue: 1,
    emissionsFactorTPerKwh: 0,
  }).kilowattHours;
}

export function account(totals: SampleTotals, settings: PowerSettings): Accounting {
  const rapl = totals.samples > 0 && totals.raplSamples === totals.samples;
  const computeItKwh = rapl ? totals.raplJoules / 3.6e6 : modelComputeItKwh(totals.cpuSeconds, totals.vcpuSeconds, settings);
  const memoryItKwh = ccfMemoryEstimate({ gigabyteHours: totals.memoryGbHours, pue: 1, emissionsFactorTPerKwh: 0 }).kilowattHours;
  const energyKwh = (computeItKwh + memoryItKwh) * settings.pue;
  const carbonG = operationalCarbon(energyKwh, settings.kgPerKwh);
  let embodiedG: number | null = null;
  if (settings.embodied && totals.wallSeconds > 0) {
    // TiR: the hours the node ran; RR: the vCPUs it held (on average over its samples), of ToR.
    const e = settings.embodied;
    // Years of 8,760 hours, as CCF counts a server's lifespan (4 years = 35,040 h).
    const lifespanHours = e.lifespanYears * 365 * 24;
    embodiedG = embodiedCarbon({
      totalEmbodiedKg: e.totalKg,
      timeReservedHours: Math.min(lifespanHours, totals.wallSeconds / 3600),
      expectedLifespanHours: lifespanHours,
      resourcesReserved: Math.min(e.hostVcpus, totals.vcpuSeconds / totals.wallSeconds),
      totalResources: e.hostVcpus,
    });
  }
  const recommendations = totals.counts.recommend;
  const sciPer1000Recommendations = recommendations > 0 ? ((carbonG + (embodiedG ?? 0)) * 1000) / recommendations : null;
  // Compute energy (idle power of the held vCPUs included) is shared by CPU time: each component
  // gets its share of the process's CPU time, so the lines add up to the total.
  // Shared over the lines' own sum (stored in whole microseconds, it can differ from the process
  // total by rounding), so the lines always add up to the total.
  const linesCpu = METERED_COMPONENTS.reduce((a, c) => a + totals.componentSeconds[c], totals.otherSeconds);
  const perCpuSecond = linesCpu > 0 ? (computeItKwh * settings.pue) / linesCpu : 0;
  const line = (component: ComponentEnergy['component'], cpuSeconds: number, count: number, energy = cpuSeconds * perCpuSecond): ComponentEnergy => ({
    component,
    cpuSeconds,
    energyKwh: energy,
    carbonG: operationalCarbon(energy, settings.kgPerKwh),
    count,
  });
  const components: ComponentEnergy[] = [
    ...METERED_COMPONENTS.map((c) => line(c, totals.componentSeconds[c], totals.counts[c])),
    line('other', totals.otherSeconds, 0, linesCpu > 0 ? totals.otherSeconds * perCpuSecond : computeItKwh * settings.pue),
    line('memory', 0, 0, memoryItKwh * settings.pue),
  ];
  return {
    method: rapl ? METHOD_RAPL : METHOD_MODEL,
    cpuSeconds: totals.cpuSeconds,
    vcpuHours: totals.vcpuSeconds / 3600,
    utilisation: totals.vcpuSeconds > 0 ? Math.min(1, totals.cpuSeconds / totals.vcpuSeconds) : 0,
    memoryGbHours: totals.memoryGbHours,
    computeItKwh,
    memoryItKwh,
    energyKwh,
    carbonG,
    embodiedG,
    recommendations,
    sciPer1000Recommendations,
    components,
  };
}

