import { CODECS } from '../../../core/codec';
import { LifeboatError } from '../../../core/errors';
import type { Codec } from '../../../core/manifest';

/**
 * The table of contents of one pack. A pack ("<snapshot id>.pack") holds the blocks a snapshot
 * stored new, in page order, compressed in frames: up to FRAME_BYTES of consecutive new blocks
 * compressed together with the snapshot's codec. Pages of one database share much (the same
 * schema, similar rows), so a frame compresses about as well as a stream, where one page alone
 * (measured on the e2e test's database, zstd) came out three times larger than the stream; and a
 * restore reads whole packs anyway, so a frame costs it nothing. Its index
 * ("<snapshot id>.pack-index") says where each block is:
 *   "LBPACKI1"  magic (8 bytes)
 *   u8          the frames' codec (0 zstd, 1 gzip, 2 none): a chain's packs may differ, when the
 *               codec setting changed between snapshots
 *   u32 BE      number of blocks
 *   per block, in pack order: SHA-256 of the content (32 bytes), u64 BE offset of its frame in
 *               the pack, u32 BE stored length of the frame, u32 BE offset of the block in the
 *               decompressed frame, u32 BE length of the block
 * 52 bytes per block, written once when the pack is, and only for the blocks that are new.
 * It is kept uncompressed: it is small and made of SHA-256s, which do not compress.
 */
const MAGIC = Buffer.from('LBPACKI1', 'latin1');
const HEADER = 8 + 1 + 4;
const ENTRY = 32 + 8 + 4 + 4 + 4;
/** How many bytes of blocks a frame holds at most (64 pages of 4 KiB). */
export const FRAME_BYTES = 256 * 1024;

export interface PackEntry {
  hash: string;
  /** The frame: where it is in the pack and how long it is as stored. */
  offset: number;
  length: number;
  /** The block: where it is in the decompressed frame, and its length. */
  inner: number;
  size: number;
}

export interface PackIndex {
  codec: Codec;
  entries: PackEntry[];
}

export function encodePackIndex(index: PackIndex): Buffer {
  const data = Buffer.alloc(HEADER + index.entries.length * ENTRY);
  MAGIC.copy(data, 0);
  data.writeUInt8(CODECS.indexOf(index.codec), 8);
  data.writeUInt32BE(index.entries.length, 9);
  index.entries.forEach((entry, i) => {
    const at = HEADER + i * ENTRY;
    data.write(entry.hash, at, 32, 'hex');
    data.writeBigUInt64BE(BigInt(entry.offset), at + 32);
    data.writeUInt32BE(entry.length, at + 40);
    data.writeUInt32BE(entry.inner, at + 44);
    data.writeUInt32BE(entry.size, at + 48);
  });
  return data;
}

export function decodePackIndex(data: Buffer, where: string): PackIndex {
  if (data.length < HEADER || !data.subarray(0, 8).equals(MAGIC) || data[8] >= CODECS.length || data.length !== HEADER + data.readUInt32BE(9) * ENTRY) {
    throw new LifeboatError('verification', `The pack index ${where} is damaged.`, 'Restore from another copy of the backup folder.');
  }
  const entries: PackEntry[] = [];
  for (let at = HEADER; at < data.length; at += ENTRY) {
    entries.push({
      hash: data.toString('hex', at, at + 32), offset: Number(data.readBigUInt64BE(at + 32)), length: data.readUInt32BE(at + 40),
      inner: data.readUInt32BE(at + 44), size: data.readUInt32BE(at + 48),
    });
  }
  return { codec: CODECS[data[8]], entries };
}
