import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { configuredCli, json } from '../support/cli';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../support/s3Server';
import { tempFolder } from '../support/temp';

// wal-push and wal-fetch as PostgreSQL runs them (archive_command, restore_command), into a local
// backup folder and, with --copy-to, an S3-compatible bucket (fauxqs): the exit status is what
// the server reads. A file pushed twice is a success; other content under an archived name is
// refused and changes nothing; a fetch writes exactly what was pushed, from the bucket when the
// folder has lost it; a name that is no WAL file, or a missing one, fails without writing.

describe('WAL archive (wal-push / wal-fetch, local folder and S3)', () => {
  const tmp = tempFolder('lifeboat-wal');
  let s3: S3TestServer;
  let bucket: string;
  let cli: ReturnType<typeof configuredCli>;
  const segment = '000000010000000000000002';
  const content = randomBytes(64 * 1024);

  before(async () => {
    s3 = await startS3Server();
    bucket = (await s3.newBucket()).bucket;
    const keys = tmp.file('keys.json');
    fs.writeFileSync(keys, JSON.stringify(TEST_CREDENTIALS), { mode: 0o600 });
    cli = configuredCli(tmp.file('lifeboat.json'), {
      backupFolder: tmp.file('backups'),
      destinations: [{ name: 'offsite', location: `s3://${bucket}/wal-test`, endpoint: s3.endpoint, region: 'us-east-1', credentialsFile: keys }],
      connections: [{ id: 'crm', name: 'CRM', engine: 'postgres', host: '127.0.0.1', port: 5432, user: 'x', database: 'crm' }],
    });
    fs.mkdirSync(tmp.file('pg_wal'));
    fs.writeFileSync(tmp.file(`pg_wal/${segment}`), content);
  });
  after(async () => {
    await s3?.stop();
    tmp.dispose();
  });

  const bucketKeys = async () => ((await s3.client({ bucket, prefix: '', endpoint: s3.endpoint, credentials: TEST_CREDENTIALS }).send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(o => o.Key!);

  it('pushes to the folder and the bucket, named by the content\'s SHA-256; a second push of the same file succeeds', async () => {
    const first = json<{ sha256: string; outcomes: { outcome: string }[] }>(await cli.ok('wal-push', '--connection', 'crm', '--copy-to', 'offsite', tmp.file(`pg_wal/${segment}`)));
    assert.deepEqual(first.outcomes.map(o => o.outcome), ['stored', 'stored']);
    assert.deepEqual(fs.readdirSync(tmp.file('backups/crm/wal')), [`${segment}.${first.sha256}.zst`]);
    assert.deepEqual(await bucketKeys(), [`wal-test/crm/wal/${segment}.${first.sha256}.zst`]);
    const again = json<{ outcomes: { outcome: string }[] }>(await cli.ok('wal-push', '--connection', 'crm', '--copy-to', 'offsite', tmp.file(`pg_wal/${segment}`)));
    assert.deepEqual(again.outcomes.map(o => o.outcome), ['already', 'already']);
  });

  it('refuses other content under an archived name, and keeps the archived file', async () => {
    fs.mkdirSync(tmp.file('other'));
    fs.writeFileSync(tmp.file(`other/${segment}`), randomBytes(64 * 1024));
    const result = await cli.run('wal-push', '--connection', 'crm', '--copy-to', 'offsite', tmp.file(`other/${segment}`));
    assert.equal(result.code, 6, result.stdout);
    assert.match(json<{ error: { message: string } }>(result).error.message, /already holds a WAL file 000000010000000000000002 with other content/);
    assert.equal(fs.readdirSync(tmp.file('backups/crm/wal')).length, 1);
    assert.equal((await bucketKeys()).length, 1);
  });

  it('fetches exactly what was pushed, from the bucket when the folder has lost it', async () => {
    await cli.ok('wal-fetch', '--connection', 'crm', segment, tmp.file('RECOVERYXLOG'));
    assert.deepEqual(fs.readFileSync(tmp.file('RECOVERYXLOG')), content);
    fs.rmSync(tmp.file('backups/crm/wal'), { recursive: true });
    const fetched = json<{ location: string }>(await cli.ok('wal-fetch', '--connection', 'crm', '--copy-to', 'offsite', segment, tmp.file('FROMS3')));
    assert.equal(fetched.location, `s3://${bucket}/wal-test`);
    assert.deepEqual(fs.readFileSync(tmp.file('FROMS3')), content);
  });

  it('fails without writing for a file that is not archived, a name that is no WAL file, and a missing source', async () => {
    const absent = await cli.run('wal-fetch', '--connection', 'crm', '--copy-to', 'offsite', '00000002.history', tmp.file('history'));
    assert.equal(absent.code, 5, absent.stdout);
    assert.equal(fs.existsSync(tmp.file('history')), false);
    const hostile = await cli.run('wal-fetch', '--connection', 'crm', '../../etc/passwd', tmp.file('x'));
    assert.equal(hostile.code, 2);
    assert.match(json<{ error: { message: string } }>(hostile).error.message, /is not a WAL file name/);
    const missing = await cli.run('wal-push', '--connection', 'crm', tmp.file('pg_wal/000000010000000000000009'));
    assert.equal(missing.code, 5);
    assert.deepEqual(fs.readdirSync(tmp.path).filter(n => n.startsWith('.')), [], 'no temporary file left');
  });
});
