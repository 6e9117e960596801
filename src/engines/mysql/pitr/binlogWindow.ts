import type { CatalogEntry } from '../../../core/catalog';
import type { ArchivedLog } from '../../../core/logArchive';
import { inSequence, nextBinlogName, parseBinlogName } from './binlogArchive';
import type { BinlogTransaction } from './binlogEvents';

/**
 * What a MariaDB connection can be recovered to: each full dump that recorded its binary-log
 * position (mariadb-dump --master-data) starts a stretch, which runs through the archived binary
 * logs from that file on, one after the other, up to the first one missing. A stretch can reach
 * any moment from the dump's completion (its snapshot was taken before then) to the last
 * transaction archived in it.
 */
export interface DumpBase {
  id: string;
  entry: CatalogEntry;
  file: string;
  position: number;
  gtid: string | null;
  /** When the dump finished: its snapshot is no later. */
  completedAt: Date;
}

export interface BinlogStretch {
  base: DumpBase;
  /** The archived files it replays, in order, starting with the dump's own. */
  files: ArchivedLog[];
  /** The first file missing after them, when later ones are archived (a gap). */
  gapAt?: string;
  /** The last transaction in the last file, once read (binlogEvents.ts). */
  last?: BinlogTransaction;
}

export interface BinlogWindow {
  stretches: BinlogStretch[];
  /** Dumps that cannot start a recovery, and why. */
  unusable: { id: string; why: string }[];
}

/** The newest transaction archived in any stretch (once their ends are read): where the window ends. */
export function lastTransaction(window: BinlogWindow): BinlogTransaction | undefined {
  return window.stretches.map(s => s.last).filter(l => l !== undefined).sort((a, b) => a.time.getTime() - b.time.getTime()).at(-1);
}

export function isDumpBase(entry: CatalogEntry): boolean {
  return entry.manifest.engine === 'mysql' && entry.manifest.kind === 'mysql-dump-sql' && typeof entry.manifest.consistency.binlogFile === 'string';
}

/** Stretches oldest first. `archived` is one destination's listing (binlogArchive.ts). */
export function planBinlogWindow(entries: CatalogEntry[], archived: Map<string, ArchivedLog[]>): BinlogWindow {
  const unusable: BinlogWindow['unusable'] = [];
  const stretches: BinlogStretch[] = [];
  const names = inSequence(archived.keys());
  const newest = names.at(-1);
  for (const entry of [...entries].reverse()) {
    const { manifest } = entry;
    if (manifest.engine !== 'mysql' || manifest.kind !== 'mysql-dump-sql') continue;
    const { binlogFile, binlogPosition, gtid } = manifest.consistency;
    if (typeof binlogFile !== 'string' || typeof binlogPosition !== 'number') {
      unusable.push({ id: manifest.id, why: 'it was made with the binary log off, so it records no position to replay from' });
      continue;
    }
    if (manifest.options.tables || manifest.options.excludeTables || manifest.options.schemaOnly || manifest.options.dataOnly) {
      unusable.push({ id: manifest.id, why: 'it holds only part of the database' });
      continue;
    }
    // The manifest is input from outside: a name that can only be a binary log, a position that is one.
    if (!parseBinlogName(binlogFile) || !Number.isSafeInteger(binlogPosition) || binlogPosition < 4 || Number.isNaN(Date.parse(manifest.completedAt))) {
      unusable.push({ id: manifest.id, why: `its binary-log position ${JSON.stringify(`${binlogFile.slice(0, 80)}:${binlogPosition}`)} or its completion time is not one` });
      continue;
    }
    const files: ArchivedLog[] = [];
    let name = binlogFile;
    for (;;) {
      const copies = archived.get(name);
      if (!copies || copies.length !== 1) break;
      files.push(copies[0]);
      name = nextBinlogName(name);
    }
    if (files.length === 0) {
      unusable.push({ id: manifest.id, why: `${binlogFile}, where it starts, is not archived` });
      continue;
    }
    const base: DumpBase = { id: manifest.id, entry, file: binlogFile, position: binlogPosition, gtid: typeof gtid === 'string' && gtid ? gtid : null, completedAt: new Date(manifest.completedAt) };
    const later = newest !== undefined && parseBinlogName(newest)!.sequence > parseBinlogName(files.at(-1)!.name)!.sequence;
    stretches.push({ base, files, ...(later ? { gapAt: name } : {}) });
  }
  return { stretches, unusable };
}
