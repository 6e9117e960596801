import type { Readable } from 'node:stream';

/**
 * A place backups are stored: a local folder now, S3-compatible stores later. Keys are relative
 * paths with '/' separators ("<connection>/<backup>/manifest.json"). The destination is the
 * catalog: anything needed to list and restore backups is in the objects it holds.
 *
 * Every method refuses, with LifeboatError 'usage' and before touching anything, a key that is
 * empty, absolute, has an empty part ("a//b", "a/"), a "." or ".." part, a NUL, or a folder part
 * that starts with "." (such folders are the backend's own: scratch space, logs). Keys come from
 * manifests, which are input from outside. Names that end in an owned suffix (core/orphans.ts:
 * ".partial-<host>-<pid>-<random>" and the like) belong to the backend's writers; of those only
 * the 'writing' marker of a backup in progress is an ordinary object. A key is never also a
 * folder of other keys ("a" and "a/b"): callers do not do it, and a folder cannot hold both.
 *
 * test/contract/destinationContract.ts holds these promises as tests, run on every backend.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  modified: Date;
}

export interface Destination {
  readonly kind: 'local' | 's3';
  /** Where it is, for people: "/home/me/backups" or "s3://bucket/prefix". */
  readonly location: string;

  /** Every complete object whose key starts with `prefix` ('' for all), with its size. The prefix
   *  is a string, not a folder: "app" also matches "apple/…", so callers that mean a folder end
   *  it with '/'. Objects still being written, and what dead writers left, are never listed; an
   *  object being replaced is listed once, as the old one. Order is unspecified. */
  list(prefix: string): AsyncIterable<ObjectInfo>;

  /** Opens an object for reading. Rejects with LifeboatError 'not-found' when there is no object
   *  under `key` (a prefix of other keys is none). A reader keeps reading the bytes it opened,
   *  whole, when a write or adopt replaces the object meanwhile. */
  read(key: string): Promise<Readable>;

  /** Stores `data` under `key`, replacing any object there, and resolves with the bytes stored.
   *  Atomic: until it resolves, readers and list() see the old object or none, never part of
   *  the new one. Data is durable (fsynced) when the promise resolves. When it rejects, nothing
   *  new remains and an old object is as it was: with CancelledError when `signal` aborts (even
   *  before the first byte), otherwise with a LifeboatError that is the source's error or is
   *  caused by it when `data` fails. Concurrent writes of different keys, and deletes of other
   *  keys (even the last other one in a folder), do not disturb one another; of concurrent
   *  writes of one key, one is stored, whole. */
  write(key: string, data: Readable, signal?: AbortSignal): Promise<{ size: number }>;

  /** Moves a finished local file in as `key`, atomically and durably, as write() would store its
   *  bytes, without copying it when it can (same file system). The file is gone once it
   *  resolves, copied or not; a missing file rejects with a LifeboatError and stores nothing.
   *  Optional: callers fall back to write(). */
  adopt?(key: string, file: string): Promise<{ size: number }>;

  /** Removes an object. A missing object is not an error. */
  delete(key: string): Promise<void>;

  /** Removes what writers that died (SIGKILL, power loss) left half-written, and returns how it
   *  names each thing it removed, for the log (a local path, a key, an upload id). Safe to call
   *  while other writers are active: it only takes what is orphaned, never what a live process
   *  is writing (this one included; on another host, anything changed within a day), nor a
   *  complete object, whatever its name (a backup's 'writing' marker is the catalog's to judge). */
  sweepStale(): Promise<string[]>;

  /** The file path of an object when the destination is a local folder (for Reveal). Throws
   *  LifeboatError 'usage' for a key every method refuses. */
  localPath?(key: string): string;
}
