/**
 * One Qingliu node for the many-nodes benchmarks, in its own process: what `qingliu serve` runs —
 * buildApp(loadConfig(env)) — minus the banner (and the demo's simulated audience, which is off).
 * Listens on 127.0.0.1 and a free port; prints one JSON line { port, admin? } when ready.
 *
 * argv[2]: JSON { env: { DATABASE_URL, QINGLIU_DATA_DIR, QINGLIU_BUS_URL, … }, admin?: true }.
 * Every node of one deployment gets the same data directory (the key file lives there), database
 * and bus; the first one seeds the demo and, with admin, creates an administrator the runner signs
 * in as. The runner owns (and removes) the data directory and the database.
 */
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { systemContext } from '../src/context/index.js';
import { closeAppWithParent } from './lib.js';

const arg = JSON.parse(process.argv[2] ?? '{}') as { env?: Record<string, string>; admin?: boolean };
const env = arg.env ?? {};
for (const key of Object.keys(env)) {
  if (!key.startsWith('QINGLIU_') && key !== 'DATABASE_URL' && key !== 'LOG_LEVEL') throw new Error(`cluster-node-child: unexpected setting ${key}`);
}
if (!env.QINGLIU_DATA_DIR) throw new Error('cluster-node-child: QINGLIU_DATA_DIR is required (the runner owns it)');

const config = loadConfig({
  LOG_LEVEL: 'warn',
  PORT: '0',
  HOST: '127.0.0.1',
  QINGLIU_DEMO_AUDIENCE: 'false',
  ...env,
});

const app = await buildApp(config);
let admin: { name: string; password: string } | undefined;
if (arg.admin) {
  admin = { name: `bench-admin-${randomBytes(3).toString('hex')}`, password: randomBytes(18).toString('base64url') };
  const created = await app.services.staff.addUser(systemContext('bench'), { name: admin.name, role: 'admin', password: admin.password });
  if (!created.ok) throw new Error(`could not create the bench administrator: ${created.code}`);
}
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

closeAppWithParent(app);

process.stdout.write(JSON.stringify({ port, ...(admin ? { admin } : {}) }) + '\n');
