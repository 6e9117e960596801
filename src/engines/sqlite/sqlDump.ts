import * as fs from 'node:fs';
import type { SqliteDatabase } from './driver';
import { quoteSqliteIdentifier } from './identifiers';
import type { DumpResult } from './checkerProtocol';

/**
 * Writes a SQL dump of `db` (a consistent scratch copy, opened read-only) to `target`: what
 * `sqlite3 .dump` writes, made exact and self-contained, without needing the sqlite3 program.
 *  - Values come out as SQLite's own quote() spells them: integers as they are, reals with as
 *    many digits as round-trip exactly (±Inf as ±9.0e+999), text with '' doubled, BLOBs as X'..',
 *    NULL. Text that holds a NUL character (which quote() would cut short) is written as
 *    CAST(X'<its bytes>' AS TEXT).
 *  - Rowids are kept (an explicit rowid column) where a table has one that is not already a
 *    column, so a restore gives every row the same rowid; generated columns are left to SQLite.
 *  - Tables first, with their rows; then sqlite_sequence and the statistics; then indexes,
 *    triggers and views in the order they were created (so what one uses exists); virtual tables
 *    are written into the schema as `.dump` does (their shadow tables hold the data).
 *  - The page size, auto_vacuum, encoding, user_version, application_id and WAL mode are set as
 *    in the source. Everything between the page settings and WAL mode runs in one transaction.
 * Memory stays small: rows are read one at a time and written in 1 MB pieces.
 */
export function writeSqlDump(db: SqliteDatabase, target: string, onTable?: (done: number, total: number) => void): DumpResult {
  const out = new DumpWriter(target);
  try {
    const pragma = (name: string) => Object.values(db.get(`PRAGMA ${name}`) ?? {})[0];
    out.line('PRAGMA foreign_keys=OFF;');
    const encoding = String(pragma('encoding'));
    if (encoding !== 'UTF-8') out.line(`PRAGMA encoding=${quoteText(encoding)};`);
    out.line(`PRAGMA page_size=${Number(pragma('page_size'))};`);
    out.line(`PRAGMA auto_vacuum=${Number(pragma('auto_vacuum'))};`);
    out.line('BEGIN TRANSACTION;');
    const schema = db.all("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
      .map(row => ({ type: String(row.type), name: String(row.name), sql: String(row.sql) }));
    const tables = schema.filter(s => s.type === 'table' && !s.name.startsWith('sqlite_'));
    let writableSchema = false;
    tables.forEach((table, index) => {
      if (/^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(table.sql)) {
        if (!writableSchema) out.line('PRAGMA writable_schema=ON;');
        writableSchema = true;
        out.line(`INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql) VALUES('table',${quoteText(table.name)},${quoteText(table.name)},0,${quoteText(table.sql)});`);
      } else {
        out.line(`${table.sql};`);
        writeRows(db, out, table.name);
      }
      onTable?.(index + 1, tables.length);
    });
    if (schema.some(s => s.name === 'sqlite_sequence')) {
      out.line('DELETE FROM sqlite_sequence;');
      writeRows(db, out, 'sqlite_sequence', false);
    }
    // The planner's statistics: ANALYZE sqlite_schema creates their tables (as `.dump` does),
    // then their rows are put back as they were.
    const statistics = ['sqlite_stat1', 'sqlite_stat4'].filter(name => schema.some(s => s.name === name));
    if (statistics.length > 0) out.line('ANALYZE sqlite_schema;');
    for (const name of statistics) {
      out.line(`DELETE FROM ${name};`);
      writeRows(db, out, name, false);
    }
    for (const item of schema.filter(s => s.type === 'index' || s.type === 'trigger' || s.type === 'view')) out.line(`${item.sql};`);
    if (writableSchema) out.line('PRAGMA writable_schema=OFF;');
    out.line(`PRAGMA user_version=${Number(pragma('user_version'))};`);
    out.line(`PRAGMA application_id=${Number(pragma('application_id'))};`);
    out.line('COMMIT;');
    // A property of the file, not of its content: a database that ran in WAL mode comes back in it.
    if (String(pragma('journal_mode')).toLowerCase() === 'wal') out.line('PRAGMA journal_mode=WAL;');
    return out.close();
  } catch (error) {
    out.abandon();
    throw error;
  }
}

function writeRows(db: SqliteDatabase, out: DumpWriter, table: string, keepRowid = true): void {
  const quoted = quoteSqliteIdentifier(table);
  const columns = db.all(`SELECT name, hidden FROM pragma_table_xinfo(?)`, table)
    .filter(c => Number(c.hidden) === 0).map(c => String(c.name));
  const rowid = keepRowid ? rowidAlias(db, table, columns) : undefined;
  const names = [...(rowid ? [rowid] : []), ...columns];
  const values = names.map(name => {
    const c = quoteSqliteIdentifier(name);
    return `CASE WHEN typeof(${c}) = 'text' AND instr(CAST(${c} AS BLOB), X'00') > 0 THEN 'CAST(X''' || hex(${c}) || ''' AS TEXT)' ELSE quote(${c}) END`;
  });
  const head = `INSERT INTO ${quoted}(${names.map(quoteSqliteIdentifier).join(',')}) VALUES(`;
  for (const row of db.iterate(`SELECT ? || ${values.join(" || ',' || ")} || ');' AS statement FROM ${quoted}`, head)) {
    out.line(String(row.statement));
  }
}

/**
 * The name under which the table's rowid can be written, when the rowid is not already a column
 * (INTEGER PRIMARY KEY) and the table has one (not WITHOUT ROWID); undefined otherwise.
 */
function rowidAlias(db: SqliteDatabase, table: string, columns: string[]): string | undefined {
  const info = db.all('SELECT name, type, pk FROM pragma_table_info(?)', table);
  const keys = info.filter(c => Number(c.pk) > 0);
  if (keys.length === 1 && String(keys[0].type).toUpperCase() === 'INTEGER') return undefined;
  const lower = new Set(columns.map(c => c.toLowerCase()));
  const alias = ['rowid', '_rowid_', 'oid'].find(a => !lower.has(a));
  if (!alias) return undefined;
  try {
    db.get(`SELECT ${alias} FROM ${quoteSqliteIdentifier(table)} LIMIT 1`);
    return alias;
  } catch {
    return undefined;
  }
}

function quoteText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Lines into a file in 1 MB writes; the file is removed if the dump fails. */
class DumpWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private held = 0;
  private bytes = 0;
  statements = 0;

  constructor(private readonly target: string) {
    this.fd = fs.openSync(target, 'wx', 0o600);
  }

  line(statement: string): void {
    this.parts.push(statement, '\n');
    this.held += statement.length + 1;
    this.statements++;
    if (this.held >= 1024 * 1024) this.flush();
  }

  close(): DumpResult {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    return { statements: this.statements, bytes: this.bytes };
  }

  abandon(): void {
    fs.closeSync(this.fd);
    fs.rmSync(this.target, { force: true });
  }

  private flush(): void {
    const data = Buffer.from(this.parts.join(''), 'utf8');
    fs.writeSync(this.fd, data);
    this.bytes += data.length;
    this.parts = [];
    this.held = 0;
  }
}
