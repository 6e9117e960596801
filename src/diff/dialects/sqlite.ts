/**
 * SQLite side of a comparison: the file opened read-only in this process, rows read in key order
 * in batches. Nothing crosses a wire, so SQLite has no checksum bisection: a streamed comparison
 * reads no more than bisection's checksums would.
 */
import type { SqliteConnection } from '../../core/connection';
import { CancelledError, LifeboatError } from '../../core/errors';
import type { SqliteDatabase } from '../../engines/sqlite/driver';
import { loadSqliteDriver } from '../../engines/sqlite/loadDriver';
import type { ReadPlan, SourceRow, SqlDialect, TableSource, TargetSession } from '../source';
import type { ColumnInfo, TableRef, ValueKind } from '../types';
import type { RawValue } from '../values';
import { ArrayRow } from './mysql';

const BATCH = 2000;

export function quoteSqlite(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function openDatabase(connection: SqliteConnection, readonly: boolean): SqliteDatabase {
  try {
    return loadSqliteDriver().open(connection.path, { readonly, mustExist: true });
  } catch (error) {
    if (error instanceof LifeboatError) throw error;
    throw new LifeboatError('not-found', `Cannot open the SQLite database ${connection.path}: ${(error as Error).message}.`, 'Check that the file exists and is readable.', { cause: error });
  }
}

export async function openSqliteSource(connection: SqliteConnection, ref: TableRef): Promise<TableSource> {
  const db = openDatabase(connection, true);
  try {
    return describe(db, connection, ref);
  } catch (error) {
    db.close();
    throw error;
  }
}

function describe(db: SqliteDatabase, connection: SqliteConnection, ref: TableRef): TableSource {
  const exists = db.get("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = ?", ref.name);
  if (!exists) throw new LifeboatError('not-found', `There is no table "${ref.name}" in ${connection.path}.`, 'Check the table name.');
  const info = db.all(`PRAGMA table_xinfo(${quoteSqlite(ref.name)})`) as { name: string; type: string; notnull: number; pk: number; hidden: number }[];
  const columns: ColumnInfo[] = info.filter(c => c.hidden !== 1).map(c => ({
    name: c.name, type: c.type || '(any)', kind: sqliteKind(c.type), nullable: c.notnull === 0 && c.pk === 0,
    ...(c.hidden === 2 || c.hidden === 3 ? { generated: true } : {}),
  }));
  const pk = info.filter(c => c.pk > 0).sort((a, b) => a.pk - b.pk).map(c => c.name);
  const notNull = new Set(columns.filter(c => !c.nullable).map(c => c.name));
  const uniqueKeys: string[][] = [];
  for (const index of db.all(`PRAGMA index_list(${quoteSqlite(ref.name)})`) as { name: string; unique: number; origin: string; partial: number }[]) {
    if (!index.unique || index.origin === 'pk' || index.partial) continue;
    const cols = (db.all(`PRAGMA index_info(${quoteSqlite(index.name)})`) as { name: string | null }[]).map(c => c.name);
    if (cols.every((c): c is string => c !== null && notNull.has(c))) uniqueKeys.push(cols as string[]);
  }
  return new SqliteSource(db, connection, ref.name, columns, pk.length ? pk : null, uniqueKeys);
}

/** SQLite's affinity rules (datatype3.html §3.1), refined by the declared name where it tells more. */
export function sqliteKind(declared: string): ValueKind {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('DATETIME') || t.includes('TIMESTAMP')) return 'timestamp';
  if (t.includes('DATE')) return 'date';
  if (t.includes('TIME')) return 'time';
  if (t.includes('JSON')) return 'json';
  if (t.includes('UUID')) return 'uuid';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (t.includes('BLOB')) return 'bytes';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'float';
  if (t.includes('DEC') || t.includes('NUMERIC')) return 'decimal';
  return 'other';
}

class SqliteSource implements TableSource {
  readonly engine = 'sqlite' as const;
  readonly label: string;
  readonly tableName: string;

