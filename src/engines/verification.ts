import { appendVerification, type CatalogEntry } from '../core/catalog';
import { isCancelled } from '../core/errors';
import { elapsedMs, type JobContext } from '../core/job';
import type { Verification, VerificationCheck } from '../core/manifest';
import { LIFEBOAT_TOOL } from '../core/version';

/** What a verification measured besides its checks: a drill's restore time. */
export interface Measured {
  restoreMs?: number;
}

/**
 * The frame of every engine's verify and drill: `run` makes the checks, pushing each as it goes;
 * then the outcome is recorded beside the manifest (what the tree's mark and `list` show) and
 * logged. An error that `damage` turns into a failed check (the backup is damaged) ends the
 * checks and is recorded with them; any other error (Cancel, a full disk, a lost connection, a
 * missing tool) means the verification could not finish: it is thrown, and nothing is recorded,
 * so the backup keeps the state it had.
 */
export async function verifyAndRecord(entry: CatalogEntry, ctx: JobContext, kind: Verification['kind'],
  run: (checks: VerificationCheck[], measured: Measured) => Promise<void>, damage: (error: unknown) => VerificationCheck | undefined): Promise<Verification> {
  const started = performance.now();
  const checks: VerificationCheck[] = [];
  const measured: Measured = {};
  try {
    await run(checks, measured);
  } catch (error) {
    const failed = isCancelled(error) ? undefined : damage(error);
    if (!failed) throw error;
    checks.push(failed);
  }
  const verification: Verification = {
    at: new Date().toISOString(), kind, ok: checks.every(c => c.ok), durationMs: elapsedMs(started), checks,
    ...(measured.restoreMs !== undefined ? { restoreMs: measured.restoreMs } : {}), by: LIFEBOAT_TOOL,
  };
  await appendVerification(ctx.destination, entry.prefix, verification);
  const log = verification.ok ? ctx.logger.info : ctx.logger.error;
  log.call(ctx.logger, `Verification of ${entry.manifest.id} ${verification.ok ? 'passed' : 'FAILED'}: ${checks.map(c => `${c.name}: ${c.detail}`).join(' | ')}`);
  return verification;
}
