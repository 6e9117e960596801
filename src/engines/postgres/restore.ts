import * as fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import type { CatalogEntry } from '../../core/catalog';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError, throwIfAborted } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { elapsedMs, linkedController, type JobContext } from '../../core/job';
import { defaultParallelJobs } from '../../core/parallelism';
import { readStoredFile } from '../../core/storePipeline';
import { runTool, settleReadFirst, settleWithFeed } from '../../core/processes';
import { PhasedProgress } from '../../core/progress';
import { createScratch, type Scratch } from '../../core/scratch';
import type { ServerAccess } from '../access';
import { archiveFormat, archivePath, listArchive, storedArchive, streamArchive } from './dumpArchive';
import { connectPostgres } from './connect';
import { explainPostgresTool } from './toolErrors';
import { connectionArgs, postgresToolEnv } from './toolEnv';
import { findPostgresTools, type PostgresTools } from './tools';
import { requireRestrictingPsql, RestrictedScript } from './restrictedScript';
import { countPostDataEntries, TableDataProgress } from './verboseProgress';
import { parseTableName, verboseName } from './tableNames';
import { verifyFileHashes } from '../../core/storedHashes';
import { discardLog, keptLogFile } from '../../core/toolLog';
import { failedRestore, restoredConnection } from '../restoreCleanup';

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
  /** The caller has just checked every stored file's SHA-256 (a drill after a verify). */
  hashesChecked?: boolean;
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
  // Checked before anything is created on the server.
  for (const name of options.tables ?? []) chosenTable(name);
  if (format === 'plain' && options.tables?.length) {
    throw new LifeboatError('usage', 'A plain SQL backup can only be restored whole.', 'Choose the custom or directory format for backups you may want to restore table by table.');
  }
  if (options.existing && (options.jobs ?? 1) > 1) {
    throw new LifeboatError('usage', 'A restore into an existing database runs as one transaction, so that a failure leaves it as it was; parallel jobs cannot share one.',
      'Leave jobs at 1, or restore into a new database (in parallel) and switch over.');
  }
  if (options.existing && options.clean && format === 'plain') {
    throw new LifeboatError('usage', 'A plain SQL backup holds no DROP statements, so it cannot clean an existing database first.',
      'Restore it into a new database, or use a custom or directory backup.');
  }
  const server = await connectPostgres(options.server, options.access.password);
  const scratch = await createScratch(ctx.scratchParent);
  let created = false;
  let serverVersionNum = 0;
  let logFile: string | undefined;
  try {
    progress.report('prepare', 0, `Preparing database "${options.database}"`);
    const { v: version, num } = (await server.query<{ v: string; num: string }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS num")).rows[0];
    serverVersionNum = Number(num);
    // pg_restore must also be able to read what the backup's pg_dump wrote.
    const tools = await findPostgresTools(version.split(' ')[0], { binDir: options.access.postgresBinDir, atLeast: manifest.tool.version });
    if (format === 'plain') await requireRestrictingPsql(tools);
    throwIfAborted(ctx.signal, 'The restore');
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
    if (created) {
      // A new database is not in use until the restore has succeeded, so its sessions need not
      // wait for each commit to reach disk (the WAL is flushed once, below, before success is
      // reported), and index builds get more memory than the server's default 64 MB.
      env.PGOPTIONS = '-c synchronous_commit=off -c maintenance_work_mem=256MB';
    }
    logFile = await keptLogFile(ctx, `restore-${manifest.id}`);
    const readFrom = await runRestore(entry, format, tools, env, target, options, scratch, logFile, ctx, progress);
    // A Cancel that came while pg_restore was finishing still means "I do not want this": the new
    // database is dropped (below) rather than reported as restored.
    throwIfAborted(ctx.signal, 'The restore');
    // A synchronous commit flushes the WAL up to it, and so every restored commit before it.
    await server.query('SET synchronous_commit = on');
    await server.query('SELECT txid_current()');
    await discardLog(logFile);
    progress.report('restore', 1, `Restored into "${options.database}"`);
    ctx.logger.info(`Restored ${manifest.id} into ${options.database} in ${elapsedMs(started)} ms (read from the ${readFrom})`);
    return {
      database: options.database,
      connection: restoredConnection(target, options.server, options.database, manifest),
      durationMs: elapsedMs(started),
      createdDatabase: created,
      readFrom,
      tables: manifest.tables.length,
    };
  } catch (error) {
    throw await failedRestore(error, { created, database: options.database, drop: () => dropDatabase(server, options.database, serverVersionNum), logFile, ctx });
  } finally {
    await server.end().catch(() => undefined);
    await scratch.dispose();
  }
}

