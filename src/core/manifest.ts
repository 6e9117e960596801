import type { EngineName } from './connection';
import { LifeboatError } from './errors';
import { formatBytes } from './format';
import {
  FieldError, backupId, connectionId, consistencyValue, each, encryption, engine, finite, isRecord, isoTime, kind, list, nullable, optionValue, optional, shape, shown,
  storedFile, tableFigures, freeText, toolName, toolVersion, values,
} from './manifestGrammar';

/**
 * The manifest is the single definition of a backup: backup writes it last, restore and verify
 * trust only it, and the catalog is rebuilt by listing manifests. A backup folder without a
 * manifest is not a backup.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'lifeboat-backup';
export const MANIFEST_VERSION = 1;

export type Codec = 'zstd' | 'gzip' | 'none';

/** The kind of the backup a merge takes of the rows it changes (src/diff/undoBackup.ts): not a
 *  database copy, so it is undone (src/diff/undo.ts) rather than restored, and verified by its hashes. */
export const MERGE_UNDO_KIND = 'merge-undo';

export interface StoredFile {
  /** Name inside the backup's folder, e.g. "database.sqlite.gz". */
  name: string;
  /** Bytes as stored (after compression, and encryption when there is one) and their SHA-256 (hex). */
  size: number;
  sha256: string;
  codec: Codec;
  /**
   * Set when the stored bytes are encrypted (after compression): the age format, to these
   * recipients ("age1…", or "passphrase"). Never a key. `age -d -i key.txt file | zstd -d`
   * gives the content back without Lifeboat (core/ageFormat.ts).
   */
  encryption?: FileEncryption;
  /**
   * Bytes of the content before compression, where Lifeboat saw or was told them (absent when
   * the zstd CLI compressed a dump tool's output and gave no count).
   */
  contentSize?: number;
  /**
   * SHA-256 of the content before compression, only where it proves something the stored
   * SHA-256 does not:
   * - Restore and verify read the stored bytes and check them against `sha256` and `size`.
   *   Equal stored bytes decode to equal content: decompression is a function of its input.
   * - What that leaves is the compressor itself, that it was given the dump tool's bytes and
   *   compressed them faithfully. zstd's frame carries a checksum (XXH64) of the content it
   *   compressed, and gzip's a CRC-32 and the length; Lifeboat writes both and every
   *   decompression checks them. So a dump stream (PostgreSQL, MySQL) is stored without a
   *   second SHA-256 of the uncompressed text, whose 0.7 CPU-s per GB bought nothing more.
   * - Kept where it is used for something else: a SQLite copy's content hash names the database
   *   file a snapshot chain rebuilds, and is checked after materializing it. Backups written
   *   before 0.2 have it on every file, and it is still checked when present.
   */
  contentSha256?: string;
}

export interface TableFigures {
  name: string;
  /** Server engines: the parts of the name, which `name` may not tell apart ("a.b".c, a."b.c"). */
  schema?: string;
  table?: string;
  /** PostgreSQL: the table's OID in the source and those of its indexes, constraints, defaults,
   *  owned sequences, triggers, policies and rules, to pick its entries from the archive. */
  oid?: number;
  dependents?: number[];
  /** Rows counted exactly (in the copy, or in the dump's data); null when not counted. */
  rows: number | null;
  /** The server's estimate (PostgreSQL reltuples), when it has one. */
  estimatedRows?: number | null;
  /** Size on disk in the source. */
  bytes?: number;
}

export interface VerificationCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  at: string;
  /** "at-backup": checks on the copy before it was stored; "full": stored files read back. */
  kind: 'at-backup' | 'full' | 'quick' | 'restore-drill';
  ok: boolean;
  durationMs: number;
  checks: VerificationCheck[];
  /** A restore drill's measured restore time: the recovery time this backup actually gives. */
  restoreMs?: number;
  /** Who ran it (tool and version), for the audit trail. */
  by: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  id: string;
  connection: { id: string; name: string; engine: EngineName; source: string };
  engine: EngineName;
  /** What kind of copy this is, e.g. "sqlite-online-copy". */
  kind: string;
  startedAt: string;
  completedAt: string;
  server: { product: string; version: string };
  tool: { name: string; version: string };
  options: Record<string, string | number | boolean | string[]>;
  /** Where in the source's history this copy stands (engine-specific figures). */
  consistency: Record<string, string | number | boolean | null>;
  tables: TableFigures[];
  files: StoredFile[];
  /**
   * Files outside the backup's folder that it needs and shares with other backups of the same
   * connection, at "<connection>/blocks/<name>" (SQLite incremental snapshots: the packs of page
   * blocks). A shared file is removed only when no manifest lists it any more (sharedFiles.ts).
   */
  shared?: StoredFile[];
  timings: Record<string, number>;
  verifications: Verification[];
  parent: string | null;
  /** Set when the backup's files are encrypted (each file's `encryption` says how): a Lifeboat
   *  older than encryption refuses such a manifest, rather than take ciphertext for damage. */
  encryption: FileEncryption | null;
  /** The destinations that held the whole payload when this manifest was written (backupWriter.ts):
   *  where the other copies of this backup are. Absent in manifests of Lifeboat 0.1.0. */
  copies?: BackupCopy[];
  /** Lifeboat's version that wrote it. */
  createdBy: string;
}

