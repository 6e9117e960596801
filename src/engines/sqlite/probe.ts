import * as fsp from 'node:fs/promises';
import type { SqliteConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';
import { formatBytes } from '../../core/format';
import type { ProbeResult } from '../probe';
import { loadSqliteDriver } from './loadDriver';
import { listTables, readFacts } from './inspect';
import { explainSqliteError } from './sqliteErrors';

/** Opens the file read-only and reports the library, the file's size, journal mode and tables. */
export async function probeSqlite(c: SqliteConnection): Promise<ProbeResult> {
  const stat = await fsp.stat(c.path).catch(() => {
    throw new LifeboatError('not-found', `The SQLite database ${c.path} does not exist.`, `Check the path of connection "${c.name}".`);
  });
  const driver = loadSqliteDriver();
  try {
    const db = driver.open(c.path, { readonly: true });
    try {
      const facts = readFacts(db);
      const tables = listTables(db).length;
      return {
        product: 'SQLite',
        version: driver.sqliteVersion,
        summary: `SQLite ${driver.sqliteVersion} via ${driver.name} ${driver.version} · ${formatBytes(stat.size)} · ${tables} tables · ${facts.journalMode} journal`,
      };
    } finally {
      db.close();
    }
  } catch (error) {
    throw explainSqliteError(error, c.path, 'open the database');
  }
}
