import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dueState, parseSchedule } from '../../src/core/schedule';

// When scheduled work is due (src/core/schedule.ts), on an injected clock: due and missed slots,
// DST days in two zones, Vixie-cron OR semantics, and expressions refused with what to write.

const iso = (d: Date | null | undefined) => d?.toISOString();

describe('schedules', () => {
  const nightly = { cron: '0 2 * * *', timeZone: 'Europe/Berlin' };

  it('is due once a slot has passed since the last run, and not again until the next', () => {
    const last = new Date('2026-12-01T01:00:00Z'); // 02:00 in Berlin (UTC+1)
    const state = dueState(nightly, last, new Date('2026-12-02T01:05:00Z'), last);
    assert.deepEqual([iso(state.due), state.missed, iso(state.next)], ['2026-12-02T01:00:00.000Z', 0, '2026-12-03T01:00:00.000Z']);
    const after = dueState(nightly, new Date('2026-12-02T01:00:30Z'), new Date('2026-12-02T09:00:00Z'), last);
    assert.equal(after.due, undefined, 'it ran: nothing due until tomorrow');
  });

  it('slots that passed while nothing ran are missed: reported, and the work runs once', () => {
    const state = dueState(nightly, new Date('2026-11-28T01:00:00Z'), new Date('2026-12-02T12:00:00Z'), new Date('2026-11-01T00:00:00Z'));
    assert.deepEqual([iso(state.due), state.missed], ['2026-12-02T01:00:00.000Z', 3]);
  });

  it('a new schedule does not run for the slots before it was set up', () => {
    const since = new Date('2026-12-02T10:00:00Z');
    const state = dueState(nightly, undefined, new Date('2026-12-02T12:00:00Z'), since);
    assert.deepEqual([state.due, state.missed, iso(state.next)], [undefined, 0, '2026-12-03T01:00:00.000Z']);
  });

  for (const zone of [
    { timeZone: 'Europe/Berlin', springDay: '2026-03-29', springRun: '2026-03-29T01:00:00.000Z', fallFrom: '2026-10-24T12:00:00Z', fallTo: '2026-10-25T12:00:00Z' },
    { timeZone: 'America/New_York', springDay: '2026-03-08', springRun: '2026-03-08T07:00:00.000Z', fallFrom: '2026-10-31T12:00:00Z', fallTo: '2026-11-01T12:00:00Z' },
  ]) {
    it(`${zone.timeZone}: 02:30 on the spring-forward day runs at 03:00; on the fall-back day it runs once`, () => {
      const daily = { cron: '30 2 * * *', timeZone: zone.timeZone };
      assert.equal(iso(parseSchedule(daily).nextRun(new Date(`${zone.springDay}T00:00:00Z`))), zone.springRun);
      const fall = dueState(daily, new Date(zone.fallFrom), new Date(zone.fallTo), new Date(zone.fallFrom));
      assert.equal(fall.missed, 0, 'one slot on the day the clock goes back');
      assert.ok(fall.due, 'and that one is due');
    });
  }

  it('day-of-month and day-of-week are ORed, as Vixie cron does: "0 0 13 * 5" is every 13th and every Friday', () => {
    const runs = parseSchedule({ cron: '0 0 13 * 5' }).nextRuns(4, new Date('2026-11-01T00:00:00Z')).map(d => d.toISOString().slice(0, 10));
    assert.deepEqual(runs, ['2026-11-06', '2026-11-13', '2026-11-20', '2026-11-27']);
    const december = parseSchedule({ cron: '0 0 13 * 5' }).nextRuns(3, new Date('2026-12-05T00:00:00Z')).map(d => d.toISOString().slice(0, 10));
    assert.deepEqual(december, ['2026-12-11', '2026-12-13', '2026-12-18'], 'the 13th (a Sunday) as well as the Fridays');
  });

  it('refuses an expression it cannot read, a seconds field and an unknown zone, saying what to write', () => {
    assert.throws(() => parseSchedule({ cron: '0 2 * *' }), /not a five-field cron expression/);
    assert.throws(() => parseSchedule({ cron: '0 0 2 * * *' }), /not a five-field cron expression/);
    assert.throws(() => parseSchedule({ cron: '0 25 * * *' }), /is not a cron expression croner reads/);
    assert.throws(() => parseSchedule({ cron: '0 2 * * *', timeZone: 'Mars/Olympus' }), /not a time zone/);
  });
});
