import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable, type Readable, type Transform } from 'node:stream';
import { BlockBuffer } from './blockBuffer';
import { compressor, decompressor } from './codec';
import { CancelledError, LifeboatError, explainIoError, isCancelled, isDiskFull } from './errors';
import { watchFirstFailure, type FirstFailure } from './firstFailure';
import { ByteCounter, HashingStream } from './hashing';
import { flushBehindStage } from './flushBehind';
import type { Codec, StoredFile } from './manifest';
import type { Destination } from './destination';
import { FanOut } from './fanOut';
import { canDecrypt, decryptor, describeEncryption, encryptor, type EncryptionPlan } from './ageKeys';

/**
 * The one pass every stored byte goes through: read → hash content → compress → hash stored
 * bytes → destination (atomic write). Engines produce a local file or a stream (a dump tool's
 * stdout); this turns it into a StoredFile entry of the manifest.
 */
export interface StoreOptions {
  destination: Destination;
  key: string;
  name: string;
  codec: Codec;
  level?: number;
  signal?: AbortSignal;
  /** Bytes of content read so far, and the expected total when known. */
  onBytes?: (bytesRead: number, totalBytes: number) => void;
  /** Extra stages that see the content before compression (row counters, completion checks). */
  observers?: Transform[];
  /**
   * Whether the content gets a SHA-256 of its own (default: yes). Dump streams go without: the
   * stored SHA-256 and the codec's checksum prove as much (manifest.ts, StoredFile).
   */
  contentHash?: boolean;
  /**
   * The source is already the stored bytes, compressed in `codec` outside Lifeboat (the zstd CLI
   * behind a dump tool): they are only hashed and written. `contentSize` gives the content's
   * size once the source has ended, if the compressor told it.
   */
  precompressed?: { contentSize: Promise<number | undefined> };
  /** Encrypt the stored bytes (after compression) to these recipients (ageKeys.ts). */
  encryption?: EncryptionPlan;
}

export async function storeFile(options: StoreOptions & { source: string }): Promise<StoredFile> {
  return storeStream({ ...options, ...await fileSource(options.source) });
}

export async function storeStream(options: StoreOptions & { source: Readable; expectedBytes?: number; what?: string }): Promise<StoredFile> {
  const { file, failures } = await storeStreamToAll({ ...options, destinations: [options.destination] });
  if (failures.length > 0) throw failures[0].error;
  return file;
}

/** A local file as a store's source: read in large blocks, its size known for progress. */
export async function fileSource(file: string): Promise<{ source: Readable; expectedBytes: number; what: string }> {
  const expectedBytes = (await fs.promises.stat(file)).size;
  return { source: fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), expectedBytes, what: `read ${file}` };
}

/** A destination that did not get its copy, and why. */
export interface CopyFailure {
  destination: Destination;
  error: unknown;
}

/**
 * The same pass, into several destinations at once: the content is read, hashed and compressed
 * once, and the same stored bytes go to each (FanOut), each written atomically by its own
 * destination. A destination that fails is reported in `failures` and the others go on; only
 * when every one of them failed, or the source itself, does this throw. Each copy's size, as its
 * destination counted it, must be the size of the bytes hashed.
 */
