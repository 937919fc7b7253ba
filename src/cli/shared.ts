import fs from 'node:fs';
import { createServices, startProtectionFor, type Services } from '../app.js';
import { MemoryBus } from '../bus/index.js';
import { loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { systemClock } from '../context/index.js';
import { openStorage } from '../storage/index.js';
import { CliError } from './index.js';

/**
 * Opens storage and the modules for a one-shot command, and always closes them. A SQLite file must
 * exist already (a mistyped --db or data folder would otherwise get a new, empty database and the
 * command would answer about nothing), except for commands that may set up a deployment (`create`).
 */
export async function withServices<T>(
  overrides: ConfigOverrides,
  work: (services: Services, config: Config) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const config = loadConfig(undefined, overrides);
  if (!options.create && config.databaseUrl.startsWith('sqlite:')) {
    const file = config.databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:' && !fs.existsSync(file)) {
      throw new CliError(`no database at ${file}: start the server once (\`qingliu serve\` or \`npm start\`) to create it, or name one with --db or DATABASE_URL`);
    }
  }
  const storage = await openStorage(config.databaseUrl);
  const bus = new MemoryBus();
  try {
    const protection = await startProtectionFor(config, storage, systemClock);
    return await work(createServices(config, { storage, bus, clock: systemClock, protection }), config);
  } finally {
    await bus.close();
    await storage.close();
  }
}

/** Reads a secret: hidden typing on a terminal, or the first line of piped standard input. */
export async function readSecret(prompt: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(c as Buffer);
    return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '');
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (ch: string) => {
      for (const c of ch) {
        if (c === '\r' || c === '\n') {
          done();
          resolve(value);
          return;
        }
        if (c === '\u0003') {
          done();
          reject(new Error('cancelled'));
          return;
        }
        if (c === '\u007f') value = value.slice(0, -1);
        else value += c;
      }
    };
    const done = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
