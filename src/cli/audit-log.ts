import { Command } from 'commander';
import { systemContext } from '../context/index.js';
import { describeProblem, type AccessLogService, type VerifyReport } from '../modules/access-log/index.js';
import { CliError, dbOption } from './index.js';
import { withServices } from './shared.js';

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
      const report = await withAccessLog(opts.db, (log) => log.verify(systemContext('cli audit-log verify'), { allInclusionProofs: opts.allProofs ?? false }));
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(humanReport(report));
      if (!report.ok) throw new CliError(`access log verification failed: ${report.problems.length} problem(s)`, 1);
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
  return cmd;
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
