import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { compareTables, type DiffKind, type TableComparison } from '../../src/diff';
import { randomBytes, randomDouble, randomText, randomTimestamp } from '../support/diffColumns';
import { makeRng, mariadbDiffDb, postgresDiffDb, runSeed, sqliteDiffDb, type DiffDb, type TableLoc } from '../support/diffDatabases';
import { allRows, keyOf } from '../support/diffOracle';
import { engineContext } from '../support/engineContext';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { tempFolder } from '../support/temp';

// The same logical rows in SQLite, PostgreSQL and MariaDB compare equal across engines (integer,
// decimal, text, bytes, float, boolean-ish, timestamp; NULLs), one changed cell shows as one
// changed row with that one column, and merges across engines write values through the target's
// types (checked by comparing again, and by SQLite's storage classes). LIFEBOAT_DIFF_SEED repeats.

stopServersAfterTests();

const seed = runSeed();
console.log(`diff tests (cross-engine): seed ${seed} — LIFEBOAT_DIFF_SEED=${seed} repeats this run`);

const ROWS = 400;
const COLUMNS = ['id', 'qty', 'amount', 'name', 'data', 'ratio', 'active', 'at'];

/** Column types per engine for the same logical columns. */
const TYPES: Record<DiffDb['dialect'], string[]> = {
  sqlite: ['INTEGER NOT NULL', 'INTEGER', 'DECIMAL(14,2)', 'TEXT', 'BLOB', 'REAL', 'BOOLEAN', 'DATETIME'],
  postgres: ['integer NOT NULL', 'bigint', 'numeric(14,2)', 'text', 'bytea', 'double precision', 'boolean', 'timestamp(6)'],
  mysql: ['INT NOT NULL', 'BIGINT NULL', 'DECIMAL(14,2) NULL', 'VARCHAR(200) NULL', 'BLOB NULL', 'DOUBLE NULL', 'TINYINT(1) NULL', 'DATETIME(6) NULL'],
};

/** The logical rows, as each engine is given them (SQLite: 0/1 booleans, big integers as BigInt). */
function logicalRows(): { values: unknown[][]; forSqlite: unknown[][] } {
  const rng = makeRng(seed);
  const values: unknown[][] = [];
  for (let id = 1; id <= ROWS; id++) {
    const maybe = <T>(make: () => T): T | null => (rng.chance(0.1) ? null : make());
    values.push([
      id * 3,
      maybe(() => (rng.chance(0.2) ? (2n ** 60n + BigInt(rng.int(1000))).toString() : String(rng.int(2_000_000) - 1_000_000))),
      // Two decimals always, trailing zeros included ("12.50"): equal to 12.5 everywhere.
      maybe(() => `${rng.chance(0.3) ? '-' : ''}${rng.int(100_000_000)}.${String(rng.int(100)).padStart(2, '0')}`),
      maybe(() => randomText(rng).slice(0, 150).replace(/[\ud800-\udbff]$/, '')),
      maybe(() => randomBytes(rng)),
      // The first row's double is one a naive float parser rounds to its neighbour.
      id === 1 ? 9.330530627630651 : maybe(() => randomDouble(rng)),
      maybe(() => rng.chance(0.5)),
      // Six fractional digits, as many programs write them (".500000"): a timestamp, not text.
      maybe(() => {
        const t = randomTimestamp(rng, 1971, 2037);
        return t.includes('.') ? t : `${t}.000000`;
      }),
    ]);
  }
  const forSqlite = values.map(row => row.map((v, i) => (i === 1 && v !== null ? BigInt(v as string) : i === 6 && v !== null ? (v ? 1 : 0) : v)));
  return { values, forSqlite };
}

