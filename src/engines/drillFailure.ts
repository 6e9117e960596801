import { LifeboatError, isDiskFull } from '../core/errors';

/**
 * Whether a restore drill's failure is the backup's: a role or extension the server lacks, SQL it
 * rejects (the restore tool's own refusal). Those are what a drill is for, and are recorded as a
 * failed verification. Anything else only means the drill could not run here (Cancel, a full disk,
 * a lost connection, a tool missing or too old, a damaged archive reported as such): nothing is
 * recorded for it, and the backup keeps the state it had.
 */
export function drillFailureIsTheBackups(error: unknown): boolean {
  return error instanceof LifeboatError && error.code === 'io' && !isDiskFull(error);
}
