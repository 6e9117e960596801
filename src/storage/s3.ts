import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  type S3ClientConfig, type ServerSideEncryption, type StorageClass, type _Object,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Destination, ObjectInfo } from '../core/destination';
import { CancelledError, LifeboatError, errorMessage, isCancelled } from '../core/errors';
import { objectKeyParts } from '../core/objectKey';
import { isOrphan, ownedBase, ownedName, writerTag } from '../core/orphans';
import { CONNECTION_ID_PATTERN } from '../core/connection';
import { BACKUP_ID_PATTERN } from '../core/manifestGrammar';
import { SHARED_FOLDER } from '../core/sharedFiles';
import { ByteCounter } from '../core/hashing';
import { s3LocationText } from './s3Location';
import type { DestinationSettings } from './destinationSettings';

/**
 * An S3 bucket (AWS, or an S3-compatible store: MinIO, R2, B2, Ceph) under a prefix. Objects are
 * objects; a write is one PutObject or one multipart upload, which S3 makes visible only when it
 * completes, so readers and listings see the old object or the new one, whole.
 *
 * A multipart upload in progress is recorded by a marker object in the backend's own folder
 * (".lifeboat-uploads/<key>.partial-<host>-<pid>-<random>", holding the upload id), so that the
 * next sweep can abort what a killed writer left: S3 keeps the parts of an unfinished upload (and
 * bills for them) until someone aborts it. Uploads older than a day that carry no marker (killed
 * before their first part was stored) are aborted too; the bucket's AbortIncompleteMultipartUpload
 * lifecycle rule is the second net (README).
 *
 * Memory is bounded by lib-storage: `partSize` × (`queueSize` + 1) bytes per write.
 */
export type S3DestinationOptions = Omit<DestinationSettings, 'name' | 'location'> & {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/' ('' for the whole bucket). */
  prefix: string;
  partSize?: number;
  queueSize?: number;
};

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 4;
const UPLOADS_FOLDER = '.lifeboat-uploads';
/** Uploads without a marker are taken once this old (another host's may be under way). */
const UNMARKED_AGE_MS = 24 * 3600 * 1000;

/** A key of a backup folder or of a connection's shared blocks (catalog.ts, sharedFiles.ts). */
function inBackupLayout(key: string): boolean {
  const [connection, folder, name, ...more] = key.split('/');
  return more.length === 0 && !!name && CONNECTION_ID_PATTERN.test(connection) && (BACKUP_ID_PATTERN.test(folder) || folder === SHARED_FOLDER);
}

export class S3Destination implements Destination {
  readonly kind = 's3' as const;
  readonly location: string;
  readonly partSize: number;
  readonly queueSize: number;
  private readonly client: S3Client;

