import { Client, type ClientConfig } from 'pg';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { explainNetworkError } from '../networkErrors';
import { connectPreferringTls } from '../tlsPreference';
import type { ProbeResult } from '../probe';

/** `tls`: whether to use TLS (see tlsPreference.ts); verify-full also checks the certificate. */
export function postgresClientConfig(c: ServerConnection, password: string | undefined, tls: boolean): ClientConfig {
  const ssl = !tls || c.host.startsWith('/') ? false : c.ssl === 'verify-full' ? true : { rejectUnauthorized: false };
  return {
    host: c.host, port: c.port, user: c.user, database: c.database,
    ...(password !== undefined ? { password } : {}),
    ssl, connectionTimeoutMillis: 10_000, statement_timeout: 15_000, query_timeout: 20_000, application_name: 'lifeboat',
  };
}

/** A connected client (TLS as the connection asks, see tlsPreference.ts); the caller ends it. */
export async function connectPostgres(c: ServerConnection, password: string | undefined, overrides: Partial<ClientConfig> = {}): Promise<Client> {
  try {
    return await connectPreferringTls(c.ssl, async tls => {
      const attempt = new Client({ ...postgresClientConfig(c, password, tls), ...overrides });
      // A connection that drops while idle (a restart, idle_session_timeout) emits 'error'; unheard,
      // that would end the process. The next query on it fails and says why.
      attempt.on('error', () => undefined);
      try {
        await attempt.connect();
        return attempt;
      } catch (error) {
        await attempt.end().catch(() => undefined);
        throw error;
      }
    }, error => /does not support SSL/i.test((error as Error)?.message ?? ''));
  } catch (error) {
    throw explainPostgresError(error, c, password);
  }
}

export async function probePostgres(c: ServerConnection, password?: string): Promise<ProbeResult> {
  let client: Client | undefined;
  try {
    client = await connectPostgres(c, password);
    const { rows } = await client.query<{ version: string; server_version: string; size: string }>(
      "SELECT version() AS version, current_setting('server_version') AS server_version, pg_database_size(current_database())::text AS size");
    const row = rows[0];
    // "15.20 (Debian 15.20-0+deb12u1)" → "15.20": the number is what versions are compared by.
    const version = row.server_version.split(' ')[0];
    return {
      product: 'PostgreSQL',
      version,
      summary: `PostgreSQL ${version} · database "${c.database}" ${formatBytes(Number(row.size))} · ${row.version.split(',')[0]}`,
    };
  } catch (error) {
    throw error instanceof LifeboatError ? error : explainPostgresError(error, c, password);
  } finally {
    await client?.end().catch(() => undefined);
  }
}

export function explainPostgresError(error: unknown, c: ServerConnection, password?: string): LifeboatError {
  const network = explainNetworkError(error, c);
  if (network) return network;
  const err = error as { code?: string; message?: string };
  const message = err.message ?? String(error);
  switch (err.code) {
    case '28P01':
      return new LifeboatError('connection', `PostgreSQL refused the password for user "${c.user}" on ${c.host}:${c.port}.`, 'Check the password (Lifeboat keeps it in the editor\'s secret storage; set it again with Add Connection).', { cause: error });
    case '28000':
      return new LifeboatError('connection', `PostgreSQL does not let user "${c.user}" connect to "${c.database}" from here: ${message}.`, 'Check the user name and pg_hba.conf on the server.', { cause: error });
    case '3D000':
      return new LifeboatError('connection', `The database "${c.database}" does not exist on ${c.host}:${c.port}.`, 'Check the database name of the connection.', { cause: error });
    case '57P03':
      return new LifeboatError('connection', `PostgreSQL on ${c.host}:${c.port} is starting up or shutting down.`, 'Try again in a moment.', { cause: error });
  }
  if (/password must be a string|no password/i.test(message) && password === undefined) {
    return new LifeboatError('connection', `PostgreSQL on ${c.host}:${c.port} asks for a password and none is stored for "${c.name}".`, 'Set the password (Add Connection again, or the CLI\'s passwordEnv / passwordFile).', { cause: error });
  }
  return new LifeboatError('connection', `Could not connect to PostgreSQL on ${c.host}:${c.port}: ${message}`, undefined, { cause: error });
}
