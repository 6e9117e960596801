import type { CatalogEntry } from './catalog';
import { readStoredFile } from './storePipeline';
import type { Destination } from './destination';

/** Reads every stored file of a backup and checks its size and both SHA-256s (throws
 *  'verification' naming the first damaged file). */
export async function verifyFileHashes(entry: CatalogEntry, destination: Destination, signal?: AbortSignal, onBytes?: (read: number, total: number) => void): Promise<void> {
  const total = entry.manifest.files.reduce((n, f) => n + f.size, 0);
  let before = 0;
  for (const file of entry.manifest.files) {
    await readStoredFile({ destination, key: `${entry.prefix}/${file.name}`, file, signal, onBytes: read => onBytes?.(before + read, total) });
    before += file.size;
  }
}
