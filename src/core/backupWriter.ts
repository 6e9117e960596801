import * as fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { backupPrefix, newBackupId } from './backupId';
import { beginBackup, commitBackup, removeBackupFiles, type CatalogEntry } from './catalog';
import type { Destination } from './destination';
import { CancelledError, LifeboatError, errorMessage, isCancelled } from './errors';
import { elapsedMs, type JobContext } from './job';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Codec, type Manifest, type StoredFile, type VerificationCheck } from './manifest';
import { createScratch, type Scratch } from './scratch';
import { deleteOwnShared } from './sharedFiles';
import { adoptFile, fileSource, storeStreamToAll, type CopyFailure, type StoreOptions as PipelineStoreOptions } from './storePipeline';
import { LIFEBOAT_TOOL } from './version';
import { describeEncryption, type EncryptionPlan } from './ageKeys';

/**
 * The one way a backup is written, whatever made it (an engine's dump or copy, a merge's undo
 * rows). The writer owns what every backup shares:
 *  - its id and folder ("<connection>/<id>") in each destination;
 *  - the in-progress marker in each, written before the first payload byte, so that a writer
 *    killed outright leaves a backup the next run recognises and removes (catalog.ts);
 *  - the job's scratch folder;
 *  - the payload's one pass (storePipeline.ts) into every destination at once: read, hashed and
 *    compressed once, the same stored bytes to each;
 *  - the manifest's common fields, and the manifest itself, written last in each destination
 *    (what makes the stored files a backup), with the list of copies that were written;
 *  - cleanup: on failure or Cancel every destination is left as it was, and a destination that
 *    fails while others go on is emptied of this backup and named, the others stay complete.
 * What differs between engines (how the payload is made, what the manifest says about the
 * source) is theirs: they call store…() and give commit() their manifest parts.
 */

/** What the engine tells about the backup it made: the manifest without the writer's fields. */
export interface BackupParts {
  kind: string;
  server: Manifest['server'];
  tool: Manifest['tool'];
  options: Manifest['options'];
  consistency: Manifest['consistency'];
  tables: Manifest['tables'];
  /** Phases the engine timed; the writer adds totalMs. */
  timings: Record<string, number>;
  /** The checks made at backup time; the writer adds the SHA-256 one unless the engine did. */
  checks: VerificationCheck[];
  /** How long those checks took. */
  checkMs?: number;
  parent?: string | null;
}

/** Where a backup's parts differ by destination (an incremental snapshot stores what each one
 *  lacks): its files, shared files, parent and figures there. */
export interface DestinationParts {
  files: StoredFile[];
  shared?: StoredFile[];
  parent?: string | null;
  consistency?: Manifest['consistency'];
  checks?: VerificationCheck[];
}

export interface BackupSource {
  id: string;
  name: string;
  engine: Manifest['engine'];
  /** For people: the file, or "host:port/database". */
  source: string;
}

export interface WrittenBackup {
  /** One entry per destination that holds a complete copy, in the order the destinations were given. */
  copies: { destination: Destination; entry: CatalogEntry }[];
  /** Destinations that were asked for and did not get a copy (nothing of it is left there). */
  failures: { location: string; message: string }[];
}

/** How a stream is stored (storePipeline.ts); `signal` stops this store (the job's, or one that
 *  also fires when the tool feeding it fails). */
export type StoreOptions = Omit<PipelineStoreOptions, 'destination' | 'key' | 'name'> & {
  /** Its size, when the source is a stream whose length is known. */
  expectedBytes?: number;
  /** What reading the source is, for errors: "read pg_dump's output". */
  what?: string;
};

export class BackupWriter {
  readonly id: string;
  readonly prefix: string;
  readonly startedAt: Date;
  private readonly started = performance.now();
  private readonly live: Destination[];
  private readonly markers = new Map<Destination, string>();
  private readonly failed: { destination: Destination; error: unknown }[] = [];
  private readonly files: StoredFile[] = [];
  private scratchFolder?: Promise<Scratch>;
  private opened?: Promise<void>;
  private isOpen = false;
  private finished = false;

  /** Every stored file of this backup is encrypted so, when set (ageKeys.ts). */
  readonly encryption?: EncryptionPlan;

  constructor(readonly source: BackupSource, destinations: Destination[], private readonly ctx: Pick<JobContext, 'scratchParent' | 'logger' | 'signal'>, now = new Date(), options: { encryption?: EncryptionPlan } = {}) {
    this.encryption = options.encryption;
    if (destinations.length === 0) throw new Error('a backup needs at least one destination');
    const locations = destinations.map(d => d.location);
    const twice = locations.find((location, i) => locations.indexOf(location) !== i);
    if (twice) throw new LifeboatError('usage', `${twice} is named twice as a destination of one backup.`, 'Name each destination once.');
    this.startedAt = now;
    this.id = newBackupId(now);
    this.prefix = backupPrefix(source.id, this.id);
    this.live = [...destinations];
  }

