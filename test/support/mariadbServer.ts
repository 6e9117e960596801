import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import type { ServerConnection } from '../../src/core/connection';
import { freePort } from './freePort';
import {
  findAccount, findExecutable, isRoot, killNowSync, logTail, makeServerFolder, pathFolders, randomPassword,
  removeFolder, removeFolderSync, runTool, sleep, trackServer, type RunAs,
} from './serverHarness';

/**
 * Throwaway MariaDB servers for integration tests: mariadb-install-db into a temporary folder,
 * mariadbd on a free port of 127.0.0.1 with its own socket, a password user with every privilege,
 * and stop() shuts it down and removes it all. The machine's own MariaDB (3306) is never touched.
 */

export type MariadbSettingValue = string | number | boolean;

export interface StartMariadbOptions {
  /**
   * mariadbd options, written as --name=value (true → --name, false → --skip-name), e.g.
   * { log_bin: 'binlog', server_id: 1, binlog_format: 'ROW' }.
   */
  settings?: Record<string, MariadbSettingValue>;
  /** The test user, created for '%' and 'localhost' with ALL PRIVILEGES; default lifeboat_test. */
  user?: string;
  /** Its password; random by default. */
  password?: string;
  /** A database created empty at start; default "test". */
  database?: string;
  /** A folder holding mariadbd and mariadb-install-db of another build; default: the system's. */
  binDir?: string;
}

export interface MariadbServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The database created at start. */
  readonly database: string;
  /** Where root logs in without a password (over this socket only). */
  readonly socketPath: string;
  /** The temporary folder holding everything below; removed by stop(). */
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pid: number;
  /** VERSION(), e.g. "10.11.19-MariaDB-0+deb12u1". */
  readonly version: string;
  /** A Lifeboat connection to `database` (default: the one created at start) over TCP. */
  connectionFor(database?: string): ServerConnection;
  /** mysql2 options for the test user over TCP. */
  clientOptions(database?: string): ConnectionOptions;
  /** Runs one statement (values bound with ?) as the test user over TCP and returns its result rows. */
  query<Row = Record<string, unknown>>(sql: string, database?: string, params?: unknown[]): Promise<Row[]>;
  /** Runs one statement as root over the socket. */
  queryAsRoot<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** CREATE DATABASE with a quoted name; returns a connection to it. */
  createDatabase(name: string): Promise<ServerConnection>;
  /** Clean shutdown (SIGTERM, then SIGKILL after 60 s), then the folder is removed. Safe to call twice. */
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 60_000;

export async function startMariadb(options: StartMariadbOptions = {}): Promise<MariadbServer> {
  const { mariadbd, installDb } = await mariadbBinaries(options.binDir);
  const user = options.user ?? 'lifeboat_test';
  const password = options.password ?? randomPassword();
  const database = options.database ?? 'test';
  // As root, mariadbd switches to this account itself (--user) and its files must belong to it.
  const runAs = isRoot() ? mysqlAccount() : undefined;
  const dir = await makeServerFolder('lifeboat-maria-', runAs);
  const dataDir = path.join(dir, 'data');
  const socketPath = path.join(dir, 'mysqld.sock');
  const logFile = path.join(dir, 'mariadbd.err');
  const tmpDir = path.join(dir, 'tmp');
  const userOption = runAs ? [`--user=${runAs.user}`] : [];

  let child: ChildProcess | undefined;
  let port = 0;
  const started: { server?: MariadbServer } = {};

  // Tracked from the first moment, so an interrupted start leaves no server and no folder behind.
  const discard = async () => {
    if (child) await endProcess(child, 5_000);
    await removeFolder(dir);
  };
  const untrack = trackServer({
    description: `MariaDB in ${dir}`,
    stop: () => (started.server ? started.server.stop() : discard()),
    killSync: () => {
      if (child?.pid !== undefined) killNowSync(child.pid);
      removeFolderSync(dir);
    },
  });

  const rootOptions: ConnectionOptions = { socketPath, user: 'root', connectTimeout: 10_000 };
  const clientOptions = (db = database): ConnectionOptions => ({
    host: '127.0.0.1', port, user, password, database: db, connectTimeout: 10_000,
  });
  const run = async <Row>(connectionOptions: ConnectionOptions, sql: string, params?: unknown[]): Promise<Row[]> => {
    const connection = await createConnection(connectionOptions);
    try {
      const [rows] = await connection.query(sql, params);
      return rows as Row[];
    } finally {
      await connection.end();
    }
  };

  let version: string;
  try {
    // At start mariadbd deletes every #sql* file in its tmpdir: with the shared /tmp, servers
    // starting side by side (parallel test files) would delete each other's temporary tables.
    await fs.mkdir(tmpDir, { mode: 0o700 });
    if (runAs) await fs.chown(tmpDir, runAs.uid, runAs.gid);
    await runTool(installDb, [
      '--no-defaults', `--datadir=${dataDir}`, `--tmpdir=${tmpDir}`, ...userOption, '--auth-root-authentication-method=normal',
      '--skip-test-db', '--skip-name-resolve',
    ], { cwd: dir, timeoutMs: 120_000 });
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      child = spawn(mariadbd, [
        '--no-defaults', `--datadir=${dataDir}`, `--tmpdir=${tmpDir}`, `--port=${port}`, '--bind-address=127.0.0.1',
        `--socket=${socketPath}`, `--pid-file=${path.join(dir, 'mariadbd.pid')}`, `--log-error=${logFile}`,
        ...userOption, '--skip-name-resolve', '--innodb-buffer-pool-size=64M', '--innodb-flush-log-at-trx-commit=2',
        ...settingArgs(options.settings ?? {}),
      ], { cwd: dir, stdio: 'ignore' });
      // A forgotten stop() must not keep the test process alive; the exit hook kills the server.
      child.unref();
      const outcome = await waitUntilReady(child, socketPath);
      if (outcome === 'ready') break;
      const log = await logTail(logFile);
      if (attempt < PORT_ATTEMPTS && /address already in use|another mysqld server running on port/i.test(log)) continue;
      throw new Error(`MariaDB did not start (${mariadbd}): ${outcome}\nServer log (${logFile}):\n${log}`);
    }
    try {
      version = await createTestUser(rootOptions, user, password, database);
    } catch (error) {
      throw new Error(`MariaDB started on port ${port} but the harness could not set it up: ${(error as Error).message}`, { cause: error });
    }
  } catch (error) {
    untrack();
    await discard();
    throw error;
  }
  const serverProcess = child;

  let stopped = false;
  const ready: MariadbServer = {
    host: '127.0.0.1', port, user, password, database, socketPath, dir, dataDir, logFile,
    pid: serverProcess.pid ?? 0,
    version,
    connectionFor: (db = database) => ({
      engine: 'mysql', id: `test-mariadb-${port}`, name: `Throwaway MariaDB :${port}`,
      host: '127.0.0.1', port, database: db, user,
    }),
    clientOptions,
    query: (sql, db, params) => run(clientOptions(db), sql, params),
    queryAsRoot: (sql, params) => run(rootOptions, sql, params),
    async createDatabase(name) {
      await run(rootOptions, `CREATE DATABASE ${quoteIdentifier(name)}`);
      return ready.connectionFor(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await endProcess(serverProcess, 60_000);
      } finally {
        untrack();
        await removeFolder(dir);
      }
    },
  };
  started.server = ready;
  return ready;
}

