/** Energy accounting: converting measured work into energy by a documented model. */
export { cpuTimeEnergyKwh, CCF_ALIBABA_AVERAGE, CPU_TIME_METHOD, type CpuPowerModel } from './model.js';
export {
  ccfAverageWatts,
  ccfComputeEstimate,
  ccfMemoryEstimate,
  CCF_MAX_EMISSIONS_FACTOR_T_PER_KWH,
  CCF_MAX_PUE,
  CCF_MAX_WATTS_PER_VCPU,
  CCF_MEMORY_KWH_PER_GB_HOUR,
  type CcfComputeInput,
  type CcfEstimate,
  type CcfMemoryInput,
  type CcfPowerInput,
} from './ccf.js';
/** Carbon accounting: location-based grid factors and the Green Software Foundation's SCI. */
export {
  customFactor,
  DATA_CENTRE_HUBS,
  embodiedCarbon,
  GRID_FACTORS,
  gridFactor,
  HUB_FACTOR_YEAR,
  MAX_PLAUSIBLE_KG_PER_KWH,
  operationalCarbon,
  rankRegions,
  sci,
  sciPer1000Recommendations,
  type CustomFactorInput,
  type DataCentreHub,
  type EmbodiedInput,
  type GridFactor,
  type GridScope,
  type LocalisedName,
  type RegionCandidate,
  type RegionRanking,
  type SciInput,
  type SciRecommendationsInput,
} from './carbon.js';
/** Measured package energy from RAPL counters (the only I/O in this module). */
export {
  DEFAULT_POWERCAP_ROOT,
  RaplMeter,
  readRapl,
  type RaplDomain,
  type RaplDomainEnergy,
  type RaplEnergy,
  type RaplMeterOptions,
  type RaplReading,
  type RaplSample,
} from './rapl.js';
export { EnergyMeter, METERED_COMPONENTS, processClock, type MeterClock, type MeterReading, type MeteredComponent } from './meter.js';
export { account, emptyTotals, modelComputeItKwh, METHOD_DESCRIPTIONS, METHOD_MODEL, METHOD_RAPL, type Accounting, type ComponentEnergy, type PowerSettings, type SampleTotals } from './accounting.js';
export type { EnergyStore, SessionSampleRow, StoredSample, StoredSessionShare } from './ports.js';
export { KyselyEnergyStore } from './adapters/energy.kysely.js';
export {
  EnergyService,
  machineBusyMicros,
  sampleOf,
  sessionSharesOf,
  totalsOfSample,
  type EnergyDeps,
  type EnergyNote,
  type EnergyNoteCode,
  type EnergyReport,
  type EnergySettings,
  type RegionAdvice,
  type SessionEnergy,
  type TrendPoint,
} from './service.js';
export { energyRoutes, MAX_PERIOD_DAYS, parsePeriod, parseTime, trendCsv, type EnergyRouteOptions } from './routes.js';
