import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { listBackups } from '../../../core/catalog';
import { CODEC_SUFFIX, compressBlock } from '../../../core/codec';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import type { Codec, StoredFile } from '../../../core/manifest';
import { sharedKey } from '../../../core/sharedFiles';
import { storeStream } from '../../../core/storePipeline';
import type { Destination } from '../../../core/destination';
import { PAGE_INDEX_FILE, SNAPSHOT_KIND, isPackIndex, loadBlockLocations, packIndexName, packName, type BlockLocation } from './layout';
import { FRAME_BYTES, encodePackIndex, type PackEntry } from './packIndex';
import { HASH_BYTES, encodePageIndex } from './pageIndex';

export interface SnapshotStoreOptions {
  /** The consistent copy (backup API) in scratch: pages are read from it, never from the live file. */
  copyFile: string;
  destination: Destination;
  connectionId: string;
  snapshotId: string;
  prefix: string;
  codec: Codec;
  level?: number;
  signal?: AbortSignal;
  logger: Logger;
  onProgress?: (fraction: number, message: string) => void;
}

export interface SnapshotStoreResult {
  /** The page index: the manifest's one file in the snapshot's folder. */
  files: StoredFile[];
  /** Every pack (and pack index) the page index takes a block from. */
  shared: StoredFile[];
  parent: string | null;
  facts: {
    pageSize: number;
    databaseBytes: number;
    databaseSha256: string;
    pages: number;
    newBlocks: number;
    reusedPages: number;
    /** Bytes this snapshot added to the destination: its pack, pack index and page index. */
    newBytes: number;
    packs: number;
  };
}

/**
 * Splits the copy into pages (the database's page size, read from its header), hashes each
 * (SHA-256), and stores only the blocks that no earlier snapshot of the connection stored: in one
 * new pack, in frames of consecutive new blocks compressed together (packIndex.ts). Then the
 * pack's index and this snapshot's page index. Blocks of earlier snapshots are found through
 * their manifests' packs, so a block that comes back (a page changed and changed back) is not
 * stored again either.
 */
