import { LifeboatError } from './errors';
import type { Verification, VerificationCheck } from './manifest';

/**
 * A verification record as read from a backup folder, which is input from outside (a shared
 * folder, a bucket): every field is checked for type, size and characters before anything uses
 * it, the same way for records inside a manifest (older backups) and for records stored beside
 * it. A bad record is a clean 'verification' error naming it, never a TypeError later on.
 * Only the known fields are kept.
 */
const KINDS: readonly Verification['kind'][] = ['at-backup', 'full', 'quick', 'restore-drill'];
const MAX_CHECKS = 256;
/** A check's detail holds a tool's error lines at most; far more is not a record Lifeboat wrote. */
export const MAX_DETAIL = 16 * 1024;
const MAX_MS = 1e12;
/** new Date().toISOString(), which is what Lifeboat writes. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
const BY = /^[\x20-\x7e]{1,100}$/;

export function parseVerification(value: unknown, where: string): Verification {
  const bad = (what: string) => new LifeboatError('verification', `The verification record ${where} ${what}.`,
    'The backup\'s history cannot be trusted; delete the record, or the backup, or restore it by hand.');
  if (!isObject(value)) throw bad('is not an object');
  const { at, kind, ok, durationMs, checks, restoreMs, by } = value;
  if (typeof at !== 'string' || !ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) throw bad('has no valid time ("at")');
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) throw bad(`has an unknown kind (one of ${KINDS.join(', ')})`);
  if (typeof ok !== 'boolean') throw bad('does not say whether it passed ("ok")');
  if (!isDuration(durationMs)) throw bad('has no valid duration ("durationMs")');
  if (restoreMs !== undefined && !isDuration(restoreMs)) throw bad('has an invalid restore time ("restoreMs")');
  if (typeof by !== 'string' || !BY.test(by)) throw bad('does not say validly who ran it ("by")');
  if (!Array.isArray(checks) || checks.length > MAX_CHECKS) throw bad(`has no valid list of checks (at most ${MAX_CHECKS})`);
  const parsed: VerificationCheck[] = checks.map((check: unknown, i) => {
    if (!isObject(check)) throw bad(`has a check ${i + 1} that is not an object`);
    if (typeof check.name !== 'string' || !CHECK_NAME.test(check.name)) throw bad(`has a check ${i + 1} without a valid name`);
    if (typeof check.ok !== 'boolean') throw bad(`has a check "${check.name}" that does not say whether it passed`);
    if (typeof check.detail !== 'string' || check.detail.length > MAX_DETAIL || withoutControl(check.detail) !== check.detail) {
      throw bad(`has a check "${check.name}" whose detail is not text of at most ${MAX_DETAIL} characters without control characters`);
    }
    return { name: check.name, ok: check.ok, detail: check.detail };
  });
  return { at, kind: kind as Verification['kind'], ok, durationMs, checks: parsed, ...(restoreMs !== undefined ? { restoreMs } : {}), by };
}

/** What Lifeboat writes passes parseVerification: a detail is cut to size and stripped of the
 *  control characters a tool's message may carry. */
export function writableVerification(verification: Verification): Verification {
  const checks = verification.checks.map(c => ({ ...c, detail: withoutControl(c.detail).slice(0, MAX_DETAIL) }));
  return { ...verification, checks };
}

/** The text with each control character replaced by a space, but tab, newline and CR LF (a
 *  tool's error lines, Windows' among them): ESC or a lone CR could rewrite a terminal's line. */
function withoutControl(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const control = (code < 0x20 && code !== 0x09 && code !== 0x0a && !(code === 0x0d && text.charCodeAt(i + 1) === 0x0a))
      || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    out += control ? ' ' : text[i];
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_MS;
}
