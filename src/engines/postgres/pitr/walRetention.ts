import type { CatalogEntry } from '../../../core/catalog';
import type { Destination } from '../../../core/destination';
import type { ArchivedLog } from '../../../core/logArchive';
import { basePoint, type BasePoint } from './recoveryWindow';
import { isBaseBackup } from './baseVerify';
import { listWal } from './walArchive';
import { parseSegment } from './walNames';

/**
 * Archived WAL that no kept base backup can use: every file of a segment before the start of the
 * oldest base backup that retention keeps (pg_archivecleanup's rule, per connection). Timeline
 * histories are kept: they are tiny, and a recovery on a later timeline reads them. With no base
 * backup kept, nothing is deleted: the archive is then the only copy of that history.
 */
export interface WalPrune {
  /** The oldest kept base backup, whose start bounds what is kept. */
  oldestBase?: { id: string; startSegment: string };
  doomed: ArchivedLog[];
}

export async function planWalPrune(destination: Destination, connectionId: string, kept: CatalogEntry[]): Promise<WalPrune> {
  const bases = kept.filter(isBaseBackup).map(basePoint).filter((p): p is BasePoint => typeof p !== 'string');
  if (bases.length === 0) return { doomed: [] };
  const oldest = bases.reduce((a, b) => (b.startLsn < a.startLsn ? b : a));
  const from = parseSegment(oldest.startSegment, oldest.segmentBytes).segno;
  const doomed: ArchivedLog[] = [];
  for (const [name, copies] of await listWal(destination, connectionId)) {
    if (name.endsWith('.history')) continue;
    if (parseSegment(name.slice(0, 24), oldest.segmentBytes).segno < from) doomed.push(...copies);
  }
  doomed.sort((a, b) => a.name.localeCompare(b.name));
  return { oldestBase: { id: oldest.id, startSegment: oldest.startSegment }, doomed };
}

export async function applyWalPrune(destination: Destination, prune: WalPrune, signal?: AbortSignal): Promise<number> {
  let deleted = 0;
  for (const file of prune.doomed) {
    if (signal?.aborted) break;
    await destination.delete(file.key);
    deleted++;
  }
  return deleted;
}