  /** Destinations that are still getting their copy. */
  get destinations(): readonly Destination[] {
    return this.live;
  }

  /** The job's private scratch folder, made on first use. */
  scratch(): Promise<Scratch> {
    this.scratchFolder ??= createScratch(this.ctx.scratchParent);
    return this.scratchFolder;
  }

  /**
   * Marks the backup as in progress in every destination. Called by the first store; an engine
   * calls it itself before it writes into a destination on its own (forEachDestination).
   * Nothing is written before, so a backup refused early (no such file, a wrong password)
   * leaves every destination untouched.
   */
  open(): Promise<void> {
    this.opened ??= (async () => {
      for (const destination of [...this.live]) {
        try {
          this.markers.set(destination, await beginBackup(destination, this.prefix));
        } catch (error) {
          await this.drop(destination, error);
        }
      }
      this.isOpen = true;
    })();
    return this.opened;
  }

  /**
   * Stores a stream (a dump tool's stdout) as `name` in every destination: compressed and hashed
   * once. Call open() before starting the tool that feeds it: a child process that exits before
   * its stdout is read has that stdout resumed by Node and its output dropped; a stream given
   * before the writer is open is held in a buffer (backpressure pauses it) until it is.
   */
  async storeStream(name: string, source: Readable, options: StoreOptions): Promise<StoredFile> {
    if (!this.isOpen) {
      const held = new PassThrough({ highWaterMark: 1024 * 1024 });
      source.on('error', error => held.destroy(error));
      source = source.pipe(held);
    }
    await this.open();
    const { file, failures } = await storeStreamToAll({
      destinations: [...this.live], key: `${this.prefix}/${name}`, name, source, ...options, signal: options.signal ?? this.ctx.signal,
      ...(this.encryption ? { encryption: this.encryption } : {}),
    }).catch(async (error: unknown) => {
      source.destroy();
      throw error;
    });
    await this.dropAll(failures);
    this.files.push(file);
    return file;
  }

  /** Stores a local file (a copy in scratch) as `name` in every destination. */
  async storeFile(name: string, file: string, options: StoreOptions): Promise<StoredFile> {
    const { source, expectedBytes, what } = await fileSource(file);
    return this.storeStream(name, source, { expectedBytes, what, ...options });
  }

  /**
   * Stores a local file that is already in its final form (pg_dump compressed it) as it is. With
   * one destination that can take the file without copying it (the same file system), it is
   * hashed and moved in; otherwise read once into every destination. The file is gone afterwards.
   */
  async storeFinished(name: string, file: string, onBytes?: (read: number, total: number) => void, compressed?: { codec: Codec; contentSize?: number }): Promise<StoredFile> {
    await this.open();
    const only = this.adoptingDestination();
    let stored: StoredFile;
    if (only) {
      try {
        stored = await adoptFile({ destination: only, key: `${this.prefix}/${name}`, name, source: file, signal: this.ctx.signal, onBytes, stored: compressed });
      } catch (error) {
        if (isCancelled(error) || this.ctx.signal?.aborted) throw error;
        await this.drop(only, error);
        throw error;
      }
    } else {
      stored = await this.storeFile(name, file, compressed && compressed.codec !== 'none'
        ? { codec: compressed.codec, onBytes, precompressed: { contentSize: Promise.resolve(compressed.contentSize) } }
        : { codec: 'none', onBytes });
      this.files.pop();
      await fs.promises.rm(file, { force: true });
    }
    this.files.push(stored);
    return stored;
  }

  /** The one destination this backup goes to, when it can take a finished local file by a rename
   *  (storeFinished): a tool may then write its output straight into scratch. */
  adoptingDestination(): Destination | undefined {
    // An encrypted backup's files pass through the encryptor: none is moved in as it is.
    if (this.encryption) return undefined;
    const only = this.live.length === 1 ? this.live[0] : undefined;
    return only?.adopt ? only : undefined;
  }

  /**
   * Work that is done once per destination, because what it writes depends on what that
   * destination already holds (an incremental snapshot stores only the pages it lacks). A
   * destination whose work fails is dropped and named; the others go on.
   */
  async forEachDestination<T>(work: (destination: Destination) => Promise<T>): Promise<Map<Destination, T>> {
    await this.open();
    const results = new Map<Destination, T>();
    for (const destination of [...this.live]) {
      try {
        results.set(destination, await work(destination));
      } catch (error) {
        if (isCancelled(error) || this.ctx.signal?.aborted) throw error;
        if (this.live.length === 1) throw error;
        await this.drop(destination, error);
      }
    }
    return results;
  }

