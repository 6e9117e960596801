import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

/**
 * What the throwaway-server harnesses (postgresServer.ts, mariadbServer.ts) share: running a
 * server tool as an unprivileged user when the tests run as root, a temporary folder that user
 * owns, clear errors for missing binaries, and a registry that stops every server still running
 * when the tests end, fail or are interrupted.
 */

/** A local account that runs a server's tools when the tests run as root. */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The first of `candidates` that exists on this machine, or undefined. */
export function findAccount(candidates: string[]): RunAs | undefined {
  for (const user of candidates) {
    const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { user, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  return undefined;
}

/** A random password of letters and digits, long enough for any policy. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Throws "<tool> is not at <file>: <remedy>." when `file` is not an executable. */
export async function requireExecutable(file: string, remedy: string): Promise<void> {
  try {
    await fs.access(file, fsConstants.X_OK);
  } catch {
    throw new Error(`${path.basename(file)} is not at ${file}: ${remedy}.`);
  }
}

/** The first folder of `folders` holding an executable `name`. */
export async function findExecutable(name: string, folders: string[]): Promise<string | undefined> {
  for (const folder of folders) {
    const file = path.join(folder, name);
    try {
      await fs.access(file, fsConstants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function pathFolders(): string[] {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
}

/**
 * A fresh 0700 folder for one server, owned by `owner` when given. Unix socket paths are limited
 * to about 107 bytes and the unprivileged owner must be able to reach the folder, so a long or
 * private temporary folder (TMPDIR under /root, say) falls back to /tmp.
 */
export async function makeServerFolder(prefix: string, owner?: RunAs): Promise<string> {
  let base = os.tmpdir();
  if (base.length > 60 || (owner && !reachableByOthers(base))) base = '/tmp';
  const dir = await fs.mkdtemp(path.join(base, prefix));
  await fs.chmod(dir, 0o700);
  if (owner) await fs.chown(dir, owner.uid, owner.gid);
  return dir;
}

/** Whether every folder from `folder` up to / lets other users through (an unprivileged server account reaches it). */
export function reachableByOthers(folder: string): boolean {
  let current = path.resolve(folder);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

export async function removeFolder(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** `command args` as given, or through `runuser -u USER --` when `runAs` is set. */
export function commandFor(command: string, args: string[], runAs?: RunAs): { command: string; args: string[] } {
  return runAs ? { command: 'runuser', args: ['-u', runAs.user, '--', command, ...args] } : { command, args };
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool to its end without a shell. Rejects with the command line and the end of its
 * output when it fails, times out, or cannot be started.
 */
export function runTool(command: string, args: string[], options: { runAs?: RunAs; cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const spec = commandFor(command, args, options.runAs);
  const shown = [command, ...args].join(' ') + (options.runAs ? ` (as ${options.runAs.user})` : '');
  return new Promise((resolve, reject) => {
    // A process group of its own, so that the exit hook can end the tool with everything it
    // started (mariadb-install-db runs a bootstrap mariadbd) before removing their folder.
    const child = spawn(spec.command, spec.args, {
      cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    if (child.pid !== undefined) runningTools.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout = keepTail(stdout + chunk); });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = keepTail(stderr + chunk); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; killGroup(child.pid); }, options.timeoutMs ?? 120_000);
    child.once('error', error => {
      clearTimeout(timer);
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new Error(missing ? `Cannot run ${spec.command}: it is not installed.` : `Cannot run ${shown}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (child.pid !== undefined) runningTools.delete(child.pid);
      if (code === 0) return resolve({ stdout, stderr });
      const why = timedOut ? 'timed out' : signal ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(new Error(`${shown} ${why}:\n${tailLines(`${stdout}\n${stderr}`, 30)}`));
    });
  });
}

/** Process groups of the tools runTool is running now. */
const runningTools = new Set<number>();

function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function keepTail(text: string): string {
  return text.length > 64_000 ? text.slice(-64_000) : text;
}

export function tailLines(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** The last lines of a log file, or a note that it could not be read. */
export async function logTail(file: string, lines = 30): Promise<string> {
  try {
    return tailLines(await fs.readFile(file, 'utf8'), lines);
  } catch (error) {
    return `(could not read ${file}: ${(error as Error).message})`;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** A process id is gone, or a zombie waiting to be reaped (so it runs no more). */
export function processEnded(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Blocks the thread for `ms`: only for the process's last moments, where nothing async runs. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Sends SIGKILL and waits (blocking, up to 5 s) until the process has ended. */
export function killNowSync(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let waited = 0; waited < 5000 && !processEnded(pid); waited += 50) sleepSync(50);
}

/** Kills a process group and waits (blocking, up to 5 s) until none of its processes runs. */
function killGroupNowSync(pgid: number): void {
  killGroup(pgid);
  for (let waited = 0; waited < 5000 && groupRuns(pgid); waited += 50) sleepSync(50);
}

function groupRuns(pgid: number): boolean {
  return runningInGroup(pgid).length > 0;
}

/** The process group of a running process (undefined once it is gone). */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Pids of the processes of a process group that still run (zombies excluded), from /proc. */
export function runningInGroup(pgid: number): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter(name => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return pids.map(Number).filter(pid => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z';
    } catch {
      return false;
    }
  });
}

export function removeFolderSync(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch {
    // the process is ending; a left-over temporary folder is all that remains
  }
}

/** A server the registry can stop politely (async), or kill at once while the process exits. */
export interface TrackedServer {
  description: string;
  stop(): Promise<void>;
  killSync(): void;
}

const running = new Set<TrackedServer>();
let hooksInstalled = false;

/** Registers a started server; its stop() should call the returned function when it is done. */
export function trackServer(server: TrackedServer): () => void {
  installExitHooks();
  running.add(server);
  return () => { running.delete(server); };
}

/** Stops every server still running. Use as `after(stopAllServers)`, or call stopServersAfterTests(). */
export async function stopAllServers(): Promise<void> {
  const results = await Promise.allSettled([...running].map(server => server.stop()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length) throw new AggregateError(failures.map(f => f.reason), 'Some throwaway servers did not stop cleanly.');
}

/** Registers stopAllServers with node:test's `after` for the current suite (or the whole file at top level). */
export function stopServersAfterTests(): void {
  after(stopAllServers);
}

function killAllSync(): void {
  for (const pgid of [...runningTools]) {
    runningTools.delete(pgid);
    killGroupNowSync(pgid);
  }
  for (const server of [...running]) {
    running.delete(server);
    try {
      server.killSync();
    } catch {
      // keep going: the other servers must still be stopped
    }
  }
}

/**
 * A test that throws, a forgotten stop() or Ctrl-C must not leave servers running: on exit and on
 * SIGINT/SIGTERM/SIGHUP, whatever is still registered is stopped synchronously, then the signal
 * takes its usual course.
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
