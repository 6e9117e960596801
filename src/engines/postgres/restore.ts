import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from 'pg';
import type { CatalogEntry } from '../../core/catalog';
import type { ServerConnection } from '../../core/connection';
import { CancelledError, LifeboatError, isCancelled } from '../../core/errors';
import { elapsedMs, type JobContext } from '../../core/job';
import { readStoredFile } from '../../core/storePipeline';
import { runTool } from '../../core/processes';
import { PhasedProgress } from '../../core/progress';
import { createScratch, type Scratch } from '../../core/scratch';
import type { ServerAccess } from '../access';
import { archiveFormat, archivePath, listArchive, storedArchive, streamArchive } from './archive';
import { connectPostgres } from './probe';
import { explainPostgresTool } from './toolErrors';
import { connectionArgs, postgresToolEnv } from './toolEnv';
import { findPostgresTools, type PostgresTools } from './tools';
import { countPostDataEntries, TableDataProgress } from './verboseProgress';
import { parseTableName, verboseName } from './tableNames';
import { verifyFileHashes } from './hashes';

/**
 * Restore of a pg_dump backup into a new database (created by Lifeboat with the source's
 * encoding and locale, dropped again if the restore fails: nothing partial is left), or into an
 * existing one the caller has had the user confirm by name (then in one transaction where
 * pg_restore allows it, so a failure changes nothing).
 */
export interface PostgresRestoreOptions {
  /** The server to restore into; its `database` is only used to connect for CREATE DATABASE. */
  server: ServerConnection;
  access: ServerAccess;
  /** The database to create (or, with `existing`, to restore into). */
  database: string;
  existing?: boolean;
  /** "schema.table" names (parts quoted where they hold dots or quotes): restore only these
   *  (definition and data). */
  tables?: string[];
  /** Parallel pg_restore jobs; default: up to 4 when the archive is read in place, else 1. */
  jobs?: number;
  /** Existing database: drop the archive's objects before recreating them. */
  clean?: boolean;
  noOwner?: boolean;
  noPrivileges?: boolean;
}

export interface PostgresRestoreResult {
  database: string;
  /** A connection to the restored database, for the editor to add. */
  connection: ServerConnection;
  durationMs: number;
  createdDatabase: boolean;
  /** How pg_restore read the archive: in place, streamed, or from a decompressed scratch copy. */
  readFrom: 'stored file' | 'stream' | 'scratch copy';
  tables: number;
}

export async function restorePostgresBackup(entry: CatalogEntry, options: PostgresRestoreOptions, ctx: JobContext): Promise<PostgresRestoreResult> {
  const started = performance.now();
  const { manifest } = entry;
  const format = archiveFormat(manifest);
  const progress = new PhasedProgress({ prepare: 1, restore: 30 }, ctx.onProgress);
  if (format === 'plain' && options.tables?.length) {
    throw new LifeboatError('usage', 'A plain SQL backup can only be restored whole.', 'Choose the custom or directory format for backups you may want to restore table by table.');
  }
  const server = await connectPostgres(options.server, options.access.password);
  const scratch = await createScratch(ctx.scratchParent);
  let created = false;
  let logFile: string | undefined;
  try {
    progress.report('prepare', 0, `Preparing database "${options.database}"`);
    const version = (await server.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v.split(' ')[0];
    const tools = await findPostgresTools(version, { binDir: options.access.postgresBinDir });
    const exists = (await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database])).rowCount === 1;
    if (!options.existing && exists) {
      throw new LifeboatError('already-exists', `The database "${options.database}" already exists on ${options.server.host}:${options.server.port}.`,
        'Choose a new name, or restore into the existing database explicitly (it will be changed).');
    }
    if (options.existing && !exists) throw new LifeboatError('not-found', `The database "${options.database}" does not exist on ${options.server.host}:${options.server.port}.`);
    if (!options.existing) {
      await createDatabaseLike(server, options.database, manifest.consistency, ctx);
      created = true;
    }
    const target: ServerConnection = { ...options.server, database: options.database };
    const env = await postgresToolEnv(target, options.access.password, scratch);
    logFile = await keptLogFile(ctx, `restore-${manifest.id}`);
    const readFrom = await runRestore(entry, format, tools, env, target, options, scratch, logFile, ctx, progress);
    await discardLog(logFile);
    progress.report('restore', 1, `Restored into "${options.database}"`);
    ctx.logger.info(`Restored ${manifest.id} into ${options.database} in ${elapsedMs(started)} ms (read from the ${readFrom})`);
    return {
      database: options.database,
      connection: { ...target, id: `${options.server.id}-${options.database}`, name: `${options.database} (restored from ${manifest.connection.name})` },
      durationMs: elapsedMs(started),
      createdDatabase: created,
      readFrom,
      tables: manifest.tables.length,
    };
  } catch (error) {
    if (created) await dropDatabase(server, options.database).catch(e => ctx.logger.warn(`Could not drop the half-restored database "${options.database}": ${(e as Error).message}`));
    if (ctx.signal?.aborted || isCancelled(error)) {
      if (logFile) await discardLog(logFile);
      throw new CancelledError('The restore');
    }
    throw logFile ? await withLog(error, logFile) : error;
  } finally {
    await server.end().catch(() => undefined);
    await scratch.dispose();
  }
}

