import * as path from 'node:path';
import * as vscode from 'vscode';
import { makeConnectionId, type ServerConnection } from '../../core/connection';
import { errorMessage } from '../../core/errors';
import { formatBytes, formatDuration } from '../../core/format';
import { serverAccount } from '../../core/localAccount';
import { defaultSandboxFolder } from '../../core/sandboxFolder';
import { describeTime, parseTime, timePointOf, type TimePoint } from '../../core/timePoint';
import { describeBinlogWindow } from '../../engines/mysql/pitr/binlogChoice';
import { lastTransaction } from '../../engines/mysql/pitr/binlogWindow';
import { mariadbWindow, recoverMariadbToSandbox } from '../../engines/mysql/pitr/recoverMariadb';
import { recoverToSandbox } from '../../engines/postgres/pitr/recoverToSandbox';
import { windowReport } from '../../engines/postgres/pitr/windowReport';
import { pickConnection } from '../pickers';
import { recordRestoredFrom } from '../restoredFrom';
import { accessFor } from '../serverTarget';
import type { Services } from '../services';
import { expandHome } from '../settings';
import { formatTimestamp, type ConnectionItem } from '../tree/items';

/**
 * "Restore to a Point in Time…" on a PostgreSQL or MariaDB connection: the recoverable window
 * (pitr window), a time in the user's zone or the end of the archive, then recovery into a
 * sandbox server (the engines' recoverToSandbox / recoverMariadbToSandbox) under a cancellable
 * progress notification. The sandbox is added as a connection, and Compare with Production…
 * offered at once.
 */
export function registerPitrCommands(s: Services): vscode.Disposable[] {
  return [vscode.commands.registerCommand('lifeboat.restoreToPointInTime', async (item?: ConnectionItem) => {
    const connection = item?.connection ?? await pickConnection(s.store, 'Recover which connection to a point in time?', c => c.engine === 'postgres' || c.engine === 'mysql');
    if (connection?.engine === 'postgres') await recoverPostgres(s, connection);
    else if (connection?.engine === 'mysql') await recoverMariadb(s, connection);
  })];
}

async function recoverPostgres(s: Services, connection: ServerConnection): Promise<void> {
  const config = vscode.workspace.getConfiguration('lifeboat');
  const serverBinDir = config.get<string>('postgres.serverBinDir')?.trim() || undefined;
  const report = await s.jobs.run(`Lifeboat: reading the recoverable window of ${connection.name}`, ctx => windowReport(connection.id, ctx, serverBinDir));
  if (!report) return;
  if (report.stretches.length === 0) {
    void vscode.window.showWarningMessage(`${connection.name} has no base backup to recover from.`, { detail: 'Back up with the format "base" (physical, for point-in-time recovery) with WAL archiving set up (lifeboat pitr setup).' });
    return;
  }
  const usable = report.stretches.filter(st => st.timeTargets);
  const target = await askPointInTime(connection, `Window: ${report.text}`,
    usable.length ? { from: new Date(usable[0].from.time), to: new Date(usable.at(-1)!.to.time) } : undefined,
    { label: 'To the end of the archived WAL', detail: report.lastArchived ? `WAL archived up to ${report.lastArchived.name}, arrived ${report.lastArchived.at}` : 'Everything archived' });
  if (!target) return;
  const sandbox = await s.jobs.run(`Lifeboat: recovering ${connection.name} into a sandbox`, async ctx => {
    const account = serverAccount(config.get<string>('postgres.sandboxUser')?.trim() || undefined);
    return recoverToSandbox({ connection, target, sandboxRoot: sandboxRoot(), ...(serverBinDir ? { serverBinDir } : {}), ...(account ? { account } : {}) }, ctx);
  });
  if (!sandbox) return;
  const m = sandbox.measured;
  s.logger.info(`Recovered ${connection.name} to ${sandbox.target} into ${sandbox.dir} (port ${sandbox.port}) in ${formatDuration(m.rtoMs)}; last transaction ${m.recoveryPoint.time ?? 'none'} at ${m.recoveryPoint.lsn ?? '?'}${m.walBytesReplayed !== null ? `, ${formatBytes(m.walBytesReplayed)} of WAL replayed` : ''}. Stop it with: ${sandbox.stopCommand.join(' ')}`);
  await offerSandbox(s, connection, { ...sandbox.connection, name: `${connection.name} · recovered (port ${sandbox.port})` }, `pitr ${sandbox.port}`, sandbox.base,
    `Recovered ${connection.name} to ${sandbox.target} in ${formatDuration(m.rtoMs)}`, m.recoveryPoint.time);
}

