import { appendVerification, type CatalogEntry } from '../../core/catalog';
import { LifeboatError, isCancelled } from '../../core/errors';
import { elapsedMs, type JobContext } from '../../core/job';
import type { Verification, VerificationCheck } from '../../core/manifest';
import { PhasedProgress } from '../../core/progress';
import { createScratch } from '../../core/scratch';
import { LIFEBOAT_TOOL } from '../../core/version';
import { compareRowCounts, integrityCheck } from './checks';
import { materializeBackup, quickCheck } from './materialize';

/**
 * Verification of a stored SQLite backup, appended to the manifest's history (that is what the
 * tree's mark shows).
 *   full (default): rebuild the database in scratch from what is stored, checking every SHA-256
 *     on the way (materialize.ts), then integrity_check and row counts against the manifest;
 *   quick: read every stored byte back and compare SHA-256s (a snapshot: also that every page's
 *     block is in its packs), without rebuilding.
 */
export async function verifySqliteBackup(entry: CatalogEntry, ctx: JobContext, options: { quick?: boolean } = {}): Promise<Verification> {
  const started = performance.now();
  const { manifest } = entry;
  const checks: VerificationCheck[] = [];
  const progress = new PhasedProgress({ read: 6, check: options.quick ? 0 : 4 }, ctx.onProgress);
  const read = (fraction: number, message: string) => progress.report('read', fraction, message);
  const scratch = await createScratch(ctx.scratchParent);
  try {
    if (options.quick) {
      checks.push(...await quickCheck(entry, ctx, read));
    } else {
      const local = scratch.file('verify.sqlite');
      const made = await materializeBackup(entry, local, ctx, read);
      checks.push(made.check);
      progress.report('check', 0, 'Running PRAGMA integrity_check');
      const outcome = await integrityCheck(local, ctx.signal, f => progress.report('check', f, 'Running PRAGMA integrity_check, counting rows'));
      checks.push({ name: 'integrity_check', ok: outcome.ok, detail: outcome.ok ? 'ok' : outcome.problems.slice(0, 5).join('; ') });
      if (outcome.ok) checks.push(compareRowCounts(manifest.tables, outcome.tables));
    }
  } catch (error) {
    if (isCancelled(error) || !(error instanceof LifeboatError) || (error.code !== 'verification' && error.code !== 'integrity' && error.code !== 'not-found')) throw error;
    checks.push({ name: error.code === 'integrity' ? 'integrity_check' : 'sha256', ok: false, detail: error.fullMessage });
  } finally {
    await scratch.dispose();
  }
  const verification: Verification = {
    at: new Date().toISOString(),
    kind: options.quick ? 'quick' : 'full',
    ok: checks.every(c => c.ok),
    durationMs: elapsedMs(started),
    checks,
    by: LIFEBOAT_TOOL,
  };
  await appendVerification(ctx.destination, entry.prefix, verification);
  const log = verification.ok ? ctx.logger.info : ctx.logger.error;
  log.call(ctx.logger, `Verification of ${manifest.id} ${verification.ok ? 'passed' : 'FAILED'}: ${checks.map(c => `${c.name}: ${c.detail}`).join(' | ')}`);
  return verification;
}
