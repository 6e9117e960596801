import type { CatalogEntry } from '../core/catalog';
import type { Connection } from '../core/connection';
import type { JobContext } from '../core/job';
import { LifeboatError } from '../core/errors';

/** Puts back the rows a merge changed, from the backup the merge took before it wrote. */
export async function undoMerge(_entry: CatalogEntry, _target: { connection: Connection; password?: string }, _job: JobContext): Promise<{ restored: number; removed: number }> {
  throw new LifeboatError('unsupported', 'Undo of a merge is being built.');
}
