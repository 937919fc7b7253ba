import { Command } from 'commander';
import { CliError, dbOption } from './index.js';
import { withServices } from './shared.js';

export function keysCommand(): Command {
  const cmd = new Command('keys').description('key-encryption keys of protected storage');
  cmd
    .command('rotate')
    .description('add a new key-encryption key and re-wrap every data key under it, in batches; safe while the server runs')
    .option('--batch-size <n>', 'data keys re-wrapped per transaction', '500')
    .option('--json', 'print the report as JSON')
    .addOption(dbOption())
    .action(async (opts: { batchSize: string; json?: boolean; db?: string }) => {
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
        throw new CliError('--batch-size must be a whole number from 1 to 100000', 2);
      }
      await withServices(opts.db ? { databaseUrl: opts.db } : {}, async ({ protection }) => {
        const report = await protection.rotate({ batchSize });
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          process.stdout.write(`re-wrapped ${report.rewrapped} data keys under ${report.kekId} (was ${report.previousKekId}) in ${report.batches} batches\n`);
          for (const k of report.retainedKeks) process.stdout.write(`kept ${k.id}: ${k.reason} (${k.wrappedKeys} data keys)\n`);
          for (const id of report.retiredKekIds) process.stdout.write(`retired ${id}\n`);
        }
      });
    });
  return cmd;
}
