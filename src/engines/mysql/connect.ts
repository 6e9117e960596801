import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';
import { explainNetworkError } from '../networkErrors';
import { connectPreferringTls } from '../tlsPreference';
import type { ProbeResult } from '../probe';
import { serverFlavour } from './source';

/** `tls`: whether to use TLS (see tlsPreference.ts); verify-full also checks the certificate. */
export function mysqlClientOptions(c: ServerConnection, password: string | undefined, tls: boolean): ConnectionOptions {
  const ssl = !tls || c.host.startsWith('/') ? undefined : c.ssl === 'verify-full' ? {} : { rejectUnauthorized: false };
  return {
    ...(c.host.startsWith('/') ? { socketPath: c.host } : { host: c.host, port: c.port }),
    user: c.user, database: c.database,
    ...(password !== undefined ? { password } : {}),
    ...(ssl ? { ssl } : {}),
    connectTimeout: 10_000,
  };
}

/** A connection as the connection's settings ask (TLS by preference); errors explained. */
export async function connectMysql(c: ServerConnection, password?: string, extra: ConnectionOptions = {}): Promise<Connection> {
  try {
    return await connectPreferringTls(c.ssl, tls => createConnection({ ...mysqlClientOptions(c, password, tls), ...extra }),
      error => (error as { code?: string }).code === 'HANDSHAKE_NO_SSL_SUPPORT');
  } catch (error) {
    throw explainMysqlError(error, c, password);
  }
}

/** MySQL and MariaDB answer the same protocol; the version string tells them apart. */
export async function probeMysql(c: ServerConnection, password?: string): Promise<ProbeResult> {
  let connection;
  try {
    connection = await connectMysql(c, password);
    const [rows] = await connection.query({ sql: 'SELECT VERSION() AS version, @@version_comment AS comment', timeout: 15_000 });
    const row = (rows as { version: string; comment: string }[])[0];
    const { product, version } = serverFlavour(row.version, row.comment);
    return { product, version, summary: `${product} ${version} · database "${c.database}" · ${row.comment}` };
  } catch (error) {
    throw error instanceof LifeboatError ? error : explainMysqlError(error, c, password);
  } finally {
    await connection?.end().catch(() => undefined);
  }
}

export function explainMysqlError(error: unknown, c: ServerConnection, password?: string): LifeboatError {
  const network = explainNetworkError(error, c);
  if (network) return network;
  const err = error as { code?: string; errno?: number; message?: string };
  switch (err.code) {
    case 'ER_ACCESS_DENIED_ERROR':
      if (password === undefined) {
        return new LifeboatError('connection', `The server on ${c.host}:${c.port} asks user "${c.user}" for a password and none is stored for "${c.name}".`, 'Set the password (Add Connection again, or the CLI\'s passwordEnv / passwordFile).', { cause: error });
      }
      return new LifeboatError('connection', `The server on ${c.host}:${c.port} refused user "${c.user}" with this password.`, 'Check the user name and password (kept in the editor\'s secret storage, or the CLI\'s passwordEnv / passwordFile).', { cause: error });
    case 'ER_BAD_DB_ERROR':
      return new LifeboatError('connection', `The database "${c.database}" does not exist on ${c.host}:${c.port}.`, 'Check the database name of the connection.', { cause: error });
    case 'ER_DBACCESS_DENIED_ERROR':
      return new LifeboatError('connection', `User "${c.user}" may not use the database "${c.database}".`, 'Grant the user access, or use another user.', { cause: error });
  }
  return new LifeboatError('connection', `Could not connect to ${c.host}:${c.port}: ${err.message ?? String(error)}`, undefined, { cause: error });
}
