import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import assert from 'node:assert/strict';
import { CLI, ROOT, json, type CliResult } from './cli';
import type { PostgresServer } from './postgresServer';
import { findAccount, isRoot, makeServerFolder, reachableByOthers, type RunAs } from './serverHarness';

/**
 * What point-in-time recovery tests share. The throwaway server runs archive_command itself, as
 * its own account (postgres, when the tests run as root), so that account must reach this
 * Lifeboat (its Node and dist/) and write into the archive: a clone under a private folder
 * (mktemp's, /root) gets a copy of both in /tmp, made once per build.
 */

/** The account the test servers run as (postgresServer.ts picks the same), or none when not root. */
export function serverRunAs(): RunAs | undefined {
  return isRoot() ? findAccount(['postgres', 'nobody']) : undefined;
}

/** [node, cli.js] that `account` can run. */
export function reachableLifeboat(account: RunAs | undefined): string[] {
  if (!account || (reachableByOthers(path.dirname(process.execPath)) && reachableByOthers(path.dirname(CLI)))) return [process.execPath, CLI];
  const dist = path.dirname(CLI);
  const files = ['cli.js', 'lifeboatCli.js', 's3Destination.js'];
  const stamp = createHash('sha256').update(process.execPath).update(files.map(f => String(fs.statSync(path.join(dist, f)).mtimeMs)).join()).digest('hex').slice(0, 12);
  const copy = path.join('/tmp', `lifeboat-cli-${stamp}`);
  if (!fs.existsSync(path.join(copy, 'ready'))) {
    fs.rmSync(copy, { recursive: true, force: true });
    fs.mkdirSync(path.join(copy, 'dist'), { recursive: true, mode: 0o755 });
    fs.copyFileSync(process.execPath, path.join(copy, 'node'));
    fs.chmodSync(path.join(copy, 'node'), 0o755);
    for (const f of files) fs.copyFileSync(path.join(dist, f), path.join(copy, 'dist', f));
    fs.chmodSync(copy, 0o755);
    fs.writeFileSync(path.join(copy, 'ready'), '');
  }
  return [path.join(copy, 'node'), path.join(copy, 'dist', 'cli.js')];
}

/** A folder for a PITR test: the backup folder (with the connection's WAL folder owned by the
 *  server's account, which archives into it), the sandboxes' folder, the config file. */
export async function pitrFolder(account: RunAs | undefined, connectionId: string) {
  const dir = await makeServerFolder('lifeboat-pitr-');
  // The server's account walks through it to the archive; the sandboxes are each their own 0700.
  await fs.promises.chmod(dir, 0o755);
  if (account) await fs.promises.chown(dir, 0, 0);
  const backups = path.join(dir, 'backups');
  const wal = path.join(backups, connectionId, 'wal');
  await fs.promises.mkdir(wal, { recursive: true, mode: 0o755 });
  for (const folder of [backups, path.dirname(wal)]) await fs.promises.chmod(folder, 0o755);
  if (account) await fs.promises.chown(wal, account.uid, account.gid);
  return { dir, backups, wal, sandboxes: path.join(dir, 'sandboxes'), config: path.join(dir, 'lifeboat.json'), remove: () => fs.promises.rm(dir, { recursive: true, force: true }) };
}

/** Switches WAL and waits until the server has archived the file it left. */
export async function switchAndWaitArchived(server: PostgresServer, timeoutMs = 30_000): Promise<string> {
  const [{ name }] = await server.query<{ name: string }>("SELECT pg_walfile_name(pg_switch_wal()) AS name FROM (SELECT pg_logical_emit_message(false, 'test', 'switch')) AS m");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await server.query<{ last: string | null; failed: string; last_failed: string | null }>('SELECT last_archived_wal AS last, failed_count::text AS failed, last_failed_wal AS last_failed FROM pg_stat_archiver');
    if (row.last && row.last >= name) return name;
    if (Date.now() > deadline) throw new Error(`${name} was not archived in time (failed ${row.failed}, last failed ${row.last_failed}); server log: ${fs.readFileSync(server.logFile, 'utf8').split('\n').filter(l => /archive/.test(l)).slice(-4).join(' | ')}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** Rows of `sql` in a sandbox, over its socket (trusted there), as `user`. */
export async function sandboxQuery<Row>(sandbox: { dir: string; port: number; connection: { user: string; database: string } }, sql: string): Promise<Row[]> {
  const client = new Client({ host: sandbox.dir, port: sandbox.port, user: sandbox.connection.user, database: sandbox.connection.database });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** `lifeboat pitr restore <connection> …args --json`, asserted to succeed; the sandbox it made is added to `made` (for the tests' clean-up). */
export async function restoreIntoSandbox<Sandbox>(cli: { run(...args: string[]): Promise<CliResult> }, connection: string, made: Sandbox[], args: string[]): Promise<Sandbox> {
  const result = await cli.run('pitr', 'restore', connection, ...args);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const sandbox = json<{ sandbox: Sandbox }>(result).sandbox;
  made.push(sandbox);
  return sandbox;
}

export { ROOT };
