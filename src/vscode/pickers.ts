import * as vscode from 'vscode';
import { ENGINE_LABELS, describeConnection, type Connection } from '../core/connection';
import { formatAge, formatBytes } from '../core/format';
import { totalStoredBytes, verificationState } from '../core/manifest';
import type { BackupCatalog, ListedBackup } from './backupCatalog';
import type { ConnectionStore } from './connectionStore';

/** QuickPicks for commands run from the palette, where no tree node is selected. */
export async function pickConnection(store: ConnectionStore, placeHolder: string, filter: (c: Connection) => boolean = () => true): Promise<Connection | undefined> {
  const connections = store.list().filter(filter);
  if (connections.length === 0) {
    const add = await vscode.window.showInformationMessage('Lifeboat has no connections yet.', 'Add Connection');
    if (add) await vscode.commands.executeCommand('lifeboat.addConnection');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(connections.map(c => ({
    label: `$(${c.engine === 'sqlite' ? 'database' : 'server'}) ${c.name}`,
    description: ENGINE_LABELS[c.engine],
    detail: describeConnection(c),
    connection: c,
  })), { placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.connection;
}

export async function pickBackup(catalog: BackupCatalog, placeHolder: string): Promise<ListedBackup | undefined> {
  const { entries } = await catalog.listAll();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage('There are no backups yet. Run "Lifeboat: Backup Database" first.');
    return undefined;
  }
  const icons = { verified: '$(pass-filled)', unverified: '$(circle-large-outline)', failed: '$(error)' };
  const picked = await vscode.window.showQuickPick(entries.map(e => ({
    label: `${icons[verificationState(e.manifest)]} ${e.manifest.connection.name}`,
    description: `${new Date(e.manifest.completedAt).toLocaleString()} · ${formatBytes(totalStoredBytes(e.manifest))} · ${formatAge(new Date(e.manifest.completedAt))} · in ${e.places.join(' + ')}`,
    detail: e.manifest.id,
    entry: e,
  })), { placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.entry;
}
