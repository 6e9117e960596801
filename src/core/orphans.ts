import * as os from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * Half-written files carry the name of the process that writes them, so that a later run can tell
 * a file being written now from one whose writer was killed: "<name>.partial-<host>-<pid>-<rand>".
 * SIGKILL leaves no chance to clean up, so cleaning up is the next run's job.
 */
const HOST = os.hostname().replace(/[^A-Za-z0-9]/g, '_');
const OWNER_PATTERN = /\.(partial|work|aside)-([A-Za-z0-9_]+)-(\d+)-[0-9a-f]{8}$/;
/** Files from other hosts (a shared folder) are only taken once this old. */
const FOREIGN_AGE_MS = 24 * 3600 * 1000;

export function ownedName(base: string, kind: 'partial' | 'work' | 'aside'): string {
  return `${base}.${kind}-${HOST}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function isOwnedName(name: string): boolean {
  return OWNER_PATTERN.test(name);
}

/** True when the file's writer is gone: same host and its process no longer exists, or another
 *  host and the file has not changed for a day. */
export function isOrphan(name: string, modified: Date): boolean {
  const match = OWNER_PATTERN.exec(name);
  if (!match) return false;
  const [, , host, pidText] = match;
  if (host !== HOST) return Date.now() - modified.getTime() > FOREIGN_AGE_MS;
  const pid = Number(pidText);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
