import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connection } from 'mysql2/promise';
import { listBackups } from '../../../core/catalog';
import type { ServerConnection } from '../../../core/connection';
import type { Destination } from '../../../core/destination';
import { LifeboatError, errorMessage } from '../../../core/errors';
import type { JobContext } from '../../../core/job';
import { runTool, type ToolRun } from '../../../core/processes';
import { createScratch } from '../../../core/scratch';
import type { ServerAccess } from '../../access';
import { connectMysql } from '../connect';
import { serverFlavour } from '../source';
import { explainMysqlTool } from '../toolErrors';
import { clientOptionFile, defaultsArg, mysqlToolEnv } from '../toolEnv';
import { binlogToolOf, findMysqlTools } from '../tools';
import { inSequence, listBinlogs, parseBinlogName, pushBinlog } from './binlogArchive';
import { isDumpBase } from './binlogWindow';

/**
 * Continuous capture of a MariaDB server's binary logs into the connection's archive:
 * `mariadb-binlog --read-from-remote-server --raw --stop-never` copies each file as the server
 * writes it, and every file the server has finished (the next one has begun) is pushed,
 * compressed and checksummed, to every destination, then removed here. It starts at the newest
 * file already archived, else at the one the newest full dump recorded.
 *
 * mariadb-binlog ends when its connection does (a killed dump thread, a server restart, a
 * network break), and nothing restarts it by itself: this supervisor does, from the file it was
 * copying, with a growing pause between attempts. A file is closed by the server only when it
 * reaches max_binlog_size, so, like PostgreSQL's archive_timeout, the capture asks the server to
 * start a new one (FLUSH BINARY LOGS, which needs RELOAD) when the open one has changes older
 * than `rotateEveryMs`: that bounds how much a lost server can take with it (the RPO).
 */
export interface CaptureOptions {
  connection: ServerConnection;
  access: ServerAccess;
  /** Where the files go: the backup folder first, then any --copy-to. */
  destinations: Destination[];
  /** At most this long before a file with changes is closed and archived; 0: never ask. */
  rotateEveryMs: number;
  pollMs?: number;
  /** Each file archived. */
  onArchived?: (name: string) => void;
  /** Each restart of mariadb-binlog after it ended, with why. */
  onReconnect?: (why: string) => void;
}

const MAX_BACKOFF_MS = 30_000;

/** Runs until ctx.signal is aborted (then resolves after archiving what is complete), or fails on what a restart cannot mend. */
export async function captureBinlogs(options: CaptureOptions, ctx: JobContext): Promise<void> {
  const { connection, access, destinations } = options;
  const pollMs = options.pollMs ?? 1_000;
  const scratch = await createScratch(ctx.scratchParent);
  const workDir = scratch.file('binlog');
  await fs.promises.mkdir(workDir, { mode: 0o700 });
  let admin: Connection | undefined;
  try {
    admin = await connectMysql(connection, access.password);
    const check = await checkServer(admin, connection);
    const tools = await findMysqlTools('MariaDB', check.version, { binDir: access.mysqlBinDir });
    const binlogTool = binlogToolOf(tools);
    const optionFile = await clientOptionFile(connection, access.password, 'MariaDB', scratch);
    let start = await startFile(connection, destinations[0], ctx);
    if (!check.files.includes(start)) {
      throw new LifeboatError('not-found', `The server no longer has ${start}, where the capture must start (its oldest is ${check.files[0] ?? 'none'}), so the archive would have a gap.`,
        'Make a new full backup (it records where to start), then start the capture again.');
    }
    ctx.logger.info(`Capturing the binary logs of ${connection.name} from ${start} with ${binlogTool} ${tools.version}${options.rotateEveryMs > 0 ? `; a file with changes is closed after ${Math.round(options.rotateEveryMs / 1000)} s` : ''}`);
    let backoffMs = 1_000;
    let rotateRefused = false;
    let lastRotate = Date.now();
    const firstSize = new Map<string, number>();
    while (!ctx.signal?.aborted) {
      const run: ToolRun = runTool({
        label: `mariadb-binlog capture of ${connection.name}`, command: binlogTool, env: mysqlToolEnv(), cwd: workDir, signal: ctx.signal,
        args: [defaultsArg(optionFile), '--read-from-remote-server', '--raw', '--stop-never', `--result-file=${workDir}/`, start],
        explain: explainMysqlTool('The binary-log capture', connection, connection.database),
      });
      let ended: unknown;
      let exited = false;
      run.done.then(() => { exited = true; }, (error: unknown) => { ended = error; exited = true; });
      const connectedAt = Date.now();
      while (!exited && !ctx.signal?.aborted) {
        await sleep(pollMs, ctx.signal);
        start = await archiveFinished(workDir, start, options, ctx) ?? start;
        // A file's size when first seen here: grown since, it holds changes waiting to be archived.
        const size = fileSize(path.join(workDir, start));
        if (!firstSize.has(start)) firstSize.set(start, size);
        if (options.rotateEveryMs > 0 && !rotateRefused && Date.now() - lastRotate >= options.rotateEveryMs) {
          lastRotate = Date.now();
          if (size > firstSize.get(start)!) {
            try {
              await admin.query('FLUSH BINARY LOGS');
            } catch (error) {
              rotateRefused = true;
              ctx.logger.warn(`The server refused FLUSH BINARY LOGS (${errorMessage(error)}): files are archived only when the server closes them (max_binlog_size). Grant RELOAD to "${connection.user}" to bound how long changes wait.`);
            }
          }
        }
      }
      await run.done.catch(() => undefined);
      start = await archiveFinished(workDir, start, options, ctx) ?? start;
      if (ctx.signal?.aborted) break;
      if (ended instanceof LifeboatError && ended.code === 'connection' && /privilege|log in/.test(ended.message)) throw ended;
      if (/Could not find first log file/i.test(errorMessage(ended))) {
        throw new LifeboatError('not-found', `The server no longer has ${start}, which the capture was copying (it was purged), so the archive has a gap after it.`, 'Make a new full backup (it records where to start), then start the capture again; keep binary logs on the server longer (binlog_expire_logs_seconds).', { cause: ended });
      }
      const why = ended ? errorMessage(ended) : 'mariadb-binlog ended';
      if (Date.now() - connectedAt > 60_000) backoffMs = 1_000;
      ctx.logger.warn(`The binary-log capture of ${connection.name} stopped (${why}); reconnecting from ${start} in ${Math.round(backoffMs / 1000)} s.`);
      options.onReconnect?.(why);
      await sleep(backoffMs, ctx.signal);
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    }
  } catch (error) {
    if (ctx.signal?.aborted && !(error instanceof LifeboatError && error.code !== 'cancelled')) return;
    throw error;
  } finally {
    await admin?.end().catch(() => undefined);
    await scratch.dispose();
  }
}

