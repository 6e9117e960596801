import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LifeboatError, errorMessage } from './errors';
import type { Logger } from './logger';
import { MANIFEST_FILE, parseManifest, serializeManifest, type Manifest, type Verification } from './manifest';
import type { Destination, ObjectInfo } from './destination';
import { isOrphan, ownedKind, ownedName, removeOrphanFolders } from './orphans';
import { sweepSecretsFolders } from './runtimeFolder';
import { scratchRoot } from './scratch';
import { SHARED_FOLDER, deleteOwnShared, sharedKey } from './sharedFiles';
import { isVerificationRecordKey, withVerificationRecords, writeVerificationRecord } from './verificationLog';
import { writableVerification } from './verificationRecord';

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
  problems: CatalogProblem[];
}

/** A backup folder whose manifest cannot be read or trusted, and why. */
export interface CatalogProblem {
  prefix: string;
  message: string;
}

export async function listBackups(destination: Destination, options: { connectionId?: string; logger?: Logger } = {}): Promise<CatalogListing> {
  await sweepDestination(destination, options.logger);

  const prefix = options.connectionId ? `${options.connectionId}/` : '';
  const manifests = new Set<string>();
  const records = new Map<string, string[]>();
  for await (const object of destination.list(prefix)) {
    const parts = object.key.split('/');
    if (isVerificationRecordKey(object.key)) records.set(`${parts[0]}/${parts[1]}`, [...records.get(`${parts[0]}/${parts[1]}`) ?? [], object.key]);
    // The shared folder is never a backup, whatever a hostile copy puts in it: treating it as one
    // would delete every block of the connection with it.
    if (parts.length === 3 && parts[1] !== SHARED_FOLDER && parts[2] === MANIFEST_FILE) manifests.add(`${parts[0]}/${parts[1]}`);
  }

  const listing: CatalogListing = { entries: [], problems: [] };
  for (const backupPrefix of manifests) {
    try {
      listing.entries.push({ prefix: backupPrefix, manifest: await readManifest(destination, backupPrefix, records.get(backupPrefix) ?? []) });
    } catch (error) {
      listing.problems.push({ prefix: backupPrefix, message: errorMessage(error) });
    }
  }
  listing.entries.sort((a, b) => b.manifest.completedAt.localeCompare(a.manifest.completedAt) || b.manifest.id.localeCompare(a.manifest.id));
  return listing;
}

/**
 * Removes what writers killed outright left behind (SIGKILL leaves them no chance): their
 * password files, scratch folders, partial files and unfinished backups. Every entry path that
 * starts jobs calls it first (the CLI for each command, the editor's job runner, its tasks and
 * merges), so a killed run's leftovers go with the next run, whatever that does. A failure to
 * sweep is logged, not thrown: the job itself can still succeed.
 */
export async function sweepDeadWriters(ctx: { destination: Destination; scratchParent: string; logger?: Logger }): Promise<void> {
  try {
    for (const folder of await sweepSecretsFolders(scratchRoot(ctx.scratchParent))) {
      ctx.logger?.info(`Removed ${folder}: the password files of a job that was interrupted.`);
    }
    // Scratch outside the backup folder (a scratch folder of its own) is not in any listing.
    for (const folder of await removeOrphanFolders(scratchRoot(ctx.scratchParent))) {
      ctx.logger?.info(`Removed ${folder}: the scratch folder of a job that was interrupted.`);
    }
    await sweepDestination(ctx.destination, ctx.logger);
  } catch (error) {
    ctx.logger?.warn(`Could not remove what interrupted jobs left behind: ${errorMessage(error)}`);
  }
}

/** Partial files and scratch folders of dead writers, unfinished uploads, and backups they left
 *  unfinished, in one destination: removed, and returned as they are named in the log. */
