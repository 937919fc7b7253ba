/**
 * The real Qingliu server for the benchmarks, in its own process: buildApp on a fresh temporary
 * SQLite file with the demo seed, one administrator, listening on 127.0.0.1 and a free port.
 * Prints one JSON line { port, admin: { name, password }, dataDir } on stdout when ready.
 * argv[2] (optional): a JSON object of QINGLIU_* settings laid over the defaults below, e.g. the chat
 * benchmark's per-viewer limits ({"QINGLIU_CHAT_MESSAGES_PER_MINUTE": "600"}).
 * argv[3] (optional): `control` also starts bench/memory-probe.ts (GET /memory on its own port) and
 * adds { memoryPort } to the ready line (the 10,000-viewer fan-out's memory per connection).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { systemContext } from '../src/context/index.js';
import { closeAppWithParent, cpuProfileFromEnv } from './lib.js';
import { startMemoryProbe } from './memory-probe.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qingliu-bench-'));
const removeDataDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
process.on('exit', removeDataDir);

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
for (const key of Object.keys(overrides)) if (!key.startsWith('QINGLIU_')) throw new Error(`server-child: only QINGLIU_* settings may be overridden (got ${key})`);

const config = loadConfig(
  {
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    QINGLIU_DATA_DIR: dataDir,
    // Viewers in the broadcast benchmark only listen; the per-connection limit on what clients send
    // stays at its default so the server runs as deployed.
    QINGLIU_WS_MESSAGES_PER_SECOND: '10',
    ...overrides,
  },
  { seedDemo: true },
);

const app = await buildApp(config);
const admin = { name: 'bench-admin', password: randomBytes(18).toString('base64url') };
const created = await app.services.staff.addUser(systemContext('bench'), { name: admin.name, role: 'admin', password: admin.password });
if (!created.ok) throw new Error(`could not create the bench administrator: ${created.code}`);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

// Optional: QINGLIU_BENCH_CPU_PROFILE=<file> profiles the server from here on (setup excluded).
closeAppWithParent(app, cpuProfileFromEnv());

const memoryPort = process.argv.slice(3).includes('control') ? await startMemoryProbe() : undefined;

process.stdout.write(JSON.stringify({ port, admin, dataDir, ...(memoryPort ? { memoryPort } : {}) }) + '\n');
