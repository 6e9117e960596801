import type { ServerConnection } from '../../core/connection';
import { requireServer, type Engine } from '../engine';
import { makePostgresBackup } from './backup';
import { probePostgres } from './connect';
import { restorePostgresBackup } from './restore';
import { tableSizes } from './source';
import { verifyPostgresBackup } from './verify';

export const postgresEngine: Engine<ServerConnection> = {
  test: (c, access) => probePostgres(c, access.password),
  backup: (c, options, writer, ctx, access) => makePostgresBackup(c, access, options, writer, ctx),
  restore: async (entry, options, ctx, server) => {
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
  verify: (entry, ctx, options, server) => verifyPostgresBackup(entry, {
    server: server?.connection, access: server?.access ?? (options.postgresBinDir ? { postgresBinDir: options.postgresBinDir } : {}),
  }, ctx),
  drill: (entry, ctx, options, server) => {
    const target = requireServer(entry, server, 'run a restore drill of');
    return verifyPostgresBackup(entry, { deep: true, jobs: options.jobs, server: target.connection, access: target.access }, ctx);
  },
  listTables: (c, access) => tableSizes(c, access.password),
};
