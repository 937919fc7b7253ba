import { createServices, startProtectionFor, type Services } from '../app.js';
import { MemoryBus } from '../bus/index.js';
import { loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { systemClock } from '../context/index.js';
import { openStorage } from '../storage/index.js';

/** Opens storage and the modules for a one-shot command, and always closes them. */
export async function withServices<T>(overrides: ConfigOverrides, work: (services: Services, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(undefined, overrides);
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
