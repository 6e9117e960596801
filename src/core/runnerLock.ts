import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { explainIoError } from './errors';
import { hostTag, processGone } from './orphans';

/**
 * One runner of scheduled work at a time for a backup folder, across editor windows, editors and
 * `lifeboat run --due` processes: a lock file that names its holder (pid, host), created with O_EXCL
 * so that of two runners starting together one gets it and the other sees it held.
 *
 * A holder that died (SIGKILL, power loss) cannot remove its lock, so it is taken over:
 * - on this host when its process is gone;
 * - from another host (a shared folder) when its heartbeat (the file's mtime, touched every
 *   30 s while held) is older than FOREIGN_STALE_MS.
 * Taking over is itself serialised by a second O_EXCL file, and the stale lock is removed only if
 * it is still the one judged stale (its token), so two runners that both find a dead holder do
 * not both end up holding the lock. A lock is released only by the holder whose token it holds.
 */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  /** What it runs: "lifeboat run --due", "VS Code". */
  by: string;
  token: string;
}

export interface HeldLock {
  readonly holder: LockHolder;
  release(): Promise<void>;
}

export const LOCK_FILE = 'runner.lock';
const HEARTBEAT_MS = 30_000;
const FOREIGN_STALE_MS = 10 * 60_000;
/** A takeover takes milliseconds; one older than this was left by a runner killed during it. */
const TAKEOVER_STALE_MS = 30_000;

/** The lock in `folder`, or who holds it. */
export async function tryRunnerLock(folder: string, by: string): Promise<{ lock: HeldLock } | { heldBy: LockHolder }> {
  await fsp.mkdir(folder, { recursive: true, mode: 0o700 }).catch(error => { throw explainIoError(error, `create ${folder}`); });
  const file = path.join(folder, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const mine: LockHolder = { pid: process.pid, host: hostTag(), since: new Date().toISOString(), by, token: randomBytes(8).toString('hex') };
    if (await createExclusive(file, JSON.stringify(mine))) return { lock: held(file, mine) };
    const current = await readHolder(file);
    if (!current) continue; // released meanwhile
    if (!isStale(current.holder, current.modified)) return { heldBy: current.holder };
    await takeOver(file, current.holder.token);
  }
  const current = await readHolder(file);
  return current ? { heldBy: current.holder } : tryRunnerLock(folder, by);
}

function isStale(holder: LockHolder, modified: Date): boolean {
  return holder.host === hostTag() ? processGone(holder.pid) : Date.now() - modified.getTime() > FOREIGN_STALE_MS;
}

/** Removes the lock if it still carries `token`, holding the takeover file while it looks. */
async function takeOver(file: string, token: string): Promise<void> {
  const guard = `${file}.takeover`;
  if (!await createExclusive(guard, String(process.pid))) {
    const stat = await fsp.stat(guard).catch(() => undefined);
    if (stat && Date.now() - stat.mtime.getTime() > TAKEOVER_STALE_MS) await fsp.rm(guard, { force: true });
    return;
  }
  try {
    const current = await readHolder(file);
    if (current?.holder.token === token) await fsp.rm(file, { force: true });
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

function held(file: string, holder: LockHolder): HeldLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    void fsp.utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    holder,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      const current = await readHolder(file);
      if (current?.holder.token === holder.token) await fsp.rm(file, { force: true });
    },
  };
}

/** True when this call created the file (with `text` in it, fsynced); false when it exists. */
async function createExclusive(file: string, text: string): Promise<boolean> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw explainIoError(error, `create ${file}`);
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** The lock's holder, or undefined when there is no lock. A lock that cannot be read as one (being
 *  written this instant, or damaged) counts as held by an unknown process on another host, which
 *  its age then judges. */
async function readHolder(file: string): Promise<{ holder: LockHolder; modified: Date } | undefined> {
  let text: string;
  let modified: Date;
  try {
    [text, modified] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file).then(s => s.mtime)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw explainIoError(error, `read ${file}`);
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(value.pid) && typeof value.host === 'string' && typeof value.token === 'string' && typeof value.since === 'string' && typeof value.by === 'string') {
      return { holder: value as LockHolder, modified };
    }
  } catch { /* judged below */ }
  return { holder: { pid: 0, host: '(unreadable lock)', since: modified.toISOString(), by: 'unknown', token: `unreadable-${modified.getTime()}-${text.length}` }, modified };
}
