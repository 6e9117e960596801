import type { Command } from 'commander';
import { LifeboatError } from '../../core/errors';
import { formatBytes, formatDuration } from '../../core/format';
import { restoreBackup } from '../../engines';
import { proposeDatabaseName } from '../../engines/restoreNames';
import { serverTargetFor } from '../config';
import { action } from '../context';
import { findEntry } from './findEntry';
import { collect, parsePositive } from './options';

interface RestoreFlags {
  to?: string; overwrite?: boolean; database?: string; intoExisting?: boolean; confirm?: string; table?: string[]; jobs?: number;
  clean?: boolean; owner?: boolean; privileges?: boolean; server?: string;
}

export function registerRestore(program: Command): void {
  program.command('restore')
    .description('Restore a backup, checked on the way (SHA-256; SQLite integrity_check). SQLite into a new file; PostgreSQL into a new database by default.')
    .argument('<backup>', 'backup id (or an unambiguous start of one)')
    .option('-t, --to <file>', 'SQLite: the file to create')
    .option('--overwrite', 'SQLite: replace the file if it exists (the old file is kept aside until the restore succeeded)')
    .option('-d, --database <name>', 'PostgreSQL: the database to create (default: <source>_restored_<date>)')
    .option('--into-existing', 'PostgreSQL: restore into the existing database named by --database (needs --confirm with its name)')
    .option('--confirm <name>', 'PostgreSQL: the existing database\'s name again, to confirm it will be changed')
    .option('--table <schema.table>', 'restore only this table (PostgreSQL: schema.table; MySQL: its name; definition, data and, for MySQL, its triggers; repeatable)', collect)
    .option('-j, --jobs <n>', 'PostgreSQL: parallel restore jobs (custom and directory formats)', parsePositive)
    .option('--clean', 'PostgreSQL, existing database: drop the backup\'s objects before recreating them')
    .option('--no-owner', 'PostgreSQL: do not set object owners (restore as the connecting user)')
    .option('--no-privileges', 'PostgreSQL: do not restore GRANTs')
    .option('--server <connection>', 'PostgreSQL, MySQL: restore on this connection\'s server (default: the backup\'s own connection)')
    .action(action(async (ctx, id: string, flags: RestoreFlags) => {
      const entry = await findEntry(ctx, id);
      const m = entry.manifest;
      // Every flag reaches the engine, which refuses by name what it does not take (a SQLite
      // restore with --table would otherwise restore the whole database).
      const shared = {
        tables: flags.table, jobs: flags.jobs ?? (m.engine === 'postgres' && ctx.config.restoreJobs > 0 ? ctx.config.restoreJobs : undefined),
        clean: flags.clean, noOwner: flags.owner === false, noPrivileges: flags.privileges === false,
      };
      if (m.engine === 'sqlite') {
        refuseFlags('SQLite', { '--database': flags.database, '--into-existing': flags.intoExisting, '--confirm': flags.confirm, '--server': flags.server });
        if (!flags.to) throw new LifeboatError('usage', 'Restoring a SQLite backup needs --to <file>.');
        const result = await restoreBackup(entry, { target: flags.to, overwrite: !!flags.overwrite, ...shared }, ctx.job);
        if (result.engine !== 'sqlite') return;
        ctx.output.result({ ok: true, backup: m.id, restore: result },
          `Restored ${m.id} into ${result.target} (${formatBytes(result.bytes)}, ${result.tables.length} tables, SHA-256 as backed up) in ${formatDuration(result.durationMs)}.` +
          (result.replacedExisting ? ' The previous file was replaced.' : ''));
        return;
      }
      refuseFlags(m.engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB', { '--to': flags.to, '--overwrite': flags.overwrite });
      const database = flags.database ?? proposeDatabaseName(m);
      if (flags.intoExisting && flags.confirm !== database) {
        throw new LifeboatError('usage', `Restoring into the existing database "${database}" changes it; confirm with --confirm "${database}".`,
          'Or leave out --into-existing to restore into a new database.');
      }
      const server = serverTargetFor(ctx.config, m, flags.server);
      const result = await restoreBackup(entry, { target: database, overwrite: !!flags.intoExisting, ...shared }, ctx.job, server);
      if (result.engine === 'sqlite') return;
      ctx.output.result({ ok: true, backup: m.id, restore: result },
        `Restored ${m.id} into database "${result.database}" on ${result.connection.host}:${result.connection.port} in ${formatDuration(result.durationMs)} ` +
        `(${flags.table ? `${flags.table.length} chosen table(s)` : `${result.tables} tables`}${result.engine === 'postgres' ? `, archive read from the ${result.readFrom}` : ''}).`);
    }));
}

/** The flags that name where a restore goes differ by engine (a file, or a database on a server). */
function refuseFlags(engine: string, flags: Record<string, string | boolean | undefined>): void {
  const given = Object.keys(flags).filter(name => flags[name] !== undefined && flags[name] !== false);
  if (given.length > 0) {
    throw new LifeboatError('usage', `${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply to restoring a ${engine} backup.`,
      engine === 'SQLite' ? 'A SQLite backup is restored into a file: use --to <file> (and --overwrite to replace one).' : 'A server backup is restored into a database: use --database <name> (and --into-existing with --confirm).');
  }
}
