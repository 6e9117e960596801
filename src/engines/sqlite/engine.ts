import type { SqliteConnection } from '../../core/connection';
import type { Engine } from '../engine';
import { makeSqliteBackup } from './backup';
import { describeSqliteFolder } from './groupBackup';
import { probeSqlite } from './probe';
import { restoreSqliteBackup } from './restore';
import { verifySqliteBackup } from './verify';

/** SQLite: files on this machine; no server, so restores and drills need no target. */
export const sqliteEngine: Engine<SqliteConnection> = {
  test: async c => c.folder ? { product: 'SQLite', version: '', summary: await describeSqliteFolder(c) } : probeSqlite(c),
  backup: (c, options, writer, ctx) => makeSqliteBackup(c, options, writer, ctx),
  restore: async (entry, options, ctx) => ({ engine: 'sqlite', ...await restoreSqliteBackup(entry, options, ctx) }),
  verify: (entry, ctx, options) => verifySqliteBackup(entry, ctx, { quick: options.quick }),
  // The full verification is the drill: the database is rebuilt from the stored files in scratch,
  // integrity-checked and its rows counted against the manifest.
  drill: (entry, ctx) => verifySqliteBackup(entry, ctx, { quick: false }),
};
