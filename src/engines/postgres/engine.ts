import { LifeboatError } from '../../core/errors';
import type { CatalogEntry } from '../../core/catalog';
import type { ServerConnection } from '../../core/connection';
import { requireServer, type Engine } from '../engine';
import { makePostgresBackup } from './backup';
import { probePostgres } from './connect';
import { isBaseBackup, verifyBaseBackup } from './pitr/baseVerify';
import { restorePostgresBackup } from './restore';
import { tableSizes } from './source';
import { verifyPostgresBackup } from './verify';

export const postgresEngine: Engine<ServerConnection> = {
  test: (c, access) => probePostgres(c, access.password),
  backup: (c, options, writer, ctx, access) => makePostgresBackup(c, access, options, writer, ctx),
  restore: async (entry, options, ctx, server) => {
    refuseBase(entry, 'restored with lifeboat restore');
    const target = requireServer(entry, server, 'restore');
    return {
      engine: 'postgres',
      ...await restorePostgresBackup(entry, {
        server: target.connection, access: target.access, database: options.target, existing: options.overwrite,
        tables: options.tables, jobs: options.jobs, clean: options.clean, noOwner: options.noOwner, noPrivileges: options.noPrivileges,
      }, ctx),
    };
  },
  // A quick verify reads only the stored files (and lists the archive): any pg_restore new enough.
  // A base backup is read whole and checked against the server's backup_manifest.
  verify: (entry, ctx, options, server) => isBaseBackup(entry) ? verifyBaseBackup(entry, ctx) : verifyPostgresBackup(entry, {
    server: server?.connection, access: server?.access ?? (options.postgresBinDir ? { postgresBinDir: options.postgresBinDir } : {}),
  }, ctx),
  drill: (entry, ctx, options, server) => {
    refuseBase(entry, 'drilled by restoring it into a database');
    const target = requireServer(entry, server, 'run a restore drill of');
    return verifyPostgresBackup(entry, { deep: true, jobs: options.jobs, server: target.connection, access: target.access }, ctx);
  },
  listTables: (c, access) => tableSizes(c, access.password),
};

/** A base backup is a whole cluster: it is recovered into a sandbox server, not restored into a database. */
function refuseBase(entry: CatalogEntry, what: string): void {
  if (isBaseBackup(entry)) throw new LifeboatError('usage', `Backup ${entry.manifest.id} is a base backup of the whole cluster; it cannot be ${what}.`, `Recover it into a sandbox server: lifeboat pitr restore ${entry.manifest.connection.id} --to end (or a time before which to stop).`);
}
