// The upload alone, for bench/s3Backup.ts: one file streamed into an S3 bucket by
// @aws-sdk/lib-storage with the settings Lifeboat's S3 destination uses (part size, queue size,
// checksums only when required, path style), in its own process so that its CPU is measured apart.
//
//   node bench/s3Upload.mjs FILE ENDPOINT BUCKET KEY PART_SIZE QUEUE_SIZE
// Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints the bytes sent.
import * as fs from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const [file, endpoint, bucket, key, partSize, queueSize] = process.argv.slice(2);
if (!queueSize) {
  console.error('usage: node bench/s3Upload.mjs FILE ENDPOINT BUCKET KEY PART_SIZE QUEUE_SIZE');
  process.exit(2);
}
const client = new S3Client({
  region: 'us-east-1', endpoint, forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
});
const upload = new Upload({
  client, partSize: Number(partSize), queueSize: Number(queueSize), leavePartsOnError: false,
  params: { Bucket: bucket, Key: key, Body: fs.createReadStream(file, { highWaterMark: 1024 * 1024 }) },
});
await upload.done();
console.log(String(fs.statSync(file).size));
