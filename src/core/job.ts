import * as os from 'node:os';
import * as path from 'node:path';
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

/** A job context on `destination`. Scratch space is `scratchFolder` when one is set
 *  (lifeboat.scratchFolder, --scratch-dir), else defaultScratchParent's. */
export function jobContext(destination: Destination, logger: Logger, options: { signal?: AbortSignal; onProgress?: ProgressListener; scratchFolder?: string } = {}): JobContext {
  const { scratchFolder, ...rest } = options;
  return { destination, scratchParent: scratchFolder ?? defaultScratchParent(destination), logger, ...rest };
}

/**
 * Scratch space when none is set: beside a local backup folder (in it, under a dot-folder that
 * listings skip), on the same file system, so the copy and its final file share a disk (its free
 * space is what gets checked) and a finished file is moved in rather than copied; for a
 * destination that is not a folder here (an object store), the system's temporary folder.
 */
export function defaultScratchParent(destination: Destination): string {
  return destination.localPath ? destination.location : path.join(os.tmpdir(), 'lifeboat');
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
