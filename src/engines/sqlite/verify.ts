import type { CatalogEntry } from '../../core/catalog';
import { LifeboatError } from '../../core/errors';
import type { JobContext } from '../../core/job';
import type { Manifest, Verification } from '../../core/manifest';
import { PhasedProgress } from '../../core/progress';
import { createScratch, ensureScratchRoom } from '../../core/scratch';
import { verifyAndRecord } from '../verification';
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
  const { manifest } = entry;
  const progress = new PhasedProgress({ read: 6, check: options.quick ? 0 : 4 }, ctx.onProgress);
  const read = (fraction: number, message: string) => progress.report('read', fraction, message);
  const scratch = await createScratch(ctx.scratchParent);
  try {
    return await verifyAndRecord(entry, ctx, options.quick ? 'quick' : 'full', async checks => {
      if (options.quick) {
        checks.push(...await quickCheck(entry, ctx, read));
        return;
      }
      await ensureScratchRoom(scratch, databaseBytes(manifest), `rebuilding ${manifest.id} to check it`);
      const local = scratch.file('verify.sqlite');
      const made = await materializeBackup(entry, local, ctx, read);
      checks.push(made.check);
      progress.report('check', 0, 'Running PRAGMA integrity_check');
      const outcome = await integrityCheck(local, ctx.signal, f => progress.report('check', f, 'Running PRAGMA integrity_check, counting rows'));
      checks.push({ name: 'integrity_check', ok: outcome.ok, detail: outcome.ok ? 'ok' : outcome.problems.slice(0, 5).join('; ') });
      if (outcome.ok) checks.push(compareRowCounts(manifest.tables, outcome.tables));
    }, error => error instanceof LifeboatError && ['verification', 'integrity', 'not-found'].includes(error.code)
      ? { name: error.code === 'integrity' ? 'integrity_check' : 'sha256', ok: false, detail: error.fullMessage }
      : undefined);
  } finally {
    await scratch.dispose();
  }
}

/** The size of the database a backup rebuilds: its pages, or what its files hold. */
function databaseBytes(manifest: Manifest): number {
  const { pageCount, pageSize, databaseBytes: recorded } = manifest.consistency;
  if (typeof recorded === 'number') return recorded;
  if (typeof pageCount === 'number' && typeof pageSize === 'number') return pageCount * pageSize;
  return manifest.files.reduce((n, f) => n + (f.contentSize ?? f.size), 0);
}