export async function mariadbBinaries(binDir: string | undefined): Promise<{ mariadbd: string; installDb: string }> {
  const folders = binDir ? [path.resolve(binDir)] : ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...pathFolders()];
  const mariadbd = await findExecutable('mariadbd', folders);
  const installDb = await findExecutable('mariadb-install-db', folders);
  const missing = [mariadbd ? undefined : 'mariadbd', installDb ? undefined : 'mariadb-install-db'].filter(Boolean);
  if (!mariadbd || !installDb) {
    throw new Error(`${missing.join(' and ')} not found in ${folders.join(', ')}: install the Debian package mariadb-server (apt-get install -y mariadb-server)${binDir ? ' or pass another binDir' : ''}.`);
  }
  return { mariadbd, installDb };
}

export function mysqlAccount(): RunAs {
  const account = findAccount(['mysql']);
  if (!account) throw new Error('The tests run as root and there is no "mysql" user for mariadbd to switch to: install the Debian package mariadb-server, or create the user (useradd -r mysql).');
  return account;
}

export function settingArgs(settings: Record<string, MariadbSettingValue>): string[] {
  return Object.entries(settings).map(([name, value]) => {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) throw new Error(`"${name}" is not a mariadbd option name.`);
    const option = name.replace(/_/g, '-');
    if (value === true) return `--${option}`;
    if (value === false) return `--skip-${option}`;
    return `--${option}=${value}`;
  });
}

/** Polls the socket as root until the server answers, or reports why it never will. */
export async function waitUntilReady(child: ChildProcess, socketPath: string): Promise<'ready' | string> {
  let exit: string | undefined;
  child.once('exit', (code, signal) => { exit = signal ? `mariadbd was killed by ${signal}` : `mariadbd exited with status ${code}`; });
  child.once('error', error => { exit = `mariadbd could not be started: ${error.message}`; });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    if (exit) return exit;
    let connection: Connection | undefined;
    try {
      connection = await createConnection({ socketPath, user: 'root', connectTimeout: 2_000 });
      await connection.query('SELECT 1');
      return 'ready';
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await connection?.end().catch(() => undefined);
    }
    await sleep(100);
  }
  return `it did not accept connections within ${READY_TIMEOUT_MS / 1000} s (last error: ${lastError})`;
}

export async function createTestUser(rootOptions: ConnectionOptions, user: string, password: string, database: string): Promise<string> {
  const root = await createConnection(rootOptions);
  try {
    // Anonymous accounts would shadow user@'%' for some clients, and install-db's password-less
    // root@127.0.0.1 would let anyone on this machine in: root keeps only the socket.
    const [extra] = await root.query("SELECT User AS user, Host AS host FROM mysql.user WHERE User = '' OR (User = 'root' AND Host <> 'localhost')");
    for (const account of extra as { user: string; host: string }[]) await root.query('DROP USER ?@?', [account.user, account.host]);
    for (const host of ['%', 'localhost']) {
      await root.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
      await root.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [user, host]);
    }
    await root.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`);
    const [rows] = await root.query('SELECT VERSION() AS version');
    return (rows as { version: string }[])[0].version;
  } finally {
    await root.end();
  }
}

/** SIGTERM (a clean shutdown for mariadbd), SIGKILL if it has not ended after `graceMs`. */
export async function endProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
