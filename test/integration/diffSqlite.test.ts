import { after, before, describe } from 'node:test';
import { runSeed, sqliteDiffDb, type DiffDb } from '../support/diffDatabases';
import { diffSuite } from '../support/diffSuite';
import { typeSuite, type TypeCase } from '../support/diffTypes';
import { tempFolder } from '../support/temp';

// The table diff engine on SQLite files: a restored copy and a production file compared by primary
// key, chosen unique key or as multisets; every answer checked against the oracle (anti-joins with
// IS, grouped counts) in SQLite itself; merges, conflicts and undo. LIFEBOAT_DIFF_SEED repeats a run.

const seed = runSeed();
console.log(`diff tests (SQLite): seed ${seed} — LIFEBOAT_DIFF_SEED=${seed} repeats this run`);

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ONE_BYTE_CHANGED = Buffer.from(ALL_BYTES.map((b, i) => (i === 200 ? b ^ 1 : b)));

describe(`diff engine on SQLite (seed ${seed})`, () => {
  const tmp = tempFolder('lifeboat-diff-sqlite');
  let db: DiffDb;
  before(() => { db = sqliteDiffDb(tmp.path); });
  after(async () => {
    await db?.close();
    tmp.dispose();
  });

  diffSuite({ db: () => db, seed, spaces: { backup: 'restored', production: 'live' }, bisect: false, bigRows: 50_000 });

  const cases: TypeCase[] = [
    { column: 'i', backup: 2n ** 62n + 1n, production: 2n ** 62n },
    { column: 'i', backup: 9007199254740993n, production: 9007199254740992n },
    { column: 'i', backup: -(2n ** 63n), production: -(2n ** 63n) },
    { column: 'i', backup: 0, production: null },
    { column: 'r', backup: 0.1, production: 0.1 },
    { column: 'r', backup: 0.1, production: 0.10000000000000002 },
    { column: 'r', backup: 1e308, production: 1e308 },
    { column: 'r', backup: 5e-324, production: 0 },
    { column: 'r', backup: -2.5, production: null },
    { column: 't', backup: 'a', production: 'A' },
    { column: 't', backup: 'a', production: 'a ' },
    { column: 't', backup: 'é', production: 'e\u0301' },
    { column: 't', backup: 'tab\there\nline\r\nback\\slash', production: 'tab\there\nline\r\nback\\slash' },
    { column: 't', backup: '🚣 \u0001\u001f\u007f', production: '🚣 \u0001\u001f\u007f' },
    { column: 't', backup: '', production: null },
    { column: 't', backup: 'NULL', production: null },
    { column: 'b', backup: ALL_BYTES, production: ALL_BYTES },
    { column: 'b', backup: ALL_BYTES, production: ONE_BYTE_CHANGED },
    { column: 'b', backup: Buffer.alloc(0), production: null },
    { column: 'b', backup: Buffer.from([0]), production: Buffer.from([0, 0]) },
  ];
  typeSuite({
    db: () => db, spaces: { backup: 'types restored', production: 'types live' }, table: 'types', idType: 'INTEGER NOT NULL',
    columns: [
      { name: 'i', type: 'INTEGER', canonical: x => `CAST(${x} AS TEXT)` },
      { name: 'r', type: 'REAL', canonical: x => `printf('%!.17g', ${x})`, cell: 'float' },
      { name: 't', type: 'TEXT', compareAs: 'text', canonical: x => x },
      { name: 'b', type: 'BLOB', canonical: x => `'\\x' || lower(hex(${x}))` },
    ],
    cases, resetSession: 'SELECT 1', bisect: false,
  });
});
