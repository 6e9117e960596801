import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LifeboatError } from '../../src/core/errors';
import { calendarIn, planRetention, type RetainedBackup, type RetentionPolicy } from '../../src/core/retention';
import { makeRng, seedFromEnv, type Rng } from '../support/rng';

// Retention (src/core/retention.ts): restic's rules, checked against a reference written another
// way on generated histories, the protections that no rule can override, and the anchors' bugs.

const seed = seedFromEnv('LIFEBOAT_RETENTION_SEED');
console.log(`retention property test: seed ${seed} — LIFEBOAT_RETENTION_SEED=${seed} repeats this run`);
const HISTORIES = 1000;
const NOW = new Date('2026-12-01T12:00:00Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const kept = (backups: RetainedBackup[], policy: RetentionPolicy, holds = new Set<string>()) =>
  new Set(planRetention(backups, policy, { now: NOW, holds }).decisions.filter(d => d.keep).map(d => d.id));

describe('retention on generated histories', () => {
  it(`equals a reference implementation of the rules, never deletes a protected backup, and is idempotent (${HISTORIES} histories)`, () => {
    const rng = makeRng(seed);
    for (let n = 0; n < HISTORIES; n++) {
      const { backups, policy, holds } = history(rng);
      const context = `history ${n} of seed ${seed}: ${JSON.stringify({ policy, holds: [...holds], backups })}`;
      const plan = planRetention(backups, policy, { now: NOW, holds });
      const keep = new Set(plan.decisions.filter(d => d.keep).map(d => d.id));
      const present = backups.filter(b => Date.parse(b.completedAt) <= NOW.getTime());

      assert.deepEqual([...keep].sort(), [...referenceKeep(present, policy, holds)].sort(), context);
      assert.deepEqual(plan.futureDated.sort(), backups.filter(b => Date.parse(b.completedAt) > NOW.getTime()).map(b => b.id).sort(), `future-dated are reported and not decided: ${context}`);
      for (const d of plan.decisions) assert.equal(d.keep, d.reasons.length > 0, `a kept backup says why, a deleted one has no reason: ${context}`);

      // The protections, each checked on its own.
      const newestFirst = sortNewestFirst(present);
      const newestVerified = newestFirst.findIndex(b => b.verified);
      newestFirst.forEach((b, i) => {
        if (newestVerified === -1 || i <= newestVerified) assert.ok(keep.has(b.id), `${b.id}: the newest verified or newer: ${context}`);
        if (holds.has(b.id)) assert.ok(keep.has(b.id), `${b.id} is in use: ${context}`);
        if (keep.has(b.id)) for (const needed of b.needs ?? []) if (present.some(p => p.id === needed)) assert.ok(keep.has(needed), `${needed}, which kept ${b.id} needs: ${context}`);
      });

      // Idempotent: what it keeps, planned again, is all kept.
      const again = kept(present.filter(b => keep.has(b.id)), policy, holds);
      assert.equal(again.size, keep.size, `a second run deletes nothing more: ${context}`);
    }
  });
});

describe('retention rules and protections', () => {
  const at = (iso: string, id: string, verified = true, needs?: string[]): RetainedBackup => ({ id, completedAt: iso, verified, ...(needs ? { needs } : {}) });

  it('refuses a policy that keeps nothing, and rules that are not counts', () => {
    assert.throws(() => planRetention([], {}, { now: NOW }), (e: LifeboatError) => e.code === 'usage' && /keeps nothing/.test(e.message));
    assert.throws(() => planRetention([], { daily: 0, withinMs: 0 }, { now: NOW }), /keeps nothing/);
    assert.throws(() => planRetention([], { daily: 1.5 }, { now: NOW }), /whole number/);
    assert.throws(() => planRetention([], { daily: 1, timeZone: 'Mars/Olympus' }, { now: NOW }), /not a time zone/);
  });

  it('daily N is the newest backup of each of the last N days that have backups, not of the last N calendar days', () => {
    const backups = [at('2026-12-01T10:00:00Z', 'd1-late'), at('2026-12-01T08:00:00Z', 'd1-early'), at('2026-11-20T09:00:00Z', 'd2'), at('2026-10-01T09:00:00Z', 'd3')];
    assert.deepEqual([...kept(backups, { daily: 2 })].sort(), ['d1-late', 'd2']);
  });

  it('within is counted back from the newest backup, not from now', () => {
    const backups = [at('2026-10-01T12:00:00Z', 'newest'), at('2026-09-30T13:00:00Z', 'a-day-before'), at('2026-09-25T12:00:00Z', 'older')];
    assert.deepEqual([...kept(backups, { withinMs: 2 * DAY })].sort(), ['a-day-before', 'newest']);
  });

  it('weeks start on Monday 00:00 in the policy\'s zone; days follow the zone across a DST change', () => {
    const berlin = calendarIn('Europe/Berlin');
    // Sunday 23:30 and Monday 00:10 in Berlin (UTC+1) are in different weeks.
    assert.equal(berlin(new Date('2026-11-29T22:30:00Z'), 'weekly'), 'week of 2026-11-23');
    assert.equal(berlin(new Date('2026-11-29T23:10:00Z'), 'weekly'), 'week of 2026-11-30');
    // On the fall-back day (2026-10-25) 02:30 happens twice: one day, one local hour.
    assert.equal(berlin(new Date('2026-10-25T00:30:00Z'), 'daily'), '2026-10-25');
    assert.equal(berlin(new Date('2026-10-25T01:30:00Z'), 'daily'), '2026-10-25');
    assert.equal(berlin(new Date('2026-10-25T00:30:00Z'), 'hourly'), berlin(new Date('2026-10-25T01:30:00Z'), 'hourly'));
    // 23:30 UTC on 1 December is already 2 December in Berlin.
    const backups = [at('2026-11-30T23:30:00Z', 'berlin-dec-1'), at('2026-11-30T22:30:00Z', 'berlin-nov-30')];
    assert.deepEqual([...kept(backups, { daily: 2, timeZone: 'Europe/Berlin' })].sort(), ['berlin-dec-1', 'berlin-nov-30']);
    assert.deepEqual([...kept(backups, { daily: 2 })], ['berlin-dec-1'], 'in UTC both are on 30 November: only the newer is kept');
  });

  it('pgbackrest #748: a base that a kept backup needs (an incremental chain, a point-in-time window) is kept', () => {
    const backups = [at('2026-12-01T10:00:00Z', 'incr-2', true, ['incr-1']), at('2026-11-30T10:00:00Z', 'incr-1', true, ['full']), at('2026-11-29T10:00:00Z', 'full'), at('2026-11-28T10:00:00Z', 'old-full')];
    const plan = planRetention(backups, { last: 1 }, { now: NOW });
    assert.deepEqual(plan.decisions.map(d => [d.id, d.keep]), [['incr-2', true], ['incr-1', true], ['full', true], ['old-full', false]]);
    assert.deepEqual(plan.decisions.find(d => d.id === 'full')!.reasons, ['needed by incr-1']);
  });

  it('litestream #224/#1450: a backup being restored is never deleted, whatever the rules say', () => {
    const backups = [at('2026-12-01T10:00:00Z', 'new'), at('2026-11-01T10:00:00Z', 'being-restored')];
    assert.deepEqual([...kept(backups, { last: 1 }, new Set(['being-restored']))].sort(), ['being-restored', 'new']);
  });

  it('keeps the newest verified backup and every newer one until verified; with none verified, all', () => {
    const backups = [at('2026-12-01T10:00:00Z', 'unverified-new', false), at('2026-11-30T10:00:00Z', 'failed-check', false), at('2026-11-01T10:00:00Z', 'verified'), at('2026-10-01T10:00:00Z', 'verified-old')];
    assert.deepEqual([...kept(backups, { last: 1 })].sort(), ['failed-check', 'unverified-new', 'verified']);
    assert.equal(kept(backups.map(b => ({ ...b, verified: false })), { last: 1 }).size, 4, 'nothing verified: nothing deleted');
  });

  it('a future-dated backup is ignored, never deleted, and reported', () => {
    const plan = planRetention([at('2027-06-01T00:00:00Z', 'clock-skew'), at('2026-12-01T10:00:00Z', 'now')], { last: 1 }, { now: NOW });
    assert.deepEqual(plan.futureDated, ['clock-skew']);
    assert.deepEqual(plan.decisions.map(d => d.id), ['now'], 'it does not take the place of the newest backup either');
  });
});

/** A history: backups at random times (some in the same hour or day), some verified, some needing an
 *  older one, a few future-dated, a few in use; and a random non-empty policy counted in UTC. */
function history(rng: Rng): { backups: RetainedBackup[]; policy: RetentionPolicy; holds: Set<string> } {
  const count = rng.int(45);
  const backups: RetainedBackup[] = [];
  let t = NOW.getTime() - rng.int(4 * HOUR);
  for (let i = 0; i < count; i++) {
    const id = `b${i}`;
    const future = rng.chance(0.03);
    const completedAt = new Date(future ? NOW.getTime() + (1 + rng.int(1000)) * HOUR : t).toISOString();
    backups.push({ id, completedAt, verified: rng.chance(0.6) });
    // Steps from minutes (the same hour) to months, so every period kind sees ties and gaps.
    t -= rng.pick([5 * 60_000, 40 * 60_000, 3 * HOUR, DAY, 3 * DAY, 9 * DAY, 40 * DAY]) * (1 + rng.int(3));
  }
  // Some need an older one (a chain's base), and that one may need another.
  backups.forEach((b, i) => {
    const older = backups.slice(i + 1).filter(o => Date.parse(o.completedAt) < Date.parse(b.completedAt));
    if (older.length && rng.chance(0.2)) b.needs = [rng.pick(older).id];
  });
  const policy: RetentionPolicy = {};
  do {
    for (const rule of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) if (rng.chance(0.35)) policy[rule] = rng.int(6);
    if (rng.chance(0.25)) policy.withinMs = rng.int(60) * DAY;
  } while (!Object.entries(policy).some(([, v]) => (v as number) > 0));
  const holds = new Set(backups.filter(() => rng.chance(0.05)).map(b => b.id));
  return { backups: rng.shuffle(backups), policy, holds };
}

function sortNewestFirst(backups: RetainedBackup[]): RetainedBackup[] {
  return [...backups].sort((a, b) => Date.parse(b.completedAt) - Date.parse(a.completedAt) || (a.id < b.id ? 1 : -1));
}

/** The rules written the other way: group by period (UTC, from the ISO string), take the N newest
 *  periods, the newest backup of each; then the protections and what kept backups need. */
function referenceKeep(present: RetainedBackup[], policy: RetentionPolicy, holds: Set<string>): Set<string> {
  const sorted = sortNewestFirst(present);
  const keep = new Set<string>(sorted.slice(0, policy.last ?? 0).map(b => b.id));
  const keyOf: Record<string, (iso: string) => string> = {
    hourly: iso => iso.slice(0, 13), daily: iso => iso.slice(0, 10), monthly: iso => iso.slice(0, 7), yearly: iso => iso.slice(0, 4),
    weekly: iso => {
      const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
      return d.toISOString().slice(0, 10);
    },
  };
  for (const [rule, key] of Object.entries(keyOf)) {
    const n = policy[rule as keyof RetentionPolicy] as number | undefined ?? 0;
    const groups = new Map<string, RetainedBackup[]>();
    for (const b of sorted) groups.set(key(b.completedAt), [...(groups.get(key(b.completedAt)) ?? []), b]);
    const periods = [...groups.keys()].sort().reverse().slice(0, n);
    for (const p of periods) keep.add(groups.get(p)![0].id);
  }
  if (policy.withinMs && sorted.length) for (const b of sorted) if (Date.parse(sorted[0].completedAt) - Date.parse(b.completedAt) <= policy.withinMs) keep.add(b.id);
  const newestVerified = sorted.findIndex(b => b.verified);
  sorted.forEach((b, i) => { if (newestVerified === -1 || i <= newestVerified || holds.has(b.id)) keep.add(b.id); });
  let grew = true;
  while (grew) {
    grew = false;
    for (const b of sorted) if (keep.has(b.id)) for (const n of b.needs ?? []) if (sorted.some(s => s.id === n) && !keep.has(n)) { keep.add(n); grew = true; }
  }
  return keep;
}
