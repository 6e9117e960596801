import { formatAge, formatDuration } from './format';
import type { ListedBackups } from './listingEverywhere';
import { MERGE_UNDO_KIND, verificationState } from './manifest';
import { formatObjective, type ConnectionPolicy } from './policy';
import { lastRuns, scheduleKey, type RunLogRecord, type RunRecord } from './runLog';
import { parseSchedule } from './schedule';

/**
 * How safe each connection is, the same for the editor's tree and `lifeboat status`: the age of
 * its newest verified backup against its RPO, the 3-2-1 rule for that backup's copies, the last
 * drill's measured restore time against its RTO, its next scheduled run and its last run, and
 * in words what is missing. Computed from the listing (every place that holds a copy), the places'
 * declared media, the run log and the clock, so two callers given the same folder agree.
 */
export type Health = 'ok' | 'warn' | 'bad';

/** A place backups are kept, as the 3-2-1 rule sees it. */
export interface PlaceInfo {
  name: string;
  media: string;
  offsite: boolean;
}

export interface StatusConnection {
  id: string;
  name: string;
  policy: ConnectionPolicy;
}

export interface ConnectionStatus {
  connection: string;
  name: string;
  tier: string;
  rpoMs: number;
  rtoMs: number;
  /** The newest verified backup, if any. */
  newestVerified: { id: string; completedAt: string; ageMs: number } | null;
  /** ok, warn (over 80 % of the RPO) or bad (over it, or no verified backup). */
  rpo: Health;
  /** The newest verified backup's copies; the live database counts as one. */
  copies: { count: number; media: string[]; offsite: number; places: string[]; health: Health };
  /** The last restore drill's measured time, or null when none was measured. */
  drill: { backupId: string; at: string; restoreMs: number; health: Health } | null;
  nextRun: { schedule: string; at: string } | null;
  lastRun: RunRecord | null;
  /** What is missing, in words, worst first. */
  problems: string[];
  health: Health;
  /** One line for the tree and the terminal: "RPO 1 h ✓ · 3 copies, 2 media, 1 off-site · next Fri 02:15". */
  summary: string;
}

const WARN_FRACTION = 0.8;

