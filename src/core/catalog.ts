import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { errorMessage } from './errors';
import type { Logger } from './logger';
import { MANIFEST_FILE, parseManifest, serializeManifest, type Manifest } from './manifest';
import type { Destination } from '../storage/destination';

/**
 * The catalog is not a database of its own: it is what listing a destination's manifests says.
 * Any machine that can read the destination sees the same backups.
 */
export interface CatalogEntry {
  /** Key prefix of the backup's folder: "<connection>/<backup>". */
  prefix: string;
  manifest: Manifest;
}

export interface CatalogListing {
  /** Newest first. */
  entries: CatalogEntry[];
  /** Manifests that exist but cannot be read; listed so a person can see and delete them. */
  problems: { prefix: string; message: string }[];
}

export async function listBackups(destination: Destination, options: { connectionId?: string; logger?: Logger } = {}): Promise<CatalogListing> {
  const removed = await destination.sweepStale();
  for (const item of removed) options.logger?.info(`Removed ${item}: left behind by a backup that was interrupted.`);

  const listing: CatalogListing = { entries: [], problems: [] };
  const prefix = options.connectionId ? `${options.connectionId}/` : '';
  for await (const object of destination.list(prefix)) {
    const parts = object.key.split('/');
    if (parts.length !== 3 || parts[2] !== MANIFEST_FILE) continue;
    const backupPrefix = `${parts[0]}/${parts[1]}`;
    try {
      listing.entries.push({ prefix: backupPrefix, manifest: await readManifest(destination, backupPrefix) });
    } catch (error) {
      listing.problems.push({ prefix: backupPrefix, message: errorMessage(error) });
    }
  }
  listing.entries.sort((a, b) => b.manifest.completedAt.localeCompare(a.manifest.completedAt) || b.manifest.id.localeCompare(a.manifest.id));
  return listing;
}

/** Finds one backup by id (or an unambiguous prefix of it). */
export async function findBackup(destination: Destination, id: string, logger?: Logger): Promise<CatalogEntry | undefined> {
  const { entries } = await listBackups(destination, { logger });
  return entries.find(e => e.manifest.id === id) ?? singleOrNone(entries.filter(e => e.manifest.id.startsWith(id)));
}

function singleOrNone<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

export async function readManifest(destination: Destination, prefix: string): Promise<Manifest> {
  const key = `${prefix}/${MANIFEST_FILE}`;
  return parseManifest(await text(await destination.read(key)), key);
}

/** Writes the manifest. Called last by a backup (this is what makes it a backup) and again to
 *  append verification results; the write is atomic, so readers never see half a manifest. */
export async function writeManifest(destination: Destination, prefix: string, manifest: Manifest): Promise<void> {
  await destination.write(`${prefix}/${MANIFEST_FILE}`, Readable.from([Buffer.from(serializeManifest(manifest))]));
}

/** Deletes a backup: the manifest first, so a deletion cut short never leaves a listed backup
 *  with files missing, then its files and anything else under its folder. */
export async function deleteBackup(destination: Destination, prefix: string): Promise<void> {
  await destination.delete(`${prefix}/${MANIFEST_FILE}`);
  for await (const object of destination.list(`${prefix}/`)) await destination.delete(object.key);
}
