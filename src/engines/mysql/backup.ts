import { backupPrefix, newBackupId } from '../../core/backupId';
import { beginBackup, commitBackup, removeBackupFiles, type CatalogEntry } from '../../core/catalog';
import { CODEC_SUFFIX, defaultLevel } from '../../core/codec';
import type { ServerConnection } from '../../core/connection';
import { CancelledError, LifeboatError, isCancelled, throwIfAborted } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { elapsedMs, linkedController, type JobContext } from '../../core/job';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Codec, type Manifest } from '../../core/manifest';
import { runTool, settleToolIntoStore } from '../../core/processes';
import { PhasedProgress } from '../../core/progress';
import { createScratch } from '../../core/scratch';
import { storeStream } from '../../core/storePipeline';
import { LIFEBOAT_TOOL } from '../../core/version';
import type { ServerAccess } from '../access';
import { keepLogNamedBy } from '../dumpLog';
import { dumpArgs, type MysqlDumpOptions } from './dumpArgs';
import { DumpProgress } from './dumpProgress';
import { MysqlDumpScanner } from './dumpScanner';
import { openMysqlSource, type MysqlSource } from './source';
import { explainMysqlTool } from './toolErrors';
import { clientOptionFile, defaultsArg, mysqlToolEnv } from './toolEnv';
import { findMysqlTools } from './tools';

export interface MysqlBackupOptions extends MysqlDumpOptions {
  codec: Codec;
  level?: number;
}

export const MYSQL_PAYLOAD = 'database.sql';

/**
 * mariadb-dump / mysqldump in one consistent snapshot, its SQL streamed through Lifeboat's
 * run-ahead, compress-and-hash pipeline into the destination in one pass. The stream is read on
 * the way for the binary-log position, rows per table and the completion line; the manifest is
 * written only when the tool exited 0, its completion line is there and no error line was
 * printed. Any failure or Cancel kills the tool's process group and removes what was stored.
 */
