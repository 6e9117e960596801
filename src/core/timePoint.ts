import { LifeboatError } from './errors';

/**
 * An instant as a person or a server log gives it, to the microsecond, for point-in-time
 * recovery of any engine: parsed from what a person types (a time without an offset is theirs),
 * and described back in their zone and in UTC, so that no one recovers to the wrong hour.
 */

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

/** A Date with the microseconds of the text it was read from (pg_waldump's "2026-12-03 16:48:38.760454+00") as a TimePoint. */
export function timePointOf(date: Date, timeText?: string): TimePoint {
  const fraction = timeText ? /\.(\d{1,6})/.exec(timeText)?.[1] ?? '' : '';
  return { ms: date.getTime(), micro: Number(fraction.padEnd(6, '0').slice(3, 6)) };
}

export function compareTime(a: TimePoint, b: TimePoint): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.micro - b.micro;
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

