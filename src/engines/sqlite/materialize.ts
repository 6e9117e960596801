import type { CatalogEntry } from '../../core/catalog';
import { formatBytes } from '../../core/format';
import type { JobContext } from '../../core/job';
import type { VerificationCheck } from '../../core/manifest';
import { sharedKey } from '../../core/sharedFiles';
import { createScratch } from '../../core/scratch';
import { readStoredFile } from '../../core/storePipeline';
import { hashFile } from '../../core/hashing';
import { runInChecker } from './checkerClient';
import type { LoadResult } from './checkerProtocol';
import { SQL_DUMP_KIND } from './payloads';
import { SNAPSHOT_KIND, loadBlockLocations, readStoredBuffer } from './snapshot/layout';
import { decodePageIndex, pageCountOf, pageHash } from './snapshot/pageIndex';
import { rebuildSnapshot } from './snapshot/rebuild';

export interface Materialized {
  bytes: number;
  sha256: string;
  /** What was checked on the way, for a verification's record. */
  check: VerificationCheck;
}

/**
 * Turns a stored SQLite backup back into a database file at `target` (a new file), whatever its
 * format, checking stored bytes against the manifest on the way: the copy is decompressed, a
 * snapshot rebuilt from its blocks, a SQL dump run into a new database in one transaction.
 * Restore and full verification both start here, then run integrity_check on the result.
 */
export async function materializeBackup(entry: CatalogEntry, target: string, ctx: JobContext, onProgress: (fraction: number, message: string) => void): Promise<Materialized> {
  const { manifest, prefix } = entry;
  const file = manifest.files[0];
  switch (manifest.kind) {
    case SNAPSHOT_KIND: {
      const rebuilt = await rebuildSnapshot({ destination: ctx.destination, prefix, manifest, target, signal: ctx.signal, onProgress });
      const packs = (manifest.shared ?? []).filter(f => f.name.endsWith('.pack')).length;
      return { ...rebuilt, check: { name: 'sha256', ok: true, detail: `rebuilt from ${packs} pack(s), every block's SHA-256 and the whole file's (${formatBytes(rebuilt.bytes)}) as recorded` } };
    }
    case SQL_DUMP_KIND: {
      const scratch = await createScratch(ctx.scratchParent);
      try {
        const sql = scratch.file(file.name.replace(/\.(gz|zst)$/, ''));
        await readStoredFile({
          destination: ctx.destination, key: `${prefix}/${file.name}`, file, target: sql, signal: ctx.signal,
          onBytes: (read, total) => onProgress(0.4 * read / total, `Reading the SQL dump: ${formatBytes(read)} of ${formatBytes(total)}`),
        });
        await runInChecker<LoadResult>({ task: 'load', sql, target }, {
          signal: ctx.signal, onProgress: (done, total) => onProgress(0.4 + 0.6 * done / total, `Running the SQL dump: ${formatBytes(done)} of ${formatBytes(total)}`),
        });
      } finally {
        await scratch.dispose();
      }
      const { bytes, sha256 } = await hashFile(target);
      return { bytes, sha256, check: { name: 'sha256', ok: true, detail: `${file.name}: ${formatBytes(file.size)}, SHA-256 matches (stored and decompressed); the dump ran in one transaction` } };
    }
    default: {
      await readStoredFile({
        destination: ctx.destination, key: `${prefix}/${file.name}`, file, target, signal: ctx.signal,
        onBytes: (read, total) => onProgress(read / total, `Restoring ${formatBytes(read)} of ${formatBytes(total)}`),
      });
      // A SQLite backup records its content's hash; one that does not (edited) is hashed as restored.
      const content = file.contentSha256 !== undefined && file.contentSize !== undefined ? { bytes: file.contentSize, sha256: file.contentSha256 } : await hashFile(target);
      return { ...content, check: { name: 'sha256', ok: true, detail: `${file.name}: ${formatBytes(file.size)}, SHA-256 matches (stored and decompressed)` } };
    }
  }
}

/**
 * A quick verification: every stored byte the backup needs is read back and compared with the
 * SHA-256 in its manifest (for a snapshot: its page index, and every pack and pack index it uses),
 * and a snapshot's page index is checked to name only blocks its packs hold. Nothing is rebuilt
 * and integrity_check does not run: that is the full verification.
 */
export async function quickCheck(entry: CatalogEntry, ctx: JobContext, onProgress: (fraction: number, message: string) => void): Promise<VerificationCheck[]> {
  const { manifest, prefix } = entry;
  const shared = manifest.shared ?? [];
  const all = [...manifest.files.map(f => ({ file: f, key: `${prefix}/${f.name}` })), ...shared.map(f => ({ file: f, key: sharedKey(manifest.connection.id, f.name) }))];
  const total = all.reduce((n, f) => n + f.file.size, 0);
  let before = 0;
  for (const { file, key } of all) {
    await readStoredFile({
      destination: ctx.destination, key, file, signal: ctx.signal,
      onBytes: read => onProgress((before + read) / Math.max(1, total), `Reading back ${file.name}: ${formatBytes(before + read)} of ${formatBytes(total)}`),
    });
    before += file.size;
  }
  const checks: VerificationCheck[] = [{ name: 'sha256', ok: true, detail: `${all.length} file(s), ${formatBytes(total)}: every SHA-256 matches the manifest` }];
  if (manifest.kind === SNAPSHOT_KIND) {
    const file = manifest.files[0];
    const index = decodePageIndex(await readStoredBuffer(ctx.destination, `${prefix}/${file.name}`, file, ctx.signal), file.name);
    const locations = await loadBlockLocations(ctx.destination, manifest.connection.id, shared, ctx.signal);
    let missing = 0;
    for (let page = 0; page < pageCountOf(index); page++) if (!locations.has(pageHash(index, page))) missing++;
    checks.push(missing === 0
      ? { name: 'blocks', ok: true, detail: `all ${pageCountOf(index)} pages have their block in the ${shared.filter(f => f.name.endsWith('.pack')).length} pack(s) listed` }
      : { name: 'blocks', ok: false, detail: `${missing} of ${pageCountOf(index)} pages have no block in the packs the manifest lists` });
  }
  return checks;
}
