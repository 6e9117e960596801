import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CatalogEntry } from '../../core/catalog';
import { LifeboatError } from '../../core/errors';
import { linkedController, type JobContext } from '../../core/job';
import type { TableFigures, Verification, VerificationCheck } from '../../core/manifest';
import { runTool, settleWithFeed } from '../../core/processes';
import { PhasedProgress } from '../../core/progress';
import { createScratch } from '../../core/scratch';
import type { ServerConnection } from '../../core/connection';
import type { ServerAccess } from '../access';
import { archiveFormat, archivePath, listArchive, storedArchive, streamArchive } from './dumpArchive';
import { CopyRowCounter } from './copyRows';
import { verifyFileHashes } from '../../core/storedHashes';
import { connectPostgres } from './connect';
import { dropDatabase, quoteIdent, restorePostgresBackup } from './restore';
import { postgresToolEnv } from './toolEnv';
import { findPostgresTools, toolsForServer } from './tools';
import { firstError } from './toolErrors';
import { summariseListing } from './verboseProgress';
import { displayName, fromTableKey, tableKey } from './tableNames';
import { restoreDrill } from '../restoreDrill';
import { verifyAndRecord } from '../verification';

/**
 * Quick: every stored byte against the manifest's SHA-256s, and the archive parses
 * (pg_restore --list; for plain SQL, the dump's completion line).
 * Deep, a restore drill: restore into a scratch database, count every table's rows there, compare
 * with the rows the archive holds, record how long the restore took (the recovery time this
 * backup really gives), and drop the scratch database.
 */
export interface PostgresVerifyOptions {
  deep?: boolean;
  /** The server for the drill; a quick verify needs none (it reads only the stored files). */
  server?: ServerConnection;
  access: ServerAccess;
  jobs?: number;
}

export async function verifyPostgresBackup(entry: CatalogEntry, options: PostgresVerifyOptions, ctx: JobContext): Promise<Verification> {
  const format = archiveFormat(entry.manifest);
  const progress = new PhasedProgress({ hashes: 1, parse: 0.2, drill: options.deep ? 6 : 0 }, ctx.onProgress);
  const scratch = await createScratch(ctx.scratchParent);
  try {
    return await verifyAndRecord(entry, ctx, options.deep ? 'restore-drill' : 'quick', async (checks, measured) => {
      const counter = format === 'plain' ? new CopyRowCounter() : undefined;
      await verifyFileHashes(entry, ctx.destination, ctx.signal, (read, total) => progress.report('hashes', read / total, `Checking SHA-256 of ${entry.manifest.files.length} file(s)`));
      checks.push({ name: 'sha256', ok: true, detail: `${entry.manifest.files.length} file(s) match the manifest's sizes and SHA-256s` });

      if (options.deep && !options.server) throw new LifeboatError('usage', 'A restore drill needs a server to restore on.', 'Configure the backup\'s connection, or name another server connection.');
      // A quick verify reads only the stored files: any pg_restore that reads this pg_dump's archives.
      const tools = options.deep && options.server
        ? await toolsForServer(options.server, options.access, entry.manifest.tool.version)
        : await findPostgresTools(entry.manifest.tool.version, { binDir: options.access.postgresBinDir });
      const env = await postgresToolEnv(options.deep ? options.server : undefined, options.access.password, scratch);

      progress.report('parse', 0, 'Reading the archive\'s table of contents');
      let archiveRows: Map<string, number>;
      if (counter) {
        counter.resume();
        await streamArchive(storedArchive(entry, ctx), counter, ctx.signal ?? new AbortController().signal);
        if (!counter.complete) throw new LifeboatError('verification', 'The plain dump stops before pg_dump\'s completion line.', 'Restore from another backup.');
        checks.push({ name: 'dump complete', ok: true, detail: `Ends with pg_dump's completion line; ${counter.rows.size} tables in its COPY data` });
        archiveRows = counter.rows;
      } else {
        const inPlace = archivePath(entry, ctx.destination);
        const listing = await listArchive(tools.pgRestore, env, inPlace ? { path: inPlace } : storedArchive(entry, ctx), ctx.signal);
        const summary = summariseListing(listing);
        checks.push({ name: 'pg_restore --list', ok: true, detail: `The archive parses: ${summary.entries} entries, ${summary.tableData} with table data` });
        archiveRows = options.deep ? await countArchiveRows(entry, tools.pgRestore, env, ctx) : new Map();
      }

      if (options.deep && options.server) {
        const server = options.server;
        await restoreDrill(entry, checks, measured, {
          restore: database => restorePostgresBackup(entry, { server, access: options.access, database, jobs: options.jobs, hashesChecked: true }, {
            ...ctx, onProgress: u => progress.report('drill', u.fraction * 0.9, `Restore drill: ${u.message}`),
          }),
          check: async database => {
            progress.report('drill', 0.9, 'Counting rows in the restored database');
            return drillChecks(entry, archiveRows, await countRows(server, options.access, database, [...archiveRows.keys()]));
          },
          drop: database => dropDrillDatabase(server, options.access, database),
          logger: ctx.logger,
        });
      }
      progress.report('drill', 1, checks.every(c => c.ok) ? 'Backup verified' : 'Verification failed');
    }, error => error instanceof LifeboatError && error.code === 'verification' ? { name: 'archive', ok: false, detail: error.message } : undefined);
  } finally {
    await scratch.dispose();
  }
}

