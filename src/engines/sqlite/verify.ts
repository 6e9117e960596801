import { appendVerification, type CatalogEntry } from '../../core/catalog';
import { LifeboatError, isCancelled } from '../../core/errors';
import { elapsedMs, type JobContext } from '../../core/job';
import type { Verification, VerificationCheck } from '../../core/manifest';
import { PhasedProgress } from '../../core/progress';
import { createScratch } from '../../core/scratch';
import { readStoredFile } from '../../core/storePipeline';
import { LIFEBOAT_TOOL } from '../../core/version';
import { formatBytes } from '../../core/format';
import { compareRowCounts, integrityCheck } from './checks';

/**
 * Full verification of a stored SQLite backup: read every stored byte back and compare both
 * SHA-256 sums, decompress, run integrity_check, compare row counts with the manifest. The
 * result is appended to the manifest's history (that is what the tree's mark shows).
 */
export async function verifySqliteBackup(entry: CatalogEntry, ctx: JobContext): Promise<Verification> {
  const started = performance.now();
  const { manifest, prefix } = entry;
  const checks: VerificationCheck[] = [];
  const progress = new PhasedProgress({ read: 6, check: 4 }, ctx.onProgress);
  const scratch = await createScratch(ctx.scratchParent);
  try {
    const file = manifest.files[0];
    const local = scratch.file('verify.sqlite');
    try {
      await readStoredFile({
        destination: ctx.destination, key: `${prefix}/${file.name}`, file, target: local, signal: ctx.signal,
        onBytes: (read, total) => progress.report('read', read / total, `Reading back ${formatBytes(read)} of ${formatBytes(total)}`),
      });
      checks.push({ name: 'sha256', ok: true, detail: `${file.name}: ${formatBytes(file.size)}, SHA-256 matches (stored and decompressed)` });
      progress.report('check', 0, 'Running PRAGMA integrity_check');
      const outcome = await integrityCheck(local, ctx.signal, f => progress.report('check', f, 'Running PRAGMA integrity_check, counting rows'));
      checks.push({ name: 'integrity_check', ok: outcome.ok, detail: outcome.ok ? 'ok' : outcome.problems.slice(0, 5).join('; ') });
      if (outcome.ok) checks.push(compareRowCounts(manifest.tables, outcome.tables));
    } catch (error) {
      if (isCancelled(error) || !(error instanceof LifeboatError) || (error.code !== 'verification' && error.code !== 'integrity' && error.code !== 'not-found')) throw error;
      checks.push({ name: error.code === 'integrity' ? 'integrity_check' : 'sha256', ok: false, detail: error.fullMessage });
    }
  } finally {
    await scratch.dispose();
  }
  const verification: Verification = {
    at: new Date().toISOString(),
    kind: 'full',
    ok: checks.every(c => c.ok),
    durationMs: elapsedMs(started),
    checks,
    by: LIFEBOAT_TOOL,
  };
  await appendVerification(ctx.destination, prefix, verification);
  const log = verification.ok ? ctx.logger.info : ctx.logger.error;
  log.call(ctx.logger, `Verification of ${manifest.id} ${verification.ok ? 'passed' : 'FAILED'}: ${checks.map(c => `${c.name}: ${c.detail}`).join(' | ')}`);
  return verification;
}