  constructor(private readonly options: S3DestinationOptions) {
    this.location = s3LocationText(options);
    this.partSize = Math.max(5 * 1024 * 1024, options.partSize ?? DEFAULT_PART_SIZE);
    this.queueSize = Math.max(1, options.queueSize ?? DEFAULT_QUEUE_SIZE);
    this.client = new S3Client(clientConfig(options));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for await (const object of this.objects(prefix)) {
      const key = this.relativeKey(object.Key);
      // The backend's own objects (markers of uploads in progress) are no backup's.
      if (key === undefined || key.split('/').slice(0, -1).some(part => part.startsWith('.'))) continue;
      yield { key, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
    }
  }

  /** Every object under `prefix` (of this destination's keys), page by page. */
  private async *objects(prefix: string): AsyncGenerator<_Object> {
    let token: string | undefined;
    do {
      const page = await this.call(`list ${this.location}`, () => this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.bucketKey(prefix, true), ContinuationToken: token })));
      yield* page.Contents ?? [];
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async read(key: string): Promise<Readable> {
    const bucketKey = this.bucketKey(key);
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: bucketKey }));
      return object.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw new LifeboatError('not-found', `The backup file ${this.location}/${key} is missing.`, 'The backup is incomplete: delete it, or restore it from another copy.');
      throw this.explain(error, `read ${this.location}/${key}`);
    }
  }

  async write(key: string, data: Readable, signal?: AbortSignal): Promise<{ size: number }> {
    const bucketKey = this.bucketKey(key);
    if (signal?.aborted) {
      data.destroy();
      throw new CancelledError();
    }
    const counted = new ByteCounter();
    const feeding = pipeline(data, counted).catch((error: unknown) => error);
    // Names this write on the object, so that a write cancelled while its last request was
    // already on the wire can tell its own object from an older one.
    const writer = writerTag();
    const upload = new Upload({
      client: this.client, partSize: this.partSize, queueSize: this.queueSize, leavePartsOnError: false,
      params: { Bucket: this.options.bucket, Key: bucketKey, Body: counted, Metadata: { 'lifeboat-writer': writer }, ...this.storageParams() },
    });
    // The upload id is known once the first part is stored: the upload is recorded for the sweep from then on.
    let marker: Promise<string | undefined> | undefined;
    upload.on('httpUploadProgress', () => {
      if (!marker && upload.uploadId) marker = this.mark(key, upload.uploadId).catch(() => undefined);
    });
    // Cancel stops the source, and lets the requests under way settle (an aborted request may
    // still have been stored): what landed is removed below.
    const onAbort = () => counted.destroy(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
      const fed = await feeding;
      if (fed) throw fed;
      if (signal?.aborted) throw new CancelledError();
      return { size: counted.bytes };
    } catch (error) {
      data.destroy();
      counted.destroy();
      const fed = await feeding;
      // lib-storage sends AbortMultipartUpload only once its source has ended; it is sent here
      // with the id, and a failure to abort is kept as the cause, never in place of the error.
      let abortFailure: unknown;
      if (upload.uploadId) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: bucketKey, UploadId: upload.uploadId }))
          .catch((why: unknown) => { if (!isMissing(why)) abortFailure = why; });
      }
      await this.removeOwn(bucketKey, writer);
      if (signal?.aborted || isCancelled(error)) throw new CancelledError();
      const first = fed instanceof Error && !/premature close|aborted/i.test(fed.message) ? fed : error;
      if (first instanceof LifeboatError) throw first;
      throw this.explain(first, `write ${this.location}/${key}`, abortFailure);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      const markerKey = await marker;
      if (markerKey) await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: markerKey })).catch(() => undefined);
    }
  }

  /** After a write that failed or was cancelled: its own object, if one landed, is removed; an
   *  older object under the key (another writer's) is left as it is. */
  private async removeOwn(bucketKey: string, writer: string): Promise<void> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: bucketKey }));
      if (head.Metadata?.['lifeboat-writer'] === writer) await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: bucketKey }));
    } catch {
      // Nothing there, or the store cannot be asked: the first error is what the caller reports.
    }
  }

  /** Storage class and server-side encryption, for every object this destination writes. */
  private storageParams(): { StorageClass?: StorageClass; ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
    return {
      ...(this.options.storageClass ? { StorageClass: this.options.storageClass as StorageClass } : {}),
      ...(this.options.serverSideEncryption ? { ServerSideEncryption: this.options.serverSideEncryption as ServerSideEncryption } : {}),
      ...(this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
    };
  }

  async delete(key: string): Promise<void> {
    const bucketKey = this.bucketKey(key);
    await this.call(`delete ${this.location}/${key}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: bucketKey })));
  }

  async sweepStale(): Promise<string[]> {
    const removed: string[] = [];
    // Keys with a marker, live or dead: their uploads are the markers' to judge, never the
    // unmarked-upload pass's (a live upload may run for longer than a day).
    const marked = new Set<string>();
    for await (const object of this.objects(`${UPLOADS_FOLDER}/`)) {
      const name = object.Key?.split('/').pop() ?? '';
      const target = this.markedKey(object.Key);
      if (!object.Key || target === undefined) continue;
      marked.add(this.bucketKey(target, true));
      if (!isOrphan(name, object.LastModified ?? new Date(0))) continue;
      const uploadId = await this.readText(object.Key);
      if (uploadId) await this.abortUpload(this.bucketKey(target, true), uploadId);
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: object.Key }));
      removed.push(`${this.location}/${target} (upload ${uploadId ?? 'unknown'})`);
    }
    // Uploads a killed writer started before it could mark them: taken once a day old.
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    do {
      const page = await this.call(`list the unfinished uploads of ${this.location}`, () => this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.options.bucket, Prefix: this.bucketKey('', true), KeyMarker: keyMarker, UploadIdMarker: idMarker })));
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || marked.has(upload.Key)) continue;
        // Only keys laid out as Lifeboat lays out backups: "<connection>/<backup or blocks>/…".
        const relative = this.relativeKey(upload.Key);
        if (!relative || !inBackupLayout(relative)) continue;
        if (Date.now() - (upload.Initiated?.getTime() ?? Date.now()) < UNMARKED_AGE_MS) continue;
        await this.abortUpload(upload.Key, upload.UploadId);
        removed.push(`${this.location}/${this.relativeKey(upload.Key) ?? upload.Key} (upload ${upload.UploadId})`);
      }
      [keyMarker, idMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
    } while (keyMarker);
    return removed;
  }

  /** The bucket's key for an object key (checked against the one grammar), or for a listing prefix. */
  private bucketKey(key: string, isPrefix = false): string {
    if (!isPrefix) objectKeyParts(key);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  /** The object key of a bucket key under this prefix, or undefined for one outside it. */
  private relativeKey(bucketKey: string | undefined): string | undefined {
    if (bucketKey === undefined) return undefined;
    if (!this.options.prefix) return bucketKey;
    return bucketKey.startsWith(`${this.options.prefix}/`) ? bucketKey.slice(this.options.prefix.length + 1) : undefined;
  }

  /** The object key a marker stands for. */
  private markedKey(markerBucketKey: string | undefined): string | undefined {
    const relative = this.relativeKey(markerBucketKey);
    if (!relative?.startsWith(`${UPLOADS_FOLDER}/`)) return undefined;
    return ownedBase(relative.slice(UPLOADS_FOLDER.length + 1));
  }

  private async mark(key: string, uploadId: string): Promise<string> {
    const markerKey = this.bucketKey(`${UPLOADS_FOLDER}/${ownedName(key, 'partial')}`, true);
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: markerKey, Body: uploadId, ...this.storageParams() }));
    return markerKey;
  }

  private async abortUpload(bucketKey: string, uploadId: string): Promise<void> {
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: bucketKey, UploadId: uploadId })).catch((error: unknown) => {
      if (!isMissing(error)) throw this.explain(error, `abort an unfinished upload in ${this.location}`);
    });
  }

  private async readText(bucketKey: string): Promise<string | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: bucketKey }));
      return (await object.Body?.transformToString())?.trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Runs one request, its failure explained as `action` failing. */
  private async call<T>(action: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.explain(error, action);
    }
  }

  /** An S3 error as a person should read it: the service's own code and words, and what to check. */
  private explain(error: unknown, action: string, cause2?: unknown): LifeboatError {
    // Lifeboat's own words (the credentials file that cannot be read) stay as they are.
    if (error instanceof LifeboatError) return error;
    const name = (error as { name?: string }).name ?? '';
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const cause = cause2 === undefined ? error : new AggregateError([error, cause2], errorMessage(error));
    const said = `${name && name !== 'Error' ? `${name}: ` : ''}${errorMessage(error)}`;
    if (/InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Forbidden|ExpiredToken|CredentialsProviderError/.test(name) || status === 403) {
      return new LifeboatError('connection', `Could not ${action}: the store refused the credentials (${said}).`, 'Check the access key and secret of the destination, or the AWS profile or role it uses.', { cause });
    }
    if (name === 'NoSuchBucket') {
      return new LifeboatError('not-found', `Could not ${action}: the bucket "${this.options.bucket}" does not exist.`, 'Create the bucket, or check the destination\'s bucket, endpoint and region.', { cause });
    }
    if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|socket hang up/i.test(`${said} ${String((error as NodeJS.ErrnoException).code ?? '')}`)) {
      return new LifeboatError('connection', `Could not ${action}: the store at ${this.options.endpoint ?? 'AWS'} cannot be reached (${said}).`, 'Check the endpoint and the network, then try again.', { cause });
    }
    return new LifeboatError('io', `Could not ${action}: ${said}.`, undefined, { cause });
  }
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
}

/**
 * The SDK client for a destination. A custom endpoint gets path-style addressing unless told
 * otherwise (virtual-hosted names such as bucket.localhost do not resolve) and checksums only
 * where the API requires them: the SDK's default "flexible checksums" send a streamed upload as
 * aws-chunked with a trailer, which one S3-compatible server stored inside the object without an
 * error and R2 and B2 reject (aws/aws-sdk-js-v3#6810). Lifeboat's own SHA-256 checks every byte.
 */
export function clientConfig(options: S3DestinationOptions): S3ClientConfig {
  const custom = options.endpoint !== undefined;
  return {
    region: options.region ?? (custom ? 'us-east-1' : undefined),
    ...(custom ? { endpoint: options.endpoint, forcePathStyle: options.pathStyle ?? true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    ...(options.pathStyle !== undefined && !custom ? { forcePathStyle: options.pathStyle } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}
