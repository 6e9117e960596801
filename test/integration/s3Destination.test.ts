import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256 } from '../contract/sources';
import { configuredCli, startCli } from '../support/cli';
import { startS3Server, TEST_CREDENTIALS, untilUploadMarked, type S3TestServer } from '../support/s3Server';
import type { S3DestinationOptions } from '../../src/storage/s3';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { openDatabase } from '../support/sqlite';
import { tempFolder } from '../support/temp';
import { deadPid, ownedNameOf } from '../support/orphans';
import { loadChinook, tableChecksums } from '../support/pgFidelity';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';

// Backups in an S3 bucket through the CLI, against a real S3-compatible server (fauxqs): a
// destination configured once by name with its keys in a 0600 file, backed up to, listed from,
// verified and restored by streaming, alone and as a second copy of a local backup; a killed
// upload leaves no manifest and nothing a listing shows.

interface Made { backup: { id: string; location: string; manifest: { files: { name: string; size: number; sha256: string }[]; copies?: { location: string; kind: string }[] } } }

stopServersAfterTests();

describe('S3 destinations (CLI, fauxqs)', () => {
  const tmp = tempFolder('lifeboat-s3');
  let server: S3TestServer;
  let bucket: S3DestinationOptions;
  let client: S3Client;
  let pg: PostgresServer | undefined;
  const source = tmp.file('shop.db');
  const keys = tmp.file('offsite-keys.json');

  before(async () => {
    server = await startS3Server();
    bucket = await server.newBucket('lifeboat');
    client = server.client(bucket);
    createSampleDatabase(source, { rows: 2000 });
    fs.writeFileSync(keys, JSON.stringify(TEST_CREDENTIALS), { mode: 0o600 });
  });
  after(async () => {
    await pg?.stop();
    await server?.stop();
    tmp.dispose();
  });

  const config = (extra: Record<string, unknown> = {}) => configuredCli(tmp.file(`lifeboat-${Math.random().toString(36).slice(2)}.json`), {
    connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source }],
    destinations: [{ name: 'offsite', location: `s3://${bucket.bucket}/lifeboat`, endpoint: server.endpoint, region: 'us-east-1', credentialsFile: keys }],
    ...extra,
  });

  async function bucketKeys(): Promise<string[]> {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket.bucket }));
    return (page.Contents ?? []).map(o => o.Key!).sort();
  }

  async function objectBytes(key: string): Promise<Buffer> {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  it('backs up to a named bucket, lists, verifies and restores from it by streaming; the stored bytes are the bytes hashed', async () => {
    const cli = config({ backupFolder: 'offsite' });
    const made = JSON.parse((await cli.ok('backup', 'shop')).stdout) as Made;
    assert.match(made.backup.location, new RegExp(`^s3://${bucket.bucket}/lifeboat/shop/`));
    const prefix = made.backup.location.replace(`s3://${bucket.bucket}/`, '');
    const stored = await bucketKeys();
    assert.ok(stored.includes(`${prefix}/manifest.json`), stored.join(', '));
    assert.deepEqual(stored.filter(k => k.includes('.lifeboat-')), [], 'no marker is left once the backup is complete');
    for (const file of made.backup.manifest.files) {
      const bytes = await objectBytes(`${prefix}/${file.name}`);
      assert.equal(bytes.length, file.size, `${file.name}: the object holds exactly the bytes sent (no aws-chunked framing)`);
      assert.equal(sha256(bytes), file.sha256);
    }
    const list = JSON.parse((await cli.ok('list', 'shop')).stdout) as { backups: { id: string }[] };
    assert.deepEqual(list.backups.map(b => b.id), [made.backup.id], 'the bucket is the catalog');
    await cli.ok('verify', made.backup.id, '--deep');
    const restored = tmp.file('restored.db');
    await cli.ok('restore', made.backup.id, '--to', restored);
    const db = openDatabase(restored);
    try {
      const row = db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number };
      assert.ok(row.n > 0);
    } finally {
      db.close();
    }
    assert.equal(sha256(fs.readFileSync(restored)).length, 64);
  });

  it('a local backup with a second copy in the bucket: both complete, the manifest names both', async () => {
    const cli = config({ backupFolder: tmp.file('local-backups') });
    const made = JSON.parse((await cli.ok('backup', 'shop', '--copy-to', 'offsite')).stdout) as Made;
    assert.deepEqual(made.backup.manifest.copies?.map(c => c.kind).sort(), ['local', 's3']);
    const remote = made.backup.manifest.copies!.find(c => c.kind === 's3')!.location;
    assert.equal(remote, `s3://${bucket.bucket}/lifeboat`);
    const inBucket = config({ backupFolder: 'offsite' });
    const list = JSON.parse((await inBucket.ok('list', 'shop')).stdout) as { backups: { id: string }[] };
    assert.ok(list.backups.some(b => b.id === made.backup.id), 'the copy is listed from the bucket on its own');
    await inBucket.ok('verify', made.backup.id, '--deep');
  });

  it('PostgreSQL: one pg_dump into a local folder and the bucket at once; the drill and a restore read the bucket\'s copy by streaming', async () => {
    pg = await startPostgres();
    await loadChinook(pg, 'chinook');
    const env = { LIFEBOAT_S3_PG_PASSWORD: pg.password };
    const cli = configuredCli(tmp.file('pg.json'), {
      backupFolder: tmp.file('pg-local'),
      connections: [{ id: 'music', name: 'Music', engine: 'postgres', host: pg.host, port: pg.port, user: pg.user, database: 'chinook', passwordEnv: 'LIFEBOAT_S3_PG_PASSWORD' }],
      destinations: [{ name: 'offsite', location: `s3://${bucket.bucket}/pg`, endpoint: server.endpoint, credentialsFile: keys }],
    }, env);
    const made = JSON.parse((await cli.ok('backup', 'music', '--copy-to', 'offsite')).stdout) as Made;
    assert.deepEqual(made.backup.manifest.copies?.map(c => c.kind), ['local', 's3']);
    const remote = (...args: string[]) => cli.ok('--backup-dir', 'offsite', ...args);
    const drill = JSON.parse((await remote('verify', made.backup.id, '--deep')).stdout) as { ok: boolean };
    assert.equal(drill.ok, true);
    await remote('restore', made.backup.id, '--database', 'chinook_from_s3', '--jobs', '1');
    assert.deepEqual(await tableChecksums(pg, 'chinook_from_s3'), await tableChecksums(pg, 'chinook'), 'the copy in the bucket restores to the same rows');
  });

  it('lifeboat copy adds a checked copy of a local backup to the bucket (with the blocks a snapshot needs); a damaged source copies nothing', async () => {
    const local = tmp.file('copy-local');
    const cli = config({ backupFolder: local });
    const db = openDatabase(source);
    const first = JSON.parse((await cli.ok('backup', 'shop', '--sqlite-format', 'snapshot')).stdout) as Made;
    db.exec("UPDATE customers SET balance = balance + 1 WHERE id % 50 = 0");
    db.close();
    const second = JSON.parse((await cli.ok('backup', 'shop', '--sqlite-format', 'snapshot')).stdout) as Made;
    assert.notEqual(first.backup.id, second.backup.id);

    const copied = JSON.parse((await cli.ok('copy', second.backup.id, '--to', 'offsite')).stdout) as { backup: { to: string; bytes: number; copies: { location: string; kind: string }[] } };
    assert.equal(copied.backup.to, `s3://${bucket.bucket}/lifeboat`);
    assert.deepEqual(copied.backup.copies.map(c => c.kind), ['local', 's3'], 'the copy\'s manifest names both copies');
    const remote = config({ backupFolder: 'offsite' });
    await remote.ok('verify', second.backup.id);
    const restored = tmp.file('copied-snapshot.db');
    await remote.ok('restore', second.backup.id, '--to', restored);
    const [a, b] = [openDatabase(restored, { readOnly: true }), openDatabase(source, { readOnly: true })];
    try {
      const rows = (d: typeof a) => JSON.stringify(d.prepare('SELECT id, balance FROM customers ORDER BY id').all());
      assert.equal(rows(a), rows(b), 'the copied snapshot restores to the source\'s rows');
    } finally {
      a.close();
      b.close();
    }
    // A copy of the first backup killed at the target (its writing marker left by a dead
    // process): the sweep removes that copy, never the blocks the second backup's copy needs.
    const firstPrefix = first.backup.location.slice(local.length + 1);
    await client.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: `lifeboat/${firstPrefix}/${ownedNameOf('backup', 'writing', deadPid())}`, Body: '{}' }));
    await remote.ok('list');
    await remote.ok('verify', second.backup.id);

    const nowhere = configuredCli(tmp.file('nowhere.json'), {
      backupFolder: local,
      destinations: [{ name: 'nowhere', location: 's3://no-such-bucket-lifeboat/x', endpoint: server.endpoint, credentialsFile: keys }],
    });
    const missingBucket = await nowhere.run('copy', second.backup.id, '--to', 'nowhere');
    assert.equal(missingBucket.code, 5, missingBucket.stdout);
    assert.match(missingBucket.stdout, /the bucket \\"no-such-bucket-lifeboat\\" does not exist/, 'the store\'s own reason, through the S3 bundle, as a LifeboatError');
    const listMissing = await nowhere.run('--backup-dir', 'nowhere', 'list');
    assert.equal(listMissing.code, 5, listMissing.stdout);
    assert.match(listMissing.stdout, /"hint": "Create the bucket/);

    const again = await cli.run('copy', second.backup.id, '--to', 'offsite');
    assert.equal(again.code, 2, 'a copy that is there already is not made twice');
    assert.match(again.stdout, /already holds the backup/);

    // The first backup's stored file, one byte changed: the copy refuses it and leaves nothing.
    const prefix = first.backup.location.slice(local.length + 1);
    const payload = first.backup.manifest.files[0];
    const file = `${local}/${prefix}/${payload.name}`;
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x20;
    fs.writeFileSync(file, bytes);
    const before = await bucketKeys();
    const damaged = await cli.run('copy', first.backup.id, '--to', 'offsite');
    assert.equal(damaged.code, 3, damaged.stdout);
    assert.match(damaged.stdout, /does not match its manifest/);
    assert.deepEqual((await bucketKeys()).filter(k => !before.includes(k)), [], 'nothing of the refused copy is in the bucket');
  });

  it('lifeboat sweep --to: a killed backup\'s copy in a bucket that is not the backup folder is swept on request', async () => {
    const big = tmp.file('big-copy.db');
    createSampleDatabase(big, { rows: 3000, blobBytes: 96 * 1024 });
    const cli = config({ backupFolder: tmp.file('sweep-local'), connections: [{ id: 'bigcopy', name: 'BigCopy', engine: 'sqlite', path: big }] });
    const child = startCli(['--config', cli.file, 'backup', 'bigcopy', '--compression', 'none', '--copy-to', 'offsite']);
    const exited = new Promise(resolve => child.once('close', resolve));
    const underWay = async () => (await bucketKeys()).some(k => k.includes('.lifeboat-uploads/') && k.includes('bigcopy/'));
    let marked = false;
    while (!marked && child.exitCode === null) {
      marked = await underWay();
      if (!marked) await new Promise(resolve => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(marked, 'the copy was uploading when the backup was killed');
    const leftInBucket = async () => (await bucketKeys()).filter(k => k.includes('bigcopy/'));
    assert.ok((await leftInBucket()).length > 0, 'the killed writer left its marker and in-progress backup behind');
    const swept = JSON.parse((await cli.ok('sweep', '--to', 'offsite')).stdout) as { swept: { location: string; removed: string[] }[] };
    const inBucket = swept.swept.find(s => s.location === `s3://${bucket.bucket}/lifeboat`)!;
    assert.ok(inBucket.removed.some(r => /\(upload .+\)$/.test(r)), `the unfinished upload is named: ${inBucket.removed.join(', ')}`);
    assert.deepEqual(await leftInBucket(), [], 'nothing of the killed copy is left in the bucket');
  });

  it('refuses a credentials file others can read, and keys written into the config, before anything is sent', async () => {
    const loose = tmp.file('loose-keys.json');
    fs.writeFileSync(loose, JSON.stringify(TEST_CREDENTIALS), { mode: 0o644 });
    fs.chmodSync(loose, 0o644);
    const before = await bucketKeys();
    const cli = configuredCli(tmp.file('loose.json'), {
      connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source }],
      destinations: [{ name: 'offsite', location: `s3://${bucket.bucket}/lifeboat`, endpoint: server.endpoint, credentialsFile: loose }],
      backupFolder: 'offsite',
    });
    const refused = await cli.run('backup', 'shop');
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /can be read by other users.*chmod 600/s);
    const elsewhere = await cli.run('--backup-dir', tmp.file('elsewhere'), 'list');
    assert.equal(elsewhere.code, 0, `a command that does not use the destination is not stopped by its keys file: ${elsewhere.stdout}`);
    const inline = configuredCli(tmp.file('inline.json'), {
      destinations: [{ name: 'offsite', location: `s3://${bucket.bucket}/lifeboat`, secretAccessKey: 'x' }],
    });
    const inlineRefused = await inline.run('list');
    assert.equal(inlineRefused.code, 2);
    assert.match(inlineRefused.stdout, /keys are never kept in settings/);
    assert.deepEqual(await bucketKeys(), before);
  });

  it('a backup killed while it uploads leaves no manifest, and the next run sweeps its unfinished upload', async () => {
    const big = tmp.file('big.db');
    createSampleDatabase(big, { rows: 3000, blobBytes: 96 * 1024 });
    const cli = config({ backupFolder: 'offsite', connections: [{ id: 'big', name: 'Big', engine: 'sqlite', path: big }] });
    const before = await bucketKeys();
    const child = startCli(['--config', cli.file, 'backup', 'big', '--compression', 'none']);
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise(resolve => child.once('close', resolve));
    // Killed, without a chance to clean up, once its multipart upload is under way (marked).
    const marked = await untilUploadMarked(client, bucket.bucket, child);
    child.kill('SIGKILL');
    await exited;
    assert.ok(marked, `the upload was under way when the backup was killed (output: ${output.slice(-300)})`);
    const after = (await bucketKeys()).filter(k => !before.includes(k));
    assert.deepEqual(after.filter(k => k.endsWith('manifest.json')), [], 'no manifest: the backup does not exist');
    assert.equal(after.filter(k => k.includes('.lifeboat-uploads/')).length, 1, `killed mid-upload, its multipart upload is marked (output: ${output.slice(-300)}; objects: ${after.join(', ')})`);
    const list = JSON.parse((await cli.ok('list', 'big')).stdout) as { backups: unknown[] };
    assert.deepEqual(list.backups, [], 'nothing is listed');
    assert.deepEqual((await bucketKeys()).filter(k => !before.includes(k) && k.includes('.lifeboat-uploads/')), [], 'the sweep before that command took the killed writer\'s upload');
  });
});
