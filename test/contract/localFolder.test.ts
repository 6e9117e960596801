import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCRATCH_FOLDER } from '../../src/core/scratch';
import { LocalFolderDestination } from '../../src/storage/local';
import { ownedNameOf } from '../support/orphans';
import { listFiles } from '../support/temp';
import { destinationContract, type Leftover } from './destinationContract';

/** A leftover file or folder at `file`: sweepStale reports it by its path. */
function leftoverAt(file: string): Leftover {
  return { reported: file, exists: async () => fs.existsSync(file) };
}

destinationContract('local folder', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-contract-'));
  // The folder itself is created by the first write, as a backup folder named in a setting is.
  const destination = new LocalFolderDestination(path.join(root, 'backups'));
  return {
    destination,
    everything: async () => listFiles(destination.location).map(file => file.split(path.sep).join('/')),
    leftovers: {
      // A write killed before its rename: the ".partial-…" sibling of the object's file.
      'partial file': async (key, pid) => {
        const file = destination.localPath(key);
        const partial = path.join(path.dirname(file), ownedNameOf(path.basename(file), 'partial', pid));
        await fsp.mkdir(path.dirname(partial), { recursive: true });
        await fsp.writeFile(partial, 'half of it');
        return leftoverAt(partial);
      },
      // A job killed mid-way: its scratch folder, with the raw copy it was compressing.
      'scratch folder': async (_key, pid) => {
        const folder = path.join(destination.location, SCRATCH_FOLDER, ownedNameOf('job', 'work', pid));
        await fsp.mkdir(folder, { recursive: true });
        await fsp.writeFile(path.join(folder, 'database.sqlite'), 'raw copy');
        return leftoverAt(folder);
      },
    },
    dispose: () => fsp.rm(root, { recursive: true, force: true }),
  };
});
