import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { CatalogEntry } from '../../core/catalog';
import { CancelledError, LifeboatError, explainIoError } from '../../core/errors';
import { elapsedMs, type JobContext } from '../../core/job';
import type { TableFigures } from '../../core/manifest';
import { isOrphan, ownedName } from '../../core/orphans';
import { fsyncFolder } from '../../core/fsync';
import { PhasedProgress } from '../../core/progress';
import { formatBytes } from '../../core/format';
import { compareRowCounts, integrityCheck, integrityFailure } from './checks';
import { materializeBackup } from './materialize';

export interface SqliteRestoreOptions {
  /** The file to create. */
  target: string;
  /** Replace an existing file. The caller must have had the user confirm it by name. */
  overwrite?: boolean;
}

export interface SqliteRestoreResult {
  target: string;
  bytes: number;
  sha256: string;
  tables: TableFigures[];
  replacedExisting: boolean;
  durationMs: number;
}

/** SQLite keeps these beside a database; a restore over a file must move them too, or SQLite
 *  would replay the old file's write-ahead log into the restored one. */
const SIDECARS = ['-wal', '-shm', '-journal'];

/**
 * Restores into a new file (default) or over an existing one (explicit). The file is rebuilt
 * beside the target under a ".partial-…" name (from a copy, a snapshot's blocks or a SQL dump:
 * materialize.ts), checked (the stored bytes' SHA-256s as recorded, integrity_check ok, row
 * counts as recorded), fsynced, and only then put in place.
 * Over an existing file, the old file and its -wal/-shm are moved aside first and removed only
 * after the new file is in place; any failure moves them back.
 */
export async function restoreSqliteBackup(entry: CatalogEntry, options: SqliteRestoreOptions, ctx: JobContext): Promise<SqliteRestoreResult> {
  const started = performance.now();
  const { manifest } = entry;
  const target = path.resolve(options.target);
  const folder = path.dirname(target);
  const existing = await fsp.lstat(target).catch(() => undefined);
  const exists = existing !== undefined;
  // Replacing means moving the old file aside and putting one file in its place: for a folder,
  // a link or a device that would move something that is not a database file (a folder would
  // be renamed, its place taken, and the restore then fail), so it is refused before anything.
  if (existing && !existing.isFile()) {
    const kind = existing.isDirectory() ? 'a folder' : existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
    throw new LifeboatError('usage', `${target} is ${kind}; a SQLite backup is restored into a file.`,
      existing.isSymbolicLink() ? `Give the path of the file it points to (${await fsp.realpath(target).catch(() => 'a missing file')}), or a new file name.` : 'Give the path of a new file, or of the database file to replace.');
  }
  if (exists && !options.overwrite) {
    throw new LifeboatError('already-exists', `${target} already exists; Lifeboat restores into a new file unless told to replace it.`,
      'Choose a new file name, or confirm that the existing file should be replaced.');
  }
  await fsp.mkdir(folder, { recursive: true }).catch(error => { throw explainIoError(error, `create ${folder}`); });
  await removeOrphans(folder, ctx);

  const partial = path.join(folder, ownedName(path.basename(target), 'partial'));
  const progress = new PhasedProgress({ write: 6, check: 4 }, ctx.onProgress);
  try {
    const made = await materializeBackup(entry, partial, ctx, (fraction, message) => progress.report('write', fraction, message));
    progress.report('check', 0, 'Checking the restored file (PRAGMA integrity_check)');
    const outcome = await integrityCheck(partial, ctx.signal, f => progress.report('check', f, 'Checking the restored file'));
    if (!outcome.ok) throw integrityFailure(target, outcome.problems);
    const counts = compareRowCounts(manifest.tables, outcome.tables);
    if (!counts.ok) throw new LifeboatError('verification', `The restored file does not match the backup: ${counts.detail}.`, 'Nothing was replaced. Verify the backup.');
    if (ctx.signal?.aborted) throw new CancelledError('The restore');
    if (exists) await replaceFile(partial, target, ctx);
    else await placeNewFile(partial, target);
    progress.report('check', 1, `Restored ${target}`);
    ctx.logger.info(`Restored backup ${manifest.id} (${manifest.kind}) into ${target} (${formatBytes(made.bytes)}, SHA-256 ${made.sha256.slice(0, 12)}…)`);
    return { target, bytes: made.bytes, sha256: made.sha256, tables: outcome.tables, replacedExisting: exists, durationMs: elapsedMs(started) };
  } finally {
    for (const suffix of ['', ...SIDECARS]) await fsp.rm(partial + suffix, { force: true });
  }
}

/** link() fails if the name was taken meanwhile, where rename() would silently replace it. */
async function placeNewFile(partial: string, target: string): Promise<void> {
  try {
    await fsp.link(partial, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LifeboatError('already-exists', `${target} appeared while restoring; it was left untouched.`, 'Choose another file name.');
    }
    throw explainIoError(error, `create ${target}`);
  }
  await fsp.rm(partial, { force: true });
  await fsyncFolder(path.dirname(target));
}

async function replaceFile(partial: string, target: string, ctx: JobContext): Promise<void> {
  const aside = path.join(path.dirname(target), ownedName(path.basename(target), 'aside'));
  const moved: string[] = [];
  await keepOwnership(partial, target, ctx);
  try {
    for (const suffix of ['', ...SIDECARS]) {
      try {
        await fsp.rename(target + suffix, aside + suffix);
        moved.push(suffix);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    await fsp.rename(partial, target);
    await fsyncFolder(path.dirname(target));
  } catch (error) {
    for (const suffix of moved) await fsp.rename(aside + suffix, target + suffix).catch(() => undefined);
    throw explainIoError(error, `replace ${target}`);
  }
  ctx.logger.info(`Replaced ${target}; the previous file was kept aside as ${aside} until the restore succeeded, and is now removed.`);
  for (const suffix of moved) await fsp.rm(aside + suffix, { force: true });
}

/** The replacement gets the replaced file's permissions and, where allowed, its owner, so the
 *  application that uses the database can still open it. */
async function keepOwnership(partial: string, target: string, ctx: JobContext): Promise<void> {
  const old = await fsp.stat(target);
  await fsp.chmod(partial, old.mode & 0o7777);
  await fsp.chown(partial, old.uid, old.gid).catch(error => {
    ctx.logger.warn(`The restored ${target} is owned by this user, not by uid ${old.uid} like the file it replaced (${(error as NodeJS.ErrnoException).code}).`);
  });
}

/** Files a killed restore left in the target folder (a SIGKILL leaves no chance to clean up). */
async function removeOrphans(folder: string, ctx: JobContext): Promise<void> {
  for (const name of await fsp.readdir(folder)) {
    const base = name.replace(/-(wal|shm|journal)$/, '');
    if (!/\.(partial|aside)-/.test(base)) continue;
    const stat = await fsp.stat(path.join(folder, name)).catch(() => undefined);
    if (stat && isOrphan(base, stat.mtime)) {
      if (/\.aside-/.test(base)) {
        ctx.logger.warn(`${path.join(folder, name)} is the previous file of a restore that was interrupted; it is kept for you to inspect.`);
        continue;
      }
      await fsp.rm(path.join(folder, name), { force: true });
      ctx.logger.info(`Removed ${name}: left behind by an interrupted restore.`);
    }
  }
}
