import * as vscode from 'vscode';
import type { BackupCatalog } from './backupCatalog';
import type { ConnectionStore } from './connectionStore';

/**
 * lifeboat.hasConnections and lifeboat.hasBackups, which decide what the Command Palette offers.
 * Kept current from activation on, whether or not the Lifeboat view has been opened.
 */
export function trackContextKeys(store: ConnectionStore, catalog: BackupCatalog): vscode.Disposable {
  const update = async () => {
    await vscode.commands.executeCommand('setContext', 'lifeboat.hasConnections', store.list().length > 0);
    const { entries } = await catalog.listAll().catch(() => ({ entries: [] }));
    await vscode.commands.executeCommand('setContext', 'lifeboat.hasBackups', entries.length > 0);
  };
  void update();
  return vscode.Disposable.from(store.onDidChange(update), catalog.onDidChange(update));
}
