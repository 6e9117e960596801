import type { Command } from 'commander';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';
import { openDestination } from '../../storage/openDestination';
import { refuseEncryptedArchive, walFetch, walPush } from '../../engines/postgres/pitr/walArchive';
import { resolveConnection, type CliConfig } from '../config';
import { action, type CommandContext } from '../context';
import { collect } from './options';

interface WalFlags { connection: string; copyTo?: string[] }

/**
 * The two commands PostgreSQL runs itself, once per WAL file:
 *   archive_command = '<lifeboat> wal-push --connection crm %p'
 *   restore_command = '<lifeboat> wal-fetch --connection crm %f %p'
 * Their exit status is all the server reads: 0 only when the file is safe (pushed to every
 * destination) or in place (fetched and checked). They skip the sweep other commands start with.
 */
export function registerWal(program: Command): void {
  program.command('wal-push')
    .description('PostgreSQL archive_command: store a finished WAL file, compressed (zstd) and named by its SHA-256, in the backup folder and every --copy-to destination. Exits 0 only when each holds it; the same file pushed again is a success, other content under an archived name is refused.')
    .argument('<path>', 'the file (%p)')
    .requiredOption('--connection <id>', 'the PostgreSQL connection (id or name in the config file) whose archive it is')
    .option('--copy-to <location>', 'also store it here (repeatable)', collect)
    .action(action(async (ctx, file: string, flags: WalFlags) => {
      const { connection, destinations } = walContext(ctx, flags);
      const result = await walPush(connection, file, destinations, ctx.job.signal);
      ctx.output.result({ ok: true, ...result }, result.outcomes.map(o => `${result.name} ${o.outcome === 'stored' ? 'archived in' : 'was already in'} ${o.location}`));
    }, { sweep: false }));

  program.command('wal-fetch')
    .description('PostgreSQL restore_command: write the archived WAL file <name> to <path>, checked against its SHA-256, from the first destination that holds a good copy. Exits 1 when it is not archived (the server asks for files that may not exist).')
    .argument('<name>', 'the file name (%f)')
    .argument('<path>', 'where to write it (%p)')
    .requiredOption('--connection <id>', 'the PostgreSQL connection whose archive it is')
    .option('--copy-to <location>', 'also look here, after the backup folder (repeatable)', collect)
    .action(action(async (ctx, name: string, target: string, flags: WalFlags) => {
      const { connection, destinations } = walContext(ctx, flags);
      const fetched = await walFetch(connection, name, target, destinations, ctx.job.signal, message => ctx.output.logger.warn(message));
      ctx.output.result({ ok: true, name, ...fetched }, `${name} restored from ${fetched.location}`);
    }, { sweep: false }));
}

function walContext(ctx: CommandContext, flags: WalFlags): { connection: ServerConnection; destinations: ReturnType<typeof openDestination>[] } {
  const cli = postgresConnection(ctx.config, flags.connection);
  refuseEncryptedArchive(cli.connection.name, cli.encryptTo);
  return { connection: cli.connection, destinations: [ctx.job.destination, ...(flags.copyTo ?? []).map(location => openDestination(location, ctx.config.destinations))] };
}

export function postgresConnection(config: CliConfig, reference: string) {
  const cli = resolveConnection(config, reference);
  if (cli.connection.engine !== 'postgres') throw new LifeboatError('usage', `"${cli.connection.name}" is a ${cli.connection.engine} connection; this command is for PostgreSQL.`);
  return { ...cli, connection: cli.connection };
}
