import * as fs from 'node:fs';
import * as path from 'node:path';
import { listBackups } from '../../../core/catalog';
import type { ServerConnection } from '../../../core/connection';
import { CancelledError, LifeboatError, isCancelled } from '../../../core/errors';
import { formatDuration } from '../../../core/format';
import { elapsedMs, type JobContext } from '../../../core/job';
import type { LocalAccount } from '../../../core/localAccount';
import { runTool } from '../../../core/processes';
import { PhasedProgress } from '../../../core/progress';
import { keepSandboxLog, makeSandboxFolder, sweepAbandonedSandboxes, writeSandboxState } from '../../../core/sandboxFolder';
import { createScratch } from '../../../core/scratch';
import type { ServerAccess } from '../../access';
import { restoreMysqlBackup } from '../restore';
import { explainMysqlTool } from '../toolErrors';
import { clientOptionFile, defaultsArg, mysqlToolEnv } from '../toolEnv';
import { binlogToolOf, findMysqlTools, type MysqlTools } from '../tools';
import { fetchBinlog, listBinlogs } from './binlogArchive';
import { chooseBinlogStretch, filesToReplay } from './binlogChoice';
import { readBinlogTransactions, type BinlogTransaction } from './binlogEvents';
import { binlogDatetime, describeBinlogTarget, stopSecond, type BinlogTarget } from './binlogTarget';
import { planBinlogWindow, type BinlogStretch, type BinlogWindow } from './binlogWindow';
import { findMariadbServer, mariadbSandboxLayout, mariadbStopCommand, sandboxConnection, startMariadbSandbox, stopMariadbSandbox } from './mariadbSandbox';

/**
 * Point-in-time recovery of a MariaDB database into a sandbox server, never into production: the
 * newest full dump before the target is loaded into a new mariadbd (mariadbSandbox.ts), then the
 * archived binary logs from the dump's position are replayed into it with mariadb-binlog, up to
 * the target. No --rewrite-db: the sandbox is its own server, so the database keeps its name and
 * a qualified statement (`UPDATE app.t …`, logged as a statement under MIXED) can only reach the
 * sandbox's copy (measured: with --rewrite-db into production's server it changed production).
 */
export interface MariadbSandboxRequest {
  connection: ServerConnection;
  access: ServerAccess;
  target: BinlogTarget;
  sandboxRoot: string;
  serverBinDir?: string;
  account?: LocalAccount;
}

export interface MariadbSandbox {
  engine: 'mysql';
  dir: string;
  dataDir: string;
  logFile: string;
  socket: string;
  connection: ServerConnection;
  serverVersion: string;
  base: string;
  target: string;
  replayed: { files: string[]; from: string; to: string };
  /** Statements naming the database under another default database: not replayed (binlogEvents.ts). */
  leftOut: { gtid: string; time: string; statement: string }[];
  measured: {
    rtoMs: number;
    loadMs: number;
    replayMs: number;
    /** The last transaction replayed: the recovery point achieved. */
    recoveryPoint: { time: string | null; gtid: string | null; position: string | null };
    transactionsReplayed: number;
  };
  stopCommand: string[];
}

/** The window of a connection, with the last transaction of each stretch read from its last archived file. */
export async function mariadbWindow(connection: ServerConnection, access: ServerAccess, ctx: JobContext): Promise<BinlogWindow> {
  const window = await planMariadbWindow(connection, ctx);
  if (window.stretches.length > 0) await readStretchEnds(window, connection, binlogToolOf(await mysqlToolsFor(window.stretches[0], access)), ctx);
  return window;
}

/** The stretches from the catalog and the archive's listing alone (their ends not read yet). */
async function planMariadbWindow(connection: ServerConnection, ctx: JobContext): Promise<BinlogWindow> {
  return planBinlogWindow((await listBackups(ctx.destination, { connectionId: connection.id, logger: ctx.logger })).entries, await listBinlogs(ctx.destination, connection.id));
}

/** Each stretch's last transaction, read from its last archived file that holds one. */
async function readStretchEnds(window: BinlogWindow, connection: ServerConnection, tool: string, ctx: JobContext): Promise<void> {
  const destination = ctx.destination;
  const scratch = await createScratch(ctx.scratchParent);
  try {
    const lastOf = new Map<string, BinlogTransaction | undefined>();
    for (const stretch of window.stretches) {
      // A file ends in the transactions of the files before it when it holds none of its own.
      for (let i = stretch.files.length - 1; i >= 0 && !stretch.last; i--) {
        const file = stretch.files[i];
        if (!lastOf.has(file.name)) {
          const local = scratch.file(file.name);
          await fetchBinlog(connection.id, file.name, local, [destination], ctx.signal);
          lastOf.set(file.name, (await readBinlogTransactions(tool, [local], ctx.signal)).at(-1));
          await fs.promises.rm(local, { force: true });
        }
        const last = lastOf.get(file.name);
        if (last && (i > 0 || last.position >= stretch.base.position)) stretch.last = last;
      }
    }
  } finally {
    await scratch.dispose();
  }
}

