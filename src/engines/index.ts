import { appendVerification, type CatalogEntry } from '../core/catalog';
import { ENGINE_LABELS, type Connection, type ServerConnection } from '../core/connection';
import type { PostgresRestoreResult } from './postgres/restore';
import type { MysqlRestoreResult } from './mysql/restore';
import { LifeboatError } from '../core/errors';
import { validateLevel } from '../core/codec';
import { refuseInapplicable } from './engineOptions';
import { elapsedMs, type JobContext } from '../core/job';
import { MERGE_UNDO_KIND, type Verification, type VerificationCheck } from '../core/manifest';
import { verifyFileHashes } from '../core/storedHashes';
import { LIFEBOAT_TOOL } from '../core/version';
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
  /** SQLite: the file to create. PostgreSQL: the database to create (or, with overwrite, to
   *  restore into). */
  target: string;
  /** SQLite: replace the file. PostgreSQL: restore into the existing database (the caller has had
   *  the user confirm it by name). */
  overwrite?: boolean;
  /** PostgreSQL: only these "schema.table"s; parallel jobs; drop objects first; owner/ACLs. */
  tables?: string[];
  jobs?: number;
  clean?: boolean;
  noOwner?: boolean;
  noPrivileges?: boolean;
}

export type RestoreResult = ({ engine: 'sqlite' } & SqliteRestoreResult) | ({ engine: 'postgres' } & PostgresRestoreResult) | ({ engine: 'mysql' } & MysqlRestoreResult);

export interface VerifyOptions {
  /** A restore drill into a scratch database (server engines). */
  deep?: boolean;
  /** SQLite: only read the stored files back and compare SHA-256s, without rebuilding the
   *  database and running integrity_check (the default is that full verification). */
  quick?: boolean;
  jobs?: number;
  /** Where the client tools are, when no server target is given (a quick verify needs none). */
  postgresBinDir?: string;
}

/** The server a server-engine backup is verified on or restored into, and how to log in. */
export interface ServerTarget {
  connection: ServerConnection;
  access: ServerAccess;
}

export async function testConnection(connection: Connection, password?: string): Promise<ProbeResult> {
  switch (connection.engine) {
    case 'sqlite':
      if (connection.folder) return { product: 'SQLite', version: '', summary: await (await import('./sqlite/groupBackup')).describeSqliteFolder(connection) };
      return probeSqlite(connection);
    // pg and mysql2 load on first use, not when the extension activates.
    case 'postgres': return (await import('./postgres/connect')).probePostgres(connection, password);
    case 'mysql': return (await import('./mysql/connect')).probeMysql(connection, password);
  }
}

/** A connection's backup run: its one backup, or for a SQLite folder group one per database in
 *  the folder (engines/sqlite/groupBackup.ts). What the CLI, tasks and the editor call. */
export async function backupConnection(connection: Connection, options: BackupOptions, ctx: JobContext, access: ServerAccess = {}): Promise<CatalogEntry[]> {
  if (connection.engine !== 'sqlite' || !connection.folder) return [await backupDatabase(connection, options, ctx, access)];
  refuseInapplicable('sqlite', 'backup', options);
  validateLevel(options.codec, options.level);
  return (await import('./sqlite/groupBackup')).backupSqliteFolder(connection, ctx, (member, memberCtx) => backupDatabase(member, options, memberCtx, access));
}

export async function backupDatabase(connection: Connection, options: BackupOptions, ctx: JobContext, access: ServerAccess = {}): Promise<CatalogEntry> {
  if (connection.engine === 'sqlite' && connection.folder) {
    throw new LifeboatError('usage', `"${connection.name}" is a folder of SQLite databases, not one database.`, 'Back it up with backupConnection, which backs up each database in it.');
  }
  refuseInapplicable(connection.engine, 'backup', options);
  switch (connection.engine) {
    case 'sqlite':
      validateLevel(options.codec, options.level);
      return backupSqlite(connection, options, ctx);
    case 'postgres':
      return (await import('./postgres/backup')).backupPostgres(connection, access, options, ctx);
    case 'mysql':
      validateLevel(options.codec, options.level);
      return (await import('./mysql/backup')).backupMysql(connection, access, options, ctx);
  }
}

export async function verifyBackup(entry: CatalogEntry, ctx: JobContext, options: VerifyOptions = {}, server?: ServerTarget): Promise<Verification> {
  if (entry.manifest.kind === MERGE_UNDO_KIND) return verifyMergeUndo(entry, ctx);
  switch (entry.manifest.engine) {
    case 'sqlite':
      return verifySqliteBackup(entry, ctx, { quick: options.quick });
    case 'postgres': {
      // A quick verify reads only the stored files; a drill needs a server to restore on.
      const target = options.deep ? requireServer(entry, server, 'run a restore drill of') : server;
      const access = target?.access ?? (options.postgresBinDir ? { postgresBinDir: options.postgresBinDir } : {});
      return (await import('./postgres/verify')).verifyPostgresBackup(entry, { deep: options.deep, jobs: options.jobs, server: target?.connection, access }, ctx);
    }
    case 'mysql': {
      const target = options.deep ? requireServer(entry, server, 'run a restore drill of') : server;
      return (await import('./mysql/verify')).verifyMysqlBackup(entry, { deep: options.deep, server: target?.connection, access: target?.access ?? {} }, ctx);
    }
  }
}

