import type { Readable } from 'node:stream';

/**
 * A place backups are stored: a local folder now, S3-compatible stores later. Keys are relative
 * paths with '/' separators ("<connection>/<backup>/manifest.json"). The destination is the
 * catalog: anything needed to list and restore backups is in the objects it holds.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  modified: Date;
}

export interface Destination {
  readonly kind: 'local';
  /** Where it is, for people: "/home/me/backups" or "s3://bucket/prefix". */
  readonly location: string;

  /** Every complete object whose key starts with `prefix` ('' for all). Objects still being
   *  written are never listed. Order is unspecified. */
  list(prefix: string): AsyncIterable<ObjectInfo>;

  /** Opens an object for reading. Throws LifeboatError 'not-found' when it does not exist. */
  read(key: string): Promise<Readable>;

  /** Stores `data` under `key`, replacing any object there. Atomic: readers see the old object
   *  or the whole new one, never part. On error or abort nothing new remains. Data is durable
   *  (fsynced) when the promise resolves. */
  write(key: string, data: Readable, signal?: AbortSignal): Promise<{ size: number }>;

  /** Moves a finished local file in as `key`, atomically and durably, without copying it when
   *  it can (same file system). Optional: callers fall back to write(). */
  adopt?(key: string, file: string): Promise<{ size: number }>;

  /** Removes an object. A missing object is not an error. */
  delete(key: string): Promise<void>;

  /** Removes what writers that died (SIGKILL, power loss) left half-written. Returns the keys or
   *  paths removed. Safe to call while other writers are active: it only takes what is orphaned. */
  sweepStale(): Promise<string[]>;

  /** The file path of an object when the destination is a local folder (for Reveal). */
  localPath?(key: string): string;
}