export async function storeSnapshot(options: SnapshotStoreOptions): Promise<SnapshotStoreResult> {
  const { destination, connectionId, codec, level, signal } = options;
  const previous = await previousSnapshots(options);
  const databaseBytes = (await fs.promises.stat(options.copyFile)).size;
  const pageSize = await readPageSize(options.copyFile);
  const pages = Math.ceil(databaseBytes / pageSize);
  const hashes = Buffer.alloc(pages * HASH_BYTES);
  const whole = createHash('sha256');
  const entries: PackEntry[] = [];
  const newHashes = new Set<string>();
  const usedPacks = new Set<string>();
  let packBytes = 0;
  let reusedPages = 0;

  let page = 0;
  // New blocks wait here until they fill a frame (packIndex.ts), which is then compressed whole.
  let frame: { hash: string; content: Buffer }[] = [];
  let frameBytes = 0;
  /** Hashes one page; a page no snapshot stored before joins the frame being filled. */
  const takePage = (content: Buffer): void => {
    whole.update(content);
    const digest = createHash('sha256').update(content).digest();
    digest.copy(hashes, page * HASH_BYTES);
    page++;
    const hash = digest.toString('hex');
    const known = previous.locations.get(hash);
    if (known) usedPacks.add(known.pack);
    if (known || newHashes.has(hash)) {
      reusedPages++;
      return;
    }
    newHashes.add(hash);
    // A copy: the read buffer it came from is reused.
    frame.push({ hash, content: Buffer.from(content) });
    frameBytes += content.length;
  };
  const closeFrame = (): Buffer | undefined => {
    if (frame.length === 0) return undefined;
    const stored = compressBlock(codec, Buffer.concat(frame.map(b => b.content), frameBytes), level);
    let inner = 0;
    for (const block of frame) {
      entries.push({ hash: block.hash, offset: packBytes, length: stored.length, inner, size: block.content.length });
      inner += block.content.length;
    }
    packBytes += stored.length;
    frame = [];
    frameBytes = 0;
    return stored;
  };
  // The pack's bytes are produced while the copy is read, and flow through the store pipeline
  // (hashing, atomic write), which pulls them as fast as the destination takes them.
  async function* newBlocks(): AsyncGenerator<Buffer> {
    let carry = Buffer.alloc(0);
    for await (const chunk of fs.createReadStream(options.copyFile, { highWaterMark: pageSize * 256 }) as AsyncIterable<Buffer>) {
      let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const out: Buffer[] = [];
      for (; data.length >= pageSize; data = data.subarray(pageSize)) {
        takePage(data.subarray(0, pageSize));
        if (frameBytes >= FRAME_BYTES) out.push(closeFrame()!);
      }
      carry = Buffer.from(data);
      options.onProgress?.(page / pages, `Storing new blocks: page ${page.toLocaleString('en')} of ${pages.toLocaleString('en')}, ${newHashes.size.toLocaleString('en')} new`);
      if (out.length > 0) yield Buffer.concat(out);
    }
    // A file that is not a whole number of pages (not one SQLite writes): its tail is a block too.
    if (carry.length > 0) takePage(carry);
    const last = closeFrame();
    if (last) yield last;
  }

  const ownPack = packName(options.snapshotId);
  const pack = await storeStream({
    destination, key: sharedKey(connectionId, ownPack), name: ownPack, codec: 'none', signal, source: Readable.from(newBlocks()), what: `read ${options.copyFile}`,
  });
  const shared: StoredFile[] = [];
  let newBytes = 0;
  if (entries.length > 0) {
    const indexName = packIndexName(ownPack);
    const packIndex = await storeStream({
      destination, key: sharedKey(connectionId, indexName), name: indexName, codec: 'none', signal, source: Readable.from([encodePackIndex({ codec, entries })]),
    });
    shared.push(pack, packIndex);
    newBytes += pack.size + packIndex.size;
  } else {
    // Nothing new (the database did not change): an empty pack would only be clutter.
    await destination.delete(sharedKey(connectionId, ownPack));
  }
  for (const name of usedPacks) shared.push(...previous.shared.filter(f => f.name === name || f.name === packIndexName(name)));

  const indexName = PAGE_INDEX_FILE + CODEC_SUFFIX[codec];
  const pageIndex = await storeStream({
    destination, key: `${options.prefix}/${indexName}`, name: indexName, codec, level, signal,
    source: Readable.from([encodePageIndex({ pageSize, databaseBytes, hashes })]),
  });
  newBytes += pageIndex.size;
  return {
    files: [pageIndex],
    shared,
    parent: previous.parent,
    facts: {
      pageSize, databaseBytes, databaseSha256: whole.digest('hex'), pages, newBlocks: entries.length, reusedPages, newBytes,
      packs: shared.filter(isPackIndex).length,
    },
  };
}

interface PreviousSnapshots {
  parent: string | null;
  locations: Map<string, BlockLocation>;
  shared: StoredFile[];
}

/** The blocks earlier snapshots of the connection stored. If they cannot be read, the snapshot
 *  starts a new chain (stores every block) rather than fail: it is then only larger. */
async function previousSnapshots(options: SnapshotStoreOptions): Promise<PreviousSnapshots> {
  const { entries } = await listBackups(options.destination, { connectionId: options.connectionId, logger: options.logger });
  const snapshots = entries.filter(e => e.manifest.kind === SNAPSHOT_KIND && e.manifest.connection.id === options.connectionId);
  if (snapshots.length === 0) return { parent: null, locations: new Map(), shared: [] };
  const byName = new Map<string, StoredFile>();
  for (const entry of snapshots) for (const file of entry.manifest.shared ?? []) byName.set(file.name, file);
  const shared = [...byName.values()];
  try {
    const locations = await loadBlockLocations(options.destination, options.connectionId, shared, options.signal);
    return { parent: snapshots[0].manifest.id, locations, shared };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    options.logger.warn(`The blocks of earlier snapshots cannot be read (${errorMessage(error)}); this snapshot stores every page and starts a new chain.`);
    return { parent: null, locations: new Map(), shared: [] };
  }
}

/** The page size in the database header (offset 16, big-endian; 1 means 65536). */
async function readPageSize(file: string): Promise<number> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const header = Buffer.alloc(2);
    await handle.read(header, 0, 2, 16);
    const value = header.readUInt16BE(0);
    const size = value === 1 ? 65_536 : value;
    // An empty database (a 0-byte file) has no header; any page size then gives no pages.
    return size >= 512 && (size & (size - 1)) === 0 ? size : 4096;
  } finally {
    await handle.close();
  }
}