export async function storeStreamToAll(options: Omit<StoreOptions, 'destination'> & { destinations: Destination[]; source: Readable; expectedBytes?: number; what?: string }): Promise<{ file: StoredFile; failures: CopyFailure[] }> {
  const { destinations, key, codec, signal, precompressed } = options;
  const total = options.expectedBytes ?? 0;
  const onContent = (read: number) => options.onBytes?.(read, total);
  const content = precompressed ? undefined : options.contentHash === false ? new ByteCounter(onContent) : new HashingStream(onContent);
  const stored = new HashingStream(precompressed ? onContent : undefined);
  const fan = new FanOut(destinations.length);
  const encrypting = options.encryption ? [encryptor(options.encryption)] : [];
  const stages = content
    ? [options.source, new BlockBuffer(), content, ...(options.observers ?? []), compressor(codec, options.level), ...encrypting, stored, fan]
    : [options.source, ...encrypting, stored, fan];
  const firstFailure = watchFirstFailure(stages);
  const producing = pipeline(stages, { signal });
  const writes = destinations.map((destination, i) => destination.write(key, fan.branches[i], signal).catch((error: unknown) => {
    // A destination that fails before it reads (a folder it cannot create) must not leave the
    // producer waiting for it; the others go on.
    fan.branches[i].destroy();
    throw error;
  }));
  const [produced, ...written] = await Promise.allSettled([producing, ...writes]);
  if (signal?.aborted) throw new CancelledError();
  const failures: CopyFailure[] = [];
  written.forEach((result, i) => {
    if (result.status === 'rejected') failures.push({ destination: destinations[i], error: result.reason });
    else if (result.value.size !== stored.bytes) failures.push({ destination: destinations[i], error: new LifeboatError('io', `${destinations[i].location} stored ${result.value.size} bytes of ${options.name}, not the ${stored.bytes} written.`) });
  });
  const producerError = produced.status === 'fulfilled' ? undefined
    : signal?.aborted ? new CancelledError() : explainIoError(produced.reason, options.what ?? `read the data for ${options.name}`);
  const lost = failures.length === destinations.length ? failures.map(f => f.error) : [];
  // A full disk explains everything else. Then the stage that failed first: a destination's
  // error (cancelled, a folder it cannot write) explains the "premature close" it causes
  // upstream; a producer's (a source that cannot be read) explains the destinations' broken input.
  const diskFull = lost.find(isDiskFull);
  if (diskFull) throw diskFull;
  if (producerError && isDiskFull(producerError)) throw producerError;
  const first = firstFailure();
  if (producerError && (lost.length === 0 || (first && first.stage !== fan && first.stage !== stored))) throw producerError;
  if (lost.length > 0) throw lost[0];
  if (producerError) throw producerError;
  // This process may read back what it just encrypted (the archive check) without a secret key.
  for (const stage of encrypting) stage.remember(stored.sha256);
  const contentSize = content ? content.bytes : await precompressed?.contentSize;
  const contentSha256 = content instanceof HashingStream ? content.sha256 : undefined;
  return {
    file: {
      name: options.name, size: stored.bytes, sha256: stored.sha256, codec, ...(contentSize === undefined ? {} : { contentSize }), ...(contentSha256 === undefined ? {} : { contentSha256 }),
      ...(options.encryption ? { encryption: describeEncryption(options.encryption) } : {}),
    },
    failures,
  };
}

/**
 * Stores a finished local file as it is (a dump tool, or the zstd CLI behind one, already
 * compressed it): hashed in one read, then moved into the destination when it can take it without
 * copying (same file system), so a large archive is not written twice. The source file is gone
 * afterwards. `stored` says what the file is when it is not the content itself: its codec, and the
 * content's size when the compressor counted it.
 */
