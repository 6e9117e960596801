import * as fs from 'node:fs';
import * as path from 'node:path';
import { LifeboatError } from '../../core/errors';
import { createBetterSqlite3Driver } from './betterSqlite3Driver';
import { createNodeSqliteDriver } from './nodeSqliteDriver';
import type { SqliteDriver } from './driver';

/**
 * Picks the SQLite driver for this runtime:
 *  1. node:sqlite, built into Node >= 22.16 (with the online backup API): every VS Code Lifeboat
 *     supports (1.125+, Node 24), code-server, and the CLI on a recent Node;
 *  2. better-sqlite3 on older runtimes (the CLI on Node 20), with its binary from npm, or from
 *     dist/native/<platform>-<arch>-<node|electron>-abi<N>/ when one is placed there;
 *  3. otherwise an error that says what to install.
 * Why node:sqlite first: better-sqlite3 12 built against Node >= 24.19 headers aborts the process
 * when V8 collects a statement outside a JavaScript context (nodejs/node#65446); it took the
 * code-server extension host down in our end-to-end test. node:sqlite has no such problem and
 * measured as fast or faster (README, npm run bench). better-sqlite3 13 fixes it but needs
 * Node 22, and Lifeboat's CLI still runs on Node 20.
 * LIFEBOAT_SQLITE_DRIVER=better-sqlite3|node:sqlite forces one (benchmarks, tests).
 */
let cached: SqliteDriver | undefined;

export function runtimeKey(): string {
  const runtime = process.versions.electron ? 'electron' : 'node';
  return `${process.platform}-${process.arch}-${runtime}-abi${process.versions.modules}`;
}

export function nativeBindingCandidates(): string[] {
  const candidates = [path.join(__dirname, 'native', runtimeKey(), 'better_sqlite3.node')];
  try {
    candidates.push(require.resolve('better-sqlite3/build/Release/better_sqlite3.node'));
  } catch {
    // Not installed by npm here (the VSIX ships no node_modules).
  }
  return candidates.filter(file => fs.existsSync(file));
}

export function loadSqliteDriver(): SqliteDriver {
  cached ??= chooseDriver(process.env.LIFEBOAT_SQLITE_DRIVER);
  return cached;
}

function chooseDriver(forced: string | undefined): SqliteDriver {
  const failures: string[] = [];
  if (forced !== 'better-sqlite3') {
    const builtIn = createNodeSqliteDriver();
    if (builtIn) return builtIn;
    failures.push(`node:sqlite: not in Node ${process.version} (needs 22.16 or later)`);
    if (forced === 'node:sqlite') throw noDriver(failures);
  }
  const bindings = nativeBindingCandidates();
  for (const binding of bindings) {
    try {
      return createBetterSqlite3Driver(binding);
    } catch (error) {
      failures.push(`${binding}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (bindings.length === 0) failures.push('better-sqlite3: no binary for this runtime');
  throw noDriver(failures);
}

function noDriver(failures: string[]): LifeboatError {
  return new LifeboatError('driver',
    `No SQLite driver loads in this runtime (${runtimeKey()}, Node ${process.version}). Tried: ${failures.join('; ')}.`,
    'Run Lifeboat on Node 22.16 or later (VS Code 1.125 or later), whose built-in node:sqlite it uses, or install it with npm so better-sqlite3 is built for your Node.');
}
