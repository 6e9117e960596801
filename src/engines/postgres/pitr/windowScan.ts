import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Destination } from '../../../core/destination';
import { readArchived, type ArchivedLog } from '../../../core/logArchive';
import { scanWal, type WalScan } from './walScan';
import type { RecoveryWindow } from './recoveryWindow';

/** How far back from a stretch's end Lifeboat looks for its last commit (segments of an idle
 *  server, switched by archive_timeout, hold none). */
const SEGMENTS_BACK = 8;

/**
 * Reads the end of each stretch of archived WAL (recoveryWindow.ts) with pg_waldump: its last
 * record and last commit. Segments are fetched (and checked) into `folder` and kept there, so
 * a recovery that follows reuses them.
 */
export async function scanStretchEnds(window: RecoveryWindow, destination: Destination, folder: string, pgWaldump: string, signal?: AbortSignal): Promise<void> {
  const scans = new Map<string, Promise<WalScan>>();
  for (const stretch of window.stretches) {
    for (let back = 0; back < Math.min(SEGMENTS_BACK, stretch.segments.length); back++) {
      const segment = stretch.segments[stretch.segments.length - 1 - back];
      if (!scans.has(segment.name)) scans.set(segment.name, scanOne(destination, folder, segment, pgWaldump, signal));
      const scan = await scans.get(segment.name)!;
      if (back === 0) stretch.lastLsn = scan.lastLsn;
      if (scan.lastCommit?.time) {
        stretch.lastCommit = { time: scan.lastCommit.time, timeText: scan.lastCommit.timeText!, lsn: scan.lastCommit.lsn, ...(scan.lastCommit.xid !== undefined ? { xid: scan.lastCommit.xid } : {}) };
        break;
      }
    }
  }
}

async function scanOne(destination: Destination, folder: string, segment: ArchivedLog, pgWaldump: string, signal?: AbortSignal): Promise<WalScan> {
  await stageSegment(destination, folder, segment, signal);
  return scanWal(pgWaldump, folder, segment.name, segment.name, signal);
}

/** One archived file into `folder` under its own name, unless it is there already. */
export async function stageSegment(destination: Destination, folder: string, copy: ArchivedLog, signal?: AbortSignal, owner?: { uid: number; gid: number }): Promise<void> {
  const target = path.join(folder, copy.name);
  if (fs.existsSync(target)) {
    if (owner) await fs.promises.chown(target, owner.uid, owner.gid);
    return;
  }
  await readArchived(destination, copy, target, signal, owner, { durable: false });
}
