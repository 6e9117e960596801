import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { deleteBackup } from '../../core/backupDeletion';
import { readManifest } from '../../core/catalog';
import type { Destination } from '../../core/destination';
import { makeConnectionId, type Connection } from '../../core/connection';
import { formatBytes, formatDuration } from '../../core/format';
import { MANIFEST_FILE, describeStored, totalStoredBytes } from '../../core/manifest';
import { describeBackupRun, failedCopies, restoreBackup, runBackup, verifyBackup, type ServerTarget, type VerifyOptions } from '../../engines';
import { parseBackupRequest } from '../../engines/backupRequest';
import type { ServerAccess } from '../../engines/access';
import { serverTarget } from '../serverTarget';
import { mysqlBackupFlow, mysqlRestoreFlow } from './mysqlFlows';
import { postgresBackupFlow, postgresRestoreFlow } from './postgresFlows';
import { sqliteBackupFlow } from './sqliteFlows';
import type { BackupFlowResult } from './flowSteps';
import { pickBackup, pickConnection } from '../pickers';
import type { ListedBackup } from '../backupCatalog';
import type { Services } from '../services';
import { recordRestoredFrom } from '../restoredFrom';
import { readSettings } from '../settings';
import { BackupItem, ConnectionItem, UnreadableBackupItem } from '../tree/items';

export function registerBackupCommands(s: Services): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.backupDatabase', async (item?: ConnectionItem) => {
      const connection = item?.connection ?? await pickConnection(s.store, 'Back up which database?');
      if (connection) await backup(s, connection);
    }),
    vscode.commands.registerCommand('lifeboat.verifyBackup', async (item?: BackupItem) => {
      const entry = item?.entry ?? await pickBackup(s.catalog, 'Verify which backup?');
      if (entry) await verify(s, entry);
    }),
    vscode.commands.registerCommand('lifeboat.restoreBackup', async (item?: BackupItem) => {
      const entry = item?.entry ?? await pickBackup(s.catalog, 'Restore which backup?');
      if (entry) await restore(s, entry);
    }),
    vscode.commands.registerCommand('lifeboat.revealBackup', async (item?: BackupItem | UnreadableBackupItem) => {
      if (item instanceof UnreadableBackupItem) return reveal(item.prefix, s.catalog.destination());
      const entry = item?.entry ?? await pickBackup(s.catalog, 'Reveal which backup?');
      if (entry) await reveal(entry.prefix, entry.from);
    }),
    vscode.commands.registerCommand('lifeboat.deleteBackup', async (item?: BackupItem | UnreadableBackupItem) => {
      if (item instanceof UnreadableBackupItem) return remove(s, item.prefix, s.catalog.destination(), undefined);
      const entry = item?.entry ?? await pickBackup(s.catalog, 'Delete which backup?');
      if (entry) await remove(s, entry.prefix, entry.from, entry);
    }),
  ];
}

async function backup(s: Services, connection: Connection): Promise<void> {
  let flow: BackupFlowResult | undefined;
  let access: ServerAccess = {};
  if (connection.engine === 'sqlite') {
    // For a folder group the choice applies to every database in it.
    flow = await sqliteBackupFlow(s, connection);
  } else {
    const target = await serverTarget(s, connection);
    flow = connection.engine === 'postgres' ? await postgresBackupFlow(s, connection, target) : await mysqlBackupFlow(s, connection, target);
    access = target.access;
  }
  if (!flow) return;
  // lifeboat.encryptTo, once the person has read what losing the key means.
  const encryptTo = await s.encryption.recipientsForBackup();
  if (!encryptTo) return;
  const request = parseBackupRequest({ ...flow.request, ...(encryptTo.length ? { encryptTo } : {}) }, readSettings(s.globalStorage), connection.engine);
  const destinations = flow.destinations ?? [s.catalog.destination()];
  const run = await s.jobs.run(`Lifeboat: Backing up ${connection.name}`, ctx => runBackup(connection, request, destinations, ctx, access), destinations[0]);
  if (!run) return;
  const [summary, ...rest] = describeBackupRun(run);
  const failed = failedCopies(run);
  // Shown in the tree where it is listed (the backup folder or a configured destination; a one-off folder is not).
  if (run.backups.length === 1 && run.backups[0].copies[0]) await revealInTree(s, connection.id, run.backups[0].copies[0].entry.prefix);
  if (failed) {
    void s.jobs.showError(`${summary} ${rest.join(' ')}`);
    return;
  }
  void vscode.window.showInformationMessage([summary, ...rest].join(' '));
}

