import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { backupPrefix, newBackupId } from '../../core/backupId';
import { beginBackup, commitBackup, removeBackupFiles, type CatalogEntry } from '../../core/catalog';
import type { ServerConnection } from '../../core/connection';
import { CancelledError, LifeboatError, isCancelled, throwIfAborted } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { elapsedMs, linkedController, type JobContext } from '../../core/job';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest, type StoredFile, type VerificationCheck } from '../../core/manifest';
import { runTool, settleToolIntoStore } from '../../core/processes';
import { PhasedProgress } from '../../core/progress';
import { createScratch, type Scratch } from '../../core/scratch';
import { adoptFile, storeStream } from '../../core/storePipeline';
import { LIFEBOAT_TOOL } from '../../core/version';
import type { ServerAccess } from '../access';
import { keepLogNamedBy } from '../dumpLog';
import { archivePathOf, listArchive } from './dumpArchive';
import { CopyRowCounter } from './copyRows';
import { describeOptions, describePlan, planDump, resolveFormat, type DumpPlan, type PostgresBackupOptions } from './dumpOptions';
import { openSource, type PostgresSource } from './source';
import { tableKey, verboseName } from './tableNames';
import { explainPostgresTool } from './toolErrors';
import { connectionArgs, postgresToolEnv } from './toolEnv';
import { findPostgresTools, type PostgresTools } from './tools';
import { listedTableOids, summariseListing, TableDataProgress } from './verboseProgress';

/**
 * pg_dump inside a snapshot Lifeboat exported (so the manifest's WAL position is the dump's),
 * with its output either streamed through Lifeboat's compress-and-hash pipeline into the
 * destination, or written by pg_dump itself (its own compression, the directory format) and
 * then hashed and moved in. The archive must parse (pg_restore --list) before the manifest is
 * written; any failure or Cancel kills pg_dump's process group and removes what was stored.
 */
