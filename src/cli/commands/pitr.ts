import * as fs from 'node:fs';
import type { Command } from 'commander';
import { formatBytes, formatDuration } from '../../core/format';
import { serverAccount } from '../../core/localAccount';
import { parseTarget } from '../../engines/postgres/pitr/recoveryTarget';
import { defaultSandboxFolder } from '../../core/sandboxFolder';
import { recoverToSandbox } from '../../engines/postgres/pitr/recoverToSandbox';
import { windowReport } from '../../engines/postgres/pitr/windowReport';
import { readPassword, resolveConnection, type CliConfig } from '../config';
import { LifeboatError } from '../../core/errors';
import { asMysql, mariadbRestoreCommand, mariadbWindowCommand, registerPitrCapture } from './pitrMariadb';
import { EXIT } from '../exitCodes';
import { applyArchiving, archiveCommandFor, archivingProblems, archivingState, planArchiving, proveArchiving } from '../../engines/postgres/pitr/archivingSetup';
import { refuseEncryptedArchive } from '../../engines/postgres/pitr/walArchive';
import { action } from '../context';
import { postgresConnection } from './wal';
import { collect, parsePositive } from './options';

interface RestoreFlags { time?: string; lsn?: string; name?: string; xid?: string; position?: string; end?: boolean; sandboxDir?: string; pgServerBinDir?: string; sandboxUser?: string; port?: number }

/**
 * Point-in-time recovery: the recoverable window, and recovery into a sandbox server (never over
 * production), for PostgreSQL (base backups and archived WAL) and MariaDB (full dumps and
 * captured binary logs, pitrMariadb.ts). `pitr setup` and `pitr status` are PostgreSQL's
 * archiving; `pitr capture` is MariaDB's.
 */
