/**
 * The energy API's JSON, shared with the pages: the live session meter, the report, the trend and
 * the region advice. Types only, standing alone (the pages type-check against it without loading
 * server code), so it repeats the few names it needs.
 */

export interface LocalisedName {
  zh: string;
  en: string;
}

/** The metered components (the meter's spans). */
export type MeteredComponent = 'recommend' | 'learn' | 'audits' | 'assistant' | 'serving' | 'storage';

/** One line of the report: a metered component, the resident memory (modelled), or the process work outside every span. */
export interface ComponentEnergy {
  component: MeteredComponent | 'other' | 'memory';
  cpuSeconds: number;
  energyKwh: number;
  carbonG: number;
  count: number;
}

/**
 * Why a report's figures are what they are, as a code the pages translate, with the values its
 * sentence needs; `notes` holds the same notes in English, one for one and in the same order.
 */
export type EnergyNoteCode =
  | 'location-based'
  | 'no-samples'
  | 'rapl-partial'
  | 'model-estimate'
  | 'rapl-off'
  | 'rapl-unreadable'
  | 'rapl-not-every-sample'
  | 'embodied-left-out'
  | 'storage-scope';

export interface EnergyNote {
  code: EnergyNoteCode;
  /** The figures in the sentence (counts, a reason from the system, which stays in English). */
  values: Record<string, string | number>;
}

export interface GridFactorView {
  id: string;
  value: number;
  year: number;
  source: string;
  scope: string;
}

export interface EnergyReport {
  since: string;
  until: string;
  method: string;
  methodDescription: string;
  cpuSeconds: number;
  energyKwh: number;
  region: string;
  regionName: LocalisedName;
  gridFactor: GridFactorView;
  pue: number;
  pueSource: string;
  carbonG: number;
  embodiedG: number | null;
  recommendations: number;
  sciPer1000Recommendations: number | null;
  liveSessionHours: number;
  sciPerLiveSessionHour: number | null;
  components: ComponentEnergy[];
  model: {
    minWattsPerVcpu: number;
    maxWattsPerVcpu: number;
    powerSource: string;
    vcpuHours: number;
    utilisation: number;
    memoryGbHours: number;
    memoryKwhPerGbHour: number;
    computeItKwh: number;
    memoryItKwh: number;
    raplJoules: number | null;
    formula: string;
  };
  samples: number;
  /** In English (the CLI prints them). */
  notes: string[];
  /** The same notes as codes, for the pages to say in the reader's language. */
  noteCodes: EnergyNote[];
}

export interface TrendPoint {
  start: string;
  cpuSeconds: number;
  energyKwh: number;
  carbonG: number;
  recommendations: number;
  gPer1000Recommendations: number | null;
  method: string;
}

export interface SessionEnergy {
  sessionId: string;
  live: boolean;
  /** Where the figures start: the earlier of go-live and the session's first recorded work. */
  since: number;
  at: number;
  method: string;
  cpuSeconds: number;
  energyKwh: number;
  energyWh: number;
  carbonG: number;
  recommendations: number;
  whPer1000Recommendations: number | null;
  gPer1000Recommendations: number | null;
  sessionHours: number;
  /** Grams per live hour, of the energy used while live (work before go-live is in the totals only). */
  gPerSessionHour: number | null;
  region: { id: string; name: LocalisedName };
  gridFactor: GridFactorView;
  pue: number;
}

export interface RegionAdvice {
  workload: { kwhPer1000: number | null; measuredFrom: string; recommendations: number };
  current: string;
  notes: string[];
  ranking: {
    id: string;
    name: LocalisedName;
    current: boolean;
    pue: number;
    factorId: string;
    kgPerKwh: number;
    factorYear: number;
    factorSource: string;
    /** Facility gCO2e per IT kWh at this site (PUE × factor × 1000): the ranking when no workload is measured yet. */
    gPerItKwh: number;
    kwhPer1000: number | null;
    gPer1000: number | null;
  }[];
}
