import { LifeboatError } from './errors';

/**
 * Which backups a retention policy keeps, with restic's semantics (restic forget):
 * - last N: the N newest backups;
 * - hourly/daily/weekly/monthly/yearly N: the newest backup in each of the last N periods that
 *   have backups (periods in the policy's time zone; weeks start on Monday 00:00);
 * - within D: every backup made within D of the newest one (not of now, as restic does: a
 *   destination nobody has backed up to for a month does not empty itself).
 * The rules are ORed; an empty policy is refused (it would keep nothing).
 *
 * Whatever the rules say, these are never deleted (the anchors: pgbackrest #748 expired WAL a kept
 * backup needed; litestream #224/#1450 deleted files during a restore):
 * - the newest verified backup, and every backup newer than it until it is verified (with none
 *   verified, all of them);
 * - a backup that a kept one needs (an incremental chain's base, a point-in-time window's base);
 * - a backup in use right now (being restored, verified, copied or compared): `holds`;
 * - a backup dated after `now`: ignored, never deleted, reported as future-dated.
 * Only complete backups (with a manifest) are given to it; each destination is decided apart.
 */
export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Milliseconds before the newest backup. */
  withinMs?: number;
  /** IANA zone the periods are counted in; default UTC. */
  timeZone?: string;
}

export interface RetainedBackup {
  id: string;
  /** When it completed (ISO 8601). */
  completedAt: string;
  verified: boolean;
  /** Ids of backups it needs to be restored (kept whenever it is). */
  needs?: string[];
}

export interface RetentionDecision {
  id: string;
  keep: boolean;
  /** Why it is kept ("daily 2026-12-01", "newest verified", "in use", …); empty when deleted. */
  reasons: string[];
}

export interface RetentionPlan {
  /** Newest first, future-dated ones left out. */
  decisions: RetentionDecision[];
  /** Backups dated after now: never deleted, reported. */
  futureDated: string[];
}

const PERIODS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type Period = typeof PERIODS[number];

export function parseRetentionPolicy(policy: RetentionPolicy): RetentionPolicy {
  const counts = ['last', ...PERIODS] as const;
  for (const rule of counts) {
    const n = policy[rule];
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new LifeboatError('usage', `The retention rule "${rule}" must be a whole number of at least 0 (got ${String(n)}).`);
  }
  if (policy.withinMs !== undefined && (!Number.isFinite(policy.withinMs) || policy.withinMs < 0)) throw new LifeboatError('usage', 'The retention rule "within" must be a duration of at least 0.');
  if (!counts.some(rule => (policy[rule] ?? 0) > 0) && !policy.withinMs) {
    throw new LifeboatError('usage', 'The retention policy keeps nothing: it has no rule.', 'Give at least one of keep last, hourly, daily, weekly, monthly, yearly or within (for example: keep last 7, daily 14, monthly 12).');
  }
  if (policy.timeZone) calendarIn(policy.timeZone);
  return policy;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "36h", "14d", "8w", "1w3d12h", "15m", "90s": seconds, minutes, hours, days and weeks (months
 *  and years have no fixed length). */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+)([smhdw])/g)];
  if (parts.length === 0 || parts.map(p => p[0]).join('') !== text) {
    throw new LifeboatError('usage', `"${text}" is not a duration.`, 'Write it in seconds, minutes, hours, days and weeks: 90s, 15m, 36h, 14d, 8w, 1w3d12h.');
  }
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNIT_MS[unit], 0);
}

/** A policy as a config file writes it: {"last": 7, "daily": 14, "within": "30d", "timeZone": "Europe/Berlin"}. */
export function retentionFromConfig(value: unknown, where: string): RetentionPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LifeboatError('usage', `The retention of ${where} must be an object such as {"daily": 14, "monthly": 12}.`);
  const policy: RetentionPolicy = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'within') {
      if (typeof field !== 'string') throw new LifeboatError('usage', `"within" in the retention of ${where} must be a duration such as "30d".`);
      policy.withinMs = parseDuration(field);
    } else if (key === 'timeZone') {
      if (typeof field !== 'string') throw new LifeboatError('usage', `"timeZone" in the retention of ${where} must be an IANA zone name.`);
      policy.timeZone = field;
    } else if ((['last', ...PERIODS] as string[]).includes(key)) {
      policy[key as 'last' | Period] = field as number;
    } else {
      throw new LifeboatError('usage', `The retention of ${where} has an unknown rule "${key}".`, 'Known: last, hourly, daily, weekly, monthly, yearly, within, timeZone.');
    }
  }
  return parseRetentionPolicy(policy);
}

