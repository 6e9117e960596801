import { LifeboatError } from './errors';
import { parseDuration, retentionFromConfig, type RetentionPolicy } from './retention';
import { parseSchedule } from './schedule';

/**
 * What a connection is promised (the field guide's recovery tiers) and the work that keeps the
 * promise: schedules and retention. Written the same way in the CLI's config file (fields of a
 * connection) and in the editor's lifeboat.policies (by connection id):
 *
 *   { "tier": "important", "rpo": "30m",
 *     "schedules": [ { "name": "nightly", "cron": "15 2 * * *", "timeZone": "Europe/Berlin",
 *                      "run": "backup", "request": { "format": "custom" }, "destinations": ["offsite"] },
 *                    { "name": "drill", "cron": "0 4 * * 0", "run": "drill" } ],
 *     "retention": { "daily": 14, "monthly": 12 },
 *     "retentionByDestination": { "local": { "last": 3 }, "offsite": { "daily": 30 } } }
 *
 * `retentionByDestination` gives a place its own rules ("local" is the backup folder, other names
 * are destinations); the others use `retention`.
 */
export const TIERS = {
  critical: { rpoMs: 0, rtoMs: 5 * 60_000 },
  important: { rpoMs: 15 * 60_000, rtoMs: 3600_000 },
  normal: { rpoMs: 3600_000, rtoMs: 4 * 3600_000 },
  dev: { rpoMs: 24 * 3600_000, rtoMs: 24 * 3600_000 },
} as const;
export type TierName = keyof typeof TIERS | 'custom';

/** backup: the request's backup; verify: a quick check of the newest backup's stored bytes;
 *  drill: a full verification of the newest backup (a restore drill for a server, measuring RTO);
 *  prune: the connection's retention applied to every place that has rules (as lifeboat prune). */
export const SCHEDULED_ACTIONS = ['backup', 'verify', 'drill', 'prune', 'archive-check'] as const;
export type ScheduledAction = typeof SCHEDULED_ACTIONS[number];

export interface Schedule {
  /** Unique within the connection; names the schedule in the run log, tasks and alerts. */
  name: string;
  cron: string;
  timeZone?: string;
  run: ScheduledAction;
  /** A backup's options, as the CLI and tasks.json write them (engines/backupRequest.ts). */
  request?: Record<string, unknown>;
  /** Where the backup goes besides the backup folder: configured destinations by name. */
  destinations?: string[];
}

export interface ConnectionPolicy {
  tier: TierName;
  /** Recovery point objective: the newest verified backup may be at most this old. */
  rpoMs: number;
  /** Recovery time objective: a restore (the last drill's measured time) may take at most this. */
  rtoMs: number;
  schedules: Schedule[];
  retention?: RetentionPolicy;
  /** Rules of their own for some places, by place name ("local": the backup folder). */
  retentionByDestination?: Record<string, RetentionPolicy>;
}

/** The rules for `place` ("local" or a destination's name), or undefined: nothing is pruned there. */
export function retentionFor(policy: Pick<ConnectionPolicy, 'retention' | 'retentionByDestination'>, place: string): RetentionPolicy | undefined {
  return policy.retentionByDestination?.[place] ?? policy.retention;
}

/** A connection without a policy is held to the normal tier and has no schedule. */
export const DEFAULT_POLICY: ConnectionPolicy = { tier: 'normal', ...TIERS.normal, schedules: [] };

/** A destination's name (storage/destinationSettings.ts). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A schedule's name: the default one holds the cron expression's characters. */
const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._*/,-]{0,79}$/;
const POLICY_FIELDS = ['tier', 'rpo', 'rto', 'schedules', 'retention', 'retentionByDestination'];
const SCHEDULE_FIELDS = ['name', 'cron', 'timeZone', 'run', 'request', 'destinations'];