/**
 * Jobs when the user did not say. An existing database: one, in one transaction (see below). An
 * archive pg_restore can read in place: parallel, as pgAdmin users run pg_restore -j. A
 * compressed stream: parallel too, through a decompressed copy in scratch space, when the disk
 * has room for it with a margin: decompressing costs seconds, and parallel jobs save far more
 * (bench: 1.2 GB database, 2 cores: 28.6 s for one job, 19.5 s for four). Otherwise one job,
 * streamed, and the log says why.
 */
async function defaultRestoreJobs(entry: CatalogEntry, format: 'custom' | 'directory' | 'plain', inPlace: string | undefined, options: PostgresRestoreOptions,
  scratch: Scratch, ctx: JobContext): Promise<number> {
  if (options.existing || format === 'plain') return 1;
  const jobs = defaultParallelJobs();
  if (inPlace || jobs === 1) return jobs;
  // Where the content size is not recorded, eight times the stored size: more than zstd or gzip
  // at Lifeboat's levels shrink a dump, so the check errs towards the streamed restore.
  const needed = entry.manifest.files.reduce((n, f) => n + (f.contentSize ?? f.size * 8), 0);
  const free = await freeBytes(scratch.path);
  if (free !== undefined && free >= needed * 1.2 + 256 * 1024 * 1024) return jobs;
  ctx.logger.info(`Restoring with one job from the stream: a parallel restore needs a decompressed copy of ${formatBytes(needed)} in ${scratch.path}, and ${free === undefined ? 'its free space is unknown' : `only ${formatBytes(free)} is free there`}.`);
  return 1;
}

