import * as vscode from 'vscode';
import type { CatalogEntry } from '../../core/catalog';
import { codecAvailable } from '../../core/codec';
import type { ServerConnection } from '../../core/connection';
import { formatBytes } from '../../core/format';
import { defaultParallelJobs } from '../../core/parallelism';
import type { Codec } from '../../core/manifest';
import { listServerTables, restoreImpact, type BackupOptions, type RestoreOptions, type ServerTarget } from '../../engines';
import { exactPattern, type Compressor, type PgFormat } from '../../engines/postgres/dumpOptions';
import { proposeDatabaseName } from '../../engines/restoreNames';
import { parseTableName } from '../../engines/postgres/tableNames';
import { LocalFolderDestination } from '../../storage/local';
import type { Destination } from '../../storage/destination';
import type { Services } from '../services';
import { readSettings } from '../settings';

/**
 * The short flows behind Backup Database and Restore on a PostgreSQL connection. Each step lists
 * the choice made last time first, so Enter through the steps repeats the last backup; the
 * choices are remembered per connection.
 */
interface RememberedBackup {
  /** auto: Lifeboat picks the faster way for the database (engines/postgres/dumpStrategy.ts). */
  format: PgFormat | 'auto';
  scope: 'all' | 'schema' | 'data' | 'tables' | 'exclude';
  tables: string[];
  /** Who compresses (auto: whoever the chosen way needs) and with what. */
  compression: `${Compressor | 'auto'}:${Codec}`;
}

const MEMENTO_KEY = (id: string) => `lifeboat.postgresBackup/${id}`;

type Item<T> = vscode.QuickPickItem & { value: T };

export interface BackupFlowResult {
  options: BackupOptions;
  destination?: Destination;
}

export async function postgresBackupFlow(s: Services, connection: ServerConnection, target: ServerTarget): Promise<BackupFlowResult | undefined> {
  const settings = readSettings(s.globalStorage);
  const remembered = s.memento.get<RememberedBackup>(MEMENTO_KEY(connection.id));
  const last = remembered ?? { format: 'auto', scope: 'all', tables: [], compression: `auto:${settings.compression}` };
  const mark = remembered ? 'last used' : 'default';
  const title = (step: number) => `Back up ${connection.name} (${step}/4)`;
  const jobs = defaultParallelJobs();

  const format = await pick(title(1), 'Archive format', last.format, [
    { value: 'auto' as const, label: '$(zap) Fastest for this database', detail: `Lifeboat weighs one stream it compresses (custom format, one file) against ${jobs} parallel pg_dump jobs (directory format) for your table sizes and cores; the manifest says which ran.` },
    { value: 'custom' as const, label: '$(archive) Custom archive', detail: 'One file; restore everything or chosen tables, in parallel. pg_dump -Fc.' },
    { value: 'directory' as const, label: '$(folder) Directory archive, parallel dump', detail: `One file per table, dumped by ${jobs} jobs: fast for many tables of similar size. pg_dump -Fd -j.` },
    { value: 'plain' as const, label: '$(file-code) Plain SQL script', detail: 'Readable SQL, restored with psql; whole database only.' },
  ], mark);
  if (!format) return undefined;

  const scope = await pick(title(2), 'What to back up', last.scope, [
    { value: 'all' as const, label: '$(database) Whole database', detail: 'Definitions and data' },
    { value: 'schema' as const, label: '$(symbol-structure) Schema only', detail: 'Definitions, no rows' },
    { value: 'data' as const, label: '$(table) Data only', detail: 'Rows, no definitions' },
    { value: 'tables' as const, label: '$(checklist) Chosen tables…', detail: 'Pick tables (with their sizes)' },
    { value: 'exclude' as const, label: '$(exclude) Everything except chosen tables…', detail: 'Pick tables to leave out' },
  ], mark);
  if (!scope) return undefined;
  let tables: string[] = [];
  if (scope === 'tables' || scope === 'exclude') {
    const chosen = await pickTables(target, scope === 'tables' ? 'Tables to back up' : 'Tables to leave out', last.tables);
    if (!chosen) return undefined;
    tables = chosen;
  }

  const zstd = codecAvailable('zstd');
  const compressions: Item<RememberedBackup['compression']>[] = format === 'auto'
    ? [
      ...(zstd ? [{ value: 'auto:zstd' as const, label: '$(zap) zstd', detail: 'Keeps up with pg_dump on one core: the fastest, and small' }] : []),
      { value: 'auto:gzip', label: 'gzip', detail: 'About 4 times slower to compress than zstd; parallel jobs become the faster way sooner' },
      { value: 'auto:none', label: 'No compression' },
    ]
    : format === 'directory'
    ? [
      { value: 'tool:gzip', label: 'gzip by pg_dump', detail: 'Each table file compressed by pg_dump' },
      { value: 'tool:none', label: 'No compression' },
    ]
    : [
      ...(zstd ? [{ value: 'lifeboat:zstd' as const, label: '$(zap) zstd by Lifeboat', detail: 'pg_dump writes uncompressed; Lifeboat compresses on another core while it runs: fastest, and small' }] : []),
      { value: 'lifeboat:gzip', label: 'gzip by Lifeboat', detail: 'pg_dump writes uncompressed; Lifeboat compresses on another core while it runs' },
      ...(format === 'custom' ? [{ value: 'tool:gzip' as const, label: 'gzip by pg_dump', detail: 'As pgAdmin does it: pg_dump compresses as it goes; restores read it in place, in parallel' }] : []),
      { value: 'lifeboat:none', label: 'No compression' },
    ];
  const compression = await pick(title(3), 'Compression', compressions.some(c => c.value === last.compression) ? last.compression : compressions[0].value, compressions, mark);
  if (!compression) return undefined;

  const folder = settings.backupFolder;
  const where = await pick(title(4), 'Where to store it', 'setting', [
    { value: 'setting' as const, label: `$(folder-library) ${folder}`, detail: 'The backup folder (lifeboat.backupFolder): listed in the Lifeboat view' },
    { value: 'other' as const, label: '$(folder-opened) Another folder…', detail: 'A one-off copy elsewhere (not listed in the view unless it becomes the backup folder)' },
  ], null);
  if (!where) return undefined;
  let destination: Destination | undefined;
  if (where === 'other') {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Store the backup here' });
    if (!picked?.[0]) return undefined;
    destination = new LocalFolderDestination(picked[0].fsPath);
  }

  await s.memento.update(MEMENTO_KEY(connection.id), { format, scope, tables, compression } satisfies RememberedBackup);
  const [compressor, codec] = compression.split(':') as [Compressor | 'auto', Codec];
  const patterns = tables.map(name => parseTableName(name)).filter(p => p !== undefined).map(([schema, table]) => exactPattern(schema, table));
  const options: BackupOptions = {
    codec,
    ...(format === 'auto' ? {} : { format }),
    ...(compressor === 'auto' ? {} : { compressor }),
    ...(codec === settings.compression && settings.compressionLevel !== undefined ? { level: settings.compressionLevel } : {}),
    ...(format === 'directory' ? { jobs: settings.backupJobs > 1 ? settings.backupJobs : jobs } : {}),
    ...(format === 'auto' && settings.backupJobs > 0 ? { jobs: settings.backupJobs } : {}),
    ...(scope === 'schema' ? { schemaOnly: true } : {}),
    ...(scope === 'data' ? { dataOnly: true } : {}),
    ...(scope === 'tables' ? { tables: patterns } : {}),
    ...(scope === 'exclude' ? { excludeTables: patterns } : {}),
  };
  return { options, ...(destination ? { destination } : {}) };
}