export async function adoptFile(options: Omit<StoreOptions, 'codec' | 'level' | 'observers' | 'precompressed'> & { source: string; stored?: { codec: Codec; contentSize?: number } }): Promise<StoredFile> {
  const { destination } = options;
  const codec = options.stored?.codec ?? 'none';
  if (!destination.adopt) {
    const file = codec === 'none' ? await storeFile({ ...options, codec })
      : await storeFile({ ...options, codec, precompressed: { contentSize: Promise.resolve(options.stored?.contentSize) } });
    await fs.promises.rm(options.source, { force: true });
    return file;
  }
  const total = (await fs.promises.stat(options.source)).size;
  const hash = new HashingStream(read => options.onBytes?.(read, total));
  try {
    await pipeline(fs.createReadStream(options.source, { highWaterMark: 1024 * 1024 }), hash, new Writable({ write(_c, _e, done) { done(); } }), { signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw new CancelledError();
    throw explainIoError(error, `read ${options.source}`);
  }
  const { size } = await destination.adopt(options.key, options.source);
  if (codec === 'none') return { name: options.name, size, sha256: hash.sha256, codec, contentSize: size, contentSha256: hash.sha256 };
  const contentSize = options.stored?.contentSize;
  return { name: options.name, size, sha256: hash.sha256, codec, ...(contentSize === undefined ? {} : { contentSize }) };
}

/**
 * Reads a stored file back through hashing and decompression into `sink` (a file path, or
 * nothing to only check). Throws 'verification' naming the file if either hash or size differs,
 * so a flipped byte is reported even when the codec cannot notice it.
 *
 * When something fails, the stage that failed first explains it: a full disk under the target is
 * "disk full" (never damage, though the decoder is torn down with it), a decoder's own error is
 * damage, and a reader that stopped early (a restore tool that rejected a statement) is its own
 * failure unless the stored bytes, read again, do not match the manifest.
 */
export async function readStoredFile(options: {
  destination: Destination;
  key: string;
  file: StoredFile;
  target?: string;
  /** Where the content goes instead of a file (a restore tool's stdin). */
  sink?: Writable;
  signal?: AbortSignal;
  onBytes?: (bytesRead: number, totalBytes: number) => void;
  /** The stored bytes were just checked against the manifest: a sink that fails is not read as
   *  a sign of damage, and the file is not read a second time to find out. */
  hashesChecked?: boolean;
}): Promise<void> {
  const { destination, key, file, signal } = options;
  // An encrypted file only checked, by a process that holds no key for it (verifying an
  // off-site copy, say): its stored bytes are what can be checked, and they are.
  if (file.encryption && !canDecrypt(file) && !options.sink && !options.target) {
    await checkStoredBytes(destination, key, file, signal, true);
    return;
  }
  const stored = new HashingStream(read => options.onBytes?.(read, file.size));
  // Stored as it is, the content is the stored bytes: hashing them twice would double the CPU a
  // restore spends beside the restore tool.
  const stage = file.contentSha256 === undefined ? (file.contentSize === undefined ? undefined : new ByteCounter())
    : file.codec === 'none' && file.contentSha256 === file.sha256 ? undefined : new HashingStream();
  const content = stage ?? stored;
  const sinks = options.sink ? [options.sink] : [];
  let decoding: Transform | undefined;
  let firstFailure: (() => FirstFailure | undefined) | undefined;
  try {
    // Encrypted after compression, so decrypted before it: a changed byte fails its chunk's tag.
    // Made first: with no identity to decrypt with, nothing is opened or created.
    const decrypting = file.encryption ? [decryptor({ sha256: file.sha256, encryption: file.encryption })] : [];
    // The source first: if it is missing, no target file has been created yet.
    const source = await destination.read(key).catch((error: unknown) => {
      // The manifest lists the file, so a missing one is a damaged backup, not a wrong name.
      throw error instanceof LifeboatError && error.code === 'not-found'
        ? new LifeboatError('verification', `${file.name} is missing from the backup (${error.message})`, 'The backup is incomplete: restore from another copy, and delete this one.', { cause: error })
        : error;
    });
    decoding = decompressor(file.codec);
    if (!options.sink) {
      sinks.push(...options.target
        ? [flushBehindStage(options.target), fs.createWriteStream(options.target, { flags: 'wx', mode: 0o600, flush: true })]
        : [new Writable({ write(_chunk, _enc, done) { done(); } })]);
    }
    // Run-ahead after decoding: the decompressor keeps working while a restore tool is busy.
    const stages = [source, stored, ...decrypting, decoding, new BlockBuffer(), ...(stage ? [stage] : []), ...sinks];
    firstFailure = watchFirstFailure(stages);
    await pipeline(stages, { signal });
  } catch (error) {
    // A sink that never got a pipeline (the source could not be opened) must still end, or
    // whatever reads from it (a restore tool's stdin) waits for ever. Destroyed without an error:
    // one that nobody listens to for errors would end the process.
    if (!firstFailure) options.sink?.destroy();
    if (signal?.aborted || isCancelled(error)) throw new CancelledError();
    const first = firstFailure?.();
    const cause = first?.error ?? error;
    const into = options.target ?? `the reader of ${file.name}`;
    if (isDiskFull(cause)) throw explainIoError(cause, `write ${into}`);
    // "No key opens it" can also mean a changed recipient stanza: the stored bytes tell which.
    // (Only once it was read: with no key given at all, nothing was.)
    if (file.encryption && first !== undefined && cause instanceof LifeboatError && cause.code === 'usage' && !options.hashesChecked) await checkStoredBytes(destination, key, file, signal);
    if (cause instanceof LifeboatError) throw cause;
    const code = String((cause as NodeJS.ErrnoException).code ?? '');
    // Whatever the codec (zlib's Z_* codes, zstd's own), a stream that does not decode is damage.
    if ((first !== undefined && first.stage === decoding) || code.startsWith('Z_') || code.startsWith('ZSTD')) {
      throw new LifeboatError('verification', `${file.name} does not decompress (${(cause as Error).message}).`,
        'The stored file is damaged: restore from another copy.', { cause });
    }
    if (first && sinks.includes(first.stage as Writable)) {
      // Damaged content can be what made the reader give up, before the decoder noticed.
      if (!options.hashesChecked) await checkStoredBytes(destination, key, file, signal);
      throw explainIoError(cause, `write ${into}`);
    }
    throw explainIoError(cause, `read ${file.name}`);
  }
  const problems: string[] = [];
  if (stored.bytes !== file.size) problems.push(`its size is ${stored.bytes} bytes, the manifest says ${file.size}`);
  else if (stored.sha256 !== file.sha256) problems.push(`its SHA-256 is ${stored.sha256}, the manifest says ${file.sha256}`);
  const contentDiffers = (file.contentSha256 !== undefined && content instanceof HashingStream && content.sha256 !== file.contentSha256)
    || (file.contentSize !== undefined && content.bytes !== file.contentSize);
  if (contentDiffers) problems.push('its decompressed content differs from what was backed up');
  if (problems.length > 0) throw damaged(file, problems);
}

/** Reads the stored bytes once more, only to compare them with the manifest; a read that fails
 *  proves nothing, so only a mismatch is thrown (unless `readFailures`: then the failure is). */
export async function checkStoredBytes(destination: Destination, key: string, file: StoredFile, signal?: AbortSignal, readFailures = false): Promise<void> {
  const stored = new HashingStream();
  try {
    await pipeline(await destination.read(key), stored, new Writable({ write(_chunk, _enc, done) { done(); } }), { signal });
  } catch (error) {
    if (!readFailures) return;
    if (signal?.aborted || isCancelled(error)) throw new CancelledError();
    if (error instanceof LifeboatError && error.code === 'not-found') throw new LifeboatError('verification', `${file.name} is missing from the backup (${error.message})`, 'The backup is incomplete: restore from another copy, and delete this one.', { cause: error });
    throw explainIoError(error, `read ${file.name}`);
  }
  if (stored.bytes !== file.size) throw damaged(file, [`its size is ${stored.bytes} bytes, the manifest says ${file.size}`]);
  if (stored.sha256 !== file.sha256) throw damaged(file, [`its SHA-256 is ${stored.sha256}, the manifest says ${file.sha256}`]);
}

function damaged(file: StoredFile, problems: string[]): LifeboatError {
  return new LifeboatError('verification', `${file.name} is damaged: ${problems.join('; ')}.`, 'Do not restore from this copy; use another copy of the backup.');
}
