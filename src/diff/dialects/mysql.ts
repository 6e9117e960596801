/**
 * MySQL / MariaDB side of a comparison: rows streamed from one ordered query (mysql2's row
 * stream, so memory stays bounded), every value as the server's text, binary columns as bytes.
 * The session reads TIMESTAMPs in UTC, so the same instant reads the same from any server zone.
 */
import type { Connection as CallbackConnection } from 'mysql2';
import type { Connection, FieldPacket } from 'mysql2/promise';
import type { ServerConnection } from '../../core/connection';
import { CancelledError, LifeboatError } from '../../core/errors';
import { connectMysql } from '../../engines/mysql/connect';
import type { BucketChecksum, BucketFilter, ReadPlan, SourceRow, SqlDialect, TableSource, TargetSession } from '../source';
import type { ColumnInfo, TableRef, ValueKind } from '../types';
import { canonical, type RawValue } from '../values';

const BATCH = 2000;
/** mysql2 parses DOUBLE with its own routine, one ulp off for about 1 in 1000 values: take the
 *  server's text (shortest round-trip) instead, and let values.ts read it as a double. */
function floatsAsText(field: { type: string; string(): string | null }, next: () => unknown): unknown {
  return field.type === 'DOUBLE' || field.type === 'FLOAT' ? field.string() : next();
}

export async function openMysqlSession(connection: ServerConnection, password: string | undefined): Promise<Connection> {
  // mysql2's own parsers, told to lose nothing: text for DECIMAL, BIGINT, dates, JSON and floats,
  // bytes (Buffers) for binary strings.
  const db = await connectMysql(connection, password, { charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, decimalNumbers: false, jsonStrings: true, typeCast: floatsAsText as never });
  // UTC for TIMESTAMPs; backslash escapes on, since mysql2 escapes bound values with them (with
  // NO_BACKSLASH_ESCAPES a value could end its string); ORDER BY over the first 64 KiB of values
  // rather than 1 KiB (max_sort_length), so keyless rows with long equal prefixes sort as
  // compareCells does, with a sort buffer that holds such keys (longer prefixes: a clear error).
  await db.query(`SET time_zone = '+00:00', max_sort_length = 65536, sort_buffer_size = GREATEST(@@SESSION.sort_buffer_size, 16777216),
    sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))`);
  return db;
}

export function quoteMysql(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

export async function openMysqlSource(connection: ServerConnection, password: string | undefined, ref: TableRef): Promise<TableSource> {
  const db = await openMysqlSession(connection, password);
  try {
    return await describe(db, connection, password, ref);
  } catch (error) {
    await db.end().catch(() => undefined);
    throw error;
  }
}

async function describe(db: Connection, connection: ServerConnection, password: string | undefined, ref: TableRef): Promise<TableSource> {
  const [columnRows] = await db.query({ sql: `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, EXTRA FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, values: [ref.name], rowsAsArray: true }) as unknown as [string[][], FieldPacket[]];
  if (columnRows.length === 0) {
    throw new LifeboatError('not-found', `There is no table \`${ref.name}\` in database "${connection.database}" of ${connection.name}.`, 'Check the table name (MySQL table names are case-sensitive on Linux).');
  }
  // MariaDB's JSON is LONGTEXT with a json_valid() check.
  const [checks] = await db.query({ sql: `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?`, values: [ref.name], rowsAsArray: true })
    .catch(() => [[]]) as unknown as [string[][]];
  const jsonChecked = new Set(checks.map(c => /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(c[0]))?.[1]?.replace(/``/g, '`')).filter(Boolean));
  const columns: ColumnInfo[] = columnRows.map(([name, dataType, columnType, nullable, extra]) => ({
    name, type: columnType, nullable: nullable === 'YES',
    kind: jsonChecked.has(name) ? 'json' : mysqlKind(dataType.toLowerCase()),
    ...(/GENERATED|VIRTUAL|PERSISTENT|STORED/i.test(extra) ? { generated: true } : {}),
  }));
  const [indexRows] = await db.query({ sql: `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 AND COLUMN_NAME IS NOT NULL AND SUB_PART IS NULL ORDER BY INDEX_NAME, SEQ_IN_INDEX`, values: [ref.name], rowsAsArray: true }) as unknown as [string[][]];
  const indexes = new Map<string, string[]>();
  for (const [index, column] of indexRows) indexes.set(index, [...(indexes.get(index) ?? []), column]);
  const notNull = new Set(columns.filter(c => !c.nullable).map(c => c.name));
  const primary = indexes.get('PRIMARY') ?? null;
  const uniqueKeys = [...indexes].filter(([name, cols]) => name !== 'PRIMARY' && cols.every(c => notNull.has(c))).map(([, cols]) => cols);
  return new MysqlSource(db, connection, password, ref.name, columns, primary, uniqueKeys);
}

