import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { childEnv } from './childEnv';
import { CancelledError, LifeboatError, causedBy, isCancelled } from './errors';
import { groupEnded, killGroup } from './processGroup';

/**
 * Runs a database tool (pg_dump, pg_restore, psql, mariadb-dump…) as a child in its own process
 * group, so that Cancel stops it and everything it started (pg_dump -j forks workers): SIGTERM to
 * the group, then SIGKILL if it is still there after a grace period.
 *
 * Its stderr is read line by line (tools report progress there with --verbose) and kept whole in
 * a log file when one is given, so an error can be shown as the tool's own words and the full
 * log looked at afterwards.
 */
export interface ToolRun {
  readonly child: ChildProcess;
  /** Resolves when the tool exits with status 0; rejects with a LifeboatError otherwise. */
  readonly done: Promise<void>;
  /** The last lines the tool wrote to stderr. */
  stderrTail(): string[];
}

export interface RunToolOptions {
  /** What it does, for messages: "pg_dump of crm". */
  label: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** stdin and stdout: 'pipe' to stream through Lifeboat, 'ignore', or a file descriptor; stdin
   *  may also be another tool's stdout, joined by an OS pipe (and no longer readable here). */
  stdin?: 'pipe' | 'ignore' | number | Readable;
  stdout?: 'pipe' | 'ignore' | number;
  signal?: AbortSignal;
  onStderrLine?: (line: string) => void;
  /** Every stderr line is appended here (created 0600). */
  logFile?: string;
  /** Run as this account (a recovery sandbox's server, which refuses root), in `cwd`. */
  as?: { uid: number; gid: number };
  cwd?: string;
  /** Turns the tool's failure into the error a person should see (wrong password, disk full). */
  explain?: (stderr: string[], exitCode: number | null, signal: NodeJS.Signals | null) => LifeboatError | undefined;
}

const KILL_GRACE_MS = 3_000;
const TAIL_LINES = 40;

export function runTool(options: RunToolOptions): ToolRun {
  const stdio: StdioOptions = [options.stdin ?? 'ignore', options.stdout ?? 'ignore', 'pipe'];
  // Its own process group on POSIX, so the whole group can be signalled; Windows has no groups
  // (taskkill /T stops the tree) and would open a console window for a detached child.
  const posix = process.platform !== 'win32';
  const child = spawn(options.command, options.args, {
    env: childEnv(options.env), stdio, detached: posix, windowsHide: true,
    ...(options.as ? { uid: options.as.uid, gid: options.as.gid } : {}), ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  // Lifeboat's own end of a pipe it handed over: closed, so that when this tool exits the writer
  // gets EPIPE instead of filling a pipe nobody reads.
  if (typeof options.stdin === 'object') options.stdin.destroy();
  const tail: string[] = [];
  const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a', mode: 0o600 }) : undefined;
  // A log that cannot be written (disk full) must not take the process down; the tool's own
  // error, or the job's, says what went wrong.
  log?.on('error', () => undefined);
  const logClosed = log ? new Promise<void>(resolve => log.once('close', () => resolve())) : Promise.resolve();
  let pending = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    log?.write(text);
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) take(line);
  });
  function take(line: string) {
    if (!line) return;
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    options.onStderrLine?.(line);
  }

  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    killGroup(child, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });

  const done = new Promise<void>((resolve, reject) => {
    child.once('error', error => {
      log?.end();
      options.signal?.removeEventListener('abort', stop);
      const code = (error as NodeJS.ErrnoException).code;
      reject(code === 'ENOENT'
        ? new LifeboatError('not-found', `${options.command} could not be started: it does not exist.`, 'Install the client tools or set the folder they are in.', { cause: error })
        : new LifeboatError('io', `${options.label} could not be started: ${error.message}`, undefined, { cause: error }));
    });
    child.once('close', (exitCode, exitSignal) => {
      if (pending) take(pending);
      pending = '';
      options.signal?.removeEventListener('abort', stop);
      log?.end();
      void (async () => {
        // Other members of the group (parallel workers) must not outlive the leader: after a
        // failure or Cancel they are killed, after success given the grace to finish. Settled
        // only once none of them runs, and once the log is complete on disk (a caller may keep it).
        if (exitCode !== 0 || options.signal?.aborted) killGroup(child, 'SIGKILL');
        else if (!await groupEnded(child.pid, KILL_GRACE_MS)) killGroup(child, 'SIGKILL');
        await groupEnded(child.pid, KILL_GRACE_MS);
        clearTimeout(killTimer);
        await logClosed;
        if (options.signal?.aborted) return reject(new CancelledError());
        if (exitCode === 0) return resolve();
        reject(options.explain?.(tail, exitCode, exitSignal) ?? toolFailed(options.label, tail, exitCode, exitSignal, options.logFile));
      })();
    });
  });
  done.catch(() => undefined);
  return { child, done, stderrTail: () => [...tail] };
}

