import { after, before } from 'node:test';
import { CreateMultipartUploadCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { S3Destination } from '../../src/storage/s3';
import { ownedNameOf } from '../support/orphans';
import { startS3Server, type S3TestServer } from '../support/s3Server';
import { destinationContract } from './destinationContract';

// The Destination contract on a real S3-compatible server (fauxqs), under a prefix, as a backup
// bucket shared with other data would be used.
let server: S3TestServer;
before(async () => { server = await startS3Server(); });
after(() => server?.stop());

destinationContract('S3 bucket (fauxqs), under a prefix', async () => {
  const options = await server.newBucket('team/backups');
  const destination = new S3Destination({ ...options, partSize: 5 * 1024 * 1024, queueSize: 2 });
  const client = server.client(options);
  const bucketKey = (key: string) => `${options.prefix}/${key}`;
  return {
    destination,
    // Every object of the bucket (markers included) and every unfinished upload.
    async everything() {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: options.bucket, ContinuationToken: token }));
        names.push(...(page.Contents ?? []).map(o => o.Key!.startsWith(`${options.prefix}/`) ? o.Key!.slice(options.prefix.length + 1) : `(outside) ${o.Key}`));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: options.bucket }));
      names.push(...(uploads.Uploads ?? []).map(u => `(upload) ${u.Key}`));
      return names.sort();
    },
    leftovers: {
      // A writer killed mid-upload: its multipart upload, with one part stored, and its marker.
      'multipart upload': async (key, pid) => {
        const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: options.bucket, Key: bucketKey(key) }));
        await client.send(new UploadPartCommand({ Bucket: options.bucket, Key: bucketKey(key), UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 7) }));
        const marker = bucketKey(`.lifeboat-uploads/${ownedNameOf(key, 'partial', pid)}`);
        await client.send(new PutObjectCommand({ Bucket: options.bucket, Key: marker, Body: UploadId }));
        return {
          reported: `${destination.location}/${key} (upload ${UploadId})`,
          exists: () => client.send(new GetObjectCommand({ Bucket: options.bucket, Key: marker })).then(() => true, () => false),
        };
      },
    },
    dispose: async () => undefined,
  };
});
