import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { configuredCli, json, startCli } from '../support/cli';
import { startCheckingS3Server, startS3Server, TEST_CREDENTIALS, untilUploadMarked, type S3TestServer } from '../support/s3Server';
import type { S3DestinationOptions } from '../../src/storage/s3';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { listFiles, tempFolder } from '../support/temp';

// What goes wrong between Lifeboat and a bucket, through the CLI against real S3-compatible
// servers: keys the store refuses (s3rver, which checks them), a bucket that does not exist, Cancel
// halfway through an upload, and the store going away mid-upload (fauxqs). Each time the error
// says what failed and what to do, a local copy made beside the bucket's is complete and checks,
// and the bucket is left with nothing of the failed backup.

interface Made {
  ok: boolean;
  backup: { id: string; location: string; copies: string[]; failedCopies: { location: string; message: string }[] };
}

describe('S3 failures (CLI)', () => {
  const tmp = tempFolder('lifeboat-s3-failures');
  let server: S3TestServer;
  let bucket: S3DestinationOptions;
  let client: S3Client;
  const source = tmp.file('shop.db');
  const big = tmp.file('big.db');
  const keys = tmp.file('keys.json');

  before(async () => {
    server = await startS3Server();
    bucket = await server.newBucket('lifeboat');
    client = server.client(bucket);
    createSampleDatabase(source, { rows: 500 });
    // Large enough (about 290 MB uncompressed) that an upload is still under way when the test acts.
    createSampleDatabase(big, { rows: 3000, blobBytes: 96 * 1024 });
    fs.writeFileSync(keys, JSON.stringify(TEST_CREDENTIALS), { mode: 0o600 });
  });
  after(async () => {
    await server?.stop();
    tmp.dispose();
  });

  /** A CLI whose backup folder is local, with `offsite` configured as given. */
  function cliWith(offsite: Record<string, unknown>) {
    return configuredCli(tmp.file(`lifeboat-${Math.random().toString(36).slice(2)}.json`), {
      backupFolder: tmp.file('local'),
      connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source }, { id: 'big', name: 'Big', engine: 'sqlite', path: big }],
      destinations: [{ name: 'offsite', region: 'us-east-1', ...offsite }],
    });
  }

  async function keysIn(s3: S3Client, name: string): Promise<string[]> {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: name }));
    return (page.Contents ?? []).map(o => o.Key!).sort();
  }

  /** The local copy beside a failed one: complete, listed and checked byte for byte. */
  async function localCopyChecks(cli: ReturnType<typeof cliWith>, made: Made) {
    assert.equal(made.backup.copies.length, 1, `only the local copy: ${made.backup.copies.join(', ')}`);
    assert.ok(made.backup.location.startsWith(tmp.file('local')), made.backup.location);
    const verified = json<{ ok: boolean }>(await cli.ok('verify', made.backup.id, '--deep'));
    assert.equal(verified.ok, true);
  }

  it('keys the store refuses (s3rver): the copy fails with the store\'s words and what to check, the local copy is kept; as the backup folder, exit 4 and nothing written', async () => {
    const checking = await startCheckingS3Server();
    try {
      const wrongKeys = tmp.file('wrong-keys.json');
      fs.writeFileSync(wrongKeys, JSON.stringify({ accessKeyId: 'not-a-key-this-store-knows', secretAccessKey: 'whatever' }), { mode: 0o600 });
      const cli = cliWith({ location: `s3://${checking.bucket}/lifeboat`, endpoint: checking.endpoint, credentialsFile: wrongKeys });
      const result = await cli.run('backup', 'shop', '--copy-to', 'offsite');
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const made = json<Made>(result);
      assert.equal(made.ok, false);
      assert.deepEqual(made.backup.failedCopies.map(f => f.location), [`s3://${checking.bucket}/lifeboat`]);
      assert.match(made.backup.failedCopies[0].message, /refused the credentials \(InvalidAccessKeyId/);
      assert.match(result.stderr, /Check the access key and secret of the destination/);
      await localCopyChecks(cli, made);

      const remote = await cli.run('--backup-dir', 'offsite', 'backup', 'shop');
      assert.equal(remote.code, 4, remote.stdout + remote.stderr);
      assert.match(remote.stdout + remote.stderr, /refused the credentials/);
      assert.deepEqual(await keysIn(checking.client, checking.bucket), [], 'nothing reached the bucket');
    } finally {
      await checking.stop();
    }
  });

  it('a bucket that does not exist: the copy is named as failed with what to do, and the local copy is kept', async () => {
    const cli = cliWith({ location: 's3://no-such-bucket-here/lifeboat', endpoint: server.endpoint, credentialsFile: keys });
    const result = await cli.run('backup', 'shop', '--copy-to', 'offsite');
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const made = json<Made>(result);
    assert.deepEqual(made.backup.failedCopies.map(f => f.location), ['s3://no-such-bucket-here/lifeboat']);
    assert.match(made.backup.failedCopies[0].message, /the bucket "no-such-bucket-here" does not exist/);
    assert.match(result.stderr, /Create the bucket, or check the destination's bucket, endpoint and region/);
    await localCopyChecks(cli, made);
  });

  it('Cancel halfway through an upload (SIGINT): exit 130, nothing of the backup in the bucket or the local folder', async () => {
    const cli = cliWith({ location: `s3://${bucket.bucket}/lifeboat`, endpoint: server.endpoint, credentialsFile: keys });
    const beforeBucket = await keysIn(client, bucket.bucket);
    const beforeLocal = listFiles(tmp.file('local'));
    const child = startCli(['--config', cli.file, 'backup', 'big', '--compression', 'none', '--copy-to', 'offsite']);
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>(resolve => child.once('close', resolve));
    // Cancelled once the multipart upload is under way (its marker stored).
    const underWay = await untilUploadMarked(client, bucket.bucket, child);
    child.kill('SIGINT');
    const code = await exited;
    assert.ok(underWay, `the upload was under way when Cancel came (output: ${output.slice(-300)})`);
    assert.equal(code, 130, output.slice(-500));
    assert.deepEqual(await keysIn(client, bucket.bucket), beforeBucket, 'no object and no marker of the cancelled backup is left in the bucket');
    assert.deepEqual(listFiles(tmp.file('local')), beforeLocal, 'nor anything in the local folder');
  });

  it('the store going away mid-upload: the copy fails as "cannot be reached" with what to do, and the local copy is kept', async () => {
    const doomed = await startS3Server();
    const doomedBucket = await doomed.newBucket('lifeboat');
    const doomedClient = doomed.client(doomedBucket);
    const cli = cliWith({ location: `s3://${doomedBucket.bucket}/lifeboat`, endpoint: doomed.endpoint, credentialsFile: keys });
    const child = startCli(['--config', cli.file, 'backup', 'big', '--compression', 'none', '--copy-to', 'offsite', '--json']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>(resolve => child.once('close', resolve));
    const underWay = await untilUploadMarked(doomedClient, doomedBucket.bucket, child);
    await doomed.stop();
    const code = await exited;
    assert.ok(underWay, `the upload was under way when the store stopped (output: ${stderr.slice(-300)})`);
    assert.equal(code, 1, stdout + stderr);
    const made = JSON.parse(stdout) as Made;
    assert.deepEqual(made.backup.failedCopies.map(f => f.location), [`s3://${doomedBucket.bucket}/lifeboat`]);
    assert.match(made.backup.failedCopies[0].message, /cannot be reached/);
    assert.match(stderr, /Check the endpoint and the network, then try again/);
    await localCopyChecks(cli, made);
  });
});
