import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { createConnection, type Connection as MysqlConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { makeConnectionId } from '../../src/core/connection';
import type { TableSideSpec } from '../../src/diff';
import type { MariadbServer } from './mariadbServer';
import type { PostgresServer } from './postgresServer';
import { seedFromEnv, type Rng } from './rng';
import { openDatabase, transaction } from './sqlite';

/**
 * The test side of the diff engine's integration tests: one object per database engine that can
 * create tables, write rows, and run the oracle's queries with both tables in view, over its own
 * connection (so that, to the engine, our writes come from "another connection").
 *
 * A "space" holds one side's tables: a schema of one database (PostgreSQL), a database (MariaDB),
 * or a database file attached under that name (SQLite). Oracle queries name tables as
 * `space.table`, so both sides are visible to one query.
 */

export type Dialect = 'postgres' | 'mysql' | 'sqlite';

/** How the oracle decides that two values of a column are equal. */
export type CompareAs =
  | 'value'   // the database's own null-safe equality (numbers by value, instants by instant)
  | 'text'    // exact characters (MariaDB's _ci collations and SQLite's NOCASE would say 'a' = 'A')
  | 'json';   // as JSON documents (key order and whitespace do not count)

export interface ColumnDef {
  name: string;
  /** The column's type in this dialect, with any collation or NULL clause. */
  type: string;
  compareAs?: CompareAs;
  /** A fresh random value to bind (null = NULL). */
  value(rng: Rng): unknown;
  /** The same value spelled another way (the database stores it as given, but it is equal), if there is one. */
  respell?(value: unknown, rng: Rng): unknown;
  /** For key columns: the value of row number `i`, unique per i. */
  keyValue?(i: number, rng: Rng): unknown;
}

export interface TableDef {
  columns: ColumnDef[];
  primaryKey?: string[];
  /** A UNIQUE constraint (for tables keyed by a key the user chooses). */
  unique?: string[];
}

export interface TableLoc {
  space: string;
  name: string;
}

export interface DiffDb {
  readonly dialect: Dialect;
  readonly label: string;
  quote(identifier: string): string;
  /** `space.table`, quoted, for the oracle's queries. */
  table(loc: TableLoc): string;
  /** What compareTables gets for this table. */
  side(loc: TableLoc): TableSideSpec;
  createSpace(space: string): Promise<void>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The n-th (1-based) bind placeholder. */
  param(n: number): string;
  /** A boolean SQL expression: a and b (of `column`) differ, NULL-safe. */
  differs(a: string, b: string, column: ColumnDef): string;
  /** SQL giving a key column's value as the engine's canonical cell text (integer, text, date keys). */
  keyText(expr: string): string;
  createTable(loc: TableLoc, def: TableDef): Promise<void>;
  dropTable(loc: TableLoc): Promise<void>;
  insert(loc: TableLoc, columns: string[], rows: unknown[][]): Promise<void>;
  /** A copy of `from` at `to`: same columns, keys and rows. */
  copyTable(from: TableLoc, to: TableLoc, def: TableDef): Promise<void>;
  /** A hash of every row of the table, exact to the stored bytes, independent of row order. */
  fingerprint(loc: TableLoc): Promise<string>;
  rowCount(loc: TableLoc): Promise<number>;
  /** Refreshes the planner's statistics (the row estimate bisection sizes its buckets by). */
  analyze(loc: TableLoc): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

export { makeRng, type Rng } from './rng';

/** The run's seed: LIFEBOAT_DIFF_SEED repeats a run, else a new one each time (printed by the tests). */
export function runSeed(): number {
  return seedFromEnv('LIFEBOAT_DIFF_SEED');
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export async function postgresDiffDb(server: PostgresServer, database: string): Promise<DiffDb> {
  const client = new Client(server.clientConfig(database));
  await client.connect();
  // The oracle's own session: instants in UTC, ISO dates, exact floats, hex bytea, whatever the
  // server's defaults (the tests set odd ones, which the engine must not depend on).
  await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; SET bytea_output = 'hex'; SET IntervalStyle = 'postgres'");
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const db: DiffDb = {
    dialect: 'postgres',
    label: 'PostgreSQL',
    quote,
    table: loc => `${quote(loc.space)}.${quote(loc.name)}`,
    side: loc => ({
      connection: { ...server.connectionFor(database), id: makeConnectionId(`pg ${database}`), name: `PostgreSQL ${database}` },
      password: server.password,
      table: { schema: loc.space, name: loc.name },
    }),
    async createSpace(space) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(space)}`);
    },
    async exec(sql, params) {
      await client.query(sql, params);
    },
    async rows<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as T[];
    },
    param: n => `$${n}`,
    differs(a, b, column) {
      if (column.compareAs === 'json') return `(${a})::jsonb IS DISTINCT FROM (${b})::jsonb`;
      return `(${a}) IS DISTINCT FROM (${b})`;
    },
    keyText: expr => `(${expr})::text`,
    async createTable(loc, def) {
      await client.query(`CREATE TABLE ${db.table(loc)} (${tableBody(db, def)})`);
    },
    async dropTable(loc) {
      await client.query(`DROP TABLE IF EXISTS ${db.table(loc)}`);
    },
    async insert(loc, columns, rows) {
      await insertBatches(db, loc, columns, rows, 60_000);
    },
    async copyTable(from, to, def) {
      await db.createTable(to, def);
      await client.query(`INSERT INTO ${db.table(to)} SELECT * FROM ${db.table(from)}`);
    },
    async fingerprint(loc) {
      // A row's text form is exact for every type (floats print shortest-exact since PostgreSQL 12).
      const rows = (await client.query(`SELECT md5(t::text) AS h FROM ${db.table(loc)} t`)).rows as { h: string }[];
      return hashOfSorted(rows.map(r => r.h));
    },
    async rowCount(loc) {
      return Number((await client.query(`SELECT count(*) AS n FROM ${db.table(loc)}`)).rows[0].n);
    },
    async analyze(loc) {
      await client.query(`ANALYZE ${db.table(loc)}`);
    },
    async close() {
      await client.end();
    },
  };
  return db;
}

// ---------------------------------------------------------------------------------------------
// MariaDB

export async function mariadbDiffDb(server: MariadbServer): Promise<DiffDb> {
  const connection: MysqlConnection = await createConnection({
    ...server.clientOptions(), charset: 'utf8mb4', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
  });
  await connection.query("SET time_zone = '+00:00'");
  const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;
  const rows = async <T>(sql: string, params?: unknown[]): Promise<T[]> => (await connection.query(sql, params))[0] as T[];
  const db: DiffDb = {
    dialect: 'mysql',
    label: 'MariaDB',
    quote,
    table: loc => `${quote(loc.space)}.${quote(loc.name)}`,
    side: loc => ({
      connection: { ...server.connectionFor(loc.space), id: makeConnectionId(`maria ${loc.space}`), name: `MariaDB ${loc.space}` },
      password: server.password,
      table: { name: loc.name },
    }),
    async createSpace(space) {
      await connection.query(`CREATE DATABASE IF NOT EXISTS ${quote(space)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    },
    async exec(sql, params) {
      await connection.query(sql, params);
    },
    rows,
    param: () => '?',
    differs(a, b, column) {
      if (column.compareAs === 'json') return `NOT ((${a}) <=> (${b}) OR COALESCE(JSON_EQUALS(${a}, ${b}), 0))`;
      if (column.compareAs === 'text') return `NOT (BINARY (${a}) <=> BINARY (${b}))`;
      return `NOT ((${a}) <=> (${b}))`;
    },
    keyText: expr => `CAST(${expr} AS CHAR)`,
    async createTable(loc, def) {
      await connection.query(`CREATE TABLE ${db.table(loc)} (${tableBody(db, def)}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    },
    async dropTable(loc) {
      await connection.query(`DROP TABLE IF EXISTS ${db.table(loc)}`);
    },
    async insert(loc, columns, data) {
      await insertBatches(db, loc, columns, data, 20_000);
    },
    async copyTable(from, to) {
      await connection.query(`CREATE TABLE ${db.table(to)} LIKE ${db.table(from)}`);
      await connection.query(`INSERT INTO ${db.table(to)} SELECT * FROM ${db.table(from)}`);
    },
    async fingerprint(loc) {
      const columns = await rows<{ name: string }>(
        'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [loc.space, loc.name]);
      // QUOTE() writes NULL as NULL and everything else as an exact escaped literal (BLOB bytes too);
      // HEX() of the text keeps the rows' bytes out of the client's character conversion.
      const parts = columns.map(c => `QUOTE(${quote(c.name)})`).join(', ');
      const hashes = await rows<{ h: string }>(`SELECT MD5(CONCAT_WS(',', ${parts})) AS h FROM ${db.table(loc)}`);
      return hashOfSorted(hashes.map(r => r.h));
    },
    async rowCount(loc) {
      return Number((await rows<{ n: string }>(`SELECT count(*) AS n FROM ${db.table(loc)}`))[0].n);
    },
    async analyze(loc) {
      await rows(`ANALYZE TABLE ${db.table(loc)}`);
    },
    async close() {
      await connection.end();
    },
  };
  return db;
}

// ---------------------------------------------------------------------------------------------
// SQLite

/**
 * SQLite: each space is a database file `<folder>/<n>.db` attached to one in-memory connection
 * under the space's name; the engine opens the files themselves.
 */
export function sqliteDiffDb(folder: string): DiffDb {
  const handle = openDatabase(':memory:');
  /** A statement that reads every integer exactly, as a bigint. */
  const prepare = (sql: string) => {
    const statement = handle.prepare(sql);
    statement.setReadBigInts(true);
    return statement;
  };
  const files = new Map<string, string>();
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const fileOf = (space: string) => {
    const file = files.get(space);
    if (!file) throw new Error(`SQLite space "${space}" was not created`);
    return file;
  };
  const bind = (params?: unknown[]) => (params ?? []).map(p => typeof p === 'boolean' ? (p ? 1 : 0) : p) as (string | number | bigint | null | Uint8Array)[];
  const db: DiffDb = {
    dialect: 'sqlite',
    label: 'SQLite',
    quote,
    table: loc => `${quote(loc.space)}.${quote(loc.name)}`,
    side: loc => ({
      connection: { engine: 'sqlite', id: makeConnectionId(`sqlite ${path.basename(fileOf(loc.space), '.db')}`), name: `SQLite ${loc.space}`, path: fileOf(loc.space) },
      table: { name: loc.name },
    }),
    async createSpace(space) {
      if (files.has(space)) return;
      const file = path.join(folder, `space-${files.size + 1}.db`);
      files.set(space, file);
      prepare('ATTACH DATABASE ? AS ' + quote(space)).run(file);
      handle.exec(`PRAGMA ${quote(space)}.journal_mode = WAL`);
    },
    async exec(sql, params) {
      if (params?.length) prepare(sql).run(...bind(params));
      else handle.exec(sql);
    },
    async rows<T>(sql: string, params?: unknown[]) {
      return prepare(sql).all(...bind(params)).map(row => fromSafeIntegers({ ...row })) as T[];
    },
    param: () => '?',
    differs(a, b, column) {
      // IS uses the left operand's collation (NOCASE keys would match 'a' with 'A'): BINARY is explicit.
      if (column.compareAs === 'text') return `((${a}) IS NOT (${b}) COLLATE BINARY)`;
      return `((${a}) IS NOT (${b}))`;
    },
    keyText: expr => `CAST(${expr} AS TEXT)`,
    async createTable(loc, def) {
      handle.exec(`CREATE TABLE ${db.table(loc)} (${tableBody(db, def)})`);
    },
    async dropTable(loc) {
      handle.exec(`DROP TABLE IF EXISTS ${db.table(loc)}`);
    },
    async insert(loc, columns, rows) {
      const statement = prepare(`INSERT INTO ${db.table(loc)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      transaction(handle, () => { for (const row of rows) statement.run(...bind(row)); });
    },
    async copyTable(from, to, def) {
      await db.createTable(to, def);
      handle.exec(`INSERT INTO ${db.table(to)} SELECT * FROM ${db.table(from)}`);
    },
    async fingerprint(loc) {
      const columns = prepare(`PRAGMA ${quote(loc.space)}.table_info(${quote(loc.name)})`).all() as { name: string }[];
      // The storage class and an exact text of each value: REAL with 17 digits, the rest as literals.
      const parts = columns.map(c => {
        const q = quote(c.name);
        return `typeof(${q}) || ':' || CASE WHEN typeof(${q}) = 'real' THEN printf('%!.17g', ${q}) ELSE quote(${q}) END`;
      }).join(` || ',' || `);
      const texts = prepare(`SELECT ${parts} AS t FROM ${db.table(loc)}`).all().map(row => row.t as string);
      return hashOfSorted(texts.map(t => createHash('md5').update(t).digest('hex')));
    },
    async rowCount(loc) {
      return Number(prepare(`SELECT count(*) AS n FROM ${db.table(loc)}`).get()!.n);
    },
    async analyze(loc) {
      handle.exec(`ANALYZE ${db.table(loc)}`);
    },
    async close() {
      handle.close();
    },
  };
  return db;
}

function fromSafeIntegers(row: Record<string, unknown>): Record<string, unknown> {
  for (const [name, value] of Object.entries(row)) if (typeof value === 'bigint') row[name] = value.toString();
  return row;
}

// ---------------------------------------------------------------------------------------------

function tableBody(db: DiffDb, def: TableDef): string {
  const parts = def.columns.map(c => `${db.quote(c.name)} ${c.type}`);
  if (def.primaryKey) parts.push(`PRIMARY KEY (${def.primaryKey.map(db.quote).join(', ')})`);
  if (def.unique) parts.push(`UNIQUE (${def.unique.map(db.quote).join(', ')})`);
  return parts.join(', ');
}

async function insertBatches(db: DiffDb, loc: TableLoc, columns: string[], rows: unknown[][], maxParams: number): Promise<void> {
  if (rows.length === 0) return;
  const perBatch = Math.max(1, Math.floor(maxParams / columns.length));
  const head = `INSERT INTO ${db.table(loc)} (${columns.map(db.quote).join(', ')}) VALUES `;
  for (let start = 0; start < rows.length; start += perBatch) {
    const batch = rows.slice(start, start + perBatch);
    let n = 0;
    const tuples = batch.map(() => `(${columns.map(() => db.param(++n)).join(', ')})`);
    await db.exec(head + tuples.join(', '), batch.flat());
  }
}

function hashOfSorted(hashes: string[]): string {
  return createHash('sha256').update(`${hashes.length}\n${hashes.sort().join('\n')}`).digest('hex');
}
