import { Readable } from 'node:stream';
import type { Destination } from './destination';
import { errorMessage } from './errors';
import type { Logger } from './logger';
import { isOrphan, ownedKind, ownedName } from './orphans';

/**
 * A backup being read (restored, verified, copied, compared) holds a "reading" marker in its
 * folder for as long as the reading lasts, so that retention run meanwhile by another process or
 * host never deletes it under the reader (litestream #224 and #1450 deleted files during a
 * restore). A reader killed without cleaning up leaves a marker whose owner is gone: it holds
 * nothing and the next sweep removes it (orphans.ts: same host and process gone, or another host's
 * and a day old).
 * The mark is best effort: a backup in a store this reader cannot write to (read-only keys, a
 * read-only mount) is read all the same, and the log says it is not held.
 */
export async function whileReading<T>(destination: Destination, prefix: string, logger: Logger | undefined, work: () => Promise<T>): Promise<T> {
  const key = `${prefix}/${ownedName('backup', 'reading')}`;
  let marked = false;
  try {
    await destination.write(key, Readable.from([Buffer.from(`${JSON.stringify({ startedAt: new Date().toISOString(), pid: process.pid })}\n`)]));
    marked = true;
  } catch (error) {
    logger?.warn(`Could not mark ${destination.location}/${prefix} as being read (${errorMessage(error)}): retention run elsewhere meanwhile could delete it.`);
  }
  try {
    return await work();
  } finally {
    if (marked) await destination.delete(key).catch((error: unknown) => logger?.warn(`The reading marker ${key} was not removed (${errorMessage(error)}); the next sweep removes it.`));
  }
}

/** The prefixes ("<connection>/<backup>") of the backups live readers hold in `destination`, under
 *  a connection id or one backup's prefix when given. */
export async function heldBackups(destination: Destination, under?: string): Promise<Set<string>> {
  const held = new Set<string>();
  for await (const object of destination.list(under ? `${under}/` : '')) {
    const parts = object.key.split('/');
    if (parts.length === 3 && ownedKind(parts[2]) === 'reading' && !isOrphan(parts[2], object.modified)) held.add(`${parts[0]}/${parts[1]}`);
  }
  return held;
}
