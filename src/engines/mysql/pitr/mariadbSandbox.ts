import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DEFAULT_PORTS, type ServerConnection } from '../../../core/connection';
import { CancelledError, LifeboatError } from '../../../core/errors';
import type { LocalAccount } from '../../../core/localAccount';
import { processGone } from '../../../core/orphans';
import { runTool } from '../../../core/processes';
import { own, pidFromFile } from '../../../core/sandboxFolder';
import { candidateFolders, compareVersions, probeToolFolders } from '../../../core/toolDiscovery';
import { mysqlToolEnv } from '../toolEnv';

/**
 * A MariaDB server made for one recovery: mariadb-install-db into the sandbox's own data folder,
 * then mariadbd with no binary log (replaying production's binlogs on a server that logs would
 * log their GTIDs again: measured, gtid_binlog_pos went backwards) and no TCP port: it answers
 * only on a socket inside the sandbox's 0700 folder, as root without a password, so nobody else
 * on the machine can reach it, and nothing meant for production can land in it by mistake.
 * Started detached: it outlives the command that recovered it, until the user stops it.
 */
export interface MariadbServerTools {
  dir: string;
  version: string;
  mariadbd: string;
  installDb: string;
  /** mariadb-admin, for the stop command shown to people, when it is there. */
  admin?: string;
}

export interface MariadbSandboxLayout {
  dir: string;
  dataDir: string;
  tmpDir: string;
  socket: string;
  pidFile: string;
  logFile: string;
  /** Where archived binary logs are staged for the replay. */
  binlogDir: string;
}

const SOCKET_PATH_LIMIT = 107;
const READY_TIMEOUT_MS = 60_000;

export function mariadbSandboxLayout(dir: string): MariadbSandboxLayout {
  if (path.join(dir, 'mysqld.sock').length > SOCKET_PATH_LIMIT) throw new LifeboatError('usage', `The sandbox folder ${dir} is too long for the server's socket.`, 'Choose a shorter folder for sandboxes (--sandbox-dir).');
  return {
    dir, dataDir: path.join(dir, 'data'), tmpDir: path.join(dir, 'tmp'), socket: path.join(dir, 'mysqld.sock'),
    pidFile: path.join(dir, 'mariadbd.pid'), logFile: path.join(dir, 'mariadbd.err'), binlogDir: path.join(dir, 'binlog'),
  };
}

const USUAL_SERVER_PLACES = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/local/mysql/bin', '/opt/homebrew/opt/mariadb/bin', '/usr/local/opt/mariadb/bin'];

/** mariadbd and mariadb-install-db of at least the production server's major.minor (a dump and its binlogs replay forward, not back). */
export async function findMariadbServer(productionVersion: string, binDir?: string): Promise<MariadbServerTools> {
  const folders = await probeToolFolders('mariadbd', candidateFolders('mariadbd', binDir, USUAL_SERVER_PLACES), banner => /Ver\s+(\d+\.\d+\.\d+)/.exec(banner)?.[1]);
  const minor = productionVersion.split('.').slice(0, 2).join('.');
  const installDb = (dir: string) => ['mariadb-install-db', '../bin/mariadb-install-db', '../scripts/mariadb-install-db'].map(n => path.resolve(dir, n)).find(f => fs.existsSync(f));
  const usable = folders.filter(f => installDb(f.dir) && compareVersions(f.version, minor) >= 0);
  const chosen = usable.find(f => f.source === 'setting') ?? usable.sort((a, b) => compareVersions(a.version, b.version))[0];
  if (!chosen) {
    const seen = folders.length === 0 ? 'no mariadbd' : folders.map(f => `mariadbd ${f.version} in ${f.dir}`).join(', ');
    throw new LifeboatError('not-found', `Recovering this MariaDB ${productionVersion} backup needs a MariaDB server of version ${minor} or newer (mariadbd and mariadb-install-db) to run the sandbox; Lifeboat found ${seen}.`,
      'Install the MariaDB server (Debian/Ubuntu: apt install mariadb-server; RHEL: dnf install mariadb-server; macOS: brew install mariadb), or set mysqlServerBinDir in the config file to the folder that holds mariadbd.');
  }
  const admin = ['mariadb-admin', '../bin/mariadb-admin'].map(n => path.resolve(chosen.dir, n)).find(f => fs.existsSync(f));
  return { dir: chosen.dir, version: chosen.version, mariadbd: path.join(chosen.dir, 'mariadbd'), installDb: installDb(chosen.dir)!, ...(admin ? { admin } : {}) };
}