async function pickTables(target: ServerTarget, placeHolder: string, remembered: string[]): Promise<string[] | undefined> {
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

/** A quick pick with `first` on top, so Enter takes it, marked with why it is first ("last used",
 *  "default") unless `mark` is null. */
async function pick<T>(title: string, placeHolder: string, first: T, items: Item<T>[], mark: string | null): Promise<T | undefined> {
  const ordered = [...items.filter(i => i.value === first), ...items.filter(i => i.value !== first)];
  if (ordered[0].value === first && mark) ordered[0] = { ...ordered[0], description: mark };
  const picked = await vscode.window.showQuickPick(ordered, { title, placeHolder, ignoreFocusOut: true });
  return picked?.value;
}

/** Restore: into a new database (name proposed) by default; an existing one after typing its name. */
export async function postgresRestoreFlow(s: Services, entry: CatalogEntry, target: ServerTarget): Promise<RestoreOptions | undefined> {
  const m = entry.manifest;
  const settings = readSettings(s.globalStorage);
  const jobs = settings.restoreJobs > 0 ? { jobs: settings.restoreJobs } : {};
  const title = `Restore ${m.connection.name} (${new Date(m.completedAt).toLocaleString()})`;
  const how = await pick(title, `Restore on ${target.connection.host}:${target.connection.port}`, 'new', [
    { value: 'new' as const, label: '$(new-folder) Into a new database', detail: 'Nothing existing is touched; the restored database is added as a connection' },
    ...(m.options.format !== 'plain' ? [{ value: 'tables' as const, label: '$(checklist) Chosen tables into a new database…', detail: 'The partial restore: bring back one table to compare with production' }] : []),
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
  // Owners and GRANTs name roles; on another server, or for a user who is not a superuser, they
  // may not exist or not be assignable, and the restore would stop at the first one.
  const sameServer = target.connection.id === m.connection.id;
  const owners = await pick(title, 'Owners and privileges', sameServer ? 'keep' : 'mine', [
    { value: 'keep' as const, label: '$(person) Keep owners and GRANTs', detail: 'As in the source: needs the same roles on this server' },
    { value: 'mine' as const, label: `$(account) Owned by ${target.connection.user}, no GRANTs`, detail: 'For another server, or when the roles do not exist here (--no-owner --no-privileges)' },
  ], null);
  if (!owners) return undefined;
  const ownership = owners === 'mine' ? { noOwner: true, noPrivileges: true } : {};
  if (how !== 'existing') return { target: database, ...jobs, ...ownership, ...(tables ? { tables } : {}) };

  const impact = await restoreImpact(entry, target, database);
  const listed = impact.slice(0, 8).map(t => `${t.name}${t.estimatedRows !== null ? ` (~${t.estimatedRows.toLocaleString('en')} rows)` : ''}`).join(', ');
  const typed = await vscode.window.showInputBox({
    title: `Restore into the existing database "${database}"?`, ignoreFocusOut: true,
    prompt: impact.length > 0
      ? `${impact.length} table(s) there will be dropped and replaced by the backup's: ${listed}${impact.length > 8 ? ', …' : ''}. Type "${database}" to go ahead.`
      : `None of the backup's tables exist there yet; its objects will be created. Type "${database}" to go ahead.`,
    validateInput: v => v === database ? undefined : `Type ${database} exactly to confirm`,
  });
  if (typed !== database) return undefined;
  // One job, so the restore runs as one transaction: a failure leaves the database as it was. A
  // plain SQL script has no DROP statements to clean with.
  return { target: database, overwrite: true, clean: m.options.format !== 'plain', ...ownership };
}
