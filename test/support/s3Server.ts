import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
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