/** Root over the sandbox's socket: how Lifeboat and the user reach it. */
export function sandboxConnection(layout: MariadbSandboxLayout, database: string, id: string, name: string): ServerConnection {
  // A connection always has a port; over a socket (host is its path) clients leave it unused.
  return { engine: 'mysql', id, name, host: layout.socket, port: DEFAULT_PORTS.mysql, user: 'root', database };
}

/** Makes the data folder and starts the server; resolves when it answers on its socket. */
export async function startMariadbSandbox(tools: MariadbServerTools, layout: MariadbSandboxLayout, account: LocalAccount | undefined, signal?: AbortSignal): Promise<void> {
  for (const dir of [layout.dataDir, layout.tmpDir]) {
    await fs.promises.mkdir(dir, { mode: 0o700 });
    await own(dir, account);
  }
  // As root, both switch to the account themselves (--user); its files must belong to it.
  const userOption = account ? [`--user=${account.user}`] : [];
  await runTool({
    label: 'mariadb-install-db for the sandbox', command: tools.installDb, env: mysqlToolEnv(), signal, cwd: layout.dir,
    args: ['--no-defaults', `--datadir=${layout.dataDir}`, `--tmpdir=${layout.tmpDir}`, ...userOption, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
  }).done;
  const child = spawn(tools.mariadbd, [
    '--no-defaults', `--datadir=${layout.dataDir}`, `--tmpdir=${layout.tmpDir}`, `--socket=${layout.socket}`, `--pid-file=${layout.pidFile}`,
    `--log-error=${layout.logFile}`, ...userOption, '--skip-networking', '--skip-log-bin', '--skip-name-resolve', '--server-id=4294967295',
    // A sandbox is made again rather than recovered after a crash: replay need not wait for the disk.
    '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--innodb-buffer-pool-size=256M', '--max-allowed-packet=1G',
  ], { cwd: layout.dir, stdio: 'ignore', detached: true, env: mysqlToolEnv() });
  child.unref();
  let exited: string | undefined;
  child.once('exit', (code, sig) => { exited = sig ? `killed by ${sig}` : `exited with status ${code}`; });
  child.once('error', error => { exited = `could not be started: ${error.message}`; });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new CancelledError('Starting the sandbox server');
    if (exited) break;
    try {
      const connection = await createConnection({ socketPath: layout.socket, user: 'root', connectTimeout: 2_000 });
      await connection.end();
      return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  const log = await fs.promises.readFile(layout.logFile, 'utf8').catch(() => '');
  const line = log.split('\n').filter(l => /\[ERROR\]/.test(l)).slice(-2).join(' ') || lastError;
  throw new LifeboatError('connection', `The sandbox's mariadbd ${exited ?? `did not answer within ${READY_TIMEOUT_MS / 1000} s`}: ${line}`, `Its log is ${layout.logFile}.`);
}

/** SIGTERM (a clean shutdown), then SIGKILL after `graceMs`; resolves when its process is gone. */
export async function stopMariadbSandbox(layout: MariadbSandboxLayout, graceMs = 30_000): Promise<void> {
  const pid = pidFromFile(layout.pidFile);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (!processGone(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** How a person ends it. */
export function mariadbStopCommand(tools: MariadbServerTools, layout: MariadbSandboxLayout): string[] {
  return tools.admin ? [tools.admin, `--socket=${layout.socket}`, '--user=root', 'shutdown'] : ['kill', `$(cat ${layout.pidFile})`];
}
