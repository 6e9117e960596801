import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { LifeboatError, explainIoError } from './errors';
import { formatBytes } from './format';
import { ownedName } from './orphans';
import { createSecretsFolder, type SecretsFolder } from './runtimeFolder';
import { childPath } from './safePath';

/**
 * A private folder for a job's intermediate files (the raw copy before compression, a
 * decompressed file under verification). It is named for its owning process so that, if the
 * process is killed, the next run's sweep removes it (see orphans.ts). Files that hold a secret
 * go elsewhere, to the job's folder in the runtime folder (runtimeFolder.ts).
 */
export const SCRATCH_FOLDER = '.lifeboat-scratch';

export interface Scratch {
  readonly path: string;
  file(name: string): string;
  /** A path for a file that will hold a secret (a password file), in the job's secrets folder. */
  secretFile(name: string): Promise<string>;
  dispose(): Promise<void>;
}

/** The folder that holds every job's scratch folder for jobs whose scratch parent is `parent`. */
export function scratchRoot(parent: string): string {
  return path.join(parent, SCRATCH_FOLDER);
}

export async function createScratch(parent: string): Promise<Scratch> {
  const root = scratchRoot(parent);
  const folder = path.join(root, ownedName('job', 'work'));
  try {
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw explainIoError(error, `create a scratch folder in ${parent}`);
  }
  let secrets: Promise<SecretsFolder> | undefined;
  return {
    path: folder,
    file: (name: string) => childPath(folder, name),
    secretFile: async (name: string) => (await (secrets ??= createSecretsFolder(root))).file(name),
    dispose: async () => {
      await secrets?.then(s => s.dispose(), () => undefined);
      await fsp.rm(folder, { recursive: true, force: true });
      await fsp.rmdir(root).catch(() => undefined);
    },
  };
}

/** Free bytes where `folder` is, or undefined when the system cannot say. */
export async function freeBytes(folder: string): Promise<number | undefined> {
  try {
    const stats = await fsp.statfs(folder);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** Room kept free beyond a job's own files: the file system and other programs need some too. */
const SCRATCH_MARGIN = 16 * 1024 * 1024;

/**
 * Refuses a job before it starts when scratch space cannot hold what it will put there (a copy
 * of the database, a decompressed archive), instead of failing with a full disk halfway through.
 * `bytes` is the job's estimate; when the system does not report free space the job just runs.
 */
export async function ensureScratchRoom(scratch: Scratch, bytes: number, what: string): Promise<void> {
  const free = await freeBytes(scratch.path);
  if (free === undefined || free >= bytes * 1.1 + SCRATCH_MARGIN) return;
  throw new LifeboatError('io', `Not enough room for ${what} in the scratch folder ${path.dirname(scratch.path)}: ${formatBytes(free)} free, about ${formatBytes(bytes)} needed.`,
    'Free some space, or point Lifeboat\'s scratch folder elsewhere (lifeboat.scratchFolder in the editor, --scratch-dir or "scratchFolder" for the CLI); nothing was changed.');
}
