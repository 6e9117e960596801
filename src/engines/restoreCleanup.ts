import type { ServerConnection } from '../core/connection';
import { CancelledError, errorMessage, isCancelled } from '../core/errors';
import type { JobContext } from '../core/job';
import type { Manifest } from '../core/manifest';
import { discardLog, withLog } from '../core/toolLog';

/**
 * After a server restore failed or was cancelled, the same for every server engine: the database
 * it created is dropped (nothing half-restored is left), and the restore tool's log is kept only
 * when its words explain the failure (toolLog.ts). Returns the error to throw.
 */
export async function failedRestore(error: unknown, state: { created: boolean; database: string; drop(): Promise<void>; logFile?: string; ctx: JobContext }): Promise<unknown> {
  if (state.created) await state.drop().catch(e => state.ctx.logger.warn(`Could not drop the half-restored database "${state.database}": ${errorMessage(e)}`));
  if (state.ctx.signal?.aborted || isCancelled(error)) {
    if (state.logFile) await discardLog(state.logFile);
    return new CancelledError('The restore');
  }
  return state.logFile ? withLog(error, state.logFile) : error;
}

/** A connection to the database a restore went into, for the editor to add. */
export function restoredConnection(target: ServerConnection, server: ServerConnection, database: string, manifest: Manifest): ServerConnection {
  return { ...target, id: `${server.id}-${database}`, name: `${database} (restored from ${manifest.connection.name})` };
}
