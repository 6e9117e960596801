/**
 * PostgreSQL side of a comparison. Rows arrive through COPY (… ORDER BY key) TO STDOUT in text
 * form, the fastest way out of the server, and are compared as bytes first: a row whose COPY line
 * is identical on both sides is equal without parsing a field. Values are PostgreSQL's own text
 * output under fixed session settings (UTC, ISO dates, hex bytea, shortest exact floats), which
 * is also what a merge binds back into PostgreSQL, so nothing is reinterpreted on the way.
 */
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ServerConnection } from '../../core/connection';
import { CancelledError, LifeboatError } from '../../core/errors';
import { connectPostgres } from '../../engines/postgres/connect';
import type { BucketChecksum, BucketFilter, ReadPlan, SourceRow, SqlDialect, TableSource, TargetSession } from '../source';
import type { ColumnInfo, TableRef, ValueKind } from '../types';
import { canonical, type RawValue } from '../values';

const SESSION = "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'postgres'; SET extra_float_digits TO 1; SET bytea_output TO 'hex'";

/** Every value as the server's text: no parsing into JavaScript types, nothing lost. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

export async function openPostgresSession(connection: ServerConnection, password: string | undefined): Promise<Client> {
  // No statement timeout: a comparison of a large table reads for as long as it takes.
  const client = await connectPostgres(connection, password, { statement_timeout: 0, query_timeout: 0, types: TEXT_TYPES } as object);
  await client.query(SESSION);
  return client;
}

export function quotePg(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function pgTableName(ref: TableRef): string {
  return ref.schema ? `${quotePg(ref.schema)}.${quotePg(ref.name)}` : quotePg(ref.name);
}

export async function openPostgresSource(connection: ServerConnection, password: string | undefined, ref: TableRef): Promise<TableSource> {
  const client = await openPostgresSession(connection, password);
  try {
    return await describe(client, connection, ref);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

interface PgColumn extends ColumnInfo {
  collatable: boolean;
  /** The type's name (citext, an enum…): COLLATE "C" orders only the built-in text types bytewise. */
  typname: string;
}

async function describe(client: Client, connection: ServerConnection, ref: TableRef): Promise<TableSource> {
  const table = pgTableName({ schema: ref.schema ?? 'public', name: ref.name });
  let oid: string;
  try {
    oid = (await client.query<{ oid: string }>('SELECT $1::regclass::oid AS oid', [table])).rows[0].oid;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '3F000') {
      throw new LifeboatError('not-found', `There is no table ${table} in database "${connection.database}" of ${connection.name}.`, 'Check the schema and table name (names are case-sensitive when quoted).');
    }
    throw error;
  }
  const columns = (await client.query<{ name: string; type: string; typname: string; notnull: string; collation: string; generated: string; identity: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            COALESCE(NULLIF(bt.typname, ''), t.typname) AS typname, a.attnotnull::text AS notnull,
            (a.attcollation <> 0)::text AS collation, (a.attgenerated <> '')::text AS generated, a.attidentity::text AS identity
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [oid])).rows
    .map((c): PgColumn => ({ name: c.name, type: c.type, typname: c.typname, kind: pgKind(c.typname), nullable: c.notnull !== 'true', collatable: c.collation === 'true', ...(c.generated === 'true' ? { generated: true } : {}), ...(c.identity === 'a' ? { identityAlways: true } : {}) }));
  const indexes = (await client.query<{ primary: string; cols: string[] | string }>(
    `SELECT i.indisprimary::text AS primary,
            array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS cols
       FROM pg_index i
      WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indisvalid
      ORDER BY NOT i.indisprimary, i.indexrelid`, [oid])).rows
    .map(r => ({ primary: r.primary === 'true', cols: parseTextArray(r.cols) }));
  const notNull = new Set(columns.filter(c => !c.nullable).map(c => c.name));
  const primary = indexes.find(i => i.primary)?.cols ?? null;
  const uniqueKeys = indexes.filter(i => !i.primary && i.cols.every(c => notNull.has(c))).map(i => i.cols);
  return new PostgresSource(client, connection, table, oid, columns, primary, uniqueKeys);
}

/** node-postgres with text parsers hands arrays over as their text ("{a,\"b c\"}"). */
function parseTextArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.slice(1, -1);
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,]+)/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

export function pgKind(typname: string): ValueKind {
  switch (typname) {
    case 'int2': case 'int4': case 'int8': case 'oid': return 'integer';
    case 'numeric': return 'decimal';
    case 'float4': case 'float8': return 'float';
    case 'bool': return 'boolean';
    case 'text': case 'varchar': case 'bpchar': case 'name': case 'citext': case 'char': return 'text';
    case 'bytea': return 'bytes';
    case 'json': case 'jsonb': return 'json';
    case 'uuid': return 'uuid';
    case 'date': return 'date';
    case 'time': return 'time';
    case 'timestamp': return 'timestamp';
    case 'timestamptz': return 'timestamptz';
    default: return 'other';
  }
}

