import type { Client } from 'pg';
import type { ServerConnection } from '../../core/connection';
import { connectPostgres } from './connect';
import { displayName } from './tableNames';

/**
 * What Lifeboat learns from the server before a dump: its version (to pick the tools), the
 * database's size, encoding and locale (so a restore can create an equal database), every table's
 * size (to weigh progress) and row estimate (for the manifest), and an exported snapshot: pg_dump
 * runs inside it with --snapshot, so the WAL position recorded here is exactly where the dump
 * stands in the server's history (the starting point of a later point-in-time recovery).
 */
export interface SourceTable {
  /** Unambiguous "schema.table" (parts quoted where needed; see tableNames.ts). */
  name: string;
  schema: string;
  table: string;
  kind: 'table' | 'partition' | 'materialized view';
  bytes: number;
  /** pg_class.reltuples: -1 / 0 when never analysed, so null then. */
  estimatedRows: number | null;
  oid: number;
  /** OIDs of its indexes, constraints, triggers, defaults, owned sequences, policies, rules. */
  dependents: number[];
}

export interface PostgresSource {
  version: string;
  versionNum: number;
  database: { name: string; bytes: number; encoding: string; collate: string; ctype: string };
  tables: SourceTable[];
  /** Snapshot id for pg_dump --snapshot, or null when the server cannot export one (a standby). */
  snapshot: string | null;
  /** WAL position of the snapshot (replay position on a standby), and its timeline. */
  lsn: string | null;
  timeline: number | null;
  inRecovery: boolean;
  /** Whether a user trigger sits on a partitioned table or an inheritance parent (see restore.ts:
   *  parallel restores of such databases must load all data before creating triggers). */
  triggersOnParentTables: boolean;
  /** Ends the exporting transaction; call once the dump has finished (or failed). */
  close(): Promise<void>;
}

export async function openSource(c: ServerConnection, password: string | undefined, signal?: AbortSignal): Promise<PostgresSource> {
  // No statement timeout: the connection holds the snapshot open for the whole dump.
  const client = await connectPostgres(c, password, { statement_timeout: 0, query_timeout: 0 });
  const close = () => client.end().catch(() => undefined);
  signal?.addEventListener('abort', () => void close(), { once: true });
  try {
    const info = (await client.query<{ version: string; num: string; bytes: string; encoding: string; collate: string; ctype: string; recovery: boolean }>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
              pg_database_size(d.oid)::text AS bytes, pg_encoding_to_char(d.encoding) AS encoding,
              d.datcollate AS collate, d.datctype AS ctype, pg_is_in_recovery() AS recovery
         FROM pg_database d WHERE d.datname = current_database()`)).rows[0];
    const tables = await listTables(client);
    const triggersOnParentTables = (await client.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                       WHERE NOT t.tgisinternal AND (c.relkind = 'p' OR c.relhassubclass)) AS found`)).rows[0].found;
    await client.query('SET idle_in_transaction_session_timeout = 0');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { snapshot, lsn } = await exportSnapshot(client, info.recovery);
    const timeline = await currentTimeline(client, info.recovery, lsn);
    return {
      version: info.version.split(' ')[0],
      versionNum: Number(info.num),
      database: { name: c.database, bytes: Number(info.bytes), encoding: info.encoding, collate: info.collate, ctype: info.ctype },
      tables,
      snapshot,
      lsn,
      timeline,
      inRecovery: info.recovery,
      triggersOnParentTables,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function listTables(client: Client): Promise<SourceTable[]> {
  const { rows } = await client.query<{ schema: string; table: string; relkind: string; ispartition: boolean; bytes: string; reltuples: number; oid: string; dependents: string[] }>(
    `SELECT n.nspname AS schema, c.relname AS table, c.relkind, c.relispartition AS ispartition,
            pg_table_size(c.oid)::text AS bytes, c.reltuples::float8 AS reltuples, c.oid::int8::text AS oid,
            ARRAY(SELECT indexrelid::int8::text FROM pg_index WHERE indrelid = c.oid
                  UNION SELECT oid::int8::text FROM pg_constraint WHERE conrelid = c.oid
                  UNION SELECT oid::int8::text FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal
                  UNION SELECT oid::int8::text FROM pg_attrdef WHERE adrelid = c.oid
                  UNION SELECT objid::int8::text FROM pg_depend WHERE classid = 'pg_class'::regclass AND refclassid = 'pg_class'::regclass
                                                                  AND refobjid = c.oid AND deptype IN ('a', 'i')
                  UNION SELECT oid::int8::text FROM pg_policy WHERE polrelid = c.oid
                  UNION SELECT oid::int8::text FROM pg_rewrite WHERE ev_class = c.oid AND rulename <> '_RETURN') AS dependents
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2`);
  return rows.map(r => ({
    name: displayName(r.schema, r.table),
    schema: r.schema,
    table: r.table,
    kind: r.relkind === 'm' ? 'materialized view' : r.ispartition ? 'partition' : 'table',
    bytes: Number(r.bytes),
    estimatedRows: r.reltuples > 0 ? Math.round(r.reltuples) : null,
    oid: Number(r.oid),
    dependents: r.dependents.map(Number).sort((a, b) => a - b),
  }));
}

async function exportSnapshot(client: Client, inRecovery: boolean): Promise<{ snapshot: string | null; lsn: string | null }> {
  const lsnSql = inRecovery ? 'pg_last_wal_replay_lsn()::text' : 'pg_current_wal_lsn()::text';
  try {
    return (await client.query<{ snapshot: string; lsn: string | null }>(`SELECT pg_export_snapshot() AS snapshot, ${lsnSql} AS lsn`)).rows[0];
  } catch {
    // Standbys before PostgreSQL 10 cannot export snapshots: pg_dump then takes its own, a
    // moment later, and the position is that moment's.
    await client.query('ROLLBACK');
    const row = (await client.query<{ lsn: string | null }>(`SELECT ${lsnSql} AS lsn`)).rows[0];
    return { snapshot: null, lsn: row.lsn };
  }
}

/** The timeline the LSN belongs to (a point-in-time recovery needs both). Reading it may need
 *  privileges a backup user lacks; then it is left unknown rather than failing the backup. */
async function currentTimeline(client: Client, inRecovery: boolean, lsn: string | null): Promise<number | null> {
  try {
    await client.query('SAVEPOINT timeline');
    const sql = inRecovery || lsn === null
      ? 'SELECT timeline_id AS tli FROM pg_control_checkpoint()'
      : `SELECT ('x' || substr(pg_walfile_name('${lsn.replace(/[^0-9A-F/]/gi, '')}'), 1, 8))::bit(32)::int AS tli`;
    const tli = (await client.query<{ tli: number }>(sql)).rows[0].tli;
    await client.query('RELEASE SAVEPOINT timeline');
    return tli;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT timeline').catch(() => undefined);
    return null;
  }
}

/** Sizes of the tables of a database, for weighing restore progress and listing in the editor. */
export async function tableSizes(c: ServerConnection, password: string | undefined): Promise<SourceTable[]> {
  const client = await connectPostgres(c, password);
  try {
    return await listTables(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