/** Pushes every file older than the newest, in order, and removes it here; returns the newest (where a restart begins). */
async function archiveFinished(workDir: string, current: string, options: CaptureOptions, ctx: JobContext): Promise<string | undefined> {
  const names = inSequence(await fs.promises.readdir(workDir));
  if (names.length === 0) return current;
  for (const name of names.slice(0, -1)) {
    const result = await pushBinlog(options.connection.id, name, path.join(workDir, name), options.destinations, ctx.signal);
    ctx.logger.info(`Archived ${name} (${result.outcomes.map(o => `${o.location}: ${o.outcome}`).join(', ')})`);
    options.onArchived?.(name);
    await fs.promises.rm(path.join(workDir, name), { force: true });
  }
  return names.at(-1);
}

/** Binary logging on, MariaDB, and the privileges the capture needs, each refusal saying which. */
async function checkServer(admin: Connection, connection: ServerConnection): Promise<{ version: string; files: string[] }> {
  const [[row]] = await admin.query<Row[]>('SELECT VERSION() AS version, @@version_comment AS comment, @@log_bin AS logBin');
  const { product, version } = serverFlavour(String(row.version), String(row.comment));
  if (product !== 'MariaDB') throw new LifeboatError('unsupported', `Binary-log capture of ${product} is not in this version of Lifeboat: its mysqlbinlog takes other options than MariaDB's mariadb-binlog.`, 'Capture with MySQL\'s own tools for now; MariaDB is supported.');
  if (Number(row.logBin) !== 1) throw new LifeboatError('unsupported', `Binary logging is off on ${connection.name}, so there is nothing to capture.`, 'Start the server with log_bin (and server_id) set, then make a full backup.');
  let files: string[];
  try {
    const [rows] = await admin.query<Row[]>('SHOW BINARY LOGS');
    files = rows.map(r => String(r.Log_name));
  } catch (error) {
    throw new LifeboatError('connection', `"${connection.user}" may not list the binary logs (${errorMessage(error)}).`, `Grant it: GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO the user (and RELOAD, so the capture can close a file after a while). Mind that a user made for 127.0.0.1 logs in as @localhost unless the server runs with skip-name-resolve.`, { cause: error });
  }
  const [grants] = await admin.query<Row[]>('SHOW GRANTS');
  const text = grants.map(g => String(Object.values(g)[0])).join('\n');
  if (!/ALL PRIVILEGES ON \*\.\*|REPLICATION SLAVE|REPLICATION REPLICA/i.test(text)) {
    throw new LifeboatError('connection', `"${connection.user}" lacks the REPLICATION SLAVE privilege, which reading the binary logs from the server needs.`, 'Grant it: GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO the user.');
  }
  return { version, files };
}

/** The newest archived file (it is captured again whole: the same content is a no-op), else the newest dump's. */
async function startFile(connection: ServerConnection, destination: Destination, ctx: JobContext): Promise<string> {
  const archived = inSequence((await listBinlogs(destination, connection.id)).keys());
  const newest = archived.at(-1);
  if (newest) return newest;
  const dump = (await listBackups(destination, { connectionId: connection.id, logger: ctx.logger })).entries.find(isDumpBase);
  if (!dump) throw new LifeboatError('not-found', `There is no full backup of ${connection.name} with a binary-log position, and nothing archived yet: the capture would not know where to start.`, 'Make a full backup first (with the binary log on), then start the capture.');
  // From a manifest, which anyone with the folder can edit: a binary log's name, never an option.
  const file = String(dump.manifest.consistency.binlogFile);
  if (!parseBinlogName(file)) throw new LifeboatError('verification', `Backup ${dump.manifest.id} names ${JSON.stringify(file.slice(0, 80))} as its binary log, which is not a binary log's name.`, 'Its manifest may have been edited; make a new full backup, then start the capture.');
  return file;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

type Row = import('mysql2/promise').RowDataPacket;