export async function backupPostgres(connection: ServerConnection, access: ServerAccess, options: PostgresBackupOptions, ctx: JobContext): Promise<CatalogEntry> {
  const started = performance.now();
  const startedAt = new Date();
  const id = newBackupId(startedAt);
  const prefix = backupPrefix(connection.id, id);
  const progress = new PhasedProgress({ prepare: 1, dump: 30, finish: 2 }, ctx.onProgress);
  const scratch = await createScratch(ctx.scratchParent);
  let source: PostgresSource | undefined;
  let stored = false;
  const logFile = scratch.file('pg_dump.log');
  try {
    progress.report('prepare', 0, `Connecting to ${connection.host}:${connection.port}`);
    source = await openSource(connection, access.password, ctx.signal);
    const tools = await findPostgresTools(source.version, { binDir: access.postgresBinDir });
    const resolved = resolveFormat(options, { tableBytes: source.tables.map(t => t.bytes), pgDumpMajor: tools.major, cores: os.availableParallelism() });
    const plan = planDump(resolved.options, tools.major, source.snapshot);
    throwIfAborted(ctx.signal, 'The backup');
    const env = await postgresToolEnv(connection, access.password, scratch);
    const inspectMs = elapsedMs(started);
    ctx.logger.info(`Backing up ${connection.database} on ${connection.host}:${connection.port} (PostgreSQL ${source.version}, ${formatBytes(source.database.bytes)}) with pg_dump ${tools.version} from ${tools.dir}: ${describePlan(plan)}${resolved.chosen ? ` (${resolved.chosen})` : ''}`);

    const marker = await beginBackup(ctx.destination, prefix);
    stored = true;
    const dumpStarted = performance.now();
    const tables = new TableDataProgress(source.tables.map(t => ({ name: verboseName(t.schema, t.table), bytes: t.bytes })), (plan.jobs ?? 1) > 1);
    const onLine = (line: string) => {
      ctx.logger.debug(line);
      if (tables.take(line)) {
        progress.report('dump', tables.items.fraction, tables.current ? `Dumping ${tables.current} (${tables.items.doneCount + 1} of ${tables.items.count} tables)` : 'Dumping');
      }
    };
    const dumped = plan.compressor === 'lifeboat'
      ? await dumpThroughPipeline(connection, tools, plan, env, logFile, prefix, ctx, onLine)
      : await dumpToFiles(connection, tools, plan, env, scratch, logFile, prefix, ctx, onLine, progress);
    const dumpMs = elapsedMs(dumpStarted);
    await source.close();

    progress.report('finish', 0, 'Checking that the archive parses');
    const checkStarted = performance.now();
    const check = await checkArchive(tools, env, plan, prefix, dumped, ctx);
    const checkMs = elapsedMs(checkStarted);
    throwIfAborted(ctx.signal);

    const rowsByTable = dumped.rows;
    // Only the tables the archive holds (a backup of chosen tables or schemas holds fewer).
    const inArchive = check.tableOids
      ? source.tables.filter(t => check.tableOids!.has(t.oid))
      : source.tables.filter(t => options.schemaOnly || !rowsByTable || rowsByTable.has(tableKey(t.schema, t.table)));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      id,
      connection: { id: connection.id, name: connection.name, engine: 'postgres', source: `${connection.host}:${connection.port}/${connection.database}` },
      engine: 'postgres',
      kind: `pg_dump-${plan.format}`,
      startedAt: startedAt.toISOString(),
      completedAt: new Date().toISOString(),
      server: { product: 'PostgreSQL', version: source.version },
      tool: { name: 'pg_dump', version: tools.version },
      options: { ...describeOptions(plan, resolved.options, resolved.chosen), toolDir: tools.dir },
      consistency: {
        snapshotLsn: source.lsn,
        timeline: source.timeline,
        snapshotExported: source.snapshot !== null,
        inRecovery: source.inRecovery,
        triggersOnParentTables: source.triggersOnParentTables,
        serverVersionNum: source.versionNum,
        databaseBytes: source.database.bytes,
        encoding: source.database.encoding,
        collate: source.database.collate,
        ctype: source.database.ctype,
      },
      tables: inArchive.map(t => ({
        name: t.name, schema: t.schema, table: t.table, rows: rowsByTable?.get(tableKey(t.schema, t.table)) ?? null,
        estimatedRows: t.estimatedRows, bytes: t.bytes, oid: t.oid, dependents: t.dependents,
      })),
      files: dumped.files,
      timings: { inspectMs, dumpMs, checkMs, totalMs: elapsedMs(started) },
      verifications: [{
        at: new Date().toISOString(),
        kind: 'at-backup',
        ok: true,
        durationMs: checkMs,
        checks: [...check.checks, { name: 'sha256', ok: true, detail: `SHA-256 of ${dumped.files.length} file(s) computed from the bytes written` }],
        by: LIFEBOAT_TOOL,
      }],
      parent: null,
      encryption: null,
      createdBy: LIFEBOAT_TOOL,
    };
    await commitBackup(ctx.destination, prefix, marker, manifest);
    const bytes = dumped.files.reduce((n, f) => n + f.size, 0);
    progress.report('finish', 1, `Backup ${id} stored`);
    ctx.logger.info(`Backup ${id} complete: ${formatBytes(bytes)} in ${dumped.files.length} file(s), ${manifest.timings.totalMs} ms (dump ${dumpMs} ms)`);
    return { prefix, manifest };
  } catch (error) {
    if (stored) await removeBackupFiles(ctx.destination, prefix).catch(e => ctx.logger.warn(`Could not remove the partial backup ${prefix}: ${(e as Error).message}`));
    throw ctx.signal?.aborted || isCancelled(error) ? new CancelledError('The backup') : await keepLogNamedBy(error, logFile, ctx, `backup-${id}`);
  } finally {
    await source?.close();
    await scratch.dispose();
  }
}

interface Dumped {
  files: StoredFile[];
  /** Rows per table when Lifeboat saw the COPY text (plain format). */
  rows?: Map<string, number>;
  /** Plain dumps: the completion line was seen. */
  complete?: boolean;
}

