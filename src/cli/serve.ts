import { Command, Option } from 'commander';
import { loadConfig } from '../config/index.js';
import { startServer } from '../server.js';
import { dbOption } from './index.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('start the Qingliu server (pages, API, WebSocket)')
    .addOption(dbOption())
    .addOption(new Option('--bus <url>', 'message bus between nodes: memory, or nats://host:port[,nats://…] (default: QINGLIU_BUS_URL or memory)'))
    .addOption(new Option('--port <port>', 'port to listen on (default: PORT or 3000)'))
    .addOption(new Option('--host <host>', 'address to bind (default: HOST or 127.0.0.1)'))
    .option('--no-seed', 'do not seed the demo brand and live session')
    .action(async (opts: { db?: string; bus?: string; port?: string; host?: string; seed: boolean }) => {
      const config = loadConfig(undefined, {
        ...(opts.db ? { databaseUrl: opts.db } : {}),
        ...(opts.bus ? { busUrl: opts.bus } : {}),
        ...(opts.port ? { port: opts.port } : {}),
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.seed === false ? { seedDemo: false } : {}),
      });
      await startServer(config);
    });
}
