import * as vscode from 'vscode';
import { BackupCatalog } from './vscode/backupCatalog';
import { registerBackupCommands } from './vscode/commands/backupCommands';
import { registerCompareCommands } from './vscode/commands/compareCommands';
import { registerPitrCommands } from './vscode/commands/pitrCommands';
import { registerConnectionCommands } from './vscode/commands/connectionCommands';
import { registerDestinationCommands } from './vscode/commands/destinationCommands';
import { registerEncryptionCommands } from './vscode/commands/encryptionCommands';
import { registerUndoMerge } from './vscode/commands/undoMergeCommand';
import { registerRetentionCommand } from './vscode/commands/retentionCommand';
import { registerPolicyCommand } from './vscode/commands/policyCommand';
import { registerViewCommands } from './vscode/commands/viewCommands';
import { ConnectionStore } from './vscode/connectionStore';
import { DestinationStore } from './vscode/destinationStore';
import { EncryptionKeys } from './vscode/encryption';
import { trackContextKeys } from './vscode/contextKeys';
import { JobRunner } from './vscode/jobs';
import { createLog } from './vscode/log';
import { LifeboatTaskProvider, TASK_TYPE } from './vscode/taskProvider';
import { ConnectionsTreeProvider } from './vscode/tree/connectionsTree';
import { editorStatus } from './vscode/protection';
import { ScheduleRunner } from './vscode/scheduleRunner';
import { registerScheduleCommands } from './vscode/commands/scheduleCommands';

/** Wires the pieces together; every piece lives in src/vscode/ (glue) or below (engine). */
export function activate(context: vscode.ExtensionContext): void {
  const { channel, logger } = createLog();
  const showLog = () => channel.show(true);
  const store = new ConnectionStore(context.secrets, logger);
  const destinations = new DestinationStore(context.secrets, logger);
  const encryption = new EncryptionKeys(context.secrets, context.globalState, logger);
  const catalog = new BackupCatalog(context.globalStorageUri, destinations, logger);
  const tree = new ConnectionsTreeProvider(store, catalog, context.globalStorageUri, () => editorStatus({ store, catalog, destinations, logger }));
  const treeView = vscode.window.createTreeView('lifeboat.connections', { treeDataProvider: tree, showCollapseAll: true });
  const jobs = new JobRunner(catalog, logger, showLog);
  const services = { store, destinations, encryption, catalog, jobs, logger, tree, treeView, globalStorage: context.globalStorageUri, extensionUri: context.extensionUri, memento: context.globalState };
  context.subscriptions.push(
    channel, store, destinations, encryption, catalog, tree, treeView, jobs,
    trackContextKeys(store, catalog),
    ...registerConnectionCommands(services),
    ...registerBackupCommands(services),
    ...registerDestinationCommands(services),
    ...registerEncryptionCommands(services),
    ...registerCompareCommands(services),
    ...registerPitrCommands(services),
    registerUndoMerge(services),
    registerRetentionCommand(services),
    registerPolicyCommand(services),
    ...registerViewCommands(services, showLog),
    vscode.tasks.registerTaskProvider(TASK_TYPE, new LifeboatTaskProvider(services)),
  );
  const schedules = new ScheduleRunner(services, context.secrets, () => tree.refreshStatus());
  context.subscriptions.push(
    schedules,
    // Ages grow and runs are recorded by other processes: the tree's marks are redrawn each minute.
    intervalDisposable(() => tree.refreshStatus(), 60_000),
    ...registerScheduleCommands(services, schedules, context.secrets, logger),
  );
  logger.info(`Lifeboat activated; backups in ${catalog.destination().location}`);
}

export function deactivate(): void {}

function intervalDisposable(tick: () => void, ms: number): vscode.Disposable {
  const timer = setInterval(tick, ms);
  return { dispose: () => clearInterval(timer) };
}
