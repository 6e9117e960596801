import type { CatalogEntry } from '../../../core/catalog';
import { LifeboatError } from '../../../core/errors';
import { formatBytes } from '../../../core/format';
import type { JobContext } from '../../../core/job';
import type { Verification } from '../../../core/manifest';
import { PhasedProgress } from '../../../core/progress';
import { readStoredFile } from '../../../core/storePipeline';
import { verifyAndRecord } from '../../verification';
import { BASE_BACKUP_KIND, BASE_PAYLOAD } from './baseBackup';
import { baseTarSink, type BaseTarSummary } from './baseTar';

export function isBaseBackup(entry: CatalogEntry): boolean {
  return entry.manifest.kind === BASE_BACKUP_KIND;
}

/** The stored tar, as its manifest lists it. */
export function basePayload(entry: CatalogEntry) {
  const file = entry.manifest.files.find(f => f.name === BASE_PAYLOAD);
  if (!file || entry.manifest.files.length !== 1) throw new LifeboatError('verification', `Backup ${entry.manifest.id} is a base backup without its one file ${BASE_PAYLOAD}.`, 'The backup cannot be trusted; take a new base backup.');
  return file;
}

/**
 * A base backup read back whole: the stored bytes against the manifest's SHA-256 and, inside,
 * every file of the cluster against the server's backup_manifest (baseTar.ts), as at backup time.
 */
export async function verifyBaseBackup(entry: CatalogEntry, ctx: JobContext): Promise<Verification> {
  const progress = new PhasedProgress({ read: 1 }, ctx.onProgress);
  return verifyAndRecord(entry, ctx, 'full', async checks => {
    const file = basePayload(entry);
    let summary: BaseTarSummary | undefined;
    await readStoredFile({
      destination: ctx.destination, key: `${entry.prefix}/${file.name}`, file, signal: ctx.signal,
      sink: baseTarSink({ onSummary: s => { summary = s; } }),
      onBytes: (read, total) => progress.report('read', read / Math.max(1, total), `Reading ${file.name}: ${formatBytes(read)} of ${formatBytes(total)}`),
    });
    checks.push({ name: 'sha256', ok: true, detail: `${file.name} matches the manifest's size and SHA-256` });
    checks.push({ name: 'backup_manifest', ok: true, detail: `${summary!.filesChecked} files (${formatBytes(summary!.bytes)}) match the server's backup_manifest (SHA-256)` });
  }, error => error instanceof LifeboatError && error.code === 'verification' ? { name: 'base backup', ok: false, detail: error.message } : undefined);
}
