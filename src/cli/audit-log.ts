import { Command } from 'commander';
import { systemContext } from '../context/index.js';
import { describeProblem, type AccessLogService, type AccessLogStatus, type VerifyReport } from '../modules/access-log/index.js';
import { CliError, dbOption } from './index.js';
import { withServices } from './shared.js';
import { count } from './words.js';

/** The access log of the configured database (its signing key under the data directory). */
function withAccessLog<T>(db: string | undefined, work: (log: AccessLogService) => Promise<T>): Promise<T> {
  return withServices(db ? { databaseUrl: db } : {}, ({ accessLog }) => work(accessLog));
}

export function auditLogCommand(): Command {
  const cmd = new Command('audit-log').description('the tamper-evident log of staff access to personal data');
  cmd
    .command('verify')
    .description('recompute the Merkle tree from the stored entries and check it against every signed checkpoint; exit 1 on any problem')
    .option('--json', 'print the report as JSON')
    .option('--all-proofs', 'check an inclusion proof for every entry, not only for each checkpoint’s last')
    .addOption(dbOption())
    .action(async (opts: { json?: boolean; allProofs?: boolean; db?: string }) => {
      // Recorded like every run, so the compliance console shows it as the last verification.
      const run = await withAccessLog(opts.db, (log) => log.runVerification(systemContext('cli audit-log verify'), { allInclusionProofs: opts.allProofs ?? false }));
      const report = run.report!;
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(humanReport(report));
      if (!report.ok) throw new CliError(`access log verification failed: ${count(report.problems.length, 'problem')}`, 1);
    });
  cmd
    .command('checkpoint')
    .description('sign the current tree head with the log’s Ed25519 key (made on first use, under the data directory)')
    .option('--json', 'print the checkpoint as JSON')
    .addOption(dbOption())
    .action(async (opts: { json?: boolean; db?: string }) => {
      const c = await withAccessLog(opts.db, (log) => log.checkpoint(systemContext('cli audit-log checkpoint')));
      if (opts.json) process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
      else process.stdout.write(`checkpoint #${c.number} signed: ${c.treeSize} entries, root ${c.rootHash}, key ${c.keyId}\n`);
    });
  cmd
    .command('status')
    .description('show the entries, the latest signed checkpoint, entries since, the prune horizon and the last recorded verification run')
    .option('--json', 'print the status as JSON')
    .addOption(dbOption())
    .action(async (opts: { json?: boolean; db?: string }) => {
      const status = await withAccessLog(opts.db, (log) => log.status(systemContext('cli audit-log status')));
      if (opts.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else process.stdout.write(humanStatus(status));
    });
  return cmd;
}

function humanStatus(s: AccessLogStatus): string {
  const lines = [`${s.entries} entries${s.prunedBelow > 0 ? `; bodies pruned below position ${s.prunedBelow} (past retention)` : ''}`];
  const c = s.latestCheckpoint;
  lines.push(c ? `latest checkpoint #${c.number}: ${c.treeSize} entries, root ${c.rootHash}, signed ${c.createdAt} by key ${c.keyId}; ${s.entriesSinceCheckpoint} entries since` : `no checkpoint signed yet; ${s.entriesSinceCheckpoint} entries unsigned`);
  if (s.keyError) lines.push(`signing key: ${s.keyError}`);
  const v = s.lastVerification;
  if (!v) lines.push('never verified');
  else {
    // The account's sign-in name when it still exists, with the id the run recorded.
    const by = v.by.role === 'system' ? 'system' : v.by.name ? `${v.by.role} ${v.by.name} (${v.by.id})` : `${v.by.role} ${v.by.id}`;
    const outcome = v.status === 'error' ? `could not complete (${v.errorCode ?? 'error'})` : v.status === 'ok' ? 'intact' : `FAILED: ${count(v.problemCount, 'problem')}`;
    lines.push(`last verification ${v.startedAt} by ${by}, ${v.durationMs} ms: ${outcome}`);
    if (v.status === 'failed') for (const p of v.report?.problems ?? []) lines.push(`  ${describeProblem(p)}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

function humanReport(r: VerifyReport): string {
  const lines: string[] = [];
  if (r.ok) {
    lines.push(`access log intact: ${r.entries} entries, root ${r.rootHash}`);
    const c = r.latestVerifiedCheckpoint;
    if (c) {
      lines.push(`checkpoint #${c.number} (${c.treeSize} entries, signed ${c.createdAt}) verified; ${r.proofsChecked.consistency} consistency and ${r.proofsChecked.inclusion} inclusion proofs checked`);
    }
    if (r.unsignedEntries > 0) lines.push(`${r.unsignedEntries} entries after the latest checkpoint are checked for form only until the next \`qingliu audit-log checkpoint\``);
  } else {
    for (const p of r.problems) lines.push(describeProblem(p));
  }
  return lines.map((l) => `${l}\n`).join('');
}
