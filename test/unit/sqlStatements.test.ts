import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LifeboatError } from '../../src/core/errors';
import { StatementSplitter } from '../../src/engines/sqlite/sqlStatements';
import { exactRows, openDatabase } from '../support/sqlite';

const SCRIPT = `CREATE TABLE t (a TEXT, "b;c" TEXT, [d;] INTEGER, \`e;\` BLOB);
INSERT INTO t VALUES ('semi; colon', 'it''s', 1, X'3b');
-- a comment; with a semicolon
/* a block comment; also
   over lines; */ INSERT INTO t VALUES ('line1
line2; still the string', NULL, 2, NULL);
CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN
  INSERT INTO log VALUES ('inserted; ' || NEW.a);
  UPDATE log SET x = 'END; not yet' WHERE x IS NULL;
END;
CREATE TABLE log (x TEXT);
CREATE TRIGGER "create trigger" AFTER UPDATE ON t BEGIN SELECT 1; SELECT 2; END;
INSERT INTO t VALUES ('after the triggers', 'ünï;cødé 🚣', 3, NULL);
EXPLAIN SELECT 1;
`;

/** Each batch the splitter hands out must run on its own: run them one after the other and
 *  compare the database with the one the whole script makes. */
function runInBatches(chunkSize: number): unknown[] {
  const splitter = new StatementSplitter(1);
  const batches: string[] = [];
  for (let i = 0; i < SCRIPT.length; i += chunkSize) {
    const batch = splitter.push(SCRIPT.slice(i, i + chunkSize));
    if (batch) batches.push(batch);
  }
  const rest = splitter.end();
  if (rest) batches.push(rest);
  assert.equal(batches.join(''), SCRIPT, 'nothing lost or repeated');
  const db = openDatabase(':memory:');
  for (const batch of batches) db.exec(batch);
  const result = [exactRows(db, 'SELECT * FROM t ORDER BY 3'), exactRows(db, 'SELECT * FROM log'), batches.length];
  db.close();
  return result;
}

describe('SQL statement splitter (sqlite3_complete)', () => {
  it('cuts only at the end of complete statements, whatever the chunk boundaries', () => {
    const db = openDatabase(':memory:');
    db.exec(SCRIPT);
    const expected = [exactRows(db, 'SELECT * FROM t ORDER BY 3'), exactRows(db, 'SELECT * FROM log')];
    db.close();
    for (const size of [1, 2, 3, 7, 64, SCRIPT.length]) {
      const [rows, log, batches] = runInBatches(size);
      assert.deepEqual([rows, log], expected, `chunks of ${size}`);
      if (size === 1) assert.ok((batches as number) >= 8, `one batch per statement when handed one character at a time (${batches})`);
    }
  });

  it('says so when the text ends inside a statement', () => {
    const splitter = new StatementSplitter();
    splitter.push("INSERT INTO t VALUES ('never closed);\n");
    assert.throws(() => splitter.end(), (e: LifeboatError) => e.code === 'verification' && /ends inside a statement/.test(e.message));
  });
});