export function mysqlKind(dataType: string): ValueKind {
  switch (dataType) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'int': case 'integer': case 'bigint': case 'year': return 'integer';
    case 'decimal': case 'numeric': return 'decimal';
    case 'float': case 'double': case 'real': return 'float';
    case 'char': case 'varchar': case 'tinytext': case 'text': case 'mediumtext': case 'longtext': case 'enum': case 'set': return 'text';
    case 'binary': case 'varbinary': case 'tinyblob': case 'blob': case 'mediumblob': case 'longblob': case 'bit': return 'bytes';
    case 'json': return 'json';
    case 'uuid': return 'uuid';
    case 'date': return 'date';
    case 'time': return 'time';
    case 'datetime': return 'timestamp';
    case 'timestamp': return 'timestamptz';
    default: return 'other';
  }
}

class MysqlSource implements TableSource {
  readonly engine = 'mysql' as const;
  readonly label: string;
  readonly tableName: string;
  private readonly byName: Map<string, ColumnInfo>;

  constructor(private readonly db: Connection, private readonly connection: ServerConnection, private readonly password: string | undefined, private readonly name: string,
    readonly columns: ColumnInfo[], readonly primaryKey: string[] | null, readonly uniqueKeys: string[][]) {
    this.tableName = quoteMysql(name);
    this.label = `${connection.name} · ${name}`;
    this.byName = new Map(columns.map(c => [c.name, c]));
  }

  async estimateRows(): Promise<number | null> {
    const [rows] = await this.db.query({ sql: 'SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', values: [this.name], rowsAsArray: true }) as unknown as [RawValue[][]];
    const n = Number(rows[0]?.[0] ?? NaN);
    return Number.isFinite(n) ? n : null;
  }

  /** Sorts as values.ts compareCells sorts the canonical values of `kind`: text by its UTF-8 bytes. */
  private orderTerm(name: string, kind: ValueKind): string {
    const column = this.byName.get(name)!;
    const numeric = (k: ValueKind) => k === 'integer' || k === 'decimal' || k === 'float' || k === 'boolean';
    const own = (column.kind === kind && ['date', 'time', 'timestamp', 'timestamptz', 'bytes', 'integer', 'decimal', 'float'].includes(kind))
      || (numeric(column.kind) && numeric(kind)) || (kind === 'timestamptz' && column.kind === 'timestamp');
    return own ? quoteMysql(name) : `CAST(CONVERT(${quoteMysql(name)} USING utf8mb4) AS BINARY)`;
  }

  private keyHash(plan: ReadPlan, keyIndexes: number[]): string {
    return `CRC32(CONCAT_WS(',', ${keyIndexes.map(i => `QUOTE(${quoteMysql(plan.columns[i])})`).join(', ')}))`;
  }

  private bucketWhere(plan: ReadPlan, keyIndexes: number[], filter: BucketFilter | undefined): string {
    return filter ? ` WHERE (${this.keyHash(plan, keyIndexes)} & ${maskOf(filter.bits)}) IN (${filter.buckets.join(',')})` : '';
  }

  async *rows(plan: ReadPlan, signal?: AbortSignal): AsyncIterable<SourceRow[]> {
    const select = [...plan.orderBy.map(i => quoteMysql(plan.columns[i])), ...plan.columns.map(quoteMysql)].join(', ');
    const order = plan.orderBy.map(i => this.orderTerm(plan.columns[i], plan.kinds[i])).join(', ');
    const sql = `SELECT ${select} FROM ${this.tableName}${this.bucketWhere(plan, plan.orderBy, plan.buckets)}${order ? ` ORDER BY ${order}` : ''}`;
    // A second connection for the stream: the first stays free for estimates and checksums.
    const reader = await openMysqlSession(this.connection, this.password);
    // The promise API buffers whole results; the callback connection beneath it streams rows.
    const core = (reader as unknown as { connection: CallbackConnection }).connection;
    const stream = core.query({ sql, rowsAsArray: true }).stream({ highWaterMark: BATCH });
    const abort = () => stream.destroy(new CancelledError('The comparison'));
    signal?.addEventListener('abort', abort, { once: true });
    const keyKinds = plan.orderBy.map(i => plan.kinds[i]);
    const k = keyKinds.length;
    try {
      let batch: SourceRow[] = [];
      for await (const row of stream as AsyncIterable<RawValue[]>) {
        batch.push(new ArrayRow(row, k, keyKinds));
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    } catch (error) {
      if (signal?.aborted) throw new CancelledError('The comparison');
      throw explainMysqlQueryError(error, this.label);
    } finally {
      signal?.removeEventListener('abort', abort);
      reader.destroy();
    }
  }

  async checksums(plan: ReadPlan, keyIndexes: number[], bits: number, within?: BucketFilter): Promise<Map<string, BucketChecksum>> {
    const rowText = `CONCAT_WS(',', ${plan.columns.map(c => `QUOTE(${quoteMysql(c)})`).join(', ')})`;
    const sql = `SELECT CAST(${this.keyHash(plan, keyIndexes)} & ${maskOf(bits)} AS CHAR) AS b, COUNT(*) AS n,
        CAST(SUM(CAST(CONV(LEFT(MD5(${rowText}), 15), 16, 10) AS UNSIGNED)) AS CHAR) AS s
      FROM ${this.tableName}${this.bucketWhere(plan, keyIndexes, within)} GROUP BY 1`;
    try {
      const [rows] = await this.db.query({ sql, rowsAsArray: true }) as unknown as [RawValue[][]];
      return new Map(rows.map(r => [String(r[0]), { rows: Number(r[1]), sum: String(r[2]) }]));
    } catch (error) {
      throw explainMysqlQueryError(error, this.label);
    }
  }

  async close(): Promise<void> {
    await this.db.end().catch(() => undefined);
  }
}

function maskOf(bits: number): string {
  return ((1n << BigInt(bits)) - 1n).toString();
}

/** A row of the ordered query: the key's columns first, then every plan column. */
export class ArrayRow implements SourceRow {
  readonly key: (string | null)[];

