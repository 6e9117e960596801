import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { LifeboatError } from '../../../core/errors';
import { isInside } from '../../../core/safePath';

/**
 * A base backup's tar (base.tar.zst, decompressed), read once as it streams from storage: every
 * regular file is hashed (SHA-256) and, at the end, compared with the server's backup_manifest
 * (stored beside the tar; or last inside it, when pg_basebackup wrote to stdout), whose own
 * checksum is checked first. That is pg_verifybackup's check, made on the stream, because
 * pg_verifybackup itself refuses the tar form (measured: "base.tar.gz is present on disk but not
 * in the manifest" on 15 and 17; 18 needs -n). `lifeboat verify` reads it so; a recovery sandbox
 * gives a folder and the same reader unpacks into it: only plain folders and files, each path
 * kept inside the folder; anything else (links, devices, "..") is refused, since a stored backup
 * is input from outside.
 */
export interface BaseTarSummary {
  /** Files the manifest lists, all present with the right size and SHA-256. */
  filesChecked: number;
  /** Bytes of those files. */
  bytes: number;
  walRanges: { timeline: number; startLsn: string; endLsn: string }[];
  /** The backup_label's "START TIME" ("2026-12-03 16:41:50 UTC"), for people. */
  startTime?: string;
}

interface ManifestFile { Path?: string; 'Encoded-Path'?: string; Size: number; 'Checksum-Algorithm'?: string; Checksum?: string }
export interface BackupManifest { 'PostgreSQL-Backup-Manifest-Version': number; Files: ManifestFile[]; 'WAL-Ranges'?: { Timeline: number; 'Start-LSN': string; 'End-LSN': string }[]; 'Manifest-Checksum'?: string }

const MANIFEST_NAME = 'backup_manifest';
/** A manifest is about 200 bytes per file; this allows a few million files. */
const MANIFEST_LIMIT = 1024 * 1024 * 1024;
const MODE_FOLDER = 0o700;
const MODE_FILE = 0o600;

export interface BaseTarOptions {
  /** The backup_manifest, when pg_basebackup wrote it beside the tar (-D folder) rather than into it (-D -). */
  manifest?: Buffer;
  /** Unpack into this folder (which must exist and be empty). */
  extractTo?: string;
  /** Owner of what is unpacked (the account the sandbox server runs as). */
  owner?: { uid: number; gid: number };
}

/** A sink that unpacks and checks (a restore's target). */
export function baseTarSink(options: BaseTarOptions & { onSummary: (summary: BaseTarSummary) => void }): Writable {
  const reader = new BaseTarReader(options);
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) { reader.write(chunk).then(() => done(), done); },
    final(done) { reader.end().then(() => { options.onSummary(reader.summary!); done(); }, done); },
  });
}

class BaseTarReader {
  summary?: BaseTarSummary;
  private readonly extract = tar.extract();
  private readonly seen = new Map<string, { size: number; sha256: string }>();
  private manifestText?: Buffer;
  private backupLabel?: string;
  private failure?: Error;
  private readonly finished: Promise<void>;

  constructor(private readonly options: BaseTarOptions) {
    this.extract.on('entry', (header, stream, next) => {
      this.entry(header, stream).then(() => next(), error => { this.failure ??= error as Error; stream.resume(); next(error as Error); });
    });
    this.finished = new Promise((resolve, reject) => {
      this.extract.on('finish', () => resolve());
      this.extract.on('error', error => reject(this.failure ?? damaged(`it is not a readable tar archive (${error.message})`)));
    });
    this.finished.catch(() => undefined);
  }