export function planRetention(backups: readonly RetainedBackup[], policy: RetentionPolicy, options: { now: Date; holds?: ReadonlySet<string> }): RetentionPlan {
  parseRetentionPolicy(policy);
  const now = options.now.getTime();
  const futureDated = backups.filter(b => Date.parse(b.completedAt) > now).map(b => b.id);
  const present = backups.filter(b => Date.parse(b.completedAt) <= now)
    .sort((a, b) => Date.parse(b.completedAt) - Date.parse(a.completedAt) || (a.id < b.id ? 1 : -1));
  const reasons = new Map(present.map(b => [b.id, [] as string[]]));
  const why = (id: string, reason: string) => reasons.get(id)?.push(reason);

  // The rules, newest first, as restic applies them: a backup is kept by a rule when it opens a
  // period (hour, day, …) that rule has not yet seen, while the rule has periods left.
  const calendar = calendarIn(policy.timeZone ?? 'UTC');
  const left: Record<string, number> = { last: policy.last ?? 0 };
  for (const period of PERIODS) left[period] = policy[period] ?? 0;
  const seen: Record<string, string | undefined> = {};
  for (const backup of present) {
    const at = new Date(backup.completedAt);
    if (left.last > 0) {
      left.last--;
      why(backup.id, 'last');
    }
    for (const period of PERIODS) {
      if (left[period] <= 0) continue;
      const key = calendar(at, period);
      if (key === seen[period]) continue;
      seen[period] = key;
      left[period]--;
      why(backup.id, `${period} ${key}`);
    }
  }
  if (policy.withinMs && present.length > 0) {
    const newest = Date.parse(present[0].completedAt);
    for (const backup of present) if (newest - Date.parse(backup.completedAt) <= policy.withinMs) why(backup.id, 'within');
  }

  // Protections, whatever the rules say.
  const newestVerified = present.findIndex(b => b.verified);
  present.forEach((backup, i) => {
    if (i === newestVerified) why(backup.id, 'newest verified');
    else if (newestVerified === -1 || i < newestVerified) why(backup.id, newestVerified === -1 ? 'nothing is verified yet' : 'newer than the newest verified, not verified yet');
    if (options.holds?.has(backup.id)) why(backup.id, 'in use');
  });
  // What a kept backup needs is kept, and what that needs, and so on.
  const byId = new Map(present.map(b => [b.id, b]));
  const pending = present.filter(b => reasons.get(b.id)!.length > 0).map(b => b.id);
  while (pending.length > 0) {
    const id = pending.pop()!;
    for (const needed of byId.get(id)?.needs ?? []) {
      const list = reasons.get(needed);
      if (!list) continue;
      const first = list.length === 0;
      if (!list.includes(`needed by ${id}`)) list.push(`needed by ${id}`);
      if (first) pending.push(needed);
    }
  }
  return { decisions: present.map(b => ({ id: b.id, keep: reasons.get(b.id)!.length > 0, reasons: reasons.get(b.id)! })), futureDated };
}

/**
 * The period a moment falls in, in a time zone, as a key that orders like time within a period
 * kind: "2026-12-01T14" (hour), "2026-12-01" (day), "week of 2026-11-30" (the Monday),
 * "2026-12" (month), "2026" (year).
 */
export function calendarIn(timeZone: string): (at: Date, period: Period) => string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', weekday: 'short' });
  } catch {
    throw new LifeboatError('usage', `"${timeZone}" is not a time zone this runtime knows.`, 'Give an IANA zone such as Europe/Berlin or UTC.');
  }
  return (at, period) => {
    const parts = Object.fromEntries(format.formatToParts(at).map(p => [p.type, p.value]));
    const [y, m, d, h] = [parts.year, parts.month, parts.day, parts.hour];
    switch (period) {
      case 'hourly': return `${y}-${m}-${d}T${h}`;
      case 'daily': return `${y}-${m}-${d}`;
      case 'weekly': {
        const back = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday);
        const monday = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d) - back));
        return `week of ${monday.toISOString().slice(0, 10)}`;
      }
      case 'monthly': return `${y}-${m}`;
      case 'yearly': return y;
    }
  };
}
