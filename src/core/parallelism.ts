import * as os from 'node:os';

/**
 * Parallel jobs Lifeboat runs when the user has not said: one per core, at most 4, so a backup or
 * restore speeds up without taking more than a few of the server's connections and cores.
 */
export function defaultParallelJobs(cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, cores));
}