  constructor(private readonly row: RawValue[], private readonly keyLength: number, keyKinds: ValueKind[]) {
    this.key = new Array(keyLength);
    for (let i = 0; i < keyLength; i++) this.key[i] = canonical(keyKinds[i], row[i]);
  }

  values(): RawValue[] {
    return this.row.slice(this.keyLength);
  }

  identical(other: SourceRow): boolean {
    if (!(other instanceof ArrayRow) || other.row.length !== this.row.length) return false;
    for (let i = this.keyLength; i < this.row.length; i++) {
      const a = this.row[i], b = other.row[i];
      if (a === b) continue;
      if (a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)) continue;
      return false;
    }
    return true;
  }
}

function explainMysqlQueryError(error: unknown, where: string, hint = 'Check that the connection\'s user may read the table.'): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const e = error as { message?: string; errno?: number; sqlState?: string };
  return new LifeboatError('driver', `MySQL refused a query on ${where}: ${e.message ?? String(error)}${e.errno ? ` (error ${e.errno})` : ''}.`, hint, { cause: error });
}

export const mysqlDialect: SqlDialect = {
  engine: 'mysql',
  quote: quoteMysql,
  table: ref => quoteMysql(ref.name),
  placeholder: () => '?',
  insert: (table, columns, tuples) => `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
  // FLOAT and JSON are bound as the server's text of them: compared as text, since a FLOAT never
  // equals the double a string converts to, and a JSON column never equals a string.
  nullSafeEquals: (column, placeholder, kind) => (kind === 'float' || kind === 'json' ? `CAST(${column} AS CHAR) <=> ${placeholder}` : `${column} <=> ${placeholder}`),
  forUpdate: ' FOR UPDATE',
  deleteLimited: (table, where, limit) => `DELETE FROM ${table} WHERE ${where} LIMIT ${limit}`,
  bind(kind, cell, raw) {
    if (raw !== undefined) return raw;
    if (cell === null) return null;
    switch (kind) {
      case 'boolean': return cell === 'true' ? 1 : cell === 'false' ? 0 : cell;
      case 'bytes': return cell.startsWith('\\x') ? Buffer.from(cell.slice(2), 'hex') : cell;
      case 'timestamptz': return cell.replace(/\+00$/, '');
      default: return cell;
    }
  },
  literal(value) {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    if (value instanceof Uint8Array) return `X'${Buffer.from(value).toString('hex')}'`;
    return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  },
};

export async function openMysqlTarget(connection: ServerConnection, password: string | undefined): Promise<TargetSession> {
  const db = await openMysqlSession(connection, password);
  return {
    dialect: mysqlDialect,
    async begin(table) {
      // MyISAM, Aria, MEMORY… ignore ROLLBACK: a merge that failed halfway would stay half written.
      const [rows] = await db.query({ sql: `SELECT t.ENGINE, e.TRANSACTIONS FROM information_schema.TABLES t LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
        WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = ?`, values: [table.name], rowsAsArray: true }) as unknown as [(string | null)[][]];
      const [engine, transactions] = rows[0] ?? [];
      if (engine && transactions !== 'YES') {
        throw new LifeboatError('unsupported', `${table.name} on ${connection.name} uses the ${engine} storage engine, which has no transactions, so a merge could not be all or nothing.`,
          'Merge into an InnoDB table (ALTER TABLE … ENGINE=InnoDB), or apply the SQL from "lifeboat diff --sql" yourself.');
      }
      await db.query('START TRANSACTION');
    },
    async query(sql, params) {
      try {
        const [result] = await db.query({ sql, values: params, rowsAsArray: true });
        return Array.isArray(result) ? { rows: result as RawValue[][], affected: 0 } : { rows: [], affected: (result as { affectedRows: number }).affectedRows };
      } catch (error) {
        throw Object.assign(explainMysqlQueryError(error, connection.name, 'Nothing was written (the transaction was rolled back). Check that the connection\'s user may read and write the table, and its constraints.'), { sqlState: (error as { sqlState?: string }).sqlState, errno: (error as { errno?: number }).errno });
      }
    },
    commit: async () => { await db.query('COMMIT'); },
    rollback: async () => { await db.query('ROLLBACK').catch(() => undefined); },
    close: async () => { await db.end().catch(() => undefined); },
  };
}
