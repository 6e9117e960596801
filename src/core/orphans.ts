import type * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainIoError } from './errors';
import { randomBytes } from 'node:crypto';

/**
 * Files and folders that belong to one running process carry its name, so that a later run can
 * tell one being written now from one whose writer was killed: "<base>.<kind>-<host>-<pid>-<rand>".
 * SIGKILL leaves no chance to clean up, so cleaning up is the next run's job.
 *   partial  a file being written, renamed into place when complete (never listed)
 *   work     a job's scratch folder
 *   aside    the previous file during a restore over it
 *   writing  the marker of a backup in progress, removed once its manifest is written
 *   reading  the marker of a backup being read (restored, verified, copied), so retention keeps it
 */
export type OwnedKind = 'partial' | 'work' | 'aside' | 'writing' | 'reading';

const HOST = os.hostname().replace(/[^A-Za-z0-9]/g, '_');
const OWNER_PATTERN = /\.(partial|work|aside|writing|reading)-([A-Za-z0-9_]+)-(\d+)-[0-9a-f]{8}$/;
/** Files from other hosts (a shared folder) are only taken once this old. */
const FOREIGN_AGE_MS = 24 * 3600 * 1000;

export function ownedName(base: string, kind: OwnedKind): string {
  return `${base}.${kind}-${writerTag()}`;
}

/** "<host>-<pid>-<random>": names this process's writes so that no other writer's can collide. */
export function writerTag(): string {
  return `${HOST}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** An owned name without its owner tag ("x.gz" of "x.gz.partial-<host>-<pid>-<rand>"). */
export function ownedBase(name: string): string {
  return name.replace(OWNER_PATTERN, '');
}

/** The kind of an owned name, or undefined for an ordinary one. */
export function ownedKind(name: string): OwnedKind | undefined {
  return OWNER_PATTERN.exec(name)?.[1] as OwnedKind | undefined;
}

/** True when the owner is gone: same host and its process no longer exists, or another host and
 *  the file has not changed for a day. */
export function isOrphan(name: string, modified: Date): boolean {
  const match = OWNER_PATTERN.exec(name);
  if (!match) return false;
  const [, , host, pidText] = match;
  if (host !== HOST) return Date.now() - modified.getTime() > FOREIGN_AGE_MS;
  return processGone(Number(pidText));
}

/** This host's name as owned names carry it. */
export function hostTag(): string {
  return HOST;
}

/** True when no process `pid` exists on this host (this process is never gone). */
export function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes the job folders ("….work-<host>-<pid>-…") directly in `root` whose owner is gone;
 *  returns their paths. A missing root holds none. */
export async function removeOrphanFolders(root: string): Promise<string[]> {
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw explainIoError(error, `list ${root}`);
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const full = path.join(root, entry.name);
    if (!entry.isDirectory() || ownedKind(entry.name) !== 'work') continue;
    const stat = await fsp.stat(full).catch(() => undefined);
    if (!stat || !isOrphan(entry.name, stat.mtime)) continue;
    await fsp.rm(full, { recursive: true, force: true });
    removed.push(full);
  }
  return removed;
}
