import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { decompressor } from './codec';
import type { Destination } from './destination';
import { CancelledError, LifeboatError, errorMessage, explainIoError, isCancelled } from './errors';
import { HashingStream, hashFile } from './hashing';
import { fsyncFolder } from './fsync';
import { storeStream } from './storePipeline';

/**
 * The archive of a server's log files, beside its backups: PostgreSQL's WAL (archive_command →
 * `lifeboat wal-push`) and, later, MySQL/MariaDB binary logs. Each file is one object,
 *
 *   <connection>/<folder>/<name>.<sha256 of its content>.zst
 *
 * so that a listing alone tells what is archived, and with which content: a second push of the
 * same file is a no-op (PostgreSQL retries archive_command after a crash, and must be told
 * success), a push of other content under an archived name is refused (two clusters writing to
 * one archive, or a damaged file), and a fetch proves it got back exactly what was pushed. Like
 * pgBackRest's archive, whose file names also carry the checksum.
 */
export interface LogArchiveKind {
  /** The folder under the connection: "wal". */
  folder: string;
  /** What one file is, for messages: "WAL file". */
  what: string;
  /** The names the server writes; anything else is refused before it becomes a key or a path. */
  validName(name: string): boolean;
}

export interface ArchivedLog {
  name: string;
  sha256: string;
  key: string;
  /** Bytes as stored (compressed). */
  size: number;
  modified: Date;
}

const OBJECT_NAME = /^(.+)\.([0-9a-f]{64})\.zst$/;
/** WAL compresses well and arrives one segment at a time: a fast level keeps archive_command short. */
const ARCHIVE_LEVEL = 3;

function folderPrefix(connectionId: string, kind: LogArchiveKind): string {
  return `${connectionId}/${kind.folder}/`;
}

function requireName(kind: LogArchiveKind, name: string): void {
  if (!kind.validName(name)) throw new LifeboatError('usage', `${JSON.stringify(name)} is not a ${kind.what} name.`, `Lifeboat archives only the files the server names (%f in archive_command).`);
}

/** Every archived file of the connection in one destination, by name; objects whose names are
 *  not the archive's own (planted, or half-written by another tool) are left out. */
export async function listArchivedLogs(destination: Destination, connectionId: string, kind: LogArchiveKind, namePrefix = ''): Promise<Map<string, ArchivedLog[]>> {
  const prefix = folderPrefix(connectionId, kind);
  const found = new Map<string, ArchivedLog[]>();
  for await (const object of destination.list(prefix + namePrefix)) {
    const match = OBJECT_NAME.exec(object.key.slice(prefix.length));
    if (!match || !kind.validName(match[1])) continue;
    const entry = { name: match[1], sha256: match[2], key: object.key, size: object.size, modified: object.modified };
    found.set(entry.name, [...found.get(entry.name) ?? [], entry]);
  }
  return found;
}

export interface PushResult {
  name: string;
  sha256: string;
  /** Per destination: "stored", or "already" when the same content was archived before. */
  outcomes: { location: string; outcome: 'stored' | 'already' }[];
}

/**
 * Archives the local file `file` as `name` in every destination. Resolves only when each holds
 * it, durably; fails (and the server keeps the file and retries) when any does not.
 */
export async function pushLog(options: { destinations: Destination[]; connectionId: string; kind: LogArchiveKind; name: string; file: string; signal?: AbortSignal }): Promise<PushResult> {
  const { destinations, connectionId, kind, name, file, signal } = options;
  requireName(kind, name);
  let content: { bytes: number; sha256: string };
  try {
    content = await hashFile(file, signal);
  } catch (error) {
    if (signal?.aborted) throw new CancelledError(`Archiving ${name}`);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LifeboatError('not-found', `The ${kind.what} ${file} does not exist.`, 'archive_command passes %p, the path of a file the server has finished; check the command.', { cause: error });
    throw explainIoError(error, `read ${file}`);
  }
  const outcomes: PushResult['outcomes'] = [];
  for (const destination of destinations) {
    const existing = (await listArchivedLogs(destination, connectionId, kind, `${name}.`)).get(name) ?? [];
    if (existing.some(e => e.sha256 === content.sha256)) {
      outcomes.push({ location: destination.location, outcome: 'already' });
      continue;
    }
    if (existing.length > 0) {
      throw new LifeboatError('conflict', `${destination.location} already holds a ${kind.what} ${name} with other content (SHA-256 ${existing[0].sha256.slice(0, 12)}…, this one ${content.sha256.slice(0, 12)}…); it was not replaced.`,
        'Two servers may be archiving into one place, or this server was re-created: give each cluster its own connection id, and keep the archived file until you know which is right.');
    }
    const key = `${folderPrefix(connectionId, kind)}${name}.${content.sha256}.zst`;
    const stored = await storeStream({ destination, key, name: `${name}.zst`, codec: 'zstd', level: ARCHIVE_LEVEL, signal, source: fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), expectedBytes: content.bytes, what: `read ${file}` });
    if (stored.contentSha256 !== content.sha256) {
      await destination.delete(key).catch(() => undefined);
      throw new LifeboatError('io', `${file} changed while it was being archived.`, 'The server must only archive finished files: check archive_command.');
    }
    outcomes.push({ location: destination.location, outcome: 'stored' });
  }
  return { name, sha256: content.sha256, outcomes };
}

