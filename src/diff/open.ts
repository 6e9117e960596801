/**
 * Opens a side of a comparison or a merge target by the connection's engine: the one place that
 * picks a dialect.
 */
import type { Connection } from '../core/connection';
import { LifeboatError } from '../core/errors';
import type { SqlDialect, TableSource, TargetSession } from './source';
import type { TableRef } from './types';
import { openMysqlSession, openMysqlSource, openMysqlTarget, mysqlDialect } from './dialects/mysql';
import { openPostgresSession, openPostgresSource, openPostgresTarget, postgresDialect } from './dialects/postgres';
import { openSqliteSource, openSqliteTarget, sqliteDialect } from './dialects/sqlite';
import { loadSqliteDriver } from '../engines/sqlite/loadDriver';

export interface Reachable {
  connection: Connection;
  password?: string;
}

export function openSource(side: Reachable, table: TableRef): Promise<TableSource> {
  const c = side.connection;
  if (c.engine === 'sqlite') return openSqliteSource(c, table);
  if (c.engine === 'postgres') return openPostgresSource(c, side.password, table);
  return openMysqlSource(c, side.password, table);
}

export function openTarget(side: Reachable): Promise<TargetSession> {
  const c = side.connection;
  if (c.engine === 'sqlite') return openSqliteTarget(c);
  if (c.engine === 'postgres') return openPostgresTarget(c, side.password);
  return openMysqlTarget(c, side.password);
}

export function dialectOf(engine: Connection['engine']): SqlDialect {
  return engine === 'sqlite' ? sqliteDialect : engine === 'postgres' ? postgresDialect : mysqlDialect;
}

/** The tables a person can compare on a connection (no views, no system schemas), sorted. */
export async function listTables(side: Reachable): Promise<TableRef[]> {
  const c = side.connection;
  if (c.engine === 'sqlite') {
    const db = loadSqliteDriver().open(c.path, { readonly: true });
    try {
      return db.all("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").map(r => ({ name: String(r.name) }));
    } finally {
      db.close();
    }
  }
  if (c.engine === 'postgres') {
    const client = await openPostgresSession(c, side.password);
    try {
      const { rows } = await client.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
          ORDER BY 1, 2`);
      return rows.map(r => ({ schema: r.schema, name: r.name }));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const db = await openMysqlSession(c, side.password);
  try {
    const [rows] = await db.query({ sql: "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", rowsAsArray: true });
    return (rows as string[][]).map(r => ({ name: String(r[0]) }));
  } finally {
    await db.end().catch(() => undefined);
  }
}

export function describeTable(ref: TableRef): string {
  return ref.schema ? `${ref.schema}.${ref.name}` : ref.name;
}

/**
 * A table as a person types it: PostgreSQL "schema.table" (either part may be double-quoted:
 * '"My Schema"."Odd.Name"'; no schema means public), MySQL and SQLite just the name.
 */
export function parseTableRef(text: string, engine: Connection['engine']): TableRef {
  if (engine !== 'postgres') return { name: text };
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length) {
    if (rest.startsWith('"')) {
      const m = /^"((?:[^"]|"")*)"/.exec(rest);
      if (!m) throw new LifeboatError('usage', `The table name ${text} has an unclosed double quote.`);
      parts.push(m[1].replace(/""/g, '"'));
      rest = rest.slice(m[0].length);
    } else {
      const dot = rest.indexOf('.');
      parts.push(dot === -1 ? rest : rest.slice(0, dot));
      rest = dot === -1 ? '' : rest.slice(dot);
    }
    if (rest.startsWith('.')) rest = rest.slice(1);
    else if (rest.length) throw new LifeboatError('usage', `The table name ${text} is not schema.table.`);
  }
  if (parts.length === 1) return { schema: 'public', name: parts[0] };
  if (parts.length === 2) return { schema: parts[0], name: parts[1] };
  throw new LifeboatError('usage', `The table name ${text} has more than two parts.`, 'Give schema.table, quoting a part that holds a dot.');
}

/** The keys a comparison of this table can match rows by: its primary key, its unique keys of NOT NULL columns. */
export async function tableKeys(side: Reachable, table: TableRef): Promise<{ primaryKey: string[] | null; uniqueKeys: string[][]; columns: string[] }> {
  const source = await openSource(side, table);
  try {
    return { primaryKey: source.primaryKey, uniqueKeys: source.uniqueKeys, columns: source.columns.map(c => c.name) };
  } finally {
    await source.close();
  }
}