export interface FileEncryption {
  format: 'age';
  to: string[];
}

export interface BackupCopy {
  /** For people: "/var/backups/lifeboat", "s3://bucket/prefix". */
  location: string;
  kind: string;
}

export type VerificationState = 'verified' | 'unverified' | 'failed';

/** The newest verification decides: a backup that once passed and later failed is failed. */
export function verificationState(manifest: Manifest): VerificationState {
  const last = manifest.verifications.at(-1);
  if (!last) return 'unverified';
  return last.ok ? 'verified' : 'failed';
}

export function totalStoredBytes(manifest: Manifest): number {
  return manifest.files.reduce((sum, f) => sum + f.size, 0);
}

/**
 * What a backup holds, for people: its stored size; for an incremental snapshot, what it added to
 * the destination, of how large a database, and which snapshot it builds on
 * ("incremental · +1.2 MB new of 200 MB, parent 2026-11-25T14-38-15").
 */
export function describeStored(manifest: Manifest): string {
  const { newBytes, databaseBytes } = manifest.consistency;
  if (!manifest.shared || typeof newBytes !== 'number') return formatBytes(totalStoredBytes(manifest));
  const of = typeof databaseBytes === 'number' ? ` of ${formatBytes(databaseBytes)}` : '';
  return `incremental · +${formatBytes(newBytes)} new${of}, ${manifest.parent ? `parent ${manifest.parent.slice(0, 19)}` : 'first of its chain'}`;
}

export function serializeManifest(manifest: Manifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

const UNTRUSTED_HINT = 'The backup cannot be trusted; delete it or restore it by hand.';

const checkManifest = shape({
  id: backupId,
  connection: shape({ id: connectionId, name: freeText, engine, source: freeText }),
  engine,
  kind,
  startedAt: isoTime,
  completedAt: isoTime,
  server: shape({ product: freeText, version: freeText }),
  tool: shape({ name: toolName, version: toolVersion }),
  options: values(optionValue),
  consistency: values(consistencyValue),
  tables: each(tableFigures),
  files: each(storedFile),
  shared: optional(each(storedFile)),
  // Durations, some measured by the wall clock (which can step back): finite, not necessarily ≥ 0.
  timings: values(finite),
  // Each verification record is checked where verifications are read.
  verifications: list,
  parent: nullable(backupId),
  encryption: nullable(encryption),
  copies: optional(each(shape({ location: freeText, kind }))),
  createdBy: freeText,
});

/** Parses and checks a manifest; `where` names it in errors. Every field is checked against its
 *  grammar (manifestGrammar.ts), so code that reads a parsed manifest can trust its types. */
export function parseManifest(text: string, where: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LifeboatError('verification', `The manifest ${where} is not valid JSON.`, UNTRUSTED_HINT, { cause: error });
  }
  const bad = (what: string) => new LifeboatError('verification', `The manifest ${where} ${what}.`, UNTRUSTED_HINT);
  if (!isRecord(value) || value.format !== MANIFEST_FORMAT) throw bad('is not a Lifeboat manifest');
  if (value.version !== MANIFEST_VERSION) throw bad(`has version ${shown(value.version)}, which this Lifeboat cannot read (it reads version ${MANIFEST_VERSION}); update Lifeboat`);
  try {
    checkManifest(value, '');
  } catch (error) {
    if (error instanceof FieldError) throw bad(`is invalid: ${error.message}`);
    throw error;
  }
  const m = value as unknown as Manifest;
  if (m.files.length === 0) throw bad('lists no files');
  if (m.connection.engine !== m.engine) throw bad(`is of engine ${m.engine} and names a ${m.connection.engine} connection`);
  return m;
}
