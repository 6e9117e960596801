import * as zlib from 'node:zlib';
import { PassThrough, type Transform } from 'node:stream';
import { LifeboatError } from './errors';
import type { Codec } from './manifest';

/** Compression of stored files. zlib runs on libuv's thread pool, so the copy keeps going while
 *  another core compresses. */
export const CODECS: readonly Codec[] = ['gzip', 'none'];

export const CODEC_SUFFIX: Record<Codec, string> = { gzip: '.gz', none: '' };

export function parseCodec(value: string): Codec {
  if ((CODECS as readonly string[]).includes(value)) return value as Codec;
  throw new LifeboatError('usage', `Unknown compression "${value}".`, `Use one of: ${CODECS.join(', ')}.`);
}

/** Checks a compression level before any work starts; a level means nothing without a codec. */
export function validateLevel(codec: Codec, level: number | undefined): void {
  if (level === undefined || codec === 'none') return;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new LifeboatError('usage', `gzip compression level ${level} does not exist.`, 'Use 1 (fastest) to 9 (smallest); the default is 6.');
  }
}

export function compressor(codec: Codec, level?: number): Transform {
  switch (codec) {
    case 'gzip':
      return zlib.createGzip({ level: level ?? 6, chunkSize: 256 * 1024 });
    case 'none':
      return new PassThrough();
  }
}

export function decompressor(codec: Codec): Transform {
  switch (codec) {
    case 'gzip':
      return zlib.createGunzip({ chunkSize: 256 * 1024 });
    case 'none':
      return new PassThrough();
  }
}
