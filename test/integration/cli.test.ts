import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { json, runCli } from '../support/cli';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

describe('lifeboat CLI', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  const source = tmp.file('shop.db');
  createSampleDatabase(source, { rows: 300 });
  const folder = tmp.file('backups');

  it('has --help on every command', async () => {
    for (const command of [[], ['backup'], ['list'], ['verify'], ['restore'], ['test']]) {
      const result = await runCli([...command, '--help']);
      assert.equal(result.code, 0, command.join(' '));
      assert.match(result.stdout, /Usage: lifeboat/);
    }
    assert.match((await runCli(['--help'])).stdout, /Exit status:/);
  });

  it('works from a config file: connections by id, relative paths, the backup folder', async () => {
    const config = tmp.file('lifeboat.json');
    fs.writeFileSync(config, JSON.stringify({ backupFolder: 'cfg-backups', compression: 'none', connections: [{ id: 'shop', name: 'Shop', engine: 'sqlite', path: 'shop.db' }] }));
    const backup = await runCli(['--config', config, 'backup', 'shop', '--json']);
    assert.equal(backup.code, 0, backup.stderr);
    const made = json<{ backup: { location: string; manifest: { files: { codec: string }[]; connection: { id: string } } } }>(backup).backup;
    assert.ok(made.location.startsWith(tmp.file('cfg-backups')));
    assert.equal(made.manifest.files[0].codec, 'none');
    assert.equal(made.manifest.connection.id, 'shop');
    const list = json<{ backups: unknown[] }>(await runCli(['--config', config, 'list', 'Shop', '--json']));
    assert.equal(list.backups.length, 1);
    const test = await runCli(['--config', config, 'test', 'shop']);
    assert.equal(test.code, 0);
    assert.match(test.stdout, /SQLite 3\.\d+/);
  });

  it('exits with statuses scripts can rely on', async () => {
    const unknown = await runCli(['backup', 'nope', '--backup-dir', folder]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No connection "nope"/);
    const missing = await runCli(['verify', 'no-such-backup', '--backup-dir', folder]);
    assert.equal(missing.code, 5);
    const noFile = await runCli(['backup', tmp.file('absent.db'), '--backup-dir', folder]);
    assert.equal(noFile.code, 5);
    const badOption = await runCli(['backup', source, '--compression', 'lzma', '--backup-dir', folder]);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Unknown compression "lzma"/);
    const down = await runCli(['test', 'postgres://nobody@127.0.0.1:9/none']);
    assert.equal(down.code, 4);
    assert.match(down.stderr, /Nothing is listening on 127\.0\.0\.1:9/);
  });

  it('rejects a compression level that does not exist before doing any work', async () => {
    const zstd = await runCli(['backup', source, '--backup-dir', tmp.file('levels'), '--level', '20']);
    assert.equal(zstd.code, 2);
    assert.match(zstd.stderr, /zstd compression level 20 does not exist.*1 \(fastest\) to 19/s, 'the default codec, zstd');
    const result = await runCli(['backup', source, '--backup-dir', tmp.file('levels'), '--compression', 'gzip', '--level', '15']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /gzip compression level 15 does not exist.*1 \(fastest\) to 9/s);
    assert.equal(fs.existsSync(tmp.file('levels')), false, 'nothing was written');
  });

  it('says when the start of an id matches several backups', async () => {
    const folder = tmp.file('ambiguous');
    for (let i = 0; i < 2; i++) assert.equal((await runCli(['backup', source, '--backup-dir', folder, '-q'])).code, 0);
    const result = await runCli(['verify', '20', '--backup-dir', folder]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /"20" is the start of 2 backups/);
  });

  it('refuses a password on the command line', async () => {
    const result = await runCli(['test', 'postgres://u:secret@127.0.0.1:5432/d']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /visible to every user/);
    assert.ok(!result.stderr.includes('secret'), 'and does not echo it');
  });

  it('takes passwords from a 0600 file or an environment variable, never a readable file', async () => {
    const pw = tmp.file('pw');
    fs.writeFileSync(pw, 'hunter2\n', { mode: 0o644 });
    const config = tmp.file('pg.json');
    fs.writeFileSync(config, JSON.stringify({ connections: [
      { id: 'pg', name: 'PG', engine: 'postgres', host: '127.0.0.1', port: 9, user: 'u', database: 'd', passwordFile: pw },
      { id: 'env', name: 'Env', engine: 'postgres', host: '127.0.0.1', port: 9, user: 'u', database: 'd', passwordEnv: 'LIFEBOAT_TEST_UNSET_VAR' },
    ] }));
    const readable = await runCli(['--config', config, 'test', 'pg']);
    assert.equal(readable.code, 2);
    assert.match(readable.stderr, /can be read by other users.*chmod 600/s);
    fs.chmodSync(pw, 0o600);
    const guarded = await runCli(['--config', config, 'test', 'pg']);
    assert.equal(guarded.code, 4, 'with a private file it goes on to connect (nothing listens on port 9)');
    const unset = await runCli(['--config', config, 'test', 'env']);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /LIFEBOAT_TEST_UNSET_VAR .* is not set/);
  });

  it('restores only into a new file unless --overwrite', async () => {
    const backup = json<{ backup: { id: string } }>(await runCli(['backup', source, '--backup-dir', folder, '--json']));
    const target = tmp.file('restored.db');
    assert.equal((await runCli(['restore', backup.backup.id, '--to', target, '--backup-dir', folder])).code, 0);
    const again = await runCli(['restore', backup.backup.id, '--to', target, '--backup-dir', folder]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    assert.equal((await runCli(['restore', backup.backup.id.slice(0, 20), '--to', target, '--overwrite', '--backup-dir', folder])).code, 0, 'an unambiguous start of an id is enough');
  });

  it('refuses to restore over a folder or a link, and leaves it as it was', async () => {
    const backup = json<{ backup: { id: string } }>(await runCli(['backup', source, '--backup-dir', folder, '--json']));
    const dir = tmp.file('a-folder');
    fs.mkdirSync(dir, { mode: 0o751 });
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'kept');
    const overDir = await runCli(['restore', backup.backup.id, '--to', dir, '--overwrite', '--backup-dir', folder]);
    assert.equal(overDir.code, 2, overDir.stderr);
    assert.match(overDir.stderr, /a-folder is a folder; a SQLite backup is restored into a file/);
    assert.ok(fs.statSync(dir).isDirectory());
    assert.equal(fs.statSync(dir).mode & 0o777, 0o751);
    assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter(n => n.startsWith('a-folder')), ['a-folder'], 'nothing renamed aside');
    assert.equal(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'kept');

    const real = tmp.file('real.db');
    fs.writeFileSync(real, 'not touched');
    const link = tmp.file('link.db');
    fs.symlinkSync(real, link);
    const overLink = await runCli(['restore', backup.backup.id, '--to', link, '--overwrite', '--backup-dir', folder]);
    assert.equal(overLink.code, 2, overLink.stderr);
    assert.match(overLink.stderr, /link\.db is a symbolic link/);
    assert.match(overLink.stderr, /real\.db/, 'the hint names the file it points to');
    assert.equal(fs.readlinkSync(link), real);
    assert.equal(fs.readFileSync(real, 'utf8'), 'not touched');
  });

  it('says a folder or a device is not a SQLite database, and warns about an empty file', async () => {
    const dir = tmp.file('not-a-db');
    fs.mkdirSync(dir);
    const fromDir = await runCli(['backup', dir, '--backup-dir', tmp.file('never')]);
    assert.equal(fromDir.code, 2, fromDir.stderr);
    assert.match(fromDir.stderr, /not-a-db is a folder, not a SQLite database file/);
    assert.match(fromDir.stderr, /folder connection/);
    const fromDevice = await runCli(['backup', '/dev/null', '--backup-dir', tmp.file('never')]);
    assert.equal(fromDevice.code, 2, fromDevice.stderr);
    assert.match(fromDevice.stderr, /\/dev\/null is not a regular file/);
    assert.equal(fs.existsSync(tmp.file('never')), false, 'nothing was written');

    const empty = tmp.file('empty.db');
    fs.writeFileSync(empty, '');
    const fromEmpty = await runCli(['backup', empty, '--backup-dir', tmp.file('empty-backups'), '--json']);
    assert.equal(fromEmpty.code, 0, fromEmpty.stderr);
    assert.match(fromEmpty.stderr, /empty\.db is empty \(0 bytes\)/);
    assert.equal(json<{ backup: { manifest: { consistency: { sourceFileBytes: number } } } }>(fromEmpty).backup.manifest.consistency.sourceFileBytes, 0);
  });

  it('refuses, in words and before connecting, an option that belongs to another engine', async () => {
    const config = tmp.file('maria.json');
    // Port 9: nothing listens there, so a refusal after connecting would read differently.
    fs.writeFileSync(config, JSON.stringify({ connections: [{ id: 'maria', name: 'Maria', engine: 'mysql', host: '127.0.0.1', port: 9, user: 'root', database: 'test' }] }));
    const result = await runCli(['--config', config, 'backup', 'maria', '--format', 'directory', '--backup-dir', folder]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /format \(--format\) does not apply to MySQL\/MariaDB backups/);
    const jobs = await runCli(['--config', config, 'backup', 'maria', '--jobs', '4', '--backup-dir', folder]);
    assert.equal(jobs.code, 2, jobs.stderr);
    assert.match(jobs.stderr, /jobs \(--jobs\) does not apply to MySQL\/MariaDB backups/);
  });

  it('refuses the options SQLite does not take, naming each, and stores nothing', async () => {
    const refused = tmp.file('refused');
    for (const [flags, named] of [
      [['--table', 'orders'], /tables \(--table\) does not apply to SQLite backups/],
      [['--schema-only'], /schemaOnly \(--schema-only\) does not apply to SQLite backups/],
      [['--format', 'directory'], /format \(--format\) does not apply to SQLite backups/],
      [['--jobs', '4'], /jobs \(--jobs\) does not apply to SQLite backups/],
      [['--exclude-table', 'a', '--no-owner'], /excludeTables \(--exclude-table\), noOwner \(--no-owner\) do not apply to SQLite backups/],
    ] as [string[], RegExp][]) {
      const result = await runCli(['backup', source, '--backup-dir', refused, ...flags]);
      assert.equal(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, named);
    }
    assert.equal(fs.existsSync(refused), false, 'nothing was written');

    const backup = json<{ backup: { id: string } }>(await runCli(['backup', source, '--backup-dir', folder, '--json']));
    for (const [flags, named] of [
      [['--table', 'orders'], /tables \(--table\) does not apply to SQLite restores/],
      [['--jobs', '2'], /jobs \(--jobs\) does not apply to SQLite restores/],
      [['--clean'], /clean \(--clean\) does not apply to SQLite restores/],
      [['--database', 'x'], /--database does not apply to restoring a SQLite backup/],
    ] as [string[], RegExp][]) {
      const target = tmp.file(`refused-${flags[0].slice(2)}.db`);
      const result = await runCli(['restore', backup.backup.id, '--to', target, '--backup-dir', folder, ...flags]);
      assert.equal(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, named);
      assert.equal(fs.existsSync(target), false, `${flags.join(' ')}: nothing restored`);
    }
  });
});
