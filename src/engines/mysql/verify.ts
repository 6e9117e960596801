import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CatalogEntry } from '../../core/catalog';
import type { ServerConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';
import type { JobContext } from '../../core/job';
import type { Verification, VerificationCheck } from '../../core/manifest';
import { settleReadFirst } from '../../core/processes';
import { PhasedProgress } from '../../core/progress';
import { readStoredFile } from '../../core/storePipeline';
import type { ServerAccess } from '../access';
import { MysqlDumpScanner, quoteIdentifier } from './dumpScanner';
import { connectMysql } from './connect';
import { dropMysqlDatabase, restoreMysqlBackup } from './restore';
import { restoreDrill } from '../restoreDrill';
import { verifyAndRecord } from '../verification';

/**
 * Quick: every stored byte against the manifest's SHA-256s, and the dump ends with the tool's
 * completion line (one read of the stored file). Deep, a restore drill: restore into a scratch
 * database, count every table's rows there, compare with the rows the dump holds (counted on
 * the way in), record how long the restore took (the recovery time this backup really gives),
 * and drop the scratch database.
 */
export interface MysqlVerifyOptions {
  deep?: boolean;
  server?: ServerConnection;
  access: ServerAccess;
}

export async function verifyMysqlBackup(entry: CatalogEntry, options: MysqlVerifyOptions, ctx: JobContext): Promise<Verification> {
  const progress = new PhasedProgress({ read: 1, drill: options.deep ? 4 : 0 }, ctx.onProgress);
  return verifyAndRecord(entry, ctx, options.deep ? 'restore-drill' : 'quick', async (checks, measured) => {
    const file = entry.manifest.files[0];
    const scanner = new MysqlDumpScanner();
    const draining = pipeline(scanner, new Writable({ write(_c, _e, done) { done(); } }));
    const reading = readStoredFile({
      destination: ctx.destination, key: `${entry.prefix}/${file.name}`, file, sink: scanner, signal: ctx.signal,
      onBytes: (read, total) => progress.report('read', read / total, `Checking SHA-256 and the dump's completion line`),
    });
    await settleReadFirst(reading, draining);
    checks.push({ name: 'sha256', ok: true, detail: `${entry.manifest.files.length} file(s) match the manifest's sizes and SHA-256s` });
    if (!scanner.complete) throw new LifeboatError('verification', 'The dump stops before the tool\'s completion line.', 'Restore from another backup.');
    checks.push({ name: 'dump complete', ok: true, detail: `Ends with the tool's completion line; ${scanner.tables.size} tables and views` });

    if (options.deep) {
      if (!options.server) throw new LifeboatError('usage', 'A restore drill needs a server to restore on.', 'Configure the backup\'s connection, or name another server connection.');
      const server = options.server;
      let applied: MysqlDumpScanner | undefined;
      await restoreDrill(entry, checks, measured, {
        restore: database => restoreMysqlBackup(entry, { server, access: options.access, database, hashesChecked: true, onScanned: s => { applied = s; } }, {
          ...ctx, onProgress: u => progress.report('drill', u.fraction * 0.9, `Restore drill: ${u.message}`),
        }),
        check: async database => {
          progress.report('drill', 0.9, 'Counting rows in the restored database');
          return applied ? [await compareRowCounts(server, options.access, database, applied)] : [];
        },
        drop: database => dropMysqlDatabase(server, options.access, database),
        logger: ctx.logger,
      });
    }
    progress.report('drill', 1, checks.every(c => c.ok) ? 'Backup verified' : 'Verification failed');
  }, error => error instanceof LifeboatError && error.code === 'verification' ? { name: 'dump', ok: false, detail: error.message } : undefined);
}

/** Every table's rows in the drill database against the rows the dump held for it. */
async function compareRowCounts(server: ServerConnection, access: ServerAccess, database: string, dump: MysqlDumpScanner): Promise<VerificationCheck> {
  const db = await connectMysql({ ...server, database }, access.password);
  try {
    const wrong: string[] = [];
    let rows = 0;
    let uncounted = 0;
    for (const [table, expected] of dump.rows) {
      const [[row]] = await db.query<import('mysql2/promise').RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(table)}`);
      const n = Number(row.n);
      rows += n;
      if (expected === null) uncounted++;
      else if (expected !== n) wrong.push(`${table} (dump ${expected}, restored ${n})`);
    }
    if (wrong.length > 0) return { name: 'row counts', ok: false, detail: `Differ for ${wrong.slice(0, 5).join(', ')}` };
    return { name: 'row counts', ok: true, detail: `${dump.rows.size} tables, ${rows} rows: the restored database has every row the dump holds${uncounted ? ` (${uncounted} tables' rows were written on one line by the tool and not counted in the dump)` : ''}` };
  } finally {
    await db.end().catch(() => undefined);
  }
}
