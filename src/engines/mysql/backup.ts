import type { BackupWriter, MadeBackup } from '../../core/backupWriter';
import { CODEC_SUFFIX, defaultLevel } from '../../core/codec';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError, throwIfAborted } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { elapsedMs, linkedController, type JobContext } from '../../core/job';
import type { Codec } from '../../core/manifest';
import { runTool, settleToolIntoStore } from '../../core/processes';
import type { ServerAccess } from '../access';
import { keepLogNamedBy, startDump } from '../dumpLog';
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
 * run-ahead, compress-and-hash pass into every destination (the backup writer). The stream is read on
 * the way for the binary-log position, rows per table and the completion line; the manifest is
 * written only when the tool exited 0, its completion line is there and no error line was
 * printed. Any failure or Cancel kills the tool's process group, and the writer removes what was stored.
 */
export async function makeMysqlBackup(connection: ServerConnection, access: ServerAccess, options: MysqlBackupOptions, writer: BackupWriter, ctx: JobContext): Promise<MadeBackup> {
  const { started, progress, scratch, logFile } = await startDump(writer, ctx, { prepare: 1, dump: 30, finish: 1 }, 'dump.log');
  let source: MysqlSource | undefined;
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

    // The backup is marked in progress before the tool starts writing (backupWriter.ts).
    await writer.open();
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
    const name = `${MYSQL_PAYLOAD}${CODEC_SUFFIX[options.codec]}`;
    const storing = writer.storeStream(name, run.child.stdout!, { codec: options.codec, level, observers: [scanner], contentHash: false, what: 'read the dump tool\'s output', signal: work.signal });
    await settleToolIntoStore(storing, run.done, work, ctx.signal, 'The backup');
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
    progress.report('finish', 1, 'Dump stored and checked');
    return {
      parts: {
        kind: 'mysql-dump-sql',
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
        timings: { inspectMs, dumpMs },
        checks: [
          { name: 'dump complete', ok: true, detail: `The tool exited 0 and the dump ends with its completion line; ${scanner.tables.size} tables and views, ${rowCount} rows counted` },
          ...(scanner.binlogFile ? [{ name: 'binlog position', ok: true, detail: `${scanner.binlogFile}:${scanner.binlogPosition}${scanner.gtid ? `, GTID ${scanner.gtid}` : ''}` }] : []),
        ],
      },
    };
  } catch (error) {
    work.abort();
    throw await keepLogNamedBy(error, logFile, ctx, `backup-${writer.id}`);
  } finally {
    dispose();
    await source?.close();
  }
}
