import { jobContext, type JobContext } from '../../src/core/job';
import type { Logger } from '../../src/core/logger';
import type { ProgressUpdate } from '../../src/core/progress';
import { LocalFolderDestination } from '../../src/storage/local';

/** A JobContext on a local folder that records progress and log lines for assertions. */
export function engineContext(backupFolder: string, options: { signal?: AbortSignal; scratchParent?: string } = {}) {
  const progress: ProgressUpdate[] = [];
  const log: string[] = [];
  const logger: Logger = { debug: m => log.push(m), info: m => log.push(m), warn: m => log.push(m), error: m => log.push(m) };
  const destination = new LocalFolderDestination(backupFolder);
  const ctx: JobContext = { ...jobContext(destination, logger, { signal: options.signal, onProgress: u => progress.push(u) }), ...(options.scratchParent ? { scratchParent: options.scratchParent } : {}) };
  return { ctx, progress, log, destination };
}

/** True when every update's fraction is at least the one before it. */
export function monotonic(progress: ProgressUpdate[]): boolean {
  return progress.every((u, i) => i === 0 || u.fraction >= progress[i - 1].fraction);
}
