/**
 * What a module needs to have its work metered for energy accounting (the energy module's
 * EnergyMeter implements it): synchronous spans of work per component, optionally for a live
 * session, and counts of units of work. Modules depend on this, not on the energy module.
 */
export type WorkComponent = 'recommend' | 'learn' | 'audits' | 'assistant' | 'serving' | 'storage';

export interface WorkMeter {
  span<T>(component: WorkComponent, fn: () => T, session?: string): T;
  count(component: WorkComponent, n?: number, session?: string): void;
  /**
   * Work another thread of this process did for the component (timed there around a synchronous
   * run, so its elapsed time is its CPU time): the process CPU clock includes it.
   */
  record(component: WorkComponent, cpuMicros: number, session?: string): void;
}

/** Meters nothing (the default where no meter is plugged in). */
export const NO_METER: WorkMeter = {
  span: (_component, fn) => fn(),
  count: () => undefined,
  record: () => undefined,
};