/** pg_dump → stdout → hash → compress → hash → destination, all in one pass. */
async function dumpThroughPipeline(c: ServerConnection, tools: PostgresTools, plan: DumpPlan, env: NodeJS.ProcessEnv, logFile: string, prefix: string, ctx: JobContext, onLine: (line: string) => void): Promise<Dumped> {
  const { controller: work, dispose } = linkedController(ctx.signal);
  const run = runTool({
    label: `pg_dump of ${c.database}`, command: tools.pgDump, args: [...plan.args, ...connectionArgs(c)], env,
    stdout: 'pipe', signal: work.signal, onStderrLine: onLine, logFile, explain: explainPostgresTool('pg_dump', c, c.database, logFile),
  });
  const counter = plan.format === 'plain' ? new CopyRowCounter() : undefined;
  try {
    const storing = storeStream({
      source: run.child.stdout!, destination: ctx.destination, key: `${prefix}/${plan.payload}`, name: plan.payload,
      codec: plan.codec, level: plan.level, signal: work.signal, observers: counter ? [counter] : [],
      what: `read pg_dump's output`,
    });
    const file = await settleToolIntoStore(storing, run.done, work, ctx.signal, 'The backup');
    return { files: [file], rows: counter?.rows, complete: counter?.complete };
  } finally {
    dispose();
  }
}

/** pg_dump writes its own (compressed) files into scratch space; each is hashed and moved in. */
async function dumpToFiles(c: ServerConnection, tools: PostgresTools, plan: DumpPlan, env: NodeJS.ProcessEnv, scratch: Scratch, logFile: string, prefix: string, ctx: JobContext,
  onLine: (line: string) => void, progress: PhasedProgress<'prepare' | 'dump' | 'finish'>): Promise<Dumped> {
  const output = scratch.file(plan.payload);
  const run = runTool({
    label: `pg_dump of ${c.database}`, command: tools.pgDump, args: [...plan.args, `--file=${output}`, ...connectionArgs(c)], env,
    signal: ctx.signal, onStderrLine: onLine, logFile, explain: explainPostgresTool('pg_dump', c, c.database, logFile),
  });
  await run.done;
  const names = plan.format === 'directory' ? (await fsp.readdir(output)).sort() : [undefined];
  const files: StoredFile[] = [];
  for (const name of names) {
    const local = name === undefined ? output : path.join(output, name);
    const stored = name ?? plan.payload;
    const done = files.length;
    files.push(await adoptFile({
      source: local, destination: ctx.destination, key: `${prefix}/${stored}`, name: stored, signal: ctx.signal,
      onBytes: (read, total) => progress.report('finish', (done + read / Math.max(1, total)) / names.length, `Checksumming and storing ${stored}`),
    }));
  }
  return { files };
}

/** The at-backup check: the archive's table of contents parses, or a plain dump ran to its end.
 *  Also returns which tables the archive holds (by OID), when it has a table of contents. */
async function checkArchive(tools: PostgresTools, env: NodeJS.ProcessEnv, plan: DumpPlan, prefix: string, dumped: Dumped, ctx: JobContext): Promise<{ checks: VerificationCheck[]; tableOids?: Set<number> }> {
  if (plan.format === 'plain') {
    const tableCount = dumped.rows?.size ?? 0;
    const rowCount = [...(dumped.rows?.values() ?? [])].reduce((a, b) => a + b, 0);
    if (!dumped.complete) throw new LifeboatError('verification', 'The plain dump stops before pg_dump\'s completion line.', 'Nothing was kept; run the backup again and look at the log.');
    return { checks: [{ name: 'dump complete', ok: true, detail: `The dump ends with pg_dump's completion line; ${tableCount} tables, ${rowCount} rows counted in its COPY data` }] };
  }
  const local = archivePathOf(prefix, dumped.files, plan.format, ctx.destination);
  const listing = await listArchive(tools.pgRestore, env, local ? { path: local } : { destination: ctx.destination, prefix, file: dumped.files[0] }, ctx.signal);
  const summary = summariseListing(listing);
  return {
    checks: [{ name: 'pg_restore --list', ok: true, detail: `The archive parses: ${summary.entries} entries, ${summary.tableData} with table data` }],
    tableOids: listedTableOids(listing),
  };
}
