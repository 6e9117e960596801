import type { Command } from 'commander';
import { formatDuration } from '../../core/format';
import { serverAccount } from '../../core/localAccount';
import { defaultSandboxFolder } from '../../core/sandboxFolder';
import { describeTime, timePointOf } from '../../core/timePoint';
import { toolAccess } from '../../engines/access';
import { captureBinlogs } from '../../engines/mysql/pitr/binlogCapture';
import { describeBinlogWindow } from '../../engines/mysql/pitr/binlogChoice';
import { parseBinlogTarget } from '../../engines/mysql/pitr/binlogTarget';
import { lastTransaction } from '../../engines/mysql/pitr/binlogWindow';
import { mariadbWindow, recoverMariadbToSandbox } from '../../engines/mysql/pitr/recoverMariadb';
import { openDestination } from '../../storage/openDestination';
import { readPassword, resolveConnection, type CliConfig, type CliConnection } from '../config';
import type { CommandContext } from '../context';
import { action } from '../context';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';
import { collect, parsePositive } from './options';

/**
 * MariaDB's side of `lifeboat pitr`: the binary-log capture (a long-running command for systemd),
 * and the window and the recovery into a sandbox, which `pitr window` and `pitr restore` hand to
 * here for a mysql connection.
 */
export type MysqlCliConnection = CliConnection & { connection: ServerConnection };

export function mysqlConnection(config: CliConfig, reference: string): MysqlCliConnection {
  return asMysql(resolveConnection(config, reference));
}

export function asMysql(cli: CliConnection): MysqlCliConnection {
  if (cli.connection.engine !== 'mysql') throw new LifeboatError('usage', `"${cli.connection.name}" is a ${cli.connection.engine} connection; this command is for MariaDB.`);
  return { ...cli, connection: cli.connection };
}

function accessOf(ctx: CommandContext, cli: CliConnection) {
  return toolAccess(readPassword(cli), { ...(ctx.config.mysqlBinDir ? { mysqlBinDir: ctx.config.mysqlBinDir } : {}) });
}

export async function mariadbWindowCommand(ctx: CommandContext, cli: MysqlCliConnection): Promise<void> {
  const window = await mariadbWindow(cli.connection, accessOf(ctx, cli), ctx.job);
  const text = describeBinlogWindow(window);
  const last = lastTransaction(window);
  ctx.output.result({
    ok: true, text,
    stretches: window.stretches.map(s => ({
      base: s.base.id, from: s.base.completedAt.toISOString(), start: `${s.base.file}:${s.base.position}`,
      files: s.files.map(f => f.name), to: s.last?.time.toISOString() ?? null, lastGtid: s.last?.gtid ?? null, gapAt: s.gapAt ?? null,
    })),
    unusable: window.unusable,
  }, [
    `Recoverable window of ${cli.connection.name}: ${text}`,
    ...(last ? [`Binary logs archived up to ${last.file}, its last transaction at ${describeTime(timePointOf(last.time))}.`] : []),
    ...window.unusable.map(u => `Backup ${u.id} cannot start a recovery: ${u.why}.`),
  ]);
}

export async function mariadbRestoreCommand(ctx: CommandContext, cli: MysqlCliConnection, flags: { time?: string; position?: string; end?: boolean; sandboxDir?: string; sandboxUser?: string }): Promise<void> {
  const target = parseBinlogTarget({ time: flags.time, position: flags.position, end: flags.end });
  const account = serverAccount(flags.sandboxUser ?? ctx.config.sandboxUser, { product: 'MariaDB', usualUser: 'mysql' });
  const sandbox = await recoverMariadbToSandbox({
    connection: cli.connection, access: accessOf(ctx, cli), target, sandboxRoot: flags.sandboxDir ?? ctx.config.sandboxFolder ?? defaultSandboxFolder(),
    ...(ctx.config.mysqlServerBinDir ? { serverBinDir: ctx.config.mysqlServerBinDir } : {}), ...(account ? { account } : {}),
  }, ctx.job);
  const m = sandbox.measured;
  ctx.output.result({ ok: true, sandbox }, [
    `Recovered ${cli.connection.name} to ${sandbox.target} into a sandbox: MariaDB ${sandbox.serverVersion}, socket ${sandbox.socket}, data ${sandbox.dataDir}.`,
    `From backup ${sandbox.base}, then ${sandbox.replayed.files.length} binary log(s) from ${sandbox.replayed.from}; recovery point: ${m.recoveryPoint.gtid ? `GTID ${m.recoveryPoint.gtid} at ${m.recoveryPoint.time ?? '?'} (${m.recoveryPoint.position})` : 'the backup itself (no transaction replayed)'}; ${m.transactionsReplayed} transaction(s) replayed; ready in ${formatDuration(m.rtoMs)} (RTO).`,
    `Connect: mariadb --socket=${sandbox.socket} -u root ${sandbox.connection.database}`,
    `Stop it with: ${sandbox.stopCommand.join(' ')}`,
    ...sandbox.leftOut.map(t => `Warning: transaction ${t.gtid} (${t.time}) changed ${cli.connection.database} from another default database, and was not replayed: ${t.statement}`),
  ]);
}

export function registerPitrCapture(pitr: Command): void {
  pitr.command('capture')
    .description('MariaDB: copy the server\'s binary logs as it writes them (mariadb-binlog --read-from-remote-server --stop-never) and archive each finished file into the backup folder (and --copy-to destinations). Runs until stopped (SIGTERM, Ctrl-C); reconnects by itself when its connection ends. Needs REPLICATION SLAVE and BINLOG MONITOR, and RELOAD for --rotate-every.')
    .argument('<connection>', 'MariaDB connection id or name')
    .option('--rotate-every <seconds>', 'close the open binary log (FLUSH BINARY LOGS) when it has changes this old, so they are archived (default: 60, or less to meet the connection\'s RPO; 0: never)', (v: string) => v === '0' ? 0 : parsePositive(v))
    .option('--copy-to <location>', 'also archive to this destination (repeatable)', collect)
    .addHelpText('after', '\nAs a systemd service: ExecStart=/usr/bin/lifeboat --config /etc/lifeboat.json pitr capture crm, Restart=always.')
    .action(action(async (ctx, reference: string, flags: { rotateEvery?: number; copyTo?: string[] }) => {
      const cli = mysqlConnection(ctx.config, reference);
      if (cli.encryptTo?.length) throw new LifeboatError('unsupported', `The backups of ${cli.connection.name} are encrypted, and Lifeboat does not encrypt archived binary logs yet, so it does not archive them.`, 'Remove encryptTo from this connection, or archive binary logs with another tool for now.');
      const rpoS = cli.policy.rpoMs > 0 ? Math.floor(cli.policy.rpoMs / 1000) : 60;
      const rotateEvery = flags.rotateEvery ?? Math.max(10, Math.min(60, rpoS));
      let archived = 0;
      await captureBinlogs({
        connection: cli.connection, access: accessOf(ctx, cli), rotateEveryMs: rotateEvery * 1000,
        destinations: [ctx.job.destination, ...(flags.copyTo ?? []).map(location => openDestination(location, ctx.config.destinations))],
        onArchived: () => { archived++; },
      }, ctx.job);
      ctx.output.result({ ok: true, archived }, [`Stopped; ${archived} binary log(s) archived.`]);
    }));
}
