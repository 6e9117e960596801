import * as fs from 'node:fs';
import * as path from 'node:path';
import { LifeboatError } from '../../../core/errors';
import type { LocalAccount } from '../../../core/localAccount';

/**
 * What turns an unpacked base backup into a recovery sandbox, and never a second production:
 *  - its own port and socket folder (the restored config keeps the source's);
 *  - archive_mode = off: a sandbox that archives writes its timeline history into the
 *    production archive, and a later recovery follows that timeline (reproduced here);
 *  - recovery_target_timeline = 'current' and recovery_target_action = 'promote' (the default
 *    action is pause);
 *  - WAL from the folder Lifeboat staged it in, checked, by restore_command;
 *  - its own pg_hba.conf (the socket folder is private to the sandbox's account, which is
 *    trusted there; TCP on 127.0.0.1 asks for the production passwords);
 *  - nothing that reaches out: no replication from a primary, no synchronous standbys to wait
 *    for, no TLS files that only the production host has, the log in one file Lifeboat reads.
 * They go last in postgresql.auto.conf, which PostgreSQL reads after postgresql.conf; the last
 * value of a setting wins.
 */
export interface SandboxLayout {
  /** The sandbox's folder (0700, the account's): data/, wal/, the log, the socket. */
  dir: string;
  dataDir: string;
  walDir: string;
  logFile: string;
  hbaFile: string;
  /** restore_command's script: hands the server each WAL file once Lifeboat has staged it. */
  fetchScript: string;
}

/** Only plain path characters: the folder goes into restore_command, which the server runs with a shell. */
const PLAIN_PATH = /^[A-Za-z0-9._/-]+$/;
/** Unix socket paths are limited to about 107 bytes: "<dir>/.s.PGSQL.<port>". */
const SOCKET_PATH_LIMIT = 100;

export function sandboxLayout(dir: string): SandboxLayout {
  if (!PLAIN_PATH.test(dir)) throw new LifeboatError('usage', `The sandbox folder ${JSON.stringify(dir)} has characters other than letters, digits, ".", "_", "-" and "/".`, 'Choose a plain folder for sandboxes (--sandbox-dir, lifeboat.postgres.sandboxFolder).');
  if (dir.length + '/.s.PGSQL.65535'.length > SOCKET_PATH_LIMIT) throw new LifeboatError('usage', `The sandbox folder ${dir} is too long for the server's socket (at most ${SOCKET_PATH_LIMIT - 15} characters).`, 'Choose a shorter folder for sandboxes (--sandbox-dir).');
  return { dir, dataDir: path.join(dir, 'data'), walDir: path.join(dir, 'wal'), logFile: path.join(dir, 'postgres.log'), hbaFile: path.join(dir, 'pg_hba.conf'), fetchScript: path.join(dir, 'fetch-wal.sh') };
}

export function sandboxSettings(layout: SandboxLayout, port: number, target: Record<string, string>, major: number): Record<string, string> {
  return {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: layout.dir,
    hba_file: layout.hbaFile,
    ident_file: path.join(layout.dir, 'pg_ident.conf'),
    archive_mode: 'off',
    archive_command: '',
    // Unknown to servers before 15, where a setting it does not know stops it.
    ...(major >= 15 ? { archive_library: '' } : {}),
    restore_command: `${layout.fetchScript} "%f" "%p"`,
    archive_cleanup_command: '',
    recovery_end_command: '',
    recovery_target_timeline: 'current',
    recovery_target_action: 'promote',
    ...target,
    hot_standby: 'on',
    primary_conninfo: '',
    primary_slot_name: '',
    synchronous_standby_names: '',
    logging_collector: 'off',
    log_destination: 'stderr',
    ssl: 'off',
    external_pid_file: '',
    cluster_name: 'lifeboat-sandbox',
  };
}

/** Writes the sandbox's settings, hba and signal files into the unpacked data folder. */
export async function configureSandbox(layout: SandboxLayout, settings: Record<string, string>, owner?: LocalAccount): Promise<void> {
  const { dataDir } = layout;
  // A backup of a cluster whose config lives elsewhere (Debian's /etc/postgresql) has none: the defaults serve.
  const conf = path.join(dataDir, 'postgresql.conf');
  if (!fs.existsSync(conf)) await writeOwned(conf, '# Written by Lifeboat: the base backup held no postgresql.conf.\n', owner);
  const lines = Object.entries(settings).map(([name, value]) => `${name} = '${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`);
  const auto = path.join(dataDir, 'postgresql.auto.conf');
  const before = fs.existsSync(auto) ? await fs.promises.readFile(auto, 'utf8') : '';
  await writeOwned(auto, `${before.replace(/\n?$/, '\n')}# Lifeboat recovery sandbox: these override the settings above.\n${lines.join('\n')}\n`, owner);
  await writeOwned(layout.hbaFile, '# Lifeboat recovery sandbox: the socket folder is private to this account.\nlocal all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n', owner);
  await writeOwned(path.join(layout.dir, 'pg_ident.conf'), '', owner);
  await writeOwned(layout.fetchScript, fetchScript(layout.walDir), owner);
  await fs.promises.chmod(layout.fetchScript, 0o700);
  // A backup of a standby carries standby.signal: the sandbox recovers, then stands alone.
  await fs.promises.rm(path.join(dataDir, 'standby.signal'), { force: true });
  for (const stale of ['postmaster.pid', 'postmaster.opts']) await fs.promises.rm(path.join(dataDir, stale), { force: true });
  await writeOwned(path.join(dataDir, 'recovery.signal'), '', owner);
}

/**
 * restore_command: the server asks for WAL files in order while Lifeboat is still staging the
 * later ones (fetched and checked, in the background), so replay starts as soon as the backup is
 * unpacked. A file Lifeboat will stage has a "<name>.expected" marker until it is in place: the
 * script waits for it; for any other name (the next timeline's history, say) it answers "not
 * archived" at once, as the server expects. A failed staging leaves ".stopped", and every wait
 * ends. The file is looked for again after the marker is gone: staging renames it in first. It
 * is handed over by a hard link (the same file system), not copied: the staged copy is not used
 * again, and copying 16 MB per file cost a second write of all the WAL.
 */
function fetchScript(walDir: string): string {
  return `#!/bin/sh
# Lifeboat recovery sandbox: restore_command "%f" "%p".
w='${walDir}'
while :; do
  if [ -f "$w/$1" ]; then ln -f "$w/$1" "$2" 2>/dev/null || exec cp "$w/$1" "$2"; exit 0; fi
  if [ ! -f "$w/$1.expected" ] || [ -f "$w/.stopped" ]; then
    if [ -f "$w/$1" ]; then ln -f "$w/$1" "$2" 2>/dev/null || exec cp "$w/$1" "$2"; exit 0; fi
    exit 1
  fi
  sleep 0.02
done
`;
}

async function writeOwned(file: string, text: string, owner?: LocalAccount): Promise<void> {
  await fs.promises.writeFile(file, text, { mode: 0o600 });
  if (owner) await fs.promises.chown(file, owner.uid, owner.gid);
}
