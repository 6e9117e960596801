import * as vscode from 'vscode';
import { copyBackup, copyProgress } from '../../core/backupCopy';
import { formatBytes } from '../../core/format';
import { placeOf } from '../../storage/destinationSettings';
import { openDestination } from '../../storage/openDestination';
import { LOCAL_LABEL, type ListedBackup } from '../backupCatalog';
import type { Destination } from '../../core/destination';
import { pickBackup } from '../pickers';
import type { Services } from '../services';
import type { BackupItem } from '../tree/items';

/** Keys for a configured destination, and "Copy Backup To…" a destination or folder. */
export function registerDestinationCommands(s: Services): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.setDestinationKeys', () => setKeys(s)),
    vscode.commands.registerCommand('lifeboat.copyBackup', async (item?: BackupItem) => {
      const entry = item?.entry ?? await pickBackup(s.catalog, 'Copy which backup?');
      if (entry) await copyTo(s, entry);
    }),
  ];
}

const OPEN_SETTING = 'Open Settings';

async function setKeys(s: Services): Promise<void> {
  const buckets = s.destinations.settings().filter(d => /^s3:\/\//i.test(d.location));
  if (buckets.length === 0) {
    const open = await vscode.window.showInformationMessage('No S3 destination is configured: add one to the setting lifeboat.destinations first.', OPEN_SETTING);
    if (open) await vscode.commands.executeCommand('workbench.action.openSettings', 'lifeboat.destinations');
    return;
  }
  const items = await Promise.all(buckets.map(async d => ({
    label: `$(cloud) ${d.name}`, description: d.location, detail: (await s.destinations.hasKeys(d.name)) ? 'Keys stored: enter new ones to replace them, or leave the key id empty to forget them' : 'No keys stored: the AWS default chain (environment, profiles, SSO, roles) is used', name: d.name,
  })));
  const picked = await vscode.window.showQuickPick(items, { title: 'Lifeboat: Set Destination Keys', placeHolder: 'Keys for which destination?', ignoreFocusOut: true });
  if (!picked) return;
  const title = `Keys for ${picked.name}`;
  const accessKeyId = await vscode.window.showInputBox({ title, prompt: 'Access key id (empty: forget the stored keys and use the AWS default chain)', ignoreFocusOut: true });
  if (accessKeyId === undefined) return;
  if (!accessKeyId.trim()) {
    await s.destinations.clearKeys(picked.name);
    void vscode.window.showInformationMessage(`The keys for ${picked.name} are forgotten; it uses the AWS default chain.`);
    return;
  }
  const secretAccessKey = await vscode.window.showInputBox({ title, prompt: 'Secret access key (kept in the editor\'s secret storage, never in settings or logs)', password: true, ignoreFocusOut: true,
    validateInput: v => v.trim() ? undefined : 'Give the secret access key' });
  if (!secretAccessKey) return;
  await s.destinations.setKeys(picked.name, { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim() });
  s.logger.info(`Keys stored for destination ${picked.name}`);
  void vscode.window.showInformationMessage(`Keys stored for ${picked.name}.`);
}

async function copyTo(s: Services, entry: ListedBackup): Promise<void> {
  const m = entry.manifest;
  const others = (await s.destinations.openAll()).filter(d => !entry.places.includes(d.settings.name));
  const folderHasIt = entry.places.includes(LOCAL_LABEL);
  type Choice = { kind: 'configured'; index: number } | { kind: 'folder' } | { kind: 'backupFolder' };
  const items: (vscode.QuickPickItem & { choice: Choice })[] = [
    ...others.map((d, index) => {
      const place = placeOf(d.settings);
      return { label: `$(${place.media === 'object-store' ? 'cloud-upload' : 'folder'}) ${d.settings.name}`, description: d.destination.location, detail: `${place.media}${place.offsite ? ', off-site' : ''}`, choice: { kind: 'configured' as const, index } };
    }),
    ...(folderHasIt ? [] : [{ label: '$(folder-library) The backup folder', description: s.catalog.destination().location, choice: { kind: 'backupFolder' as const } }]),
    { label: '$(folder-opened) Another folder…', choice: { kind: 'folder' as const } },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Copy ${m.connection.name} ${m.id} to…`, placeHolder: `It is in ${entry.places.join(', ')}; every byte of the copy is checked against the manifest`, ignoreFocusOut: true });
  if (!picked) return;
  let to: Destination;
  if (picked.choice.kind === 'configured') to = others[picked.choice.index].destination;
  else if (picked.choice.kind === 'backupFolder') to = s.catalog.destination();
  else {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Copy the backup here' });
    if (!folder?.[0]) return;
    to = openDestination(folder[0].fsPath);
  }
  const target = to;
  const copied = await s.jobs.run(`Lifeboat: Copying ${m.connection.name} ${m.id} to ${target.location}`, ctx => copyBackup(entry, entry.from, target, {
    signal: ctx.signal, logger: ctx.logger,
    onBytes: copyProgress(ctx.onProgress),
  }), entry.from);
  if (!copied) return;
  void vscode.window.showInformationMessage(`Copied ${m.id} to ${target.location}: ${formatBytes(copied.bytes)}, every byte checked against its manifest.`);
}
