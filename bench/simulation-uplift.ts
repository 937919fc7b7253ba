/**
 * What personalisation is worth in the baby-care world, measured as an operator would: the real
 * server in process (demo mode, simulated clock), a simulated audience through the whole show, and
 * an A/B experiment — the non-personalised list (control) against the linear bandit (LinUCB) —
 * planned at 5,000 viewers per arm with conversion as the primary metric. Enough viewers arrive for
 * both arms to reach the plan (60 % of the baby-care audience allow personalisation). Reported: per
 * arm conversion, the bandit's uplift with its repeated 95 % interval at the last look, the verdict,
 * and the regret curves against the best possible lists (truth from the world). Target (issue): the
 * interval excludes zero.
 *
 * For context, the ceilings of what a policy could reach knowing each viewer, only their declared
 * child age band, or nothing of them (`knowledgeCeilings`): the demo stage as seeded (no pins or
 * flash sales), the same scenario and seed's first 4,000 viewers, 4 slots, expected purchases.
 */
import {
  NoiseTable,
  builtinScenarioPath,
  createInjectTarget,
  demoProductViews,
  generateAudience,
  knowledgeCeilings,
  readScenarioFile,
  roomContext,
  simulate,
  type KnowledgeCeilings,
  type SimulationReport,
} from '../src/modules/simulation/index.js';
import { log } from './lib.js';

export interface SimulationUpliftOptions {
  viewers: number;
  plannedUnitsPerArm: number;
  seed: number;
}

export const SIMULATION_UPLIFT_DEFAULTS: SimulationUpliftOptions = { viewers: 17_500, plannedUnitsPerArm: 5_000, seed: 20_261_129 };

export interface SimulationUpliftResult {
  options: SimulationUpliftOptions;
  report: SimulationReport;
  /** Mean expected purchases per list by what a policy knows of the viewer (see the file comment). */
  ceilings: KnowledgeCeilings;
}

/** The knowledge ceilings of the baby-care world on the seeded demo stage (the file comment). */
export function upliftCeilings(seed: number, viewers = 4_000): KnowledgeCeilings {
  const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
  const audience = generateAudience({ ...scenario, audience: { ...scenario.audience, viewers } }, seed);
  const stage = demoProductViews();
  return knowledgeCeilings(audience, (v) => v.segment.childAgeBand, stage, 4, roomContext(stage), NoiseTable.forScenario(scenario), 'purchase');
}

export async function runSimulationUplift(partial: Partial<SimulationUpliftOptions> = {}): Promise<SimulationUpliftResult> {
  const options = { ...SIMULATION_UPLIFT_DEFAULTS, ...partial };
  const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
  const target = await createInjectTarget();
  try {
    log(`simulation-uplift: ${options.viewers} viewers through the baby-care show, control vs LinUCB at ${options.plannedUnitsPerArm} per arm …`);
    let last = -1;
    const report = await simulate({
      target,
      scenario,
      viewers: options.viewers,
      seed: options.seed,
      experiment: {
        definition: {
          name: 'baby-care: personalised vs not (simulated)',
          brandId: 'demo-brand',
          sessionIds: ['demo'],
          arms: [
            { id: 'control', name: 'Not personalised', policy: 'non_personalised' },
            { id: 'bandit', name: 'LinUCB', policy: 'linucb' },
          ],
          allocation: [0.5, 0.5],
          control: 'control',
          primaryMetric: 'conversion',
          plannedUnitsPerArm: options.plannedUnitsPerArm,
          lookEveryMinutes: 5,
        },
      },
      onProgress: (p) => {
        const minute = Math.floor(p.minute / 10);
        if (minute > last) {
          last = minute;
          log(`  minute ${Math.floor(p.minute)}: ${p.viewersArrived} viewers, ${p.requests} requests`);
        }
      },
    });
    return { options, report, ceilings: upliftCeilings(options.seed) };
  } finally {
    await target.close();
  }
}

const pct = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(d)} %`);

export function simulationUpliftReport(r: SimulationUpliftResult): string {
  const rep = r.report;
  const arms = rep.perArm.filter((a) => a.arm === 'control' || a.arm === 'bandit' || a.arm === 'outside');
  const lines = [
    `Simulated A/B in the baby-care world — ${rep.viewers.toLocaleString('en-US')} viewers over ${rep.minutes} simulated minutes, seed ${rep.seed}, in process; ${rep.requests.total.toLocaleString('en-US')} requests in ${rep.wallSeconds.toFixed(0)} s (${rep.requests.errors} errors)`,
    '',
    '| arm | viewers | lists | conversion (buyers ÷ viewers) | CTR | GMV per viewer | expected purchases per list (truth) | best possible | regret per list |',
    '|---|---|---|---|---|---|---|---|---|',
    ...arms.map(
      (a) =>
        `| ${a.arm} | ${a.viewers} | ${a.lists} | ${pct(a.conversion)} | ${pct(a.clickThrough)} | ¥${(a.gmvPerViewerYuan ?? 0).toFixed(2)} | ${a.expectedPurchaseReward?.toFixed(4) ?? '—'} | ${a.bestPossiblePurchaseReward?.toFixed(4) ?? '—'} | ${a.regret.perList?.toFixed(4) ?? '—'} |`,
    ),
    '',
  ];
  const u = rep.uplift;
  if (u && u.difference) {
    const excludes = u.difference.lo > 0 || u.difference.hi < 0;
    lines.push(
      `Server's analysis at look ${u.look} (${pct(u.fraction, 0)} of the planned sample${u.final ? ', final' : ''}): ${u.treatment} − ${u.control} conversion ${(u.difference.estimate * 100).toFixed(2)} points [${(u.difference.lo * 100).toFixed(2)}, ${(u.difference.hi * 100).toFixed(2)}]` +
        (u.relativeUplift ? `, relative uplift ${pct(u.relativeUplift.estimate, 1)} [${pct(u.relativeUplift.lo, 1)}, ${pct(u.relativeUplift.hi, 1)}]` : '') +
        ` → ${u.verdictText}`,
      `Target: the uplift's 95 % interval excludes zero — ${excludes ? 'PASS' : 'MISS'}`,
    );
  } else lines.push('No comparison from the server (no look with data).');
  lines.push('', 'Cumulative regret (expected purchases lost against the best possible lists) every 10 simulated minutes:');
  for (const a of arms) {
    const points = a.regret.curve.filter((p) => p.minute % 10 === 9 || p.minute === a.regret.curve.length - 1);
    lines.push(`  ${a.arm}: ${points.map((p) => `${p.minute + 1} min ${p.cumulativeRegret.toFixed(1)}`).join(', ')}`);
  }
  lines.push('  (learning curve: mean expected purchases per list by minute, in the JSON results and the HTML report of `qingliu simulate`)');
  const c = r.ceilings;
  lines.push(
    '',
    `What a policy could reach by what it knows (seeded demo stage, no pins or sales, ${c.viewers.toLocaleString('en-US')} of these viewers, 4 slots; expected purchases per list, share of each viewer's own best):`,
    `  each viewer's own best ${c.perViewer.toFixed(4)} (100 %); the best per declared child age band ${c.perGroup.toFixed(4)} (${pct(c.perGroup / c.perViewer, 0)}); the best for everyone ${c.population.toFixed(4)} (${pct(c.population / c.perViewer, 0)})`,
  );
  return lines.join('\n');
}
