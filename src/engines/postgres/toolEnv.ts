import * as fsp from 'node:fs/promises';
import { childEnv } from '../../core/childEnv';
import type { ServerConnection } from '../../core/connection';
import type { Scratch } from '../../core/scratch';

/**
 * How pg_dump, pg_restore and psql learn where to connect and with which password. Host, port,
 * user and database go on the command line (they are not secret); the password goes into a
 * password file readable only by this user, named by PGPASSFILE, in the job's private folder of
 * the runtime folder (core/runtimeFolder.ts: removed afterwards, and by the next Lifeboat command
 * if the process is killed). Never in argv, which
 * every user of the machine can read, and never in PGPASSWORD, which ends up in /proc/<pid>/environ.
 */
export async function postgresToolEnv(c: ServerConnection | undefined, password: string | undefined, scratch: Scratch): Promise<NodeJS.ProcessEnv> {
  // Without PGPASSWORD (childEnv drops it): a password inherited from the caller's environment
  // must not override the stored one.
  const env = childEnv();
  for (const key of ['PGSERVICE', 'PGSERVICEFILE', 'PGOPTIONS', 'PGDATABASE', 'PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGUSER']) delete env[key];
  // Without a connection (pg_restore --list of a file) nothing connects.
  if (c) env.PGSSLMODE = c.host.startsWith('/') ? 'disable' : c.ssl ?? 'prefer';
  env.PGAPPNAME = 'lifeboat';
  env.PGCONNECT_TIMEOUT = '10';
  // Messages in English, whatever the user's locale: Lifeboat reads them.
  // LC_ALL would override LC_MESSAGES.
  delete env.LC_ALL;
  env.LC_MESSAGES = 'C';
  env.LANGUAGE = 'C';
  if (c && password !== undefined) {
    const file = await scratch.secretFile('pgpass');
    await fsp.writeFile(file, `*:*:*:${escapePgpass(c.user)}:${escapePgpass(password)}\n`, { mode: 0o600, flag: 'wx' });
    env.PGPASSFILE = file;
  } else {
    env.PGPASSFILE = '/dev/null';
  }
  return env;
}

/** The connection arguments every tool takes; `database` defaults to the connection's. */
export function connectionArgs(c: ServerConnection, database = c.database): string[] {
  // A database name is passed as a conninfo string: a bare name containing "=" would be
  // taken for one.
  return ['--host', c.host, '--port', String(c.port), '--username', c.user, '--no-password', '--dbname', `dbname=${quoteConninfo(database)}`];
}

function escapePgpass(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

function quoteConninfo(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
