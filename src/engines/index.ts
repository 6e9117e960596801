import type { CatalogEntry } from '../core/catalog';
import { ENGINE_LABELS, type Connection, type EngineName } from '../core/connection';
import { LifeboatError } from '../core/errors';
import { validateLevel } from '../core/codec';
import type { JobContext } from '../core/job';
import type { Verification } from '../core/manifest';
import type { ProbeResult } from './probe';
import { backupSqlite, type SqliteBackupOptions } from './sqlite/backup';
import type { PostgresBackupOptions } from './postgres/dumpOptions';
import type { ServerAccess } from './access';
import { probeSqlite } from './sqlite/probe';
import { restoreSqliteBackup, type SqliteRestoreResult } from './sqlite/restore';
import { verifySqliteBackup } from './sqlite/verify';

/**
 * One entry point per operation for the editor, the task provider and the CLI; each dispatches on
 * the engine. Engines that cannot do an operation yet say so in words.
 */
/** Options every engine's backup takes; engines read the parts that apply to them. */
export type BackupOptions = SqliteBackupOptions & Omit<PostgresBackupOptions, 'codec' | 'level'>;

export interface RestoreOptions {
  /** For SQLite: the file to create. */
  target: string;
  overwrite?: boolean;
}

export type RestoreResult = SqliteRestoreResult;

/** Engines whose backups this version can make; the editor hides backup commands for others. */
export const BACKUP_ENGINES: readonly EngineName[] = ['sqlite', 'postgres'];

export async function testConnection(connection: Connection, password?: string): Promise<ProbeResult> {
  switch (connection.engine) {
    case 'sqlite': return probeSqlite(connection);
    // pg and mysql2 load on first use, not when the extension activates.
    case 'postgres': return (await import('./postgres/probe')).probePostgres(connection, password);
    case 'mysql': return (await import('./mysql/probe')).probeMysql(connection, password);
  }
}

export async function backupDatabase(connection: Connection, options: BackupOptions, ctx: JobContext, access: ServerAccess = {}): Promise<CatalogEntry> {
  switch (connection.engine) {
    case 'sqlite':
      validateLevel(options.codec, options.level);
      return backupSqlite(connection, options, ctx);
    case 'postgres':
      return (await import('./postgres/backup')).backupPostgres(connection, access, options, ctx);
    case 'mysql':
      throw backupNotSupported(connection.engine);
  }
}

export async function verifyBackup(entry: CatalogEntry, ctx: JobContext): Promise<Verification> {
  if (entry.manifest.engine !== 'sqlite') throw notYet(entry.manifest.engine, 'Verifying backups of');
  return verifySqliteBackup(entry, ctx);
}

export async function restoreBackup(entry: CatalogEntry, options: RestoreOptions, ctx: JobContext): Promise<RestoreResult> {
  if (entry.manifest.engine !== 'sqlite') throw notYet(entry.manifest.engine, 'Restoring');
  return restoreSqliteBackup(entry, options, ctx);
}

/** Why a Backup Database on this engine cannot run yet, in the words every caller shows. */
export function backupNotSupported(engine: EngineName): LifeboatError {
  return notYet(engine, 'Backing up');
}

function notYet(engine: EngineName, what: string): LifeboatError {
  return new LifeboatError('unsupported', `${what} ${ENGINE_LABELS[engine]} databases is not in this version of Lifeboat yet.`,
    `It is the next feature to land; Test Connection already works for ${ENGINE_LABELS[engine]}. SQLite backups work now.`);
}
