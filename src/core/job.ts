import type { Logger } from './logger';
import type { ProgressListener } from './progress';
import type { Destination } from '../storage/destination';

/** What every long operation gets from its caller (editor command, task, CLI). */
export interface JobContext {
  destination: Destination;
  /** A local folder for intermediate files; the job makes and removes its own subfolder. */
  scratchParent: string;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}