/** A policy as written in a config file or setting; `where` names it in errors. */
export function parsePolicy(value: unknown, where: string): ConnectionPolicy {
  const bad = (what: string, hint?: string) => new LifeboatError('usage', `The policy of ${where} ${what}.`, hint);
  if (!isObject(value)) throw bad('must be an object such as {"tier": "important", "schedules": […]}');
  for (const key of Object.keys(value)) if (!POLICY_FIELDS.includes(key)) throw bad(`has an unknown field "${key}"`, `Known: ${POLICY_FIELDS.join(', ')}.`);
  const tier = value.tier ?? (value.rpo !== undefined || value.rto !== undefined ? 'custom' : 'normal');
  if (typeof tier !== 'string' || !(tier in TIERS || tier === 'custom')) throw bad(`has an unknown tier ${JSON.stringify(tier)}`, `One of ${[...Object.keys(TIERS), 'custom'].join(', ')}.`);
  const base = tier === 'custom' ? undefined : TIERS[tier as keyof typeof TIERS];
  const objective = (key: 'rpo' | 'rto'): number => {
    const field = value[key];
    if (field === undefined) {
      if (!base) throw bad(`is a custom tier without "${key}"`, 'Give it as a duration: "15m", "4h", "1d".');
      return base[`${key}Ms`];
    }
    if (typeof field !== 'string') throw bad(`has a "${key}" that is not a duration such as "15m"`);
    if (field === '0') return 0;
    return parseDuration(field);
  };
  const schedules = value.schedules === undefined ? [] : value.schedules;
  if (!Array.isArray(schedules)) throw bad('has "schedules" that are not a list');
  const parsed = schedules.map((s, i) => parseScheduleEntry(s, `schedule ${i + 1} of ${where}`));
  const names = new Set<string>();
  for (const s of parsed) {
    if (names.has(s.name)) throw bad(`has two schedules named "${s.name}"`, 'Give each a "name" of its own.');
    names.add(s.name);
  }
  return {
    tier: tier as TierName, rpoMs: objective('rpo'), rtoMs: objective('rto'), schedules: parsed,
    ...(value.retention !== undefined ? { retention: retentionFromConfig(value.retention, where) } : {}),
    ...(value.retentionByDestination !== undefined ? { retentionByDestination: byDestination(value.retentionByDestination, where) } : {}),
  };
}

function byDestination(value: unknown, where: string): Record<string, RetentionPolicy> {
  if (!isObject(value)) throw new LifeboatError('usage', `"retentionByDestination" of ${where} must be an object of retention rules by place: {"local": {"last": 3}, "offsite": {"daily": 30}}.`);
  const out: Record<string, RetentionPolicy> = {};
  for (const [place, rules] of Object.entries(value)) {
    if (!NAME.test(place)) throw new LifeboatError('usage', `"retentionByDestination" of ${where} names a place "${place}" that is not a destination name ("local" is the backup folder).`);
    out[place] = retentionFromConfig(rules, `${where} in ${place}`);
  }
  return out;
}

function parseScheduleEntry(value: unknown, where: string): Schedule {
  const bad = (what: string, hint?: string) => new LifeboatError('usage', `The ${where} ${what}.`, hint);
  if (!isObject(value)) throw bad('must be an object such as {"cron": "15 2 * * *", "run": "backup"}');
  for (const key of Object.keys(value)) if (!SCHEDULE_FIELDS.includes(key)) throw bad(`has an unknown field "${key}"`, `Known: ${SCHEDULE_FIELDS.join(', ')}.`);
  const { cron, timeZone, request, destinations } = value;
  const run = value.run ?? 'backup';
  if (typeof cron !== 'string') throw bad('needs a "cron" expression such as "15 2 * * *"');
  if (timeZone !== undefined && typeof timeZone !== 'string') throw bad('has a "timeZone" that is not an IANA zone name');
  if (typeof run !== 'string' || !(SCHEDULED_ACTIONS as readonly string[]).includes(run)) throw bad(`has an unknown "run" ${JSON.stringify(run)}`, `One of ${SCHEDULED_ACTIONS.join(', ')}.`);
  parseSchedule({ cron, ...(timeZone ? { timeZone } : {}) });
  if (request !== undefined && (!isObject(request) || run !== 'backup')) throw bad('has a "request" that is not the options of a backup (an object, with "run": "backup")');
  if (destinations !== undefined && (!Array.isArray(destinations) || !destinations.every(d => typeof d === 'string' && NAME.test(d)) || run !== 'backup')) {
    throw bad('has "destinations" that are not a list of destination names (with "run": "backup")');
  }
  // The default name is what it does and when, so it stays the same when schedules are reordered.
  const name = value.name ?? `${run} ${cron.trim().split(/\s+/).join(' ')}`;
  if (typeof name !== 'string' || !SCHEDULE_NAME.test(name)) throw bad('has a "name" that is not 1–80 letters, digits, spaces, ".", "_" or "-"');
  return {
    name, cron: cron.trim(), run: run as ScheduledAction,
    ...(timeZone ? { timeZone } : {}), ...(request ? { request } : {}), ...(destinations ? { destinations: destinations as string[] } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An objective as people write it: "0", "15 min", "1 h", "24 h", "7 d". */
export function formatObjective(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms <= 48 * 3600_000 && ms % 3600_000 === 0) return `${ms / 3600_000} h`;
  if (ms < 48 * 3600_000) return `${(ms / 3600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(ms % 86_400_000 === 0 ? 0 : 1)} d`;
}
