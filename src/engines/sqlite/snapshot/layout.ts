import { Writable } from 'node:stream';
import type { Codec, StoredFile } from '../../../core/manifest';
import { ownSharedName, sharedKey } from '../../../core/sharedFiles';
import { readStoredFile } from '../../../core/storePipeline';
import type { Destination } from '../../../core/destination';
import { decodePackIndex } from './packIndex';

/**
 * Where a snapshot's parts are:
 *   <connection>/<snapshot id>/manifest.json      the manifest (written last; lists everything below)
 *   <connection>/<snapshot id>/page-index.bin[.gz|.zst]   which block each page is (pageIndex.ts)
 *   <connection>/blocks/<snapshot id>.pack         the blocks this snapshot stored new (packIndex.ts)
 *   <connection>/blocks/<snapshot id>.pack-index   where each of them is in the pack
 * A snapshot's manifest lists, in "shared", every pack (and its index) it takes a block from.
 */
export const SNAPSHOT_KIND = 'sqlite-snapshot';
export const PAGE_INDEX_FILE = 'page-index.bin';

export function packName(snapshotId: string): string {
  return ownSharedName(snapshotId, 'pack');
}

export function packIndexName(pack: string): string {
  return pack.replace(/\.pack$/, '.pack-index');
}

export function isPackIndex(file: StoredFile): boolean {
  return file.name.endsWith('.pack-index');
}

/** Where a block is: its pack, the frame that holds it (offset and stored length in the pack,
 *  and the frame's codec), and its place in the decompressed frame. */
export interface BlockLocation {
  pack: string;
  codec: Codec;
  offset: number;
  length: number;
  inner: number;
  size: number;
}

/** A whole stored object in memory, checked against its manifest entry (size and SHA-256). */
export async function readStoredBuffer(destination: Destination, key: string, file: StoredFile, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { parts.push(chunk); done(); } });
  await readStoredFile({ destination, key, file, sink, signal });
  return Buffer.concat(parts);
}

/** Where every block of the listed packs is, read from their pack indexes. */
export async function loadBlockLocations(destination: Destination, connectionId: string, shared: readonly StoredFile[], signal?: AbortSignal): Promise<Map<string, BlockLocation>> {
  const locations = new Map<string, BlockLocation>();
  for (const file of shared.filter(isPackIndex)) {
    const data = await readStoredBuffer(destination, sharedKey(connectionId, file.name), file, signal);
    const pack = file.name.replace(/\.pack-index$/, '.pack');
    const { codec, entries } = decodePackIndex(data, file.name);
    for (const { hash, ...where } of entries) {
      if (!locations.has(hash)) locations.set(hash, { pack, codec, ...where });
    }
  }
  return locations;
}
