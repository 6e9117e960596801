import BetterSqlite3 from 'better-sqlite3';
import betterSqlite3Package from 'better-sqlite3/package.json';
import type { SqliteDatabase, SqliteDriver } from './driver';

/** better-sqlite3 with an explicit native binary, so that the bundled JS can load the binary
 *  built for whichever runtime it finds itself in. */
export function createBetterSqlite3Driver(nativeBinding: string): SqliteDriver {
  const probe = new BetterSqlite3(':memory:', { nativeBinding });
  const sqliteVersion = (probe.prepare('select sqlite_version() as v').get() as { v: string }).v;
  probe.close();
  return {
    name: 'better-sqlite3',
    version: betterSqlite3Package.version,
    sqliteVersion,
    open(file, options = {}) {
      const db = new BetterSqlite3(file, { nativeBinding, readonly: options.readonly ?? false, fileMustExist: options.mustExist ?? true });
      return wrap(db);
    },
  };
}

function wrap(db: BetterSqlite3.Database): SqliteDatabase {
  return {
    all: (sql, ...params) => db.prepare(sql).all(...params) as Record<string, unknown>[],
    get: (sql, ...params) => db.prepare(sql).get(...params) as Record<string, unknown> | undefined,
    exec: sql => void db.exec(sql),
    run: (sql, ...params) => void db.prepare(sql).run(...params),
    iterate: (sql, ...params) => db.prepare(sql).iterate(...params) as IterableIterator<Record<string, unknown>>,
    exactRows: (sql, ...params) => db.prepare(sql).raw(true).safeIntegers(true).iterate(...params) as IterableIterator<unknown[]>,
    async backupTo(target, { pagesPerStep, onStep }) {
      await db.backup(target, {
        progress: step => onStep(step) || pagesPerStep,
      });
    },
    close: () => void db.close(),
  };
}