async function runRestore(entry: CatalogEntry, format: 'custom' | 'directory' | 'plain', tools: PostgresTools, env: NodeJS.ProcessEnv, target: ServerConnection,
  options: PostgresRestoreOptions, scratch: Scratch, logFile: string, ctx: JobContext, progress: PhasedProgress<'prepare' | 'restore'>): Promise<PostgresRestoreResult['readFrom']> {
  const inPlace = format === 'plain' ? undefined : archivePath(entry, ctx.destination);
  // By default, parallel when pg_restore can read the archive in place (as pgAdmin users run
  // pg_restore -j); a stream is restored by one job rather than decompressed to disk first, and an
  // existing database by one job in one transaction (see below).
  const jobs = Math.max(1, options.jobs ?? (inPlace && !options.existing ? Math.min(4, os.availableParallelism()) : 1));
  const work = new AbortController();
  const abort = () => work.abort();
  ctx.signal?.addEventListener('abort', abort, { once: true });
  const tables = new TableDataProgress(entry.manifest.tables.map(t => ({ name: t.schema !== undefined && t.table !== undefined ? verboseName(t.schema, t.table) : t.name, bytes: t.bytes ?? 1 })), jobs > 1);
  let postData = 0;
  const onLine = (line: string) => {
    if (!tables.take(line)) return;
    const dataShare = postData > 0 ? 0.8 : 1;
    const fraction = tables.items.fraction * dataShare + (postData > 0 ? 0.2 * Math.min(1, tables.postDataSteps / postData) : 0);
    progress.report('restore', fraction, tables.postDataSteps > 0 ? `Creating indexes and constraints (${tables.postDataSteps} of ${postData})` : `Restoring ${tables.current ?? ''}`);
  };
  try {
    if (format === 'plain') {
      const psql = runTool({
        label: `psql into ${target.database}`, command: tools.psql, args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...connectionArgs(target)], env,
        stdin: 'pipe', stdout: 'ignore', signal: work.signal, logFile, explain: explainPostgresTool('psql', target, target.database, logFile),
      });
      const file = storedArchive(entry, ctx).file;
      const feeding = streamArchive(storedArchive(entry, ctx), psql.child.stdin!, work.signal,
        read => progress.report('restore', read / file.size, `Restoring SQL (${Math.round(100 * read / file.size)} %)`));
      await settleFeed(feeding, psql.done, work);
      return 'stream';
    }
    let archive: string | undefined = inPlace;
    let readFrom: PostgresRestoreResult['readFrom'] = inPlace ? 'stored file' : 'stream';
    if (!inPlace && jobs > 1) {
      // pg_restore -j reads the archive's parts out of order, which a stream cannot do.
      archive = scratch.file('archive.dump');
      ctx.logger.info(`Parallel restore needs a seekable archive: decompressing ${entry.manifest.files[0].name} into scratch space (removed afterwards).`);
      const file = storedArchive(entry, ctx).file;
      await readStoredFile({ destination: ctx.destination, key: `${entry.prefix}/${file.name}`, file, target: archive, signal: work.signal });
      readFrom = 'scratch copy';
    }
    if (archive) postData = countPostDataEntries(await listArchive(tools.pgRestore, env, { path: archive }, work.signal));
    const base = ['--verbose', '--exit-on-error', ...(format === 'directory' ? ['--format=directory'] : ['--format=custom'])];
    if (options.noOwner) base.push('--no-owner');
    if (options.noPrivileges) base.push('--no-privileges');
    const clean = options.existing && options.clean ? ['--clean', '--if-exists'] : [];
    // Into an existing database, one transaction: a failure leaves it as it was. pg_restore
    // cannot combine that with parallel jobs.
    if (options.existing && jobs === 1) base.push('--single-transaction');
    if (jobs > 1) base.push(`--jobs=${jobs}`);
    // pg_restore -j may create a trigger on a partitioned table (or inheritance parent) before its
    // children's data is loaded: the trigger depends only on the parent, which has no data of its
    // own, and then fires on restored rows (every time with a custom archive pg_dump wrote to a
    // pipe). For databases with such triggers (the backup records whether there are any; older
    // manifests are assumed to) parallel restores load all data before any post-data object, in
    // three passes. Others keep pg_restore's overlap of index builds with data loading, which is
    // what makes -j fast. Not with --clean, whose drops must see the whole archive (a table cannot
    // be dropped before the foreign keys that point at it).
    const needsPasses = entry.manifest.consistency.triggersOnParentTables !== false;
    const sections = jobs > 1 && clean.length === 0 && needsPasses ? ['pre-data', 'data', 'post-data'] : [undefined];
    for (const selection of tableSelections(options.tables)) {
      if (selection.schema !== undefined) await ensureSchema(target, options.access, selection.schema);
      const pgRestore = (section: string | undefined) => runTool({
        label: `pg_restore into ${target.database}`, command: tools.pgRestore,
        args: [...base, ...clean, ...(section ? [`--section=${section}`] : []), ...selection.args, ...connectionArgs(target), ...(archive ? [archive] : [])], env,
        stdin: archive ? 'ignore' : 'pipe', signal: work.signal, onStderrLine: onLine, logFile, explain: explainPostgresTool('pg_restore', target, target.database, logFile),
      });
      if (archive) {
        // The stored bytes are checked while pg_restore reads them; a mismatch stops it. (A
        // scratch copy was checked as it was decompressed.)
        const checking = inPlace ? verifyFileHashes(entry, ctx.destination, work.signal) : Promise.resolve();
        const restoring = (async () => {
          for (const section of sections) await pgRestore(section).done;
        })();
        await settleFeed(checking, restoring, work);
      } else {
        const restore = pgRestore(undefined);
        await settleFeed(streamArchive(storedArchive(entry, ctx), restore.child.stdin!, work.signal), restore.done, work);
      }
    }
    return readFrom;
  } finally {
    ctx.signal?.removeEventListener('abort', abort);
  }
}

