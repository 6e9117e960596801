import type { CatalogEntry } from '../../core/catalog';
import type { ServerConnection } from '../../core/connection';
import type { Codec } from '../../core/manifest';
import type { BackupRequest } from '../../engines/backupRequest';
import type { RestoreOptions, ServerTarget } from '../../engines';
import type { Services } from '../services';
import { readSettings } from '../settings';
import { codecItems, confirmExisting, pick, pickDestination, pickRestoreTarget, pickScope, type BackupFlowResult, type BackupScope } from './flowSteps';

/**
 * Backup Database and Restore on a MySQL / MariaDB connection: one dump format (SQL, streamed and
 * compressed by Lifeboat), so the steps are what to back up, compression and where. The last
 * choices are remembered per connection and offered first.
 */
interface RememberedBackup {
  scope: BackupScope;
  tables: string[];
  codec: Codec;
}

const MEMENTO_KEY = (id: string) => `lifeboat.mysqlBackup/${id}`;

export async function mysqlBackupFlow(s: Services, connection: ServerConnection, target: ServerTarget): Promise<BackupFlowResult | undefined> {
  const settings = readSettings(s.globalStorage);
  const remembered = s.memento.get<RememberedBackup>(MEMENTO_KEY(connection.id));
  const last = remembered ?? { scope: 'all', tables: [], codec: settings.compression };
  const mark = remembered ? 'last used' : 'default';
  const title = (step: number) => `Back up ${connection.name} (${step}/3)`;

  const scoped = await pickScope(title(1), target, last, mark);
  if (!scoped) return undefined;
  const codecs = codecItems();
  const codec = await pick(title(2), 'Compression (by Lifeboat, while the dump runs)', codecs.some(c => c.value === last.codec) ? last.codec : codecs[0].value, codecs, mark);
  if (!codec) return undefined;
  const where = await pickDestination(title(3), settings.backupFolder, await s.destinations.openAll());
  if (!where) return undefined;

  await s.memento.update(MEMENTO_KEY(connection.id), { scope: scoped.scope, tables: scoped.tables, codec } satisfies RememberedBackup);
  const request: BackupRequest = {
    compression: codec,
    ...(scoped.scope === 'schema' ? { schemaOnly: true } : {}),
    ...(scoped.scope === 'data' ? { dataOnly: true } : {}),
    ...(scoped.scope === 'tables' ? { tables: scoped.tables } : {}),
    ...(scoped.scope === 'exclude' ? { excludeTables: scoped.tables } : {}),
  };
  return { request, ...where };
}

/** Into a new database by default; chosen tables; an existing one after typing its name. */
export async function mysqlRestoreFlow(entry: CatalogEntry, target: ServerTarget): Promise<RestoreOptions | undefined> {
  const m = entry.manifest;
  const title = `Restore ${m.connection.name} (${new Date(m.completedAt).toLocaleString()})`;
  const where = await pickRestoreTarget(title, entry, target, true);
  if (!where) return undefined;
  if (where.how !== 'existing') return { target: where.database, ...(where.tables ? { tables: where.tables } : {}) };
  if (!await confirmExisting(entry, target, where.database)) return undefined;
  return { target: where.database, overwrite: true };
}
