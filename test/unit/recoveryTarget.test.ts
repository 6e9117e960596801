import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareTime, describeTime, parseTime } from '../../src/core/timePoint';
import { parseTarget, postgresTime, targetSettings } from '../../src/engines/postgres/pitr/recoveryTarget';
import { formatLsn, isWalFileName, parseLsn, parseSegment, segmentName } from '../../src/engines/postgres/pitr/walNames';
import { parseWaldumpLine } from '../../src/engines/postgres/pitr/walScan';

describe('recovery targets', () => {
  it('writes every time with an explicit +00 offset, never the Z PostgreSQL rejects', () => {
    const at = parseTime('2026-12-03T15:29:00.123456Z');
    assert.equal(postgresTime(at), '2026-12-03 15:29:00.123456+00');
    assert.deepEqual(targetSettings({ kind: 'time', at }), { recovery_target_time: '2026-12-03 15:29:00.123456+00', recovery_target_inclusive: 'on' });
  });

  it('reads offsets, and a time without one in the local zone (the user\'s)', () => {
    const utc = parseTime('2026-12-03T15:29:00Z');
    assert.equal(compareTime(parseTime('2026-12-03 10:29:00-05:00'), utc), 0);
    assert.equal(compareTime(parseTime('2026-12-04T00:29+09:00'), utc), 0);
    const local = parseTime('2026-12-03 10:29');
    assert.equal(local.ms, new Date(2026, 11, 3, 10, 29).getTime());
    assert.match(describeTime(utc), /\(2026-12-03 15:29:00 UTC\)$/);
  });

  it('keeps microseconds in comparisons', () => {
    assert.ok(compareTime(parseTime('2026-12-03T15:29:00.760454Z'), parseTime('2026-12-03T15:29:00.760Z')) > 0);
  });

  it('refuses what is not a target, and more than one', () => {
    assert.throws(() => parseTime('yesterday'), /not a time/);
    assert.throws(() => parseTime('2026-13-03 10:00'), /not a time/);
    assert.throws(() => parseTarget({}), /Say where/);
    assert.throws(() => parseTarget({ time: '2026-12-03 10:00', end: true }), /one recovery target/);
    assert.throws(() => parseTarget({ lsn: 'nope' }), /not an LSN/);
    assert.throws(() => parseTarget({ xid: '-1' }), /not a transaction id/);
    assert.deepEqual(parseTarget({ lsn: '0/3000148' }), { kind: 'lsn', lsn: 0x3000148n });
  });
});

describe('WAL names and records', () => {
  it('accepts only the names PostgreSQL writes', () => {
    for (const name of ['000000010000000000000002', '00000002.history', '000000010000000000000002.00000028.backup', '000000010000000000000002.partial']) assert.ok(isWalFileName(name), name);
    for (const name of ['../000000010000000000000002', '00000001000000000000000g', 'x.history', '000000010000000000000002.zst', '']) assert.ok(!isWalFileName(name), name);
  });

  it('maps LSNs to segments and back', () => {
    assert.equal(segmentName(1, parseLsn('0/2000028')!), '000000010000000000000002');
    assert.equal(segmentName(3, parseLsn('1/FF000000')!), '0000000300000001000000FF');
    assert.deepEqual(parseSegment('000000010000000100000002'), { timeline: 1, segno: 258n });
    assert.equal(formatLsn(parseLsn('16/B374D848')!), '16/B374D848');
  });

  it('reads commits, aborts and restore points from pg_waldump lines', () => {
    const commit = parseWaldumpLine('rmgr: Transaction len (rec/tot):     34/    34, tx:        736, lsn: 0/06000238, prev 0/060001F8, desc: COMMIT 2026-12-03 16:48:38.760454 UTC');
    assert.equal(commit?.kind, 'commit');
    assert.equal(commit?.xid, 736);
    assert.equal(commit?.time?.toISOString(), '2026-12-03T16:48:38.760Z');
    assert.equal(commit?.timeText, '2026-12-03 16:48:38.760454+00');
    const point = parseWaldumpLine('rmgr: XLOG        len (rec/tot):     98/    98, tx:        735, lsn: 0/05015EA0, prev 0/05015E60, desc: RESTORE_POINT before delete');
    assert.deepEqual(point, { lsn: 0x5015EA0n, kind: 'restore-point', name: 'before delete' });
    assert.equal(parseWaldumpLine('pg_waldump: error: could not find file'), undefined);
  });
});
