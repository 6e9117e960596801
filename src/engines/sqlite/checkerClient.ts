import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { childEnv } from '../../core/childEnv';
import { CancelledError, LifeboatError } from '../../core/errors';
import type { CheckReply, CheckRequest, CheckResult, CheckerRequest } from './checkerProtocol';

/** The checker is dist/sqliteChecker.js in the bundle; run from sources (tests) it is
 *  checker.ts through tsx. It runs on the same Node (or Electron-as-Node) as its parent, so the
 *  same native SQLite binary loads in it. */
function startChecker(): ChildProcess {
  const options: ForkOptions = { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', env: { ...childEnv(), ELECTRON_RUN_AS_NODE: '1' } };
  const bundled = path.join(__dirname, 'sqliteChecker.js');
  if (fs.existsSync(bundled)) return fork(bundled, [], { ...options, execArgv: [] });
  return fork(path.join(__dirname, 'checker.ts'), [], { ...options, execArgv: ['--import', 'tsx'] });
}

/** integrity_check and row counts of `request.file` in a child process; aborting `signal` kills
 *  it and rejects once it has exited (so its files are closed). */
export function runCheck(request: CheckRequest, options: CheckerOptions = {}): Promise<CheckResult> {
  return runInChecker<CheckResult>(request, options);
}

export interface CheckerOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Runs one task (checkerProtocol.ts) in a checker process of its own; the result type is the
 *  one the protocol gives for that task. */
export function runInChecker<Result>(request: CheckerRequest, options: CheckerOptions = {}): Promise<Result> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const child = startChecker();
    let stderr = '';
    let outcome: { ok: true; result: Result } | { ok: false; error: Error } | undefined;
    child.stderr!.on('data', chunk => { stderr = (stderr + chunk).slice(-2000); });
    const onAbort = () => {
      outcome ??= { ok: false, error: new CancelledError() };
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (reply: CheckReply) => {
      if (reply.type === 'progress') options.onProgress?.(reply.done, reply.total);
      else if (reply.type === 'result') outcome ??= { ok: true, result: reply.result as Result };
      else outcome ??= { ok: false, error: new LifeboatError(reply.code, reply.message, reply.hint) };
    });
    child.on('error', error => { outcome ??= { ok: false, error: new LifeboatError('io', `The SQLite checker could not start: ${error.message}`, undefined, { cause: error }) }; });
    child.on('exit', (code, exitSignal) => {
      signal?.removeEventListener('abort', onAbort);
      if (!outcome) {
        outcome = { ok: false, error: new LifeboatError('io', `The SQLite checker stopped unexpectedly (${exitSignal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}.`) };
      }
      if (outcome.ok) resolve(outcome.result);
      else reject(outcome.error);
    });
    child.send(request);
  });
}
