/**
 * `qingliu fairness` (group fairness of binary decisions, from a decision-log CSV) and
 * `qingliu exposure` (fairness of exposure in rankings, from a ranking-log CSV). Thin: read and
 * check the file, call the pure metrics, print a table or one JSON object. A bad file gets one
 * message naming file, row, line and column, and exit 2. Definitions: docs/fairness.md.
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  AUDIT_DEFAULTS,
  describeCsvProblem,
  exposureAudit,
  fairnessAudit,
  readDecisionFile,
  readRankingFile,
  type AuditDisparity,
  type ExposureAudit,
  type FairnessAudit,
} from '../modules/fairness/index.js';
import { CliError } from './index.js';
import { count } from './words.js';

const wholeNumber = (min: number) => (raw: string): number => {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
  return n;
};

function threshold(raw: string): number {
  const t = Number(raw);
  if (raw.trim() === '' || !(t > 0 && t <= 1)) throw new InvalidArgumentError('must be a number in (0, 1], e.g. 0.8 for the four-fifths rule');
  return t;
}

interface FairnessFlags {
  input: string;
  group: string;
  prediction: string;
  label?: string;
  reference?: string;
  threshold: number;
  weight?: string;
  minGroupSize: number;
  bootstrap: number;
  seed: number;
  json?: boolean;
}

export function fairnessCommand(): Command {
  return new Command('fairness')
    .description(
      'audit binary decisions (1 = recommended/selected) for group fairness: per-group rates, each group against a reference group (ratio, difference, bootstrap 95 % interval, Holm-corrected z-test), small groups suppressed',
    )
    .requiredOption('--input <file>', 'decision-log CSV with a header row, one row per decision')
    .requiredOption('--group <column>', 'column holding the group (segment) of each decision')
    .requiredOption('--prediction <column>', 'column holding the decision: 1 recommended/selected, 0 not')
    .option('--label <column>', 'column holding the outcome label (0/1): adds TPR, FPR, FNR, FDR, FOR, precision and the inequality indices')
    .option('--reference <value>', 'reference group (default: the largest group)')
    .option('--threshold <t>', 'fair when t ≤ ratio to the reference ≤ 1/t (default 0.8, the four-fifths rule)', threshold, AUDIT_DEFAULTS.threshold)
    .option('--weight <column>', 'column holding a non-negative weight per decision')
    .option('--min-group-size <n>', 'groups with fewer rows are reported with their size only', wholeNumber(1), AUDIT_DEFAULTS.minGroupSize)
    .option('--bootstrap <b>', 'bootstrap resamples for the 95 % intervals (0: none)', wholeNumber(0), AUDIT_DEFAULTS.bootstrap)
    .option('--seed <n>', 'seed of the bootstrap resamples', wholeNumber(0), AUDIT_DEFAULTS.seed)
    .option('--json', 'print one JSON object: groups, disparities, summary, reference, threshold')
    .action(async (opts: FairnessFlags) => {
      const read = await readDecisionFile(opts.input, { group: opts.group, prediction: opts.prediction, label: opts.label, weight: opts.weight });
      if (!read.ok) throw new CliError(describeCsvProblem(read.problem), 2);
      const result = fairnessAudit(read.data, {
        reference: opts.reference,
        threshold: opts.threshold,
        minGroupSize: opts.minGroupSize,
        bootstrap: opts.bootstrap,
        seed: opts.seed,
      });
      if (!result.ok) throw new CliError(`${opts.input}: ${result.message}`, 2);
      const { audit } = result;
      if (opts.json) {
        const { groups, disparities, summary, reference, threshold: t } = audit;
        process.stdout.write(`${JSON.stringify({ groups, disparities, summary, reference, threshold: t })}\n`);
        return;
      }
      process.stdout.write(
        fairnessTable(audit, {
          file: opts.input,
          rows: result.rows,
          labels: result.hasLabels,
          weighted: result.weighted,
          referenceGiven: opts.reference !== undefined,
          minGroupSize: opts.minGroupSize,
          bootstrap: opts.bootstrap,
          seed: opts.seed,
        }),
      );
    });
}

interface ExposureFlags {
  input: string;
  list: string;
  item: string;
  rank: string;
  group: string;
  relevance?: string;
  catalogSize?: number;
  json?: boolean;
}

export function exposureCommand(): Command {
  return new Command('exposure')
    .description('measure how position-weighted exposure (1/log2(1 + rank)) is shared between groups of items across ranked lists, its concentration (Gini) and catalogue coverage')
    .requiredOption('--input <file>', 'ranking-log CSV with a header row, one row per (list, item, rank)')
    .requiredOption('--list <column>', 'column identifying the list (one shown ranking)')
    .requiredOption('--item <column>', 'column identifying the item')
    .requiredOption('--rank <column>', 'column holding the 1-based position in the list')
    .requiredOption('--group <column>', "column holding the item's group (e.g. brand, seller size)")
    .option('--relevance <column>', 'column holding relevance in [0, 1]: adds exposure per relevance')
    .option('--catalog-size <n>', 'items in the catalogue: unseen items count as zero in the Gini, and coverage is reported', wholeNumber(1))
    .option('--json', 'print one JSON object: groups, gini, coverage, combined')
    .action(async (opts: ExposureFlags) => {
      const read = await readRankingFile(opts.input, { list: opts.list, item: opts.item, rank: opts.rank, group: opts.group, relevance: opts.relevance });
      if (!read.ok) throw new CliError(describeCsvProblem(read.problem), 2);
      const result = exposureAudit(read.data, { catalogSize: opts.catalogSize });
      if (!result.ok) throw new CliError(`${opts.input}: ${result.message} (--catalog-size)`, 2);
      if (opts.json) {
        const { groups, gini, coverage, combined } = result.audit;
        process.stdout.write(`${JSON.stringify({ groups, gini, coverage, combined })}\n`);
        return;
      }
      process.stdout.write(exposureTable(result.audit, { file: opts.input, rows: read.data.rows, lists: read.data.lists, items: read.data.items.length, catalogSize: opts.catalogSize }));
    });
}

// ---- tables ----

const int = (n: number) => n.toLocaleString('en-US');
const num = (v: number | null, digits = 4) => (v === null ? '—' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const signedPct = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)} pp`);
const pValue = (p: number | null) => (p === null ? '—' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

/** Columns padded to width; columns from `rightFrom` on are right-aligned. */
function table(header: string[], rows: string[][], rightFrom = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

const METRIC_LABEL: Record<AuditDisparity['metric'], string> = { selectionRate: 'selection rate', tpr: 'TPR', fpr: 'FPR' };

export function fairnessTable(
  a: FairnessAudit,
  ctx: { file: string; rows: number; labels: boolean; weighted: boolean; referenceGiven: boolean; minGroupSize: number; bootstrap: number; seed: number },
): string {
  const t = a.threshold;
  const lines = [
    `Fairness audit of ${ctx.file}`,
    `${int(ctx.rows)} decisions in ${a.groups.length} groups; ${ctx.labels ? 'with labels' : 'no labels (selection metrics only)'}${ctx.weighted ? ', weighted' : ''}`,
    `reference group: ${a.reference}${ctx.referenceGiven ? '' : ' (the largest)'}; fair when ${num(t, 2)} ≤ ratio ≤ ${num(1 / t, 2)}; flagged when also significant (two-proportion z-test, Holm-corrected per metric, α = 0.05)`,
    ctx.bootstrap > 0 ? `95 % intervals of the differences: percentile bootstrap, ${ctx.bootstrap} resamples, seed ${ctx.seed}` : 'no intervals (--bootstrap 0)',
    '',
  ];
  const groupHeader = ['group', 'n', 'selection rate', 'share of selections', ...(ctx.labels ? ['TPR', 'FPR', 'FNR', 'FDR', 'FOR', 'precision'] : [])];
  const groupRows = a.groups.map((g) =>
    g.suppressed
      ? [g.group, int(g.n), 'suppressed', '', ...(ctx.labels ? ['', '', '', '', '', ''] : [])]
      : [g.group, int(g.n), pct(g.selectionRate), pct(g.selectedShare), ...(ctx.labels ? [g.tpr, g.fpr, g.fnr, g.fdr, g.for, g.precision].map(pct) : [])],
  );
  lines.push(...table(groupHeader, groupRows));
  if (a.groups.some((g) => g.suppressed)) lines.push(`suppressed: fewer than ${ctx.minGroupSize} rows (--min-group-size), so only the size is shown and the rows are left out of every rate and summary`);
  lines.push('');
  if (a.disparities.length === 0) {
    lines.push('No group to compare with the reference.');
  } else {
    const rows = a.disparities.map((d) => [
      d.group,
      METRIC_LABEL[d.metric],
      num(d.ratio, 3),
      signedPct(d.difference),
      d.ci95 ? `[${signedPct(d.ci95[0])}, ${signedPct(d.ci95[1])}]` : '—',
      pValue(d.pValue),
      pValue(d.pAdjusted),
      d.fair === null ? '—' : d.fair ? 'yes' : 'no',
      d.flagged ? 'FLAGGED' : '',
    ]);
    lines.push(`Against ${a.reference}:`, ...table(['group', 'metric', 'ratio', 'difference', '95 % interval', 'p', 'p (Holm)', 'fair', ''], rows, 2));
  }
  const s = a.summary;
  lines.push(
    '',
    `demographic parity: difference ${num(s.demographicParityDifference)}, ratio ${num(s.demographicParityRatio)}`,
    ...(ctx.labels
      ? [
          `equalized odds difference ${num(s.equalizedOddsDifference)}; equal opportunity difference ${num(s.equalOpportunityDifference)}`,
          `generalized entropy index GE(2) ${num(s.generalizedEntropyIndex)}; Theil index ${num(s.theilIndex)}`,
        ]
      : []),
  );
  const flagged = a.disparities.filter((d) => d.flagged).length;
  lines.push('', flagged ? `${count(flagged, 'gap')} flagged: outside the band and significant after correction.` : 'No gap flagged.');
  return `${lines.join('\n')}\n`;
}

export function exposureTable(a: ExposureAudit, ctx: { file: string; rows: number; lists: number; items: number; catalogSize: number | undefined }): string {
  const lines = [
    `Exposure in the rankings of ${ctx.file}`,
    `${int(ctx.rows)} placements in ${int(ctx.lists)} list${ctx.lists === 1 ? '' : 's'}; ${int(ctx.items)} distinct item${ctx.items === 1 ? '' : 's'}${ctx.catalogSize !== undefined ? ` of a catalogue of ${int(ctx.catalogSize)}` : ''}`,
    'exposure of position j: 1/log2(1 + j); per item, summed over its lists and divided by the number of lists',
    '',
    ...table(
      ['group', 'items', 'mean exposure', 'mean relevance', 'exposure per relevance'],
      a.groups.map((g) => [g.group, int(g.items), num(g.meanExposure), num(g.meanRelevance), num(g.exposurePerRelevance)]),
    ),
    '',
    `group mean exposure: min/max ratio ${num(a.combined.minMaxRatio)}, max − min ${num(a.combined.maxMinDiff)}`,
    `Gini of appearances over items${ctx.catalogSize !== undefined ? ' (unseen catalogue items as 0)' : ''}: ${num(a.gini)}`,
    `catalogue coverage: ${a.coverage === null ? '— (give --catalog-size)' : pct(a.coverage)}`,
  ];
  return `${lines.join('\n')}\n`;
}
