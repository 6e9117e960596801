import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SqliteConnection } from '../../src/core/connection';
import { backupDatabase, restoreBackup } from '../../src/engines';
import { engineContext } from '../support/engineContext';
import { sha256File } from '../support/hash';
import { backup, openDatabase } from '../support/sqlite';
import { tempFolder } from '../support/temp';

/** zstd (Node 22.15+) with node:sqlite, the engine's driver (its row iterator writes the SQL dump)
 *  and the test's own. */
const connection = (file: string, id: string): SqliteConnection => ({ engine: 'sqlite', id, name: id, path: file });

function exec(file: string, sql: string): void {
  const db = openDatabase(file);
  db.exec(sql);
  db.close();
}

/** Every table's rows, ordered by all their columns, and the schema. */
function rows(file: string): unknown {
  const db = openDatabase(file, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all().map(r => String(r.name));
    return {
      schema: db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all(),
      ...Object.fromEntries(tables.map(t => {
        const q = `"${t.replace(/"/g, '""')}"`;
        const n = db.prepare(`SELECT count(*) AS n FROM pragma_table_info('${t.replace(/'/g, "''")}')`).all()[0].n as number;
        // 64-bit integers as BigInt: the edge table holds both ends of the range.
        const select = db.prepare(`SELECT * FROM ${q} ORDER BY ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}`);
        select.setReadBigInts(true);
        return [t, select.all()];
      })),
    };
  } finally {
    db.close();
  }
}

const SCHEMA = `
  CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, amount REAL, data BLOB);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
  INSERT INTO items SELECT x, printf('item %d; it''s', x), x / 7.0, randomblob(100) FROM c;
  CREATE TABLE edge (i INTEGER, r REAL, t TEXT, b BLOB);
  INSERT INTO edge VALUES (9223372036854775807, 0.30000000000000004, 'nul' || char(0) || 'inside' || char(10) || 'line', X''),
                          (-9223372036854775808, 9e999, '', NULL), (NULL, 5e-324, 'ünïcødé 🚣', X'00ff');
  CREATE INDEX items_label ON items(label);
  CREATE VIEW cheap AS SELECT * FROM items WHERE amount < 10;
  CREATE TRIGGER t AFTER DELETE ON items BEGIN INSERT INTO edge VALUES (OLD.id, NULL, 'deleted; ' || OLD.label, NULL); END;
  PRAGMA user_version = 7;`;

describe('SQLite formats with zstd (node:sqlite)', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  it('zstd: an incremental snapshot restores bit-identical to a backup-API copy of the same moment', async () => {
    const source = tmp.file('snap.db');
    exec(source, SCHEMA);
    const { ctx } = engineContext(tmp.file('backups-snap'));
    const first = await backupDatabase(connection(source, 'snap'), { codec: 'zstd', sqliteFormat: 'snapshot' }, ctx);
    exec(source, 'UPDATE items SET data = randomblob(100) WHERE id % 300 = 0;');
    const db = openDatabase(source, { readOnly: true });
    await backup(db, tmp.file('copy.db'));
    db.close();
    const second = await backupDatabase(connection(source, 'snap'), { codec: 'zstd', sqliteFormat: 'snapshot' }, ctx);
    assert.equal(second.manifest.parent, first.manifest.id);
    assert.equal(second.manifest.options.blockCodec, 'zstd');
    assert.equal(second.manifest.tool.name, 'node:sqlite');
    await restoreBackup(second, { target: tmp.file('restored.db') }, ctx);
    assert.equal(sha256File(tmp.file('restored.db')), sha256File(tmp.file('copy.db')));
  });

  it('zstd: a SQL dump written through node:sqlite round-trips every row, the schema and user_version', async () => {
    const source = tmp.file('dump.db');
    exec(source, SCHEMA);
    const { ctx } = engineContext(tmp.file('backups-dump'));
    const entry = await backupDatabase(connection(source, 'dump'), { codec: 'zstd', sqliteFormat: 'sql' }, ctx);
    assert.equal(entry.manifest.files[0].name, 'database.sql.zst');
    await restoreBackup(entry, { target: tmp.file('dump-restored.db') }, ctx);
    assert.deepEqual(rows(tmp.file('dump-restored.db')), rows(source));
    const check = openDatabase(tmp.file('dump-restored.db'), { readOnly: true });
    assert.equal(check.prepare('PRAGMA user_version').all()[0].user_version, 7);
    check.close();
  });
});