export async function recoverMariadbToSandbox(request: MariadbSandboxRequest, ctx: JobContext): Promise<MariadbSandbox> {
  const started = performance.now();
  const progress = new PhasedProgress({ plan: 1, load: 6, replay: 6 }, ctx.onProgress);
  const { connection, target, account } = request;
  progress.report('plan', 0, `Reading the backups and archived binary logs of ${connection.name}`);
  await sweepAbandonedSandboxes(request.sandboxRoot, ctx);
  const window = await planMariadbWindow(connection, ctx);
  if (window.stretches.length === 0) chooseBinlogStretch(window, target);
  const clientTools = await mysqlToolsFor(window.stretches[0], request.access);
  const binlogTool = binlogToolOf(clientTools);
  await readStretchEnds(window, connection, binlogTool, ctx);
  const stretch = chooseBinlogStretch(window, target);
  const serverTools = await findMariadbServer(stretch.base.entry.manifest.server.version, request.serverBinDir);
  const layout = mariadbSandboxLayout(await makeSandboxFolder(request.sandboxRoot, connection.id, account, 'sandboxFolder in the config file', mariadbSandboxLayout));
  await writeSandboxState(layout.dir, { state: 'recovering', pid: process.pid, connection: connection.id, engine: 'mysql', serverPidFile: 'mariadbd.pid', stopSignal: 'SIGKILL' });
  try {
    const files = filesToReplay(stretch, target);
    ctx.logger.info(`Recovering ${connection.database} of ${connection.name} to ${describeBinlogTarget(target)}: backup ${stretch.base.id}, then ${files.length} archived binary log(s) from ${stretch.base.file}:${stretch.base.position}, in a sandbox MariaDB ${serverTools.version} in ${layout.dir}`);
    progress.report('plan', 0.5, `Fetching ${files.length} archived binary log(s)`);
    await fs.promises.mkdir(layout.binlogDir, { mode: 0o700 });
    for (const file of files) await fetchBinlog(connection.id, file.name, path.join(layout.binlogDir, file.name), [ctx.destination], ctx.signal);
    const local = files.map(f => path.join(layout.binlogDir, f.name));
    const transactions = inRange(await readBinlogTransactions(binlogTool, local, ctx.signal, connection.database), stretch, target);
    const leftOut = transactions.filter(t => t.foreignStatement).map(t => ({ gtid: t.gtid, time: t.time.toISOString(), statement: t.foreignStatement! }));
    for (const t of leftOut) ctx.logger.warn(`Transaction ${t.gtid} (${t.time}) names ${connection.database} in a statement logged under another default database; the replay, kept to ${connection.database}, leaves it out: ${t.statement}`);

    progress.report('load', 0, 'Starting the sandbox server');
    await startMariadbSandbox(serverTools, layout, account, ctx.signal);
    const sandbox = sandboxConnection(layout, connection.database, `${connection.id}-sandbox`, `${connection.name} (recovered to ${describeBinlogTarget(target)})`);
    const loadStarted = performance.now();
    await restoreMysqlBackup(stretch.base.entry, { server: { ...sandbox, database: 'mysql' }, access: { mysqlBinDir: clientTools.dir }, database: connection.database }, {
      ...ctx, onProgress: p => progress.report('load', p.fraction ?? 0, p.message ?? `Loading backup ${stretch.base.id}`),
    });
    const loadMs = elapsedMs(loadStarted);

    progress.report('replay', 0, `Replaying ${transactions.length} transaction(s) from the binary logs`);
    const replayStarted = performance.now();
    await replay(clientTools, binlogTool, local, stretch, target, sandbox, ctx);
    const replayMs = elapsedMs(replayStarted);
    await fs.promises.rm(layout.binlogDir, { recursive: true, force: true });
    const last = transactions.at(-1);
    progress.report('replay', 1, `Recovered in ${formatDuration(elapsedMs(started))}`);
    const result: MariadbSandbox = {
      engine: 'mysql', dir: layout.dir, dataDir: layout.dataDir, logFile: layout.logFile, socket: layout.socket, connection: sandbox, serverVersion: serverTools.version,
      base: stretch.base.id, target: describeBinlogTarget(target),
      leftOut,
      replayed: { files: files.map(f => f.name), from: `${stretch.base.file}:${stretch.base.position}`, to: target.kind === 'position' ? `${target.file}:${target.position}` : target.kind === 'time' ? `${binlogDatetime(stopSecond(target.at))} UTC` : 'the end' },
      measured: {
        rtoMs: elapsedMs(started), loadMs, replayMs,
        recoveryPoint: last ? { time: last.time.toISOString(), gtid: last.gtid, position: `${last.file}:${last.end}` } : { time: null, gtid: stretch.base.gtid, position: `${stretch.base.file}:${stretch.base.position}` },
        transactionsReplayed: transactions.length,
      },
      stopCommand: mariadbStopCommand(serverTools, layout),
    };
    await writeSandboxState(layout.dir, { state: 'ready', connection: connection.id, engine: 'mysql', sandbox: result });
    return result;
  } catch (error) {
    const kept = await keepSandboxLog(layout.logFile, ctx);
    await stopMariadbSandbox(layout, 5_000).catch(() => undefined);
    await fs.promises.rm(layout.dir, { recursive: true, force: true });
    if (ctx.signal?.aborted || isCancelled(error)) throw new CancelledError('The recovery');
    if (kept && error instanceof LifeboatError) throw new LifeboatError(error.code, error.message, `${error.hint ? `${error.hint} ` : ''}The sandbox server's log is kept in ${kept}.`, { cause: error.cause });
    throw error;
  }
}