/**
 * Restores the archived `name` to `target` (restore_command's %p): from the first destination
 * that holds a good copy, written under a temporary name, fsynced, then renamed, so the server
 * never reads half a file. A copy that does not match the checksum in its name is reported and
 * the next destination tried. Rejects with 'not-found' when no destination has it: for the
 * server that means "not archived", which it asks for routinely (the next timeline's history).
 */
export async function fetchLog(options: { destinations: Destination[]; connectionId: string; kind: LogArchiveKind; name: string; target: string; signal?: AbortSignal; onDamaged?: (message: string) => void }): Promise<{ location: string; sha256: string; bytes: number }> {
  const { destinations, connectionId, kind, name, target, signal } = options;
  requireName(kind, name);
  const damaged: string[] = [];
  for (const destination of destinations) {
    const copies = (await listArchivedLogs(destination, connectionId, kind, `${name}.`)).get(name) ?? [];
    if (copies.length > 1) {
      damaged.push(`${destination.location} holds ${copies.length} different ${name}`);
      continue;
    }
    const copy = copies[0];
    if (!copy) continue;
    try {
      const bytes = await readArchived(destination, copy, target, signal);
      return { location: destination.location, sha256: copy.sha256, bytes };
    } catch (error) {
      if (signal?.aborted || isCancelled(error)) throw new CancelledError(`Fetching ${name}`);
      if (!(error instanceof LifeboatError && error.code === 'verification')) throw error;
      damaged.push(error.message);
      options.onDamaged?.(error.message);
    }
  }
  if (damaged.length > 0) throw new LifeboatError('verification', `No good copy of the ${kind.what} ${name}: ${damaged.join('; ')}.`, 'Recovery cannot go past this file; choose a target before it, or restore the file from another copy of the archive.');
  throw new LifeboatError('not-found', `The ${kind.what} ${name} is not in the archive (${destinations.map(d => d.location).join(', ')}).`);
}

/** One archived file, decompressed and checked, into `target`. */
export async function readArchived(destination: Destination, copy: ArchivedLog, target: string, signal?: AbortSignal, owner?: { uid: number; gid: number }, options: { durable?: boolean } = {}): Promise<number> {
  // A server's restore_command needs the file durable (it is the server's from then on); a
  // recovery sandbox's staging does not: after a crash the sandbox is made again.
  const durable = options.durable ?? true;
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.lifeboat-${process.pid}`);
  const content = new HashingStream();
  try {
    const source = await destination.read(copy.key);
    await pipeline(source, decompressor('zstd'), content, fs.createWriteStream(partial, { flags: 'w', mode: 0o600, flush: durable }), { signal });
  } catch (error) {
    await fs.promises.rm(partial, { force: true });
    if (signal?.aborted || isCancelled(error)) throw new CancelledError(`Fetching ${copy.name}`);
    if (error instanceof LifeboatError) throw error;
    const code = String((error as NodeJS.ErrnoException).code ?? '');
    if (code.startsWith('ZSTD') || code.startsWith('Z_') || /zstd|decompress/i.test(errorMessage(error))) {
      throw new LifeboatError('verification', `The archived ${copy.name} in ${destination.location} does not decompress (${errorMessage(error)}).`, 'That copy is damaged.', { cause: error });
    }
    throw explainIoError(error, `write ${target}`);
  }
  if (content.sha256 !== copy.sha256) {
    await fs.promises.rm(partial, { force: true });
    throw new LifeboatError('verification', `The archived ${copy.name} in ${destination.location} is damaged: its content's SHA-256 is ${content.sha256.slice(0, 12)}…, its name says ${copy.sha256.slice(0, 12)}….`, 'That copy is damaged.');
  }
  // Owned before it is in place: a reader that finds it (a server's restore_command) can read it.
  if (owner) await fs.promises.chown(partial, owner.uid, owner.gid);
  await fs.promises.rename(partial, target);
  if (durable) await fsyncFolder(path.dirname(target)).catch(() => undefined);
  return content.bytes;
}
