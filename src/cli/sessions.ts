import { Command } from 'commander';
import { systemContext } from '../context/index.js';
import { CliError, dbOption } from './index.js';
import { withServices } from './shared.js';

export function sessionsCommand(): Command {
  const cmd = new Command('sessions').description('live sessions');
  cmd
    .command('list')
    .description('list live sessions')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (opts: { json?: boolean; db?: string }) => {
      await withServices(opts.db ? { databaseUrl: opts.db } : {}, async ({ liveRoom }) => {
        const list = await liveRoom.listSessions(systemContext('cli sessions list'));
        if (opts.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else if (list.length === 0) process.stderr.write('no live sessions\n');
        else for (const s of list) process.stdout.write(`${s.id}\t${s.status}\t${s.hostName ?? '(no host)'}\t${s.title.zh}\n`);
      });
    });
  cmd
    .command('assign-host')
    .description('make a staff account with the host role the host of a session')
    .argument('<session>', 'session id, e.g. demo')
    .argument('<name>', 'the host account name')
    .addOption(dbOption())
    .action(async (sessionId: string, name: string, opts: { db?: string }) => {
      await withServices(opts.db ? { databaseUrl: opts.db } : {}, async ({ liveRoom, staff }) => {
        const ctx = systemContext('cli sessions assign-host');
        const user = (await staff.listUsers(ctx)).find((u) => u.name === name);
        if (!user) throw new CliError(`no staff account named "${name}"`);
        if (user.role !== 'host') throw new CliError(`"${name}" has the role ${user.role}, not host`);
        const r = await liveRoom.updateSession(ctx, sessionId, { hostUserId: user.id });
        if (!r.ok) throw new CliError(r.code === 'SESSION_NOT_FOUND' ? `no live session "${sessionId}"` : (r.detail ?? r.code));
        process.stdout.write(`${name} now hosts ${sessionId}\n`);
      });
    });
  return cmd;
}
