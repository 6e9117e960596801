import type { CatalogEntry } from '../../../core/catalog';
import { verificationState } from '../../../core/manifest';
import type { ArchivedLog } from '../../../core/logArchive';
import { errorMessage } from '../../../core/errors';
import { baseChain } from './baseChain';
import { isBaseBackup } from './baseVerify';
import { formatLsn, isSegmentName, parseLsn, parseSegment, segmentFromNumber, segmentName } from './walNames';

/**
 * The recoverable window of a connection: for each base backup, from its end (the earliest point
 * a recovery from it can stop at) along the archived WAL of its timeline, segment after segment,
 * up to the last segment before the first one missing. The time end of a stretch is its last
 * commit, read from the WAL (walScan.ts), since time targets are checked only at commits. What
 * is missing is called out as a gap: nothing after it can be reached from the backups before it.
 * A recovery follows the base backup's own timeline (recovery_target_timeline = 'current').
 */
export interface BasePoint {
  entry: CatalogEntry;
  id: string;
  timeline: number;
  startLsn: bigint;
  endLsn: bigint;
  endTime: Date;
  segmentBytes: number;
  startSegment: string;
  /** The segment that holds endLsn, where its stretch of archived WAL begins. */
  endSegno: bigint;
}

export interface Stretch {
  base: BasePoint;
  /** The archived segments it can replay, in order (empty: only the backup's own WAL). */
  segments: ArchivedLog[];
  /** Filled in by the scan of its last segments (what pitr window and the target check read). */
  lastCommit?: { time: Date; timeText: string; lsn: bigint; xid?: number };
  lastLsn?: bigint;
}

export interface WalGap {
  timeline: number;
  /** The first and last missing segment names. */
  from: string;
  to: string;
}

