import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { systemContext } from '../context/index.js';
import { DEMO_BRAND_ID, type RowProblem } from '../modules/catalogue/index.js';
import { CliError, dbOption } from './index.js';
import { withServices } from './shared.js';
import { importCatalogue } from '../workflows/import-catalogue.js';
import { count } from './words.js';

export function importCommand(): Command {
  const cmd = new Command('import').description('import data');
  cmd
    .command('products')
    .description('import a product catalogue from CSV or JSON: every row is checked first, and nothing is imported if any row is invalid')
    .argument('<file>', 'a .csv or .json file')
    .option('--brand <id>', 'brand to import into', DEMO_BRAND_ID)
    .addOption(new Option('--format <format>', 'file format (default: from the file extension)').choices(['csv', 'json']))
    .option('--json', 'print the result as JSON')
    .addOption(dbOption())
    .action(async (file: string, opts: { brand: string; format?: 'csv' | 'json'; json?: boolean; db?: string }) => {
      const ext = path.extname(file).toLowerCase();
      const format = opts.format ?? (ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : undefined);
      if (!format) throw new CliError(`cannot tell the format of "${path.basename(file)}": use --format csv or --format json`, 2);
      let content: string;
      try {
        content = await readFile(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 2);
      }
      await withServices(opts.db ? { databaseUrl: opts.db } : {}, async (services) => {
        // Through the workflow, so open rooms' seq moves on and their viewers resync to the new data.
        const result = await importCatalogue(systemContext('cli import'), services, opts.brand, content, format);
        if (!result.ok) {
          const problems = (result.extensions?.errors ?? []) as RowProblem[];
          if (opts.json) process.stdout.write(`${JSON.stringify({ imported: false, code: result.code, errors: problems }, null, 2)}\n`);
          if (result.code === 'NOT_FOUND') throw new CliError(`no brand "${opts.brand}"`);
          const lines = problems.map((p) => `  ${whereOf(p)}${p.reason}`);
          throw new CliError(`${count(problems.length, 'problem')} in ${path.basename(file)}; nothing was imported:\n${lines.join('\n')}`);
        }
        const { created, updated } = result.value;
        if (opts.json) process.stdout.write(`${JSON.stringify({ imported: true, created, updated })}\n`);
        else process.stdout.write(`imported ${result.value.created + result.value.updated} products (${result.value.created} new, ${result.value.updated} updated)\n`);
      });
    });
  return cmd;
}

/** Where a problem is: the file as a whole, the header line (row 0 of a CSV), or a product row. */
function whereOf(p: { row: number; line?: number; field: string }): string {
  if (p.field === '(file)') return p.line ? `line ${p.line}: ` : '';
  if (p.row === 0) return `header${p.line ? ` (line ${p.line})` : ''}, column ${p.field}: `;
  return `row ${p.row}${p.line ? ` (line ${p.line})` : ''}, ${p.field}: `;
}
