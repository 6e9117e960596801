import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clientConfig, S3Destination, type S3DestinationOptions } from '../../src/storage/s3';

/**
 * A real S3-compatible server for the tests: fauxqs (npm, in this process, on a free port of
 * 127.0.0.1). It speaks the S3 REST API that the AWS SDK talks to: PutObject, multipart uploads,
 * ListObjectsV2 with paging, AbortMultipartUpload. Two limits, measured (ENVIRONMENT notes):
 * it checks no signatures (so wrong keys cannot be tested on it) and ListMultipartUploads always
 * answers an empty list.
 */
export interface S3TestServer {
  endpoint: string;
  /** Options for a destination in a new, empty bucket of its own (with `prefix`). */
  newBucket(prefix?: string): Promise<S3DestinationOptions>;
  client(options: S3DestinationOptions): S3Client;
  stop(): Promise<void>;
}

/** Keys the test server accepts (it checks none); never real ones. */
export const TEST_CREDENTIALS = { accessKeyId: 'lifeboat-test', secretAccessKey: 'lifeboat-test-secret' };

export async function startS3Server(): Promise<S3TestServer> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  let count = 0;
  const client = (options: S3DestinationOptions) => new S3Client(clientConfig(options));
  return {
    endpoint,
    async newBucket(prefix = '') {
      const options: S3DestinationOptions = { bucket: `lifeboat-${process.pid}-${++count}-${randomBytes(3).toString('hex')}`, prefix, endpoint, credentials: TEST_CREDENTIALS };
      await client(options).send(new CreateBucketCommand({ Bucket: options.bucket }));
      return options;
    },
    client,
    stop: () => server.stop(),
  };
}

export function s3Destination(options: S3DestinationOptions): S3Destination {
  return new S3Destination(options);
}

/** A store that checks the access key: s3rver, in one bucket of its own. */
export interface CheckingS3Server {
  endpoint: string;
  bucket: string;
  /** A client with keys it accepts. */
  client: S3Client;
  stop(): Promise<void>;
}

/**
 * s3rver (npm, in this process, on a free port of 127.0.0.1), for what fauxqs cannot show: keys
 * the store refuses. It answers an access key it does not know with 403 InvalidAccessKeyId, as
 * S3 does; measured here, it let a known key with a wrong secret through, and it has no
 * AbortMultipartUpload or ListMultipartUploads (ENVIRONMENT notes), so it serves only the
 * refused-keys cases. Its own keys are S3RVER / S3RVER.
 */
export async function startCheckingS3Server(): Promise<CheckingS3Server> {
  const { default: S3rver } = await import('s3rver');
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-s3rver-'));
  const bucket = `lifeboat-checking-${randomBytes(3).toString('hex')}`;
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    client: new S3Client(clientConfig({ bucket, prefix: '', endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } })),
    async stop() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Waits until a Lifeboat upload into `bucket` is under way (its marker is stored), or `child`
 *  has exited first; says which. */
export async function untilUploadMarked(client: S3Client, bucket: string, child: { exitCode: number | null }): Promise<boolean> {
  while (child.exitCode === null) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    if ((page.Contents ?? []).some(o => o.Key!.includes('.lifeboat-uploads/'))) return true;
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  return false;
}
