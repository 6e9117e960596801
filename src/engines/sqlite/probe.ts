import type { SqliteConnection } from '../../core/connection';
import { formatBytes } from '../../core/format';
import type { ProbeResult } from '../probe';
import { loadSqliteDriver } from './loadDriver';
import { listTables, readFacts } from './inspect';
import { explainSqliteError } from './sqliteErrors';
import { checkSqliteSource } from './sourceFile';

/** Opens the file read-only and reports the library, the file's size, journal mode and tables. */
export async function probeSqlite(c: SqliteConnection): Promise<ProbeResult> {
  const source = await checkSqliteSource(c);
  const driver = loadSqliteDriver();
  try {
    const db = driver.open(c.path, { readonly: true });
    try {
      const facts = readFacts(db);
      const tables = listTables(db).length;
      return {
        product: 'SQLite',
        version: driver.sqliteVersion,
        summary: `SQLite ${driver.sqliteVersion} via ${driver.name} ${driver.version} · ${formatBytes(source.size)} · ${tables} tables · ${facts.journalMode} journal${source.warning ? ` · ${source.warning}` : ''}`,
      };
    } finally {
      db.close();
    }
  } catch (error) {
    throw explainSqliteError(error, c.path, 'open the database');
  }
}