/** The drill's rows against the archive's, and against the source's estimates at backup time. */
function drillChecks(entry: CatalogEntry, archiveRows: Map<string, number>, counted: Map<string, number>): VerificationCheck[] {
  const wrong = [...archiveRows].filter(([key, rows]) => counted.get(key) !== rows);
  const named = (key: string) => displayName(...fromTableKey(key));
  const totalRows = [...archiveRows.values()].reduce((a, b) => a + b, 0);
  const keyOf = (t: TableFigures) => t.schema !== undefined && t.table !== undefined ? tableKey(t.schema, t.table) : '';
  const estimates = entry.manifest.tables.filter(t => t.estimatedRows != null && archiveRows.has(keyOf(t)));
  const far = estimates.filter(t => Math.abs((archiveRows.get(keyOf(t)) ?? 0) - (t.estimatedRows ?? 0)) > Math.max(100, 0.2 * (t.estimatedRows ?? 0)));
  return [
    wrong.length === 0
      ? { name: 'row counts', ok: true, detail: `${archiveRows.size} tables, ${totalRows} rows: the restored database has every row the archive holds` }
      : { name: 'row counts', ok: false, detail: `Differ for ${wrong.slice(0, 5).map(([key, r]) => `${named(key)} (archive ${r}, restored ${counted.get(key) ?? 'missing'})`).join(', ')}` },
    { name: 'source estimates', ok: true, detail: far.length === 0
      ? `Row counts agree with the source's estimates at backup time (${estimates.length} tables with estimates)`
      : `${far.length} table(s) differ from the source's estimates by more than 20 % (estimates are approximate): ${far.slice(0, 3).map(t => t.name).join(', ')}` },
  ];
}

/** Rows per table in the archive's data: pg_restore writes it as COPY text, Lifeboat counts lines. */
async function countArchiveRows(entry: CatalogEntry, pgRestore: string, env: NodeJS.ProcessEnv, ctx: JobContext): Promise<Map<string, number>> {
  const inPlace = archivePath(entry, ctx.destination);
  const counter = new CopyRowCounter();
  const { controller: work, dispose } = linkedController(ctx.signal);
  try {
    const run = runTool({
      label: 'pg_restore --data-only', command: pgRestore, args: ['--data-only', '--file=-', ...(inPlace ? [inPlace] : [])], env,
      stdin: inPlace ? 'ignore' : 'pipe', stdout: 'pipe', signal: work.signal,
      explain: tail => new LifeboatError('verification', `pg_restore cannot read the archive's data: ${firstError(tail)}.`, 'The archive is damaged: restore from another backup.'),
    });
    const counting = pipeline(run.child.stdout!, counter, new Writable({ write(_c, _e, done) { done(); } }), { signal: work.signal });
    const feeding = inPlace ? Promise.resolve() : streamArchive({ ...storedArchive(entry, ctx), hashesChecked: true }, run.child.stdin!, work.signal);
    await settleWithFeed(Promise.all([feeding, counting]), run.done, work);
    return counter.rows;
  } finally {
    dispose();
  }
}

/** Exact row counts in `database` of the tables named by `keys` (tableKey), keyed the same way. */
/** Drops the drill's database over a connection opened for that (one held through a long drill
 *  could have been dropped by the server meanwhile). */
async function dropDrillDatabase(server: ServerConnection, access: ServerAccess, database: string): Promise<void> {
  const client = await connectPostgres(server, access.password);
  try {
    const num = Number((await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0].n);
    await dropDatabase(client, database, num);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function countRows(server: ServerConnection, access: ServerAccess, database: string, keys: string[]): Promise<Map<string, number>> {
  const client = await connectPostgres({ ...server, database }, access.password, { statement_timeout: 0, query_timeout: 0 });
  try {
    const { rows } = await client.query<{ schema: string; table: string }>(
      `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm')`);
    const counts = new Map<string, number>();
    const wanted = new Set(keys);
    for (const r of rows) {
      const key = tableKey(r.schema, r.table);
      if (!wanted.has(key)) continue;
      // ONLY: a parent's count would include its inheritance children's rows, which the archive
      // holds under the children.
      const result = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${quoteIdent(r.schema)}.${quoteIdent(r.table)}`);
      counts.set(key, Number(result.rows[0].n));
    }
    return counts;
  } finally {
    await client.end().catch(() => undefined);
  }
}

