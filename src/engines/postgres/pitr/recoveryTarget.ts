import { LifeboatError } from '../../../core/errors';
import { formatLsn, parseLsn } from './walNames';

/**
 * Where a recovery stops. A time keeps the microseconds a person (or pg_waldump) gave, and is
 * always written for PostgreSQL with an explicit offset, in UTC: recovery_target_time rejects
 * the "Z" of toISOString(), and a time without an offset is read in the sandbox's own
 * `timezone`, inherited from the source's config (measured: America/New_York moved a target
 * by 5 hours).
 */
export type RecoveryTarget =
  | { kind: 'time'; at: TimePoint }
  | { kind: 'lsn'; lsn: bigint }
  | { kind: 'name'; name: string }
  | { kind: 'xid'; xid: number }
  | { kind: 'end' };

/** An instant to the microsecond: milliseconds since the epoch, and the microseconds within. */
export interface TimePoint {
  ms: number;
  micro: number;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * "2026-12-03 10:29", "2026-12-03T10:29:00.5-05:00", "2026-12-03T15:29:00Z": a time with an
 * offset is that instant; one without is read in the local time zone of this process (the
 * user's), as a person means it. Anything else is refused with an example.
 */
export function parseTime(text: string): TimePoint {
  const match = TIME.exec(text.trim());
  const bad = () => new LifeboatError('usage', `"${text}" is not a time Lifeboat can recover to.`, 'Write it as 2026-12-03 10:29:00 (your time zone), 2026-12-03T10:29:00-05:00, or 2026-12-03T15:29:00Z.');
  if (!match) throw bad();
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone] = match;
  const digits = fraction.padEnd(6, '0');
  const ms3 = Number(digits.slice(0, 3));
  const micro = Number(digits.slice(3, 6));
  let ms: number;
  if (zone) {
    const offsetMinutes = zone.toUpperCase() === 'Z' ? 0 : offsetOf(zone);
    ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms3) - offsetMinutes * 60_000;
  } else {
    ms = new Date(+y, +mo - 1, +d, +h, +mi, +s, ms3).getTime();
  }
  const check = new Date(ms);
  if (Number.isNaN(ms) || +mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +s > 59 || check.getUTCFullYear() < 1970) throw bad();
  return { ms, micro };
}

function offsetOf(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

/** pg_waldump's "2026-12-03 16:48:38.760454+00" (walScan.ts) as a TimePoint. */
export function timePointOf(date: Date, timeText?: string): TimePoint {
  const fraction = timeText ? /\.(\d{1,6})/.exec(timeText)?.[1] ?? '' : '';
  return { ms: date.getTime(), micro: Number(fraction.padEnd(6, '0').slice(3, 6)) };
}

export function compareTime(a: TimePoint, b: TimePoint): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.micro - b.micro;
}

/** "2026-12-03 15:29:00.500000+00": what PostgreSQL reads the same in any time zone. */
export function postgresTime(at: TimePoint): string {
  const iso = new Date(at.ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(at.micro).padStart(3, '0')}+00`;
}

/** For people: the instant in their zone and in UTC ("2026-12-03 10:29:00.5 local (UTC−05:00) = 15:29:00.5 UTC"). */
export function describeTime(at: TimePoint): string {
  const date = new Date(at.ms);
  const offset = -date.getTimezoneOffset();
  const pad = (n: number) => String(n).padStart(2, '0');
  const fraction = (ms: number) => {
    const all = `${String(ms).padStart(3, '0')}${String(at.micro).padStart(3, '0')}`.replace(/0+$/, '');
    return all ? `.${all}` : '';
  };
  const local = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${fraction(date.getMilliseconds())}`;
  const zone = `UTC${offset >= 0 ? '+' : '−'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const utc = date.toISOString();
  return `${local} ${zone} (${utc.slice(0, 10)} ${utc.slice(11, 19)}${fraction(date.getUTCMilliseconds())} UTC)`;
}

/** A target from the CLI's or editor's choice: exactly one of time, lsn, name, xid, end. */
export function parseTarget(given: { time?: string; lsn?: string; name?: string; xid?: string; end?: boolean }): RecoveryTarget {
  const chosen = Object.entries(given).filter(([, v]) => v !== undefined && v !== false);
  if (chosen.length !== 1) throw new LifeboatError('usage', chosen.length === 0 ? 'Say where the recovery should stop.' : `Give one recovery target, not ${chosen.map(([k]) => `--${k}`).join(' and ')}.`, 'Use --time, --lsn, --name (a restore point), --xid or --end.');
  if (given.time !== undefined) return { kind: 'time', at: parseTime(given.time) };
  if (given.lsn !== undefined) {
    const lsn = parseLsn(given.lsn);
    if (lsn === undefined) throw new LifeboatError('usage', `"${given.lsn}" is not an LSN.`, 'Write it as PostgreSQL does, such as 0/3000148.');
    return { kind: 'lsn', lsn };
  }
  if (given.name !== undefined) {
    if (given.name.length === 0 || Buffer.byteLength(given.name) > 63 || /[\0\n\r]/.test(given.name)) throw new LifeboatError('usage', `"${given.name}" is not a restore point name (1 to 63 bytes, one line).`);
    return { kind: 'name', name: given.name };
  }
  if (given.xid !== undefined) {
    if (!/^\d{1,10}$/.test(given.xid) || Number(given.xid) < 3 || Number(given.xid) > 0xFFFFFFFF) throw new LifeboatError('usage', `"${given.xid}" is not a transaction id.`);
    return { kind: 'xid', xid: Number(given.xid) };
  }
  return { kind: 'end' };
}

export function describeTarget(target: RecoveryTarget): string {
  switch (target.kind) {
    case 'time': return `the time ${describeTime(target.at)}`;
    case 'lsn': return `LSN ${formatLsn(target.lsn)}`;
    case 'name': return `the restore point "${target.name}"`;
    case 'xid': return `transaction ${target.xid}`;
    case 'end': return 'the end of the archived WAL';
  }
}

/** The recovery_target_* settings (none for the end: recovery then runs until the WAL ends). */
export function targetSettings(target: RecoveryTarget): Record<string, string> {
  switch (target.kind) {
    case 'time': return { recovery_target_time: postgresTime(target.at), recovery_target_inclusive: 'on' };
    case 'lsn': return { recovery_target_lsn: formatLsn(target.lsn), recovery_target_inclusive: 'on' };
    case 'name': return { recovery_target_name: target.name };
    case 'xid': return { recovery_target_xid: String(target.xid), recovery_target_inclusive: 'on' };
    case 'end': return {};
  }
}