export interface RecoveryWindow {
  stretches: Stretch[];
  gaps: WalGap[];
  /** Base backups that cannot start a recovery, and why (a manifest from outside that says too little). */
  unusable: { id: string; why: string }[];
  /** The newest archived segment, and when it arrived. */
  lastArchived?: { name: string; at: Date };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** The recovery facts a base backup's manifest gives, checked (a manifest is input from outside). */
export function basePoint(entry: CatalogEntry): BasePoint | string {
  const c = entry.manifest.consistency;
  const startLsn = typeof c.startLsn === 'string' ? parseLsn(c.startLsn) : undefined;
  const endLsn = typeof c.endLsn === 'string' ? parseLsn(c.endLsn) : undefined;
  const timeline = c.timeline;
  const segmentBytes = c.walSegmentBytes;
  if (startLsn === undefined || endLsn === undefined || endLsn < startLsn) return 'its manifest gives no valid start and end LSN';
  if (typeof timeline !== 'number' || !Number.isInteger(timeline) || timeline < 1 || timeline > 0xFFFFFFFF) return 'its manifest gives no valid timeline';
  if (typeof segmentBytes !== 'number' || !Number.isInteger(Math.log2(segmentBytes)) || segmentBytes < 1 << 20 || segmentBytes > 1 << 30) return 'its manifest gives no valid WAL segment size';
  if (typeof c.endTime !== 'string' || !ISO.test(c.endTime)) return 'its manifest gives no end time';
  if (typeof c.startSegment !== 'string' || !isSegmentName(c.startSegment) || c.startSegment !== segmentName(timeline, startLsn, segmentBytes)) return 'its start segment does not match its start LSN';
  if (verificationState(entry.manifest) === 'failed') return 'its last verification failed';
  return {
    entry, id: entry.manifest.id, timeline, startLsn, endLsn, endTime: new Date(c.endTime), segmentBytes,
    startSegment: c.startSegment, endSegno: endLsn / BigInt(segmentBytes),
  };
}

/** Why an incremental base backup cannot be restored (a backup of its chain is missing), or undefined. */
function brokenChain(entry: CatalogEntry, entries: CatalogEntry[]): string | undefined {
  try {
    baseChain(entry, entries);
    return undefined;
  } catch (error) {
    return errorMessage(error).replace(/\.$/, '');
  }
}

/** The stretches of WAL each base backup can replay, and the gaps, from the listing alone. */
export function planWindow(entries: CatalogEntry[], wal: Map<string, ArchivedLog[]>): RecoveryWindow {
  const unusable: RecoveryWindow['unusable'] = [];
  const bases: BasePoint[] = [];
  for (const entry of entries.filter(isBaseBackup)) {
    const point = basePoint(entry);
    const broken = typeof point === 'string' ? undefined : brokenChain(entry, entries);
    if (typeof point === 'string') unusable.push({ id: entry.manifest.id, why: point });
    else if (broken) unusable.push({ id: entry.manifest.id, why: broken });
    else bases.push(point);
  }
  bases.sort((a, b) => a.endTime.getTime() - b.endTime.getTime());
  const gaps = new Map<string, WalGap>();
  const stretches = bases.map(base => {
    const segments: ArchivedLog[] = [];
    const byNumber = segmentsOf(wal, base.timeline, base.segmentBytes);
    let segno = base.endSegno;
    while (true) {
      const copies = wal.get(segmentFromNumber(base.timeline, segno, base.segmentBytes));
      if (!copies || copies.length !== 1) break;
      segments.push(copies[0]);
      segno++;
    }
    const later = [...byNumber.keys()].filter(n => n > segno).sort((a, b) => (a < b ? -1 : 1))[0];
    if (later !== undefined) {
      const gap = { timeline: base.timeline, from: segmentFromNumber(base.timeline, segno, base.segmentBytes), to: segmentFromNumber(base.timeline, later - 1n, base.segmentBytes) };
      gaps.set(`${gap.timeline}/${gap.from}`, gap);
    }
    return { base, segments };
  });
  let lastArchived: RecoveryWindow['lastArchived'];
  for (const [name, copies] of wal) {
    if (!isSegmentName(name)) continue;
    const at = copies[0].modified;
    if (!lastArchived || name > lastArchived.name) lastArchived = { name, at };
  }
  return { stretches, gaps: [...gaps.values()], unusable, ...(lastArchived ? { lastArchived } : {}) };
}

function segmentsOf(wal: Map<string, ArchivedLog[]>, timeline: number, segmentBytes: number): Map<bigint, string> {
  const found = new Map<bigint, string>();
  for (const name of wal.keys()) {
    if (!isSegmentName(name)) continue;
    const parsed = parseSegment(name, segmentBytes);
    if (parsed.timeline === timeline) found.set(parsed.segno, name);
  }
  return found;
}

/** The last commit a stretch can replay after its base backup's end: the latest time a time
 *  target may name (a later one finds no commit to stop at, and recovery ends in FATAL). */
export function lastCommitAfterEnd(stretch: Stretch): Stretch['lastCommit'] {
  return stretch.lastCommit && stretch.lastCommit.lsn > stretch.base.endLsn ? stretch.lastCommit : undefined;
}

export interface DescribedStretch {
  base: string;
  timeline: number;
  from: { time: string; lsn: string };
  to: { time: string; lsn: string };
  /** Whether a time target can be met: a commit follows the backup's end. */
  timeTargets: boolean;
  segments: number;
}

/** Where a stretch's recovery can stop, earliest and latest, for people and JSON. */
export function describeStretch(stretch: Stretch): DescribedStretch {
  const { base } = stretch;
  const commit = lastCommitAfterEnd(stretch);
  const toLsn = stretch.lastLsn !== undefined && stretch.lastLsn > base.endLsn ? stretch.lastLsn : base.endLsn;
  return {
    base: base.id, timeline: base.timeline,
    from: { time: base.endTime.toISOString(), lsn: formatLsn(base.endLsn) },
    to: { time: (commit?.time ?? base.endTime).toISOString(), lsn: formatLsn(toLsn) },
    timeTargets: commit !== undefined, segments: stretch.segments.length,
  };
}