async function recoverMariadb(s: Services, connection: ServerConnection): Promise<void> {
  const config = vscode.workspace.getConfiguration('lifeboat');
  const serverBinDir = config.get<string>('mysql.serverBinDir')?.trim() || undefined;
  const access = await accessFor(s, connection);
  const window = await s.jobs.run(`Lifeboat: reading the recoverable window of ${connection.name}`, ctx => mariadbWindow(connection, access, ctx));
  if (!window) return;
  if (window.stretches.length === 0) {
    void vscode.window.showWarningMessage(`${connection.name} has nothing to recover from: ${describeBinlogWindow(window)}.`, { detail: 'Back up with the binary log on, and keep `lifeboat pitr capture` running to archive the binary logs after it.' });
    return;
  }
  const last = lastTransaction(window);
  const target = await askPointInTime(connection, `Window: ${describeBinlogWindow(window)}`,
    last ? { from: window.stretches[0].base.completedAt, to: last.time } : undefined,
    { label: 'To the end of the archived binary logs', detail: last ? `Binary logs archived up to ${last.file}, the last transaction ${last.gtid} at ${formatTimestamp(last.time)}` : 'Everything archived' },
    'Binary-log times are whole seconds.');
  if (!target) return;
  const sandbox = await s.jobs.run(`Lifeboat: recovering ${connection.name} into a sandbox`, async ctx => {
    const account = serverAccount(undefined, { product: 'MariaDB', usualUser: 'mysql' });
    return recoverMariadbToSandbox({ connection, access, target, sandboxRoot: sandboxRoot(), ...(serverBinDir ? { serverBinDir } : {}), ...(account ? { account } : {}) }, ctx);
  });
  if (!sandbox) return;
  const m = sandbox.measured;
  s.logger.info(`Recovered ${connection.name} to ${sandbox.target} into ${sandbox.dir} in ${formatDuration(m.rtoMs)}: backup ${sandbox.base}, then ${sandbox.replayed.files.join(', ')} from ${sandbox.replayed.from}; last transaction ${m.recoveryPoint.gtid ?? 'none'} at ${m.recoveryPoint.time ?? '?'}. Stop it with: ${sandbox.stopCommand.join(' ')}`);
  for (const t of sandbox.leftOut) s.logger.warn(`Not replayed: transaction ${t.gtid} (${t.time}) changed ${connection.database} from another default database: ${t.statement}`);
  await offerSandbox(s, connection, { ...sandbox.connection, name: `${connection.name} · recovered (${path.basename(sandbox.dir)})` }, `pitr ${path.basename(sandbox.dir)}`, sandbox.base,
    `Recovered ${connection.name} to ${sandbox.target} in ${formatDuration(m.rtoMs)}${sandbox.leftOut.length ? ` (${sandbox.leftOut.length} statement(s) of another default database not replayed: see the log)` : ''}`, m.recoveryPoint.time);
}

function sandboxRoot(): string {
  return path.resolve(expandHome(vscode.workspace.getConfiguration('lifeboat').get<string>('postgres.sandboxFolder')?.trim() || defaultSandboxFolder()));
}

/** The sandbox added as a connection (restored from `base`), and Compare with Production… offered. */
async function offerSandbox(s: Services, production: ServerConnection, sandbox: ServerConnection, idHint: string, base: string, done: string, lastTransaction: string | null): Promise<void> {
  const added: ServerConnection = { ...sandbox, id: makeConnectionId(`${production.name} ${idHint}`, s.store.list().map(c => c.id)) };
  await s.store.add(added);
  await recordRestoredFrom(s.memento, added.id, { connectionId: production.id, backupId: base });
  const choice = await vscode.window.showInformationMessage(`${done}: sandbox "${added.name}", last transaction ${lastTransaction ?? 'none'}.`, 'Compare with Production…');
  if (choice) await vscode.commands.executeCommand('lifeboat.compareWithProduction', { connection: added });
}

/** A quick pick with the window (a time, or the end), then the time in the user's zone. */
async function askPointInTime(connection: ServerConnection, window: string, span: { from: Date; to: Date } | undefined, end: { label: string; detail: string }, note = ''): Promise<{ kind: 'time'; at: TimePoint } | { kind: 'end' } | undefined> {
  const choice = await vscode.window.showQuickPick([
    ...(span ? [{ label: '$(history) To a time…', detail: `In your time zone, between ${describeTime(timePointOf(span.from))} and ${describeTime(timePointOf(span.to))}`, pick: 'time' as const }] : []),
    { label: `$(debug-step-over) ${end.label}`, detail: end.detail, pick: 'end' as const },
  ], { title: `Restore ${connection.name} to a Point in Time (1/2)`, placeHolder: window, ignoreFocusOut: true });
  if (!choice) return undefined;
  if (choice.pick === 'end' || !span) return { kind: 'end' };
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -span.to.getTimezoneOffset();
  const text = await vscode.window.showInputBox({
    title: `Restore ${connection.name} to a Point in Time (2/2)`, ignoreFocusOut: true, value: formatTimestamp(span.to),
    prompt: `Recover up to this time, in your time zone (UTC${offset >= 0 ? '+' : '−'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}), or with an offset. ${note ? `${note} ` : ''}${window}`,
    validateInput: value => {
      try {
        return { message: `= ${describeTime(parseTime(value))}`, severity: vscode.InputBoxValidationSeverity.Info };
      } catch (error) {
        return errorMessage(error);
      }
    },
  });
  if (text === undefined) return undefined;
  return { kind: 'time', at: parseTime(text) };
}
