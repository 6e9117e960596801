import { encryptionPlan, type EncryptionPlan } from '../core/ageKeys';
import { writeBackup, type WrittenBackup } from '../core/backupWriter';
import { validateLevel } from '../core/codec';
import type { Connection } from '../core/connection';
import type { Destination } from '../core/destination';
import { LifeboatError } from '../core/errors';
import { formatBytes, formatDuration } from '../core/format';
import type { JobContext } from '../core/job';
import { describeStored, totalStoredBytes } from '../core/manifest';
import type { ServerAccess } from './access';
import type { BackupOptions } from './engine';
import { refuseInapplicable } from './engineOptions';
import { ENGINES } from './registry';

/**
 * The one call that runs a backup, for the CLI, the editor's commands, tasks and (next) schedules:
 * a connection, the request (parseBackupRequest's result), the destinations it goes to (the
 * first is the one the catalog shows; the others get the same copy), and the job's context.
 * A SQLite folder group is one backup per database in it (engines/sqlite/groupBackup.ts).
 */
export interface BackupRun {
  connectionName: string;
  /** One per database backed up, in order. */
  backups: WrittenBackup[];
}

export async function runBackup(connection: Connection, request: BackupOptions, destinations: Destination[], ctx: JobContext, access: ServerAccess = {}): Promise<BackupRun> {
  refuseInapplicable(connection.engine, 'backup', request);
  if (connection.engine !== 'postgres') validateLevel(request.codec, request.level);
  if (connection.engine === 'sqlite' && connection.folder) {
    const { backupSqliteFolder } = await import('./sqlite/groupBackup');
    return { connectionName: connection.name, backups: await backupSqliteFolder(connection, ctx, (member, memberCtx) => backupOne(member, request, destinations, memberCtx, access)) };
  }
  return { connectionName: connection.name, backups: [await backupOne(connection, request, destinations, ctx, access)] };
}

async function backupOne(connection: Connection, request: BackupOptions, destinations: Destination[], ctx: JobContext, access: ServerAccess): Promise<WrittenBackup> {
  const encryption = encryptionFor(connection, request);
  const engine = await ENGINES[connection.engine].load();
  const source = connection.engine === 'sqlite' ? connection.path : `${connection.host}:${connection.port}/${connection.database}`;
  const written = await writeBackup({ id: connection.id, name: connection.name, engine: connection.engine, source }, destinations, ctx,
    writer => engine.backup(connection, request, writer, ctx, access), { encryption });
  if (connection.engine === 'sqlite' && request.sqliteFormat === 'snapshot') await (await import('./sqlite/backup')).collectAfterSnapshot(written, ctx);
  for (const line of describeBackupRun({ connectionName: connection.name, backups: [written] })) ctx.logger.info(line);
  return written;
}

/**
 * What the backup is encrypted to, checked before anything runs. Formats whose stored files are
 * read in place are refused: an incremental SQLite snapshot reads blocks out of its packs, and a
 * PostgreSQL directory archive is read by pg_restore where it lies.
 */
function encryptionFor(connection: Connection, request: BackupOptions): EncryptionPlan | undefined {
  if (!request.encryptTo?.length) return undefined;
  if (connection.engine === 'sqlite' && request.sqliteFormat === 'snapshot') {
    throw new LifeboatError('unsupported', 'An incremental SQLite snapshot cannot be encrypted yet.', 'Use --sqlite-format copy or sql with --encrypt-to.');
  }
  if (connection.engine === 'postgres' && request.format === 'directory') {
    throw new LifeboatError('unsupported', 'A PostgreSQL directory-format backup cannot be encrypted yet.', 'Use the custom format (--format custom) with --encrypt-to.');
  }
  return encryptionPlan({ recipients: request.encryptTo });
}

/**
 * A backup run in words, the same for the CLI, the editor's notification and the task terminal:
 * "Backup of shop checked: 1.2 MB stored in /backups/shop/2026-… (integrity_check ok, row counts
 * ok, 4 tables) in 1.3 s.", a line per copy that could not be made, and for a folder group a
 * first line with the whole run.
 */
export function describeBackupRun(run: BackupRun): string[] {
  const lines: string[] = [];
  if (run.backups.length !== 1) {
    const bytes = run.backups.reduce((n, b) => n + (b.copies[0] ? totalStoredBytes(b.copies[0].entry.manifest) : 0), 0);
    lines.push(`${run.backups.length} databases of ${run.connectionName} backed up and checked: ${formatBytes(bytes)} stored.`);
  }
  for (const backup of run.backups) {
    const first = backup.copies[0];
    if (!first) continue;
    const m = first.entry.manifest;
    const checks = m.verifications[0]?.checks.filter(c => c.name !== 'sha256').map(c => `${c.name} ok`).join(', ');
    const where = backup.copies.map(c => `${c.destination.location}/${c.entry.prefix}`).join(' and ');
    // A base backup copies the cluster, not tables: its count of tables would read as "0 tables".
    const contents = m.tables.length > 0 || m.kind !== 'pg_basebackup-tar' ? `${m.tables.length} tables` : `the whole cluster, WAL ${String(m.consistency.startLsn)} to ${String(m.consistency.endLsn)}`;
    lines.push(`Backup of ${m.connection.name} checked: ${describeStored(m)} stored in ${where} (${checks ? `${checks}, ` : ''}${contents}) in ${formatDuration(m.timings.totalMs)}.`);
    for (const failure of backup.failures) lines.push(`The copy in ${failure.location} was not made, and nothing of it is left there: ${failure.message}`);
  }
  return lines;
}

/** Copies asked for and not made are a failure of the run (exit status 1 for the CLI), though
 *  the copies that were made are complete and listed. */
export function failedCopies(run: BackupRun): LifeboatError | undefined {
  const failures = run.backups.flatMap(b => b.failures);
  if (failures.length === 0) return undefined;
  return new LifeboatError('io', `${failures.length} of the copies asked for could not be made: ${failures.map(f => `${f.location} (${f.message})`).join('; ')}.`,
    'The other copies are complete; fix the destination named and run the backup again.');
}
