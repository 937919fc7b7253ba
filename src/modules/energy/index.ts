/** Energy accounting: converting measured work into energy by a documented model. */
export { cpuTimeEnergyKwh, CCF_ALIBABA_AVERAGE, CPU_TIME_METHOD, type CpuPowerModel } from './model.js';