export async function backupMysql(connection: ServerConnection, access: ServerAccess, options: MysqlBackupOptions, ctx: JobContext): Promise<CatalogEntry> {
  const started = performance.now();
  const startedAt = new Date();
  const id = newBackupId(startedAt);
  const prefix = backupPrefix(connection.id, id);
  const progress = new PhasedProgress({ prepare: 1, dump: 30, finish: 1 }, ctx.onProgress);
  const scratch = await createScratch(ctx.scratchParent);
  let source: MysqlSource | undefined;
  let stored = false;
  const logFile = scratch.file('dump.log');
  const { controller: work, dispose } = linkedController(ctx.signal);
  try {
    progress.report('prepare', 0, `Connecting to ${connection.host}:${connection.port}`);
    source = await openMysqlSource(connection, access.password);
    const tools = await findMysqlTools(source.product, source.version, { binDir: access.mysqlBinDir });
    const args = dumpArgs(tools, connection.database, source.binlog, options);
    const optionFile = await clientOptionFile(connection, access.password, tools.flavour, scratch);
    // Not held open through the dump: the tool has its own session.
    await source.close();
    throwIfAborted(ctx.signal, 'The backup');
    const level = options.codec === 'none' ? undefined : options.level ?? defaultLevel(options.codec);
    const inspectMs = elapsedMs(started);
    const tables = source.tables;
    const dataBytes = tables.reduce((n, t) => n + t.bytes, 0);
    ctx.logger.info(`Backing up ${connection.database} on ${connection.host}:${connection.port} (${source.product} ${source.version}, ${tables.length} tables and views, ${formatBytes(dataBytes)}) with ${tools.dump} ${tools.version}: ${args.join(' ')}; compressed by Lifeboat with ${options.codec}${level !== undefined ? ` ${level}` : ''}`);
    const notInnoDb = tables.filter(t => !t.view && t.engine !== null && t.engine !== 'InnoDB');
    if (notInnoDb.length > 0) {
      ctx.logger.warn(`${notInnoDb.length} table(s) are not InnoDB (${notInnoDb.slice(0, 5).map(t => `${t.name}: ${t.engine}`).join(', ')}): --single-transaction does not make their copy consistent with the rest.`);
    }

    const marker = await beginBackup(ctx.destination, prefix);
    stored = true;
    const dumpStarted = performance.now();
    const scanner = new MysqlDumpScanner();
    const tracker = new DumpProgress(tables.filter(t => !t.view && (!options.tables?.length || options.tables.includes(t.name))));
    const run = runTool({
      label: `${tools.flavour === 'MariaDB' ? 'mariadb-dump' : 'mysqldump'} of ${connection.database}`, command: tools.dump,
      args: [defaultsArg(optionFile), ...args], env: mysqlToolEnv(), stdout: 'pipe', signal: work.signal,
      logFile, explain: explainMysqlTool('The dump', connection, connection.database, logFile),
      onStderrLine: line => {
        ctx.logger.debug(line);
        if (tracker.take(line)) progress.report('dump', tracker.fraction, tracker.message);
      },
    });
    const storing = storeStream({
      source: run.child.stdout!, destination: ctx.destination, key: `${prefix}/${MYSQL_PAYLOAD}${CODEC_SUFFIX[options.codec]}`, name: `${MYSQL_PAYLOAD}${CODEC_SUFFIX[options.codec]}`,
      codec: options.codec, level, signal: work.signal, observers: [scanner], what: 'read the dump tool\'s output',
    });
    const file = await settleToolIntoStore(storing, run.done, work, ctx.signal, 'The backup');
    const dumpMs = elapsedMs(dumpStarted);

    progress.report('finish', 0, 'Checking the dump');
    const errorLine = run.stderrTail().find(line => /^(?:mariadb-dump|mysqldump): (?:Got error|Couldn't|Error)/.test(line));
    if (!scanner.complete || errorLine) {
      throw new LifeboatError('verification', `The dump ${errorLine ? `reported an error: ${errorLine}` : 'stops before its completion line'}.`, 'Nothing was kept; run the backup again and look at the log.');
    }
    if (source.binlog.on && scanner.binlogFile === null) {
      throw new LifeboatError('verification', 'Binary logging is on, but the dump holds no binary-log position.', 'Nothing was kept: a backup without it cannot start a point-in-time recovery. Run it again; if it persists, report it.');
    }
    const rowCount = [...scanner.rows.values()].reduce<number>((a, b) => a + (b ?? 0), 0);
    const bySource = new Map(tables.map(t => [t.name, t]));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      id,
      connection: { id: connection.id, name: connection.name, engine: 'mysql', source: `${connection.host}:${connection.port}/${connection.database}` },
      engine: 'mysql',
      kind: 'mysql-dump-sql',
      startedAt: startedAt.toISOString(),
      completedAt: new Date().toISOString(),
      server: { product: source.product, version: source.version },
      tool: { name: tools.flavour === 'MariaDB' ? 'mariadb-dump' : 'mysqldump', version: tools.version },
      options: {
        codec: options.codec, ...(level !== undefined ? { level } : {}),
        ...(options.tables?.length ? { tables: options.tables } : {}), ...(options.excludeTables?.length ? { excludeTables: options.excludeTables } : {}),
        ...(options.schemaOnly ? { schemaOnly: true } : {}), ...(options.dataOnly ? { dataOnly: true } : {}),
        toolArgs: args, toolDir: tools.dir,
      },
      consistency: {
        binlogEnabled: source.binlog.on,
        binlogFile: scanner.binlogFile,
        binlogPosition: scanner.binlogPosition,
        gtid: scanner.gtid ?? source.binlog.gtid,
        singleTransaction: true,
        nonInnodbTables: notInnoDb.length,
        charset: source.charset,
        collation: source.collation,
        databaseBytes: dataBytes,
        views: [...scanner.tables.values()].filter(t => t.view).length,
      },
      // Tables only: views hold no rows of their own.
      tables: [...scanner.tables].filter(([, { view }]) => !view).map(([name]) => ({
        name, table: name, rows: scanner.rows.get(name) ?? (options.schemaOnly ? 0 : null),
        estimatedRows: bySource.get(name)?.estimatedRows ?? null, bytes: bySource.get(name)?.bytes ?? 0,
      })),
      files: [file],
      timings: { inspectMs, dumpMs, totalMs: elapsedMs(started) },
      verifications: [{
        at: new Date().toISOString(), kind: 'at-backup', ok: true, durationMs: 0,
        checks: [
          { name: 'dump complete', ok: true, detail: `The tool exited 0 and the dump ends with its completion line; ${scanner.tables.size} tables and views, ${rowCount} rows counted` },
          ...(scanner.binlogFile ? [{ name: 'binlog position', ok: true, detail: `${scanner.binlogFile}:${scanner.binlogPosition}${scanner.gtid ? `, GTID ${scanner.gtid}` : ''}` }] : []),
          { name: 'sha256', ok: true, detail: 'SHA-256 of 1 file computed from the bytes written' },
        ],
        by: LIFEBOAT_TOOL,
      }],
      parent: null,
      encryption: null,
      createdBy: LIFEBOAT_TOOL,
    };
    await commitBackup(ctx.destination, prefix, marker, manifest);
    progress.report('finish', 1, `Backup ${id} stored`);
    ctx.logger.info(`Backup ${id} complete: ${formatBytes(file.size)} (${formatBytes(file.contentSize)} of SQL), ${rowCount} rows, ${manifest.timings.totalMs} ms`);
    return { prefix, manifest };
  } catch (error) {
    work.abort();
    if (stored) await removeBackupFiles(ctx.destination, prefix).catch(e => ctx.logger.warn(`Could not remove the partial backup ${prefix}: ${(e as Error).message}`));
    throw ctx.signal?.aborted || isCancelled(error) ? new CancelledError('The backup') : await keepLogNamedBy(error, logFile, ctx, `backup-${id}`);
  } finally {
    dispose();
    await source?.close();
    await scratch.dispose();
  }
}
