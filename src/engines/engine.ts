import type { BackupWriter, MadeBackup } from '../core/backupWriter';
import type { CatalogEntry } from '../core/catalog';
import { ENGINE_LABELS, type Connection, type EngineName, type ServerConnection } from '../core/connection';
import { LifeboatError } from '../core/errors';
import type { JobContext } from '../core/job';
import type { Codec, Verification } from '../core/manifest';
import type { ServerAccess } from './access';
import type { MysqlRestoreResult } from './mysql/restore';
import type { PostgresBackupOptions } from './postgres/dumpOptions';
import type { PostgresRestoreResult } from './postgres/restore';
import type { ProbeResult } from './probe';
import type { SqliteBackupOptions } from './sqlite/backup';
import type { SqliteRestoreResult } from './sqlite/restore';

/**
 * What an engine is to the rest of Lifeboat: one object per engine (sqlite/engine.ts,
 * postgres/engine.ts, mysql/engine.ts), registered once (registry.ts), so that the CLI, the
 * editor, tasks and schedules reach every engine the same way and a new engine is one more file.
 * Each operation takes the options every engine shares; registry.ts refuses, by name, those an
 * engine does not take before it is called.
 */
export interface Engine<C extends Connection = Connection> {
  /** Test Connection: which server (or library) answered, in one line. */
  test(connection: C, access: ServerAccess): Promise<ProbeResult>;
  /** Makes a backup into the writer (core/backupWriter.ts), which stores and commits it. */
  backup(connection: C, options: BackupOptions, writer: BackupWriter, ctx: JobContext, access: ServerAccess): Promise<MadeBackup>;
  restore(entry: CatalogEntry, options: RestoreOptions, ctx: JobContext, server?: ServerTarget): Promise<RestoreResult>;
  /** Reads the stored files back and checks what can be checked without restoring (SQLite:
   *  rebuilds and integrity-checks the database unless `quick`). Records the result. */
  verify(entry: CatalogEntry, ctx: JobContext, options: VerifyOptions, server?: ServerTarget): Promise<Verification>;
  /** A restore drill: restores into scratch (a scratch database or file), compares what came back
   *  with the backup, measures the restore time, removes it. Records the result. */
  drill(entry: CatalogEntry, ctx: JobContext, options: VerifyOptions, server?: ServerTarget): Promise<Verification>;
  /** Tables with their sizes, for choosing what to back up (server engines). */
  listTables?(connection: C, access: ServerAccess): Promise<TableSize[]>;
}

/** Options every engine's backup takes; engines read the parts that apply to them. */
export type BackupOptions = SqliteBackupOptions & Omit<PostgresBackupOptions, 'codec' | 'level'> & {
  codec: Codec;
  /** Encrypt every stored file to these age recipients ("age1…"), after compression (core/ageKeys.ts). */
  encryptTo?: string[];
};

export interface RestoreOptions {
  /** SQLite: the file to create. Server engines: the database to create (or, with overwrite, to
   *  restore into). */
  target: string;
  /** SQLite: replace the file. Server engines: restore into the existing database (the caller has
   *  had the user confirm it by name). */
  overwrite?: boolean;
  /** Server engines: only these tables ("schema.table" for PostgreSQL). PostgreSQL: parallel jobs;
   *  drop objects first; owners and ACLs. */
  tables?: string[];
  jobs?: number;
  clean?: boolean;
  noOwner?: boolean;
  noPrivileges?: boolean;
}

export type RestoreResult = ({ engine: 'sqlite' } & SqliteRestoreResult) | ({ engine: 'postgres' } & PostgresRestoreResult) | ({ engine: 'mysql' } & MysqlRestoreResult);

export interface VerifyOptions {
  /** A restore drill (drill() rather than verify()). */
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

export interface TableSize {
  name: string;
  schema?: string;
  table: string;
  bytes: number;
  estimatedRows: number | null;
}

/** What is known of an engine without loading it (pg and mysql2 load on first use). */
export interface EngineEntry {
  name: EngineName;
  /** "SQLite", "PostgreSQL", "MySQL/MariaDB": how messages name it. */
  label: string;
  /** The backup and restore options (BackupOptions, RestoreOptions keys) it takes. */
  backupOptions: readonly string[];
  restoreOptions: readonly string[];
  load(): Promise<Engine>;
}

/** The server a server-engine operation needs; refused in words when none is configured. */
export function requireServer(entry: CatalogEntry, server: ServerTarget | undefined, what: string): ServerTarget {
  if (server) return server;
  throw new LifeboatError('not-found', `To ${what} ${entry.manifest.id}, Lifeboat needs a connection to a ${ENGINE_LABELS[entry.manifest.engine]} server, and the backup's connection "${entry.manifest.connection.name}" is not configured here.`,
    'Add the connection (same id), or name another server connection to use.');
}
