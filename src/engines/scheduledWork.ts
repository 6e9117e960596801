import { listBackups } from '../core/catalog';
import type { Connection } from '../core/connection';
import type { Destination } from '../core/destination';
import { LifeboatError, errorMessage, isCancelled } from '../core/errors';
import type { JobContext } from '../core/job';
import { MERGE_UNDO_KIND, totalStoredBytes } from '../core/manifest';
import { retentionFor, type ConnectionPolicy, type Schedule } from '../core/policy';
import { applyPrune, planPrune } from '../core/pruning';
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
 * server, which measures the RTO; for SQLite the full check: rebuild and integrity_check); or
 * the connection's retention applied to each place (core/pruning.ts, as lifeboat prune does).
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
  /** prune: the connection's policy and every place it may prune, by name ("local": the backup folder). */
  policy?: ConnectionPolicy;
  places?: { name: string; destination: Destination }[];
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
  if (schedule.run === 'prune') return { deleted: await prunePlaces(connection, ctx, deps) };
  if (schedule.run === 'archive-check') {
    // PostgreSQL WAL archiving watched like a backup: a failing or lagging archive fails the run,
    // and the run's failure is what alerts (a failing archive_command fills the server's disk).
    if (connection.engine !== 'postgres') throw new LifeboatError('usage', `${connection.name} is not a PostgreSQL connection: "archive-check" watches WAL archiving.`);
    const { archivingProblems, archivingState } = await import('./postgres/pitr/archivingSetup');
    const problems = archivingProblems(await archivingState(connection, deps.access.password), deps.policy?.rpoMs ?? 0);
    if (problems.length > 0) throw new LifeboatError('io', `WAL archiving of ${connection.name}: ${problems.join(' ')}`, 'lifeboat pitr status shows the archiver; the server\'s log has archive_command\'s own error.');
    return {};
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

/** The connection's retention applied to each place that has rules; the count deleted. A place
 *  that cannot be pruned fails the run once the others are done. */
async function prunePlaces(connection: Connection, ctx: JobContext, deps: ScheduledWorkDeps): Promise<number> {
  const withRules = (deps.places ?? []).flatMap(place => {
    const rules = deps.policy ? retentionFor(deps.policy, place.name) : undefined;
    return rules ? [{ ...place, rules }] : [];
  });
  if (withRules.length === 0) {
    throw new LifeboatError('usage', `${connection.name} has a "prune" schedule but no retention.`, 'Give the connection a "retention" (or "retentionByDestination").');
  }
  let deleted = 0;
  const failures: string[] = [];
  for (const place of withRules) {
    try {
      const [prune] = await planPrune(place.destination, () => place.rules, { connectionId: connection.id, logger: ctx.logger, now: new Date() });
      if (prune) deleted += (await applyPrune(place.destination, prune, ctx.logger, ctx.signal)).deleted.length;
    } catch (error) {
      if (isCancelled(error)) throw error;
      failures.push(`${place.name}: ${errorMessage(error)}`);
    }
  }
  if (failures.length) throw new LifeboatError('io', `Pruning ${connection.name} failed in ${failures.join('; ')} (${deleted} deleted elsewhere).`);
  return deleted;
}
