import type { CatalogEntry } from '../../core/catalog';
import { codecAvailable } from '../../core/codec';
import type { ServerConnection } from '../../core/connection';
import { defaultParallelJobs } from '../../core/parallelism';
import type { Codec } from '../../core/manifest';
import type { RestoreOptions, ServerTarget } from '../../engines';
import type { BackupRequest } from '../../engines/backupRequest';
import { exactPattern, type Compressor, type PgFormat } from '../../engines/postgres/dumpOptions';
import { parseTableName } from '../../engines/postgres/tableNames';
import type { Services } from '../services';
import { readSettings } from '../settings';
import { confirmExisting, pick, pickDestination, pickRestoreTarget, pickScope, type BackupFlowResult, type BackupScope, type Item } from './flowSteps';

/**
 * The short flows behind Backup Database and Restore on a PostgreSQL connection. Each step lists
 * the choice made last time first, so Enter through the steps repeats the last backup; the
 * choices are remembered per connection.
 */
interface RememberedBackup {
  /** auto: Lifeboat picks the faster way for the database (engines/postgres/dumpStrategy.ts). */
  format: PgFormat | 'auto';
  scope: BackupScope;
  tables: string[];
  /** Who compresses (auto: whoever the chosen way needs) and with what. */
  compression: `${Compressor | 'auto'}:${Codec}`;
}

const MEMENTO_KEY = (id: string) => `lifeboat.postgresBackup/${id}`;

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

  const scoped = await pickScope(title(2), target, last, mark);
  if (!scoped) return undefined;
  const { scope, tables } = scoped;

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

  const where = await pickDestination(title(4), settings.backupFolder, await s.destinations.openAll());
  if (!where) return undefined;

  await s.memento.update(MEMENTO_KEY(connection.id), { format, scope, tables, compression } satisfies RememberedBackup);
  const [compressor, codec] = compression.split(':') as [Compressor | 'auto', Codec];
  const patterns = tables.map(name => parseTableName(name)).filter(p => p !== undefined).map(([schema, table]) => exactPattern(schema, table));
  // Spelled as the CLI's flags: parseBackupRequest fills in the level and jobs from the settings.
  const request: BackupRequest = {
    format,
    compression: codec,
    ...(compressor === 'auto' ? {} : { compressor }),
    ...(scope === 'schema' ? { schemaOnly: true } : {}),
    ...(scope === 'data' ? { dataOnly: true } : {}),
    ...(scope === 'tables' ? { tables: patterns } : {}),
    ...(scope === 'exclude' ? { excludeTables: patterns } : {}),
  };
  return { request, ...where };
}

/** Restore: into a new database (name proposed) by default; an existing one after typing its name. */
export async function postgresRestoreFlow(s: Services, entry: CatalogEntry, target: ServerTarget): Promise<RestoreOptions | undefined> {
  const m = entry.manifest;
  const settings = readSettings(s.globalStorage);
  const jobs = settings.restoreJobs > 0 ? { jobs: settings.restoreJobs } : {};
  const title = `Restore ${m.connection.name} (${new Date(m.completedAt).toLocaleString()})`;
  const where = await pickRestoreTarget(title, entry, target, m.options.format !== 'plain');
  if (!where) return undefined;
  const { how, tables, database } = where;
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

  if (!await confirmExisting(entry, target, database)) return undefined;
  // One job, so the restore runs as one transaction: a failure leaves the database as it was. A
  // plain SQL script has no DROP statements to clean with.
  return { target: database, overwrite: true, clean: m.options.format !== 'plain', ...ownership };
}