  write(chunk: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.extract.write(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => { this.extract.off('error', onError); resolve(); };
      const onError = (error: Error) => { this.extract.off('drain', onDrain); reject(this.failure ?? error); };
      this.extract.once('drain', onDrain);
      this.extract.once('error', onError);
    });
  }

  async end(): Promise<void> {
    this.extract.end();
    await this.finished;
    if (this.failure) throw this.failure;
    this.summary = this.check();
  }

  private async entry(header: tar.Headers, stream: NodeJS.ReadableStream): Promise<void> {
    const name = entryName(header.name);
    const target = this.options.extractTo ? insideTarget(this.options.extractTo, name) : undefined;
    if (header.type === 'directory') {
      if (target && name !== '') {
        await fs.promises.mkdir(target, { recursive: true, mode: MODE_FOLDER });
        await this.own(target);
      }
      stream.resume();
      return;
    }
    if (header.type !== 'file' && header.type !== 'contiguous-file') {
      throw damaged(`it holds ${JSON.stringify(name)}, a ${header.type ?? 'special'} entry; a base backup Lifeboat writes holds only folders and files (tablespaces are not supported)`);
    }
    if (name === '') throw damaged('it holds a file without a name');
    const hash = createHash('sha256');
    let size = 0;
    const keep = name === MANIFEST_NAME || name === 'backup_label';
    const kept: Buffer[] = [];
    const sinks: Writable[] = [new Writable({
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        if (keep) {
          if (size > MANIFEST_LIMIT) return done(damaged(`its ${name} is larger than ${MANIFEST_LIMIT} bytes`));
          kept.push(chunk);
        }
        done();
      },
    })];
    if (target) {
      await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: MODE_FOLDER });
      sinks.push(fs.createWriteStream(target, { flags: 'wx', mode: MODE_FILE }));
    }
    await pipeline(stream as unknown as NodeJS.ReadableStream, new Fork(sinks));
    if (target) await this.own(target);
    if (this.seen.has(name)) throw damaged(`it holds ${JSON.stringify(name)} twice`);
    this.seen.set(name, { size, sha256: hash.digest('hex') });
    if (name === MANIFEST_NAME) this.manifestText = Buffer.concat(kept);
    if (name === 'backup_label') this.backupLabel = Buffer.concat(kept).toString('utf8');
  }

  private async own(target: string): Promise<void> {
    if (this.options.owner) await fs.promises.chown(target, this.options.owner.uid, this.options.owner.gid);
  }

  private check(): BaseTarSummary {
    const text = this.manifestText ?? this.options.manifest;
    if (!text) throw damaged('it has no backup_manifest (pg_basebackup writes one last; the stream was cut short, or was not made by pg_basebackup 13+)');
    const manifest = parseBackupManifest(text);
    const problems: string[] = [];
    let bytes = 0;
    for (const file of manifest.Files) {
      const name = file.Path ?? (file['Encoded-Path'] ? Buffer.from(file['Encoded-Path'], 'hex').toString('utf8') : '');
      const found = this.seen.get(name);
      if (!found) { problems.push(`${name} is missing`); continue; }
      if (found.size !== file.Size) problems.push(`${name} is ${found.size} bytes, the manifest says ${file.Size}`);
      else if (file['Checksum-Algorithm'] === 'SHA256' && found.sha256 !== file.Checksum) problems.push(`${name} has another SHA-256 than the manifest's`);
      else if (file['Checksum-Algorithm'] !== 'SHA256') problems.push(`${name} has a ${file['Checksum-Algorithm'] ?? 'missing'} checksum, not the SHA-256 Lifeboat asks for`);
      bytes += found.size;
      if (problems.length > 20) break;
    }
    if (problems.length > 0) throw damaged(`${problems.length} file(s) differ from its backup_manifest: ${problems.slice(0, 5).join('; ')}`);
    const startTime = /^START TIME: (.+)$/m.exec(this.backupLabel ?? '')?.[1];
    return {
      filesChecked: manifest.Files.length,
      bytes,
      walRanges: (manifest['WAL-Ranges'] ?? []).map(r => ({ timeline: r.Timeline, startLsn: r['Start-LSN'], endLsn: r['End-LSN'] })),
      ...(startTime ? { startTime } : {}),
    };
  }
}

/** A backup_manifest, its own checksum checked (SHA-256 of everything before "Manifest-Checksum"). */
export function parseBackupManifest(text: Buffer): BackupManifest {
  const marker = text.lastIndexOf('"Manifest-Checksum"');
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(text.toString('utf8')) as BackupManifest;
  } catch (error) {
    throw damaged(`its backup_manifest is not valid JSON (${(error as Error).message})`);
  }
  if (marker < 0 || typeof manifest['Manifest-Checksum'] !== 'string') throw damaged('its backup_manifest has no checksum of its own');
  const own = createHash('sha256').update(text.subarray(0, marker)).digest('hex');
  if (own !== manifest['Manifest-Checksum']) throw damaged(`its backup_manifest does not match its own checksum (${own.slice(0, 12)}…, it says ${manifest['Manifest-Checksum'].slice(0, 12)}…)`);
  if (!Array.isArray(manifest.Files)) throw damaged('its backup_manifest lists no files');
  return manifest;
}

/** Writes each chunk to every sink, moving on once all took it. */
class Fork extends Writable {
  constructor(private readonly sinks: Writable[]) {
    super({ highWaterMark: 1024 * 1024 });
    for (const sink of sinks) sink.on('error', error => this.destroy(error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    let waiting = this.sinks.length;
    const one = () => { if (--waiting === 0) done(); };
    for (const sink of this.sinks) if (sink.write(chunk)) one(); else sink.once('drain', one);
  }

  override _final(done: (error?: Error | null) => void): void {
    Promise.all(this.sinks.map(sink => new Promise<void>((resolve, reject) => {
      sink.once('error', reject);
      sink.end(() => resolve());
    }))).then(() => done(), done);
  }
}

/** "./pg_wal/x" and "pg_wal/x/" → "pg_wal/x"; "" for the top folder. */
function entryName(raw: string): string {
  return raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '').replace(/^\.$/, '');
}

function insideTarget(root: string, name: string): string {
  if (name === '') return root;
  const target = path.join(root, name);
  if (name.includes('\0') || path.isAbsolute(name) || name.split('/').some(part => part === '..' || part === '') || !isInside(root, target)) {
    throw damaged(`it holds ${JSON.stringify(name)}, a path that would leave the folder it is unpacked into`);
  }
  return target;
}

function damaged(why: string): LifeboatError {
  return new LifeboatError('verification', `The base backup does not check out: ${why}.`, 'Do not recover from it; take a new base backup (and restore from another copy of this one if you need it).');
}
