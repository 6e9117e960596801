import { Writable } from 'node:stream';
import { decompressBlock } from '../../../core/codec';
import { CancelledError, LifeboatError, explainIoError } from '../../../core/errors';
import type { Manifest, StoredFile } from '../../../core/manifest';
import { sharedKey } from '../../../core/sharedFiles';
import { readStoredFile } from '../../../core/storePipeline';
import { hashFile } from '../../../core/hashing';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Destination } from '../../../core/destination';
import { loadBlockLocations, readStoredBuffer, type BlockLocation } from './layout';
import { decodePageIndex, pageCountOf, pageHash, type PageIndex } from './pageIndex';

export interface RebuildResult {
  bytes: number;
  sha256: string;
}

/**
 * Rebuilds the database file of a snapshot into `target` (a new file), checking everything on
 * the way: the page index and each pack index against the SHA-256 in the manifest, each block's
 * content against the SHA-256 the page index gives for its page, each pack as a whole against the
 * manifest, and finally the whole file against the database's SHA-256 taken at backup time.
 * Each pack is read once, front to back (a destination such as S3 reads whole objects best), and
 * each block it holds that the snapshot uses is written at every page that is that block.
 */
export async function rebuildSnapshot(options: {
  destination: Destination;
  prefix: string;
  manifest: Manifest;
  target: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}): Promise<RebuildResult> {
  const { destination, manifest, signal } = options;
  const connectionId = manifest.connection.id;
  const indexFile = manifest.files[0];
  const index = decodePageIndex(await readStoredBuffer(destination, `${options.prefix}/${indexFile.name}`, indexFile, signal), `${options.prefix}/${indexFile.name}`);
  const shared = manifest.shared ?? [];
  const locations = await loadBlockLocations(destination, connectionId, shared, signal);
  const plan = planReads(index, locations, manifest.id);

  const handle = await fs.promises.open(options.target, 'wx', 0o600).catch(error => { throw explainIoError(error, `create ${options.target}`); });
  try {
    await handle.truncate(index.databaseBytes);
    const totalPages = pageCountOf(index);
    const writes = new RunWriter(handle, index.pageSize);
    let written = 0;
    for (const [pack, blocks] of plan) {
      const file = shared.find(f => f.name === pack);
      if (!file) throw missing(manifest.id, `the pack ${pack} is not listed in its manifest`);
      await readStoredFile({
        destination, key: sharedKey(connectionId, pack), file, signal,
        sink: blockWriter(blocks, file, index, async (content, pages) => {
          for (const page of pages) await writes.add(page, content);
          written += pages.length;
          options.onProgress?.(written / totalPages, `Rebuilding pages: ${written.toLocaleString('en')} of ${totalPages.toLocaleString('en')}`);
        }),
      });
    }
    await writes.flush();
    await handle.sync();
  } catch (error) {
    if (signal?.aborted) throw new CancelledError();
    throw error;
  } finally {
    await handle.close();
  }
  const { sha256 } = await hashFile(options.target, signal);
  const expected = String(manifest.consistency.databaseSha256 ?? '');
  if (sha256 !== expected) {
    throw new LifeboatError('verification', `The database rebuilt from snapshot ${manifest.id} has SHA-256 ${sha256}, the manifest says ${expected}.`,
      'Do not use this snapshot; restore another one or another copy of the backup folder.');
  }
  return { bytes: index.databaseBytes, sha256 };
}

/**
 * Joins pages that follow each other into one write: a pack holds its blocks in page order (the
 * first snapshot's pack is the whole database), so most writes become 1 MiB ones.
 */
class RunWriter {
  private run: Buffer[] = [];
  private start = -1;

  constructor(private readonly handle: fs.promises.FileHandle, private readonly pageSize: number) {}

  async add(page: number, content: Buffer): Promise<void> {
    if (this.run.length > 0 && (page !== this.start + this.run.length || this.run.length >= 256)) await this.flush();
    if (this.run.length === 0) this.start = page;
    this.run.push(content);
  }

  async flush(): Promise<void> {
    if (this.run.length === 0) return;
    const data = this.run.length === 1 ? this.run[0] : Buffer.concat(this.run);
    this.run = [];
    await this.handle.write(data, 0, data.length, this.start * this.pageSize);
  }
}

