import { listBackups, removeBackupFiles } from './catalog';
import type { Logger } from './logger';
import { isOrphan, ownedKind } from './orphans';
import { SHARED_FOLDER } from './sharedFiles';
import type { Destination } from './destination';

export interface CollectResult {
  /** Keys of shared files removed. */
  removed: string[];
  /** Why nothing was collected, when so. */
  skipped?: string;
}

/**
 * Removes the connection's shared files that no manifest lists any more.
 *
 * Rules, so that a newer backup never loses a block it needs:
 *  - a shared file is kept while any manifest of the connection lists it (a snapshot lists every
 *    pack it takes a block from, not only the one it wrote);
 *  - nothing is collected while a backup of the connection is in progress (a live "writing"
 *    marker): it may have chosen to reuse blocks of a pack that only the backup being deleted
 *    listed, and it writes its own pack before its manifest exists. Markers of dead processes
 *    are removed by the listing first, so a killed backup does not block collection forever;
 *  - nothing is collected while a manifest of the connection cannot be read: it might list them.
 * A skipped collection is harmless: the next deletion or snapshot collects.
 */
export async function collectUnusedShared(destination: Destination, connectionId: string, logger?: Logger): Promise<CollectResult> {
  const listing = await listBackups(destination, { connectionId, logger });
  if (listing.problems.length > 0) {
    return { removed: [], skipped: `the manifest of ${listing.problems[0].prefix} cannot be read, and it may use shared blocks` };
  }
  const shared: string[] = [];
  for await (const object of destination.list(`${connectionId}/`)) {
    const parts = object.key.split('/');
    if (parts.length !== 3) continue;
    if (ownedKind(parts[2]) === 'writing' && !isOrphan(parts[2], object.modified)) {
      return { removed: [], skipped: `backup ${parts[1]} of this connection is in progress` };
    }
    if (parts[1] === SHARED_FOLDER) shared.push(object.key);
  }
  const referenced = new Set(listing.entries.flatMap(entry => (entry.manifest.shared ?? []).map(file => file.name)));
  const removed: string[] = [];
  for (const key of shared) {
    if (referenced.has(key.split('/')[2])) continue;
    await destination.delete(key);
    removed.push(key);
  }
  if (removed.length > 0) logger?.info(`Removed ${removed.length} shared file(s) of ${connectionId} that no backup uses any more: ${removed.map(k => k.split('/')[2]).join(', ')}`);
  return { removed };
}

/** Deletes a backup, then the shared files only it used. */
export async function deleteBackup(destination: Destination, prefix: string, logger?: Logger): Promise<CollectResult> {
  await removeBackupFiles(destination, prefix);
  const result = await collectUnusedShared(destination, prefix.split('/')[0], logger);
  if (result.skipped) logger?.info(`Shared blocks were not collected after deleting ${prefix}: ${result.skipped}; the next deletion or snapshot collects them.`);
  return result;
}