export async function sweepDestination(destination: Destination, logger?: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const item of await destination.sweepStale()) {
    logger?.info(`Removed ${item}: left behind by a backup that was interrupted.`);
    removed.push(item);
  }
  const manifests = new Set<string>();
  const markers: ObjectInfo[] = [];
  const readers: string[] = [];
  for await (const object of destination.list('')) {
    const parts = object.key.split('/');
    // A marker or manifest planted in the shared folder must not make it a backup to remove.
    if (parts.length !== 3 || parts[1] === SHARED_FOLDER) continue;
    if (parts[2] === MANIFEST_FILE) manifests.add(`${parts[0]}/${parts[1]}`);
    else if (ownedKind(parts[2]) === 'writing') markers.push(object);
    else if (ownedKind(parts[2]) === 'reading' && isOrphan(parts[2], object.modified)) readers.push(object.key);
  }
  removed.push(...await removeAbandoned(destination, markers, manifests, logger));
  // A killed reader's marker holds nothing (backupHolds.ts); on a local folder sweepStale took it already.
  for (const key of readers) {
    await destination.delete(key);
    removed.push(`${destination.location}/${key}`);
  }
  return removed;
}

/**
 * A backup's folder holds a "writing" marker from its start until its manifest is written. A
 * marker whose process is gone means the backup was killed: without a manifest, its payload is
 * removed; with one, only the marker is (the kill came after the manifest).
 */
async function removeAbandoned(destination: Destination, markers: ObjectInfo[], manifests: Set<string>, logger?: Logger): Promise<string[]> {
  const removed: string[] = [];
  // Read once per connection, however many of its backups were abandoned.
  const inUse = new Map<string, Promise<Set<string> | undefined>>();
  for (const marker of markers) {
    const name = marker.key.split('/')[2];
    if (!isOrphan(name, marker.modified)) continue;
    const backupPrefix = marker.key.split('/').slice(0, 2).join('/');
    if (manifests.has(backupPrefix)) {
      await destination.delete(marker.key);
    } else {
      await removeBackupFiles(destination, backupPrefix);
      // Its own new blocks, unless a complete backup lists them: a copy of a snapshot brings
      // blocks named after an older backup (backupCopy.ts), which a newer one may need.
      const connectionId = backupPrefix.split('/')[0];
      if (!inUse.has(connectionId)) inUse.set(connectionId, sharedInUse(destination, connectionId, manifests));
      const referenced = await inUse.get(connectionId);
      if (referenced) await deleteOwnShared(destination, backupPrefix, referenced);
      logger?.info(`Removed ${backupPrefix}: a backup that was interrupted before its manifest was written.`);
      removed.push(`${destination.location}/${backupPrefix}`);
    }
  }
  return removed;
}

/** The shared files the complete backups of `connectionId` list, or undefined when a manifest
 *  cannot be read (then none is taken for unused). */
async function sharedInUse(destination: Destination, connectionId: string, manifests: Set<string>): Promise<Set<string> | undefined> {
  const names = new Set<string>();
  for (const prefix of manifests) {
    if (prefix.split('/')[0] !== connectionId) continue;
    try {
      for (const file of (await readManifest(destination, prefix)).shared ?? []) names.add(sharedKey(connectionId, file.name));
    } catch {
      return undefined;
    }
  }
  return names;
}

/** Marks a backup as in progress; call `finishBackup` after its manifest is written. */
export async function beginBackup(destination: Destination, prefix: string): Promise<string> {
  const key = `${prefix}/${ownedName('backup', 'writing')}`;
  await destination.write(key, Readable.from([Buffer.from(JSON.stringify({ startedAt: new Date().toISOString(), pid: process.pid }) + '\n')]));
  return key;
}

export async function finishBackup(destination: Destination, markerKey: string): Promise<void> {
  await destination.delete(markerKey);
}

/** The last step of every backup: the manifest, which makes the stored files a backup, then the
 *  end of the in-progress marker. */