export async function restoreBackup(entry: CatalogEntry, options: RestoreOptions, ctx: JobContext, server?: ServerTarget): Promise<RestoreResult> {
  if (entry.manifest.kind === MERGE_UNDO_KIND) {
    throw new LifeboatError('usage', `Backup ${entry.manifest.id} holds the rows a merge changed, not a database.`, 'Undo the merge instead (Undo Merge in the editor, lifeboat undo-merge on the command line).');
  }
  refuseInapplicable(entry.manifest.engine, 'restore', options);
  switch (entry.manifest.engine) {
    case 'sqlite':
      return { engine: 'sqlite', ...await restoreSqliteBackup(entry, options, ctx) };
    case 'postgres': {
      const target = requireServer(entry, server, 'restore');
      const result = await (await import('./postgres/restore')).restorePostgresBackup(entry, {
        server: target.connection, access: target.access, database: options.target, existing: options.overwrite,
        tables: options.tables, jobs: options.jobs, clean: options.clean, noOwner: options.noOwner, noPrivileges: options.noPrivileges,
      }, ctx);
      return { engine: 'postgres', ...result };
    }
    case 'mysql': {
      const target = requireServer(entry, server, 'restore');
      const result = await (await import('./mysql/restore')).restoreMysqlBackup(entry, {
        server: target.connection, access: target.access, database: options.target, existing: options.overwrite, tables: options.tables,
      }, ctx);
      return { engine: 'mysql', ...result };
    }
  }
}

function requireServer(entry: CatalogEntry, server: ServerTarget | undefined, what: string): ServerTarget {
  if (server) return server;
  throw new LifeboatError('not-found', `To ${what} ${entry.manifest.id}, Lifeboat needs a connection to a ${ENGINE_LABELS[entry.manifest.engine]} server, and the backup's connection "${entry.manifest.connection.name}" is not configured here.`,
    'Add the connection (same id), or name another server connection to use.');
}

/** Tables of a server database with their sizes (for choosing what to back up). */
export async function listServerTables(connection: ServerConnection, access: ServerAccess): Promise<{ name: string; schema?: string; table: string; bytes: number; estimatedRows: number | null }[]> {
  if (connection.engine === 'mysql') return mysqlTables(connection, access);
  return (await import('./postgres/source')).tableSizes(connection, access.password);
}

async function mysqlTables(connection: ServerConnection, access: ServerAccess): Promise<{ name: string; table: string; bytes: number; estimatedRows: number | null }[]> {
  const { connectMysql } = await import('./mysql/connect');
  const { listTables } = await import('./mysql/source');
  const db = await connectMysql(connection, access.password);
  try {
    return (await listTables(db, connection.database)).filter(t => !t.view).map(t => ({ name: t.name, table: t.name, bytes: t.bytes, estimatedRows: t.estimatedRows }));
  } finally {
    await db.end().catch(() => undefined);
  }
}

/** What a restore into an existing database would replace: the archive's tables that exist there. */
export async function restoreImpact(entry: CatalogEntry, server: ServerTarget, database: string): Promise<{ name: string; estimatedRows: number | null }[]> {
  if (entry.manifest.engine === 'sqlite') return [];
  const existing = await listServerTables({ ...server.connection, database }, server.access);
  const inBackup = new Set(entry.manifest.tables.map(t => t.name));
  return existing.filter(t => inBackup.has(t.name)).map(t => ({ name: t.name, estimatedRows: t.estimatedRows }));
}

/** A merge's undo backup is checked by its hashes: there is no database in it to drill. */
async function verifyMergeUndo(entry: CatalogEntry, ctx: JobContext): Promise<Verification> {
  const started = performance.now();
  let check: VerificationCheck;
  try {
    await verifyFileHashes(entry, ctx.destination, ctx.signal);
    check = { name: 'sha256', ok: true, detail: `${entry.manifest.files.map(f => f.name).join(', ')} as stored` };
  } catch (error) {
    if (!(error instanceof LifeboatError) || error.code !== 'verification') throw error;
    check = { name: 'sha256', ok: false, detail: error.message };
  }
  const verification: Verification = { at: new Date().toISOString(), kind: 'quick', ok: check.ok, durationMs: elapsedMs(started), checks: [check], by: LIFEBOAT_TOOL };
  await appendVerification(ctx.destination, entry.prefix, verification);
  return verification;
}