interface PlannedBlock extends BlockLocation {
  hash: string;
  pages: number[];
}

/** A frame of a pack, and the blocks the snapshot takes from it. */
interface PlannedFrame {
  offset: number;
  length: number;
  codec: BlockLocation['codec'];
  blocks: PlannedBlock[];
}

/** For each pack, the frames to read from it (in pack order), the blocks each holds that the
 *  snapshot uses, and the pages each block is. */
function planReads(index: PageIndex, locations: Map<string, BlockLocation>, snapshotId: string): Map<string, PlannedFrame[]> {
  const byHash = new Map<string, PlannedBlock>();
  for (let page = 0; page < pageCountOf(index); page++) {
    const hash = pageHash(index, page);
    let block = byHash.get(hash);
    if (!block) {
      const location = locations.get(hash);
      if (!location) throw missing(snapshotId, `no pack holds the block of page ${page + 1} (SHA-256 ${hash})`);
      block = { ...location, hash, pages: [] };
      byHash.set(hash, block);
    }
    block.pages.push(page);
  }
  const frames = new Map<string, Map<number, PlannedFrame>>();
  for (const block of byHash.values()) {
    const inPack = frames.get(block.pack) ?? new Map<number, PlannedFrame>();
    frames.set(block.pack, inPack);
    const frame = inPack.get(block.offset) ?? { offset: block.offset, length: block.length, codec: block.codec, blocks: [] };
    inPack.set(block.offset, frame);
    frame.blocks.push(block);
  }
  return new Map([...frames].map(([pack, inPack]) => [pack, [...inPack.values()].sort((a, b) => a.offset - b.offset)]));
}

/** A sink for one pack's bytes that cuts out the planned frames, decompresses each, checks every
 *  block taken from it against its SHA-256 and hands it on (other frames flow past). */
function blockWriter(frames: PlannedFrame[], file: StoredFile, index: PageIndex, place: (content: Buffer, pages: number[]) => Promise<void>): Writable {
  let position = 0;
  let next = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  return new Writable({
    async write(chunk: Buffer, _encoding, done) {
      try {
        let data = chunk;
        while (data.length > 0 && next < frames.length) {
          const frame = frames[next];
          if (position + data.length <= frame.offset) {
            position += data.length;
            return done();
          }
          if (position < frame.offset) {
            data = data.subarray(frame.offset - position);
            position = frame.offset;
          }
          const take = Math.min(data.length, frame.length - pendingBytes);
          pending.push(data.subarray(0, take));
          pendingBytes += take;
          data = data.subarray(take);
          position += take;
          if (pendingBytes === frame.length) {
            const stored = Buffer.concat(pending);
            pending = [];
            pendingBytes = 0;
            next++;
            const decoded = decodeFrame(stored, frame, file.name);
            for (const block of frame.blocks) {
              const content = decoded.subarray(block.inner, block.inner + block.size);
              const expectedBytes = Math.min(index.pageSize, index.databaseBytes - block.pages[0] * index.pageSize);
              if (content.length !== expectedBytes || createHash('sha256').update(content).digest('hex') !== block.hash) {
                throw new LifeboatError('verification', `The block of page ${block.pages[0] + 1} in ${file.name} does not match its SHA-256.`,
                  'The pack is damaged: restore from another copy of the backup folder.');
              }
              await place(content, block.pages);
            }
          }
        }
        position += data.length;
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    final(done) {
      done(next < frames.length ? new LifeboatError('verification', `${file.name} ends before its frame at offset ${frames[next].offset}.`, 'The pack is damaged: restore from another copy of the backup folder.') : null);
    },
  });
}

function decodeFrame(stored: Buffer, frame: PlannedFrame, pack: string): Buffer {
  try {
    return decompressBlock(frame.codec, stored);
  } catch (error) {
    throw new LifeboatError('verification', `The frame at offset ${frame.offset} in ${pack} (page ${frame.blocks[0].pages[0] + 1} among others) does not decompress (${(error as Error).message}).`,
      'The pack is damaged: restore from another copy of the backup folder.', { cause: error });
  }
}

function missing(snapshotId: string, why: string): LifeboatError {
  return new LifeboatError('verification', `Snapshot ${snapshotId} cannot be rebuilt: ${why}.`,
    'A block it needs was removed or never stored; restore another snapshot, or from another copy of the backup folder.');
}
