import { formatBytes } from './format';
import type { ProgressListener } from './progress';
import { whileReading } from './backupHolds';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { beginBackup, commitBackup, removeBackupFiles, type CatalogEntry } from './catalog';
import { checkStoredBytes } from './storePipeline';
import type { Destination } from './destination';
import { CancelledError, LifeboatError, isCancelled } from './errors';
import { HashingStream } from './hashing';
import type { Logger } from './logger';
import { MANIFEST_FILE, parseManifest, type Manifest, type StoredFile } from './manifest';
import { sharedKey } from './sharedFiles';

/**
 * Adds a copy of an existing backup to another destination (a second folder, a bucket): every
 * stored file is streamed from the source into the target, hashed on the way and checked against
 * the manifest's size and SHA-256; the shared files an incremental snapshot needs go along where
 * the target lacks them (one it has already is read back and checked). The manifest is written
 * last, naming every copy now known, so a copy cut short (failed, cancelled, killed) is never a
 * backup, and what it wrote is removed. The source is only read.
 */
export interface CopyOptions {
  signal?: AbortSignal;
  logger?: Logger;
  onBytes?: (copied: number, total: number) => void;
}

export interface CopiedBackup {
  entry: CatalogEntry;
  /** Bytes copied (stored files and the shared files the target lacked). */
  bytes: number;
  /** Shared files the target already held, checked instead of copied. */
  sharedReused: number;
}

/** A copy's byte counts as the job's progress ("Copying 12 MB of 80 MB"), for every caller. */
export function copyProgress(listener: ProgressListener | undefined): (copied: number, total: number) => void {
  return (done, total) => listener?.({ fraction: total > 0 ? done / total : 1, message: `Copying ${formatBytes(done)} of ${formatBytes(total)}` });
}

export async function copyBackup(entry: CatalogEntry, from: Destination, to: Destination, options: CopyOptions = {}): Promise<CopiedBackup> {
  // The source is held while it is read, so that retention there keeps it (backupHolds.ts).
  return whileReading(from, entry.prefix, options.logger, () => copyHeld(entry, from, to, options));
}

async function copyHeld(entry: CatalogEntry, from: Destination, to: Destination, options: CopyOptions): Promise<CopiedBackup> {
  const { manifest, prefix } = entry;
  if (from.location === to.location) throw new LifeboatError('usage', `The backup ${manifest.id} is already in ${to.location}.`, 'Copy it to another folder or bucket.');
  // One listing of the target's connection says both whether the backup is there already and
  // which shared files it holds.
  const have = new Set<string>();
  for await (const object of to.list(`${manifest.connection.id}/`)) have.add(object.key);
  if (have.has(`${prefix}/${MANIFEST_FILE}`)) throw new LifeboatError('usage', `${to.location} already holds the backup ${manifest.id}.`, 'Verify that copy (lifeboat verify --deep), or delete it first to copy it again.');

  const shared = manifest.shared ?? [];
  const total = [...manifest.files, ...shared].reduce((n, f) => n + f.size, 0);
  let done = 0;
  let copiedBytes = 0;
  const copiedShared: string[] = [];
  let sharedReused = 0;
  const marker = await beginBackup(to, prefix);
  try {
    for (const file of manifest.files) {
      await copyStoredFile(from, to, `${prefix}/${file.name}`, file, options.signal, read => options.onBytes?.(done + read, total));
      done += file.size;
      copiedBytes += file.size;
    }
    for (const file of shared) {
      const key = sharedKey(manifest.connection.id, file.name);
      if (have.has(key)) {
        await checkStoredBytes(to, key, file, options.signal, true);
        sharedReused++;
      } else {
        await copyStoredFile(from, to, key, file, options.signal, read => options.onBytes?.(done + read, total));
        copiedShared.push(key);
        copiedBytes += file.size;
      }
      done += file.size;
    }
    const copies = [...(manifest.copies ?? [{ location: from.location, kind: from.kind }])];
    if (!copies.some(c => c.location === to.location)) copies.push({ location: to.location, kind: to.kind });
    // The manifest as written (with the checks made at backup time), not the source copy's own
    // verification records, which speak of that copy only.
    const written = parseManifest(await text(await from.read(`${prefix}/${MANIFEST_FILE}`)), `${prefix}/${MANIFEST_FILE}`);
    const copied: Manifest = { ...written, copies };
    await commitBackup(to, prefix, marker, copied);
    options.logger?.info(`Copied ${manifest.id} from ${from.location} to ${to.location}: ${copiedBytes} bytes copied, every byte checked against its manifest.`);
    return { entry: { prefix, manifest: copied }, bytes: copiedBytes, sharedReused };
  } catch (error) {
    // Nothing of the copy stays: its folder (payload and marker) and the shared files it brought.
    await removeBackupFiles(to, prefix).catch(() => undefined);
    await to.delete(marker).catch(() => undefined);
    for (const key of copiedShared) await to.delete(key).catch(() => undefined);
    if (options.signal?.aborted || isCancelled(error)) throw new CancelledError('The copy');
    throw error;
  }
}

/** One stored file from `from` to `to`, its bytes checked against the manifest on the way; a
 *  mismatch removes what was written and names the source copy as damaged. */
async function copyStoredFile(from: Destination, to: Destination, key: string, file: StoredFile, signal: AbortSignal | undefined, onBytes: (read: number) => void): Promise<void> {
  const source = await from.read(key).catch((error: unknown) => {
    throw error instanceof LifeboatError && error.code === 'not-found'
      ? new LifeboatError('verification', `${file.name} is missing from the backup in ${from.location}.`, 'That copy is incomplete: copy from another one.', { cause: error })
      : error;
  });
  const hash = new HashingStream(onBytes);
  const writing = to.write(key, hash, signal);
  const [read, wrote] = await Promise.allSettled([pipeline(source, hash).catch((error: unknown) => { hash.destroy(error as Error); throw error; }), writing]);
  // The target's own error explains the source's broken pipe; a write that failed because the
  // source did carries the source's error (destination.ts).
  if (wrote.status === 'rejected') throw wrote.reason;
  if (read.status === 'rejected') throw read.reason;
  if (hash.bytes !== file.size || hash.sha256 !== file.sha256) {
    await to.delete(key);
    throw new LifeboatError('verification', `${file.name} in ${from.location} does not match its manifest (${hash.bytes !== file.size ? `${hash.bytes} bytes, the manifest says ${file.size}` : 'its SHA-256 differs'}).`,
      'That copy is damaged, so it was not copied: copy from another one, or verify it (lifeboat verify).');
  }
}
