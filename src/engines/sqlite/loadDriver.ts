import { LifeboatError } from '../../core/errors';
import { createNodeSqliteDriver } from './nodeSqliteDriver';
import type { SqliteDriver } from './driver';

/**
 * The SQLite driver: Node's built-in node:sqlite, with the online backup API from Node 22.16 (and
 * 23.8). Everywhere Lifeboat runs has it: the CLI requires Node 22.16 (src/cli/entry.ts), and every
 * VS Code Lifeboat supports (1.125+) runs extensions on Node 24, as code-server does.
 * better-sqlite3 served Node 20 until 0.1.0; measured on the same Node 24 it was slower
 * (bench/sqliteBackup.mjs, CHANGELOG), and version 12 built against Node >= 24.19 headers aborts
 * the process when V8 collects a statement outside a JavaScript context (nodejs/node#65446), so
 * nothing is left that it does better. Manifests it wrote still read, verify and restore: the
 * driver that made a backup is a fact in its manifest, not a requirement of its restore.
 */
let cached: SqliteDriver | undefined;

export function loadSqliteDriver(): SqliteDriver {
  cached ??= createNodeSqliteDriver() ?? missing();
  return cached;
}

function missing(): never {
  throw new LifeboatError('driver',
    `This runtime (Node ${process.version}) has no node:sqlite with the online backup API, which Lifeboat uses for SQLite.`,
    'Run Lifeboat on Node 22.16 or later (24 LTS recommended), or in VS Code 1.125 or later.');
}
