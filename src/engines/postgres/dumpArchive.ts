import type { Writable } from 'node:stream';
import type { CatalogEntry } from '../../core/catalog';
import { CancelledError, LifeboatError } from '../../core/errors';
import { linkedController, type JobContext } from '../../core/job';
import type { Manifest, StoredFile } from '../../core/manifest';
import { runTool } from '../../core/processes';
import { readStoredFile } from '../../core/storePipeline';
import type { Destination } from '../../core/destination';
import type { PgFormat } from './dumpOptions';
import { firstError } from './toolErrors';

/**
 * A stored pg_dump archive as pg_restore and psql need it: a path they can open themselves
 * (seekable, so parallel restore and table selection work) when the destination is a local
 * folder and the files are stored as pg_dump wrote them; otherwise a stream of the content,
 * decompressed and checked against the manifest's hashes on the way.
 */
export function archiveFormat(manifest: Manifest): PgFormat {
  const format = manifest.options.format;
  if (format !== 'custom' && format !== 'directory' && format !== 'plain') {
    throw new LifeboatError('verification', `The manifest of ${manifest.id} names no pg_dump format.`, 'The backup cannot be restored by Lifeboat.');
  }
  return format;
}

/** A path pg_restore can read directly, or undefined when the archive must be streamed. */
export function archivePath(entry: CatalogEntry, destination: Destination): string | undefined {
  return archivePathOf(entry.prefix, entry.manifest.files, archiveFormat(entry.manifest), destination);
}

/** The same for a backup whose manifest is not written yet. */
export function archivePathOf(prefix: string, files: StoredFile[], format: PgFormat, destination: Destination): string | undefined {
  if (!destination.localPath || files.some(f => f.codec !== 'none' || f.encryption)) return undefined;
  if (format === 'directory') return destination.localPath(prefix);
  return destination.localPath(`${prefix}/${files[0].name}`);
}

export function singleFile(manifest: Manifest): StoredFile {
  if (manifest.files.length !== 1) throw new LifeboatError('verification', `The manifest of ${manifest.id} lists ${manifest.files.length} files for a single-file archive.`);
  return manifest.files[0];
}

/** Streams the archive's content into `sink` (a tool's stdin), checking both hashes on the way. */
export async function streamArchive(stored: StoredArchive, sink: Writable, signal: AbortSignal, onBytes?: (read: number, total: number) => void): Promise<void> {
  const { destination, prefix, file, hashesChecked } = stored;
  await readStoredFile({ destination, key: `${prefix}/${file.name}`, file, sink, signal, onBytes, hashesChecked });
}

/** One stored file of a backup, where it is. */
export interface StoredArchive {
  destination: Destination;
  prefix: string;
  file: StoredFile;
  /** Its bytes were just checked against the manifest (see readStoredFile). */
  hashesChecked?: boolean;
}

export function storedArchive(entry: CatalogEntry, ctx: JobContext): StoredArchive {
  return { destination: ctx.destination, prefix: entry.prefix, file: singleFile(entry.manifest) };
}

/**
 * `pg_restore --list`: the quick proof that the archive parses (header and table of contents).
 * From a stream, pg_restore stops reading after the table of contents; the rest is not read.
 */
export async function listArchive(pgRestore: string, env: NodeJS.ProcessEnv, source: { path: string } | StoredArchive, signal?: AbortSignal): Promise<string> {
  const { controller: stop, dispose } = linkedController(signal);
  const fromStream = !('path' in source);
  const run = runTool({
    label: 'pg_restore --list', command: pgRestore, args: ['--list', ...(fromStream ? [] : [source.path])], env,
    stdin: fromStream ? 'pipe' : 'ignore', stdout: 'pipe', signal: stop.signal,
    explain: tail => new LifeboatError('verification', `pg_restore cannot read the archive: ${firstError(tail)}.`, 'The archive is damaged or not a pg_dump archive: restore from another backup.'),
  });
  const out: Buffer[] = [];
  run.child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  try {
    if (fromStream) {
      // pg_restore stops reading after the table of contents: that is no sign of damage.
      const feeding = streamArchive({ ...source, hashesChecked: true }, run.child.stdin!, stop.signal).catch(error => error as Error);
      const ran = await run.done.finally(() => stop.abort()).then(() => undefined, (error: unknown) => error);
      const fed = await feeding;
      // pg_restore closing its input early is expected; a damaged stored file is not, and it
      // explains pg_restore's own failure (a stream cut short by damage reads as "too short").
      if (fed instanceof LifeboatError && fed.code === 'verification' && !/premature|EPIPE/i.test(fed.message)) throw fed;
      // Nothing to decrypt the archive with, or the wrong key: that, not "damaged", is the answer.
      // (pg_restore closing early makes the feed stop as cancelled: that is no answer.)
      if (fed instanceof LifeboatError && fed.code === 'usage') throw fed;
      if (ran) throw ran;
    } else {
      await run.done;
    }
  } catch (error) {
    if (signal?.aborted) throw new CancelledError();
    throw error;
  } finally {
    dispose();
  }
  return Buffer.concat(out).toString('utf8');
}
