import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackupWriter, MadeBackup } from '../../core/backupWriter';
import type { ServerConnection } from '../../core/connection';
import type { Destination } from '../../core/destination';
import { CancelledError, LifeboatError, throwIfAborted } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { elapsedMs, linkedController, type JobContext } from '../../core/job';
import type { StoredFile, VerificationCheck } from '../../core/manifest';
import { defaultLevel } from '../../core/codec';
import { runTool, settleToolIntoStore } from '../../core/processes';
import { compressDump, compressDumpInto, findZstdCli, type ZstdCli } from '../../core/zstdCli';
import { PhasedProgress } from '../../core/progress';
import type { Scratch } from '../../core/scratch';
import type { ServerAccess } from '../access';
import { keepLogNamedBy, startDump } from '../dumpLog';
import { archivePathOf, listArchive } from './dumpArchive';
import { CopyRowCounter } from './copyRows';
import { describeOptions, describePlan, planDump, resolveFormat, type DumpOptions, type DumpPlan, type PostgresBackupOptions } from './dumpOptions';
import { openSource, type PostgresSource } from './source';
import { tableKey, verboseName } from './tableNames';
import { explainPostgresTool } from './toolErrors';
import { connectionArgs, postgresToolEnv } from './toolEnv';
import { findPostgresTools, type PostgresTools } from './tools';
import { listedTableOids, summariseListing, TableDataProgress } from './verboseProgress';
import { makeBaseBackup } from './pitr/baseBackup';

/**
 * pg_dump inside a snapshot Lifeboat exported (so the manifest's WAL position is the dump's),
 * with its output either streamed through the backup writer's compress-and-hash pass into every
 * destination, or written by pg_dump itself (its own compression, the directory format) into
 * scratch and then hashed and moved in. The archive must parse (pg_restore --list) before the
 * manifest is written; any failure or Cancel kills pg_dump's process group, and the writer
 * removes what was stored.
 */
export async function makePostgresBackup(connection: ServerConnection, access: ServerAccess, requested: PostgresBackupOptions, writer: BackupWriter, ctx: JobContext): Promise<MadeBackup> {
  if (requested.format === 'base') return makeBaseBackup(connection, access, requested, writer, ctx);
  if (requested.incremental) throw new LifeboatError('usage', 'Only a base backup can be incremental (--format base --incremental); pg_dump always writes the whole database.', 'Add --format base, or leave out --incremental.');
  const options = requested as DumpOptions;
  const { started, progress, scratch, logFile } = await startDump(writer, ctx, { prepare: 1, dump: 30, finish: 2 }, 'pg_dump.log');
  let source: PostgresSource | undefined;
  try {
    progress.report('prepare', 0, `Connecting to ${connection.host}:${connection.port}`);
    source = await openSource(connection, access.password, ctx.signal);
    const tools = await findPostgresTools(source.version, { binDir: access.postgresBinDir });
    const resolved = resolveFormat(options, { tableBytes: source.tables.map(t => t.bytes), pgDumpMajor: tools.major, cores: os.availableParallelism() });
    const plan = planDump(resolved.options, tools.major, source.snapshot);
    throwIfAborted(ctx.signal, 'The backup');
    const env = await postgresToolEnv(connection, access.password, scratch);
    const zstdCli = plan.compressor === 'lifeboat' && plan.codec === 'zstd' && plan.format !== 'plain' ? await findZstdCli() : undefined;
    const inspectMs = elapsedMs(started);
    ctx.logger.info(`Backing up ${connection.database} on ${connection.host}:${connection.port} (PostgreSQL ${source.version}, ${formatBytes(source.database.bytes)}) with pg_dump ${tools.version} from ${tools.dir}: ${describePlan(plan)}${resolved.chosen ? ` (${resolved.chosen})` : ''}${zstdCli ? `; compressed by ${zstdCli.path} ${zstdCli.version}` : ''}`);

    // The backup is marked in progress before pg_dump starts writing (backupWriter.ts).
    await writer.open();
    const dumpStarted = performance.now();
    const tables = new TableDataProgress(source.tables.map(t => ({ name: verboseName(t.schema, t.table), bytes: t.bytes })), (plan.jobs ?? 1) > 1);
    const onLine = (line: string) => {
      ctx.logger.debug(line);
      if (tables.take(line)) {
        progress.report('dump', tables.items.fraction, tables.current ? `Dumping ${tables.current} (${tables.items.doneCount + 1} of ${tables.items.count} tables)` : 'Dumping');
      }
    };
    const run: DumpRun = { connection, tools, plan, env, logFile, writer, ctx, onLine, zstdCli };
    // pg_dump's own files go to scratch first; how large they get is not known beforehand (a
    // compressed archive is a fraction of the database), so their room is not checked here.
    const dumped = plan.compressor !== 'lifeboat' ? await dumpToFiles(run, scratch, progress)
      : zstdCli && writer.adoptingDestination() ? await dumpThroughZstdInto(run, zstdCli, scratch, progress) : await dumpThroughPipeline(run);
    const dumpMs = elapsedMs(dumpStarted);
    await source.close();

    progress.report('finish', 0, 'Checking that the archive parses');
    const checkStarted = performance.now();
    const check = await checkArchive(run, dumped, writer.destinations[0]);
    const checkMs = elapsedMs(checkStarted);
    throwIfAborted(ctx.signal);

    const rowsByTable = dumped.rows;
    // Only the tables the archive holds (a backup of chosen tables or schemas holds fewer).
    const inArchive = check.tableOids
      ? source.tables.filter(t => check.tableOids!.has(t.oid))
      : source.tables.filter(t => options.schemaOnly || !rowsByTable || rowsByTable.has(tableKey(t.schema, t.table)));
    progress.report('finish', 1, 'Archive stored and checked');
    return {
      parts: {
        kind: `pg_dump-${plan.format}`,
        server: { product: 'PostgreSQL', version: source.version },
        tool: { name: 'pg_dump', version: tools.version },
        options: { ...describeOptions(plan, resolved.options, resolved.chosen), toolDir: tools.dir, ...(zstdCli ? { compressedBy: `zstd ${zstdCli.version}` } : {}) },
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
        timings: { inspectMs, dumpMs, checkMs },
        checkMs,
        checks: check.checks,
      },
    };
  } catch (error) {
    throw await keepLogNamedBy(error, logFile, ctx, `backup-${writer.id}`);
  } finally {
    await source?.close();
  }
}

