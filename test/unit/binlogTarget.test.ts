import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogEntry } from '../../src/core/catalog';
import type { ArchivedLog } from '../../src/core/logArchive';
import { BINLOG_ARCHIVE, nextBinlogName, parseBinlogName } from '../../src/engines/mysql/pitr/binlogArchive';
import { chooseBinlogStretch, describeBinlogWindow, filesToReplay } from '../../src/engines/mysql/pitr/binlogChoice';
import { binlogDatetime, describeBinlogTarget, parseBinlogTarget, stopSecond } from '../../src/engines/mysql/pitr/binlogTarget';
import { planBinlogWindow } from '../../src/engines/mysql/pitr/binlogWindow';

// MariaDB recovery targets and windows, from manifests and archive listings as the engine reads
// them: names validated before they become keys, whole-second times written in UTC for
// mariadb-binlog (TZ=UTC), and the newest dump before a target chosen, or the target refused
// with the window named.

function dump(id: string, completedAt: string, consistency: Record<string, string | number | null>, options: Record<string, string[]> = {}): CatalogEntry {
  return {
    prefix: `shop/${id}`,
    manifest: {
      id, engine: 'mysql', kind: 'mysql-dump-sql', completedAt, startedAt: completedAt, options, consistency,
      server: { product: 'MariaDB', version: '10.11.19' },
    },
  } as unknown as CatalogEntry;
}

function archive(...names: string[]): Map<string, ArchivedLog[]> {
  return new Map(names.map(name => [name, [{ name, sha256: '0'.repeat(64), key: `shop/binlog/${name}`, size: 1, modified: new Date() }]]));
}

const transaction = (file: string, time: string) => ({ file, position: 400, end: 500, gtid: '0-1-9', time: new Date(time) });

describe('MariaDB recovery targets and windows', () => {
  it('takes only binary-log names, and counts them on as the server does', () => {
    assert.ok(BINLOG_ARCHIVE.validName('binlog.000042'));
    for (const hostile of ['../binlog.000001', 'binlog.000001/../../x', 'binlog', '.000001', 'bin log.000001']) assert.equal(BINLOG_ARCHIVE.validName(hostile), false, hostile);
    assert.deepEqual(parseBinlogName('mariadb-bin.000009'), { base: 'mariadb-bin', sequence: 9 });
    assert.equal(nextBinlogName('binlog.000009'), 'binlog.000010');
    assert.equal(nextBinlogName('binlog.999999'), 'binlog.1000000');
  });

  it('writes a time target as a whole UTC second, and says so when the fraction is dropped', () => {
    const target = parseBinlogTarget({ time: '2026-12-04T10:29:00.500-05:00' });
    assert.equal(target.kind, 'time');
    if (target.kind !== 'time') return;
    assert.equal(binlogDatetime(stopSecond(target.at)), '2026-12-04 15:29:00');
    assert.match(describeBinlogTarget(target), /whole seconds: up to the start of 2026-12-04 15:29:00 UTC/);
    assert.doesNotMatch(describeBinlogTarget(parseBinlogTarget({ time: '2026-12-04T15:29:00Z' })), /whole seconds/);
  });

  it('reads a position as file:position, and refuses anything else', () => {
    assert.deepEqual(parseBinlogTarget({ position: 'binlog.000003:1234' }), { kind: 'position', file: 'binlog.000003', position: 1234 });
    for (const bad of ['binlog.000003', '../x.000001:5', 'binlog.000003:abc', 'binlog.000003:2']) assert.throws(() => parseBinlogTarget({ position: bad }), /not a binary-log position/, bad);
    assert.throws(() => parseBinlogTarget({}), /Say where/);
    assert.throws(() => parseBinlogTarget({ time: '2026-12-04 10:00', end: true }), /one recovery target/);
  });

  it('starts a stretch at each dump with a position, up to the first file missing', () => {
    const window = planBinlogWindow([
      dump('b2', '2026-12-04T12:00:00Z', { binlogFile: 'binlog.000003', binlogPosition: 900, gtid: '0-1-20' }),
      dump('b1', '2026-12-04T10:00:00Z', { binlogFile: 'binlog.000001', binlogPosition: 300, gtid: '0-1-5' }),
      dump('b0', '2026-12-04T09:00:00Z', { binlogFile: null, binlogPosition: null, gtid: null }),
      dump('part', '2026-12-04T11:00:00Z', { binlogFile: 'binlog.000002', binlogPosition: 4, gtid: null }, { tables: ['orders'] }),
      dump('edited', '2026-12-04T11:30:00Z', { binlogFile: '--result-file=/etc/passwd', binlogPosition: 4, gtid: null }),
      dump('edited2', '2026-12-04T11:40:00Z', { binlogFile: 'binlog.000002', binlogPosition: -1, gtid: null }),
    ], archive('binlog.000001', 'binlog.000002', 'binlog.000003', 'binlog.000005'));
    assert.deepEqual(window.stretches.map(s => [s.base.id, s.files.map(f => f.name), s.gapAt]), [
      ['b1', ['binlog.000001', 'binlog.000002', 'binlog.000003'], 'binlog.000004'],
      ['b2', ['binlog.000003'], 'binlog.000004'],
    ]);
    assert.deepEqual(window.unusable.map(u => u.id).sort(), ['b0', 'edited', 'edited2', 'part']);
    window.stretches[0].last = transaction('binlog.000003', '2026-12-04T13:00:00Z');
    window.stretches[1].last = transaction('binlog.000003', '2026-12-04T13:00:00Z');

    // The newest dump that finished before the target.
    assert.equal(chooseBinlogStretch(window, parseBinlogTarget({ time: '2026-12-04T12:30:00Z' })).base.id, 'b2');
    assert.equal(chooseBinlogStretch(window, parseBinlogTarget({ time: '2026-12-04T11:00:00Z' })).base.id, 'b1');
    assert.equal(chooseBinlogStretch(window, parseBinlogTarget({ position: 'binlog.000002:500' })).base.id, 'b1');
    assert.equal(filesToReplay(window.stretches[0], parseBinlogTarget({ position: 'binlog.000002:500' })).length, 2);
    // Before the first dump's end, after the last transaction, or past the gap: refused, the window named.
    for (const outside of [{ time: '2026-12-04T09:30:00Z' }, { time: '2026-12-04T13:00:02Z' }, { position: 'binlog.000005:400' }]) {
      assert.throws(() => chooseBinlogStretch(window, parseBinlogTarget(outside)), /outside the recoverable window: from .* \(the end of backup b1\) to .*binlog\.000004 is missing from the archive/, JSON.stringify(outside));
    }
    assert.match(describeBinlogWindow(window), /the last transaction archived, 0-1-9 in binlog\.000003/);
  });

  it('names why there is nothing to recover from', () => {
    const window = planBinlogWindow([dump('b1', '2026-12-04T10:00:00Z', { binlogFile: 'binlog.000007', binlogPosition: 300, gtid: null })], archive('binlog.000001'));
    assert.throws(() => chooseBinlogStretch(window, { kind: 'end' }), /nothing to recover from: no full backup can start a recovery \(b1: binlog\.000007, where it starts, is not archived\)/);
  });
});
