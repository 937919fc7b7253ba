/**
 * Coverage of the experiments' 95 % intervals over many simulated A/B runs with a known difference
 * (target: between 93 % and 97 %). Each run is a fresh simulated audience in the baby-care world,
 * split by the experiments' keyed hash between two fixed policies (one slate for everyone vs the
 * slate best for each child age band), every viewer responding through the world's cascade, and
 * analysed at 10 scheduled looks by the server's own analysis code. The true difference comes from
 * the world's truth on an independent 50,000-viewer reference audience. See
 * src/modules/simulation/ab-coverage.ts.
 */
import { abCoverage, demoProductViews, type CoverageResult } from '../src/modules/simulation/ab-coverage.js';
import { builtinScenarioPath, readScenarioFile } from '../src/modules/simulation/world/index.js';
import { log } from './lib.js';

export interface SimulationCoverageOptions {
  runs: number;
  unitsPerArm: number;
  looks: number;
  seed: number;
}

export const SIMULATION_COVERAGE_DEFAULTS: SimulationCoverageOptions = { runs: 1_000, unitsPerArm: 1_000, looks: 10, seed: 20_261_129 };
export const COVERAGE_TARGET = { lo: 0.93, hi: 0.97 } as const;

export interface SimulationCoverageResult {
  options: SimulationCoverageOptions;
  obrienFleming: CoverageResult;
  pocock: CoverageResult;
}

export async function runSimulationCoverage(partial: Partial<SimulationCoverageOptions> = {}): Promise<SimulationCoverageResult> {
  const options = { ...SIMULATION_COVERAGE_DEFAULTS, ...partial };
  const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
  const products = demoProductViews();
  const run = (spending: 'obrien_fleming' | 'pocock') => {
    log(`simulation-coverage: ${options.runs} simulated A/B runs × ${options.unitsPerArm} viewers per arm, ${options.looks} looks, ${spending} …`);
    let last = 0;
    return abCoverage({
      scenario,
      products,
      runs: options.runs,
      unitsPerArm: options.unitsPerArm,
      looks: options.looks,
      k: 4,
      seed: options.seed,
      spending,
      onProgress: (done, total) => {
        const pct = Math.floor((done / total) * 10);
        if (pct > last) {
          last = pct;
          log(`  ${done}/${total} runs`);
        }
      },
    });
  };
  return { options, obrienFleming: run('obrien_fleming'), pocock: run('pocock') };
}

const pct = (v: number, d = 1) => `${(v * 100).toFixed(d)} %`;

export function simulationCoverageReport(r: SimulationCoverageResult): string {
  const o = r.options;
  const t = r.obrienFleming.trueConversion;
  const lines = [
    `Experiment coverage — ${o.runs} simulated A/B runs in the baby-care world, ${o.unitsPerArm} viewers per arm, ${o.looks} scheduled looks, seed ${o.seed}`,
    `True conversion (reference audience of 50,000): one slate for all ${pct(t.a, 3)}, per child age band ${pct(t.b, 3)}; difference ${(t.difference * 100).toFixed(3)} points (relative ${pct(t.relativeUplift)})`,
    '',
    '| spending | runs covering the truth at every look | 95 % interval (Wilson) | relative uplift covered | found B better at the last look | wrong sign | mean half-width at the last look | mean viewers per run | seconds |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, c] of [
    ['O’Brien–Fleming (default)', r.obrienFleming],
    ['Pocock', r.pocock],
  ] as const) {
    lines.push(
      `| ${name} | ${pct(c.coverage)} | ${pct(c.coverageInterval[0])} – ${pct(c.coverageInterval[1])} | ${pct(c.relativeUpliftCoverage)} | ${pct(c.power)} | ${pct(c.wrongSign)} | ${(c.meanHalfWidthAtFinalLook * 100).toFixed(2)} points | ${c.meanViewers.toFixed(0)} | ${c.seconds.toFixed(0)} |`,
    );
  }
  const met = r.obrienFleming.coverage >= COVERAGE_TARGET.lo && r.obrienFleming.coverage <= COVERAGE_TARGET.hi;
  lines.push('', `Target: coverage between ${pct(COVERAGE_TARGET.lo, 0)} and ${pct(COVERAGE_TARGET.hi, 0)} over ≥ 200 runs (default design): ${met ? 'PASS' : 'MISS'} (${pct(r.obrienFleming.coverage)})`);
  return lines.join('\n');
}