/** Waits for a feeder (hash check or stream) and the tool together; the first real failure wins. */
async function settleFeed(feeding: Promise<void>, tool: Promise<void>, work: AbortController): Promise<void> {
  feeding.catch(() => work.abort());
  tool.catch(() => work.abort());
  const [fed, ran] = await Promise.allSettled([feeding, tool]);
  if (fed.status === 'rejected' && fed.reason instanceof LifeboatError && fed.reason.code === 'verification') throw fed.reason;
  if (ran.status === 'rejected' && !isCancelled(ran.reason)) throw ran.reason;
  if (fed.status === 'rejected' && !isCancelled(fed.reason)) throw fed.reason;
  if (ran.status === 'rejected') throw ran.reason;
}

/** pg_restore's -t matches a table name in any schema, so selections are run per schema (-n);
 *  both take names literally (no patterns, no case folding). */
function tableSelections(tables: string[] | undefined): { schema?: string; args: string[] }[] {
  if (!tables || tables.length === 0) return [{ args: [] }];
  const bySchema = new Map<string, string[]>();
  for (const name of tables) {
    const parsed = parseTableName(name);
    if (!parsed) throw new LifeboatError('usage', `"${name}" is not a schema-qualified table name.`, 'Name tables as schema.table, e.g. public.orders; quote a part that holds dots or quotes: "my.schema"."Odd ""Name""".');
    const [schema, table] = parsed;
    bySchema.set(schema, [...(bySchema.get(schema) ?? []), table]);
  }
  return [...bySchema].map(([schema, names]) => ({ schema, args: [`--schema=${schema}`, ...names.map(t => `--table=${t}`)] }));
}

