import * as fs from 'node:fs';
import * as path from 'node:path';
import { listBackups, type CatalogEntry } from '../../../core/catalog';
import type { ServerConnection } from '../../../core/connection';
import type { Destination } from '../../../core/destination';
import { CancelledError, LifeboatError, isCancelled } from '../../../core/errors';
import { formatBytes, formatDuration } from '../../../core/format';
import { freePort } from '../../../core/freePort';
import { elapsedMs, linkedController, type JobContext } from '../../../core/job';
import type { LocalAccount } from '../../../core/localAccount';
import { PhasedProgress } from '../../../core/progress';
import { freeBytes } from '../../../core/scratch';
import { keepSandboxLog, makeSandboxFolder, own, sweepAbandonedSandboxes, writeSandboxState } from '../../../core/sandboxFolder';
import { baseChain, unpackChain } from './baseChain';
import { chooseStretch } from './baseChoice';
import { describeTarget, targetSettings, type RecoveryTarget } from './recoveryTarget';
import { describeStretch, planWindow, type DescribedStretch, type RecoveryWindow, type Stretch } from './recoveryWindow';
import { configureSandbox, sandboxLayout, sandboxSettings, type SandboxLayout } from './sandboxConfig';
import { startSandbox, stopSandbox, waitForPromotion } from './sandboxServer';
import { findServerTools, type ServerTools } from './serverTools';
import { listWal } from './walArchive';
import { parseLsn } from './walNames';
import { scanWal } from './walScan';
import { scanStretchEnds, stageSegment } from './windowScan';

/**
 * Point-in-time recovery of a PostgreSQL connection into a sandbox, never over production: a new
 * data folder (0700) on a free port, with server binaries of the backup's major version, run as
 * an unprivileged account when Lifeboat is root (pg_ctl refuses root). The newest base backup
 * whose end is before the target is unpacked (every file checked against its backup_manifest),
 * the archived WAL it needs is staged beside it (each file checked against its SHA-256), the
 * server recovers to the target, promotes, and is left running for the user to inspect and to
 * compare with production. What it achieved is measured: the time from start to promoted (this
 * recovery's RTO), the last transaction replayed and its LSN, the WAL bytes replayed.
 */
export interface SandboxRequest {
  /** The production connection, whose backups and archive these are. */
  connection: ServerConnection;
  target: RecoveryTarget;
  /** Where sandboxes are made: one folder per recovery inside. */
  sandboxRoot: string;
  serverBinDir?: string;
  /** The account the server runs as, when Lifeboat runs as root (core/localAccount.ts). */
  account?: LocalAccount;
  port?: number;
}

export interface Sandbox {
  dir: string;
  dataDir: string;
  logFile: string;
  port: number;
  /** How to connect: over its socket folder, as the production connection's user. */
  connection: ServerConnection;
  serverVersion: string;
  base: string;
  target: string;
  stretch: DescribedStretch;
  measured: {
    /** Start of the request to the server promoted: the recovery time this drill gives. */
    rtoMs: number;
    unpackMs: number;
    replayMs: number;
    /** The last transaction replayed: the recovery point achieved. */
    recoveryPoint: { time: string | null; lsn: string | null };
    walBytesReplayed: number | null;
    segmentsStaged: number;
  };
  /** pg_ctl stop for people: how to end it. */
  stopCommand: string[];
}