class PostgresSource implements TableSource {
  readonly engine = 'postgres' as const;
  readonly label: string;
  private readonly byName: Map<string, PgColumn>;

  constructor(private readonly client: Client, connection: ServerConnection, readonly tableName: string, private readonly oid: string,
    readonly columns: PgColumn[], readonly primaryKey: string[] | null, readonly uniqueKeys: string[][]) {
    this.label = `${connection.name} · ${tableName}`;
    this.byName = new Map(columns.map(c => [c.name, c]));
  }

  async estimateRows(): Promise<number | null> {
    const { rows } = await this.client.query<{ n: string }>('SELECT reltuples::bigint::text AS n FROM pg_class WHERE oid = $1', [this.oid]);
    const n = Number(rows[0]?.n ?? -1);
    return n >= 0 ? n : null;
  }

  /** An ORDER BY term that sorts as values.ts compareCells sorts the canonical values of `kind`. */
  private orderTerm(name: string, kind: ValueKind): string {
    const column = this.byName.get(name)!;
    const ownOrder = column.kind === kind || (isNumeric(column.kind) && isNumeric(kind)) || (kind === 'timestamptz' && column.kind === 'timestamp');
    if (ownOrder && kind !== 'text' && kind !== 'other' && kind !== 'json') return quotePg(name);
    const builtinText = column.collatable && ['text', 'varchar', 'bpchar', 'name'].includes(column.typname);
    return builtinText ? `${quotePg(name)} COLLATE "C"` : `${quotePg(name)}::text COLLATE "C"`;
  }

  private keyHash(plan: ReadPlan, keyIndexes: number[]): string {
    return `hashtextextended(ROW(${keyIndexes.map(i => quotePg(plan.columns[i])).join(', ')})::text, 0)`;
  }

  private bucketWhere(plan: ReadPlan, keyIndexes: number[], filter: BucketFilter | undefined): string {
    if (!filter) return '';
    // Bucket numbers are bigints we computed: inlined as an array literal (COPY takes no parameters).
    return ` WHERE (${this.keyHash(plan, keyIndexes)} & ${mask(filter.bits)}) = ANY('{${filter.buckets.join(',')}}'::bigint[])`;
  }

