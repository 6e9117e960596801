import * as path from 'node:path';
import * as vscode from 'vscode';
import { makeConnectionId, type ServerConnection } from '../../core/connection';
import { errorMessage } from '../../core/errors';
import { formatBytes, formatDuration } from '../../core/format';
import { serverAccount } from '../../core/localAccount';
import { describeTime, parseTime, timePointOf } from '../../core/timePoint';
import type { RecoveryTarget } from '../../engines/postgres/pitr/recoveryTarget';
import { defaultSandboxFolder } from '../../core/sandboxFolder';
import { recoverToSandbox } from '../../engines/postgres/pitr/recoverToSandbox';
import { windowReport, type WindowReport } from '../../engines/postgres/pitr/windowReport';
import { pickConnection } from '../pickers';
import { recordRestoredFrom } from '../restoredFrom';
import type { Services } from '../services';
import { expandHome } from '../settings';
import { formatTimestamp, type ConnectionItem } from '../tree/items';

/**
 * "Restore to a Point in Time…" on a PostgreSQL connection: the recoverable window (pitr
 * window), a time in the user's zone or the end of the archive, then recovery into a sandbox
 * server (engines/postgres/pitr/recoverToSandbox.ts) under a cancellable progress notification.
 * The sandbox is added as a connection, and Compare with Production… offered at once.
 */
export function registerPitrCommands(s: Services): vscode.Disposable[] {
  return [vscode.commands.registerCommand('lifeboat.restoreToPointInTime', async (item?: ConnectionItem) => {
    const connection = item?.connection ?? await pickConnection(s.store, 'Recover which PostgreSQL connection to a point in time?', c => c.engine === 'postgres');
    if (!connection || connection.engine !== 'postgres') return;
    const config = vscode.workspace.getConfiguration('lifeboat');
    const serverBinDir = config.get<string>('postgres.serverBinDir')?.trim() || undefined;
    const report = await s.jobs.run(`Lifeboat: reading the recoverable window of ${connection.name}`, ctx => windowReport(connection.id, ctx, serverBinDir));
    if (!report) return;
    const target = await askTarget(connection, report);
    if (!target) return;
    const sandboxRoot = path.resolve(expandHome(config.get<string>('postgres.sandboxFolder')?.trim() || defaultSandboxFolder()));
    const sandbox = await s.jobs.run(`Lifeboat: recovering ${connection.name} into a sandbox`, async ctx => {
      const account = serverAccount(config.get<string>('postgres.sandboxUser')?.trim() || undefined);
      return recoverToSandbox({ connection, target, sandboxRoot, ...(serverBinDir ? { serverBinDir } : {}), ...(account ? { account } : {}) }, ctx);
    });
    if (!sandbox) return;
    const added: ServerConnection = { ...sandbox.connection, id: makeConnectionId(`${connection.name} pitr ${sandbox.port}`, s.store.list().map(c => c.id)), name: `${connection.name} · recovered (port ${sandbox.port})` };
    await s.store.add(added);
    await recordRestoredFrom(s.memento, added.id, { connectionId: connection.id, backupId: sandbox.base });
    const m = sandbox.measured;
    s.logger.info(`Recovered ${connection.name} to ${sandbox.target} into ${sandbox.dir} (port ${sandbox.port}) in ${formatDuration(m.rtoMs)}; last transaction ${m.recoveryPoint.time ?? 'none'} at ${m.recoveryPoint.lsn ?? '?'}${m.walBytesReplayed !== null ? `, ${formatBytes(m.walBytesReplayed)} of WAL replayed` : ''}. Stop it with: ${sandbox.stopCommand.join(' ')}`);
    const choice = await vscode.window.showInformationMessage(
      `Recovered ${connection.name} to ${sandbox.target} in ${formatDuration(m.rtoMs)}: sandbox "${added.name}", last transaction ${m.recoveryPoint.time ?? 'none'}.`,
      'Compare with Production…');
    if (choice) await vscode.commands.executeCommand('lifeboat.compareWithProduction', { connection: added });
  })];
}

async function askTarget(connection: ServerConnection, report: WindowReport): Promise<RecoveryTarget | undefined> {
  const usable = report.stretches.filter(st => st.timeTargets);
  if (report.stretches.length === 0) {
    void vscode.window.showWarningMessage(`${connection.name} has no base backup to recover from.`, { detail: 'Back up with the format "base" (physical, for point-in-time recovery) with WAL archiving set up (lifeboat pitr setup).' });
    return undefined;
  }
  const window = `Window: ${report.text}`;
  const latest = usable.at(-1);
  const choice = await vscode.window.showQuickPick([
    ...(latest ? [{ label: '$(history) To a time…', detail: `In your time zone, between ${describeTime(timePointOf(new Date(usable[0].from.time)))} and ${describeTime(timePointOf(new Date(latest.to.time)))}`, pick: 'time' as const }] : []),
    { label: '$(debug-step-over) To the end of the archived WAL', detail: report.lastArchived ? `WAL archived up to ${report.lastArchived.name}, arrived ${report.lastArchived.at}` : 'Everything archived', pick: 'end' as const },
  ], { title: `Restore ${connection.name} to a Point in Time (1/2)`, placeHolder: window, ignoreFocusOut: true });
  if (!choice) return undefined;
  if (choice.pick === 'end') return { kind: 'end' };
  const last = new Date(latest!.to.time);
  const local = formatTimestamp(last);
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -last.getTimezoneOffset();
  const text = await vscode.window.showInputBox({
    title: `Restore ${connection.name} to a Point in Time (2/2)`, ignoreFocusOut: true, value: local,
    prompt: `Recover up to this time, in your time zone (UTC${offset >= 0 ? '+' : '−'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}), or with an offset. ${window}`,
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
