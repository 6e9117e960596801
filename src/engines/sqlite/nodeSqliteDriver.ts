import * as fs from 'node:fs';
import type { SqliteDatabase, SqliteDriver } from './driver';

/** The parts of Node's built-in node:sqlite that Lifeboat uses (Node >= 22.16 / 23.8 for backup). */
interface NodeSqliteModule {
  DatabaseSync: new (file: string, options?: { readOnly?: boolean }) => NodeDatabaseSync;
  backup?: (source: NodeDatabaseSync, target: string, options?: { rate?: number; progress?: (p: { totalPages: number; remainingPages: number }) => void }) => Promise<number>;
}
interface NodeDatabaseSync {
  prepare(sql: string): { all(...params: unknown[]): unknown[]; get(...params: unknown[]): unknown; run(...params: unknown[]): unknown; iterate(...params: unknown[]): IterableIterator<unknown>; setReadBigInts(enabled: boolean): void };
  exec(sql: string): void;
  close(): void;
}
/** Returns undefined when this runtime has no node:sqlite with the online backup API. */
export function createNodeSqliteDriver(): SqliteDriver | undefined {
  let sqlite: NodeSqliteModule;
  try {
    // A plain require keeps bundlers and older runtimes from failing at load time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sqlite = withoutSqliteExperimentalWarning(() => require('node:sqlite') as NodeSqliteModule);
  } catch {
    return undefined;
  }
  const { DatabaseSync, backup } = sqlite;
  if (typeof backup !== 'function') return undefined;
  const probe = new DatabaseSync(':memory:');
  const sqliteVersion = (probe.prepare('select sqlite_version() as v').get() as { v: string }).v;
  probe.close();
  return {
    name: 'node:sqlite',
    version: process.version,
    sqliteVersion,
    open(file, options = {}) {
      // node:sqlite has no "must exist" flag and would create an empty database.
      if ((options.mustExist ?? true) && !fs.existsSync(file)) {
        const error = new Error(`unable to open database file: ${file}`) as NodeJS.ErrnoException;
        error.code = 'SQLITE_CANTOPEN';
        throw error;
      }
      const db = new DatabaseSync(file, { readOnly: options.readonly ?? false });
      const wrapped: SqliteDatabase = {
        all: (sql, ...params) => db.prepare(sql).all(...params) as Record<string, unknown>[],
        get: (sql, ...params) => db.prepare(sql).get(...params) as Record<string, unknown> | undefined,
        exec: sql => db.exec(sql),
        run: (sql, ...params) => void db.prepare(sql).run(...params),
        iterate: (sql, ...params) => db.prepare(sql).iterate(...params) as IterableIterator<Record<string, unknown>>,
        *exactRows(sql, ...params) {
          const statement = db.prepare(sql);
          statement.setReadBigInts(true);
          for (const row of statement.iterate(...params)) yield Object.values(row as Record<string, unknown>);
        },
        async backupTo(target, { pagesPerStep, onStep }) {
          await backup(db, target, { rate: pagesPerStep, progress: step => void onStep(step) });
        },
        close: () => db.close(),
      };
      return wrapped;
    },
  };
}

/**
 * Runs `load` with Node 22's one-time "ExperimentalWarning: SQLite is an experimental feature"
 * left unprinted (Node 24 no longer prints it): loading node:sqlite is Lifeboat's choice, not
 * something a user of the CLI, or of a SQLite check in the editor's log, can act on. Every other
 * warning, and this one emitted outside `load`, goes through as usual.
 */
export function withoutSqliteExperimentalWarning<T>(load: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && /^SQLite is an experimental feature/.test(text)) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}
