import { CODEC_SUFFIX } from '../../core/codec';
import type { Logger } from '../../core/logger';
import type { BackupWriter, DestinationParts } from '../../core/backupWriter';
import type { Codec, VerificationCheck } from '../../core/manifest';
import { formatBytes } from '../../core/format';
import type { Scratch } from '../../core/scratch';
import type { Destination } from '../../core/destination';
import { runInChecker } from './checkerClient';
import type { DumpResult } from './checkerProtocol';
import { SNAPSHOT_KIND } from './snapshot/layout';
import { storeSnapshot } from './snapshot/store';

/**
 * The three things a SQLite backup can store from its consistent scratch copy:
 *   copy      the database file itself (online backup API, or VACUUM INTO when compacting)
 *   sql       a SQL dump of it (schema, rows as INSERTs, PRAGMAs), readable and portable
 *   snapshot  its pages, content-addressed: only blocks no earlier snapshot stored are new
 * backup.ts makes the copy, checks it and writes the manifest; a payload only stores.
 */
export type SqliteFormat = 'copy' | 'sql' | 'snapshot';
export const SQLITE_FORMATS: readonly SqliteFormat[] = ['copy', 'sql', 'snapshot'];

export const SQLITE_PAYLOAD = 'database.sqlite';
export const SQL_DUMP_PAYLOAD = 'database.sql';
export const SQL_DUMP_KIND = 'sqlite-sql-dump';
export const COPY_KIND = 'sqlite-online-copy';

export interface PayloadContext {
  copyFile: string;
  scratch: Scratch;
  /** Stores into the backup's destinations (core/backupWriter.ts). */
  writer: BackupWriter;
  connectionId: string;
  codec: Codec;
  level?: number;
  signal: AbortSignal;
  logger: Logger;
  /** Fraction of this payload's work done, and what is happening. */
  report: (fraction: number, message: string) => void;
}

export interface StoredPayload {
  consistency?: Record<string, string | number | null>;
  options?: Record<string, string | number | boolean>;
  /** The check of what was stored, when the payload makes one beyond the SHA-256s. */
  check?: VerificationCheck;
  /** What differs by destination (a snapshot stores what each one lacks). */
  perDestination?: Map<Destination, DestinationParts>;
}

export interface Payload {
  kind: string;
  /** Share of the wall time, in the units of backup.ts's weights (bench/sqliteBackup.mjs). */
  weight: number;
  store(context: PayloadContext): Promise<StoredPayload>;
}

// Storing a 200 MB database, measured by bench/sqliteBackup.mjs: 0.4 s without compression,
// 4.6 s with gzip 6, about 1.6 s with zstd 2, against 0.32 s for the copy (weight 1).
const STORE_WEIGHT: Record<Codec, number> = { none: 1.2, zstd: 5, gzip: 14 };

export function payloadFor(format: SqliteFormat, codec: Codec): Payload {
  switch (format) {
    case 'copy': return { kind: COPY_KIND, weight: STORE_WEIGHT[codec], store: storeCopy };
    // Writing the text of a dump takes about as long as compressing the file, and its text is
    // about twice the size of the file.
    case 'sql': return { kind: SQL_DUMP_KIND, weight: 4 + 2 * STORE_WEIGHT[codec], store: storeSqlDump };
    // Hashing every page, and compressing only the new ones (all of them the first time).
    case 'snapshot': return { kind: SNAPSHOT_KIND, weight: STORE_WEIGHT[codec], store: storeSnapshotPayload };
  }
}

async function storeCopy(c: PayloadContext): Promise<StoredPayload> {
  const name = SQLITE_PAYLOAD + CODEC_SUFFIX[c.codec];
  const file = await c.writer.storeFile(name, c.copyFile, {
    codec: c.codec, level: c.level,
    onBytes: (read, total) => c.report(read / total, `${c.codec === 'none' ? 'Storing' : 'Compressing'} ${formatBytes(read)} of ${formatBytes(total)}`),
  });
  return { check: { name: 'sha256', ok: true, detail: `SHA-256 of ${file.name} computed from the bytes written` } };
}

async function storeSqlDump(c: PayloadContext): Promise<StoredPayload> {
  const sqlFile = c.scratch.file(SQL_DUMP_PAYLOAD);
  const dumped = await runInChecker<DumpResult>({ task: 'dump', file: c.copyFile, target: sqlFile }, {
    signal: c.signal, onProgress: (done, total) => c.report(0.5 * done / total, `Writing the SQL dump: table ${done} of ${total}`),
  });
  const name = SQL_DUMP_PAYLOAD + CODEC_SUFFIX[c.codec];
  const file = await c.writer.storeFile(name, sqlFile, {
    codec: c.codec, level: c.level,
    onBytes: (read, total) => c.report(0.5 + 0.5 * read / total, `${c.codec === 'none' ? 'Storing' : 'Compressing'} the SQL dump: ${formatBytes(read)} of ${formatBytes(total)}`),
  });
  return {
    consistency: { dumpStatements: dumped.statements },
    check: { name: 'sha256', ok: true, detail: `SQL dump of ${dumped.statements.toLocaleString('en')} statements; SHA-256 of ${file.name} computed from the bytes written` },
  };
}

/** A snapshot stores the pages that each destination lacks, so it is made once per destination. */
async function storeSnapshotPayload(c: PayloadContext): Promise<StoredPayload> {
  const results = await c.writer.forEachDestination(destination => storeSnapshot({
    copyFile: c.copyFile, destination, connectionId: c.connectionId, snapshotId: c.writer.id, prefix: c.writer.prefix,
    codec: c.codec, level: c.level, signal: c.signal, logger: c.logger, onProgress: c.report,
  }));
  const perDestination = new Map<Destination, DestinationParts>();
  for (const [destination, result] of results) {
    const f = result.facts;
    c.logger.info(`Snapshot in ${destination.location}: ${f.pages} pages of ${f.pageSize} bytes, ${f.newBlocks} new blocks, ${f.reusedPages} pages already stored; ${formatBytes(f.newBytes)} new of ${formatBytes(f.databaseBytes)}${result.parent ? `, parent ${result.parent}` : ', first of its chain'}`);
    perDestination.set(destination, {
      files: result.files,
      shared: result.shared,
      parent: result.parent,
      consistency: {
        databaseBytes: f.databaseBytes, databaseSha256: f.databaseSha256, blockBytes: f.pageSize, newBlocks: f.newBlocks, reusedPages: f.reusedPages,
        newBytes: f.newBytes, packs: f.packs,
      },
      checks: [{ name: 'sha256', ok: true, detail: `SHA-256 of each of ${f.pages} pages and of the whole copy; ${f.newBlocks} new blocks stored (${formatBytes(f.newBytes)})` }],
    });
  }
  return { options: { blockCodec: c.codec }, perDestination };
}
