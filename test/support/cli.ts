import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { listFiles } from './temp';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The CLI exactly as users run it: the bundled dist/cli.js (scripts/test.sh builds it first). */
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The Node executable to run it with (default: the one running the tests). */
  node?: string;
}

export function startCli(args: string[], options: CliOptions = {}): ChildProcess {
  return spawn(options.node ?? process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', d => { stdout += d; });
    child.stderr!.on('data', d => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * The CLI with a config file of its own: `config` written to `file`, and `env` added to every
 * run. `run` returns what a --json run printed; `ok` also asserts that it exited 0.
 */
export function configuredCli(file: string, config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(config));
  const run = (...args: string[]) => runCli(['--config', file, ...args, '--json'], { env });
  return {
    file,
    run,
    ok: async (...args: string[]) => {
      const result = await run(...args);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      return result;
    },
  };
}

/** Parses the --json document a command prints on stdout. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** Resolves when the CLI's JSON progress on stderr shows `message` at or beyond `fraction`. */
export function waitForProgress(child: ChildProcess, message: RegExp, fraction: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stderr! });
    lines.on('line', line => {
      try {
        const update = JSON.parse(line) as { progress?: number; message?: string };
        if (update.progress !== undefined && update.progress >= fraction && message.test(update.message ?? '')) {
          lines.close();
          resolve(update.message!);
        }
      } catch { /* a log line */ }
    });
    child.once('exit', code => reject(new Error(`the backup finished (exit ${code}) before reaching ${message}`)));
  });
}

/** Resolves when a file whose path (relative to `folder`) matches `pattern` exists. */
export async function waitForFile(child: ChildProcess, folder: string, pattern: RegExp): Promise<void> {
  while (!listFiles(folder).some(f => pattern.test(f))) {
    if (child.exitCode !== null) throw new Error(`the backup finished (exit ${child.exitCode}) before ${pattern} appeared`);
    await new Promise(resolve => setTimeout(resolve, 2));
  }
}
