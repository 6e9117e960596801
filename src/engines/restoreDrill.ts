import type { CatalogEntry } from '../core/catalog';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { VerificationCheck } from '../core/manifest';
import { drillFailureIsTheBackups } from './drillFailure';
import type { Measured } from './verification';

/**
 * A restore drill on a server, the same for every server engine: the backup restored into a
 * scratch database of a fresh name, what came back checked against what the backup holds, and
 * the scratch database dropped whatever happened. The restore's time is the recovery time this
 * backup really gives. A restore the server refused (the backup's own failure: a role it lacks,
 * SQL it rejects) is a failed check, which is what a drill is for; anything else that stops the
 * drill is thrown (verification.ts then records nothing).
 */
export async function restoreDrill<R extends { durationMs: number }>(entry: CatalogEntry, checks: VerificationCheck[], measured: Measured, steps: {
  restore(database: string): Promise<R>;
  check(database: string, restored: R): Promise<VerificationCheck[]>;
  drop(database: string): Promise<void>;
  logger: Logger;
}): Promise<void> {
  const database = `lifeboat_drill_${entry.manifest.id.slice(-4)}_${Math.random().toString(36).slice(2, 8)}`;
  try {
    const restored = await steps.restore(database).catch((error: unknown) => {
      if (!drillFailureIsTheBackups(error)) throw error;
      checks.push({ name: 'restore', ok: false, detail: errorMessage(error) });
      return undefined;
    });
    if (!restored) return;
    measured.restoreMs = restored.durationMs;
    checks.push({ name: 'restore', ok: true, detail: `Restored into a scratch database in ${restored.durationMs} ms` });
    checks.push(...await steps.check(database, restored));
  } finally {
    await steps.drop(database).catch(e => steps.logger.warn(`Could not drop the drill database "${database}": ${errorMessage(e)}`));
  }
}