async function verify(s: Services, entry: ListedBackup): Promise<void> {
  let options: VerifyOptions = {};
  let server: ServerTarget | undefined;
  if (entry.manifest.engine === 'sqlite') {
    const depth = await vscode.window.showQuickPick([
      { label: '$(debug-restart) Full', detail: 'Rebuild the database from what is stored, every SHA-256 checked, then integrity_check and row counts', quick: false },
      { label: '$(checklist) Quick', detail: 'Read every stored byte back and compare SHA-256s; nothing is rebuilt', quick: true },
    ], { title: `Verify ${entry.manifest.connection.name} ${entry.manifest.id}`, ignoreFocusOut: true });
    if (!depth) return;
    options = { quick: depth.quick };
  } else {
    const depth = await vscode.window.showQuickPick([
      { label: '$(checklist) Quick', detail: `SHA-256 of every file, and ${entry.manifest.engine === 'postgres' ? 'the archive parses (pg_restore --list)' : 'the dump ends with its completion line'}; no server needed`, deep: false },
      { label: '$(debug-restart) Deep: a restore drill', detail: 'Restore into a scratch database, compare every table\'s row count, record the restore time, drop it', deep: true },
    ], { title: `Verify ${entry.manifest.connection.name} ${entry.manifest.id}`, ignoreFocusOut: true });
    if (!depth) return;
    options = { deep: depth.deep, postgresBinDir: readSettings(s.globalStorage).postgresBinDir };
    if (depth.deep) {
      server = await backupServer(s, entry);
      if (!server) return;
    }
  }
  // A full or deep check decrypts: it needs an identity (a quick one checks the stored bytes without).
  const decrypts = entry.manifest.engine === 'sqlite' ? !options.quick : options.deep === true;
  if (decrypts && !(await s.encryption.canRead(entry.manifest))) return;
  const verification = await s.jobs.run(`Lifeboat: Verifying ${entry.manifest.connection.name} ${entry.manifest.id}`, ctx => verifyBackup(entry, ctx, options, server), entry.from);
  if (!verification) return;
  if (verification.ok) {
    const rto = verification.restoreMs !== undefined ? ` Restore drill: ${formatDuration(verification.restoreMs)} (your recovery time for this backup).` : '';
    void vscode.window.showInformationMessage(`Backup ${entry.manifest.id} is intact: ${verification.checks.map(c => c.detail).join('; ')}.${rto}`);
  } else {
    void s.jobs.showError(`Backup ${entry.manifest.id} is DAMAGED: ${verification.checks.filter(c => !c.ok).map(c => `${c.name}: ${c.detail}`).join('; ')}`);
  }
}

/** The server a server-engine backup goes back to: its own connection, or one the user picks. */
async function backupServer(s: Services, entry: ListedBackup): Promise<ServerTarget | undefined> {
  const own = s.store.get(entry.manifest.connection.id);
  const connection = own && own.engine !== 'sqlite' ? own
    : await pickConnection(s.store, `The backup's connection "${entry.manifest.connection.name}" is not configured here: which server?`, c => c.engine === entry.manifest.engine);
  if (!connection || connection.engine === 'sqlite') return undefined;
  return serverTarget(s, connection);
}

async function restoreOnServer(s: Services, entry: ListedBackup): Promise<void> {
  const server = await backupServer(s, entry);
  if (!server) return;
  const options = entry.manifest.engine === 'postgres' ? await postgresRestoreFlow(s, entry, server) : await mysqlRestoreFlow(entry, server);
  if (!options) return;
  const m = entry.manifest;
  const result = await s.jobs.run(`Lifeboat: Restoring ${m.connection.name} into ${options.target}`, ctx => restoreBackup(entry, options, ctx, server), entry.from);
  if (!result || result.engine === 'sqlite') return;
  if (result.createdDatabase) {
    // The restored database becomes a connection, so the next step (comparing its tables with
    // production) starts from it; it logs in as the server connection does.
    const existingIds = s.store.list().map(c => c.id);
    const id = makeConnectionId(result.connection.name, existingIds);
    await recordRestoredFrom(s.memento, id, { connectionId: m.connection.id, backupId: m.id });
    await s.store.add({ ...result.connection, id }, server.access.password);
  }
  void vscode.window.showInformationMessage(
    `Restored ${m.id} into "${result.database}" in ${formatDuration(result.durationMs)}${options.tables ? ` (${options.tables.length} table(s))` : ''}.` +
    (result.createdDatabase ? ' It is listed as a connection.' : ''));
}

