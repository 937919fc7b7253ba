/**
 * `qingliu experiments`: define, start, stop, list and report A/B experiments on the deployment's
 * database (a running server picks up a start or stop within its next look tick, 15 s).
 */
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { systemContext } from '../context/index.js';
import { EXPERIMENT_STATUSES, metricName, type ExperimentReport, type GuardrailMetric } from '../modules/experiments/index.js';
import { CliError, dbOption } from './index.js';
import { withServices } from './shared.js';

const ID = /^exp-[0-9a-f]{12}$/;

function checkId(id: string): string {
  if (!ID.test(id)) throw new CliError(`"${id}" is not an experiment id (exp- and 12 hex digits; see \`qingliu experiments list\`)`, 2);
  return id;
}

const db = (opts: { db?: string }) => (opts.db ? { databaseUrl: opts.db } : {});

export function experimentsCommand(): Command {
  const cmd = new Command('experiments').description('A/B experiments on recommendations: define, start, stop, list, report');
  cmd
    .command('list')
    .description('list experiments, newest first')
    .addOption(new Option('--status <status>', 'only this status').choices([...EXPERIMENT_STATUSES]))
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (opts: { status?: (typeof EXPERIMENT_STATUSES)[number]; json?: boolean; db?: string }) => {
      await withServices(db(opts), async ({ experiments }) => {
        const list = await experiments.list(opts.status ? { status: opts.status } : {});
        if (opts.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        // Said on stderr: a script reading stdout still gets no lines.
        else if (list.length === 0)
          process.stderr.write(opts.status ? `no experiments with status ${opts.status} (all of them: qingliu experiments list)\n` : 'no experiments yet (define one: qingliu experiments create --file FILE)\n');
        else
          for (const e of list)
            process.stdout.write(`${e.id}\t${e.status}${e.simulated ? ' (simulated)' : ''}\t${e.definition.sessionIds.join(',') || `all rooms of ${e.brandId}`}\t${e.name}\n`);
      });
    });
  cmd
    .command('create')
    .description('define an experiment from a JSON file (a draft until started)')
    .requiredOption('--file <file>', 'the definition (see docs/experiments.md)')
    .option('--json', 'print the stored experiment as JSON')
    .addOption(dbOption())
    .action(async (opts: { file: string; json?: boolean; db?: string }) => {
      let definition: unknown;
      try {
        definition = JSON.parse(fs.readFileSync(opts.file, 'utf8').replace(/^\uFEFF/, ''));
      } catch (err) {
        throw new CliError(`${opts.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(err as Error).message})`}`, 2);
      }
      await withServices(db(opts), async ({ experiments }) => {
        const r = await experiments.create(systemContext('cli experiments create'), definition);
        if (!r.ok) throw new CliError(`${opts.file}: ${r.detail ?? r.code}`, 2);
        if (opts.json) process.stdout.write(`${JSON.stringify(r.value, null, 2)}\n`);
        else process.stdout.write(`${r.value.id}\tdraft\t${r.value.name}\n`);
      });
    });
  for (const [name, verb] of [
    ['start', 'start a draft experiment'],
    ['stop', 'stop a running experiment (after a final look)'],
  ] as const) {
    const sub = cmd.command(name).description(verb).argument('<id>', 'experiment id').addOption(dbOption());
    if (name === 'stop') sub.option('--reason <text>', 'why it stops (kept with the experiment)');
    sub.action(async (id: string, opts: { db?: string; reason?: string }) => {
      checkId(id);
      await withServices(db(opts), async ({ experiments }) => {
        const ctx = systemContext(`cli experiments ${name}`);
        const r = name === 'start' ? await experiments.startExperiment(ctx, id) : await experiments.stopExperiment(ctx, id, opts.reason);
        if (!r.ok) throw new CliError(r.code === 'EXPERIMENT_NOT_FOUND' ? `no experiment "${id}"` : `${id}: ${r.detail ?? r.code}`);
        process.stdout.write(`${id}\t${r.value.status}\n`);
      });
    });
  }
  cmd
    .command('discard')
    .description('discard a draft experiment (never started, it served no one); a started one is stopped instead')
    .argument('<id>', 'experiment id')
    .addOption(dbOption())
    .action(async (id: string, opts: { db?: string }) => {
      checkId(id);
      await withServices(db(opts), async ({ experiments }) => {
        const r = await experiments.discardDraft(systemContext('cli experiments discard'), id);
        if (!r.ok) throw new CliError(r.code === 'EXPERIMENT_NOT_FOUND' ? `no experiment "${id}"` : `${id}: ${r.detail ?? r.code}`);
        process.stdout.write(`${id}	discarded\n`);
      });
    });
  cmd
    .command('report')
    .description('the report: figures per arm, every scheduled look, the latest verdict')
    .argument('<id>', 'experiment id')
    .option('--json', 'print the report as JSON (the same as GET /api/v1/experiments/:id)')
    .addOption(dbOption())
    .action(async (id: string, opts: { json?: boolean; db?: string }) => {
      checkId(id);
      await withServices(db(opts), async ({ experiments }) => {
        const r = await experiments.report(id);
        if (!r.ok) throw new CliError(`no experiment "${id}"`);
        process.stdout.write(opts.json ? `${JSON.stringify(r.value, null, 2)}\n` : reportText(r.value));
      });
    });
  return cmd;
}

const pct = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)} %`);
const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));

/** A readable report for the terminal. */
export function reportText(r: ExperimentReport): string {
  const e = r.experiment;
  const d = e.definition;
  const lines = [
    `${e.name} (${e.id})${e.simulated ? ' — SIMULATED' : ''}`,
    `status ${e.status}${e.stopReason ? ` (${e.stopReason})` : ''}; rooms: ${d.sessionIds.join(', ') || `all rooms of ${e.brandId}`}; primary metric ${d.primaryMetric}; α ${d.alpha} (${d.spending}); planned ${d.plannedUnitsPerArm} viewers per arm; a look every ${d.lookEveryMinutes === 1 ? 'minute' : `${d.lookEveryMinutes} min`}`,
    '',
    'arm\tcohort\tviewers\tlists\tCTR\tcart rate\torders\tGMV (¥)\tWh per 1,000 lists',
    ...r.arms.map((a) =>
      [a.name, a.cohort, a.units ?? '—', a.requests, pct(a.clickThrough), pct(a.cartRate), a.orders, a.gmvYuan.toFixed(2), a.energy.whPer1000 === null ? '—' : a.energy.whPer1000.toExponential(2)].join('\t'),
    ),
    '',
  ];
  // Every look so far, oldest first: the repeated intervals are valid at each of them.
  if (r.looks.length > 1) {
    // Each comparison's own level: α is split between the arms compared with control.
    const level = +((1 - r.looks.at(-1)!.alphaPerComparison) * 100).toFixed(2);
    lines.push(`look\ttaken at\tof the plan\tboundary z\tprimary difference [${level} % repeated interval]`);
    for (const look of r.looks) {
      const c = look.comparisons[0];
      const diff = c?.difference;
      lines.push(
        [
          `${look.look}${look.final ? ' (final)' : ''}`,
          new Date(look.takenAt).toISOString(),
          pct(look.fraction, 1),
          num(look.bound),
          diff ? `${c.treatment} − ${c.control} ${num(diff.estimate, 4)} [${num(diff.lo, 4)}, ${num(diff.hi, 4)}]` : `— (${c?.verdict.text.en ?? 'no comparison'})`,
        ].join('\t'),
      );
    }
    lines.push('');
  }
  const latest = r.latest;
  if (!latest) lines.push(`no look yet: the first analysis runs within ${d.lookEveryMinutes === 1 ? 'a minute' : `${d.lookEveryMinutes} minutes`} of the start`);
  else {
    lines.push(`look ${latest.look} at ${new Date(latest.takenAt).toISOString()}: ${pct(latest.fraction, 1)} of the planned sample (by precision), boundary z = ${num(latest.bound)}${latest.final ? ' (final)' : ''}`);
    for (const c of latest.comparisons) {
      const diff = c.difference;
      const up = c.relativeUplift;
      lines.push(
        diff
          ? `${c.treatment} vs ${c.control}: ${c.metric} difference ${num(diff.estimate, 4)} [${num(diff.lo, 4)}, ${num(diff.hi, 4)}]; relative uplift ${up ? `${pct(up.estimate, 1)} [${pct(up.lo, 1)}, ${pct(up.hi, 1)}]` : '—'} → ${c.verdict.text.en}`
          : // No interval at this look (too few viewers, or nothing varies yet): none is claimed.
            `${c.treatment} vs ${c.control}: ${c.metric} difference — (no interval) → ${c.verdict.text.en}`,
      );
      for (const g of c.guardrails) {
        lines.push(`  guardrail ${metricName(g.metric as GuardrailMetric).en}: ${g.breached ? 'BREACHED' : 'ok'}${g.difference ? ` (difference ${num(g.difference.estimate, 4)} [${num(g.difference.lo, 4)}, ${num(g.difference.hi, 4)}], margin ${g.margin})` : ` (margin ${g.margin})`}`);
      }
    }
  }
  lines.push('', r.method, '');
  return lines.join('\n');
}
