import type { BackupWriter, MadeBackup, WrittenBackup } from '../../core/backupWriter';
import type { SqliteConnection } from '../../core/connection';
import { CancelledError, LifeboatError, isCancelled, throwIfAborted } from '../../core/errors';
import { elapsedMs, linkedController, type JobContext } from '../../core/job';
import type { Codec } from '../../core/manifest';
import { PhasedProgress } from '../../core/progress';
import { ensureScratchRoom } from '../../core/scratch';
import { collectUnusedShared } from '../../core/backupDeletion';
import { formatBytes } from '../../core/format';
import { integrityCheck } from './checks';
import { loadSqliteDriver } from './loadDriver';
import { onlineCopy, type OnlineCopyResult, type StepSize } from './onlineCopy';
import { runInChecker } from './checkerClient';
import type { VacuumResult } from './checkerProtocol';
import { SQLITE_PAYLOAD, payloadFor, type SqliteFormat } from './payloads';
import { SNAPSHOT_KIND } from './snapshot/layout';
import { explainSqliteError } from './sqliteErrors';
import { checkSqliteSource } from './sourceFile';

export interface SqliteBackupOptions {
  codec: Codec;
  level?: number;
  /** Pages per backup step; 'auto' (default) sizes steps to about 20 ms each. */
  pagesPerStep?: StepSize;
  /** What is stored (payloads.ts); the default is 'copy'. */
  sqliteFormat?: SqliteFormat;
  /** Make the copy with VACUUM INTO (compact: no free pages, rebuilt b-trees) instead of the
   *  online backup API. Only for the 'copy' format: a snapshot of a vacuumed copy would share
   *  few pages with the last one, and a SQL dump does not depend on the file's layout. */
  vacuum?: boolean;
}

/**
 * A consistent copy in scratch (online backup API, or VACUUM INTO) → then, side by side,
 * integrity_check + row counts on the copy (checker process) and storing it in the chosen format
 * (payloads.ts) through the backup writer. The writer writes the manifest once both passed, and
 * removes what was stored if either fails or the user cancels (a snapshot's new pack included).
 */
