import { LifeboatError } from '../../../core/errors';
import { describeTime, parseTime, type TimePoint } from '../../../core/timePoint';
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

/** "2026-12-03 15:29:00.500000+00": what PostgreSQL reads the same in any time zone. */
export function postgresTime(at: TimePoint): string {
  const iso = new Date(at.ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(at.micro).padStart(3, '0')}+00`;
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