/** The transactions the replay applies: after the dump's position, before the target. */
function inRange(all: BinlogTransaction[], stretch: BinlogStretch, target: BinlogTarget): BinlogTransaction[] {
  return all.filter(t => {
    if (t.file === stretch.base.file && t.position < stretch.base.position) return false;
    if (target.kind === 'time') return t.time.getTime() < stopSecond(target.at).getTime();
    if (target.kind === 'position' && t.file === target.file) return t.position < target.position;
    return true;
  });
}

/**
 * mariadb-binlog (TZ=UTC: --stop-datetime is read in the client's zone and takes no offset)
 * piped into the sandbox's client. --database keeps the replay to the recovered database: the
 * sandbox holds no other, and events of other databases (row events by their table, statements
 * by their default database, as replication filters do) are left out.
 */
async function replay(tools: MysqlTools, binlogTool: string, files: string[], stretch: BinlogStretch, target: BinlogTarget, sandbox: ServerConnection, ctx: JobContext): Promise<void> {
  const stop = target.kind === 'time' ? [`--stop-datetime=${binlogDatetime(stopSecond(target.at))}`] : target.kind === 'position' ? [`--stop-position=${target.position}`] : [];
  const scratch = await createScratch(ctx.scratchParent);
  try {
    const optionFile = await clientOptionFile(sandbox, undefined, 'MariaDB', scratch);
    const logFile = scratch.file('replay.log');
    const reader = runTool({
      label: 'mariadb-binlog', command: binlogTool, env: { ...mysqlToolEnv(), TZ: 'UTC' }, stdout: 'pipe', signal: ctx.signal, logFile,
      args: ['--no-defaults', `--start-position=${stretch.base.position}`, ...stop, `--database=${sandbox.database}`, ...files],
    });
    const client = runTool({
      label: 'the replay into the sandbox', command: tools.client, env: mysqlToolEnv(), stdin: reader.child.stdout!, stdout: 'ignore', signal: ctx.signal, logFile,
      args: [defaultsArg(optionFile), '--binary-mode', '--default-character-set=utf8mb4'],
      explain: tail => {
        const explained = explainMysqlTool('The replay', sandbox, sandbox.database)(tail);
        const line = /^ERROR (\d+) \(([0-9A-Z]{5})\) at line (\d+)[^:]*: (.*)$/m.exec(tail.join('\n'));
        return line ? new LifeboatError('io', `The replay of the binary logs stopped: the sandbox refused a statement (${line[4]}, error ${line[1]}).`,
          'The database was recovered only up to that statement, so the sandbox is removed. A statement of another database run with this one as its default database can cause this; choose a target before it.') : explained;
      },
    });
    await Promise.all([reader.done, client.done]);
  } finally {
    await scratch.dispose();
  }
}

async function mysqlToolsFor(stretch: BinlogStretch, access: ServerAccess): Promise<MysqlTools> {
  const { server } = stretch.base.entry.manifest;
  if (server.product !== 'MariaDB') {
    throw new LifeboatError('unsupported', `Point-in-time recovery of ${server.product} is not in this version of Lifeboat: its mysqlbinlog takes other options than MariaDB's mariadb-binlog.`, 'Recover MySQL with its own tools for now; MariaDB is supported.');
  }
  return findMysqlTools('MariaDB', server.version, { binDir: access.mysqlBinDir });
}


