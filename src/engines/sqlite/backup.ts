import * as fsp from 'node:fs/promises';
import { backupPrefix, newBackupId } from '../../core/backupId';
import { beginBackup, commitBackup, deleteBackup, type CatalogEntry } from '../../core/catalog';
import { CODEC_SUFFIX } from '../../core/codec';
import type { SqliteConnection } from '../../core/connection';
import { CancelledError, LifeboatError, isCancelled, throwIfAborted } from '../../core/errors';
import { elapsedMs, type JobContext } from '../../core/job';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Codec, type Manifest } from '../../core/manifest';
import { PhasedProgress } from '../../core/progress';
import { createScratch } from '../../core/scratch';
import { storeFile } from '../../core/storePipeline';
import { LIFEBOAT_TOOL } from '../../core/version';
import { formatBytes } from '../../core/format';
import { integrityCheck } from './checks';
import { loadSqliteDriver } from './loadDriver';
import { onlineCopy, type StepSize } from './onlineCopy';
import { explainSqliteError } from './sqliteErrors';

export interface SqliteBackupOptions {
  codec: Codec;
  level?: number;
  /** Pages per backup step; 'auto' (default) sizes steps to about 20 ms each. */
  pagesPerStep?: StepSize;
}

export const SQLITE_PAYLOAD = 'database.sqlite';

/**
 * Online copy → then, side by side, integrity_check + row counts on the copy (checker process) and
 * compress + hash into the destination → manifest, once both passed. Any failure or cancel
 * removes what was stored; the scratch copy is always removed.
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
  const pagesPerStep = options.pagesPerStep ?? 'auto';
  // Weights are each phase's share of the wall time, measured by bench/sqliteBackup.mjs on a
  // 200 MB database: copy 0.32 s; integrity_check + row counts 1.3 s; storing 0.4 s without
  // compression, 4.6 s with gzip 6, about 1.6 s with zstd 2 (137 MiB/s, bench/codecLevels.ts).
  // Checking and storing run at the same time (see below).
  const STORE_WEIGHT: Record<Codec, number> = { none: 1.2, zstd: 5, gzip: 14 };
  const weights = { copy: 1, check: 4, store: STORE_WEIGHT[options.codec] };
  const progress = new PhasedProgress({ copy: weights.copy, finish: Math.max(weights.check, weights.store) }, ctx.onProgress);
  const scratch = await createScratch(ctx.scratchParent);
  const copyFile = scratch.file(SQLITE_PAYLOAD);
  // Aborts the checking and the storing together: on Cancel, or when either fails.
  const work = new AbortController();
  const abortWork = () => work.abort();
  ctx.signal?.addEventListener('abort', abortWork, { once: true });
  try {
    // Until the manifest exists, this marker says the backup is in progress; if this process is
    // killed, the next listing removes what it stored (catalog.ts).
    const marker = await beginBackup(ctx.destination, prefix);
    ctx.logger.info(`Backing up ${connection.path} (${formatBytes(sourceSize)}) to ${ctx.destination.location}/${prefix}`);
    const copyStarted = performance.now();
    const driver = loadSqliteDriver();
    const copy = await onlineCopy(driver, {
      source: connection.path, target: copyFile, pagesPerStep, signal: ctx.signal,
      onProgress: (done, total) => progress.report('copy', done / total, `Copying pages ${done.toLocaleString('en')} of ${total.toLocaleString('en')}`),
    }).catch(error => {
      throw ctx.signal?.aborted ? new CancelledError() : explainSqliteError(error, connection.path, 'copy the database');
    });
    const copyMs = elapsedMs(copyStarted);
    ctx.logger.info(`Copied ${copy.copiedPages} pages in ${copyMs} ms (${copy.steps} steps, ${copy.restarts} restarts) with ${driver.name} ${driver.version}, SQLite ${driver.sqliteVersion}`);

    // The copy is checked (integrity_check and row counts, in a checker process) while it is
    // compressed and stored: the wall time is the longer of the two, not their sum. The
    // manifest, which is what makes the stored file a backup, is written only when both passed.
    const finishStarted = performance.now();
    const done = { check: 0, store: 0, stored: '' };
    const reportFinish = () => progress.report('finish', (weights.check * done.check + weights.store * done.store) / (weights.check + weights.store),
      `${done.stored || 'Storing'}${done.check < 1 ? ' · integrity_check running' : ' · integrity_check ok'}`);
    let checkMs = 0;
    let storeMs = 0;
    const checking = integrityCheck(copyFile, work.signal, fraction => { done.check = fraction; reportFinish(); }).then(outcome => {
      checkMs = elapsedMs(finishStarted);
      if (!outcome.ok) {
        throw new LifeboatError('integrity', `The copy of ${connection.path} fails PRAGMA integrity_check: ${outcome.problems.slice(0, 3).join('; ')}.`,
          'The source database is probably damaged; nothing was stored. Run PRAGMA integrity_check on it and restore it from an earlier backup.');
      }
      return outcome;
    });
    const storing = storeFile({
      source: copyFile, destination: ctx.destination, key: `${prefix}/${fileName}`, name: fileName,
      codec: options.codec, level: options.level, signal: work.signal,
      onBytes: (read, total) => {
        done.store = read / total;
        done.stored = `${options.codec === 'none' ? 'Storing' : 'Compressing'} ${formatBytes(read)} of ${formatBytes(total)}`;
        reportFinish();
      },
    }).then(stored => {
      storeMs = elapsedMs(finishStarted);
      return stored;
    });
    const [inspected, file] = await settleTogether([checking, storing], work, ctx.signal);
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
      server: { product: 'SQLite', version: driver.sqliteVersion },
      tool: { name: driver.name, version: driver.version },
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
    await commitBackup(ctx.destination, prefix, marker, manifest);
    progress.report('finish', 1, `Backup ${id} verified and stored`);
    ctx.logger.info(`Backup ${id} complete: ${formatBytes(file.size)} stored (${formatBytes(file.contentSize)} before compression) in ${manifest.timings.totalMs} ms`);
    return { prefix, manifest };
  } catch (error) {
    await deleteBackup(ctx.destination, prefix).catch(e => ctx.logger.warn(`Could not remove the partial backup ${prefix}: ${(e as Error).message}`));
    throw error;
  } finally {
    ctx.signal?.removeEventListener('abort', abortWork);
    await scratch.dispose();
  }
}

/**
 * Waits for jobs that run side by side. When one fails the others are aborted, and the error
 * that explains the failure is thrown (not the "cancelled" it caused in the others); when the
 * user cancelled, that is what is thrown.
 */
async function settleTogether<A, B>(jobs: [Promise<A>, Promise<B>], work: AbortController, signal?: AbortSignal): Promise<[A, B]> {
  for (const job of jobs) job.catch(() => work.abort());
  const results = await Promise.allSettled(jobs);
  if (signal?.aborted) throw new CancelledError();
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isCancelled(r.reason))
    ?? results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map(r => (r as PromiseFulfilledResult<unknown>).value) as [A, B];
}
