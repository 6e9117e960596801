import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { ByteCounter } from '../core/hashing';
import { LifeboatError, explainIoError, isCancelled, CancelledError } from '../core/errors';
import { isOrphan, ownedKind, ownedName } from '../core/orphans';
import { fsyncFolder } from '../core/fsync';
import { isInside } from '../core/safePath';
import { invalidKey, objectKeyParts } from '../core/objectKey';
import { flushBehindStage } from '../core/flushBehind';
import type { Destination, ObjectInfo } from '../core/destination';

const openFile = promisify(fs.open);

/**
 * A folder on this machine (or a mounted share). Objects are files; a write goes to a
 * ".partial-…" sibling, is fsynced, renamed into place, and the folder is fsynced, so a crash
 * leaves either the old file or the new one. Backups hold data, so files are created 0600 and
 * folders 0700.
 */
export class LocalFolderDestination implements Destination {
  readonly kind = 'local' as const;
  readonly location: string;

  constructor(root: string) {
    this.location = path.resolve(root);
  }

  /** The file of an object, strictly inside this folder: keys are built from manifests, which
   *  are input from outside, so one that would lead elsewhere is refused, whatever its parts.
   *  Folders named ".…" are this folder's own (scratch space, logs), which list() never enters,
   *  so no key leads through one either. */
  localPath(key: string): string {
    const parts = objectKeyParts(key);
    const file = path.join(this.location, ...parts);
    if (path.isAbsolute(key) || parts.some(p => p.includes(path.sep)) || !isInside(this.location, file)) throw invalidKey(key);
    return file;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for await (const file of this.walk(this.listingRoot(prefix))) {
      if (ownedKind(path.basename(file.path)) === 'partial') continue;
      const key = path.relative(this.location, file.path).split(path.sep).join('/');
      if (key.startsWith(prefix)) yield { key, size: file.stat.size, modified: file.stat.mtime };
    }
  }

  /** The deepest folder every key under `prefix` is in ("crm/wal/0001…" → crm/wal): walking the
   *  whole backup folder for each WAL file archived would cost more than the file. A prefix whose
   *  folder part no key could have (".x", "..") is walked from the top, and finds nothing. */
  private listingRoot(prefix: string): string {
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const parts = folder.split('/').slice(0, -1);
    if (parts.length === 0 || parts.some(p => p === '' || p === '.' || p === '..' || p.startsWith('.') || p.includes('\\') || p.includes('\0'))) return this.location;
    const root = path.join(this.location, ...parts);
    return isInside(this.location, root) ? root : this.location;
  }

  async read(key: string): Promise<Readable> {
    const file = this.localPath(key);
    try {
      const handle = await fsp.open(file, 'r');
      // A folder opens too (it holds the objects under a prefix), but it is no object.
      if ((await handle.stat()).isFile()) return handle.createReadStream();
      await handle.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw explainIoError(error, `read ${file}`);
    }
    throw new LifeboatError('not-found', `The backup file ${file} is missing.`, 'The backup is incomplete: delete it, or restore it from another copy.');
  }

  async write(key: string, data: Readable, signal?: AbortSignal): Promise<{ size: number }> {
    const file = this.localPath(key);
    const partial = path.join(path.dirname(file), ownedName(path.basename(file), 'partial'));
    try {
      const fd = await this.intoFolder(partial, () => openFile(partial, 'wx', 0o600));
      const counter = new ByteCounter();
      await pipeline(data, counter, flushBehindStage(partial), fs.createWriteStream(partial, { fd, flush: true }), { signal });
      await fsp.rename(partial, file);
      await fsyncFolder(path.dirname(file));
      return { size: counter.bytes };
    } catch (error) {
      await fsp.rm(partial, { force: true });
      if (signal?.aborted || (error as Error).name === 'AbortError' || isCancelled(error)) throw new CancelledError();
      throw explainIoError(error, `write ${file}`);
    }
  }

