import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { explainIoError } from './errors';
import { ownedName, removeOrphanFolders } from './orphans';

/**
 * Where files that hold a secret go (a PGPASSFILE, a MySQL option file with the password): a
 * per-user runtime folder, `$XDG_RUNTIME_DIR/lifeboat` when the session has a usable one (private
 * to the user, in memory, emptied at logout), else `secrets` in the scratch root, 0700. Each job
 * has a folder of its own there, named for its process (orphans.ts); a job removes its folder
 * when it ends, and every Lifeboat command starts by removing the folders whose process is gone,
 * so a password file outlives a killed job only until the next command.
 */
export interface SecretsFolder {
  file(name: string): string;
  dispose(): Promise<void>;
}

const XDG_SUBFOLDER = 'lifeboat';
const FALLBACK_SUBFOLDER = 'secrets';

/** The runtime folders in the order they are tried: the session's, then the one under `scratchRoot`. */
function runtimeRoots(scratchRoot: string): string[] {
  const xdg = usableXdgRuntimeDir();
  return [...(xdg ? [path.join(xdg, XDG_SUBFOLDER)] : []), path.join(scratchRoot, FALLBACK_SUBFOLDER)];
}

/** $XDG_RUNTIME_DIR when it is what the spec promises: an absolute folder of this user's, 0700, writable. */
function usableXdgRuntimeDir(): string | undefined {
  const dir = process.env.XDG_RUNTIME_DIR;
  if (!dir || !path.isAbsolute(dir)) return undefined;
  try {
    const stat = fs.statSync(dir);
    if (!stat.isDirectory() || (stat.mode & 0o077) !== 0 || stat.uid !== process.getuid?.()) return undefined;
    fs.accessSync(dir, fs.constants.W_OK);
    return dir;
  } catch {
    return undefined;
  }
}

export async function createSecretsFolder(scratchRoot: string): Promise<SecretsFolder> {
  let failure: unknown;
  for (const root of runtimeRoots(scratchRoot)) {
    try {
      await privateFolder(root);
      const folder = path.join(root, ownedName('job', 'work'));
      await fsp.mkdir(folder, { mode: 0o700 });
      return {
        file: (name: string) => path.join(folder, name),
        dispose: async () => {
          await fsp.rm(folder, { recursive: true, force: true });
          await fsp.rmdir(root).catch(() => undefined);
        },
      };
    } catch (error) {
      failure = error;
    }
  }
  throw explainIoError(failure, `create a private folder for the password file in ${scratchRoot}`);
}

/** A folder only this user can enter: created 0700, and refused if it is a link or another user's. */
async function privateFolder(folder: string): Promise<void> {
  await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  const stat = await fsp.lstat(folder);
  if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
    throw Object.assign(new Error(`${folder} is not a folder of this user's`), { code: 'EPERM' });
  }
  if ((stat.mode & 0o077) !== 0) await fsp.chmod(folder, 0o700);
}

/** Removes the secrets folders of jobs whose process is gone; returns their paths. */
export async function sweepSecretsFolders(scratchRoot: string): Promise<string[]> {
  const removed: string[] = [];
  for (const root of runtimeRoots(scratchRoot)) {
    removed.push(...await removeOrphanFolders(root));
    await fsp.rmdir(root).catch(() => undefined);
  }
  await fsp.rmdir(scratchRoot).catch(() => undefined);
  return removed;
}