async function restore(s: Services, entry: ListedBackup): Promise<void> {
  if (!(await s.encryption.canRead(entry.manifest))) return;
  if (entry.manifest.engine !== 'sqlite') return restoreOnServer(s, entry);
  const m = entry.manifest;
  const proposed = proposeRestorePath(m.connection.source, m.completedAt);
  const target = await vscode.window.showInputBox({
    title: `Restore ${m.connection.name} (${new Date(m.completedAt).toLocaleString()})`,
    prompt: 'Restore into this new file (Lifeboat never replaces a file unless you confirm it by name)',
    value: proposed, valueSelection: [proposed.length - path.basename(proposed).length, proposed.length], ignoreFocusOut: true,
    validateInput: v => path.isAbsolute(v.trim()) ? undefined : 'Give an absolute path',
  });
  if (!target?.trim()) return;
  const file = path.resolve(target.trim());
  let overwrite = false;
  if (fs.existsSync(file)) {
    const name = path.basename(file);
    const typed = await vscode.window.showInputBox({
      title: `${name} exists`, ignoreFocusOut: true,
      prompt: `Replacing it discards its current content (and its -wal file). The old file is kept aside until the restore succeeded. Type "${name}" to replace it.`,
      validateInput: v => v === name ? undefined : `Type ${name} exactly to confirm`,
    });
    if (typed !== name) return;
    overwrite = true;
  }
  const result = await s.jobs.run(`Lifeboat: Restoring ${m.connection.name} into ${path.basename(file)}`, ctx => restoreBackup(entry, { target: file, overwrite }, ctx), entry.from);
  if (result?.engine !== 'sqlite') return;
  const action = await vscode.window.showInformationMessage(
    `Restored ${path.basename(file)}: ${formatBytes(result.bytes)}, ${result.tables.length} tables, identical to the backup (SHA-256) and integrity_check ok.`,
    'Add as Connection');
  if (action === 'Add as Connection') {
    const existingIds = s.store.list().map(c => c.id);
    const name = `${m.connection.name} (restored ${new Date(m.completedAt).toLocaleString()})`;
    const id = makeConnectionId(name, existingIds);
    await recordRestoredFrom(s.memento, id, { connectionId: m.connection.id, backupId: m.id });
    await s.store.add({ engine: 'sqlite', id, name, path: file });
  }
}

/** "<folder>/<name>-restored-20261125-143815.<ext>" beside the source, which is where people
 *  look for it; it never names an existing file. */
function proposeRestorePath(source: string, completedAt: string): string {
  const folder = fs.existsSync(path.dirname(source)) ? path.dirname(source) : process.env.HOME ?? path.dirname(source);
  const ext = path.extname(source);
  const stamp = completedAt.replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = `${path.basename(source, ext)}-restored-${stamp}`;
  let candidate = path.join(folder, base + ext);
  for (let i = 2; fs.existsSync(candidate); i++) candidate = path.join(folder, `${base}-${i}${ext}`);
  return candidate;
}

async function reveal(prefix: string, from: Destination): Promise<void> {
  const key = `${prefix}/${MANIFEST_FILE}`;
  if (!from.localPath) {
    // A copy in a bucket: its manifest, read from there, in an editor of its own.
    const manifest = await readManifest(from, prefix);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(manifest, null, 2) }), { preview: true });
    return;
  }
  const manifest = vscode.Uri.file(from.localPath(key));
  // An editor in a browser (code-server, Codespaces) or on a remote host cannot open the OS file
  // manager of the machine that holds the file: show the manifest instead.
  if (vscode.env.uiKind === vscode.UIKind.Web || vscode.env.remoteName) {
    await vscode.window.showTextDocument(manifest, { preview: true });
  } else {
    await vscode.commands.executeCommand('revealFileInOS', manifest);
  }
}

async function remove(s: Services, prefix: string, from: Destination, entry: ListedBackup | undefined): Promise<void> {
  // It is read from, and deleted in, the first place that holds it: the others keep theirs.
  const others = entry?.places.slice(1) ?? [];
  const what = entry ? `the backup of ${entry.manifest.connection.name} from ${new Date(entry.manifest.completedAt).toLocaleString()}` : `the unreadable backup ${prefix}`;
  const size = entry ? ` (${entry.manifest.shared ? describeStored(entry.manifest) : formatBytes(totalStoredBytes(entry.manifest))})` : '';
  const blocks = entry?.manifest.shared ? ' Its blocks that other snapshots use are kept.' : '';
  const answer = await vscode.window.showWarningMessage(`Delete ${what}${size}?`, { modal: true, detail: `Its files in ${from.location}/${prefix} are removed; this cannot be undone.${blocks}${others.length ? ` Its copies in ${others.join(', ')} are kept.` : ''}` }, 'Delete');
  if (answer !== 'Delete') return;
  try {
    // Then the blocks that only this backup used (an incremental snapshot's): never those a
    // newer snapshot needs.
    await deleteBackup(from, prefix, s.logger);
    s.logger.info(`Deleted backup ${prefix} in ${from.location}`);
  } catch (error) {
    void s.jobs.showError(`Deleting ${prefix} failed: ${(error as Error).message}`);
  } finally {
    s.catalog.refresh();
  }
}

async function revealInTree(s: Services, connectionId: string, prefix: string): Promise<void> {
  const item = await s.tree.findBackup(connectionId, prefix);
  if (item && s.treeView.visible) await s.treeView.reveal(item, { select: true, focus: false });
}