  async adopt(key: string, source: string): Promise<{ size: number }> {
    const file = this.localPath(key);
    try {
      const handle = await fsp.open(source, 'r+');
      try {
        await handle.chmod(0o600);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.intoFolder(file, () => fsp.rename(source, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw explainIoError(error, `move ${source} to ${file}`);
      // Another file system: copy through write(), which is atomic and durable too.
      const result = await this.write(key, fs.createReadStream(source));
      await fsp.rm(source, { force: true });
      return result;
    }
    await fsyncFolder(path.dirname(file));
    return { size: (await fsp.stat(file)).size };
  }

  async delete(key: string): Promise<void> {
    const file = this.localPath(key);
    try {
      await fsp.rm(file, { force: true });
      await this.removeEmptyFolders(path.dirname(file));
    } catch (error) {
      throw explainIoError(error, `delete ${file}`);
    }
  }

  async sweepStale(): Promise<string[]> {
    const removed: string[] = [];
    for await (const entry of this.walk(this.location, true)) {
      const name = path.basename(entry.path);
      // Markers of backups in progress are the catalog's to judge (it looks at the whole backup).
      if (ownedKind(name) !== 'writing' && isOrphan(name, entry.stat.mtime)) {
        await fsp.rm(entry.path, { recursive: true, force: true });
        removed.push(entry.path);
        await this.removeEmptyFolders(path.dirname(entry.path));
      }
    }
    return removed;
  }

  /** Files below `folder`, skipping dot-folders (scratch space). With `includeOwned`, also yields
   *  owned folders (scratch of a running or dead process) without entering them. */
  private async *walk(folder: string, includeOwned = false): AsyncGenerator<{ path: string; stat: fs.Stats }> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(folder, { withFileTypes: true });
    } catch (error) {
      // ENOTDIR: a listing that starts below an object's name ("a/b/" where "a" is an object) finds nothing.
      if (['ENOENT', 'ENOTDIR'].includes(String((error as NodeJS.ErrnoException).code))) return;
      throw explainIoError(error, `list ${folder}`);
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (ownedKind(entry.name) === 'work') {
          // Another process's job may remove its scratch folder at any moment.
          const stat = includeOwned ? await fsp.stat(full).catch(() => undefined) : undefined;
          if (stat) yield { path: full, stat };
          continue;
        }
        if (entry.name.startsWith('.') && !includeOwned) continue;
        yield* this.walk(full, includeOwned);
      } else if (entry.isFile()) {
        const stat = await fsp.stat(full).catch(() => undefined);
        if (stat) yield { path: full, stat };
      }
    }
  }

  /** Creates the folder of `file`, then runs `step`, which creates `file` in it; again when a
   *  delete of the folder's last object removed the empty folder meanwhile (even mkdir fails
   *  then: it found the folder, then could not stat it). */
  private async intoFolder<T>(file: string, step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        await makeFolder(path.dirname(file));
        return await step();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3 || fs.existsSync(path.dirname(file))) throw error;
      }
    }
  }

  private async removeEmptyFolders(folder: string): Promise<void> {
    while (folder.startsWith(this.location + path.sep)) {
      try {
        await fsp.rmdir(folder);
      } catch {
        return;
      }
      folder = path.dirname(folder);
    }
  }
}

/**
 * mkdir -p, with the real reason when it fails: Node's recursive mkdir reports ENOENT for a folder
 * it cannot create on a read-only file system (EROFS) or without permission (EACCES), so the
 * first missing folder is created on its own to find out why.
 */
async function makeFolder(folder: string): Promise<void> {
  try {
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = folder;
    while (!fs.existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
    await fsp.mkdir(missing, { mode: 0o700 }).catch((why: NodeJS.ErrnoException) => {
      if (why.code !== 'EEXIST' && why.code !== 'ENOENT') throw why;
    });
    // It could be made (a concurrent delete had removed a parent): the rest of the way, once more.
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  }
}
