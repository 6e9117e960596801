import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Destination } from '../../src/core/destination';
import type { ListedBackup, ListedBackups } from '../../src/core/listingEverywhere';
import { parsePolicy, TIERS } from '../../src/core/policy';
import { protectionStatus } from '../../src/core/protectionStatus';
import { dueWork } from '../../src/core/scheduledRunner';
import { placesFor } from '../../src/storage/destinationSettings';
import { sampleId, sampleManifest } from '../support/manifests';

// Policies as written (tiers, custom objectives, schedules) and the status they give on an
// injected clock: RPO green / amber past 80 % / red past it, the 3-2-1 rule from the places'
// declared media, the last drill against the RTO, and what is missing said in words.

const now = new Date('2026-12-03T12:00:00Z');
const minutes = (n: number) => new Date(now.getTime() - n * 60_000).toISOString();

function backup(n: number, completedAt: string, places: string[], verified = true, restoreMs?: number): ListedBackup {
  const manifest = sampleManifest({
    id: sampleId(n), completedAt,
    verifications: [{ at: completedAt, kind: restoreMs === undefined ? 'at-backup' : 'restore-drill', ok: verified, durationMs: 5, checks: [], by: 'test', ...(restoreMs !== undefined ? { restoreMs } : {}) }],
  });
  return { prefix: `app/${manifest.id}`, manifest, from: {} as Destination, places };
}
const listing = (...entries: ListedBackup[]): ListedBackups => ({ entries, problems: [], unreachable: [] });
const places = placesFor('/var/backups', [
  { name: 'offsite', location: 's3://bucket/lifeboat' },
  { name: 'nas', location: '/mnt/nas', media: 'network-share' },
]);

describe('policies', () => {
  it('a tier gives the field guide\'s objectives; rpo/rto override them; custom needs both', () => {
    assert.deepEqual([parsePolicy({ tier: 'important' }, 'x').rpoMs, parsePolicy({ tier: 'important' }, 'x').rtoMs], [TIERS.important.rpoMs, TIERS.important.rtoMs]);
    assert.equal(parsePolicy({ tier: 'dev', rpo: '2d' }, 'x').rpoMs, 2 * 86_400_000);
    assert.equal(parsePolicy({ rpo: '30m', rto: '2h' }, 'x').tier, 'custom');
    assert.throws(() => parsePolicy({ tier: 'custom', rpo: '1h' }, 'x'), /custom tier without "rto"/);
    assert.throws(() => parsePolicy({ tier: 'gold' }, 'x'), /unknown tier "gold"/);
    assert.throws(() => parsePolicy({ schedules: [{ cron: '0 2 * *' }] }, 'x'), /not a five-field cron expression/);
    assert.throws(() => parsePolicy({ schedules: [{ cron: '0 2 * * *' }, { cron: '0 2 * * *' }] }, 'x'), /two schedules named "backup 0 2 \* \* \*"/);
    assert.throws(() => parsePolicy({ schedules: [{ cron: '0 2 * * *', run: 'verify', destinations: ['offsite'] }] }, 'x'), /"destinations".*"run": "backup"/);
    assert.throws(() => parsePolicy({ schedules: [{ cron: '0 2 * * *', every: 'day' }] }, 'x'), /unknown field "every"/);
  });

  it('a schedule seen for the first time is registered, not run; then its slots are due', () => {
    const work = [{ connection: 'app', schedule: parsePolicy({ schedules: [{ name: 'hourly', cron: '0 * * * *' }] }, 'x').schedules[0] }];
    const first = dueWork(work, [], now);
    assert.deepEqual([first.due.length, first.registered.map(r => r.schedule)], [0, ['hourly']]);
    const later = dueWork(work, first.registered, new Date('2026-12-03T14:30:00Z'));
    assert.deepEqual(later.due.map(d => [d.slot.toISOString(), d.missed]), [['2026-12-03T14:00:00.000Z', 1]]);
  });
});

