import * as vscode from 'vscode';
import type { CatalogEntry } from '../../core/catalog';
import { MERGE_UNDO_KIND } from '../../core/manifest';
import { undoMerge } from '../../diff';
import { pickConnection } from '../pickers';
import { serverTarget } from '../serverTarget';
import type { Services } from '../services';
import type { BackupItem } from '../tree/items';

/** "Undo Merge…" on the backup a merge took: the rows go back to what they were before it. */
export function registerUndoMerge(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('lifeboat.undoMerge', async (item?: BackupItem) => {
    const entry = item?.entry ?? await pickMergeBackup(s);
    if (entry) await undo(s, entry);
  });
}

async function pickMergeBackup(s: Services): Promise<CatalogEntry | undefined> {
  const { entries } = await s.catalog.listAll();
  const merges = entries.filter(e => e.manifest.kind === MERGE_UNDO_KIND);
  if (merges.length === 0) {
    void vscode.window.showInformationMessage('No merges to undo: a merge saves the rows it changes as a backup, and there is none.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(merges.map(e => ({
    label: `$(history) ${e.manifest.options.table}`, description: `${e.manifest.connection.name} · ${new Date(e.manifest.completedAt).toLocaleString()}`,
    detail: `${e.manifest.tables[0]?.rows ?? 0} rows changed, from ${e.manifest.options.from}`, entry: e,
  })), { title: 'Undo which merge?', ignoreFocusOut: true });
  return picked?.entry;
}

async function undo(s: Services, entry: CatalogEntry): Promise<void> {
  const m = entry.manifest;
  const connection = s.store.get(m.connection.id)
    ?? await pickConnection(s.store, `The merge's connection "${m.connection.name}" is not configured here: which database holds ${m.options.table}?`, c => c.engine === m.engine);
  if (!connection) return;
  const rows = m.tables[0]?.rows ?? 0;
  const answer = await vscode.window.showWarningMessage(
    `Undo the merge into ${m.options.table} on "${connection.name}"?`,
    { modal: true, detail: `${rows} ${rows === 1 ? 'row goes' : 'rows go'} back to what ${rows === 1 ? 'it was' : 'they were'} before the merge of ${new Date(m.completedAt).toLocaleString()}, in one transaction. If any of them changed since, nothing is changed.` },
    'Undo Merge');
  if (answer !== 'Undo Merge') return;
  const password = connection.engine === 'sqlite' ? undefined : (await serverTarget(s, connection)).access.password;
  const result = await s.jobs.run(`Lifeboat: Undoing the merge into ${m.options.table}`, ctx => undoMerge(entry, { connection, password }, ctx));
  if (result) void vscode.window.showInformationMessage(`Merge undone on ${connection.name}: ${result.restored} rows put back, ${result.removed} removed.`);
}
