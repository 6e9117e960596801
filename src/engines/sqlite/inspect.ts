import type { SqliteDatabase } from './driver';
import { quoteSqliteIdentifier } from './identifiers';
import type { TableFigures } from '../../core/manifest';

export interface DatabaseFacts {
  pageSize: number;
  pageCount: number;
  freelistCount: number;
  journalMode: string;
  schemaVersion: number;
  userVersion: number;
  applicationId: number;
}

export interface InspectResult extends DatabaseFacts {
  /** ["ok"] or the problems PRAGMA integrity_check listed (at most 100). */
  integrity: string[];
  tables: TableFigures[];
}

export function readFacts(db: SqliteDatabase): DatabaseFacts {
  const pragma = (name: string) => Object.values(db.get(`PRAGMA ${name}`) ?? {})[0];
  return {
    pageSize: Number(pragma('page_size')),
    pageCount: Number(pragma('page_count')),
    freelistCount: Number(pragma('freelist_count')),
    journalMode: String(pragma('journal_mode')),
    schemaVersion: Number(pragma('schema_version')),
    userVersion: Number(pragma('user_version')),
    applicationId: Number(pragma('application_id')),
  };
}

/** Ordinary tables (not SQLite's own, not virtual/shadow tables that need a module). */
export function listTables(db: SqliteDatabase): string[] {
  return db.all("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
    .map(row => String(row.name));
}

export function countRows(db: SqliteDatabase, onTable?: (done: number, total: number) => void): TableFigures[] {
  const tables = listTables(db);
  return tables.map((name, index) => {
    const rows = Number(db.get(`SELECT count(*) AS n FROM ${quoteSqliteIdentifier(name)}`)?.n);
    onTable?.(index + 1, tables.length);
    return { name, rows };
  });
}

/** PRAGMA integrity_check, then row counts: everything Lifeboat asks of a copy before trusting it. */
export function inspectDatabase(db: SqliteDatabase, onStep?: (done: number, total: number) => void): InspectResult {
  // The same 16 MB page cache whichever driver runs it (node:sqlite's default is 2 MB, which
  // makes integrity_check a third slower: bench/sqliteBackup.mjs).
  db.exec('PRAGMA cache_size = -16000');
  const facts = readFacts(db);
  const integrity = db.all('PRAGMA integrity_check').map(row => String(Object.values(row)[0]));
  onStep?.(1, 2);
  const tables = integrity.length === 1 && integrity[0] === 'ok' ? countRows(db) : [];
  onStep?.(2, 2);
  return { ...facts, integrity, tables };
}
