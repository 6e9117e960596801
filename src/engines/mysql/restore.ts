import { pipeline } from 'node:stream/promises';
import type { Connection } from 'mysql2/promise';
import type { CatalogEntry } from '../../core/catalog';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError, throwIfAborted } from '../../core/errors';
import { elapsedMs, linkedController, type JobContext } from '../../core/job';
import { runTool, settleReadFirst, settleWithFeed } from '../../core/processes';
import { PhasedProgress } from '../../core/progress';
import { createScratch } from '../../core/scratch';
import { readStoredFile } from '../../core/storePipeline';
import { discardLog, keptLogFile } from '../../core/toolLog';
import { failedRestore, restoredConnection } from '../restoreCleanup';
import type { ServerAccess } from '../access';
import { verifyFileHashes } from '../../core/storedHashes';
import { MysqlDumpScanner, quoteIdentifier } from './dumpScanner';
import { connectMysql } from './connect';
import { serverFlavour } from './source';
import { TableFilter } from './tableFilter';
import { explainMysqlTool } from './toolErrors';
import { clientOptionFile, defaultsArg, mysqlToolEnv } from './toolEnv';
import { findMysqlTools } from './tools';

/**
 * Restore of a mariadb-dump / mysqldump backup through the mariadb / mysql client, fed from the
 * stored file as it is read, decompressed and hashed. By default into a new database, created
 * with the source's character set and collation and dropped again if anything fails (nothing
 * partial is left). Into an existing database only when the caller has had the user confirm it
 * by name; MySQL cannot roll DDL back, so there the whole backup is checked against its SHA-256
 * first and only then applied. Chosen tables: the dump is cut to their sections on the way.
 */
export interface MysqlRestoreOptions {
  server: ServerConnection;
  access: ServerAccess;
  database: string;
  existing?: boolean;
  /** Only these tables (structure, rows and triggers). */
  tables?: string[];
  /** The caller has just checked every stored file's SHA-256 (a drill after a verify). */
  hashesChecked?: boolean;
  /** Rows per table in what was applied are counted on the way (a restore drill compares them). */
  onScanned?: (scanner: MysqlDumpScanner) => void;
}

export interface MysqlRestoreResult {
  database: string;
  connection: ServerConnection;
  durationMs: number;
  createdDatabase: boolean;
  tables: number;
}