describe(`diff engine across engines (seed ${seed})`, () => {
  let pgServer: PostgresServer;
  let mariaServer: MariadbServer;
  let pg: DiffDb;
  let maria: DiffDb;
  let lite: DiffDb;
  const tmp = tempFolder('lifeboat-diff-cross');
  const tables: Record<DiffDb['dialect'], TableLoc> = {
    sqlite: { space: 'restored', name: 'orders' },
    postgres: { space: 'public', name: 'orders' },
    mysql: { space: 'cross', name: 'orders' },
  };
  const side = (db: DiffDb) => db.side(tables[db.dialect]);

  before(async () => {
    [pgServer, mariaServer] = await Promise.all([startPostgres({ settings: { TimeZone: 'Asia/Kathmandu' } }), startMariadb({ settings: { default_time_zone: '-03:00' } })]);
    await pgServer.createDatabase('cross');
    pg = await postgresDiffDb(pgServer, 'cross');
    maria = await mariadbDiffDb(mariaServer);
    lite = sqliteDiffDb(tmp.path);
    for (const db of [pg, maria, lite]) await db.createSpace(tables[db.dialect].space);
  });
  // Every test starts from the same rows in all three databases, whatever the one before did.
  beforeEach(async () => {
    const { values, forSqlite } = logicalRows();
    for (const db of [pg, maria, lite]) {
      await db.dropTable(tables[db.dialect]);
      await db.createTable(tables[db.dialect], {
        columns: COLUMNS.map((name, i) => ({ name, type: TYPES[db.dialect][i], value: () => null })), primaryKey: ['id'],
      });
      await db.insert(tables[db.dialect], COLUMNS, db.dialect === 'sqlite' ? forSqlite : values);
    }
  });
  after(async () => {
    await Promise.all([pg?.close(), maria?.close(), lite?.close()]);
    await Promise.all([pgServer?.stop(), mariaServer?.stop()]);
    tmp.dispose();
  });

  async function compare(backup: DiffDb, production: DiffDb): Promise<TableComparison> {
    return compareTables({ backup: side(backup), production: side(production) });
  }

  function counts(comparison: TableComparison): Record<DiffKind, number> {
    return comparison.summary.counts;
  }

  /** Shows the first differences, for a failure message. */
  function firstDifferences(comparison: TableComparison): string {
    const names = comparison.summary.columns.map(c => `${c.name}:${c.kind}`);
    return allRows(comparison, 'all').slice(0, 5).map(r => `${r.kind} ${keyOf(r)} [${r.changed.map(i => names[i])}] backup ${JSON.stringify(r.backup)} production ${JSON.stringify(r.production)}`).join('\n');
  }

  async function assertEqualTables(backup: DiffDb, production: DiffDb, label: string): Promise<void> {
    const comparison = await compare(backup, production);
    try {
      assert.deepEqual(counts(comparison), { onlyInBackup: 0, onlyInProduction: 0, changed: 0 }, `${label}: no differences\n${firstDifferences(comparison)}`);
      assert.equal(comparison.summary.same, await production.rowCount(tables[production.dialect]), `${label}: every row is the same`);
      assert.deepEqual(comparison.summary.columns.map(c => c.name), COLUMNS);
    } finally {
      await comparison.close();
    }
  }

  /** Changes one cell in `production`; the comparison shows exactly that row and column. */
  async function assertOneChange(backup: DiffDb, production: DiffDb, label: string, offset: number): Promise<void> {
    const loc = tables[production.dialect];
    const [row] = await production.rows<{ id: unknown }>(`SELECT ${production.quote('id')} AS id FROM ${production.table(loc)} WHERE ${production.quote('amount')} IS NOT NULL ORDER BY ${production.quote('id')} LIMIT 1 OFFSET ${offset}`);
    await production.exec(`UPDATE ${production.table(loc)} SET ${production.quote('amount')} = ${production.quote('amount')} + 0.01 WHERE ${production.quote('id')} = ${production.param(1)}`, [Number(row.id)]);
    const comparison = await compare(backup, production);
    try {
      assert.deepEqual(counts(comparison), { onlyInBackup: 0, onlyInProduction: 0, changed: 1 }, `${label}: one changed row\n${firstDifferences(comparison)}`);
      const [changed] = allRows(comparison, 'changed');
      assert.deepEqual(changed.key, [String(row.id)], `${label}: the changed row's key`);
      assert.deepEqual(changed.changed.map(i => comparison.summary.columns[i].name), ['amount'], `${label}: the changed column`);
      // Merge it back: the tables are equal again.
      await comparison.apply({ mode: 'ids', ids: [changed.id] }, { allowDelete: false }, engineContext(tmp.file(`job-${label}`)).ctx);
    } finally {
      await comparison.close();
    }
    await assertEqualTables(backup, production, `${label}, merged back`);
  }

  /** Deletes and adds rows in `production`; merging everything from `backup` makes them equal again. */
  async function assertMergeAcross(backup: DiffDb, production: DiffDb, label: string): Promise<void> {
    const loc = tables[production.dialect];
    const q = production.quote;
    const ids = (await production.rows<{ id: unknown }>(`SELECT ${q('id')} AS id FROM ${production.table(loc)} ORDER BY ${q('id')}`)).map(r => Number(r.id));
    for (const id of [ids[3], ids[100], ids[ids.length - 1], ids[0]]) await production.exec(`DELETE FROM ${production.table(loc)} WHERE ${q('id')} = ${production.param(1)}`, [id]);
    await production.exec(`INSERT INTO ${production.table(loc)} (${q('id')}, ${q('name')}) VALUES (${production.param(1)}, ${production.param(2)}), (${production.param(3)}, ${production.param(4)})`, [1, 'extra ☃', 100_000, null]);
    await production.exec(`UPDATE ${production.table(loc)} SET ${q('name')} = 'blanked ☃', ${q('data')} = NULL, ${q('active')} = NULL, ${q('at')} = NULL, ${q('ratio')} = NULL WHERE ${q('id')} = ${production.param(1)}`, [ids[10]]);
    const comparison = await compare(backup, production);
    try {
      assert.deepEqual(counts(comparison), { onlyInBackup: 4, onlyInProduction: 2, changed: counts(comparison).changed }, `${label}: rows deleted and added\n${firstDifferences(comparison)}`);
      assert.equal(counts(comparison).changed, 1, `${label}: the row whose cells were set to NULL is changed\n${firstDifferences(comparison)}`);
      await comparison.apply({ mode: 'all', kinds: ['onlyInBackup', 'onlyInProduction', 'changed'], except: [] }, { allowDelete: true }, engineContext(tmp.file(`job-${label}-all`)).ctx);
    } finally {
      await comparison.close();
    }
    await assertEqualTables(backup, production, `${label}, after merging everything`);
  }

  it('SQLite (restored) and PostgreSQL (production) holding the same rows: 0 differences', async () => {
    await assertEqualTables(lite, pg, 'SQLite → PostgreSQL');
  });
  it('MariaDB (restored) and PostgreSQL (production) holding the same rows: 0 differences', async () => {
    await assertEqualTables(maria, pg, 'MariaDB → PostgreSQL');
  });
  it('PostgreSQL (restored) and SQLite (production) / MariaDB (production): 0 differences', async () => {
    await assertEqualTables(pg, lite, 'PostgreSQL → SQLite');
    await assertEqualTables(pg, maria, 'PostgreSQL → MariaDB');
    await assertEqualTables(lite, maria, 'SQLite → MariaDB');
  });
  it('one changed decimal in PostgreSQL shows as one changed row against SQLite, and merges back', async () => {
    await assertOneChange(lite, pg, 'SQLite → PostgreSQL', 57);
  });
  it('one changed decimal in MariaDB shows as one changed row against PostgreSQL, and merges back', async () => {
    await assertOneChange(pg, maria, 'PostgreSQL → MariaDB', 58);
  });
  it('one changed decimal in SQLite shows as one changed row against MariaDB, and merges back', async () => {
    await assertOneChange(maria, lite, 'MariaDB → SQLite', 59);
  });
  it('SQLite → PostgreSQL: rows deleted, added and blanked in production merge back through PostgreSQL\'s types', async () => {
    await assertMergeAcross(lite, pg, 'SQLite → PostgreSQL');
  });
  it('PostgreSQL → MariaDB: the same, through MariaDB\'s types', async () => {
    await assertMergeAcross(pg, maria, 'PostgreSQL → MariaDB');
  });
  it('PostgreSQL → SQLite: the same, and SQLite stores integers, reals and blobs (not their text)', async () => {
    await assertMergeAcross(pg, lite, 'PostgreSQL → SQLite');
    const loc = tables.sqlite;
    const classes = await lite.rows<{ column: string; class: string; n: unknown }>(
      ['qty', 'ratio', 'data', 'active'].map(c => `SELECT '${c}' AS "column", typeof(${lite.quote(c)}) AS class, count(*) AS n FROM ${lite.table(loc)} GROUP BY 2`).join(' UNION ALL '));
    const wrong = classes.filter(c => c.class !== 'null' && c.class !== { qty: 'integer', ratio: 'real', data: 'blob', active: 'integer' }[c.column]);
    assert.deepEqual(wrong, [], 'storage classes after the merge');
  });
});