export async function commitBackup(destination: Destination, prefix: string, markerKey: string, manifest: Manifest): Promise<void> {
  await writeManifest(destination, prefix, manifest);
  await finishBackup(destination, markerKey);
}

export interface FoundBackups {
  /** Backups whose id is `id`, or else starts with it (several when the start is ambiguous). */
  entries: CatalogEntry[];
  /** When no backup matches: the unreadable backups whose folder is `id` or starts with it (or
   *  whose "<connection>/<folder>" is `id`), so that a caller can say why it cannot use them. */
  unreadable: CatalogProblem[];
}

export async function findBackups(destination: Destination, id: string, logger?: Logger): Promise<FoundBackups> {
  const { entries, problems } = await listBackups(destination, { logger });
  const exact = entries.filter(e => e.manifest.id === id || e.prefix === id);
  const found = exact.length > 0 ? exact : entries.filter(e => e.manifest.id.startsWith(id));
  if (found.length > 0 || !id) return { entries: found, unreadable: [] };
  const folder = (p: CatalogProblem) => p.prefix.slice(p.prefix.indexOf('/') + 1);
  const exactProblems = problems.filter(p => p.prefix === id || folder(p) === id);
  return { entries: [], unreadable: exactProblems.length > 0 ? exactProblems : problems.filter(p => folder(p).startsWith(id)) };
}

/**
 * The manifest in the folder "<connection>/<backup>", with its whole verification history
 * (verificationLog.ts; `recordKeys`: the keys of its records, when the caller has listed them). It must name that folder's backup and
 * connection: the folder is where every reader looks the backup up, so a manifest copied or
 * edited to claim another id (to stand in for another backup, or to spoof one in a listing) is
 * not trusted.
 */
export async function readManifest(destination: Destination, prefix: string, recordKeys?: string[]): Promise<Manifest> {
  const key = `${prefix}/${MANIFEST_FILE}`;
  const manifest = parseManifest(await text(await destination.read(key)), key);
  const [connectionFolder, backupFolder] = prefix.split('/');
  const claims = manifest.id !== backupFolder ? `the backup ${manifest.id}` : manifest.connection.id !== connectionFolder ? `the connection ${manifest.connection.id}` : undefined;
  if (claims) {
    throw new LifeboatError('verification', `The manifest ${key} names ${claims}, not the folder it is in.`,
      'It was copied or edited, so the backup cannot be trusted: delete it.');
  }
  return withVerificationRecords(destination, prefix, manifest, key, recordKeys);
}

/** Writes the manifest, once, as a backup's last step: this is what makes it a backup. The write
 *  is atomic, so readers never see half a manifest. */
export async function writeManifest(destination: Destination, prefix: string, manifest: Manifest): Promise<void> {
  const written = { ...manifest, verifications: manifest.verifications.map(writableVerification) };
  await destination.write(`${prefix}/${MANIFEST_FILE}`, Readable.from([Buffer.from(serializeManifest(written))]));
}

/**
 * Records a verification beside the manifest (verificationLog.ts), never by rewriting it, so that
 * concurrent verifies all keep their records. A backup deleted meanwhile must stay deleted: if its
 * manifest is gone once the record is written, the record is removed again and "not found" thrown.
 */
export async function appendVerification(destination: Destination, prefix: string, verification: Verification): Promise<void> {
  const key = await writeVerificationRecord(destination, prefix, verification);
  try {
    (await destination.read(`${prefix}/${MANIFEST_FILE}`)).destroy();
  } catch (error) {
    await destination.delete(key);
    throw error;
  }
}

/** Deletes a backup: the manifest first, so a deletion cut short never leaves a listed backup
 *  with files missing, then its files and anything else under its folder. */
export async function removeBackupFiles(destination: Destination, prefix: string): Promise<void> {
  await destination.delete(`${prefix}/${MANIFEST_FILE}`);
  for await (const object of destination.list(`${prefix}/`)) await destination.delete(object.key);
}
