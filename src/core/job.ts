import type { Logger } from './logger';
import type { ProgressListener } from './progress';
import type { Destination } from './destination';

/** What every long operation gets from its caller (editor command, task, CLI). */
export interface JobContext {
  destination: Destination;
  /** A local folder for intermediate files; the job makes and removes its own subfolder. */
  scratchParent: string;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

/** A job context on `destination`, with scratch space beside it: on the same file system, so
 *  the copy and its final file share a disk (and its free space is what gets checked). */
export function jobContext(destination: Destination, logger: Logger, options: { signal?: AbortSignal; onProgress?: ProgressListener } = {}): JobContext {
  return { destination, scratchParent: destination.location, logger, ...options };
}

export function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}

/**
 * An AbortController for one job's own work that also aborts when the caller's signal does,
 * including when it already has (a listener added then would never fire). `dispose` detaches it.
 */
export function linkedController(parent?: AbortSignal): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (parent?.aborted) abort();
  else parent?.addEventListener('abort', abort, { once: true });
  return { controller, dispose: () => parent?.removeEventListener('abort', abort) };
}
