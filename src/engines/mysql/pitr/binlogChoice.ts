import { LifeboatError } from '../../../core/errors';
import { describeTime, timePointOf } from '../../../core/timePoint';
import { parseBinlogName } from './binlogArchive';
import { describeBinlogTarget, stopSecond, type BinlogTarget } from './binlogTarget';
import { lastTransaction, type BinlogStretch, type BinlogWindow } from './binlogWindow';

/**
 * The stretch a MariaDB recovery replays: the newest dump that finished before the target (for a
 * position, whose own position is before it) and whose archived binlogs reach it. A target
 * outside every stretch is refused, naming the window, as pgBackRest does: before the first
 * dump's end the recovery would silently give the dump's state; after the last archived
 * transaction it would silently give the end.
 */
export function chooseBinlogStretch(window: BinlogWindow, target: BinlogTarget): BinlogStretch {
  const described = describeBinlogWindow(window);
  if (window.stretches.length === 0) {
    throw new LifeboatError('not-found', `There is nothing to recover from: ${described}.`, 'Make a full backup with the binary log on, and keep `lifeboat pitr capture` running to archive the binary logs after it.');
  }
  const candidates = [...window.stretches].reverse().filter(stretch => {
    switch (target.kind) {
      case 'end': return true;
      case 'time': {
        const stop = stopSecond(target.at).getTime();
        return stretch.base.completedAt.getTime() <= target.at.ms && stretch.last !== undefined && stop <= stretch.last.time.getTime() + 1000;
      }
      case 'position': {
        const index = stretch.files.findIndex(f => f.name === target.file);
        if (index < 0) return false;
        return index > 0 || target.position >= stretch.base.position;
      }
    }
  });
  const chosen = candidates[0];
  if (!chosen) throw new LifeboatError('usage', `${capitalise(describeBinlogTarget(target))} is outside the recoverable window: ${described}.`, 'Choose a target inside it.');
  return chosen;
}

export function describeBinlogWindow(window: BinlogWindow): string {
  if (window.stretches.length === 0) {
    return window.unusable.length ? `no full backup can start a recovery (${window.unusable.map(u => `${u.id}: ${u.why}`).join('; ')})` : 'there is no full backup of it';
  }
  const first = window.stretches[0];
  const last = lastTransaction(window);
  const gaps = window.stretches.filter(s => s.gapAt).map(s => s.gapAt!);
  return `from ${describeTime(timePointOf(first.base.completedAt))} (the end of backup ${first.base.id}) to ${last ? `${describeTime(timePointOf(last.time))} (the last transaction archived, ${last.gtid} in ${last.file})` : 'the end of the archived binary logs'}` +
    `${gaps.length ? `; ${[...new Set(gaps)].join(', ')} ${new Set(gaps).size === 1 ? 'is' : 'are'} missing from the archive, so no recovery goes past ${new Set(gaps).size === 1 ? 'it' : 'them'}` : ''}`;
}

/** The files a recovery replays: from the dump's own to the target's (or the stretch's last). */
export function filesToReplay(stretch: BinlogStretch, target: BinlogTarget): BinlogStretch['files'] {
  if (target.kind !== 'position') return stretch.files;
  const last = parseBinlogName(target.file)!.sequence;
  return stretch.files.filter(f => parseBinlogName(f.name)!.sequence <= last);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
