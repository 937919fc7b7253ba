/** Makes the app listen, prints where to look, and shuts down gracefully. Nothing else. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config/index.js';
import { describeDatabase } from './storage/index.js';
import { DEMO_SESSION_ID } from './workflows/seed-demo.js';
import { startDemoAudience } from './modules/simulation/index.js';

/** The server could not listen (the port is taken, or not allowed): nothing was started, nothing keeps running. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

function listenError(err: unknown, config: Config): ListenError {
  const code = (err as { code?: unknown })?.code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') return new ListenError(`${where} is already in use (another Qingliu, or another program): choose another port with --port or PORT`, code);
  if (code === 'EACCES') return new ListenError(`not allowed to listen on ${where}: choose a port above 1023 with --port or PORT`, code);
  if (code === 'EADDRNOTAVAIL') return new ListenError(`${config.host} is not an address of this machine: choose another with --host or HOST`, code);
  return new ListenError(`could not listen on ${where}: ${(err as Error)?.message ?? String(err)}`, typeof code === 'string' ? code : 'LISTEN_FAILED');
}

export async function startServer(config: Config, print: (line: string) => void = console.log): Promise<FastifyInstance> {
  const app = await buildApp(config);
  // Registered before listening (hooks cannot be added after); the audience itself starts once listening.
  const started: { audience?: { stop: () => Promise<void> | void } } = {};
  app.addHook('onClose', async () => started.audience?.stop());
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    // Its timers, threads and connections stop with it, so the process ends with the error.
    await app.close().catch(() => undefined);
    throw listenError(err, config);
  }
  // The demo's gentle simulated audience, once the server listens: only in demo mode with the demo
  // room seeded, labelled in its pages.
  const audience = config.demoAudience && config.mode === 'demo' && config.seedDemo ? startDemoAudience(app, { mode: config.mode, sessionId: DEMO_SESSION_ID, log: app.log }) : undefined;
  started.audience = audience;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = config.publicUrl.replace(/:\d+$/, `:${port}`);

  print('');
  print(`Qingliu 清流 is running on ${describeDatabase(config.databaseUrl)}`);
  print(`  Viewer page (观众):        ${base}/live/${DEMO_SESSION_ID}`);
  print(`  Host console (主播):       ${base}/host/${DEMO_SESSION_ID}`);
  print(`  Privacy centre (隐私中心): ${base}/privacy   processing rules: ${base}/privacy/rules`);
  print(`  Compliance console (合规): ${base}/compliance`);
  print(`  API docs:                  ${base}/api/docs`);
  print(`  Health, readiness, metrics: ${base}/healthz  ${base}/readyz  ${base}/metrics`);
  const setupToken = await app.services.staff.setupTokenIfNeeded();
  if (setupToken) {
    print('');
    print('Staff sign-in: there is no administrator yet. Create one with this one-time link:');
    print(`  ${base}/setup?token=${setupToken}`);
    print('or from the shell (the password is read from standard input):');
    print('  npx qingliu users add --name admin --role admin');
  } else {
    print(`Staff sign in at ${base}/login (add accounts with: npx qingliu users add --name NAME --role host)`);
  }
  if (audience) {
    print(`A gentle simulated audience (demo only, labelled as simulated) visits ${base}/live/${DEMO_SESSION_ID} while it is live;`);
    print('turn it off with QINGLIU_DEMO_AUDIENCE=false.');
  }
  print('');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return app;
}