export async function recoverToSandbox(request: SandboxRequest, ctx: JobContext): Promise<Sandbox> {
  const started = performance.now();
  const progress = new PhasedProgress({ plan: 1, unpack: 6, replay: 6, finish: 0.5 }, ctx.onProgress);
  const { connection, target, account } = request;
  const destination = ctx.destination;
  progress.report('plan', 0, `Reading the backups and archived WAL of ${connection.name}`);
  await sweepAbandonedSandboxes(request.sandboxRoot, ctx);
  const { entries } = await listBackups(destination, { connectionId: connection.id, logger: ctx.logger });
  const window = planWindow(entries, await listWal(destination, connection.id));
  if (window.stretches.length === 0) chooseStretch(window, target);
  const major = Number(window.stretches[0].base.entry.manifest.server.version.split('.')[0]);
  const tools = await findServerTools(major, request.serverBinDir);

  const layout = sandboxLayout(await makeSandboxFolder(request.sandboxRoot, connection.id, account, 'lifeboat.postgres.sandboxFolder', sandboxLayout));
  let serverStarted = false;
  try {
    await fs.promises.mkdir(layout.walDir, { mode: 0o700 });
    await fs.promises.mkdir(layout.dataDir, { mode: 0o700 });
    await own(layout.dataDir, account);
    await writeSandboxState(layout.dir, { state: 'recovering', pid: process.pid, connection: connection.id, serverPidFile: 'data/postmaster.pid', stopSignal: 'SIGQUIT' });

    progress.report('plan', 0.3, 'Reading the end of the archived WAL');
    await scanStretchEnds(window, destination, layout.walDir, tools.pgWaldump, ctx.signal);
    const position = target.kind === 'name' || target.kind === 'xid' ? await findInWal(window, target, destination, layout.walDir, tools, ctx.signal) : undefined;
    const stretch = chooseStretch(window, target, position);
    const described = describeStretch(stretch);
    const segments = stretchSegments(stretch, target, position);
    ctx.logger.info(`Recovering ${connection.name} to ${describeTarget(target)} from base backup ${stretch.base.id} and ${segments.length} archived WAL file(s), with PostgreSQL ${tools.version} in ${layout.dir}`);
    const chain = baseChain(stretch.base.entry, entries);
    await ensureRoom(layout, stretch, segments.length, chain);

    progress.report('unpack', 0, `Unpacking base backup ${stretch.base.id}`);
    const unpackStarted = performance.now();
    let staged = 0;
    // WAL is staged in the background while the backup unpacks and the server replays: the
    // server's restore_command waits for each file it needs (sandboxConfig.ts, fetchScript).
    await own(layout.walDir, account);
    for (const segment of segments) {
      if (!fs.existsSync(path.join(layout.walDir, segment.name))) await fs.promises.writeFile(path.join(layout.walDir, `${segment.name}.expected`), '');
    }
    const { controller: stagingControl, dispose: disposeStaging } = linkedController(ctx.signal);
    let stagingError: unknown;
    let unpacked: () => void = () => undefined;
    const unpackDone = new Promise<void>(resolve => { unpacked = resolve; });
    // Staging starts once the backup is unpacked, in three lanes beside the replaying server:
    // both hash on this process's thread, and measured on 1 GB + 1.3 GB of WAL (2 cores), two
    // lanes from the start made the unpack 2.5× slower and the recovery 25.4 s, one lane during the
    // unpack 15.8 s, none 12.8 s, three after it 11.4–12.3 s.
    const staging = stageAll(destination, layout.walDir, segments, stagingControl.signal, async segment => {
      staged++;
      await fs.promises.rm(path.join(layout.walDir, `${segment.name}.expected`), { force: true });
    }, account, [unpackDone, unpackDone, unpackDone]).catch(async (error: unknown) => {
      if (!stagingControl.signal.aborted) stagingError = error;
      await fs.promises.writeFile(path.join(layout.walDir, '.stopped'), '').catch(() => undefined);
      throw error;
    });
    staging.catch(() => undefined);
    try {
      await unpackChain({
        chain, destination, dir: layout.dir, dataDir: layout.dataDir, tools, ...(account ? { account } : {}), signal: ctx.signal, logger: ctx.logger,
        onProgress: (fraction, message) => progress.report('unpack', fraction, message),
      });
    } catch (error) {
      stagingControl.abort();
      throw error;
    } finally {
      unpacked();
    }
    const unpackMs = elapsedMs(unpackStarted);
    progress.report('unpack', 1, `Unpacked; ${staged} of ${segments.length} WAL file(s) staged so far`);

    const port = request.port ?? await freePort();
    await configureSandbox(layout, sandboxSettings(layout, port, targetSettings(target), major), account);
    const sandboxConnection: ServerConnection = { engine: 'postgres', id: `${connection.id}-sandbox`, name: `${connection.name} (recovered to ${describeTarget(target)})`, host: layout.dir, port, user: connection.user, database: connection.database };
    const replayStarted = performance.now();
    progress.report('replay', 0, 'Starting the sandbox server');
    await startSandbox(tools, layout, account);
    serverStarted = true;
    const from = stretch.base.startLsn;
    const to = target.kind === 'lsn' ? target.lsn : position ?? stretch.lastLsn ?? stretch.base.endLsn;
    let final;
    const { controller: watching, dispose: disposeWatching } = linkedController(ctx.signal);
    try {
      final = await Promise.race([
        waitForPromotion(layout, { ...sandboxConnection, database: 'template1' }, state => {
          const at = state.replayLsn ? parseLsn(state.replayLsn) : undefined;
          const fraction = at !== undefined && to > from ? Number(at - from) / Number(to - from) : 0;
          progress.report('replay', Math.min(0.99, fraction), state.inRecovery ? `Replaying WAL: ${state.replayLsn ?? 'starting'}${state.replayTime ? `, at ${state.replayTime.toISOString()}` : ''}` : 'Promoted');
        }, watching.signal),
        staging.then(() => new Promise<never>(() => undefined)),
      ]);
    } finally {
      // A staging failure wins the race: the watch on the server ends with it.
      watching.abort();
      disposeWatching();
      // Past the target, what is still being staged is not needed.
      stagingControl.abort();
      await staging.catch(() => undefined);
      disposeStaging();
    }
    // A file that could not be staged may have ended the replay early, the server taking it for
    // the end of the archive: the recovery is not what was asked for.
    if (stagingError) throw stagingError;
    await fs.promises.rm(layout.walDir, { recursive: true, force: true });
    const replayMs = elapsedMs(replayStarted);
    const replayed = final.replayLsn ? parseLsn(final.replayLsn) : undefined;
    progress.report('finish', 1, `Recovered and promoted in ${formatDuration(elapsedMs(started))}`);
    const sandbox: Sandbox = {
      dir: layout.dir, dataDir: layout.dataDir, logFile: layout.logFile, port, connection: sandboxConnection, serverVersion: tools.version,
      base: stretch.base.id, target: describeTarget(target), stretch: described,
      measured: {
        rtoMs: elapsedMs(started), unpackMs, replayMs,
        recoveryPoint: { time: final.replayTime?.toISOString() ?? null, lsn: final.replayLsn ?? null },
        walBytesReplayed: replayed !== undefined ? Number(replayed - from) : null,
        segmentsStaged: staged,
      },
      stopCommand: [tools.pgCtl, '-D', layout.dataDir, 'stop'],
    };
    await writeSandboxState(layout.dir, { state: 'ready', connection: connection.id, sandbox });
    return sandbox;
  } catch (error) {
    const kept = serverStarted ? await keepSandboxLog(layout.logFile, ctx) : undefined;
    await stopSandbox(tools, layout, account).catch(() => undefined);
    await fs.promises.rm(layout.dir, { recursive: true, force: true });
    if (ctx.signal?.aborted || isCancelled(error)) throw new CancelledError('The recovery');
    if (kept && error instanceof LifeboatError) throw new LifeboatError(error.code, error.message, `${(error.hint ?? '').split(layout.logFile).join(kept)}${error.hint?.includes(layout.logFile) ? '' : ` The server's log is kept in ${kept}.`}`.trim(), { cause: error.cause });
    throw error;
  }
}

/** The archived segments a recovery to `target` replays: to the one holding an LSN target, else to the end of the stretch. */
function stretchSegments(stretch: Stretch, target: RecoveryTarget, position?: bigint): Stretch['segments'] {
  const stop = target.kind === 'lsn' ? target.lsn : position;
  if (stop === undefined) return stretch.segments;
  const last = stop / BigInt(stretch.base.segmentBytes);
  // One more than the target's own segment: recovery reads the record after the target to stop.
  return stretch.segments.filter((_, i) => stretch.base.endSegno + BigInt(i) <= last + 1n);
}

/** Where a restore point or a transaction's commit is, read from the archived WAL after each base backup. */
async function findInWal(window: RecoveryWindow, target: RecoveryTarget & { kind: 'name' | 'xid' }, destination: Destination, folder: string, tools: ServerTools, signal?: AbortSignal): Promise<bigint | undefined> {
  for (const stretch of [...window.stretches].reverse()) {
    if (stretch.segments.length === 0) continue;
    await stageAll(destination, folder, stretch.segments, signal);
    const scan = await scanWal(tools.pgWaldump, folder, stretch.segments[0].name, stretch.segments.at(-1)!.name, signal);
    const found = scan.records.find(r => r.lsn >= stretch.base.endLsn && (target.kind === 'name' ? r.kind === 'restore-point' && r.name === target.name : (r.kind === 'commit' || r.kind === 'abort') && r.xid === target.xid));
    if (found) return found.lsn;
  }
  return undefined;
}

/** Fetches and checks each archived file into `folder`, in order, one lane per start given (each waits for its own). */
async function stageAll(destination: Destination, folder: string, segments: Stretch['segments'], signal?: AbortSignal, onOne?: (segment: Stretch['segments'][number]) => Promise<void>, owner?: LocalAccount,
  lanes: Promise<void>[] = [Promise.resolve(), Promise.resolve()]): Promise<void> {
  let next = 0;
  const worker = async (start: Promise<void>) => {
    await start;
    while (next < segments.length) {
      const segment = segments[next++];
      await stageSegment(destination, folder, segment, signal, owner);
      await onOne?.(segment);
    }
  };
  await Promise.all(lanes.map(worker));
}

async function ensureRoom(layout: SandboxLayout, stretch: Stretch, segments: number, chain: CatalogEntry[]): Promise<void> {
  // An incremental chain is unpacked whole, then combined by hard links: about the sum of its backups.
  const databaseBytes = chain.reduce((n, e) => n + (typeof e.manifest.consistency.databaseBytes === 'number' ? e.manifest.consistency.databaseBytes : 0), 0);
  // The cluster, the staged WAL, and the WAL the server writes into pg_wal as it replays.
  const needed = databaseBytes + 2 * segments * stretch.base.segmentBytes;
  const free = await freeBytes(layout.dir);
  if (free !== undefined && free < needed * 1.1) {
    throw new LifeboatError('io', `Not enough room for the sandbox in ${path.dirname(layout.dir)}: ${formatBytes(free)} free, about ${formatBytes(needed)} needed (the cluster and ${segments} WAL files).`,
      'Free space there, or choose another folder for sandboxes (--sandbox-dir, lifeboat.postgres.sandboxFolder).');
  }
}