export function registerPitr(program: Command): Command {
  const pitr = program.command('pitr').description('Point-in-time recovery: set up WAL archiving (PostgreSQL) or capture binary logs (MariaDB), show the recoverable window, recover into a sandbox server.');

  pitr.command('window')
    .description('The recoverable window of a connection: from each base backup\'s (MariaDB: full dump\'s) end to its last archived commit (read from the WAL with pg_waldump, from binary logs with mariadb-binlog), with gaps in the archive called out.')
    .argument('<connection>', 'PostgreSQL or MariaDB connection id or name')
    .option('--pg-server-bin-dir <folder>', 'folder of pg_waldump (and the server) of the backups\' major version')
    .action(action(async (ctx, reference: string, flags: { pgServerBinDir?: string }) => {
      const any = resolveConnection(ctx.config, reference);
      if (any.connection.engine === 'mysql') return mariadbWindowCommand(ctx, asMysql(any));
      const cli = postgresConnection(ctx.config, reference);
      const report = await windowReport(cli.connection.id, ctx.job, flags.pgServerBinDir ?? ctx.config.postgresServerBinDir);
      const lines = [`Recoverable window of ${cli.connection.name}: ${report.text}`];
      if (report.lastArchived) lines.push(`WAL archived up to ${report.lastArchived.name}, which arrived ${report.lastArchived.at}.`);
      if (report.unscanned) lines.push(`The ends were not read from the WAL: ${report.unscanned}`);
      for (const u of report.unusable) lines.push(`Base backup ${u.id} cannot start a recovery: ${u.why}.`);
      ctx.output.result({ ok: true, ...report }, lines);
    }));

  pitr.command('restore')
    .description('Recover the connection as it was at a point in time into a new sandbox server (a new data folder on a free port, the backup\'s PostgreSQL version; for MariaDB a new mariadbd on its own socket), promoted and left running for you to inspect and compare with production. Production is never touched.')
    .argument('<connection>', 'PostgreSQL or MariaDB connection id or name')
    .option('--time <time>', 'recover up to this time: 2026-12-03 10:29:00 (your time zone), or with an offset (…-05:00, …Z); MariaDB\'s binary logs keep whole seconds')
    .option('--lsn <lsn>', 'recover up to this WAL position (0/3000148)')
    .option('--name <restore point>', 'recover up to this restore point (pg_create_restore_point)')
    .option('--xid <transaction>', 'recover up to this transaction\'s commit')
    .option('--position <file:position>', 'MariaDB: recover up to, not including, the event at this binary-log position (binlog.000042:1234, as SHOW BINLOG EVENTS gives it)')
    .option('--end', 'recover everything archived')
    .option('--sandbox-dir <folder>', 'where to make the sandbox (default: the config file\'s sandboxFolder, else ~/.local/share/lifeboat/sandboxes; /var/lib/lifeboat/sandboxes for root)')
    .option('--pg-server-bin-dir <folder>', 'folder of postgres, pg_ctl and pg_waldump of the backup\'s major version (default: the config file\'s postgresServerBinDir, PATH, the usual install folders)')
    .option('--sandbox-user <user>', 'when run as root: the account the sandbox server runs as (default: the config file\'s sandboxUser, else postgres)')
    .option('--port <port>', 'the sandbox\'s port (default: a free one)', parsePositive)
    .addHelpText('after', '\nExamples:\n  lifeboat pitr restore crm --time "2026-12-03 10:29"\n  lifeboat pitr restore crm --name before-migration --json\n  lifeboat pitr restore crm --end')
    .action(action(async (ctx, reference: string, flags: RestoreFlags) => {
      const any = resolveConnection(ctx.config, reference);
      if (any.connection.engine === 'mysql') {
        const postgresOnly = (['lsn', 'name', 'xid', 'pgServerBinDir', 'port'] as const).filter(k => flags[k] !== undefined);
        if (postgresOnly.length) throw new LifeboatError('usage', `${postgresOnly.map(k => `--${k}`).join(', ')} ${postgresOnly.length === 1 ? 'is' : 'are'} for PostgreSQL; ${any.connection.name} is MariaDB.`, 'Use --time, --position or --end.');
        return mariadbRestoreCommand(ctx, asMysql(any), flags);
      }
      if (flags.position !== undefined) throw new LifeboatError('usage', '--position is for MariaDB; a PostgreSQL recovery stops at an --lsn.');
      const cli = postgresConnection(ctx.config, reference);
      const target = parseTarget({ time: flags.time, lsn: flags.lsn, name: flags.name, xid: flags.xid, end: flags.end });
      const account = serverAccount(flags.sandboxUser ?? ctx.config.sandboxUser);
      const sandbox = await recoverToSandbox({
        connection: cli.connection, target, sandboxRoot: flags.sandboxDir ?? ctx.config.sandboxFolder ?? defaultSandboxFolder(),
        ...(flags.pgServerBinDir ?? ctx.config.postgresServerBinDir ? { serverBinDir: flags.pgServerBinDir ?? ctx.config.postgresServerBinDir } : {}),
        ...(account ? { account } : {}), ...(flags.port ? { port: flags.port } : {}),
      }, ctx.job);
      const m = sandbox.measured;
      ctx.output.result({ ok: true, sandbox }, [
        `Recovered ${cli.connection.name} to ${sandbox.target} into a sandbox: PostgreSQL ${sandbox.serverVersion} on port ${sandbox.port}, socket ${sandbox.dir}, data ${sandbox.dataDir}.`,
        `From base backup ${sandbox.base}; recovery point: last transaction ${m.recoveryPoint.time ?? '(none replayed)'} at LSN ${m.recoveryPoint.lsn ?? '?'}; ${m.walBytesReplayed !== null ? formatBytes(m.walBytesReplayed) : '?'} of WAL replayed; ready in ${formatDuration(m.rtoMs)} (RTO).`,
        `Connect: psql -h ${sandbox.dir} -p ${sandbox.port} -U ${sandbox.connection.user} ${sandbox.connection.database}`,
        `Compare a table with production: lifeboat diff … ; stop it with: ${sandbox.stopCommand.join(' ')}`,
      ]);
    }));
  registerPitrSetup(pitr);
  registerPitrCapture(pitr);
  return pitr;
}

interface SetupFlags { apply?: boolean; archiveTimeout?: number; copyTo?: string[] }

/** This Lifeboat as the server must run it: this Node, this CLI, the config and backup folder by absolute path (the server runs it in its data folder). */
function lifeboatCommand(config: CliConfig): string[] {
  return [process.execPath, fs.realpathSync(process.argv[1]), ...(config.file ? ['--config', config.file] : []), '--backup-dir', config.backupFolder];
}

