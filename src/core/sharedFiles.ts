import type { Destination } from './destination';

/**
 * Where the files that several backups of one connection share live: "<connection>/blocks/<name>"
 * (SQLite incremental snapshots keep their packs of page blocks there). The folder sits beside
 * the backups' folders; the catalog lists only "<connection>/<backup>/manifest.json", so it never
 * takes this folder for a backup, and its files carry no owner tag, so no sweep takes them for
 * orphans. Which backups use a shared file is written in their manifests ("shared"): the storage
 * stays the catalog.
 *
 * A backup names the shared files it creates after its own id ("<backup id>.pack"): if it dies
 * before its manifest exists, the catalog removes them together with its folder.
 */
export const SHARED_FOLDER = 'blocks';

export function sharedKey(connectionId: string, name: string): string {
  return `${connectionId}/${SHARED_FOLDER}/${name}`;
}

/** The shared files a backup created itself start with "<backup id>.". */
export function ownSharedName(backupId: string, suffix: string): string {
  return `${backupId}.${suffix}`;
}

/** Removes the shared files that the backup at `backupPrefix` created: only for a backup that has
 *  no manifest (cancelled or killed), whose files no other backup references yet; the keys in
 *  `keep` (files a complete backup lists) stay. */
export async function deleteOwnShared(destination: Destination, backupPrefix: string, keep: ReadonlySet<string> = new Set()): Promise<void> {
  const [connectionId, backupId] = backupPrefix.split('/');
  for await (const object of destination.list(sharedKey(connectionId, ownSharedName(backupId, '')))) {
    if (!keep.has(object.key)) await destination.delete(object.key);
  }
}
