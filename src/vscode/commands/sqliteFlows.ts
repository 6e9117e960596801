import type { SqliteConnection } from '../../core/connection';
import type { SqliteFormat } from '../../engines/sqlite/payloads';
import { pick, pickDestination, type BackupFlowResult, type Item } from './flowSteps';
import { readSettings } from '../settings';
import type { Services } from '../services';

/**
 * Backup Database on a SQLite connection: what to store, and where once lifeboat.destinations
 * names somewhere besides the backup folder. The choice made last time is on top (remembered per
 * connection), so Enter repeats it; a chain of snapshots stays a chain.
 */
type SqliteChoice = 'copy' | 'vacuum' | 'sql' | 'snapshot';

const MEMENTO_KEY = (id: string) => `lifeboat.sqliteBackup/${id}`;

const CHOICES: Item<SqliteChoice>[] = [
  { value: 'copy', label: '$(copy) Online copy', detail: 'The database file as it is, consistent as of one moment (SQLite\'s online backup API); the fastest to restore.' },
  { value: 'vacuum', label: '$(fold) Compact copy (VACUUM INTO)', detail: 'A rebuilt copy without free pages: smaller when rows were deleted; takes longer to make.' },
  { value: 'sql', label: '$(file-code) SQL dump', detail: 'Schema and rows as SQL text (like sqlite3 .dump): readable, diffable, portable to another SQLite version.' },
  { value: 'snapshot', label: '$(history) Incremental snapshot', detail: 'Stores only the pages no earlier snapshot stored: small and quick when little changed; each snapshot restores on its own.' },
];

export async function sqliteBackupFlow(s: Services, connection: SqliteConnection): Promise<BackupFlowResult | undefined> {
  const remembered = s.memento.get<SqliteChoice>(MEMENTO_KEY(connection.id));
  const choice = await pick(`Back up ${connection.name}`, 'What to store', remembered ?? 'copy', CHOICES, remembered ? 'last used' : 'default');
  if (!choice) return undefined;
  const configured = await s.destinations.openAll();
  const where = configured.length ? await pickDestination(`Back up ${connection.name}`, readSettings(s.globalStorage).backupFolder, configured) : {};
  if (!where) return undefined;
  await s.memento.update(MEMENTO_KEY(connection.id), choice);
  const sqliteFormat: SqliteFormat = choice === 'vacuum' ? 'copy' : choice;
  return { request: { sqliteFormat, ...(choice === 'vacuum' ? { vacuum: true } : {}) }, ...where };
}
