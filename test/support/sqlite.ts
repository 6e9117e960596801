import * as fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

/**
 * The tests' own SQLite handle: Node's built-in node:sqlite, the library the engine runs on too
 * (src/engines/sqlite/nodeSqliteDriver.ts). Tests open their databases through here, never
 * through the engine, so that what they write and check comes from "another connection".
 */
export type Database = DatabaseSync;

export { backup } from 'node:sqlite';

/** Opens `file`; with `mustExist`, a missing file is an error rather than a new empty database. */
export function openDatabase(file: string, options: { readOnly?: boolean; mustExist?: boolean } = {}): Database {
  if (options.mustExist && file !== ':memory:' && !fs.existsSync(file)) throw new Error(`no database at ${file}`);
  return new DatabaseSync(file, { readOnly: options.readOnly ?? false });
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export function transaction<T>(db: Database, work: () => T): T {
  db.exec('BEGIN');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Rows as arrays in select-list order, every integer exact (a bigint, so none above 2^53 is
 *  rounded), BLOBs as bytes: two databases' rows compare value for value. */
export function exactRows(db: Database, sql: string, ...params: (string | number | bigint | null | Uint8Array)[]): unknown[][] {
  const statement = db.prepare(sql);
  statement.setReadBigInts(true);
  statement.setReturnArrays(true);
  return statement.all(...params) as unknown as unknown[][];
}

/** A PRAGMA's single value (`PRAGMA integrity_check` → 'ok', `PRAGMA user_version` → 42). */
export function pragmaValue(db: Database, pragma: string): unknown {
  const row = db.prepare(`PRAGMA ${pragma}`).get();
  return row === undefined ? undefined : Object.values(row)[0];
}
