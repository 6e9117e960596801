import type { Readable } from 'node:stream';
import type { Destination, ObjectInfo } from '../core/destination';
import { LifeboatError } from '../core/errors';
import { objectKeyParts } from '../core/objectKey';
import type { S3Destination, S3DestinationOptions } from './s3';

/**
 * An S3 destination whose AWS SDK is loaded only when it is first used: the SDK is most of the
 * bundle, and every CLI command that never touches a bucket would otherwise pay for loading it
 * (0.06 CPU-s a run, measured: 0.14 against 0.08 user-s for `lifeboat list` of a folder).
 */
export function openS3Destination(options: S3DestinationOptions): Destination {
  let loaded: Promise<S3Destination> | undefined;
  const load = () => loaded ??= import('./s3').then(m => new m.S3Destination(options));
  return {
    kind: 's3',
    location: s3LocationText(options),
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      yield* (await load()).list(prefix);
    },
    read: async (key: string): Promise<Readable> => (await load()).read(key),
    write: async (key: string, data: Readable, signal?: AbortSignal) => (await load()).write(key, data, signal),
    delete: async (key: string) => (await load()).delete(key),
    sweepStale: async () => (await load()).sweepStale(),
  };
}

/** "s3://bucket/prefix", as people read it. */
export function s3LocationText(options: { bucket: string; prefix: string }): string {
  return `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`;
}

/** Reads "s3://bucket/prefix" into its parts, checking both: a bucket name as S3 allows it, a
 *  prefix of key parts as every destination takes them. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/i.exec(location.trim());
  const bucket = match?.[1] ?? '';
  const prefix = (match?.[2] ?? '').replace(/\/+$/, '');
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new LifeboatError('usage', `"${location}" is not an S3 location.`, 'Write it as s3://bucket or s3://bucket/prefix (a bucket name: 3–63 lower-case letters, digits, dots and hyphens).');
  }
  if (prefix) {
    try {
      objectKeyParts(`${prefix}/x`);
    } catch {
      throw new LifeboatError('usage', `The prefix of "${location}" is not a plain relative path.`, 'Use parts separated by single slashes, none of them "." or "..", none starting with ".".');
    }
  }
  return { bucket, prefix };
}
