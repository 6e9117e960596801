import { listBackups } from '../core/catalog';
import type { Connection } from '../core/connection';
import type { Destination } from '../core/destination';
import { LifeboatError } from '../core/errors';
import type { JobContext } from '../core/job';
import { MERGE_UNDO_KIND, totalStoredBytes } from '../core/manifest';
import type { Schedule } from '../core/policy';
import type { PerformedRun } from '../core/scheduledRunner';
import type { ServerAccess } from './access';
import { parseBackupRequest, type BackupSettings } from './backupRequest';
import type { ServerTarget } from './engine';
import { verifyBackup } from './index';
import { failedCopies, runBackup } from './runBackup';

/**
 * What one scheduled run does, for every runner (core/scheduledRunner.ts), through the same calls
 * as the commands: a backup of the schedule's request into the backup folder and the schedule's
 * destinations; a quick verify of the newest backup; or a drill of it (a restore drill for a
 * server, which measures the RTO; for SQLite the full check: rebuild and integrity_check).
 * A copy that could not be made, or a verification that found damage, fails the run.
 */
export interface ScheduledWorkDeps {
  settings: BackupSettings;
  access: ServerAccess;
  /** The schedule's destinations, opened. */
  copyTo: Destination[];
  /** The server a drill restores into (the connection's own). */
  server?: ServerTarget;
  restoreJobs?: number;
  postgresBinDir?: string;
}

export async function performScheduledWork(schedule: Schedule, connection: Connection, ctx: JobContext, deps: ScheduledWorkDeps): Promise<PerformedRun> {
  if (schedule.run === 'backup') {
    const request = parseBackupRequest(schedule.request ?? {}, deps.settings, connection.engine);
    const run = await runBackup(connection, request, [ctx.destination, ...deps.copyTo], ctx, deps.access);
    const failed = failedCopies(run);
    if (failed) throw failed;
    const written = run.backups.map(b => b.copies[0].entry.manifest);
    return { ...(written.length ? { backupId: written[0].id } : {}), bytes: written.reduce((sum, m) => sum + totalStoredBytes(m), 0) };
  }
  const { entries } = await listBackups(ctx.destination, { connectionId: connection.id, logger: ctx.logger });
  const newest = entries.find(e => e.manifest.kind !== MERGE_UNDO_KIND);
  if (!newest) throw new LifeboatError('not-found', `${connection.name} has no backup in ${ctx.destination.location} to ${schedule.run}.`, 'Schedule a backup before it, or back up now.');
  const drill = schedule.run === 'drill' && connection.engine !== 'sqlite';
  const verification = await verifyBackup(newest, ctx, {
    quick: schedule.run === 'verify', deep: drill,
    ...(drill && deps.restoreJobs ? { jobs: deps.restoreJobs } : {}), ...(deps.postgresBinDir ? { postgresBinDir: deps.postgresBinDir } : {}),
  }, drill ? deps.server : undefined);
  if (!verification.ok) {
    const failed = verification.checks.filter(c => !c.ok).map(c => `${c.name}: ${c.detail}`).join('; ');
    throw new LifeboatError('verification', `Backup ${newest.manifest.id} is damaged: ${failed}.`, 'Back up again, and keep the older backups until a new one verifies.');
  }
  return { backupId: newest.manifest.id, bytes: totalStoredBytes(newest.manifest), ...(verification.restoreMs !== undefined ? { restoreMs: verification.restoreMs } : {}) };
}
