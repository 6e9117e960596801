import { CODECS } from './codec';
import { CONNECTION_ID_PATTERN, ENGINE_LABELS } from './connection';

/**
 * What each manifest field may hold. A backup folder is input from outside (a shared folder, an
 * S3 bucket): every field that becomes a path, an object key, a database name or a tool's
 * argument is checked against a grammar as strict as what Lifeboat itself writes, before any
 * code uses it. A field that fails is reported by its place ("files[0].name") and the manifest is
 * listed as unreadable.
 */

/** What newBackupId writes: "2026-11-25T14-38-15-123Z-3fa9". */
/** An age X25519 recipient (Bech32, 58 data characters) or the word for a passphrase. */
const AGE_TO_PATTERN = /^(age1[02-9ac-hj-np-z]{58}|passphrase)$/;
export const BACKUP_ID_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{4}$/;
/** A stored file's name: one plain path component, never "." or "..", never an option ("-x"). */
const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** "sqlite-online-copy", "pg_dump-custom", "merge-undo". */
const KIND_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/** "pg_dump", "mariadb-dump", "node:sqlite", "lifeboat merge". */
const TOOL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:+-]{0,63}$/;
/** "15.14", "v24.1.0", "12.9.0-beta.1". */
const TOOL_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
/** What Date.prototype.toISOString writes (UTC, so that times sort as text). */
const ISO_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
/** Free text (names, descriptions) is shown escaped, but a NUL is never part of a real name. */
const MAX_TEXT = 4096;
/** Figures in `consistency` that are sizes. */
const SIZE_FIGURES = ['databaseBytes', 'newBytes', 'sourceFileBytes', 'pageCount', 'pageSize'];

export type FieldCheck = (value: unknown, field: string) => void;

/** A failed check: `field` names the place, `problem` what is wrong there. */
export class FieldError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field} ${problem}`);
  }
}

/** A short, escaped rendering of a hostile value for an error message. */
export function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  // JSON has no Infinity, but 1e999 in it parses as one; stringified, it would read "null".
  const text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function fail(field: string, value: unknown, expected: string): never {
  throw new FieldError(field, `is ${shown(value)}, not ${expected}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) fail(field, value, 'an object');
  return value;
}

export function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail(field, value, 'a list');
  return value;
}

function matching(pattern: RegExp, expected: string): FieldCheck {
  return (value, field) => {
    if (typeof value !== 'string' || !pattern.test(value)) fail(field, value, expected);
  };
}

export const backupId = matching(BACKUP_ID_PATTERN, 'a backup id (such as 2026-11-25T14-38-15-123Z-3fa9)');
export const connectionId = matching(CONNECTION_ID_PATTERN, 'a connection id (lowercase letters, digits and dashes)');
export const fileName = matching(FILE_NAME_PATTERN, 'a plain file name (letters, digits, ".", "_" and "-", starting with a letter or digit)');
export const kind = matching(KIND_PATTERN, 'a kind of backup (lowercase letters, digits, "_" and "-")');
export const toolName = matching(TOOL_NAME_PATTERN, 'a tool name');
export const toolVersion = matching(TOOL_VERSION_PATTERN, 'a version');
export const sha256 = matching(SHA256_PATTERN, 'a SHA-256 (64 lowercase hex digits)');

export const isoTime: FieldCheck = (value, field) => {
  if (typeof value !== 'string' || !ISO_TIME_PATTERN.test(value) || Number.isNaN(Date.parse(value))) fail(field, value, 'a UTC time such as 2026-11-25T14:38:15.123Z');
};

export const engine: FieldCheck = (value, field) => {
  if (typeof value !== 'string' || !Object.hasOwn(ENGINE_LABELS, value)) fail(field, value, `an engine (${Object.keys(ENGINE_LABELS).join(', ')})`);
};

export const codec: FieldCheck = (value, field) => {
  if (typeof value !== 'string' || !(CODECS as readonly string[]).includes(value)) fail(field, value, `a known compression (${CODECS.join(', ')})`);
};

export const freeText: FieldCheck = (value, field) => {
  if (typeof value !== 'string' || value.length > MAX_TEXT || value.includes('\0')) fail(field, value, `text (at most ${MAX_TEXT} characters, no NUL)`);
};

/** Sizes and counts: whole, not negative, exact in a double. */
export const count: FieldCheck = (value, field) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(field, value, 'a whole number ≥ 0');
};

export const size: FieldCheck = (value, field) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(field, value, 'a size ≥ 0');
};

export const finite: FieldCheck = (value, field) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, value, 'a finite number');
};

export function optional(check: FieldCheck): FieldCheck {
  return (value, field) => { if (value !== undefined) check(value, field); };
}

export function nullable(check: FieldCheck): FieldCheck {
  return (value, field) => { if (value !== null) check(value, field); };
}

export function each(check: FieldCheck): FieldCheck {
  return (value, field) => list(value, field).forEach((item, i) => check(item, `${field}[${i}]`));
}

function member(field: string, name: string): string {
  return field ? `${field}.${name}` : name;
}

/** An object whose named fields pass their checks; other fields are kept as they are (a newer
 *  Lifeboat may add some). */
export function shape(fields: Record<string, FieldCheck>): FieldCheck {
  return (value, field) => {
    const object = record(value, field);
    for (const [name, check] of Object.entries(fields)) check(object[name], member(field, name));
  };
}

/** Every value of an object passes `check`. */
export function values(check: FieldCheck): FieldCheck {
  return (value, field) => {
    for (const [name, item] of Object.entries(record(value, field))) check(item, member(field, name));
  };
}

/** options: what the backup was asked for, as text, numbers, switches and lists of names. */
export const optionValue: FieldCheck = (value, field) => {
  if (typeof value === 'boolean') return;
  if (typeof value === 'number') return finite(value, field);
  if (Array.isArray(value)) return each(freeText)(value, field);
  if (typeof value !== 'string') fail(field, value, 'text, a number, true/false or a list of text');
  freeText(value, field);
};

/** consistency: figures of the source's state; the ones that are sizes are not negative. */
export const consistencyValue: FieldCheck = (value, field) => {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') return SIZE_FIGURES.includes(field.slice(field.lastIndexOf('.') + 1)) ? size(value, field) : finite(value, field);
  if (typeof value !== 'string') fail(field, value, 'text, a number, true/false or null');
  freeText(value, field);
};

/** How a stored file is encrypted: the age format, to these recipients ("age1…") or a passphrase. */
export const encryption: FieldCheck = (value, field) => {
  const object = record(value, field);
  if (object.format !== 'age') fail(`${field}.format`, object.format, '"age"');
  const to = list(object.to, `${field}.to`);
  if (to.length === 0 || to.length > 64) fail(`${field}.to`, object.to, '1 to 64 recipients');
  to.forEach((item, i) => { if (typeof item !== 'string' || !AGE_TO_PATTERN.test(item)) fail(`${field}.to[${i}]`, item, 'an age recipient (age1…) or "passphrase"'); });
};

export const storedFile = shape({ name: fileName, size: count, sha256, codec, contentSize: optional(count), contentSha256: optional(sha256), encryption: optional(encryption) });

export const tableFigures = shape({
  name: freeText, schema: optional(freeText), table: optional(freeText), oid: optional(count), dependents: optional(each(count)),
  rows: nullable(count), estimatedRows: optional(nullable(finite)), bytes: optional(size),
});
