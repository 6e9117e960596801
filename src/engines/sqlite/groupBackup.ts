import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { SqliteConnection } from '../../core/connection';
import { LifeboatError, errorMessage, isCancelled, throwIfAborted } from '../../core/errors';
import type { JobContext } from '../../core/job';
import { sqliteFolderMembers } from './folderGroup';

/**
 * Backs up every database of a folder group, one after another (each is an online copy that
 * already keeps a core busy checking and compressing), with one progress bar weighted by file
 * size. One database that fails does not stop the others: each backup that completes is whole
 * and listed; the run then fails naming the databases that were not backed up and why. Cancel
 * stops the run; the backups already completed stay (they are complete), the one in progress
 * leaves nothing.
 */
export async function backupSqliteFolder<T>(group: SqliteConnection, ctx: JobContext,
  backupOne: (member: SqliteConnection, ctx: JobContext) => Promise<T>): Promise<T[]> {
  const members = await sqliteFolderMembers(group);
  if (members.length === 0) {
    throw new LifeboatError('not-found', `The folder ${group.path} of "${group.name}" holds no SQLite database (no file in it starts with SQLite's header).`,
      'Check the folder, or add the database file itself as a connection.');
  }
  const sizes = await Promise.all(members.map(m => fsp.stat(m.path).then(s => Math.max(1, s.size), () => 1)));
  const total = sizes.reduce((a, b) => a + b, 0);
  ctx.logger.info(`Backing up ${members.length} SQLite database(s) in ${group.path}: ${members.map(m => path.basename(m.path)).join(', ')}`);
  const entries: T[] = [];
  const failed: { member: SqliteConnection; error: unknown }[] = [];
  let before = 0;
  for (const [i, member] of members.entries()) {
    throwIfAborted(ctx.signal, 'The backup');
    const file = path.basename(member.path);
    const done = before;
    const memberCtx: JobContext = {
      ...ctx,
      onProgress: u => ctx.onProgress?.({ ...u, fraction: (done + u.fraction * sizes[i]) / total, message: `${file} (${i + 1} of ${members.length}): ${u.message}` }),
    };
    try {
      entries.push(await backupOne(member, memberCtx));
    } catch (error) {
      if (ctx.signal?.aborted || isCancelled(error)) throw error;
      ctx.logger.error(`Backup of ${member.path} failed: ${errorMessage(error)}`);
      failed.push({ member, error });
    }
    before += sizes[i];
  }
  if (failed.length > 0) {
    throw new LifeboatError('io',
      `${failed.length} of ${members.length} databases in ${group.path} could not be backed up: ${failed.map(f => `${path.basename(f.member.path)} (${errorMessage(f.error)})`).join('; ')}.`,
      entries.length > 0 ? `The other ${entries.length} backup(s) are complete and listed.` : undefined);
  }
  return entries;
}

/** What Test Connection says about a folder group. */
export async function describeSqliteFolder(group: SqliteConnection): Promise<string> {
  const members = await sqliteFolderMembers(group);
  const sizes = await Promise.all(members.map(m => fsp.stat(m.path).then(s => s.size, () => 0)));
  return `${members.length} SQLite database(s) in ${group.path}${members.length ? `: ${members.map((m, i) => `${path.basename(m.path)} (${Math.round(sizes[i] / 1024)} KB)`).join(', ')}` : ''}`;
}
