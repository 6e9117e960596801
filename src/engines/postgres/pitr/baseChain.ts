import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CatalogEntry } from '../../../core/catalog';
import type { Destination } from '../../../core/destination';
import { LifeboatError } from '../../../core/errors';
import { formatBytes } from '../../../core/format';
import type { Logger } from '../../../core/logger';
import type { LocalAccount } from '../../../core/localAccount';
import { runTool } from '../../../core/processes';
import { own } from '../../../core/sandboxFolder';
import { readStoredFile } from '../../../core/storePipeline';
import { baseTarSink } from './baseTar';
import { basePayload, readBackupManifest } from './baseVerify';
import type { ServerTools } from './serverTools';

/**
 * What a recovery unpacks: a full base backup as it is, or an incremental one with the chain it
 * builds on (parent by parent, back to a full one), each unpacked and checked against its own
 * backup_manifest into a plain folder, then combined into the data folder with pg_combinebackup,
 * which needs plain folders and the whole chain (measured).
 */
export function baseChain(entry: CatalogEntry, entries: CatalogEntry[]): CatalogEntry[] {
  const byId = new Map(entries.map(e => [e.manifest.id, e]));
  const chain = [entry];
  for (let current = entry; current.manifest.parent;) {
    const parent = byId.get(current.manifest.parent);
    if (!parent) throw new LifeboatError('not-found', `Base backup ${current.manifest.id} is incremental, and ${current.manifest.parent}, which it builds on, is not in the backup folder.`, 'Recover from another base backup, or restore the missing one into the backup folder.');
    if (chain.includes(parent) || chain.length > 1000) throw new LifeboatError('verification', `The base backups from ${entry.manifest.id} name each other as parents in a loop.`, 'Their manifests cannot be trusted.');
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}

export interface UnpackChainOptions {
  chain: CatalogEntry[];
  destination: Destination;
  /** The sandbox's folder (the chain's folders go there) and its data folder, which exists and is empty. */
  dir: string;
  dataDir: string;
  tools: ServerTools;
  account?: LocalAccount;
  signal?: AbortSignal;
  logger: Logger;
  onProgress: (fraction: number, message: string) => void;
}

export async function unpackChain(options: UnpackChainOptions): Promise<void> {
  const { chain, dir, dataDir, account } = options;
  if (chain.length === 1) return unpackOne(chain[0], dataDir, 0, options);
  const pgCombinebackup = path.join(options.tools.dir, process.platform === 'win32' ? 'pg_combinebackup.exe' : 'pg_combinebackup');
  if (!fs.existsSync(pgCombinebackup)) throw new LifeboatError('not-found', `Recovering incremental base backup ${chain.at(-1)!.manifest.id} needs pg_combinebackup, which is not in ${options.tools.dir}.`, 'Install the PostgreSQL client tools of the same version there (Debian/Ubuntu: postgresql-client-<major>).');
  const folders: string[] = [];
  try {
    for (const [i, entry] of chain.entries()) {
      const folder = path.join(dir, `chain-${i}`);
      await fs.promises.mkdir(folder, { mode: 0o700 });
      await own(folder, account);
      folders.push(folder);
      await unpackOne(entry, folder, i, options);
    }
    options.onProgress(1, `Combining ${chain.length} base backups (pg_combinebackup)`);
    // --link: the combined folder takes the unpacked files' blocks instead of copying them; the chain's folders are removed next.
    await runTool({
      label: 'pg_combinebackup of the sandbox', command: pgCombinebackup, args: ['--no-sync', '--link', '-o', dataDir, ...folders],
      env: { LC_MESSAGES: 'C' }, cwd: dir, signal: options.signal, ...(account ? { as: account } : {}),
    }).done;
  } finally {
    for (const folder of folders) await fs.promises.rm(folder, { recursive: true, force: true });
  }
}

/** One base backup's tar into `folder`, every file checked; with its backup_manifest beside, where pg_combinebackup reads it. */
async function unpackOne(entry: CatalogEntry, folder: string, index: number, options: UnpackChainOptions): Promise<void> {
  const { chain, account } = options;
  const payload = basePayload(entry).tar;
  const manifest = await readBackupManifest(entry, options.destination, options.signal);
  const of = chain.length > 1 ? ` (${index + 1} of ${chain.length})` : '';
  await readStoredFile({
    destination: options.destination, key: `${entry.prefix}/${payload.name}`, file: payload, signal: options.signal,
    sink: baseTarSink({ manifest, extractTo: folder, ...(account ? { owner: account } : {}), onSummary: s => options.logger.info(`Base backup ${entry.manifest.id}: ${s.filesChecked} files match its backup_manifest`) }),
    onBytes: (read, total) => options.onProgress((index + read / Math.max(1, total)) / chain.length, `Unpacking base backup ${entry.manifest.id}${of}: ${formatBytes(read)} of ${formatBytes(total)}`),
  });
  if (chain.length > 1) {
    const file = path.join(folder, 'backup_manifest');
    await fs.promises.writeFile(file, manifest, { mode: 0o600 });
    await own(file, account);
  }
}
