import * as vscode from 'vscode';
import type { CatalogEntry } from '../../core/catalog';
import { codecAvailable } from '../../core/codec';
import { formatBytes } from '../../core/format';
import type { Codec } from '../../core/manifest';
import { listServerTables, restoreImpact, type ServerTarget } from '../../engines';
import { proposeDatabaseName } from '../../engines/restoreNames';
import type { Destination } from '../../core/destination';
import { openDestination } from '../../storage/openDestination';
import { placeOf } from '../../storage/destinationSettings';
import type { ConfiguredDestination } from '../destinationStore';
import type { BackupRequest } from '../../engines/backupRequest';

/**
 * The steps the server engines' Backup Database and Restore flows share: a quick pick that puts
 * last time's choice first, the table picker, where to store a backup, where to restore one,
 * and typing a database's name before it is changed.
 */
export type Item<T> = vscode.QuickPickItem & { value: T };

/** What a backup flow asked: the request as the CLI and tasks.json spell it (parseBackupRequest
 *  turns it into the engine's options with the same defaults for every entry point), and where
 *  the backup goes when not (only) to the backup folder. */
export interface BackupFlowResult {
  request: BackupRequest;
  destinations?: Destination[];
}

/** A quick pick with `first` on top, so Enter takes it, marked with why it is first ("last used",
 *  "default") unless `mark` is null. */
export async function pick<T>(title: string, placeHolder: string, first: T, items: Item<T>[], mark: string | null): Promise<T | undefined> {
  const ordered = [...items.filter(i => i.value === first), ...items.filter(i => i.value !== first)];
  if (ordered[0].value === first && mark) ordered[0] = { ...ordered[0], description: mark };
  const picked = await vscode.window.showQuickPick(ordered, { title, placeHolder, ignoreFocusOut: true });
  return picked?.value;
}

