import { Command, Option } from 'commander';
import { STAFF_ROLES, systemContext } from '../context/index.js';
import { CliError, dbOption } from './index.js';
import { readSecret, withServices } from './shared.js';

export function usersCommand(): Command {
  const users = new Command('users').description('staff accounts');
  users
    .command('add')
    .description('create a staff account; the password is read from standard input (hidden on a terminal)')
    .requiredOption('--name <name>', 'sign-in name')
    .addOption(new Option('--role <role>', 'role').choices([...STAFF_ROLES]).makeOptionMandatory())
    .addOption(dbOption())
    .action(async (opts: { name: string; role: string; db?: string }) => {
      const password = await readSecret(`Password for ${opts.name} (at least 12 characters): `);
      await withServices(opts.db ? { databaseUrl: opts.db } : {}, async ({ staff }) => {
        const result = await staff.addUser(systemContext('cli users add'), { name: opts.name, role: opts.role, password });
        if (!result.ok) throw new CliError(result.code === 'USER_EXISTS' ? `a staff account named "${opts.name}" exists` : (result.detail ?? result.code));
        process.stdout.write(`created ${result.value.role} account "${result.value.name}"\n`);
      }, { create: true }); // the first administrator may be made before the server ever ran
    });
  users
    .command('list')
    .description('list staff accounts')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (opts: { json?: boolean; db?: string }) => {
      await withServices(opts.db ? { databaseUrl: opts.db } : {}, async ({ staff }) => {
        const list = await staff.listUsers(systemContext('cli users list'));
        if (opts.json) process.stdout.write(`${JSON.stringify(list.map(({ id, name, role, disabled }) => ({ id, name, role, disabled })), null, 2)}\n`);
        else if (list.length === 0) process.stderr.write('no staff accounts (create the first: qingliu users add --name NAME --role admin)\n');
        else for (const u of list) process.stdout.write(`${u.name}\t${u.role}${u.disabled ? '\t(disabled)' : ''}\n`);
      });
    });
  return users;
}
