import { whileReading } from '../core/backupHolds';
import { appendVerification, type CatalogEntry } from '../core/catalog';
import type { Connection, ServerConnection } from '../core/connection';
import { LifeboatError } from '../core/errors';
import { elapsedMs, type JobContext } from '../core/job';
import { MERGE_UNDO_KIND, type Verification, type VerificationCheck } from '../core/manifest';
import { verifyFileHashes } from '../core/storedHashes';
import { LIFEBOAT_TOOL } from '../core/version';
import type { ServerAccess } from './access';
import type { BackupOptions, RestoreOptions, RestoreResult, ServerTarget, TableSize, VerifyOptions } from './engine';
import { refuseInapplicable } from './engineOptions';
import type { ProbeResult } from './probe';
import { ENGINES } from './registry';
import { runBackup } from './runBackup';

/**
 * What the editor, the task provider and the CLI call. Each operation goes to its engine through
 * the registry (registry.ts, engine.ts): no engine is named here. A merge's undo backup is not a
 * database copy: it is verified by its hashes, and undone (src/diff/undo.ts) rather than restored.
 */
export type { BackupOptions, RestoreOptions, RestoreResult, ServerTarget, VerifyOptions } from './engine';
export { describeBackupRun, failedCopies, runBackup, type BackupRun } from './runBackup';

export async function testConnection(connection: Connection, password?: string): Promise<ProbeResult> {
  return (await ENGINES[connection.engine].load()).test(connection, password === undefined ? {} : { password });
}

/** A connection's backups into the job's own destination: its one backup, or one per database of
 *  a SQLite folder group. */
export async function backupConnection(connection: Connection, options: BackupOptions, ctx: JobContext, access: ServerAccess = {}): Promise<CatalogEntry[]> {
  const run = await runBackup(connection, options, [ctx.destination], ctx, access);
  return run.backups.map(b => b.copies[0].entry);
}

/** One database's backup into the job's own destination. */
export async function backupDatabase(connection: Connection, options: BackupOptions, ctx: JobContext, access: ServerAccess = {}): Promise<CatalogEntry> {
  if (connection.engine === 'sqlite' && connection.folder) {
    throw new LifeboatError('usage', `"${connection.name}" is a folder of SQLite databases, not one database.`, 'Back it up with backupConnection, which backs up each database in it.');
  }
  return (await backupConnection(connection, options, ctx, access))[0];
}

/** Quick (or, for SQLite, full) verification; with `deep`, a restore drill. Recorded beside the manifest. */
export async function verifyBackup(entry: CatalogEntry, ctx: JobContext, options: VerifyOptions = {}, server?: ServerTarget): Promise<Verification> {
  if (entry.manifest.kind === MERGE_UNDO_KIND) return verifyMergeUndo(entry, ctx);
  const engine = await ENGINES[entry.manifest.engine].load();
  // Held while it is read, so that retention elsewhere keeps it (core/backupHolds.ts).
  return whileReading(ctx.destination, entry.prefix, ctx.logger, () => options.deep ? engine.drill(entry, ctx, options, server) : engine.verify(entry, ctx, options, server));
}

export async function restoreBackup(entry: CatalogEntry, options: RestoreOptions, ctx: JobContext, server?: ServerTarget): Promise<RestoreResult> {
  if (entry.manifest.kind === MERGE_UNDO_KIND) {
    throw new LifeboatError('usage', `Backup ${entry.manifest.id} holds the rows a merge changed, not a database.`, 'Undo the merge instead (Undo Merge in the editor, lifeboat undo-merge on the command line).');
  }
  refuseInapplicable(entry.manifest.engine, 'restore', options);
  const engine = await ENGINES[entry.manifest.engine].load();
  return whileReading(ctx.destination, entry.prefix, ctx.logger, () => engine.restore(entry, options, ctx, server));
}

/** Tables of a server database with their sizes (for choosing what to back up). */
export async function listServerTables(connection: ServerConnection, access: ServerAccess): Promise<TableSize[]> {
  const engine = await ENGINES[connection.engine].load();
  if (!engine.listTables) throw new LifeboatError('unsupported', `Listing the tables of a ${ENGINES[connection.engine].label} database is not supported.`);
  return engine.listTables(connection, access);
}

/** What a restore into an existing database would replace: the archive's tables that exist there. */
export async function restoreImpact(entry: CatalogEntry, server: ServerTarget, database: string): Promise<{ name: string; estimatedRows: number | null }[]> {
  if (entry.manifest.engine === 'sqlite') return [];
  const existing = await listServerTables({ ...server.connection, database }, server.access);
  const inBackup = new Set(entry.manifest.tables.map(t => t.name));
  return existing.filter(t => inBackup.has(t.name)).map(t => ({ name: t.name, estimatedRows: t.estimatedRows }));
}

/** A merge's undo backup is checked by its hashes: there is no database in it to drill. */
async function verifyMergeUndo(entry: CatalogEntry, ctx: JobContext): Promise<Verification> {
  const started = performance.now();
  let check: VerificationCheck;
  try {
    await verifyFileHashes(entry, ctx.destination, ctx.signal);
    check = { name: 'sha256', ok: true, detail: `${entry.manifest.files.map(f => f.name).join(', ')} as stored` };
  } catch (error) {
    if (!(error instanceof LifeboatError) || error.code !== 'verification') throw error;
    check = { name: 'sha256', ok: false, detail: error.message };
  }
  const verification: Verification = { at: new Date().toISOString(), kind: 'quick', ok: check.ok, durationMs: elapsedMs(started), checks: [check], by: LIFEBOAT_TOOL };
  await appendVerification(ctx.destination, entry.prefix, verification);
  return verification;
}