export async function pickTables(target: ServerTarget, placeHolder: string, remembered: string[]): Promise<string[] | undefined> {
  const tables = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Listing the tables of ${target.connection.database}…` },
    () => listServerTables(target.connection, target.access));
  const items = tables.sort((a, b) => b.bytes - a.bytes).map(t => ({
    label: t.name, description: formatBytes(t.bytes), detail: t.estimatedRows !== null ? `about ${t.estimatedRows.toLocaleString('en')} rows` : undefined,
    picked: remembered.includes(t.name), name: t.name,
  }));
  const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder, ignoreFocusOut: true, matchOnDescription: true });
  if (!picked || picked.length === 0) return undefined;
  return picked.map(p => p.name);
}

/** What to back up: the same five scopes for every server engine. */
export type BackupScope = 'all' | 'schema' | 'data' | 'tables' | 'exclude';

export async function pickScope(title: string, target: ServerTarget, last: { scope: BackupScope; tables: string[] }, mark: string): Promise<{ scope: BackupScope; tables: string[] } | undefined> {
  const scope = await pick(title, 'What to back up', last.scope, [
    { value: 'all' as const, label: '$(database) Whole database', detail: 'Definitions and data' },
    { value: 'schema' as const, label: '$(symbol-structure) Schema only', detail: 'Definitions, no rows' },
    { value: 'data' as const, label: '$(table) Data only', detail: 'Rows, no definitions' },
    { value: 'tables' as const, label: '$(checklist) Chosen tables…', detail: 'Pick tables (with their sizes)' },
    { value: 'exclude' as const, label: '$(exclude) Everything except chosen tables…', detail: 'Pick tables to leave out' },
  ], mark);
  if (!scope) return undefined;
  if (scope !== 'tables' && scope !== 'exclude') return { scope, tables: [] };
  const tables = await pickTables(target, scope === 'tables' ? 'Tables to back up' : 'Tables to leave out', last.tables);
  return tables ? { scope, tables } : undefined;
}

/** Lifeboat's codecs, zstd first where this runtime has it. */
export function codecItems(): Item<Codec>[] {
  return [
    ...(codecAvailable('zstd') ? [{ value: 'zstd' as const, label: '$(zap) zstd', detail: 'Keeps up with the dump tool on one core: the fastest, and small' }] : []),
    { value: 'gzip', label: 'gzip', detail: 'Readable everywhere; about 4 times slower to compress than zstd' },
    { value: 'none', label: 'No compression' },
  ];
}

/**
 * The backup folder (listed in the view), it and a configured destination at once (lifeboat.destinations:
 * an off-site bucket, say; both copies listed), a configured destination alone, or a one-off folder;
 * undefined when dismissed.
 */
export async function pickDestination(title: string, backupFolder: string, configured: ConfiguredDestination[] = []): Promise<{ destinations?: Destination[] } | undefined> {
  type Where = 'setting' | 'both' | 'other' | { with: number } | { only: number };
  const icon = (d: ConfiguredDestination) => placeOf(d.settings).media === 'object-store' ? '$(cloud-upload)' : '$(folder)';
  const where = await pick<Where>(title, 'Where to store it', 'setting', [
    { value: 'setting', label: `$(folder-library) ${backupFolder}`, detail: 'The backup folder (lifeboat.backupFolder): listed in the Lifeboat view' },
    ...configured.map((d, i) => ({ value: { with: i }, label: `${icon(d)} The backup folder and ${d.settings.name}`, detail: `Two complete copies written at once, the second to ${d.destination.location}${placeOf(d.settings).offsite ? ' (off-site)' : ''}; both listed` })),
    ...configured.map((d, i) => ({ value: { only: i }, label: `${icon(d)} ${d.settings.name} only`, detail: `${d.destination.location}, from lifeboat.destinations; listed in the view` })),
    { value: 'both', label: '$(files) The backup folder and another folder…', detail: 'Two complete copies, written at once (say one on another disk); the view lists the first' },
    { value: 'other', label: '$(folder-opened) Another folder…', detail: 'A one-off copy elsewhere (not listed in the view unless it becomes the backup folder)' },
  ], null);
  if (!where) return undefined;
  if (where === 'setting') return {};
  if (typeof where === 'object') {
    return 'with' in where ? { destinations: [openDestination(backupFolder), configured[where.with].destination] } : { destinations: [configured[where.only].destination] };
  }
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Store the backup here' });
  if (!picked?.[0]) return undefined;
  const other = openDestination(picked[0].fsPath);
  return { destinations: where === 'both' ? [openDestination(backupFolder), other] : [other] };
}

/** Into a new database (name proposed), chosen tables into a new one, or an existing database. */
export async function pickRestoreTarget(title: string, entry: CatalogEntry, target: ServerTarget, byTable: boolean): Promise<{ how: 'new' | 'tables' | 'existing'; tables?: string[]; database: string } | undefined> {
  const m = entry.manifest;
  const how = await pick(title, `Restore on ${target.connection.host}:${target.connection.port}`, 'new', [
    { value: 'new' as const, label: '$(new-folder) Into a new database', detail: 'Nothing existing is touched; the restored database is added as a connection' },
    ...(byTable ? [{ value: 'tables' as const, label: '$(checklist) Chosen tables into a new database…', detail: 'The partial restore: bring back one table to compare with production' }] : []),
    { value: 'existing' as const, label: '$(warning) Into an existing database…', detail: 'Replaces the backup\'s objects there; asks you to type the database name' },
  ], 'default');
  if (!how) return undefined;
  let tables: string[] | undefined;
  if (how === 'tables') {
    const picked = await vscode.window.showQuickPick(m.tables.map(t => ({ label: t.name, description: t.bytes !== undefined ? formatBytes(t.bytes) : undefined })),
      { canPickMany: true, title, placeHolder: 'Tables to restore', ignoreFocusOut: true });
    if (!picked || picked.length === 0) return undefined;
    tables = picked.map(p => p.label);
  }
  const proposed = how === 'existing' ? target.connection.database : proposeDatabaseName(m);
  const database = (await vscode.window.showInputBox({
    title, prompt: how === 'existing' ? 'The existing database to restore into' : 'Name of the new database', value: proposed, ignoreFocusOut: true,
    validateInput: v => v.trim() ? undefined : 'Give a database name',
  }))?.trim();
  if (!database) return undefined;
  return { how, database, ...(tables ? { tables } : {}) };
}

/** Production is changed only on purpose: the user types the database's name, having been told
 *  which of its tables the backup replaces. */
export async function confirmExisting(entry: CatalogEntry, target: ServerTarget, database: string): Promise<boolean> {
  const impact = await restoreImpact(entry, target, database);
  const listed = impact.slice(0, 8).map(t => `${t.name}${t.estimatedRows !== null ? ` (~${t.estimatedRows.toLocaleString('en')} rows)` : ''}`).join(', ');
  const typed = await vscode.window.showInputBox({
    title: `Restore into the existing database "${database}"?`, ignoreFocusOut: true,
    prompt: impact.length > 0
      ? `${impact.length} table(s) there will be dropped and replaced by the backup's: ${listed}${impact.length > 8 ? ', …' : ''}. Type "${database}" to go ahead.`
      : `None of the backup's tables exist there yet; its objects will be created. Type "${database}" to go ahead.`,
    validateInput: v => v === database ? undefined : `Type ${database} exactly to confirm`,
  });
  return typed === database;
}