export function protectionStatus(connections: readonly StatusConnection[], listing: ListedBackups, places: readonly PlaceInfo[], runs: readonly RunLogRecord[], now: Date): ConnectionStatus[] {
  const placeByName = new Map(places.map(p => [p.name, p]));
  const last = lastRuns(runs);
  return connections.map(c => {
    const { policy } = c;
    const problems: { health: Health; text: string }[] = [];
    const backups = listing.entries.filter(e => e.manifest.connection.id === c.id && e.manifest.kind !== MERGE_UNDO_KIND);
    const verified = backups.find(e => verificationState(e.manifest) === 'verified' && Date.parse(e.manifest.completedAt) <= now.getTime());
    const ageMs = verified ? now.getTime() - Date.parse(verified.manifest.completedAt) : null;

    let rpo: Health;
    if (ageMs === null) {
      rpo = 'bad';
      problems.push({ health: 'bad', text: backups.length ? 'no verified backup: verify the newest one, or back up again' : 'no backup yet: back up now, or add a schedule' });
    } else if (policy.rpoMs === 0) {
      rpo = 'bad';
      problems.push({ health: 'bad', text: 'an RPO of 0 needs continuous archiving (point-in-time recovery); backups alone lose what changed since the last one' });
    } else {
      rpo = ageMs > policy.rpoMs ? 'bad' : ageMs > WARN_FRACTION * policy.rpoMs ? 'warn' : 'ok';
      if (rpo !== 'ok') problems.push({ health: rpo, text: `the newest verified backup is ${formatAge(new Date(now.getTime() - ageMs), now).replace(' ago', '')} old, ${rpo === 'bad' ? 'over' : 'near'} the RPO of ${formatObjective(policy.rpoMs)}` });
    }

    const copyPlaces = verified?.places ?? [];
    const known = copyPlaces.map(p => placeByName.get(p) ?? { name: p, media: 'unknown', offsite: false });
    const media = [...new Set(known.map(p => p.media))].sort();
    const offsite = known.filter(p => p.offsite).length;
    const count = copyPlaces.length + 1;
    const copyProblems: string[] = [];
    if (verified) {
      if (count < 3) copyProblems.push(`${count} copies counting the live database, not 3: keep the backup in ${3 - count} more place${3 - count > 1 ? 's' : ''}`);
      if (media.length < 2) copyProblems.push('one kind of media: keep a copy on another kind (an object store, a network share, removable media)');
      if (offsite < 1) copyProblems.push('no off-site copy: add an S3 destination (or a folder marked "offsite")');
      if (listing.unreachable.length) copyProblems.push(`${listing.unreachable.map(u => u.name).join(', ')} could not be listed, so copies there are not counted`);
    }
    problems.push(...copyProblems.map(text => ({ health: 'warn' as Health, text })));

    let drill: ConnectionStatus['drill'] = null;
    for (const entry of backups) {
      for (const v of entry.manifest.verifications) {
        // A SQLite full verification rebuilds the database from the stored bytes and checks it:
        // its time is the restore's.
        const restoreMs = v.restoreMs ?? (v.kind === 'full' && entry.manifest.engine === 'sqlite' ? v.durationMs : undefined);
        if (v.ok && restoreMs !== undefined && (!drill || v.at > drill.at)) drill = { backupId: entry.manifest.id, at: v.at, restoreMs, health: restoreMs > policy.rtoMs ? 'bad' : 'ok' };
      }
    }
    if (!drill) problems.push({ health: 'warn', text: 'no restore drill measured: add a "drill" schedule, or run Verify (full) / lifeboat verify --deep' });
    else if (drill.health === 'bad') problems.push({ health: 'bad', text: `the last drill took ${formatDuration(drill.restoreMs)}, over the RTO of ${formatObjective(policy.rtoMs)}` });

    let nextRun: ConnectionStatus['nextRun'] = null;
    let lastRun: RunRecord | null = null;
    for (const schedule of policy.schedules) {
      const next = parseSchedule(schedule).nextRun(now);
      if (next && (!nextRun || next.toISOString() < nextRun.at)) nextRun = { schedule: schedule.name, at: next.toISOString() };
      const run = last.get(scheduleKey(c.id, schedule.name));
      if (run && (!lastRun || run.endedAt > lastRun.endedAt)) lastRun = run;
    }
    if (policy.schedules.length === 0) problems.push({ health: 'warn', text: 'no schedule: backups happen only by hand' });
    if (lastRun?.stopped) problems.push({ health: 'warn', text: `the last scheduled run ("${lastRun.schedule}", ${lastRun.endedAt}) was stopped by hand` });
    else if (lastRun && !lastRun.ok) problems.push({ health: 'bad', text: `the last scheduled run ("${lastRun.schedule}", ${lastRun.endedAt}) failed: ${lastRun.error ?? 'no reason recorded'}` });

    const health: Health = problems.some(p => p.health === 'bad') ? 'bad' : problems.length ? 'warn' : 'ok';
    const copiesHealth: Health = copyProblems.length ? 'warn' : verified ? 'ok' : 'bad';
    const mark = (h: Health) => h === 'ok' ? '✓' : h === 'warn' ? '!' : '✗';
    const summary = [
      `RPO ${formatObjective(policy.rpoMs)} ${mark(rpo)}`,
      `${count} ${count === 1 ? 'copy' : 'copies'}, ${media.length} media, ${offsite} off-site ${mark(copiesHealth)}`,
      drill ? `RTO ${formatObjective(policy.rtoMs)} ${mark(drill.health)}` : `RTO ${formatObjective(policy.rtoMs)} untested`,
      ...(nextRun ? [`next ${shortTime(new Date(nextRun.at), now)}`] : []),
    ].join(' · ');
    return {
      connection: c.id, name: c.name, tier: policy.tier, rpoMs: policy.rpoMs, rtoMs: policy.rtoMs,
      newestVerified: verified && ageMs !== null ? { id: verified.manifest.id, completedAt: verified.manifest.completedAt, ageMs } : null,
      rpo, copies: { count, media, offsite, places: copyPlaces, health: copiesHealth }, drill, nextRun, lastRun,
      problems: [...problems.filter(p => p.health === 'bad'), ...problems.filter(p => p.health !== 'bad')].map(p => p.text),
      health, summary,
    };
  });
}

/** "14:05" today, "Fri 02:15" within a week, else "2026-12-24 02:15", in this machine's zone. */
function shortTime(at: Date, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  if (at.toDateString() === now.toDateString()) return clock;
  if (at.getTime() - now.getTime() < 6 * 86_400_000) return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][at.getDay()]} ${clock}`;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${clock}`;
}
