import { LifeboatError } from '../../../core/errors';
import { describeTime, parseTime, type TimePoint } from '../../../core/timePoint';
import { parseBinlogName } from './binlogArchive';

/**
 * Where a MariaDB recovery stops: before the first transaction stamped at or after a time, before
 * the event at a binary-log position (file:position, as SHOW BINLOG EVENTS gives it), or at the
 * end of what is archived. Binary-log times are whole seconds: a time with a fraction recovers to
 * the start of its second, and says so (events within that second cannot be told apart).
 */
export type BinlogTarget =
  | { kind: 'time'; at: TimePoint }
  | { kind: 'position'; file: string; position: number }
  | { kind: 'end' };

export function parseBinlogTarget(given: { time?: string; position?: string; end?: boolean }): BinlogTarget {
  const chosen = Object.entries(given).filter(([, v]) => v !== undefined && v !== false);
  if (chosen.length !== 1) throw new LifeboatError('usage', chosen.length === 0 ? 'Say where the recovery should stop.' : `Give one recovery target, not ${chosen.map(([k]) => `--${k}`).join(' and ')}.`, 'Use --time, --position (binlog.000042:1234) or --end.');
  if (given.time !== undefined) return { kind: 'time', at: parseTime(given.time) };
  if (given.position !== undefined) {
    const match = /^([^:]+):(\d{1,12})$/.exec(given.position.trim());
    if (!match || !parseBinlogName(match[1]) || Number(match[2]) < 4) throw new LifeboatError('usage', `"${given.position}" is not a binary-log position.`, 'Write it as the file and the position of an event, as SHOW BINLOG EVENTS gives them: binlog.000042:1234.');
    return { kind: 'position', file: match[1], position: Number(match[2]) };
  }
  return { kind: 'end' };
}

/** The whole second a time target replays up to (exclusive): mariadb-binlog's --stop-datetime. */
export function stopSecond(at: TimePoint): Date {
  return new Date(Math.floor(at.ms / 1000) * 1000);
}

/** "2026-12-04 01:31:33", in UTC: what mariadb-binlog reads under TZ=UTC (it takes no offset). */
export function binlogDatetime(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

export function describeBinlogTarget(target: BinlogTarget): string {
  switch (target.kind) {
    case 'time': {
      const whole = target.at.ms % 1000 === 0 && target.at.micro === 0;
      return `the time ${describeTime(target.at)}${whole ? '' : ` (binary-log times are whole seconds: up to the start of ${binlogDatetime(stopSecond(target.at))} UTC)`}`;
    }
    case 'position': return `the event at ${target.file}:${target.position} (not included)`;
    case 'end': return 'the end of the archived binary logs';
  }
}
