/**
 * The floor for the JSON read routes: a bare Fastify 5 app in its own process, one GET route per
 * captured Qingliu response, serving that same JSON payload from memory. No database, no schema
 * validation, no hooks, no plugins, no logger; Fastify still serialises the object per request
 * (JSON.stringify), as any JSON API must.
 * argv[2]: path of a JSON file { "<route path>": <body>, … }. Prints { port } on stdout when ready.
 */
import fs from 'node:fs';
import Fastify from 'fastify';
import { exitWithParent } from './lib.js';

const bodies = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as Record<string, unknown>;
const app = Fastify({ logger: false });
for (const [route, body] of Object.entries(bodies)) app.get(route, async () => body);

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

exitWithParent(() => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

process.stdout.write(JSON.stringify({ port }) + '\n');