/** The generic error: the tool's last words, which usually say exactly what went wrong. */
export function toolFailed(label: string, tail: string[], exitCode: number | null, signal: NodeJS.Signals | null, logFile?: string): LifeboatError {
  const how = signal ? `was killed by ${signal}` : `exited with status ${exitCode}`;
  const errors = tail.filter(line => /error|fatal|could not|failed/i.test(line));
  const shown = (errors.length > 0 ? errors : tail).slice(-4).join(' | ');
  return new LifeboatError('io', `${label} ${how}${shown ? `: ${shown}` : ''}.`, logFile ? `The tool's full output is in ${logFile}.` : undefined);
}

/**
 * Waits for a tool and whatever feeds it (a stream into its stdin, or a hash check of the file
 * it reads) together. When either fails the other is stopped (`work` is aborted), and the error
 * that explains the failure is thrown: a damaged archive (verification) first, then the tool's
 * own words, then the feeder's; "cancelled" only when nothing else went wrong.
 *
 * A tool that stops at an error of its own ("relation already exists") closes its stdin, and
 * the feeder's next write breaks (EPIPE) before the tool's exit is seen: so when the feeder fails
 * that way, the tool is given `graceMs` to exit and say why before it is stopped. Otherwise its
 * words would be lost to the "cancelled" of being stopped.
 */
export async function settleWithFeed(feeding: Promise<unknown>, tool: Promise<unknown>, work: AbortController, graceMs = 5_000): Promise<void> {
  feeding.catch(async (error: unknown) => {
    if (!work.signal.aborted && readerStopped(error)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([tool.catch(() => undefined), new Promise(resolve => { timer = setTimeout(resolve, graceMs); })]);
      clearTimeout(timer);
    }
    work.abort();
  });
  tool.catch(() => work.abort());
  const [fed, ran] = await Promise.allSettled([feeding, tool]);
  const failed = (r: PromiseSettledResult<unknown>): r is PromiseRejectedResult => r.status === 'rejected';
  if (failed(fed) && isDamage(fed.reason)) throw fed.reason;
  if (failed(ran) && !isCancelled(ran.reason)) throw ran.reason;
  if (failed(fed) && !isCancelled(fed.reason)) throw fed.reason;
  if (failed(ran)) throw ran.reason;
  if (failed(fed)) throw fed.reason;
}

const BROKEN_PIPE = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

/** The feeder failed because its reader closed its end (a broken pipe), not for a reason of its own. */
function readerStopped(error: unknown): boolean {
  return !isCancelled(error) && !isDamage(error) && causedBy(error, e => BROKEN_PIPE.has(String((e as NodeJS.ErrnoException).code)));
}

function isDamage(error: unknown): boolean {
  return error instanceof LifeboatError && error.code === 'verification';
}

/**
 * Waits for a stored file's read and the streams it feeds; when both fail, the read's error is
 * the one that explains (a damaged file), not the downstream stream's that merely saw its input
 * end early.
 */
export async function settleReadFirst(reading: Promise<unknown>, downstream: Promise<unknown>): Promise<void> {
  const [read, flowed] = await Promise.allSettled([reading, downstream]);
  if (read.status === 'rejected') throw read.reason;
  if (flowed.status === 'rejected') throw flowed.reason;
}

/**
 * Waits for a dump tool and the store its output feeds. When either fails the other is stopped
 * (`work` is aborted). Unlike a restore (settleWithFeed), here the tool feeds Lifeboat: the
 * store's own failure (disk full) explains the tool's broken pipe, so it is thrown first; then
 * the tool's; "cancelled" when the job was cancelled or nothing else went wrong.
 */
export async function settleToolIntoStore<T>(storing: Promise<T>, tool: Promise<void>, work: AbortController, signal: AbortSignal | undefined, what: string): Promise<T> {
  storing.catch(() => work.abort());
  tool.catch(() => work.abort());
  const [stored, ran] = await Promise.allSettled([storing, tool]);
  if (signal?.aborted) throw new CancelledError(what);
  if (stored.status === 'rejected' && !isCancelled(stored.reason)) throw stored.reason;
  if (ran.status === 'rejected') throw ran.reason;
  if (stored.status === 'rejected') throw stored.reason;
  return stored.value;
}
