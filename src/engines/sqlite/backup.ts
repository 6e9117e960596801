import * as fsp from 'node:fs/promises';
import { backupPrefix, newBackupId } from '../../core/backupId';
import { deleteBackup, writeManifest, type CatalogEntry } from '../../core/catalog';
import { CODEC_SUFFIX } from '../../core/codec';
import type { SqliteConnection } from '../../core/connection';
import { LifeboatError, throwIfAborted } from '../../core/errors';
import { elapsedMs, type JobContext } from '../../core/job';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Codec, type Manifest } from '../../core/manifest';
import { PhasedProgress } from '../../core/progress';
import { createScratch } from '../../core/scratch';
import { storeFile } from '../../core/storePipeline';
import { LIFEBOAT_TOOL } from '../../core/version';
import { formatBytes } from '../../core/format';
import { integrityCheck } from './checks';
import { runSqliteJob } from './workerClient';

export interface SqliteBackupOptions {
  codec: Codec;
  level?: number;
  /** Pages per backup step: small enough for fine progress, large enough to be fast. */
  pagesPerStep?: number;
}

export const SQLITE_PAYLOAD = 'database.sqlite';
const DEFAULT_PAGES_PER_STEP = 2048;

/**
 * Online copy → integrity_check and row counts on the copy → compress + hash into the
 * destination → manifest. Any failure or cancel removes what was stored; the scratch copy is
 * always removed.
 */
export async function backupSqlite(connection: SqliteConnection, options: SqliteBackupOptions, ctx: JobContext): Promise<CatalogEntry> {
  const started = performance.now();
  const startedAt = new Date();
  const sourceSize = await fsp.stat(connection.path).then(s => s.size, error => {
    throw new LifeboatError('not-found', `The SQLite database ${connection.path} does not exist or cannot be read (${(error as NodeJS.ErrnoException).code}).`,
      `Check the path of connection "${connection.name}".`);
  });
  const id = newBackupId(startedAt);
  const prefix = backupPrefix(connection.id, id);
  const fileName = SQLITE_PAYLOAD + CODEC_SUFFIX[options.codec];
  const pagesPerStep = options.pagesPerStep ?? DEFAULT_PAGES_PER_STEP;
  // Weights are each phase's measured share of the wall time (bench/sqlite-backup): copying is
  // fast, compression is the long part when it is on.
  const progress = new PhasedProgress(options.codec === 'none' ? { copy: 5, check: 4, store: 3 } : { copy: 2, check: 2, store: 8 }, ctx.onProgress);
  const scratch = await createScratch(ctx.scratchParent);
  let stored = false;
  try {
    ctx.logger.info(`Backing up ${connection.path} (${formatBytes(sourceSize)}) to ${ctx.destination.location}/${prefix}`);
    let phaseStart = performance.now();
    const copy = await runSqliteJob({ op: 'copy', source: connection.path, target: scratch.file(SQLITE_PAYLOAD), pagesPerStep }, {
      signal: ctx.signal,
      onProgress: (done, total) => progress.report('copy', done / total, `Copying pages ${done.toLocaleString('en')} of ${total.toLocaleString('en')}`),
    });
    const copyMs = elapsedMs(phaseStart);
    ctx.logger.info(`Copied ${copy.copiedPages} pages in ${copyMs} ms (${copy.steps} steps, ${copy.restarts} restarts) with ${copy.driver.name} ${copy.driver.version}, SQLite ${copy.driver.sqliteVersion}`);

    phaseStart = performance.now();
    progress.report('check', 0, 'Checking the copy (PRAGMA integrity_check)');
    const inspected = await integrityCheck(scratch.file(SQLITE_PAYLOAD), ctx.signal, fraction => progress.report('check', fraction, 'Checking the copy (PRAGMA integrity_check, row counts)'));
    if (!inspected.ok) {
      throw new LifeboatError('integrity', `The copy of ${connection.path} fails PRAGMA integrity_check: ${inspected.problems.slice(0, 3).join('; ')}.`,
        'The source database is probably damaged; nothing was stored. Run PRAGMA integrity_check on it and restore it from an earlier backup.');
    }
    const checkMs = elapsedMs(phaseStart);

    phaseStart = performance.now();
    stored = true;
    const file = await storeFile({
      source: scratch.file(SQLITE_PAYLOAD), destination: ctx.destination, key: `${prefix}/${fileName}`, name: fileName,
      codec: options.codec, level: options.level, signal: ctx.signal,
      onBytes: (read, total) => progress.report('store', read / total, `${options.codec === 'none' ? 'Storing' : 'Compressing'} ${formatBytes(read)} of ${formatBytes(total)}`),
    });
    const storeMs = elapsedMs(phaseStart);
    throwIfAborted(ctx.signal);

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      id,
      connection: { id: connection.id, name: connection.name, engine: 'sqlite', source: connection.path },
      engine: 'sqlite',
      kind: 'sqlite-online-copy',
      startedAt: startedAt.toISOString(),
      completedAt: new Date().toISOString(),
      server: { product: 'SQLite', version: copy.driver.sqliteVersion },
      tool: { name: copy.driver.name, version: copy.driver.version },
      options: { codec: options.codec, ...(options.level !== undefined ? { level: options.level } : {}), pagesPerStep, method: 'online backup API, one read transaction' },
      consistency: {
        pageCount: copy.source.pageCount,
        pageSize: copy.source.pageSize,
        freelistCount: copy.source.freelistCount,
        journalMode: copy.source.journalMode,
        schemaVersion: copy.source.schemaVersion,
        userVersion: copy.source.userVersion,
        sourceFileBytes: sourceSize,
        backupSteps: copy.steps,
        backupRestarts: copy.restarts,
      },
      tables: inspected.tables,
      files: [file],
      timings: { copyMs, checkMs, storeMs, totalMs: elapsedMs(started) },
      verifications: [{
        at: new Date().toISOString(),
        kind: 'at-backup',
        ok: true,
        durationMs: checkMs,
        checks: [
          { name: 'integrity_check', ok: true, detail: 'PRAGMA integrity_check on the copy: ok' },
          { name: 'row counts', ok: true, detail: `${inspected.tables.length} tables, ${inspected.tables.reduce((n, t) => n + (t.rows ?? 0), 0)} rows counted on the copy` },
          { name: 'sha256', ok: true, detail: `SHA-256 of ${file.name} computed from the bytes written` },
        ],
        by: LIFEBOAT_TOOL,
      }],
      parent: null,
      encryption: null,
      createdBy: LIFEBOAT_TOOL,
    };
    await writeManifest(ctx.destination, prefix, manifest);
    progress.report('store', 1, `Backup ${id} verified and stored`);
    ctx.logger.info(`Backup ${id} complete: ${formatBytes(file.size)} stored (${formatBytes(file.contentSize)} before compression) in ${manifest.timings.totalMs} ms`);
    return { prefix, manifest };
  } catch (error) {
    if (stored) await deleteBackup(ctx.destination, prefix).catch(e => ctx.logger.warn(`Could not remove the partial backup ${prefix}: ${(e as Error).message}`));
    throw error;
  } finally {
    await scratch.dispose();
  }
}