/** What every way of running pg_dump needs. */
interface DumpRun {
  connection: ServerConnection;
  tools: PostgresTools;
  plan: DumpPlan;
  env: NodeJS.ProcessEnv;
  logFile: string;
  writer: BackupWriter;
  ctx: JobContext;
  onLine: (line: string) => void;
  /** The zstd CLI that compresses pg_dump's stream (zstdCli.ts says when). */
  zstdCli?: ZstdCli;
}

interface Dumped {
  files: StoredFile[];
  /** Rows per table when Lifeboat saw the COPY text (plain format). */
  rows?: Map<string, number>;
  /** Plain dumps: the completion line was seen. */
  complete?: boolean;
}

function runPgDump(run: DumpRun, extra: { args: string[]; stdout?: 'pipe'; signal?: AbortSignal }) {
  const c = run.connection;
  return runTool({
    label: `pg_dump of ${c.database}`, command: run.tools.pgDump, args: [...run.plan.args, ...extra.args, ...connectionArgs(c)], env: run.env,
    stdout: extra.stdout, signal: extra.signal ?? run.ctx.signal, onStderrLine: run.onLine, logFile: run.logFile, explain: explainPostgresTool('pg_dump', c, c.database, run.logFile),
  });
}

/**
 * pg_dump → stdout → compress → hash → every destination, in one pass. Compressed by the zstd CLI
 * where it serves (run.zstdCli), joined to pg_dump by an OS pipe; otherwise in Node's zlib, where a
 * plain dump's COPY rows are counted on the way.
 */
async function dumpThroughPipeline(run: DumpRun): Promise<Dumped> {
  const { plan, writer, ctx } = run;
  const { controller: work, dispose } = linkedController(ctx.signal);
  const tool = runPgDump(run, { args: [], stdout: 'pipe', signal: work.signal });
  const counter = plan.format === 'plain' ? new CopyRowCounter() : undefined;
  const compressed = run.zstdCli && compressDump(tool, run.zstdCli, plan.level ?? defaultLevel('zstd'), work.signal, zstdLabel(run));
  try {
    const storing = writer.storeStream(plan.payload, compressed ? compressed.stored : tool.child.stdout!, {
      codec: plan.codec, level: plan.level, observers: counter ? [counter] : [], contentHash: false, what: 'read pg_dump\'s output', signal: work.signal,
      ...(compressed ? { precompressed: { contentSize: compressed.contentSize } } : {}),
    });
    const file = await settleToolIntoStore(storing, compressed ? compressed.done : tool.done, work, ctx.signal, 'The backup');
    // zstd counted what it wrote; an encrypted backup stores more (the age framing).
    if (!writer.encryption) checkZstdCount(compressed?.written(), file);
    return { files: [file], rows: counter?.rows, complete: counter?.complete };
  } finally {
    dispose();
  }
}

