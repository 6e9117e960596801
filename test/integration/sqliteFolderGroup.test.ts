import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqliteConnection } from '../../src/core/connection';
import { backupConnection, restoreBackup, testConnection } from '../../src/engines';
import { memberConnection } from '../../src/engines/sqlite/folderGroup';
import { CHINOOK_SQLITE } from '../support/chinook';
import { json, runCli } from '../support/cli';
import { engineContext, monotonic } from '../support/engineContext';
import { expectLifeboatError } from '../support/pgBackupSupport';
import { createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';


// A folder of SQLite databases as one connection: one run backs up every database in it (and
// only databases: not their -wal/-shm files, not other files), each under its own member
// connection, with one progress bar; a damaged member does not stop the others; the CLI takes a
// folder connection from its config and reports one backup per database.
describe('SQLite folder group', () => {
  const tmp = tempFolder('lifeboat-folder-');
  const folder = tmp.file('app-data');
  const group: SqliteConnection = { engine: 'sqlite', id: 'app-data', name: 'App data', path: folder, folder: true };

  before(() => {
    fs.mkdirSync(folder);
    fs.copyFileSync(CHINOOK_SQLITE, path.join(folder, 'music.sqlite'));
    fs.chmodSync(path.join(folder, 'music.sqlite'), 0o644);
    createSampleDatabase(path.join(folder, 'orders.db'), { rows: 2000, wal: true });
    createSampleDatabase(path.join(folder, 'a b.db'), { rows: 10 });
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not a database');
    // A leftover journal whose database is gone: it starts like a database, and is not one.
    fs.writeFileSync(path.join(folder, 'gone.db-journal'), 'SQLite format 3\0 a stale journal, not a database');
  });
  after(() => tmp.dispose());

  it('backs up every database in the folder in one run, each under its own member connection, and each restores', async () => {
    const { ctx, progress } = engineContext(tmp.file('backups'));
    const entries = await backupConnection(group, { codec: 'gzip' }, ctx);
    const expected = ['a b.db', 'music.sqlite', 'orders.db'].map(name => memberConnection(group, name));
    assert.deepEqual(entries.map(e => [e.manifest.connection.id, e.manifest.connection.name, e.manifest.connection.source]),
      expected.map(m => [m.id, m.name, m.path]));
    assert.equal(new Set(expected.map(m => m.id)).size, 3, 'member ids differ');
    assert.ok(monotonic(progress) && progress.at(-1)!.fraction === 1, 'one progress bar over all databases, ending at 100%');
    assert.ok(progress.some(u => u.message.startsWith('music.sqlite (2 of 3)')), 'progress names the database');
    for (const [i, entry] of entries.entries()) {
      const target = tmp.file(`restored-${i}.db`);
      await restoreBackup(entry, { target }, ctx);
      assert.deepEqual(dumpRows(target), dumpRows(expected[i].path), `${expected[i].name} restores with every row`);
    }
    assert.match((await testConnection(group)).summary, /^3 SQLite database\(s\) in .*: a b\.db .*music\.sqlite .*orders\.db/);
  });

  it('a damaged database fails alone: the others are backed up, and the error names it', async () => {
    const damaged = path.join(folder, 'zz broken.db');
    fs.writeFileSync(damaged, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4096, 0xab)]));
    try {
      const backups = tmp.file('backups-damaged');
      const { ctx } = engineContext(backups);
      await expectLifeboatError(backupConnection(group, { codec: 'gzip' }, ctx), 'io', /1 of 4 databases in .* could not be backed up: zz broken\.db \(/);
      const kept = fs.readdirSync(path.join(backups)).filter(f => !f.startsWith('.')).sort();
      assert.deepEqual(kept, ['a b.db', 'music.sqlite', 'orders.db'].map(name => memberConnection(group, name).id).sort());
    } finally {
      fs.rmSync(damaged);
    }
  });

  it('takes the SQLite format for every database: a second snapshot run stores only what changed', async () => {
    const { ctx } = engineContext(tmp.file('backups-snapshots'));
    const first = await backupConnection(group, { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    const second = await backupConnection(group, { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    assert.deepEqual(second.map(e => e.manifest.parent), first.map(e => e.manifest.id), 'each database\'s snapshot builds on its own previous one');
    for (const entry of second) assert.equal(entry.manifest.consistency.newBlocks, 0, `${entry.manifest.connection.name}: nothing changed, no new block`);
  });

  it('an empty folder says so', async () => {
    const empty = tmp.file('empty');
    fs.mkdirSync(empty);
    await expectLifeboatError(backupConnection({ ...group, path: empty }, { codec: 'gzip' }, engineContext(tmp.file('b-empty')).ctx), 'not-found', /holds no SQLite database/);
  });

  it('the CLI backs up a folder connection from its config and lists one backup per database', async () => {
    const config = tmp.file('lifeboat.json');
    fs.writeFileSync(config, JSON.stringify({ backupFolder: tmp.file('cli-backups'), compression: 'gzip', connections: [{ ...group }] }));
    const result = await runCli(['--config', config, 'backup', 'app-data', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const made = json<{ backups: { connection: string }[] }>(result).backups;
    assert.deepEqual(made.map(b => b.connection), ['a b.db', 'music.sqlite', 'orders.db'].map(name => memberConnection(group, name).id));
  });
});
