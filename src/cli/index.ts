/**
 * The `qingliu` command line. Each command is thin: parse, call a module, print. Bad input gets
 * one clear message on stderr and a non-zero exit.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/index.js';
import { AppError } from '../errors/index.js';
import { isProtectionError } from '../modules/protection/index.js';
import { ListenError } from '../server.js';
import { StorageOpenError } from '../storage/index.js';
import { serveCommand } from './serve.js';
import { usersCommand } from './users.js';
import { importCommand } from './import.js';
import { sessionsCommand } from './sessions.js';
import { auditLogCommand } from './audit-log.js';
import { keysCommand } from './keys.js';
import { evaluateCommand } from './evaluate.js';
import { experimentsCommand } from './experiments.js';
import { exposureCommand, fairnessCommand } from './fairness.js';
import { simulateCommand } from './simulate.js';
import { energyCommand } from './energy.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export const dbOption = () => new Option('--db <url>', 'database: postgres://… or sqlite:FILE (default: SQLite under QINGLIU_DATA_DIR)');

export function buildCli(): Command {
  const program = new Command('qingliu')
    .description('Qingliu (清流): ethical AI for live-stream commerce')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(serveCommand());
  program.addCommand(usersCommand());
  program.addCommand(importCommand());
  program.addCommand(sessionsCommand());
  program.addCommand(auditLogCommand());
  program.addCommand(keysCommand());
  program.addCommand(evaluateCommand());
  program.addCommand(experimentsCommand());
  program.addCommand(fairnessCommand());
  program.addCommand(exposureCommand());
  program.addCommand(simulateCommand());
  program.addCommand(energyCommand());
  for (const c of program.commands) c.exitOverride();
  for (const c of program.commands.flatMap((c) => c.commands)) c.exitOverride();
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`qingliu: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ListenError || err instanceof StorageOpenError) {
      process.stderr.write(`qingliu: ${err.message}\n`);
      return 1;
    }
    if (err instanceof CliError) {
      process.stderr.write(`qingliu: ${err.message}\n`);
      return err.exitCode;
    }
    if (isProtectionError(err)) {
      process.stderr.write(`qingliu: ${err.message}\n`);
      return 1;
    }
    if (err instanceof AppError) {
      process.stderr.write(`qingliu: ${err.code}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`qingliu: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}
