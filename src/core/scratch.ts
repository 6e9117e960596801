import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { explainIoError } from './errors';
import { ownedName } from './orphans';
import { childPath } from './safePath';

/**
 * A private folder for a job's intermediate files (the raw copy before compression, a
 * decompressed file under verification). It is named for its owning process so that, if the
 * process is killed, the next run's sweep removes it (see orphans.ts).
 */
export const SCRATCH_FOLDER = '.lifeboat-scratch';

export interface Scratch {
  readonly path: string;
  file(name: string): string;
  dispose(): Promise<void>;
}

export async function createScratch(parent: string): Promise<Scratch> {
  const folder = path.join(parent, SCRATCH_FOLDER, ownedName('job', 'work'));
  try {
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw explainIoError(error, `create a scratch folder in ${parent}`);
  }
  return {
    path: folder,
    file: (name: string) => childPath(folder, name),
    dispose: async () => {
      await fsp.rm(folder, { recursive: true, force: true });
      await fsp.rmdir(path.dirname(folder)).catch(() => undefined);
    },
  };
}