export async function restoreMysqlBackup(entry: CatalogEntry, options: MysqlRestoreOptions, ctx: JobContext): Promise<MysqlRestoreResult> {
  const started = performance.now();
  const { manifest } = entry;
  const file = manifest.files[0];
  const progress = new PhasedProgress({ prepare: 1, restore: 30 }, ctx.onProgress);
  const wanted = options.tables?.length ? new Set(options.tables) : undefined;
  if (wanted) {
    const inBackup = new Set(manifest.tables.map(t => t.name));
    const missing = [...wanted].filter(t => !inBackup.has(t));
    if (missing.length > 0) throw new LifeboatError('not-found', `The backup holds no table ${missing.map(t => `"${t}"`).join(', ')}.`, `Its tables: ${[...inBackup].slice(0, 20).join(', ')}.`);
  }
  const admin = await connectMysql(options.server, options.access.password);
  const scratch = await createScratch(ctx.scratchParent);
  let created = false;
  let logFile: string | undefined;
  try {
    progress.report('prepare', 0, `Preparing database "${options.database}"`);
    const [[server]] = await admin.query<Row[]>('SELECT VERSION() AS version, @@version_comment AS comment');
    const { product, version } = serverFlavour(String(server.version), String(server.comment));
    const tools = await findMysqlTools(product, version, { binDir: options.access.mysqlBinDir });
    const exists = await databaseExists(admin, options.database);
    const where = `${options.server.host}:${options.server.port}`;
    if (!options.existing && exists) {
      throw new LifeboatError('already-exists', `The database "${options.database}" already exists on ${where}.`, 'Choose a new name, or restore into the existing database explicitly (its tables of the same names will be replaced).');
    }
    if (options.existing && !exists) throw new LifeboatError('not-found', `The database "${options.database}" does not exist on ${where}.`);
    throwIfAborted(ctx.signal, 'The restore');
    if (options.existing && !options.hashesChecked) {
      progress.report('prepare', 0.2, 'Checking the backup\'s SHA-256 before changing the existing database');
      await verifyFileHashes(entry, ctx.destination, ctx.signal, (read, total) => progress.report('prepare', 0.2 + 0.8 * read / total, 'Checking the backup\'s SHA-256 before changing the existing database'));
    }
    if (!options.existing) {
      // Names from the manifest, which a person could have edited: only a charset's word characters.
      const word = (value: unknown) => typeof value === 'string' && /^\w+$/.test(value) ? value : '';
      const charset = word(manifest.consistency.charset) || 'utf8mb4';
      const collation = word(manifest.consistency.collation);
      await admin.query(`CREATE DATABASE ${quoteIdentifier(options.database)} CHARACTER SET ${charset}${collation ? ` COLLATE ${collation}` : ''}`);
      created = true;
    }
    const target: ServerConnection = { ...options.server, database: options.database };
    const optionFile = await clientOptionFile(target, options.access.password, tools.flavour, scratch);
    logFile = await keptLogFile(ctx, `restore-${manifest.id}`);
    const { controller: work, dispose } = linkedController(ctx.signal);
    try {
      const client = runTool({
        label: `${tools.flavour === 'MariaDB' ? 'mariadb' : 'mysql'} into ${options.database}`, command: tools.client,
        // --binary-mode: the dump's bytes go to the server as they are (no \0 or \r\n handling).
        // No --force: the first error stops the restore, and it is reported with its line.
        args: [defaultsArg(optionFile), '--binary-mode', '--default-character-set=utf8mb4', `--database=${options.database}`],
        env: mysqlToolEnv(), stdin: 'pipe', stdout: 'ignore', signal: work.signal, logFile,
        explain: explainMysqlTool('The restore', target, options.database),
      });
      const filter = wanted ? new TableFilter(wanted) : undefined;
      const scanner = new MysqlDumpScanner();
      options.onScanned?.(scanner);
      const applying = filter
        ? pipeline(filter, scanner, client.child.stdin!, { signal: work.signal })
        : pipeline(scanner, client.child.stdin!, { signal: work.signal });
      const reading = readStoredFile({
        destination: ctx.destination, key: `${entry.prefix}/${file.name}`, file, sink: filter ?? scanner, signal: work.signal,
        onBytes: (read, total) => progress.report('restore', read / total, `Restoring ${Math.round(100 * read / total)} % of the dump`),
        hashesChecked: options.existing || options.hashesChecked,
      });
      // A client that stopped at a statement the server rejected closes its stdin: its own words
      // ("ERROR 1064 at line 41") explain the broken pipe, and settleWithFeed waits for them.
      await settleWithFeed(settleReadFirst(reading, applying), client.done, work);
    } finally {
      dispose();
    }
    throwIfAborted(ctx.signal, 'The restore');
    await discardLog(logFile);
    progress.report('restore', 1, `Restored into "${options.database}"`);
    ctx.logger.info(`Restored ${manifest.id} into ${options.database} in ${elapsedMs(started)} ms`);
    return {
      database: options.database,
      connection: restoredConnection(target, options.server, options.database, manifest),
      durationMs: elapsedMs(started),
      createdDatabase: created,
      tables: wanted?.size ?? manifest.tables.length,
    };
  } catch (error) {
    throw await failedRestore(error, { created, database: options.database, drop: () => admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(options.database)}`).then(() => undefined), logFile, ctx });
  } finally {
    await admin.end().catch(() => undefined);
    await scratch.dispose();
  }
}

type Row = import('mysql2/promise').RowDataPacket;

async function databaseExists(db: Connection, name: string): Promise<boolean> {
  const [rows] = await db.query<Row[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
  return rows.length > 0;
}

/** Drops a database Lifeboat created (a drill's); quoted, so any name is safe. */
export async function dropMysqlDatabase(server: ServerConnection, access: ServerAccess, name: string): Promise<void> {
  const db = await connectMysql(server, access.password);
  try {
    await db.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`);
  } finally {
    await db.end().catch(() => undefined);
  }
}