async function freeBytes(folder: string): Promise<number | undefined> {
  try {
    const stats = await fsp.statfs(folder);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

async function runRestore(entry: CatalogEntry, format: 'custom' | 'directory' | 'plain', tools: PostgresTools, env: NodeJS.ProcessEnv, target: ServerConnection,
  options: PostgresRestoreOptions, scratch: Scratch, logFile: string, ctx: JobContext, progress: PhasedProgress<'prepare' | 'restore'>): Promise<PostgresRestoreResult['readFrom']> {
  const inPlace = format === 'plain' ? undefined : archivePath(entry, ctx.destination);
  const jobs = Math.max(1, options.jobs ?? await defaultRestoreJobs(entry, format, inPlace, options, scratch, ctx));
  const { controller: work, dispose } = linkedController(ctx.signal);
  const tables = new TableDataProgress(entry.manifest.tables.map(t => ({ name: t.schema !== undefined && t.table !== undefined ? verboseName(t.schema, t.table) : t.name, bytes: t.bytes ?? 1 })), jobs > 1);
  let postData = 0;
  const onLine = (line: string) => {
    if (!tables.take(line)) return;
    const dataShare = postData > 0 ? 0.8 : 1;
    const fraction = tables.items.fraction * dataShare + (postData > 0 ? 0.2 * Math.min(1, tables.postDataSteps / postData) : 0);
    progress.report('restore', fraction, tables.postDataSteps > 0 ? `Creating indexes and constraints (${tables.postDataSteps} of ${postData})` : `Restoring ${tables.current ?? ''}`);
  };
  try {
    if (options.existing) {
      // Production is changed only by an archive known to be intact: checked in full first, not
      // while pg_restore runs (it could commit before a late mismatch is found).
      progress.report('prepare', 0.5, 'Checking the backup\'s SHA-256 before changing the existing database');
      await verifyFileHashes(entry, ctx.destination, work.signal);
    }
    if (format === 'plain') {
      // The SQL runs under Lifeboat's \restrict: psql refuses every meta-command in it
      // (restrictedScript.ts). Read as a script (-f -), psql names the line of each error.
      const script = new RestrictedScript();
      const explain = explainPostgresTool('psql', target, target.database, logFile);
      const psql = runTool({
        label: `psql into ${target.database}`, command: tools.psql,
        args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(options.existing ? ['--single-transaction'] : []), ...connectionArgs(target), '-f', '-'], env,
        stdin: 'pipe', stdout: 'ignore', signal: work.signal, logFile, explain: (tail, code, signal) => script.explain(tail) ?? explain(tail, code, signal),
      });
      const stored = storedArchive(entry, ctx);
      const applying = pipeline(script, psql.child.stdin!, { signal: work.signal });
      const reading = streamArchive(stored, script, work.signal,
        read => progress.report('restore', read / stored.file.size, `Restoring SQL (${Math.round(100 * read / stored.file.size)} %)`));
      await settleWithFeed(settleReadFirst(reading, applying), psql.done, work);
      return 'stream';
    }
    let archive: string | undefined = inPlace;
    let readFrom: PostgresRestoreResult['readFrom'] = inPlace ? 'stored file' : 'stream';
    if (!inPlace && jobs > 1) {
      // pg_restore -j reads the archive's parts out of order, which a stream cannot do.
      archive = scratch.file('archive.dump');
      ctx.logger.info(`Parallel restore needs a seekable archive: decompressing ${entry.manifest.files[0].name} into scratch space (removed afterwards).`);
      const file = storedArchive(entry, ctx).file;
      await readStoredFile({
        destination: ctx.destination, key: `${entry.prefix}/${file.name}`, file, target: archive, signal: work.signal,
        onBytes: (read, total) => progress.report('restore', 0.1 * read / total, 'Decompressing the archive for a parallel restore'),
      });
      readFrom = 'scratch copy';
    }
    const listing = await listArchive(tools.pgRestore, env, archive ? { path: archive } : storedArchive(entry, ctx), work.signal);
    postData = countPostDataEntries(listing);
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
    for (const selection of await tableSelections(options.tables, entry, listing, scratch)) {
      if (selection.schema !== undefined) await ensureSchema(target, options.access, selection.schema);
      const pgRestore = (section: string | undefined) => runTool({
        label: `pg_restore into ${target.database}`, command: tools.pgRestore,
        args: [...base, ...clean, ...(section ? [`--section=${section}`] : []), ...selection.args, ...connectionArgs(target), ...(archive ? [archive] : [])], env,
        stdin: archive ? 'ignore' : 'pipe', signal: work.signal, onStderrLine: onLine, logFile, explain: explainPostgresTool('pg_restore', target, target.database, logFile),
      });
      if (archive) {
        // The stored bytes are checked while pg_restore reads them; a mismatch stops it (and the
        // new database is dropped). A scratch copy was checked as it was decompressed, and an
        // existing database's archive before anything started.
        const checking = inPlace && !options.existing && !options.hashesChecked ? verifyFileHashes(entry, ctx.destination, work.signal) : Promise.resolve();
        const restoring = (async () => {
          for (const section of sections) await pgRestore(section).done;
        })();
        await settleWithFeed(checking, restoring, work);
      } else {
        const restore = pgRestore(undefined);
        const stored = { ...storedArchive(entry, ctx), hashesChecked: options.existing || options.hashesChecked };
        await settleWithFeed(streamArchive(stored, restore.child.stdin!, work.signal), restore.done, work);
      }
    }
    return readFrom;
  } finally {
    dispose();
  }
}

/**
 * What pg_restore runs for a partial restore. With the objects' OIDs in the manifest, a list
 * (-L) of the chosen tables with their data, keys, indexes, defaults and owned sequences, plus
 * what they may depend on (schemas, extensions, types, functions), in the archive's order; not
 * their triggers, foreign keys or policies, which would reach tables that are not restored. For
 * older manifests, pg_restore's -n/-t (the bare tables), one run per schema since -t matches a
 * name in any schema. Names are taken literally, never as patterns.
 */
async function tableSelections(tables: string[] | undefined, entry: CatalogEntry, listing: string, scratch: Scratch): Promise<{ schema?: string; args: string[] }[]> {
  if (!tables || tables.length === 0) return [{ args: [] }];
  const chosen = tables.map(name => {
    const parsed = chosenTable(name);
    const figures = entry.manifest.tables.find(t => t.schema === parsed[0] && t.table === parsed[1]);
    if (entry.manifest.tables.some(t => t.schema !== undefined) && !figures) {
      throw new LifeboatError('not-found', `The backup ${entry.manifest.id} holds no table ${name}.`, 'Pick one of the tables the backup lists (lifeboat list --json shows them).');
    }
    return { schema: parsed[0], table: parsed[1], figures };
  });
  if (chosen.every(c => c.figures?.oid !== undefined)) {
    const oids = new Set(chosen.flatMap(c => [c.figures!.oid!, ...(c.figures!.dependents ?? [])]));
    const file = scratch.file('restore.list');
    await fsp.writeFile(file, selectListing(listing, oids), { mode: 0o600 });
    return [{ args: [`--use-list=${file}`] }];
  }
  const bySchema = new Map<string, string[]>();
  for (const { schema, table } of chosen) bySchema.set(schema, [...(bySchema.get(schema) ?? []), table]);
  return [...bySchema].map(([schema, names]) => ({ schema, args: [`--schema=${schema}`, ...names.map(t => `--table=${t}`)] }));
}

/** A table the user named, read whole: trailing text after the name is refused, not dropped. */
function chosenTable(name: string): [string, string] {
  const parsed = parseTableName(name);
  if (!parsed) throw new LifeboatError('usage', `"${name}" is not one schema-qualified table name.`, 'Name tables as schema.table, e.g. public.orders; quote a part that holds dots or quotes: "my.schema"."Odd ""Name""".');
  return parsed;
}

/** Entries a table can need to exist without being "restored" itself. */
const SUPPORTING = /^(SCHEMA|EXTENSION|TYPE|SHELL TYPE|DOMAIN|FUNCTION|PROCEDURE|AGGREGATE|COLLATION|CONVERSION|OPERATOR|OPERATOR CLASS|OPERATOR FAMILY|CAST|TEXT SEARCH \w+|ACCESS METHOD)$/;
// Not TABLE ATTACH / INDEX ATTACH: a chosen partition comes back as a table of its own.
const OWN = /^(TABLE|TABLE DATA|DEFAULT|SEQUENCE|SEQUENCE OWNED BY|SEQUENCE SET|CONSTRAINT|INDEX|CHECK CONSTRAINT)$/;

/** The lines of a `pg_restore --list` to keep: "<dumpId>; <catalog oid> <object oid> <DESC> …". */
export function selectListing(listing: string, oids: Set<number>): string {
  const keep: string[] = [];
  for (const line of listing.split('\n')) {
    const entry = /^\d+; (\d+) (\d+) ([A-Z]+(?: [A-Z]+)*) /.exec(line);
    if (!entry) continue;
    const [, , oid, desc] = entry;
    const descriptor = knownDesc(desc);
    if (SUPPORTING.test(descriptor) || (OWN.test(descriptor) && oids.has(Number(oid)))) keep.push(line);
  }
  return keep.join('\n') + '\n';
}

/** The DESC of a listing line: its longest known multi-word kind (the regex above is greedy and
 *  may run into the schema name when that is upper case). */
function knownDesc(words: string): string {
  const parts = words.split(' ');
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join(' ');
    if (SUPPORTING.test(candidate) || OWN.test(candidate) || /^(TRIGGER|FK CONSTRAINT|POLICY|RULE|COMMENT|ACL|ROW SECURITY|VIEW|MATERIALIZED VIEW|MATERIALIZED VIEW DATA)$/.test(candidate)) return candidate;
  }
  return parts[0];
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

/** Drops a database Lifeboat created, even if a tool's session is still closing (FORCE needs
 *  PostgreSQL 13; before that the sessions are ended first). */
export async function dropDatabase(server: Client, name: string, serverVersionNum = 130000): Promise<void> {
  if (serverVersionNum >= 130000) {
    await server.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    return;
  }
  await server.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  await server.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
