/**
 * `qingliu energy`: the energy and carbon report of what this deployment's meter stored, the
 * region advice for its measured workload, and (compare) the evidence for the light model.
 * Bad input gets one message and a non-zero exit; config problems (an unknown region, a factor
 * without its year or source, absurd coefficients) stop the command before anything runs.
 */
import { Command, InvalidArgumentError } from 'commander';
import { MAX_PERIOD_DAYS, parseTime, type EnergyReport, type RegionAdvice } from '../modules/energy/index.js';
import { AppError } from '../errors/index.js';
import { CliError, dbOption } from './index.js';
import { withServices } from './shared.js';
import { energyCompareCommand } from './energy-compare.js';

const DAY_MS = 86_400_000;

/** A time: ISO 8601, epoch milliseconds, or a span back from now such as 7d or 12h. */
export function timeArg(raw: string): number {
  const rel = /^(\d{1,5})([dh])$/.exec(raw.trim());
  if (rel) return Date.now() - Number(rel[1]) * (rel[2] === 'd' ? DAY_MS : 3_600_000);
  try {
    return parseTime('time', raw.trim());
  } catch (err) {
    if (err instanceof AppError) throw new InvalidArgumentError('must be an ISO 8601 time (2026-11-01 or 2026-11-01T08:00:00+08:00), epoch milliseconds, or a span back from now such as 7d or 12h');
    throw err;
  }
}

function positiveNumber(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1000) throw new InvalidArgumentError('must be a number of kWh > 0 and ≤ 1000');
  return n;
}

interface PeriodFlags {
  since?: number;
  until?: number;
  json?: boolean;
  db?: string;
}

function period(flags: PeriodFlags): { since: number; until: number } {
  const until = flags.until ?? Date.now();
  const since = flags.since ?? until - 30 * DAY_MS;
  if (!(since < until)) throw new CliError('--since must be before --until');
  if (until - since > MAX_PERIOD_DAYS * DAY_MS) throw new CliError(`the period may cover at most ${MAX_PERIOD_DAYS} days`);
  return { since, until };
}

const fmt = (n: number | null, digits = 4): string => (n === null ? '—' : n === 0 ? '0' : Math.abs(n) >= 0.01 ? n.toFixed(digits) : n.toExponential(3));

export function formatReport(r: EnergyReport): string {
  const lines = [
    `Energy and carbon ${r.since} – ${r.until} (${r.samples} samples)`,
    `  method        ${r.method}: ${r.methodDescription}`,
    `  region        ${r.region} (${r.regionName.zh} / ${r.regionName.en})`,
    `  grid factor   ${r.gridFactor.value} kg CO2e/kWh, ${r.gridFactor.year}, ${r.gridFactor.source}`,
    `  PUE           ${r.pue} (${r.pueSource})`,
    `  CPU time      ${fmt(r.cpuSeconds, 2)} s`,
    `  energy        ${fmt(r.energyKwh, 6)} kWh`,
    `  carbon        ${fmt(r.carbonG)} g CO2e operational${r.embodiedG === null ? '' : ` + ${fmt(r.embodiedG)} g embodied`}`,
    `  recommendations ${r.recommendations}`,
    `  SCI           ${fmt(r.sciPer1000Recommendations)} g CO2e per 1,000 recommendations; ${fmt(r.sciPerLiveSessionHour)} g per live-session hour (${fmt(r.liveSessionHours, 2)} h live)`,
    '',
    '  component     CPU s        kWh            g CO2e       count',
    ...r.components.map((c) => `  ${c.component.padEnd(12)}  ${fmt(c.cpuSeconds, 3).padEnd(11)}  ${fmt(c.energyKwh, 6).padEnd(13)}  ${fmt(c.carbonG).padEnd(11)}  ${c.count}`),
    '',
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return lines.join('\n') + '\n';
}

export function formatRegions(a: RegionAdvice): string {
  const head =
    a.workload.kwhPer1000 === null
      ? 'No measured workload yet (no recommendations in the period): sites are ranked by gCO2e per IT kWh. Serve some recommendations (npm start runs the demo) or pass --kwh-per-1000.'
      : `Workload: ${fmt(a.workload.kwhPer1000, 6)} kWh (IT, before PUE) per 1,000 recommendations, from ${a.workload.measuredFrom}.`;
  const rows = a.ranking.map(
    (r, i) =>
      `  ${String(i + 1).padStart(2)}. ${r.id.padEnd(14)} ${`${r.name.zh}`.padEnd(6)} PUE ${r.pue.toFixed(2)}  ${r.kgPerKwh.toFixed(4)} kg/kWh (${r.factorId}, ${r.factorYear})  ` +
      (r.gPer1000 === null ? `${fmt(r.gPerItKwh, 1)} g per IT kWh` : `${fmt(r.gPer1000)} g CO2e per 1,000 recommendations`) +
      (r.current ? '  ← this deployment' : ''),
  );
  const sources = [...new Set(a.ranking.map((r) => `  ${r.factorYear}: ${r.factorSource}`))];
  return [head, ...rows, '', 'Factor sources:', ...sources, '', ...a.notes].join('\n') + '\n';
}

export function energyCommand(): Command {
  const cmd = new Command('energy').description('energy and carbon: the report of what the meter stored, region advice, and the light-vs-heavy model comparison');
  cmd
    .command('report')
    .description('energy, carbon and SCI per 1,000 recommendations over a period (default: the last 30 days), with every input needed to recompute them')
    .option('--since <time>', 'start: ISO 8601, epoch ms, or e.g. 7d / 12h back from now', timeArg)
    .option('--until <time>', 'end (default: now)', timeArg)
    .option('--json', 'print the report as JSON')
    .addOption(dbOption())
    .action(async (flags: PeriodFlags) => {
      const { since, until } = period(flags);
      await withServices(flags.db ? { databaseUrl: flags.db } : {}, async ({ energy }) => {
        const report = await energy.report(since, until);
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      });
    });
  cmd
    .command('regions')
    .description('candidate data-centre sites ranked by gCO2e per 1,000 recommendations for the measured workload, with each factor’s year and source')
    .option('--since <time>', 'measure the workload from (default: 30 days back)', timeArg)
    .option('--until <time>', 'to (default: now)', timeArg)
    .option('--kwh-per-1000 <kwh>', 'use this IT energy per 1,000 recommendations instead of the measured one', positiveNumber)
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (flags: PeriodFlags & { kwhPer1000?: number }) => {
      const { since, until } = period(flags);
      await withServices(flags.db ? { databaseUrl: flags.db } : {}, async ({ energy }) => {
        const advice = await energy.regions(since, until, flags.kwhPer1000);
        process.stdout.write(flags.json ? `${JSON.stringify(advice, null, 2)}\n` : formatRegions(advice));
      });
    });
  cmd.addCommand(energyCompareCommand());
  return cmd;
}
