import type { SqliteDriver } from './driver';
import { readFacts, type DatabaseFacts } from './inspect';

export interface OnlineCopyResult {
  source: DatabaseFacts;
  /** Pages the backup API copied, and in how many steps. */
  copiedPages: number;
  steps: number;
  /** Times the backup API started over because the source changed under it (expected: 0). */
  restarts: number;
}

/**
 * Copies a live database with SQLite's online backup API, consistent as of one moment.
 *
 * The backup API restarts whenever another connection writes to the source between steps, so a
 * stepwise copy of a busy database may never finish. Lifeboat holds one read transaction on the
 * source connection for the whole copy: every step then reads the same snapshot, nothing
 * restarts, and progress is real. In WAL mode writers go on undisturbed (only checkpoints wait
 * for the snapshot to be released); in rollback-journal mode a writer waits for the copy, as it
 * would with `sqlite3 .backup`.
 */
export async function onlineCopy(driver: SqliteDriver, options: {
  source: string;
  target: string;
  pagesPerStep: number;
  busyTimeoutMs?: number;
  onProgress?: (copied: number, total: number) => void;
}): Promise<OnlineCopyResult> {
  const db = driver.open(options.source, { readonly: true });
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 30_000)}`);
    db.exec('BEGIN');
    try {
      // The first read starts the transaction's snapshot; the facts come from that snapshot.
      const source = readFacts(db);
      let steps = 0;
      let restarts = 0;
      let lowestRemaining = Infinity;
      let total = source.pageCount;
      await db.backupTo(options.target, {
        pagesPerStep: options.pagesPerStep,
        onStep: ({ totalPages, remainingPages }) => {
          steps++;
          total = totalPages;
          if (remainingPages > lowestRemaining) restarts++;
          lowestRemaining = Math.min(lowestRemaining, remainingPages);
          options.onProgress?.(totalPages - remainingPages, totalPages);
        },
      });
      options.onProgress?.(total, total);
      return { source, copiedPages: total, steps, restarts };
    } finally {
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
}
