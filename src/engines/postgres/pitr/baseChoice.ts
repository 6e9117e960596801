import { LifeboatError } from '../../../core/errors';
import { compareTime, describeTime, timePointOf } from '../../../core/timePoint';
import { describeTarget, type RecoveryTarget } from './recoveryTarget';
import { describeStretch, lastCommitAfterEnd, type RecoveryWindow, type Stretch } from './recoveryWindow';
import { formatLsn } from './walNames';

/**
 * The base backup a recovery starts from: the newest whose end comes before the target, on a
 * stretch of archived WAL that reaches it. A target before the earliest backup's end, or past
 * the last archived commit, is refused with the window named, as pgBackRest does: PostgreSQL
 * would otherwise stop silently at the backup's own state, or end its recovery in FATAL.
 * `position` is where a name or transaction target was found in the WAL (recoverToSandbox.ts).
 */
export function chooseStretch(window: RecoveryWindow, target: RecoveryTarget, position?: bigint): Stretch {
  const newestFirst = [...window.stretches].reverse();
  if (newestFirst.length === 0) {
    const why = window.unusable.map(u => `${u.id}: ${u.why}`).join('; ');
    throw new LifeboatError('not-found', `There is no base backup to recover from${why ? ` (unusable: ${why})` : ''}.`, 'Take one with lifeboat backup <connection> --format base, with WAL archiving set up (lifeboat pitr setup).');
  }
  let chosen: Stretch | undefined;
  switch (target.kind) {
    case 'end':
      chosen = newestFirst[0];
      break;
    case 'time':
      chosen = newestFirst.find(s => s.base.endTime.getTime() <= target.at.ms && reachesTime(s, target));
      break;
    case 'lsn':
      chosen = newestFirst.find(s => s.base.endLsn <= target.lsn && s.lastLsn !== undefined && target.lsn <= s.lastLsn);
      break;
    case 'name':
    case 'xid':
      chosen = position === undefined ? undefined : newestFirst.find(s => s.base.endLsn <= position && s.lastLsn !== undefined && position <= s.lastLsn);
      break;
  }
  if (!chosen) throw outsideWindow(window, target, position);
  return chosen;
}

function reachesTime(stretch: Stretch, target: { at: { ms: number; micro: number } }): boolean {
  const commit = lastCommitAfterEnd(stretch);
  return commit !== undefined && compareTime(target.at, timePointOf(commit.time, commit.timeText)) <= 0;
}

/** The window in words: "from 2026-… (end of backup …) to 2026-… (last archived commit)", per stretch. */
export function describeWindow(window: RecoveryWindow): string {
  const parts = window.stretches.map(s => {
    const d = describeStretch(s);
    return d.timeTargets
      ? `from ${describeTime(timePointOf(new Date(d.from.time)))} (end of base backup ${d.base}, LSN ${d.from.lsn}) to ${describeTime(timePointOf(new Date(d.to.time), lastCommitAfterEnd(s)?.timeText))} (its last archived commit; LSN up to ${d.to.lsn})`
      : `only the end of base backup ${d.base} (LSN ${d.from.lsn}; no commit archived after it)`;
  });
  const gaps = window.gaps.map(g => `WAL ${g.from}${g.to !== g.from ? `…${g.to}` : ''} is missing on timeline ${g.timeline}`);
  return [...parts, ...gaps].join('; ');
}

function outsideWindow(window: RecoveryWindow, target: RecoveryTarget, position?: bigint): LifeboatError {
  const where = (target.kind === 'name' || target.kind === 'xid') && position === undefined ? ' (it is not in the archived WAL after any base backup)' : position !== undefined ? ` (found at LSN ${formatLsn(position)})` : '';
  return new LifeboatError('usage', `${describeTarget(target)}${where} is outside the recoverable window: ${describeWindow(window)}.`,
    'Choose a target inside the window, or --end; lifeboat pitr window shows it.');
}