  /**
   * The last step: the manifest in every destination that holds the whole payload. `perDestination`
   * gives what differs there (forEachDestination's results); otherwise the files stored through
   * this writer are the backup's files. Returns the copies written and the destinations that
   * failed on the way.
   */
  async commit(parts: BackupParts, perDestination?: (destination: Destination) => DestinationParts): Promise<WrittenBackup> {
    if (this.ctx.signal?.aborted) throw new CancelledError('The backup');
    const copies: WrittenBackup['copies'] = [];
    const completedAt = new Date().toISOString();
    const locations = this.live.map(d => ({ location: d.location, kind: d.kind }));
    for (const destination of [...this.live]) {
      const own = perDestination?.(destination);
      const files = own?.files ?? this.files;
      const checks = [...parts.checks, ...own?.checks ?? []];
      if (!checks.some(c => c.name === 'sha256')) checks.push({ name: 'sha256', ok: true, detail: `SHA-256 of ${files.length} file(s) computed from the bytes written` });
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        version: MANIFEST_VERSION,
        id: this.id,
        connection: { id: this.source.id, name: this.source.name, engine: this.source.engine, source: this.source.source },
        engine: this.source.engine,
        kind: parts.kind,
        startedAt: this.startedAt.toISOString(),
        completedAt,
        server: parts.server,
        tool: parts.tool,
        options: parts.options,
        consistency: { ...parts.consistency, ...own?.consistency },
        tables: parts.tables,
        files,
        ...(own?.shared ? { shared: own.shared } : {}),
        timings: { ...parts.timings, totalMs: elapsedMs(this.started) },
        verifications: [{ at: completedAt, kind: 'at-backup', ok: true, durationMs: parts.checkMs ?? 0, checks, by: LIFEBOAT_TOOL }],
        parent: own?.parent ?? parts.parent ?? null,
        encryption: this.encryption ? describeEncryption(this.encryption) : null,
        copies: locations,
        createdBy: LIFEBOAT_TOOL,
      };
      try {
        await commitBackup(destination, this.prefix, this.markers.get(destination)!, manifest);
        copies.push({ destination, entry: { prefix: this.prefix, manifest } });
      } catch (error) {
        if (copies.length === 0 && this.live.length === 1) throw error;
        await this.drop(destination, error);
      }
    }
    this.finished = true;
    return { copies, failures: this.failed.map(f => ({ location: f.destination.location, message: errorMessage(f.error) })) };
  }

  /** After a failure or Cancel: nothing of this backup is left in any destination, nor in scratch. */
  async discard(): Promise<void> {
    if (!this.finished) {
      for (const destination of this.live) await this.clean(destination);
    }
    await this.disposeScratch();
  }

  /** Removes the scratch folder; the writer's last step whatever happened. */
  async disposeScratch(): Promise<void> {
    const scratch = await this.scratchFolder?.catch(() => undefined);
    await scratch?.dispose();
  }

  private async dropAll(failures: CopyFailure[]): Promise<void> {
    for (const failure of failures) await this.drop(failure.destination, failure.error);
  }

  /** A destination that failed while others go on: emptied of this backup, named, left out. */
  private async drop(destination: Destination, error: unknown): Promise<void> {
    const index = this.live.indexOf(destination);
    if (index < 0) return;
    this.live.splice(index, 1);
    this.failed.push({ destination, error });
    this.ctx.logger.error(`The copy in ${destination.location} failed and was removed: ${errorMessage(error)}`);
    await this.clean(destination);
    if (this.live.length === 0) throw error;
  }

  private async clean(destination: Destination): Promise<void> {
    await removeBackupFiles(destination, this.prefix).catch(e => this.ctx.logger.warn(`Could not remove the partial backup ${this.prefix} from ${destination.location}: ${errorMessage(e)}`));
    await deleteOwnShared(destination, this.prefix).catch(e => this.ctx.logger.warn(`Could not remove the new blocks of ${this.prefix} from ${destination.location}: ${errorMessage(e)}`));
  }
}

/** What an engine made: the manifest's parts, and what differs by destination, if anything. */
export interface MadeBackup {
  parts: BackupParts;
  perDestination?: (destination: Destination) => DestinationParts;
}

/**
 * A whole backup: a writer for `source` into `destinations`, `make` fills it, then the manifest
 * is committed; on any failure or Cancel nothing is left anywhere, and scratch is always removed.
 */
export async function writeBackup(source: BackupSource, destinations: Destination[], ctx: Pick<JobContext, 'scratchParent' | 'logger' | 'signal'>,
  make: (writer: BackupWriter) => Promise<MadeBackup>, options: { encryption?: EncryptionPlan } = {}): Promise<WrittenBackup> {
  const writer = new BackupWriter(source, destinations, ctx, new Date(), options);
  try {
    const made = await make(writer);
    return await writer.commit(made.parts, made.perDestination);
  } catch (error) {
    await writer.discard();
    throw ctx.signal?.aborted || isCancelled(error) ? new CancelledError('The backup') : error;
  } finally {
    await writer.disposeScratch();
  }
}