function registerPitrSetup(pitr: Command): void {
  pitr.command('setup')
    .description('Continuous WAL archiving into the backup folder (and --copy-to destinations): shows the ALTER SYSTEM statements and whether the server must restart for them; with --apply runs them (as a superuser), then proves archiving works by switching to a new WAL file and watching it arrive.')
    .argument('<connection>', 'PostgreSQL connection id or name')
    .option('--apply', 'run the statements (otherwise only shown)')
    .option('--archive-timeout <seconds>', 'archive_timeout: at most this long before a WAL file with changes is archived, however little it holds (default: 60, or less to meet the connection\'s RPO)', parsePositive)
    .option('--copy-to <location>', 'also archive to this destination (repeatable)', collect)
    .action(action(async (ctx, reference: string, flags: SetupFlags) => {
      const cli = postgresConnection(ctx.config, reference);
      refuseEncryptedArchive(cli.connection.name, cli.encryptTo);
      const password = readPassword(cli);
      const rpoS = cli.policy.rpoMs > 0 ? Math.floor(cli.policy.rpoMs / 1000) : 60;
      const timeout = flags.archiveTimeout ?? Math.max(10, Math.min(60, rpoS));
      const plan = await planArchiving(cli.connection, password, archiveCommandFor(lifeboatCommand(ctx.config), cli.connection.id, flags.copyTo), timeout);
      const lines = plan.statements.length === 0 ? [`${cli.connection.name} already archives WAL with Lifeboat (archive_timeout ${timeout} s).`]
        : [`${flags.apply ? 'Running' : 'To archive WAL of'} ${cli.connection.name}${flags.apply ? '' : ', run as a superuser (or again with --apply)'}:`, ...plan.statements.map(s => `  ${s}`),
          plan.restartFor.length > 0 ? `Then restart the server: ${plan.restartFor.join(', ')} change only at a restart.` : 'No restart is needed.'];
      let pending: string[] = [];
      let proved: string | undefined;
      if (flags.apply) {
        pending = plan.statements.length > 0 ? await applyArchiving(cli.connection, password, plan) : [];
        if (pending.length === 0) {
          proved = await proveArchiving(cli.connection, password, 30_000, ctx.job.signal);
          lines.push(`Archiving works: ${proved} arrived in ${ctx.config.backupFolder}.`);
        } else {
          lines.push(`Applied; restart the server for ${pending.join(', ')}, then run lifeboat pitr setup ${cli.connection.id} --apply again to check.`);
        }
      }
      ctx.output.result({ ok: true, ...plan, applied: !!flags.apply, pendingRestart: pending, proved: proved ?? null }, lines);
    }));

  pitr.command('status')
    .description('Is WAL archiving working? pg_stat_archiver (archived, failed, last failure), the backlog of WAL files waiting to be archived, and the time since the last one against the connection\'s RPO. Exits 1 when archiving fails or lags the RPO, so cron or CI can alert.')
    .argument('<connection>', 'PostgreSQL connection id or name')
    .action(action(async (ctx, reference: string) => {
      const cli = postgresConnection(ctx.config, reference);
      const state = await archivingState(cli.connection, readPassword(cli));
      const problems = archivingProblems(state, cli.policy.rpoMs);
      const lines = [
        `${cli.connection.name}: archive_mode ${state.settings.archive_mode}${state.pendingRestart.includes('archive_mode') ? ' (waiting for a restart)' : ''}; ${state.archivedCount} WAL files archived, the last ${state.lastArchivedWal ?? 'none'}${state.lagMs !== null ? ` ${formatDuration(state.lagMs)} ago` : ''}; ${state.failedCount} failures${state.lastFailedWal ? ` (last: ${state.lastFailedWal} at ${state.lastFailedAt})` : ''}; ${state.readyCount ?? '?'} waiting.`,
        ...problems.map(p => `Problem: ${p}`),
      ];
      ctx.output.result({ ok: problems.length === 0, ...state, problems }, lines);
      return problems.length === 0 ? EXIT.ok : EXIT.failed;
    }));
}
