import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readManifest } from '../../src/core/catalog';
import { LocalFolderDestination } from '../../src/storage/local';
import { json, runCli } from '../support/cli';
import { databaseExists } from '../support/pgBackupSupport';
import { loadChinook, tableChecksums } from '../support/pgFidelity';
import { startPostgres } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

// Verifications run at the same time (several timers, several machines on one shared folder)
// each keep their record: they are objects of their own beside the manifest, not rewrites of it.

stopServersAfterTests();

const PARALLEL = 8;

interface VerifyResult { ok: boolean; verification: { at: string; kind: string; ok: boolean } }
/** The backup's manifest as Lifeboat reads it: with the records beside it merged in. */
function readBack(folder: string, location: string) {
  return readManifest(new LocalFolderDestination(folder), path.relative(folder, location).split(path.sep).join('/'));
}

interface ListResult { backups: { id: string; state: string }[]; problems: unknown[] }

describe('concurrent verifies', () => {
  const tmp = tempFolder('lifeboat-concurrent-verify');
  after(() => tmp.dispose());

  it(`${PARALLEL} parallel "lifeboat verify --quick" of one SQLite backup: every record is kept, and the manifest is not rewritten`, async () => {
    const source = tmp.file('shop.db');
    createSampleDatabase(source, { rows: 3000 });
    const folder = tmp.file('sqlite-backups');
    const made = await runCli(['backup', source, '--backup-dir', folder, '--json']);
    assert.equal(made.code, 0, made.stderr);
    const { id, location } = json<{ backup: { id: string; location: string } }>(made).backup;
    const manifestBefore = fs.readFileSync(path.join(location, 'manifest.json'), 'utf8');

    const runs = await Promise.all(Array.from({ length: PARALLEL }, () => runCli(['verify', id, '--quick', '--backup-dir', folder, '--json'])));
    for (const run of runs) assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const recorded = runs.map(run => json<VerifyResult>(run).verification.at);

    const manifest = await readBack(folder, location);
    assert.deepEqual(manifest.verifications.map(v => v.kind), ['at-backup', ...Array(PARALLEL).fill('quick')], 'one record per verify, none lost');
    assert.deepEqual(manifest.verifications.filter(v => v.kind === 'quick').map(v => v.at).sort(), [...recorded].sort(), 'each run\'s own record');
    const times = manifest.verifications.map(v => Date.parse(v.at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'ordered by time');
    assert.equal(fs.readFileSync(path.join(location, 'manifest.json'), 'utf8'), manifestBefore, 'the manifest is written once, by the backup');

    const full = await runCli(['verify', id, '--backup-dir', folder, '--json']);
    assert.equal(full.code, 0, full.stderr);
    assert.equal((await readBack(folder, location)).verifications.at(-1)?.kind, 'full');
    const listing = json<ListResult>(await runCli(['list', '--backup-dir', folder, '--json']));
    assert.deepEqual(listing.problems, []);
    assert.equal(listing.backups.find(b => b.id === id)?.state, 'verified');
  });

  it(`PostgreSQL, directory format: ${PARALLEL} parallel quick verifies keep every record, and pg_restore still reads the folder (restore in place, deep verify)`, async () => {
    const server = await startPostgres();
    try {
      await loadChinook(server, 'chinook');
      const home = tmp.file('pg');
      fs.mkdirSync(home);
      fs.writeFileSync(path.join(home, 'pw'), `${server.password}\n`, { mode: 0o600 });
      const config = path.join(home, 'lifeboat.json');
      fs.writeFileSync(config, JSON.stringify({
        backupFolder: 'backups',
        connections: [{ id: 'chinook', name: 'Chinook', engine: 'postgres', host: '127.0.0.1', port: server.port, user: server.user, database: 'chinook', passwordFile: 'pw' }],
      }));
      const cli = (...args: string[]) => runCli(['--config', config, ...args, '--json']);
      // pg_dump compresses the directory format's files, and version 15 only with gzip (zstd, the default, from 16).
      const made = await cli('backup', 'chinook', '--format', 'directory', '--jobs', '2', '--compression', 'gzip');
      assert.equal(made.code, 0, made.stderr);
      const { id, location } = json<{ backup: { id: string; location: string } }>(made).backup;

      const runs = await Promise.all(Array.from({ length: PARALLEL }, () => cli('verify', id)));
      for (const run of runs) assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.ok(fs.readdirSync(path.join(location, 'verifications')).length === PARALLEL, 'the records are beside the archive\'s files');

      const deep = await cli('verify', id, '--deep');
      assert.equal(deep.code, 0, deep.stderr);
      const restored = await cli('restore', id, '--database', 'chinook restored');
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(json<{ restore: { readFrom: string } }>(restored).restore.readFrom, 'stored file', 'pg_restore read the backup folder itself');
      assert.ok(await databaseExists(server, 'chinook restored'));
      assert.deepEqual(await tableChecksums(server, 'chinook restored'), await tableChecksums(server, 'chinook'));

      const manifest = await readBack(path.join(home, 'backups'), location);
      assert.deepEqual(manifest.verifications.map(v => v.kind), ['at-backup', ...Array(PARALLEL).fill('quick'), 'restore-drill']);
      assert.ok(manifest.verifications.every(v => v.ok));
    } finally {
      await server.stop();
    }
  });
});
