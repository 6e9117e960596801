import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes no other object of a test shares: a part of one, or a mix of two, never passes for another. */
export function distinctBytes(size: number): Buffer {
  return randomBytes(size);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `total` bytes made while they are read, in `chunkSize` chunks, each different (its index is
 * written into it), so a large object never sits in memory whole and a dropped or repeated chunk
 * changes the hash. `sha256()` is the hash of what was produced, once the stream has ended.
 */
export function generatedSource(total: number, chunkSize = 64 * 1024): { stream: Readable; sha256(): string } {
  const block = randomBytes(chunkSize);
  const hash = createHash('sha256');
  let produced = 0;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (produced >= total) {
        digest = hash.digest('hex');
        this.push(null);
        return;
      }
      const chunk = Buffer.from(block.subarray(0, Math.min(chunkSize, total - produced)));
      chunk.writeUInt32BE(produced / chunkSize, 0);
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => digest ?? assertNever('the source has not ended') };
}

/** A source that yields `chunks` with `delayMs` between them: a dump tool that is slow to produce. */
export function slowSource(chunks: Buffer[], delayMs: number): Readable {
  return Readable.from((async function* () {
    for (const chunk of chunks) {
      await sleep(delayMs);
      yield chunk;
    }
  })());
}

/**
 * A source the test drives: `feed` pushes bytes and resolves once the writer asks for more (it
 * has taken them in), so the test knows a write is under way; then `end()` or `fail(error)`.
 * Nothing is pushed unless fed, so an abort always lands in the middle of the write.
 */
export interface FedSource {
  stream: Readable;
  feed(data: Buffer): Promise<void>;
  /** Feeds `data` a chunk at a time, each taken in before the next: most of it has gone past the
   *  writer's buffers when this resolves. */
  feedInChunks(data: Buffer, chunkSize?: number): Promise<void>;
  end(): void;
  fail(error: Error): void;
}

export function fedSource(): FedSource {
  let wanted: (() => void) | undefined;
  const stream = new Readable({
    read() {
      const resolve = wanted;
      wanted = undefined;
      resolve?.();
    },
  });
  const feed = (data: Buffer) => new Promise<void>(resolve => {
    wanted = resolve;
    stream.push(data);
  });
  return {
    stream,
    feed,
    feedInChunks: async (data, chunkSize = 64 * 1024) => {
      for (let at = 0; at < data.length; at += chunkSize) await feed(data.subarray(at, at + chunkSize));
    },
    end: () => stream.push(null),
    fail: error => stream.destroy(error),
  };
}

function assertNever(message: string): never {
  throw new Error(message);
}