  async *rows(plan: ReadPlan, signal?: AbortSignal): AsyncIterable<SourceRow[]> {
    const keyTerms = plan.orderBy.map(i => quotePg(plan.columns[i]));
    const select = [...keyTerms, ...plan.columns.map(quotePg)].join(', ');
    // NULLS FIRST: PostgreSQL puts NULL last by default; values.ts, MySQL and SQLite put it first.
    // Only where NULL can occur: on a NOT NULL key it would stop PostgreSQL reading the key's
    // index in order and make it sort the whole table instead (measured: 2x slower).
    const order = plan.orderBy.map(i => {
      const term = this.orderTerm(plan.columns[i], plan.kinds[i]);
      return this.byName.get(plan.columns[i])!.nullable ? `${term} NULLS FIRST` : term;
    }).join(', ');
    const sql = `COPY (SELECT ${select} FROM ${this.tableName}${this.bucketWhere(plan, plan.orderBy, plan.buckets)}${order ? ` ORDER BY ${order}` : ''}) TO STDOUT`;
    const stream = this.client.query(copyTo(sql));
    const abort = () => stream.destroy(new CancelledError('The comparison'));
    signal?.addEventListener('abort', abort, { once: true });
    const keyKinds = plan.orderBy.map(i => plan.kinds[i]);
    let carry: Buffer | undefined;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const data = carry ? Buffer.concat([carry, chunk]) : chunk;
        const batch: SourceRow[] = [];
        let start = 0;
        for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
          batch.push(new CopyRow(data.subarray(start, end), keyKinds));
          start = end + 1;
        }
        carry = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
        if (batch.length) yield batch;
      }
    } catch (error) {
      if (signal?.aborted) throw new CancelledError('The comparison');
      throw explainPgError(error, this.label);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  async checksums(plan: ReadPlan, keyIndexes: number[], bits: number, within?: BucketFilter): Promise<Map<string, BucketChecksum>> {
    const rowHash = `hashtextextended(ROW(${plan.columns.map(quotePg).join(', ')})::text, 1)`;
    const sql = `SELECT (${this.keyHash(plan, keyIndexes)} & ${mask(bits)})::text AS b, count(*)::text AS n, sum(${rowHash}::numeric)::text AS s
      FROM ${this.tableName}${this.bucketWhere(plan, keyIndexes, within)} GROUP BY 1`;
    try {
      const { rows } = await this.client.query<{ b: string; n: string; s: string }>(sql);
      return new Map(rows.map(r => [r.b, { rows: Number(r.n), sum: r.s }]));
    } catch (error) {
      throw explainPgError(error, this.label);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

function isNumeric(kind: ValueKind): boolean {
  return kind === 'integer' || kind === 'decimal' || kind === 'float';
}

function mask(bits: number): string {
  return ((1n << BigInt(bits)) - 1n).toString();
}

/** One COPY text line: the key's fields first (in order-by order), then every plan column. */
class CopyRow implements SourceRow {
  readonly key: (string | null)[];
  private readonly valuesStart: number;

  constructor(private readonly line: Buffer, keyKinds: ValueKind[]) {
    this.key = new Array(keyKinds.length);
    let start = 0;
    for (let k = 0; k < keyKinds.length; k++) {
      let end = line.indexOf(9, start);
      if (end === -1) end = line.length;
      this.key[k] = canonical(keyKinds[k], copyField(line, start, end));
      start = end + 1;
    }
    this.valuesStart = start;
  }

  values(): RawValue[] {
    const out: RawValue[] = [];
    let start = this.valuesStart;
    for (;;) {
      let end = this.line.indexOf(9, start);
      const last = end === -1;
      if (last) end = this.line.length;
      out.push(copyField(this.line, start, end));
      if (last) return out;
      start = end + 1;
    }
  }

  identical(other: SourceRow): boolean {
    return other instanceof CopyRow && this.line.equals(other.line);
  }
}

/** A field of COPY's text format: \N is NULL; backslash escapes undone. */
function copyField(line: Buffer, start: number, end: number): string | null {
  if (end - start === 2 && line[start] === 92 && line[start + 1] === 78) return null;
  const text = line.toString('utf8', start, end);
  return text.includes('\\') ? unescapeCopy(text) : text;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeCopy(text: string): string {
  return text.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/g, (_m, octal?: string, hex?: string, char?: string) =>
    octal ? String.fromCharCode(parseInt(octal, 8)) : hex ? String.fromCharCode(parseInt(hex, 16)) : ESCAPES[char!] ?? char!);
}

export function explainPgError(error: unknown, where: string, hint = 'Check that the connection\'s user may read the table.'): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const e = error as { message?: string; code?: string };
  return new LifeboatError('driver', `PostgreSQL refused a query on ${where}: ${e.message ?? String(error)}${e.code ? ` (SQLSTATE ${e.code})` : ''}.`, hint, { cause: error });
}

const WRITE_HINT = 'Nothing was written (the transaction was rolled back). Check that the connection\'s user may read and write the table, and its constraints.';

export const postgresDialect: SqlDialect = {
  engine: 'postgres',
  quote: quotePg,
  table: pgTableName,
  placeholder: n => `$${n}`,
  insert: (table, columns, tuples, overridingIdentity) => `INSERT INTO ${table} (${columns.join(', ')})${overridingIdentity ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES ${tuples.join(', ')}`,
  // json has no equality operator; its text is what the comparison saw.
  nullSafeEquals: (column, placeholder) => `${column}::text IS NOT DISTINCT FROM ${placeholder}`,
  forUpdate: ' FOR UPDATE',
  deleteLimited: (table, where, limit) => `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${where} LIMIT ${limit})`,
  // PostgreSQL takes every canonical form as input text (booleans, '\x…' bytea, '…+00' times).
  bind: (_kind, cell, raw) => (raw !== undefined ? raw : cell),
  // Bound values are PostgreSQL's own text (standard_conforming_strings: a backslash is itself).
  literal: value => (value === null || value === undefined ? 'NULL' : typeof value === 'number' || typeof value === 'bigint' ? String(value) : `'${String(value).replace(/'/g, "''")}'`),
};

export async function openPostgresTarget(connection: ServerConnection, password: string | undefined): Promise<TargetSession> {
  const client = await openPostgresSession(connection, password);
  const where = `${connection.name}`;
  return {
    dialect: postgresDialect,
    async begin(table, exclusive) {
      await client.query('BEGIN');
      // Keyless rows cannot be locked one by one: no writer may change the table until commit.
      if (exclusive) await client.query(`LOCK TABLE ${pgTableName(table)} IN SHARE ROW EXCLUSIVE MODE`);
    },
    async query(sql, params) {
      try {
        const result = await client.query({ text: sql, values: params, rowMode: 'array' });
        return { rows: result.rows as RawValue[][], affected: result.rowCount ?? 0 };
      } catch (error) {
        throw Object.assign(explainPgError(error, where, WRITE_HINT), { sqlState: (error as { code?: string }).code });
      }
    },
    commit: async () => { await client.query('COMMIT'); },
    rollback: async () => { await client.query('ROLLBACK').catch(() => undefined); },
    close: async () => { await client.end().catch(() => undefined); },
  };
}
