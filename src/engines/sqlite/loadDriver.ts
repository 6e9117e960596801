import * as fs from 'node:fs';
import * as path from 'node:path';
import { LifeboatError } from '../../core/errors';
import { createBetterSqlite3Driver } from './betterSqlite3Driver';
import { createNodeSqliteDriver } from './nodeSqliteDriver';
import type { SqliteDriver } from './driver';

/**
 * Picks the SQLite driver for this runtime:
 *  1. better-sqlite3 with a native binary built for this runtime's ABI, shipped in the VSIX as
 *     dist/native/<platform>-<arch>-<node|electron>-abi<N>/better_sqlite3.node, or installed by
 *     npm (the CLI, tests);
 *  2. node:sqlite, built into Node >= 22.16, when no binary fits (desktop VS Code releases whose
 *     Electron has no matching binary in the VSIX);
 *  3. otherwise an error that says what to install.
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
  if (cached) return cached;
  const forced = process.env.LIFEBOAT_SQLITE_DRIVER;
  const failures: string[] = [];
  if (forced !== 'node:sqlite') {
    for (const binding of nativeBindingCandidates()) {
      try {
        cached = createBetterSqlite3Driver(binding);
        return cached;
      } catch (error) {
        failures.push(`${binding}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    if (forced === 'better-sqlite3') throw noDriver(failures);
  }
  cached = createNodeSqliteDriver();
  if (cached) return cached;
  failures.push(`node:sqlite: not in Node ${process.version} (needs 22.16 or later)`);
  throw noDriver(failures);
}

function noDriver(failures: string[]): LifeboatError {
  return new LifeboatError('driver',
    `No SQLite driver loads in this runtime (${runtimeKey()}, Node ${process.version}). Tried: ${failures.join('; ') || 'no better-sqlite3 binary found'}.`,
    'Install the Lifeboat build for your platform, or run on Node 22.16 or later (VS Code 1.125 or later), whose built-in node:sqlite Lifeboat can use.');
}