export async function makeSqliteBackup(connection: SqliteConnection, options: SqliteBackupOptions, writer: BackupWriter, ctx: JobContext): Promise<MadeBackup> {
  const format = options.sqliteFormat ?? 'copy';
  if (options.vacuum && format !== 'copy') {
    throw new LifeboatError('usage', `VACUUM INTO makes a compact copy; it does not combine with the ${format === 'sql' ? 'SQL dump' : 'incremental snapshot'} format.`,
      'Leave out --vacuum, or choose the copy format.');
  }
  const sourceFile = await checkSqliteSource(connection);
  const sourceSize = sourceFile.size;
  if (sourceFile.warning) ctx.logger.warn(sourceFile.warning);
  const pagesPerStep = options.pagesPerStep ?? 'auto';
  const payload = payloadFor(format, options.codec);
  // Weights are each phase's share of the wall time, measured by bench/sqliteBackup.mjs on a
  // 200 MB database: copy 0.32 s; integrity_check + row counts 1.3 s; storing: see payloads.ts.
  // VACUUM INTO rebuilds every b-tree: about as long as integrity_check. Checking and storing run
  // at the same time (see below).
  const weights = { copy: options.vacuum ? 4 : 1, check: 4, store: payload.weight };
  const progress = new PhasedProgress({ copy: weights.copy, finish: Math.max(weights.check, weights.store) }, ctx.onProgress);
  const scratch = await writer.scratch();
  // The copy, and a SQL dump of it, are made in scratch before anything is stored.
  await ensureScratchRoom(scratch, sourceSize * (format === 'sql' ? 3 : 1), `a copy of ${connection.path}`);
  const copyFile = scratch.file(SQLITE_PAYLOAD);
  // Aborts the checking and the storing together: on Cancel, or when either fails.
  const { controller: work, dispose } = linkedController(ctx.signal);
  try {
    ctx.logger.info(`Backing up ${connection.path} (${formatBytes(sourceSize)}) to ${writer.destinations.map(d => `${d.location}/${writer.prefix}`).join(' and ')} as ${FORMAT_LABELS[format]}${options.vacuum ? ' (VACUUM INTO)' : ''}`);
    const copyStarted = performance.now();
    const driver = loadSqliteDriver();
    const copy = await (options.vacuum ? vacuumCopy(connection.path, copyFile, ctx.signal, progress) : onlineCopy(driver, {
      source: connection.path, target: copyFile, pagesPerStep, signal: ctx.signal,
      onProgress: (done, total) => progress.report('copy', done / total, `Copying pages ${done.toLocaleString('en')} of ${total.toLocaleString('en')}`),
    })).catch(error => {
      throw ctx.signal?.aborted ? new CancelledError() : explainSqliteError(error, connection.path, 'copy the database');
    });
    const copyMs = elapsedMs(copyStarted);
    ctx.logger.info(options.vacuum
      ? `Compact copy (VACUUM INTO) of ${copy.copiedPages} pages in ${copyMs} ms, SQLite ${driver.sqliteVersion}`
      : `Copied ${copy.copiedPages} pages in ${copyMs} ms (${copy.steps} steps, ${copy.restarts} restarts) with ${driver.name} ${driver.version}, SQLite ${driver.sqliteVersion}`);

    // The copy is checked (integrity_check and row counts, in a checker process) while it is
    // stored: the wall time is the longer of the two, not their sum. The manifest, which is what
    // makes the stored files a backup, is written only when both passed.
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
    const storing = payload.store({
      copyFile, scratch, writer, connectionId: connection.id, codec: options.codec, level: options.level,
      signal: work.signal, logger: ctx.logger,
      report: (fraction, message) => { done.store = fraction; done.stored = message; reportFinish(); },
    }).then(stored => {
      storeMs = elapsedMs(finishStarted);
      return stored;
    });
    const [inspected, stored] = await settleTogether([checking, storing], work, ctx.signal);
    throwIfAborted(ctx.signal);
    progress.report('finish', 1, 'Backup verified and stored');
    return {
      parts: {
        kind: payload.kind,
        server: { product: 'SQLite', version: driver.sqliteVersion },
        tool: { name: driver.name, version: driver.version },
        options: {
          codec: options.codec, ...(options.level !== undefined ? { level: options.level } : {}), sqliteFormat: format,
          ...(options.vacuum
            ? { vacuum: true, method: 'VACUUM INTO, one statement reading one snapshot' }
            : { pagesPerStep, method: 'online backup API, one read transaction' }),
          ...stored.options,
        },
        consistency: {
          pageCount: copy.source.pageCount,
          pageSize: copy.source.pageSize,
          freelistCount: copy.source.freelistCount,
          journalMode: copy.source.journalMode,
          schemaVersion: copy.source.schemaVersion,
          userVersion: copy.source.userVersion,
          sourceFileBytes: sourceSize,
          ...(options.vacuum ? {} : { backupSteps: copy.steps, backupRestarts: copy.restarts }),
          ...stored.consistency,
        },
        tables: inspected.tables,
        timings: { copyMs, checkMs, storeMs },
        checkMs,
        checks: [
          { name: 'integrity_check', ok: true, detail: 'PRAGMA integrity_check on the copy: ok' },
          { name: 'row counts', ok: true, detail: `${inspected.tables.length} tables, ${inspected.tables.reduce((n, t) => n + (t.rows ?? 0), 0)} rows counted on the copy` },
          ...stored.check ? [stored.check] : [],
        ],
      },
      ...(stored.perDestination ? { perDestination: destination => stored.perDestination!.get(destination)! } : {}),
    };
  } finally {
    dispose();
  }
}

/** After a snapshot: packs that a killed snapshot left, or that deletions could not collect while
 *  it ran, go now, in each destination that got it; a failure here does not undo the snapshot,
 *  which is complete. */
export async function collectAfterSnapshot(written: WrittenBackup, ctx: JobContext): Promise<void> {
  for (const { destination, entry } of written.copies) {
    if (entry.manifest.kind !== SNAPSHOT_KIND) continue;
    try {
      const result = await collectUnusedShared(destination, entry.manifest.connection.id, ctx.logger);
      if (result.skipped) ctx.logger.info(`Unused blocks not collected now: ${result.skipped}.`);
    } catch (error) {
      ctx.logger.warn(`Could not collect unused blocks of ${entry.manifest.connection.id} in ${destination.location}: ${(error as Error).message}`);
    }
  }
}

const FORMAT_LABELS: Record<SqliteFormat, string> = { copy: 'a copy of the file', sql: 'a SQL dump', snapshot: 'an incremental snapshot' };

/** VACUUM INTO in the checker process (one uninterruptible statement: Cancel kills the process). */
async function vacuumCopy(source: string, target: string, signal: AbortSignal | undefined, progress: PhasedProgress<'copy' | 'finish'>): Promise<OnlineCopyResult> {
  progress.report('copy', 0, 'Making a compact copy (VACUUM INTO)');
  const result = await runInChecker<VacuumResult>({ task: 'vacuum-into', source, target }, { signal });
  progress.report('copy', 1, 'Compact copy made');
  return { source: { ...result.copy, journalMode: result.sourceJournalMode }, copiedPages: result.copy.pageCount, steps: 1, restarts: 0 };
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
