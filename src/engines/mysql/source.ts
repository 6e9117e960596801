import type { Connection } from 'mysql2/promise';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';
import { connectMysql } from './connect';

export type MysqlProduct = 'MySQL' | 'MariaDB';

/** Where the binary log stood when the backup was asked for; the dump's own position (read from
 *  its header, inside its snapshot) replaces it in the manifest. */
export interface BinlogState {
  on: boolean;
  /** MariaDB @@gtid_binlog_pos, MySQL @@gtid_executed (when gtid_mode is ON). */
  gtid: string | null;
  gtidMode: boolean;
}

export interface MysqlTable {
  name: string;
  /** Base table or view. */
  view: boolean;
  engine: string | null;
  /** data_length + index_length (InnoDB's are estimates, refreshed by ANALYZE). */
  bytes: number;
  estimatedRows: number | null;
}

/** What Lifeboat reads from the server before a dump: flavour, version, tables, binary log. */
export interface MysqlSource {
  product: MysqlProduct;
  version: string;
  versionComment: string;
  charset: string;
  collation: string;
  tables: MysqlTable[];
  binlog: BinlogState;
  close(): Promise<void>;
}

export async function openMysqlSource(c: ServerConnection, password?: string): Promise<MysqlSource> {
  const db = await connectMysql(c, password);
  try {
    const [[server]] = await db.query<Row[]>('SELECT VERSION() AS version, @@version_comment AS comment, @@log_bin AS logBin');
    const { product, version } = serverFlavour(String(server.version), String(server.comment));
    const [[schema]] = await db.query<Row[]>('SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [c.database]);
    if (!schema) throw new LifeboatError('not-found', `The database "${c.database}" does not exist on ${c.host}:${c.port}.`, 'Check the database name of the connection.');
    return {
      product, version, versionComment: String(server.comment),
      charset: String(schema.charset), collation: String(schema.collation),
      tables: await listTables(db, c.database),
      binlog: await binlogState(db, product, Number(server.logBin) === 1),
      // Once: the backup closes it before the dump and again on its way out.
      close: once(() => db.end().catch(() => undefined)),
    };
  } catch (error) {
    await db.end().catch(() => undefined);
    throw error;
  }
}

type Row = import('mysql2/promise').RowDataPacket;

/** MySQL and MariaDB answer the same protocol; the version string tells them apart. */
export function serverFlavour(versionText: string, comment: string): { product: MysqlProduct; version: string } {
  return { product: /mariadb/i.test(`${versionText} ${comment}`) ? 'MariaDB' : 'MySQL', version: versionText.replace(/-.*$/, '') };
}

export async function listTables(db: Connection, database: string): Promise<MysqlTable[]> {
  const [rows] = await db.query<Row[]>(
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) AS bytes, TABLE_ROWS AS estimatedRows
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, [database]);
  return rows.map(r => ({
    name: String(r.name), view: r.type === 'VIEW', engine: r.engine === null ? null : String(r.engine),
    bytes: Number(r.bytes), estimatedRows: r.estimatedRows === null ? null : Number(r.estimatedRows),
  }));
}

async function binlogState(db: Connection, product: MysqlProduct, on: boolean): Promise<BinlogState> {
  if (product === 'MariaDB') {
    const [[row]] = await db.query<Row[]>('SELECT @@gtid_binlog_pos AS gtid');
    const gtid = String(row.gtid ?? '');
    return { on, gtid: on && gtid ? gtid : null, gtidMode: on && gtid !== '' };
  }
  const [[row]] = await db.query<Row[]>('SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS gtid');
  const gtidMode = String(row.mode) === 'ON';
  return { on, gtid: gtidMode ? String(row.gtid).replace(/\s+/g, '') : null, gtidMode };
}

function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= action());
}
