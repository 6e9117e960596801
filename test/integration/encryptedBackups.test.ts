import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { newIdentity } from '../../src/core/ageFormat';
import { configuredCli } from '../support/cli';
import { loadChinook, tableChecksums } from '../support/pgFidelity';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../support/s3Server';
import { openDatabase } from '../support/sqlite';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

// Backups encrypted before they leave the machine (age format, to recipients' public keys),
// through the CLI: what is stored is an age file that the age command alone decrypts; restore,
// verify and the PostgreSQL drill decrypt with an identity file, refuse clearly without one, and
// the manifest names the recipients, never a key.

interface Made { backup: { id: string; location: string; manifest: { files: { name: string; codec: string; encryption?: { format: string; to: string[] } }[]; encryption?: unknown } } }

stopServersAfterTests();

describe('encrypted backups (age, CLI)', () => {
  const tmp = tempFolder('lifeboat-encrypted');
  const source = tmp.file('shop.db');
  const key = tmp.file('key.txt');
  const { identity, recipient } = newIdentity();
  let pg: PostgresServer | undefined;
  let s3: S3TestServer | undefined;

  before(() => {
    createSampleDatabase(source, { rows: 1500 });
    fs.writeFileSync(key, `${identity}\n`, { mode: 0o600 });
  });
  after(async () => {
    await pg?.stop();
    await s3?.stop();
    tmp.dispose();
  });

  it('SQLite: the stored file is an age file (age -d | zstd -d gives the database); restore and verify need the identity', async () => {
    const folder = tmp.file('backups');
    const cli = configuredCli(tmp.file('sqlite.json'), { backupFolder: folder, connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source, encryptTo: [recipient] }] });
    const made = JSON.parse((await cli.ok('backup', 'shop')).stdout) as Made;
    const file = made.backup.manifest.files[0];
    assert.deepEqual(file.encryption, { format: 'age', to: [recipient] });
    const stored = path.join(made.backup.location, file.name);
    assert.equal(fs.readFileSync(stored).subarray(0, 22).toString(), 'age-encryption.org/v1\n');
    assert.doesNotMatch(fs.readFileSync(path.join(made.backup.location, 'manifest.json'), 'utf8'), /AGE-SECRET-KEY/i, 'no key in the manifest');

    // Without Lifeboat: the age command and zstd.
    const byHand = tmp.file('by-hand.db');
    fs.writeFileSync(byHand, execFileSync('sh', ['-c', `age -d -i '${key}' '${stored}' | zstd -dc`], { maxBuffer: 1 << 28 }));
    const rows = (file: string) => {
      const db = openDatabase(file, { readOnly: true });
      try {
        return JSON.stringify(db.prepare('SELECT * FROM customers ORDER BY id').all());
      } finally {
        db.close();
      }
    };
    assert.equal(rows(byHand), rows(source));

    const target = tmp.file('restored.db');
    const refused = await cli.run('restore', made.backup.id, '--to', target);
    assert.equal(refused.code, 2, refused.stdout);
    assert.match(refused.stdout, new RegExp(`encrypted to ${recipient}, and no identity was given`));
    assert.equal(fs.existsSync(target), false, 'nothing is created without the key');
    await cli.ok('--identity', key, 'restore', made.backup.id, '--to', target);
    assert.equal(rows(target), rows(source));
    await cli.ok('--identity', key, 'verify', made.backup.id);
    await cli.ok('verify', made.backup.id, '--quick');
    // A quick verify without the key still reads every stored byte against the manifest.
    const bytes = fs.readFileSync(stored);
    bytes[bytes.length - 40] ^= 1;
    fs.writeFileSync(stored, bytes);
    const damaged = await cli.run('verify', made.backup.id, '--quick');
    assert.equal(damaged.code, 3, damaged.stdout);
    bytes[bytes.length - 40] ^= 1;
    fs.writeFileSync(stored, bytes);

    const other = tmp.file('other-key.txt');
    fs.writeFileSync(other, `${newIdentity().identity}\n`, { mode: 0o600 });
    const wrong = await cli.run('--identity', other, 'verify', made.backup.id);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /None of the given age identities opens this backup/);
  });

  it('refuses what it cannot encrypt yet, and a recipient that is not one, before anything runs', async () => {
    const folder = tmp.file('refusals');
    const cli = configuredCli(tmp.file('refusals.json'), { backupFolder: folder, connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: source }] });
    const snapshot = await cli.run('backup', 'shop', '--sqlite-format', 'snapshot', '--encrypt-to', recipient);
    assert.notEqual(snapshot.code, 0);
    assert.match(snapshot.stdout, /incremental SQLite snapshot cannot be encrypted yet/);
    const bad = await cli.run('backup', 'shop', '--encrypt-to', 'age1notakey');
    assert.equal(bad.code, 2);
    assert.match(bad.stdout, /is not an age recipient/);
    assert.equal(fs.existsSync(folder) ? fs.readdirSync(folder).filter(n => !n.startsWith('.')).length : 0, 0, 'no backup was started');
  });

  it('PostgreSQL custom format, encrypted, in a bucket: the drill and a restore decrypt it on the way', async () => {
    pg = await startPostgres();
    s3 = await startS3Server();
    await loadChinook(pg, 'chinook');
    const bucket = await s3.newBucket();
    const keys = tmp.file('s3-keys.json');
    fs.writeFileSync(keys, JSON.stringify(TEST_CREDENTIALS), { mode: 0o600 });
    const cli = configuredCli(tmp.file('pg.json'), {
      backupFolder: 'offsite', identityFile: key,
      connections: [{ id: 'music', name: 'Music', engine: 'postgres', host: pg.host, port: pg.port, user: pg.user, database: 'chinook', passwordEnv: 'LIFEBOAT_ENC_PG_PASSWORD' }],
      destinations: [{ name: 'offsite', location: `s3://${bucket.bucket}/enc`, endpoint: s3.endpoint, credentialsFile: keys }],
    }, { LIFEBOAT_ENC_PG_PASSWORD: pg.password });
    // The backup itself needs no key: it checks the archive with the key of the file it wrote.
    // The format is left to Lifeboat, and 2 dump jobs asked for by the config: still one stream.
    const noKey = configuredCli(tmp.file('pg-nokey.json'), { ...JSON.parse(fs.readFileSync(cli.file, 'utf8')), identityFile: undefined, backupJobs: 2 }, { LIFEBOAT_ENC_PG_PASSWORD: pg.password });
    const made = JSON.parse((await noKey.ok('backup', 'music', '--encrypt-to', recipient.toUpperCase())).stdout) as Made & { backup: { manifest: { options: { format?: string }; encryption: unknown } } };
    assert.deepEqual(made.backup.manifest.files.map(f => f.encryption?.to), [[recipient]], 'the recipient as age writes it');
    assert.equal(made.backup.manifest.options.format, 'custom');
    assert.deepEqual(made.backup.manifest.encryption, { format: 'age', to: [recipient] }, 'a Lifeboat older than encryption refuses the manifest');
    const withoutKey = await noKey.run('verify', made.backup.id);
    assert.equal(withoutKey.code, 2, `no key is a usage error, not damage: ${withoutKey.stdout}`);
    assert.match(withoutKey.stdout, /no identity was given/);
    const drill = JSON.parse((await cli.ok('verify', made.backup.id, '--deep')).stdout) as { ok: boolean };
    assert.equal(drill.ok, true);
    await cli.ok('restore', made.backup.id, '--database', 'chinook_decrypted', '--jobs', '2');
    assert.deepEqual(await tableChecksums(pg, 'chinook_decrypted'), await tableChecksums(pg, 'chinook'));
  });
});
