import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SCRATCH_FOLDER } from '../../src/core/scratch';
import { json, runCli, type CliResult } from '../support/cli';
import { createBigDatabase, databaseExists, databasesLike, mountTmpfs } from '../support/pgBackupSupport';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { listFiles, tempFolder } from '../support/temp';

// Which error wins when several stages fail, through the CLI as users run it. A full disk under a
// restore target or under scratch space is "disk full" (exit 1), never damage: the backup's
// recorded verifications stay as they were and `list` still calls it verified. A restore tool's
// own refusal wins over the broken pipe of the stream that fed it.

stopServersAfterTests();

const SMALL_DISK = '1m';

interface Listed { backups: { id: string; state: string }[] }

/** A small tmpfs on `dir` for the duration of `work`; skips the test where none can be mounted. */
async function onSmallDisk(t: { skip(message: string): void }, dir: string, work: () => Promise<void>): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const mounted = mountTmpfs(dir, SMALL_DISK);
  if ('reason' in mounted) return t.skip(`no small tmpfs here (${mounted.reason})`);
  try {
    await work();
  } finally {
    mounted.unmount();
  }
}

function assertDiskFull(result: CliResult, what: string): void {
  assert.equal(result.code, 1, `${what}: exit 1 (failed), not 3 (damaged)\n${result.stderr}`);
  assert.match(result.stderr, /the disk is full/, what);
  assert.doesNotMatch(result.stderr, /damaged|does not decompress/, `${what}: the backup is not called damaged`);
}

/** The manifest's bytes and the backup's recorded verifications, to compare before and after. */
function recorded(backupFolder: string, manifestPath: string) {
  const entries = fs.readdirSync(path.dirname(manifestPath)).filter(name => name !== path.basename(manifestPath)).sort();
  return { manifest: fs.readFileSync(manifestPath, 'utf8'), others: entries, folder: backupFolder };
}

