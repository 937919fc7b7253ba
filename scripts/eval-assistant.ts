/**
 * Scores the shopping assistant on test/assistant-eval/questions.json against the demo catalogue
 * (built in process from the seed file; no database): accuracy on answerable questions, refusal
 * correctness on those to decline or hand off, invented prices — per language and overall — and the
 * failures. Also prints the answer latency (informational, never a target).
 *
 *   node --import tsx scripts/eval-assistant.ts           table and failures
 *   node --import tsx scripts/eval-assistant.ts --json    the scores as JSON
 *   … --hashed-ids                                        reproducible UUIDs instead of random ones
 *
 * Exit code 1 when a target is missed (accuracy ≥ 90 %, refusal ≥ 95 %, no invented price).
 */
import { parseArgs } from 'node:util';
import { createAssistant } from '../src/modules/assistant/index.js';
import { TARGETS, demoEvalCatalogue, loadEvalItems, missedTargets, pct, runEval, type EvalReport, type GroupScores } from './assistant-eval-lib.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, 'hashed-ids': { type: 'boolean', default: false } } });

const ev = demoEvalCatalogue(values['hashed-ids'] ? { kind: 'hashed', salt: 'eval' } : { kind: 'random' });
const items = loadEvalItems();
const t0 = performance.now();
const assistant = createAssistant(ev.catalogue);
const buildMs = performance.now() - t0;
const report = runEval(assistant, items, ev);
const latency = measureLatency();
const missed = missedTargets(report);

if (values.json) {
  console.log(
    JSON.stringify(
      {
        targets: TARGETS,
        met: missed.length === 0,
        missed,
        scores: report.groups,
        failures: report.failures.map((f) => ({ id: f.id, question: f.question, answer: f.reply.answer, outcome: f.reply.outcome, problems: f.problems, invented: f.invented })),
        latencyMs: { ...latency, build: round(buildMs) },
      },
      null,
      2,
    ),
  );
} else {
  printReport(report);
  console.log(`\nLatency (in process, ${latency.samples} answers): p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms; index build ${round(buildMs)} ms`);
  console.log(missed.length === 0 ? '\nAll targets met.' : `\nTargets missed: ${missed.join('; ')}`);
}
process.exitCode = missed.length === 0 ? 0 : 1;

function printReport(r: EvalReport): void {
  const row = (name: string, g: GroupScores) =>
    `${name.padEnd(8)} ${`${pct(g.accuracy)} (${g.correct}/${g.answerable})`.padEnd(20)} ${`${pct(g.refusal)} (${g.refusedCorrectly}/${g.declined})`.padEnd(20)} ${g.inventedPrices}`;
  console.log(`Assistant evaluation — ${items.length} questions, demo catalogue (${ev.productById.size} products)`);
  console.log(`targets: accuracy ≥ ${pct(TARGETS.accuracy)}, refusal ≥ ${pct(TARGETS.refusal)}, invented prices ${TARGETS.inventedPrices}\n`);
  console.log(`${'locale'.padEnd(8)} ${'accuracy'.padEnd(20)} ${'refusal'.padEnd(20)} invented prices`);
  console.log(row('zh-CN', r.groups['zh-CN']));
  console.log(row('en', r.groups.en));
  console.log(row('overall', r.groups.overall));
  if (r.failures.length === 0) return;
  console.log(`\nFailures (${r.failures.length}):`);
  for (const f of r.failures) {
    const why = [...f.problems, ...f.invented.map((fen) => `invented amount ${fen / 100}`)].join('; ');
    console.log(`- ${f.id}  ${f.question}\n    ${why}\n    → [${f.reply.outcome}] ${f.reply.answer.replace(/\n/g, ' / ')}`);
  }
}

/** Each question asked 20 times over after one untimed warm-up round, timed one by one: p50 and p99 of single answers. */
function measureLatency(): { samples: number; p50: number; p99: number; max: number } {
  const times: number[] = [];
  for (let round = -1; round < 20; round++) {
    for (const item of items) {
      const pinned = item.context.pinnedProductId === undefined ? undefined : ev.idBySku.get(item.context.pinnedProductId);
      const t = performance.now();
      assistant.answer(item.question, { locale: item.locale, ...(pinned !== undefined ? { pinnedProductId: pinned } : {}) });
      if (round >= 0) times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return { samples: times.length, p50: at(0.5), p99: at(0.99), max: round(times[times.length - 1] ?? 0) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
