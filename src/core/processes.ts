import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { CancelledError, LifeboatError } from './errors';

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
  /** stdin and stdout: 'pipe' to stream through Lifeboat, 'ignore', or a file descriptor. */
  stdin?: 'pipe' | 'ignore' | number;
  stdout?: 'pipe' | 'ignore' | number;
  signal?: AbortSignal;
  onStderrLine?: (line: string) => void;
  /** Every stderr line is appended here (created 0600). */
  logFile?: string;
  /** Turns the tool's failure into the error a person should see (wrong password, disk full). */
  explain?: (stderr: string[], exitCode: number | null, signal: NodeJS.Signals | null) => LifeboatError | undefined;
}

const KILL_GRACE_MS = 3_000;
const TAIL_LINES = 40;

export function runTool(options: RunToolOptions): ToolRun {
  const stdio: StdioOptions = [options.stdin ?? 'ignore', options.stdout ?? 'ignore', 'pipe'];
  const child = spawn(options.command, options.args, { env: options.env, stdio, detached: true });
  const tail: string[] = [];
  const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a', mode: 0o600 }) : undefined;
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
      const code = (error as NodeJS.ErrnoException).code;
      reject(code === 'ENOENT'
        ? new LifeboatError('not-found', `${options.command} could not be started: it does not exist.`, 'Install the client tools or set the folder they are in.', { cause: error })
        : new LifeboatError('io', `${options.label} could not be started: ${error.message}`, undefined, { cause: error }));
    });
    child.once('close', (exitCode, exitSignal) => {
      if (pending) take(pending);
      pending = '';
      options.signal?.removeEventListener('abort', stop);
      clearTimeout(killTimer);
      // Other members of the group (parallel workers) must not outlive the leader.
      if (exitCode !== 0) killGroup(child, 'SIGKILL');
      log?.end();
      if (options.signal?.aborted) return reject(new CancelledError());
      if (exitCode === 0) return resolve();
      reject(options.explain?.(tail, exitCode, exitSignal) ?? toolFailed(options.label, tail, exitCode, exitSignal, options.logFile));
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

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Runs a tool to completion and returns its stdout (for `--version`, `--list`). */
export async function captureTool(command: string, args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  const run = runTool({ label: `${command} ${args.join(' ')}`, command, args, env, stdout: 'pipe', signal });
  const chunks: Buffer[] = [];
  run.child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  await run.done;
  return Buffer.concat(chunks).toString('utf8');
}
