import type { CatalogEntry } from '../../../core/catalog';
import { LifeboatError } from '../../../core/errors';
import { formatBytes } from '../../../core/format';
import type { JobContext } from '../../../core/job';
import type { Verification } from '../../../core/manifest';
import { PhasedProgress } from '../../../core/progress';
import { readStoredFile } from '../../../core/storePipeline';
import { verifyAndRecord } from '../../verification';
import { Writable } from 'node:stream';
import type { Destination } from '../../../core/destination';
import type { StoredFile } from '../../../core/manifest';
import { BASE_BACKUP_KIND, BASE_MANIFEST, BASE_PAYLOAD } from './baseBackup';
import { baseTarSink, type BaseTarSummary } from './baseTar';

export function isBaseBackup(entry: CatalogEntry): boolean {
  return entry.manifest.kind === BASE_BACKUP_KIND;
}

/** The stored tar and the server's backup_manifest, as the backup's manifest lists them. */
export function basePayload(entry: CatalogEntry): { tar: StoredFile; manifest: StoredFile } {
  const tar = entry.manifest.files.find(f => f.name === BASE_PAYLOAD);
  const manifest = entry.manifest.files.find(f => f.name === BASE_MANIFEST);
  if (!tar || !manifest || entry.manifest.files.length !== 2) throw new LifeboatError('verification', `Backup ${entry.manifest.id} is a base backup without its two files ${BASE_PAYLOAD} and ${BASE_MANIFEST}.`, 'The backup cannot be trusted; take a new base backup.');
  return { tar, manifest };
}

/** The server's backup_manifest of a base backup, read and checked against the backup's manifest. */
export async function readBackupManifest(entry: CatalogEntry, destination: Destination, signal?: AbortSignal): Promise<Buffer> {
  const { manifest } = basePayload(entry);
  if (manifest.size > 1024 * 1024 * 1024) throw new LifeboatError('verification', `The backup_manifest of ${entry.manifest.id} is ${manifest.size} bytes, more than any cluster needs.`, 'The backup cannot be trusted.');
  const chunks: Buffer[] = [];
  await readStoredFile({ destination, key: `${entry.prefix}/${manifest.name}`, file: manifest, signal, sink: new Writable({ write(chunk: Buffer, _e, done) { chunks.push(chunk); done(); } }) });
  return Buffer.concat(chunks);
}

/**
 * A base backup read back whole: the stored bytes against the manifest's SHA-256 and, inside,
 * every file of the cluster against the server's backup_manifest (baseTar.ts), as at backup time.
 */
export async function verifyBaseBackup(entry: CatalogEntry, ctx: JobContext): Promise<Verification> {
  const progress = new PhasedProgress({ read: 1 }, ctx.onProgress);
  return verifyAndRecord(entry, ctx, 'full', async checks => {
    const file = basePayload(entry).tar;
    const manifest = await readBackupManifest(entry, ctx.destination, ctx.signal);
    let summary: BaseTarSummary | undefined;
    await readStoredFile({
      destination: ctx.destination, key: `${entry.prefix}/${file.name}`, file, signal: ctx.signal,
      sink: baseTarSink({ manifest, onSummary: s => { summary = s; } }),
      onBytes: (read, total) => progress.report('read', read / Math.max(1, total), `Reading ${file.name}: ${formatBytes(read)} of ${formatBytes(total)}`),
    });
    checks.push({ name: 'sha256', ok: true, detail: `${file.name} and backup_manifest match the manifest's sizes and SHA-256s` });
    checks.push({ name: 'backup_manifest', ok: true, detail: `${summary!.filesChecked} files (${formatBytes(summary!.bytes)}) match the server's backup_manifest (SHA-256)` });
  }, error => error instanceof LifeboatError && error.code === 'verification' ? { name: 'base backup', ok: false, detail: error.message } : undefined);
}
