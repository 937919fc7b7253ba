/**
 * Runs the benchmarks and reports; never asserts.
 *
 *   npm run bench                         all of them
 *   npm run bench -- showcase             showcase broadcast latency only
 *   npm run bench -- products             read API throughput only
 *   npm run bench -- access-log           access-log append and proofs at 1 million entries
 *   npm run bench -- protection           seal/open of 200-byte values against no encryption
 *   npm run bench -- ingestion            personal events with consent check, sealed vs plain payloads
 *   npm run bench -- recommender-core     bandit decision (50 candidates × 32 features, slate 4, 4 explanations) + update
 *   npm run bench -- evaluate             offline evaluation wall time on the two Open Bandit Dataset samples
 *   npm run bench -- recommendations      GET …/recommendations?k=4, 10,000 viewers (30 % consenting), vs a bare Fastify route
 *   npm run bench -- simulation-coverage  coverage of the experiments' 95 % intervals over 1,000 simulated A/B runs
 *   npm run bench -- fairness             a fairness audit over 1 million decisions and 10 segments: time and memory
 *   npm run bench -- simulation           simulated viewers per second against a real server (HTTP + WebSocket) and in process
 *   npm run bench -- simulation-uplift    the bandit's conversion uplift over non-personalised in the simulated baby-care show
 *   npm run bench -- energy-meter         the energy meter's overhead: recommendations throughput with the meter on vs off
 *   npm run bench -- chat-fanout          2,000 chat messages/s to 2,000 viewers of one room: delivery p50/p99 and drops, vs a bare ws fan-out
 *   npm run bench -- assistant            the shopping assistant's answer latency in process (service, answerer, retrieval), index build time
 *   npm run bench -- cluster-ingestion    room events/s and p99: one node on SQLite, two nodes on PostgreSQL + NATS, vs a raw batched INSERT
 *   npm run bench -- fanout-10k           pin broadcast to 10,000 viewers (p50/p99, lost) and memory per idle connection, vs a bare ws server
 *   npm run bench -- overload             2× the sustainable room-event rate for 60 s on one node: shed share, memory bounded, no crash, accepted == stored
 *   flags: --viewers 1000 --rounds 30     (showcase)
 *          --duration 10 --connections 50 (products)
 *          --viewers 2000 --senders 400 --rate 2000 --duration 10 --rounds 2 (chat-fanout)
 *          --events 1000 --rounds 5 --connections 32 (cluster-ingestion)
 *          --viewers 10000 --rounds 20 (fanout-10k)
 *          --seconds 60                (overload)
 *
 * Tables go to stdout, progress to stderr, and the figures to bench/results/latest.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, codeVersion, killAllChildren, machineInfo } from './lib.js';
import { runShowcase, showcaseReport, SHOWCASE_DEFAULTS, type ShowcaseResult } from './showcase-broadcast.js';
import { runProducts, productsReport, PRODUCTS_DEFAULTS, type ProductsResult } from './product-list.js';
import { accessLogReport, runAccessLog, type AccessLogResult } from './access-log.js';
import { protectionReport, runProtection, type ProtectionBenchResult } from './protection.js';
import { ingestionReport, runIngestion, type IngestionResult } from './ingestion.js';
import { recommenderCoreReport, runRecommenderCore, type RecommenderCoreResult } from './recommender-core.js';
import { evaluateReport, runEvaluate, type EvaluateResult } from './evaluate.js';
import { recommendationsReport, runRecommendations, type RecommendationsResult } from './recommendations.js';
import { runSimulationCoverage, simulationCoverageReport, type SimulationCoverageResult } from './simulation-coverage.js';
import { fairnessReport, runFairnessBench, type FairnessBenchResult } from './fairness.js';
import { runSimulationBench, simulationReport, type SimulationBenchResult } from './simulation.js';
import { runSimulationUplift, simulationUpliftReport, type SimulationUpliftResult } from './simulation-uplift.js';
import { energyMeterReport, runEnergyMeter, type EnergyMeterResult } from './energy-meter.js';
import { chatFanoutReport, runChatFanout, CHAT_FANOUT_DEFAULTS, type ChatFanoutResult } from './chat-fanout.js';
import { assistantReport, runAssistantBench, type AssistantBenchResult } from './assistant.js';
import { clusterIngestionReport, runClusterIngestion, CLUSTER_INGESTION_DEFAULTS, type ClusterIngestionResult } from './cluster-ingestion.js';
import { fanout10kReport, runFanout10k, FANOUT_10K_DEFAULTS, type Fanout10kResult } from './fanout-10k.js';
import { overloadReport, runOverload, OVERLOAD_DEFAULTS, type OverloadResult } from './overload.js';

const BENCHMARKS = ['showcase', 'products', 'access-log', 'protection', 'ingestion', 'recommender-core', 'evaluate', 'recommendations', 'simulation-coverage', 'fairness', 'simulation', 'simulation-uplift', 'energy-meter', 'chat-fanout', 'assistant', 'cluster-ingestion', 'fanout-10k', 'overload'] as const;
type Benchmark = (typeof BENCHMARKS)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    viewers: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    senders: { type: 'string' },
    rate: { type: 'string' },
    events: { type: 'string' },
    seconds: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    [
      'Usage: npm run bench [-- showcase|products|chat-fanout|…] [--viewers N] [--rounds N] [--duration S] [--connections N] [--senders N] [--rate N] [--events N] [--seconds S]',
      `  showcase: viewers ${SHOWCASE_DEFAULTS.viewers}, rounds ${SHOWCASE_DEFAULTS.rounds}`,
      `  products: duration ${PRODUCTS_DEFAULTS.durationSeconds} s, connections ${PRODUCTS_DEFAULTS.connections}`,
      `  chat-fanout: viewers ${CHAT_FANOUT_DEFAULTS.viewers}, senders ${CHAT_FANOUT_DEFAULTS.senders}, rate ${CHAT_FANOUT_DEFAULTS.rate} messages/s, duration ${CHAT_FANOUT_DEFAULTS.durationSeconds} s, rounds ${CHAT_FANOUT_DEFAULTS.rounds} per server`,
      `  cluster-ingestion: events ${CLUSTER_INGESTION_DEFAULTS.eventsPerRound} per round, rounds ${CLUSTER_INGESTION_DEFAULTS.rounds}, connections ${CLUSTER_INGESTION_DEFAULTS.connections}`,
      `  fanout-10k: viewers ${FANOUT_10K_DEFAULTS.viewers}, rounds ${FANOUT_10K_DEFAULTS.rounds}`,
      `  overload: seconds ${OVERLOAD_DEFAULTS.seconds} at ${OVERLOAD_DEFAULTS.factor}× the sustainable rate`,
    ].join('\n') + '\n',
  );
  process.exit(0);
}

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${flag} must be a positive integer (got "${raw}")\n`);
    process.exit(2);
  }
  return n;
}

const unknown = positionals.filter((p) => !(BENCHMARKS as readonly string[]).includes(p));
if (unknown.length) {
  process.stderr.write(`Unknown benchmark(s): ${unknown.join(', ')}. Choose from: ${BENCHMARKS.join(', ')}.\n`);
  process.exit(2);
}
const selected: Benchmark[] = positionals.length ? (positionals as Benchmark[]) : [...BENCHMARKS];

const showcaseOptions = {
  viewers: positiveInt('viewers', values.viewers, SHOWCASE_DEFAULTS.viewers),
  rounds: positiveInt('rounds', values.rounds, SHOWCASE_DEFAULTS.rounds),
};
const productsOptions = {
  durationSeconds: positiveInt('duration', values.duration, PRODUCTS_DEFAULTS.durationSeconds),
  connections: positiveInt('connections', values.connections, PRODUCTS_DEFAULTS.connections),
};

const chatFanoutOptions = {
  viewers: positiveInt('viewers', values.viewers, CHAT_FANOUT_DEFAULTS.viewers),
  senders: positiveInt('senders', values.senders, CHAT_FANOUT_DEFAULTS.senders),
  rate: positiveInt('rate', values.rate, CHAT_FANOUT_DEFAULTS.rate),
  durationSeconds: positiveInt('duration', values.duration, CHAT_FANOUT_DEFAULTS.durationSeconds),
  rounds: positiveInt('rounds', values.rounds, CHAT_FANOUT_DEFAULTS.rounds),
};

const clusterIngestionOptions = {
  eventsPerRound: positiveInt('events', values.events, CLUSTER_INGESTION_DEFAULTS.eventsPerRound),
  rounds: positiveInt('rounds', values.rounds, CLUSTER_INGESTION_DEFAULTS.rounds),
  connections: positiveInt('connections', values.connections, CLUSTER_INGESTION_DEFAULTS.connections),
};

const fanout10kOptions = {
  viewers: positiveInt('viewers', values.viewers, FANOUT_10K_DEFAULTS.viewers),
  rounds: positiveInt('rounds', values.rounds, FANOUT_10K_DEFAULTS.rounds),
};

const overloadOptions = {
  seconds: positiveInt('seconds', values.seconds, OVERLOAD_DEFAULTS.seconds),
};

process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

const machine = machineInfo();
const code = codeVersion();
const out = (line = '') => process.stdout.write(line + '\n');
out(`Qingliu benchmarks — ${new Date().toISOString()}`);
out(`Machine: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, ${machine.platform} (${machine.kernel})`);
out(`Node ${machine.node}; open-files limit ${machine.openFilesLimit ?? 'unknown'}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
out(`Code: commit ${code.commit ?? 'unknown'}${code.srcModified ? ' with uncommitted changes in src/' : ''}`);
out('Client (load generator) and server run in separate processes on the same cores: see docs/benchmarks.md on noise.');
out();

const results: {
  startedAt: string;
  finishedAt?: string;
  machine: typeof machine;
  code: typeof code;
  loadAverageAtStart: number[];
  argv: string[];
  showcase?: ShowcaseResult;
  products?: ProductsResult;
  accessLog?: AccessLogResult;
  protection?: ProtectionBenchResult;
  ingestion?: IngestionResult;
  recommenderCore?: RecommenderCoreResult;
  evaluate?: EvaluateResult;
  recommendations?: RecommendationsResult;
  simulationCoverage?: SimulationCoverageResult;
  fairness?: FairnessBenchResult;
  simulation?: SimulationBenchResult;
  simulationUplift?: SimulationUpliftResult;
  energyMeter?: EnergyMeterResult;
  chatFanout?: ChatFanoutResult;
  assistant?: AssistantBenchResult;
  clusterIngestion?: ClusterIngestionResult;
  fanout10k?: Fanout10kResult;
  overload?: OverloadResult;
  errors: { benchmark: Benchmark; message: string }[];
} = { startedAt: new Date().toISOString(), machine, code, loadAverageAtStart: os.loadavg(), argv: process.argv.slice(2), errors: [] };

for (const benchmark of selected) {
  try {
    if (benchmark === 'showcase') {
      results.showcase = await runShowcase(showcaseOptions);
      out(showcaseReport(results.showcase));
    } else if (benchmark === 'products') {
      results.products = await runProducts(productsOptions);
      out(productsReport(results.products));
    } else if (benchmark === 'access-log') {
      results.accessLog = await runAccessLog();
      out(accessLogReport(results.accessLog));
    } else if (benchmark === 'protection') {
      results.protection = await runProtection();
      out(protectionReport(results.protection));
    } else if (benchmark === 'ingestion') {
      results.ingestion = await runIngestion();
      out(ingestionReport(results.ingestion));
    } else if (benchmark === 'recommender-core') {
      results.recommenderCore = await runRecommenderCore();
      out(recommenderCoreReport(results.recommenderCore));
    } else if (benchmark === 'evaluate') {
      results.evaluate = await runEvaluate();
      out(evaluateReport(results.evaluate));
    } else if (benchmark === 'recommendations') {
      results.recommendations = await runRecommendations();
      out(recommendationsReport(results.recommendations));
    } else if (benchmark === 'simulation-coverage') {
      results.simulationCoverage = await runSimulationCoverage();
      out(simulationCoverageReport(results.simulationCoverage));
    } else if (benchmark === 'fairness') {
      results.fairness = await runFairnessBench();
      out(fairnessReport(results.fairness));
    } else if (benchmark === 'simulation') {
      results.simulation = await runSimulationBench();
      out(simulationReport(results.simulation));
    } else if (benchmark === 'simulation-uplift') {
      results.simulationUplift = await runSimulationUplift();
      out(simulationUpliftReport(results.simulationUplift));
    } else if (benchmark === 'energy-meter') {
      results.energyMeter = await runEnergyMeter();
      out(energyMeterReport(results.energyMeter));
    } else if (benchmark === 'chat-fanout') {
      results.chatFanout = await runChatFanout(chatFanoutOptions);
      out(chatFanoutReport(results.chatFanout));
    } else if (benchmark === 'cluster-ingestion') {
      results.clusterIngestion = await runClusterIngestion(clusterIngestionOptions);
      out(clusterIngestionReport(results.clusterIngestion));
    } else if (benchmark === 'fanout-10k') {
      results.fanout10k = await runFanout10k(fanout10kOptions);
      out(fanout10kReport(results.fanout10k));
    } else if (benchmark === 'overload') {
      results.overload = await runOverload(overloadOptions);
      out(overloadReport(results.overload));
    } else {
      results.assistant = await runAssistantBench();
      out(assistantReport(results.assistant));
    }
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    results.errors.push({ benchmark, message });
    out(`${benchmark}: FAILED — ${message}`);
    process.exitCode = 1;
  } finally {
    killAllChildren();
  }
  out();
}

results.finishedAt = new Date().toISOString();
const resultsDir = path.join(BENCH_DIR, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, 'latest.json');
fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
out(`Results written to ${path.relative(process.cwd(), file)}`);
