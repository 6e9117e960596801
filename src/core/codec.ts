import * as zlib from 'node:zlib';
import { PassThrough, type Transform } from 'node:stream';
import { LifeboatError } from './errors';
import type { Codec } from './manifest';

/**
 * Compression of stored files and streams. zlib runs on libuv's thread pool, so the producer (a
 * copy, a dump tool) keeps going while another core compresses. zstd is in Node's zlib from
 * 22.15 / 23.8; on older runtimes it is reported as unavailable, never silently replaced.
 */
export const CODECS: readonly Codec[] = ['zstd', 'gzip', 'none'];

export const CODEC_SUFFIX: Record<Codec, string> = { zstd: '.zst', gzip: '.gz', none: '' };

/**
 * zstd's default is 2, by measurement (bench/codecLevels.ts, Node 24, the benchmark's 879 MiB
 * pg_dump stream, one core): level 1 171 MiB/s → 271 MiB; 2: 137 MiB/s → 252 MiB; 3: 87 MiB/s →
 * 249 MiB; 6: 34 MiB/s → 229 MiB. Level 2 is the knee: 7 % smaller than level 1 for 25 % more
 * time, while level 3 costs 60 % more time for 1 % less, and level 2 keeps up with a pg_dump
 * stream on the one core pg_dump leaves free on a two-core machine. gzip keeps zlib's own 6.
 */
const LEVELS: Record<Exclude<Codec, 'none'>, { min: number; max: number; default: number }> = {
  gzip: { min: 1, max: 9, default: 6 },
  zstd: { min: 1, max: 19, default: 2 },
};

type ZstdZlib = typeof zlib & {
  createZstdCompress?: (options: { params: Record<number, number>; chunkSize?: number }) => Transform;
  createZstdDecompress?: (options?: { chunkSize?: number }) => Transform;
  constants: typeof zlib.constants & { ZSTD_c_compressionLevel?: number; ZSTD_c_checksumFlag?: number };
};
const zstdZlib = zlib as ZstdZlib;

/** The codec a backup uses when nobody chose one: zstd where the runtime has it, else gzip. */
export function defaultCodec(): Codec {
  return codecAvailable('zstd') ? 'zstd' : 'gzip';
}

/** The level a codec runs at when nobody chose one (see LEVELS). */
export function defaultLevel(codec: Exclude<Codec, 'none'>): number {
  return LEVELS[codec].default;
}

/** Whether this runtime can write and read `codec`. */
export function codecAvailable(codec: Codec): boolean {
  return codec !== 'zstd' || typeof zstdZlib.createZstdCompress === 'function';
}

export function parseCodec(value: string): Codec {
  if ((CODECS as readonly string[]).includes(value)) return value as Codec;
  throw new LifeboatError('usage', `Unknown compression "${value}".`, `Use one of: ${CODECS.join(', ')}.`);
}

/** Checks a codec and level before any work starts; a level means nothing without a codec. */
export function validateLevel(codec: Codec, level: number | undefined): void {
  requireCodec(codec);
  if (level === undefined || codec === 'none') return;
  const range = LEVELS[codec];
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new LifeboatError('usage', `${codec} compression level ${level} does not exist.`,
      `Use ${range.min} (fastest) to ${range.max} (smallest); the default is ${range.default}.`);
  }
}

function requireCodec(codec: Codec): void {
  if (!codecAvailable(codec)) {
    throw new LifeboatError('unsupported', `This runtime (Node ${process.versions.node}) has no ${codec} support.`,
      'zstd needs Node 22.15 or newer (VS Code 1.101+, code-server, or a newer Node for the CLI); choose gzip here.');
  }
}

export function compressor(codec: Codec, level?: number): Transform {
  requireCodec(codec);
  switch (codec) {
    case 'zstd':
      // 1 MiB out per call: with BlockBuffer's 1 MiB blocks in, about 4 % faster than 256 KiB.
      return zstdZlib.createZstdCompress!({
        chunkSize: 1024 * 1024,
        params: { [zstdZlib.constants.ZSTD_c_compressionLevel!]: level ?? LEVELS.zstd.default, [zstdZlib.constants.ZSTD_c_checksumFlag!]: 1 },
      });
    case 'gzip':
      return zlib.createGzip({ level: level ?? LEVELS.gzip.default, chunkSize: 256 * 1024 });
    case 'none':
      return new PassThrough();
  }
}

export function decompressor(codec: Codec): Transform {
  requireCodec(codec);
  switch (codec) {
    case 'zstd':
      return zstdZlib.createZstdDecompress!({ chunkSize: 256 * 1024 });
    case 'gzip':
      return zlib.createGunzip({ chunkSize: 256 * 1024 });
    case 'none':
      return new PassThrough();
  }
}

type ZstdSync = typeof zlib & {
  zstdCompressSync?: (data: Buffer, options: { params: Record<number, number> }) => Buffer;
  zstdDecompressSync?: (data: Buffer) => Buffer;
};

/**
 * One block compressed on its own, as one frame of the codec, so that it can be read back without
 * the rest of its file (SQLite incremental snapshots: a frame of up to 256 KiB of new pages).
 * Synchronous: a frame takes a few milliseconds, and a stream's thread-pool machinery would cost
 * more than it saves for buffers this small.
 */
export function compressBlock(codec: Codec, data: Buffer, level?: number): Buffer {
  requireCodec(codec);
  switch (codec) {
    case 'zstd':
      return (zlib as ZstdSync).zstdCompressSync!(data, { params: { [zstdZlib.constants.ZSTD_c_compressionLevel!]: level ?? LEVELS.zstd.default } });
    case 'gzip':
      return zlib.gzipSync(data, { level: level ?? LEVELS.gzip.default });
    case 'none':
      return data;
  }
}

export function decompressBlock(codec: Codec, data: Buffer): Buffer {
  requireCodec(codec);
  switch (codec) {
    case 'zstd':
      return (zlib as ZstdSync).zstdDecompressSync!(data);
    case 'gzip':
      return zlib.gunzipSync(data);
    case 'none':
      return data;
  }
}