describe('failure attribution', () => {
  const tmp = tempFolder('lifeboat-attribution');
  after(() => tmp.dispose());

  describe('SQLite: a full disk under the restore target or under scratch', () => {
    const source = tmp.file('shop.db');
    before(() => createSampleDatabase(source, { rows: 20_000 }));

    for (const format of ['copy', 'sql', 'snapshot']) {
      it(`${format}: verify with a full scratch disk and restore --to a full disk exit 1 "disk is full", record nothing, and the backup stays verified`, async t => {
        const folder = tmp.file(`backups-${format}`);
        const made = await runCli(['backup', source, '--backup-dir', folder, '--compression', 'gzip', '--sqlite-format', format, '--json']);
        assert.equal(made.code, 0, made.stderr);
        const { id, location } = json<{ backup: { id: string; location: string } }>(made).backup;
        const manifestPath = path.join(location, 'manifest.json');
        const state = async () => json<Listed>(await runCli(['list', '--backup-dir', folder, '--json'])).backups.find(b => b.id === id)?.state;
        assert.equal(await state(), 'verified');
        const before = recorded(folder, manifestPath);

        // Scratch space is beside the backups (<backup folder>/.lifeboat-scratch): a full verify
        // rebuilds the database there, and says before it starts that it would not fit.
        await onSmallDisk(t, path.join(folder, SCRATCH_FOLDER), async () => {
          const verify = await runCli(['verify', id, '--backup-dir', folder]);
          assert.equal(verify.code, 1, `verify with a full scratch disk: exit 1 (failed), not 3 (damaged)\n${verify.stderr}`);
          assert.match(verify.stderr, /^lifeboat: error: Not enough room for rebuilding \S+ to check it in the scratch folder .*\.lifeboat-scratch: .* free, about .* needed\.$/m);
          assert.doesNotMatch(verify.stderr, /damaged|does not decompress/, 'the backup is not called damaged');
          assert.deepEqual(listFiles(path.join(folder, SCRATCH_FOLDER)), [], 'no scratch file is left on the small disk');
        });
        assert.deepEqual(recorded(folder, manifestPath), before, 'the manifest and the backup folder are as they were');
        assert.equal(await state(), 'verified');

        const small = tmp.file(`target-${format}`);
        await onSmallDisk(t, small, async () => {
          const restore = await runCli(['restore', id, '--to', path.join(small, 'restored.db'), '--backup-dir', folder]);
          assertDiskFull(restore, 'restore --to a full disk');
          assert.deepEqual(fs.readdirSync(small), [], 'nothing partial is left on the small disk');
        });
        assert.deepEqual(recorded(folder, manifestPath), before, 'the manifest and the backup folder are as they were');
        assert.equal(await state(), 'verified');
      });
    }
  });

  describe('PostgreSQL', () => {
    let server: PostgresServer;
    let config: string;
    let folder: string;
    let id: string;
    let manifestPath: string;
    const cli = (...args: string[]) => runCli(['--config', config, ...args]);

    before(async () => {
      server = await startPostgres();
      await createBigDatabase(server, 'big', 80_000);
      const home = tmp.file('pg');
      fs.mkdirSync(home);
      fs.writeFileSync(path.join(home, 'big.password'), `${server.password}\n`, { mode: 0o600 });
      config = path.join(home, 'lifeboat.json');
      folder = path.join(home, 'backups');
      fs.writeFileSync(config, JSON.stringify({
        backupFolder: 'backups',
        connections: [{ id: 'big', name: 'Big', engine: 'postgres', host: '127.0.0.1', port: server.port, user: server.user, database: 'big', passwordFile: 'big.password' }],
      }));
      // One stream compressed by Lifeboat: a parallel restore must decompress it into scratch first.
      const made = await cli('backup', 'big', '--format', 'custom', '--compression', 'gzip', '--json');
      assert.equal(made.code, 0, made.stderr);
      const backup = json<{ backup: { id: string; location: string } }>(made).backup;
      id = backup.id;
      manifestPath = path.join(backup.location, 'manifest.json');
    });
    after(async () => { await server?.stop(); });

    const state = async () => json<Listed>(await cli('list', '--json')).backups.find(b => b.id === id)?.state;

    it('a parallel restore and a deep verify that decompress into a full scratch disk exit 1 "disk is full", record nothing, create no database', async t => {
      const before = recorded(folder, manifestPath);
      await onSmallDisk(t, path.join(folder, SCRATCH_FOLDER), async () => {
        const restore = await cli('restore', id, '--database', 'restored on a full disk', '--jobs', '2');
        assertDiskFull(restore, 'restore --jobs 2');
        assert.equal(await databaseExists(server, 'restored on a full disk'), false, 'the new database is dropped');
        const deep = await cli('verify', id, '--deep', '--jobs', '2');
        assertDiskFull(deep, 'verify --deep --jobs 2');
        assert.deepEqual(await databasesLike(server, 'lifeboat\\_drill\\_%'), [], 'no drill database is left');
        assert.deepEqual(listFiles(path.join(folder, SCRATCH_FOLDER)), [], 'no scratch file is left on the small disk');
      });
      assert.deepEqual(recorded(folder, manifestPath), before, 'the manifest and the backup folder are as they were');
      assert.equal(await state(), 'verified');
    });

    it('into an existing database without --clean: pg_restore\'s own words win over the broken pipe that fed it', async () => {
      const result = await cli('restore', id, '--database', 'big', '--into-existing', '--confirm', 'big');
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /relation "big" already exists/, 'the message quotes pg_restore');
      assert.doesNotMatch(result.stderr, /EPIPE|Could not read/, 'not the feeding stream\'s broken pipe');
      assert.match(result.stderr, /--clean/, 'the hint says what to do');
      const rows = await server.query<{ n: string }>('SELECT count(*)::text AS n FROM public.big', 'big');
      assert.equal(rows[0].n, '80000', 'the existing database is unchanged (one transaction)');
    });
  });
});
