import { LifeboatError } from '../../../core/errors';

/**
 * A snapshot's page index: which block each page of the database is, in page order. Binary, so it
 * costs 32 bytes a page (0.8 % of a database of 4 KiB pages) and nothing else:
 *   "LBPAGES1"  magic (8 bytes)
 *   u32 BE      page size
 *   u64 BE      database size in bytes (a multiple of the page size for a SQLite file; the last
 *               block is shorter otherwise)
 *   32 bytes    SHA-256 of each page's content, page 1 first
 * Each snapshot's index is complete on its own (no "same as the parent" entries): deleting any
 * other snapshot can never make it unreadable, and a restore needs only this index and the packs.
 * The file is stored through the chosen codec like any payload; SHA-256s do not compress, so that
 * gains little, but a page repeated many times (zeroed free pages) costs less.
 */
const MAGIC = Buffer.from('LBPAGES1', 'latin1');
const HEADER = 8 + 4 + 8;
export const HASH_BYTES = 32;

export interface PageIndex {
  pageSize: number;
  databaseBytes: number;
  /** pageCount × 32 bytes. */
  hashes: Buffer;
}

export function pageCountOf(index: Pick<PageIndex, 'pageSize' | 'databaseBytes'>): number {
  return Math.ceil(index.databaseBytes / index.pageSize);
}

export function encodePageIndex(index: PageIndex): Buffer {
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(index.pageSize, 8);
  header.writeBigUInt64BE(BigInt(index.databaseBytes), 12);
  return Buffer.concat([header, index.hashes]);
}

export function decodePageIndex(data: Buffer, where: string): PageIndex {
  const damaged = (why: string) => new LifeboatError('verification', `The page index ${where} is damaged: ${why}.`, 'Restore from another snapshot or another copy of the backup.');
  if (data.length < HEADER || !data.subarray(0, 8).equals(MAGIC)) throw damaged('it does not start with a Lifeboat page index header');
  const pageSize = data.readUInt32BE(8);
  const databaseBytes = Number(data.readBigUInt64BE(12));
  if (pageSize < 512 || pageSize > 65_536) throw damaged(`its page size ${pageSize} is not a SQLite page size`);
  const index = { pageSize, databaseBytes, hashes: data.subarray(HEADER) };
  if (index.hashes.length !== pageCountOf(index) * HASH_BYTES) throw damaged(`it lists ${index.hashes.length / HASH_BYTES} pages for a ${databaseBytes}-byte database`);
  return index;
}

/** The hex SHA-256 of page `page` (0-based). */
export function pageHash(index: PageIndex, page: number): string {
  return index.hashes.toString('hex', page * HASH_BYTES, (page + 1) * HASH_BYTES);
}
