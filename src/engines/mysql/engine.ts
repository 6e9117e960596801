import type { ServerConnection } from '../../core/connection';
import { requireServer, type Engine } from '../engine';
import { makeMysqlBackup } from './backup';
import { connectMysql, probeMysql } from './connect';
import { restoreMysqlBackup } from './restore';
import { listTables } from './source';
import { verifyMysqlBackup } from './verify';

export const mysqlEngine: Engine<ServerConnection> = {
  test: (c, access) => probeMysql(c, access.password),
  backup: (c, options, writer, ctx, access) => makeMysqlBackup(c, access, options, writer, ctx),
  restore: async (entry, options, ctx, server) => {
    const target = requireServer(entry, server, 'restore');
    return {
      engine: 'mysql',
      ...await restoreMysqlBackup(entry, { server: target.connection, access: target.access, database: options.target, existing: options.overwrite, tables: options.tables }, ctx),
    };
  },
  verify: (entry, ctx, _options, server) => verifyMysqlBackup(entry, { server: server?.connection, access: server?.access ?? {} }, ctx),
  drill: (entry, ctx, _options, server) => {
    const target = requireServer(entry, server, 'run a restore drill of');
    return verifyMysqlBackup(entry, { deep: true, server: target.connection, access: target.access }, ctx);
  },
  listTables: async (c, access) => {
    const db = await connectMysql(c, access.password);
    try {
      return (await listTables(db, c.database)).filter(t => !t.view).map(t => ({ name: t.name, table: t.name, bytes: t.bytes, estimatedRows: t.estimatedRows }));
    } finally {
      await db.end().catch(() => undefined);
    }
  },
};
