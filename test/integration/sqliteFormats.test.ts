import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SqliteConnection } from '../../src/core/connection';
import type { LifeboatError } from '../../src/core/errors';
import { backupDatabase, restoreBackup, verifyBackup } from '../../src/engines';
import { CHINOOK_SQLITE } from '../support/chinook';
import { engineContext } from '../support/engineContext';
import { exactRows, openDatabase, pragmaValue } from '../support/sqlite';
import { addHostileContent, createSampleDatabase, dumpRows, rowidsOf } from '../support/sqliteFixtures';
import { listFiles, tempFolder } from '../support/temp';

const SQLITE3 = spawnSync('sqlite3', ['--version']).status === 0;

const sqlite = (file: string, id = 'app'): SqliteConnection => ({ engine: 'sqlite', id, name: path.basename(file), path: file });

function pragmas(file: string): Record<string, unknown> {
  const db = openDatabase(file, { readOnly: true });
  try {
    return Object.fromEntries(['user_version', 'application_id', 'page_size', 'encoding', 'journal_mode', 'auto_vacuum', 'integrity_check'].map(p => [p, pragmaValue(db, p)]));
  } finally {
    db.close();
  }
}

/** `sqlite3 FILE .dump`, the reference a SQL dump is measured against, when sqlite3 is installed. */
function cliDump(file: string): string {
  const result = spawnSync('sqlite3', [file, '.dump'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('SQLite SQL dump and VACUUM INTO', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  const chinook = tmp.file('chinook.sqlite');
  fs.copyFileSync(CHINOOK_SQLITE, chinook);
  const hostile = tmp.file('hostile.db');
  createSampleDatabase(hostile, { rows: 3000 });
  addHostileContent(hostile);

  for (const [name, source] of [['Chinook', chinook], ['a hostile database', hostile]] as const) {
    it(`a SQL dump of ${name} restores every row, the schema, rowids and PRAGMAs exactly`, async () => {
      const { ctx, destination } = engineContext(tmp.file(`backups-sql-${name}`));
      const entry = await backupDatabase(sqlite(source, 'dump'), { codec: 'gzip', sqliteFormat: 'sql' }, ctx);
      const m = entry.manifest;
      assert.equal(m.kind, 'sqlite-sql-dump');
      assert.deepEqual(m.files.map(f => f.name), ['database.sql.gz']);
      const text = gunzipSync(fs.readFileSync(path.join(destination.location, entry.prefix, 'database.sql.gz'))).toString('utf8');
      assert.ok(text.startsWith('PRAGMA foreign_keys=OFF;\n'), text.slice(0, 200));
      assert.ok(/\nCOMMIT;\n(PRAGMA journal_mode=WAL;\n)?$/.test(text), text.slice(-200));

      const target = tmp.file(`restored-sql-${name}.db`);
      await restoreBackup(entry, { target }, ctx);
      assert.deepEqual(dumpRows(target), dumpRows(source), 'every table row for row (ordered), and sqlite_schema');
      assert.deepEqual(pragmas(target), pragmas(source));
      const rowidTables = name === 'Chinook' ? [] : ['no_key', 'customers', 'edge', 'gen'];
      assert.deepEqual(rowidsOf(target, rowidTables), rowidsOf(source, rowidTables), 'rows keep their rowids');
      if (name !== 'Chinook') {
        const db = openDatabase(target, { readOnly: true });
        const edge = exactRows(db, 'SELECT i, r, t, b FROM edge ORDER BY id');
        db.close();
        const db2 = openDatabase(source, { readOnly: true });
        assert.deepEqual(edge, exactRows(db2, 'SELECT i, r, t, b FROM edge ORDER BY id'), '64-bit integers, reals, NUL in text exactly');
        db2.close();
      }
      if (SQLITE3) assert.equal(cliDump(target), cliDump(source), 'sqlite3 .dump of the restored database equals that of the source');

      const verification = await verifyBackup(entry, ctx);
      assert.equal(verification.ok, true, JSON.stringify(verification.checks));
    });
  }

  it('VACUUM INTO makes a compact copy, recorded in the manifest, that restores the same rows', async () => {
    const source = tmp.file('sparse.db');
    createSampleDatabase(source, { rows: 8000, wal: false });
    const db = openDatabase(source);
    db.exec('PRAGMA foreign_keys = OFF; DELETE FROM customers WHERE id > 4000; DELETE FROM attachments WHERE id <= 1000;');
    const freePages = pragmaValue(db, 'freelist_count') as number;
    db.close();
    assert.ok(freePages > 10, `the source has free pages (${freePages})`);
    const { ctx } = engineContext(tmp.file('backups-vacuum'));
    const entry = await backupDatabase(sqlite(source, 'vacuum'), { codec: 'gzip', vacuum: true }, ctx);
    const m = entry.manifest;
    assert.equal(m.kind, 'sqlite-online-copy');
    assert.equal(m.options.vacuum, true);
    assert.match(String(m.options.method), /VACUUM INTO/);
    assert.equal(m.consistency.freelistCount, 0, 'the compact copy has no free pages');
    assert.ok(m.files[0].contentSize! < fs.statSync(source).size - freePages * 4096 + 4096, 'the copy is smaller than the source by its free pages');
    assert.equal(m.verifications[0].checks.find(c => c.name === 'integrity_check')?.ok, true);
    const target = tmp.file('restored-vacuum.db');
    await restoreBackup(entry, { target }, ctx);
    assert.deepEqual(dumpRows(target), dumpRows(source));
  });

  it('refuses VACUUM INTO with a format it does not apply to, before storing anything', async () => {
    const folder = tmp.file('backups-refused');
    const { ctx } = engineContext(folder);
    await assert.rejects(backupDatabase(sqlite(hostile, 'refused'), { codec: 'gzip', vacuum: true, sqliteFormat: 'snapshot' }, ctx),
      (e: LifeboatError) => e.code === 'usage' && /VACUUM INTO/.test(e.message));
    assert.deepEqual(listFiles(folder), []);
  });
});
