import { FlushBehind } from '../../core/flushBehind';
import type { SqliteDatabase, SqliteDriver } from './driver';
import { readFacts, type DatabaseFacts } from './inspect';

export interface OnlineCopyResult {
  source: DatabaseFacts;
  /** Pages the backup API copied, and in how many steps. */
  copiedPages: number;
  steps: number;
  /** Times the backup API started over because the source changed under it (expected: 0). */
  restarts: number;
}

/** A fixed number of pages per step, or 'auto': steps of about 20 ms each, which keeps progress
 *  fine and the event loop responsive on a slow disk, and steps few on a fast one. */
export type StepSize = number | 'auto';

export interface OnlineCopyOptions {
  source: string;
  target: string;
  pagesPerStep: StepSize;
  busyTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (copied: number, total: number) => void;
}

/**
 * Copies a live database with SQLite's online backup API, consistent as of one moment.
 *
 * The backup API restarts whenever another connection writes to the source between steps, so a
 * stepwise copy of a busy database may never finish. Lifeboat holds one read transaction on the
 * source connection for the whole copy: every step then reads the same snapshot, nothing
 * restarts, and progress is real. In WAL mode writers go on undisturbed (only checkpoints wait
 * for the snapshot to be released); in rollback-journal mode a writer waits for the copy, as it
 * would with `sqlite3 .backup`. The source is opened read-only.
 *
 * It runs on the caller's thread: each step is short and the event loop runs between steps, so
 * the editor stays responsive and `signal` stops the copy at the next step.
 */
export async function onlineCopy(driver: SqliteDriver, options: OnlineCopyOptions): Promise<OnlineCopyResult> {
  const db = driver.open(options.source, { readonly: true });
  try {
    db.exec('PRAGMA busy_timeout = ' + String(Math.trunc(options.busyTimeoutMs ?? 30_000)));
    // The backup reads each source page once, so a page cache only costs memory and CPU cache
    // misses: a small one copies a few percent faster (bench/sqliteBackup.mjs).
    db.exec('PRAGMA cache_size = 64');
    db.exec('BEGIN');
    try {
      // The first read starts the transaction's snapshot; the facts come from that snapshot.
      const source = readFacts(db);
      return { source, ...await copyPages(db, source.pageCount, options) };
    } finally {
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
}

async function copyPages(db: SqliteDatabase, pageCount: number, options: OnlineCopyOptions): Promise<Omit<OnlineCopyResult, 'source'>> {
  const sizer = new StepSizer(options.pagesPerStep);
  const flush = new FlushBehind(options.target);
  let steps = 0;
  let restarts = 0;
  let lowestRemaining = Infinity;
  let total = pageCount;
  try {
    await db.backupTo(options.target, {
      pagesPerStep: sizer.pages,
      onStep: ({ totalPages, remainingPages }) => {
        options.signal?.throwIfAborted();
        steps++;
        total = totalPages;
        if (remainingPages > lowestRemaining) restarts++;
        lowestRemaining = Math.min(lowestRemaining, remainingPages);
        options.onProgress?.(totalPages - remainingPages, totalPages);
        flush.kick();
        return sizer.next();
      },
    });
  } finally {
    await flush.close();
  }
  options.onProgress?.(total, total);
  return { copiedPages: total, steps, restarts };
}

const STEP_TARGET_MS = 20;
const AUTO_FIRST_STEP = 1024;
const AUTO_MIN_STEP = 128;
const AUTO_MAX_STEP = 65_536;

class StepSizer {
  pages: number;
  private readonly auto: boolean;
  private stepStarted = performance.now();

  constructor(size: StepSize) {
    this.auto = size === 'auto';
    this.pages = size === 'auto' ? AUTO_FIRST_STEP : size;
  }

  /** The size of the next step, scaled so that it takes about STEP_TARGET_MS. */
  next(): number {
    if (!this.auto) return this.pages;
    const now = performance.now();
    const took = Math.max(0.5, now - this.stepStarted);
    this.pages = Math.round(Math.min(AUTO_MAX_STEP, Math.max(AUTO_MIN_STEP, this.pages * STEP_TARGET_MS / took)));
    this.stepStarted = now;
    return this.pages;
  }
}