/** A partial restore does not create the table's schema (pg_restore -t restores only the table). */
async function ensureSchema(target: ServerConnection, access: ServerAccess, schema: string): Promise<void> {
  const client = await connectPostgres(target, access.password);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The new database gets the source's encoding and locale, so text sorts and compares as it did. */
async function createDatabaseLike(server: Client, name: string, source: Record<string, unknown>, ctx: JobContext): Promise<void> {
  const encoding = typeof source.encoding === 'string' ? source.encoding : undefined;
  const like = [
    encoding ? `ENCODING ${quoteLiteral(encoding)}` : '',
    typeof source.collate === 'string' ? `LC_COLLATE ${quoteLiteral(source.collate)}` : '',
    typeof source.ctype === 'string' ? `LC_CTYPE ${quoteLiteral(source.ctype)}` : '',
  ].filter(Boolean).join(' ');
  try {
    await server.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ${like}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // This server lacks the source's locale: the server's default is the next best thing.
    if (code !== '22023' && code !== '42809' && code !== '42704') throw explainCreate(error, name);
    ctx.logger.warn(`The source's locale (${String(source.collate)}) is not available on this server (${(error as Error).message}); creating "${name}" with the server's default.`);
    await server.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0${encoding ? ` ENCODING ${quoteLiteral(encoding)}` : ''}`).catch(e => { throw explainCreate(e, name); });
  }
}

function explainCreate(error: unknown, name: string): LifeboatError {
  const code = (error as { code?: string }).code;
  if (code === '42P04') return new LifeboatError('already-exists', `The database "${name}" already exists.`, 'Choose a new name.');
  if (code === '42501') return new LifeboatError('connection', `This user may not create databases (${(error as Error).message}).`, 'Restore as a user with CREATEDB, or into an existing database.');
  return new LifeboatError('io', `Could not create the database "${name}": ${(error as Error).message}`, undefined, { cause: error });
}

export async function dropDatabase(server: Client, name: string): Promise<void> {
  await server.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

/** Where a tool's log is kept if it fails (removed when it succeeds): beside the backups. */
export async function keptLogFile(ctx: JobContext, name: string): Promise<string> {
  const folder = path.join(ctx.scratchParent, '.lifeboat-logs');
  await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  return path.join(folder, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
}

/** Removes a tool's log that is not needed (success, cancel), and its folder once empty. */
async function discardLog(file: string): Promise<void> {
  await fsp.rm(file, { force: true });
  await fsp.rmdir(path.dirname(file)).catch(() => undefined);
}

/** A failure whose cause is in the tool's log says where the log is; others do not keep it. */
async function withLog(error: unknown, file: string): Promise<unknown> {
  const size = await fsp.stat(file).then(s => s.size, () => 0);
  const toolSpoke = error instanceof LifeboatError && error.code !== 'verification' && size > 0;
  if (!toolSpoke) {
    await discardLog(file);
    return error;
  }
  if (error.hint?.includes(file)) return error;
  return new LifeboatError(error.code, error.message, `${error.hint ? `${error.hint} ` : ''}The tool's full output is kept in ${file}.`, { cause: error.cause });
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