  constructor(private readonly db: SqliteDatabase, connection: SqliteConnection, name: string,
    readonly columns: ColumnInfo[], readonly primaryKey: string[] | null, readonly uniqueKeys: string[][]) {
    this.tableName = quoteSqlite(name);
    this.label = `${connection.name} · ${name}`;
  }

  async estimateRows(): Promise<number | null> {
    return Number(this.db.get(`SELECT count(*) AS n FROM ${this.tableName}`)?.n ?? 0);
  }

  async *rows(plan: ReadPlan, signal?: AbortSignal): AsyncIterable<SourceRow[]> {
    const select = [...plan.orderBy.map((i, n) => `${quoteSqlite(plan.columns[i])} AS k${n}`), ...plan.columns.map((c, n) => `${quoteSqlite(c)} AS c${n}`)].join(', ');
    // BINARY collation whatever the column declares (NOCASE would not match compareUtf8).
    const order = plan.orderBy.map(i => numericKind(plan.kinds[i]) ? quoteSqlite(plan.columns[i]) : `${quoteSqlite(plan.columns[i])} COLLATE BINARY`).join(', ');
    const keyKinds = plan.orderBy.map(i => plan.kinds[i]);
    const rows = this.db.exactRows(`SELECT ${select} FROM ${this.tableName}${order ? ` ORDER BY ${order}` : ''}`);
    let batch: SourceRow[] = [];
    try {
      for (const row of rows) {
        batch.push(new ArrayRow(row as RawValue[], keyKinds.length, keyKinds));
        if (batch.length >= BATCH) {
          if (signal?.aborted) throw new CancelledError('The comparison');
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    } finally {
      rows.return?.();
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function numericKind(kind: ValueKind): boolean {
  return kind === 'integer' || kind === 'decimal' || kind === 'float' || kind === 'boolean';
}

export const sqliteDialect: SqlDialect = {
  engine: 'sqlite',
  quote: quoteSqlite,
  table: ref => quoteSqlite(ref.name),
  placeholder: () => '?',
  insert: (table, columns, tuples) => `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
  nullSafeEquals: (column, placeholder) => `${column} IS ${placeholder}`,
  forUpdate: '',
  deleteLimited: (table, where, limit) => `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${limit})`,
  bind(kind, cell, raw) {
    if (raw !== undefined) return raw;
    if (cell === null) return null;
    switch (kind) {
      case 'integer': return Number.isSafeInteger(Number(cell)) ? Number(cell) : BigInt(cell);
      case 'float': return Number(cell);
      case 'boolean': return cell === 'true' ? 1 : cell === 'false' ? 0 : cell;
      case 'bytes': return cell.startsWith('\\x') ? Buffer.from(cell.slice(2), 'hex') : cell;
      default: return cell;
    }
  },
  literal(value) {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'bigint') return String(value);
    if (typeof value === 'number') return Number.isNaN(value) ? 'NULL' : value === Infinity ? '9e999' : value === -Infinity ? '-9e999' : String(value);
    if (value instanceof Uint8Array) return `X'${Buffer.from(value).toString('hex')}'`;
    return `'${String(value).replace(/'/g, "''")}'`;
  },
};

export async function openSqliteTarget(connection: SqliteConnection): Promise<TargetSession> {
  const db = openDatabase(connection, false);
  return {
    dialect: sqliteDialect,
    // IMMEDIATE: the write lock from the start, so no other writer changes a row between re-check and write.
    begin: async () => { db.exec('BEGIN IMMEDIATE'); },
    async query(sql, params) {
      try {
        if (/^\s*SELECT/i.test(sql)) return { rows: [...db.exactRows(sql, ...params)] as RawValue[][], affected: 0 };
        db.run(sql, ...params);
        return { rows: [], affected: Number(db.get('SELECT changes() AS n')?.n ?? 0) };
      } catch (error) {
        throw new LifeboatError('driver', `SQLite refused a statement on ${connection.path}: ${(error as Error).message}.`, undefined, { cause: error });
      }
    },
    commit: async () => { db.exec('COMMIT'); },
    rollback: async () => { try { db.exec('ROLLBACK'); } catch { /* no transaction open */ } },
    close: async () => { db.close(); },
  };
}