describe('protection status', () => {
  const policy = parsePolicy({ tier: 'normal', schedules: [{ name: 'hourly', cron: '0 * * * *' }] }, 'x');
  const status = (l: ListedBackups, p = policy) => protectionStatus([{ id: 'app', name: 'App', policy: p }], l, places, [], now)[0];

  it('RPO: green under 80 % of it, amber past 80 %, red past it or with no verified backup', () => {
    assert.equal(status(listing(backup(1, minutes(30), ['local', 'offsite']))).rpo, 'ok');
    const amber = status(listing(backup(1, minutes(50), ['local', 'offsite'])));
    assert.equal(amber.rpo, 'warn');
    assert.match(amber.problems.join('\n'), /near the RPO of 1 h/);
    const red = status(listing(backup(1, minutes(90), ['local', 'offsite'])));
    assert.equal(red.rpo, 'bad');
    assert.equal(red.health, 'bad');
    assert.match(red.problems[0], /2 h old, over the RPO of 1 h/);
    const unverified = status(listing(backup(2, minutes(5), ['local'], false), backup(1, minutes(30), ['local', 'offsite'])));
    assert.equal(unverified.newestVerified?.id, sampleId(1), 'a failed check is not the newest verified backup');
    assert.equal(status(listing()).rpo, 'bad');
    assert.match(status(listing()).problems[0], /no backup yet/);
    assert.match(status(listing(backup(1, minutes(1), ['local'])), parsePolicy({ tier: 'critical' }, 'x')).problems[0], /RPO of 0 needs continuous archiving/);
  });

  it('3-2-1: copies count the live database, media and off-site come from the places that hold the newest verified backup', () => {
    const localOnly = status(listing(backup(1, minutes(5), ['local'])));
    assert.deepEqual([localOnly.copies.count, localOnly.copies.media, localOnly.copies.offsite, localOnly.copies.health], [2, ['local-disk'], 0, 'warn']);
    assert.match(localOnly.problems.join('\n'), /no off-site copy: add an S3 destination/);
    assert.match(localOnly.problems.join('\n'), /2 copies counting the live database, not 3/);
    assert.match(localOnly.problems.join('\n'), /one kind of media/);
    const full = status(listing(backup(1, minutes(5), ['local', 'offsite'], true, 60_000)));
    assert.deepEqual([full.copies.count, full.copies.media, full.copies.offsite, full.copies.health], [3, ['local-disk', 'object-store'], 1, 'ok']);
    assert.equal(full.health, 'ok', full.problems.join('; '));
    assert.match(full.summary, /^RPO 1 h ✓ · 3 copies, 2 media, 1 off-site ✓ · RTO 4 h ✓ · next /);
    const twoShares = status(listing(backup(1, minutes(5), ['local', 'nas'], true, 60_000)));
    assert.deepEqual([twoShares.copies.media, twoShares.copies.offsite], [['local-disk', 'network-share'], 0], 'a network share is another medium, on-site unless marked');
  });

  it('RTO: the newest drill\'s measured time against the tier; none measured is said', () => {
    assert.match(status(listing(backup(1, minutes(5), ['local', 'offsite']))).problems.join('\n'), /no restore drill measured/);
    const slow = status(listing(backup(1, minutes(5), ['local', 'offsite'], true, 5 * 3600_000)));
    assert.equal(slow.drill?.health, 'bad');
    assert.match(slow.problems[0], /last drill took 300 min 0 s, over the RTO of 4 h/);
  });

  it('no schedule, a failed last run and an unreachable destination are each named', () => {
    const none = status(listing(backup(1, minutes(5), ['local', 'offsite'], true, 1000)), parsePolicy({}, 'x'));
    assert.match(none.problems.join('\n'), /no schedule: backups happen only by hand/);
    const failed = protectionStatus([{ id: 'app', name: 'App', policy }], listing(backup(1, minutes(5), ['local', 'offsite'], true, 1000)), places, [{
      type: 'run', connection: 'app', schedule: 'hourly', action: 'backup', slot: minutes(60), missed: 0, startedAt: minutes(60), endedAt: minutes(59), durationMs: 1000, ok: false, error: 'disk full', by: 'test',
    }], now)[0];
    assert.equal(failed.health, 'bad');
    assert.match(failed.problems[0], /last scheduled run \("hourly", .*\) failed: disk full/);
    const cut = status({ ...listing(backup(1, minutes(5), ['local'])), unreachable: [{ name: 'offsite', message: 'timeout' }] });
    assert.match(cut.problems.join('\n'), /offsite could not be listed, so copies there are not counted/);
  });
});