/**
 * pg_dump → zstd CLI → a scratch file, by OS pipes only: no byte of the dump enters Node while it
 * runs. The file is then hashed in one read and renamed into the one local destination
 * (storeFinished). Taken when the backup has that one destination and the zstd CLI is in use; the
 * bare `pg_dump | zstd > file` does the same work, so this path costs Lifeboat only its start, the
 * SHA-256 of the stored bytes and the archive check (bench/pgBackup.ts).
 */
async function dumpThroughZstdInto(run: DumpRun, zstd: ZstdCli, scratch: Scratch, progress: PhasedProgress<'prepare' | 'dump' | 'finish'>): Promise<Dumped> {
  const { plan, writer, ctx } = run;
  const output = scratch.file(plan.payload);
  const tool = runPgDump(run, { args: [], stdout: 'pipe' });
  const compressed = compressDumpInto(tool, zstd, plan.level ?? defaultLevel('zstd'), ctx.signal, zstdLabel(run), output);
  await compressed.done.catch((error: unknown) => {
    if (ctx.signal?.aborted) throw new CancelledError('The backup');
    throw error;
  });
  const file = await writer.storeFinished(plan.payload, output, (read, total) => progress.report('finish', read / Math.max(1, total), `Checksumming ${plan.payload}`),
    { codec: 'zstd', contentSize: await compressed.contentSize });
  checkZstdCount(compressed.written(), file);
  return { files: [file] };
}

function zstdLabel(run: DumpRun): string {
  return `zstd, compressing pg_dump's output of ${run.connection.database}`;
}

/** What zstd said it wrote must be what was stored. */
function checkZstdCount(written: number | undefined, file: StoredFile): void {
  if (written !== undefined && written !== file.size) {
    throw new LifeboatError('io', `zstd reported ${written} bytes written, but ${file.size} were stored.`, 'Nothing was kept; run the backup again.');
  }
}

/** pg_dump writes its own (compressed) files into scratch space; each is hashed and moved in. */
async function dumpToFiles(run: DumpRun, scratch: Scratch, progress: PhasedProgress<'prepare' | 'dump' | 'finish'>): Promise<Dumped> {
  const { plan, writer } = run;
  const output = scratch.file(plan.payload);
  await runPgDump(run, { args: [`--file=${output}`] }).done;
  const names = plan.format === 'directory' ? (await fsp.readdir(output)).sort() : [undefined];
  const files: StoredFile[] = [];
  for (const name of names) {
    const local = name === undefined ? output : path.join(output, name);
    const stored = name ?? plan.payload;
    const done = files.length;
    files.push(await writer.storeFinished(stored, local,
      (read, total) => progress.report('finish', (done + read / Math.max(1, total)) / names.length, `Checksumming and storing ${stored}`)));
  }
  return { files };
}

/** The at-backup check, on the first copy: the archive's table of contents parses, or a plain dump
 *  ran to its end. Also returns which tables the archive holds (by OID), when it has a table of contents. */
async function checkArchive(run: DumpRun, dumped: Dumped, destination: Destination): Promise<{ checks: VerificationCheck[]; tableOids?: Set<number> }> {
  const { plan, tools, env, writer, ctx } = run;
  if (plan.format === 'plain') {
    const tableCount = dumped.rows?.size ?? 0;
    const rowCount = [...(dumped.rows?.values() ?? [])].reduce((a, b) => a + b, 0);
    if (!dumped.complete) throw new LifeboatError('verification', 'The plain dump stops before pg_dump\'s completion line.', 'Nothing was kept; run the backup again and look at the log.');
    return { checks: [{ name: 'dump complete', ok: true, detail: `The dump ends with pg_dump's completion line; ${tableCount} tables, ${rowCount} rows counted in its COPY data` }] };
  }
  const local = archivePathOf(writer.prefix, dumped.files, plan.format, destination);
  const listing = await listArchive(tools.pgRestore, env, local ? { path: local } : { destination, prefix: writer.prefix, file: dumped.files[0] }, ctx.signal);
  const summary = summariseListing(listing);
  return {
    checks: [{ name: 'pg_restore --list', ok: true, detail: `The archive parses: ${summary.entries} entries, ${summary.tableData} with table data` }],
    tableOids: listedTableOids(listing),
  };
}
