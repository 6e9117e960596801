/**
 * Canonical values: the one text form per kind that makes equal values equal whatever driver read
 * them (PostgreSQL's text output, mysql2's strings and Buffers, SQLite's numbers, bigints, strings
 * and Buffers), and the order keys are merged in, which each dialect's ORDER BY reproduces
 * (see the dialects' orderExpression).
 */
import type { Cell, ValueKind } from './types';

/** What a driver hands over for one value. */
export type RawValue = string | number | bigint | Uint8Array | null;

/** The kind two columns of different kinds are compared as: the one both can be read as. */
export function pairKind(a: ValueKind, b: ValueKind): ValueKind {
  if (a === b) return a;
  const both = new Set([a, b]);
  const has = (k: ValueKind) => both.has(k);
  if (has('boolean') && has('integer')) return 'boolean';
  if (has('integer') && has('decimal')) return 'decimal';
  if (has('float') && (has('integer') || has('decimal'))) return 'float';
  if (has('timestamp') && has('timestamptz')) return 'timestamptz';
  // SQLite keeps dates, JSON and UUIDs as text: read the text as the other side's kind.
  if (has('text') || has('other')) {
    const other = a === 'text' || a === 'other' ? b : a;
    if (other === 'json' || other === 'uuid' || other === 'date' || other === 'time' || other === 'timestamp' || other === 'timestamptz' || other === 'decimal') return other;
  }
  return 'text';
}

export function canonical(kind: ValueKind, raw: RawValue): Cell {
  if (raw === null) return null;
  switch (kind) {
    case 'integer':
      return typeof raw === 'string' ? raw.trim() : isBytes(raw) ? bytesText(raw) : String(raw);
    case 'decimal':
      return typeof raw === 'number' ? canonicalDecimal(numberText(raw)) : isBytes(raw) ? bytesText(raw) : canonicalDecimal(String(raw));
    case 'float':
      return canonicalFloat(raw);
    case 'boolean':
      return canonicalBoolean(raw);
    case 'bytes':
      return isBytes(raw) ? '\\x' + Buffer.from(raw).toString('hex') : typeof raw === 'string' && /^\\x[0-9a-fA-F]*$/.test(raw) ? raw.toLowerCase() : '\\x' + Buffer.from(String(raw), 'utf8').toString('hex');
    case 'json':
      return canonicalJson(text(raw));
    case 'uuid':
      return text(raw).toLowerCase();
    case 'date':
      return text(raw);
    case 'time':
      return trimFraction(text(raw));
    case 'timestamp':
      return canonicalTimestamp(text(raw));
    case 'timestamptz':
      return canonicalTimestamptz(text(raw));
    case 'text':
    case 'other':
      return isBytes(raw) ? bytesText(raw) : typeof raw === 'number' ? numberText(raw) : String(raw);
  }
}

function isBytes(value: RawValue): value is Uint8Array {
  return value instanceof Uint8Array;
}

function text(raw: Exclude<RawValue, null>): string {
  return isBytes(raw) ? Buffer.from(raw).toString('utf8') : typeof raw === 'number' ? numberText(raw) : String(raw);
}

/** Bytes read where text was expected (a SQLite TEXT column holding a blob): shown as hex, never decoded lossily. */
function bytesText(raw: Uint8Array): string {
  return '\\x' + Buffer.from(raw).toString('hex');
}

function numberText(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

/** "-001.2300" → "-1.23", "5." → "5", "-0.00" → "0"; exponents ("1e3") and NaN as they are. */
export function canonicalDecimal(input: string): string {
  const s = input.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const integer = m[2].replace(/^0+(?=\d)/, '') || '0';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const digits = fraction ? `${integer}.${fraction}` : integer;
  return digits === '0' ? '0' : (m[1] === '-' ? '-' : '') + digits;
}

/** The explicit float rule: values are equal when they are the same IEEE-754 double (so -0 = 0 and
 *  float4's 1.1 reads as the double 1.1); shown as the shortest text that round-trips. */
function canonicalFloat(raw: Exclude<RawValue, null>): string {
  const s = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : text(raw).trim();
  if (typeof s === 'string') {
    const special = /^[+-]?(inf|infinity)$/i.test(s) ? (s.startsWith('-') ? '-Infinity' : 'Infinity') : /^nan$/i.test(s) ? 'NaN' : undefined;
    if (special) return special;
  }
  const n = typeof s === 'number' ? s : Number(s);
  if (Number.isNaN(n)) return typeof s === 'string' ? s : 'NaN';
  return numberText(n);
}

/** true/false; an integer other than 0 or 1 stays a number, so 2 never equals 1. */
function canonicalBoolean(raw: Exclude<RawValue, null>): string {
  const s = typeof raw === 'string' ? raw.trim().toLowerCase() : isBytes(raw) ? Buffer.from(raw).toString('utf8') : String(raw);
  if (s === 't' || s === 'true' || s === '1' || s === 'y' || s === 'yes' || s === 'on') return 'true';
  if (s === 'f' || s === 'false' || s === '0' || s === 'n' || s === 'no' || s === 'off') return 'false';
  return s;
}

/**
 * Parsed and written again with object keys sorted and no spaces; numbers keep their digits
 * (JSON.parse would round 12345678901234567891 to a double) in canonical decimal form, so 1.0
 * and 1 are equal as jsonb says. Text that is not JSON stays as it is.
 */
export function canonicalJson(s: string): string {
  try {
    const reader = new JsonReader(s);
    const out = reader.value();
    reader.end();
    return out;
  } catch {
    return s;
  }
}

/** A small JSON reader that writes the canonical form as it reads. */
class JsonReader {
  private at = 0;
  constructor(private readonly text: string) {}

  private space(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  end(): void {
    this.space();
    if (this.at !== this.text.length) throw new Error('trailing text');
  }

  value(): string {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return JSON.stringify(this.string());
    const literal = /^(true|false|null)/.exec(this.text.slice(this.at, this.at + 5));
    if (literal) {
      this.at += literal[1].length;
      return literal[1];
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.at));
    if (!number) throw new Error('not JSON');
    this.at += number[0].length;
    return number[3] ? String(Number(number[0])) : canonicalDecimal(number[0]);
  }

  private string(): string {
    if (this.text[this.at] !== '"') throw new Error('expected a string');
    let end = this.at + 1;
    while (end < this.text.length && this.text[end] !== '"') end += this.text[end] === '\\' ? 2 : 1;
    // JSON.parse checks the escapes and control characters.
    const value = JSON.parse(this.text.slice(this.at, end + 1)) as string;
    this.at = end + 1;
    return value;
  }

  private object(): string {
    this.at++;
    const members: [string, string][] = [];
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return '{}';
    }
    for (;;) {
      this.space();
      const key = this.string();
      this.space();
      if (this.text[this.at++] !== ':') throw new Error('expected :');
      members.push([key, this.value()]);
      this.space();
      const c = this.text[this.at++];
      if (c === '}') break;
      if (c !== ',') throw new Error('expected , or }');
    }
    // jsonb keeps the last of duplicate keys; so does this.
    const byKey = new Map(members);
    return `{${[...byKey.keys()].sort().map(k => `${JSON.stringify(k)}:${byKey.get(k)}`).join(',')}}`;
  }

  private array(): string {
    this.at++;
    const items: string[] = [];
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return '[]';
    }
    for (;;) {
      items.push(this.value());
      this.space();
      const c = this.text[this.at++];
      if (c === ']') break;
      if (c !== ',') throw new Error('expected , or ]');
    }
    return `[${items.join(',')}]`;
  }
}

/** "10:00:00.500000" → "10:00:00.5", "10:00:00.000" → "10:00:00". */
function trimFraction(s: string): string {
  return s.replace(/\.(\d*?)0+(?=$|[^\d])/, (_m, digits: string) => (digits ? `.${digits}` : ''));
}

const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?\s*(Z|[+-]\d\d(?::?\d\d)?(?::?\d\d)?)?$/i;

function canonicalTimestamp(s: string): string {
  const m = TIMESTAMP.exec(s.trim());
  if (!m || m[8]) return trimFraction(s.trim());
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}${fraction(m[7])}`;
}

/** The same instant in UTC, "YYYY-MM-DD HH:MM:SS[.fraction]+00"; a value without a zone is read as UTC. */
function canonicalTimestamptz(s: string): string {
  const m = TIMESTAMP.exec(s.trim());
  if (!m) return s.trim();
  const at = new Date(0);
  at.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  at.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0);
  let seconds = at.getTime() / 1000;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d\d):?(\d\d)?:?(\d\d)?$/.exec(zone)!;
    const offset = Number(z[2]) * 3600 + Number(z[3] ?? 0) * 60 + Number(z[4] ?? 0);
    seconds -= (z[1] === '-' ? -1 : 1) * offset;
  }
  const d = new Date(seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction(m[7])}+00`;
}

function fraction(digits: string | undefined): string {
  const trimmed = (digits ?? '').replace(/0+$/, '');
  return trimmed ? `.${trimmed}` : '';
}

/**
 * The order keys are merged in, matching each dialect's ORDER BY for the kind: numbers by value,
 * booleans false first, everything else by the UTF-8 bytes of the canonical text (PostgreSQL
 * COLLATE "C", MySQL binary, SQLite BINARY; dates and times in canonical form sort by time).
 * NULL never occurs in a key.
 */
export function compareCells(kind: ValueKind, a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  switch (kind) {
    case 'integer':
      return compareIntegers(a, b);
    case 'decimal':
      return compareDecimals(canonicalDecimal(a), canonicalDecimal(b));
    case 'float':
      return compareFloats(a, b);
    default:
      return compareUtf8(a, b);
  }
}

export function compareKeys(kinds: readonly ValueKind[], a: readonly Cell[], b: readonly Cell[]): number {
  for (let i = 0; i < kinds.length; i++) {
    const c = compareCells(kinds[i], a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

function compareIntegers(a: string, b: string): number {
  const negA = a.startsWith('-'), negB = b.startsWith('-');
  if (negA !== negB) return negA ? -1 : 1;
  const da = negA ? a.slice(1) : a, db = negB ? b.slice(1) : b;
  const byMagnitude = da.length !== db.length ? da.length - db.length : da < db ? -1 : da > db ? 1 : 0;
  return Math.sign(negA ? -byMagnitude : byMagnitude);
}

function compareDecimals(a: string, b: string): number {
  const negA = a.startsWith('-'), negB = b.startsWith('-');
  if (negA !== negB) return negA ? -1 : 1;
  const [ia, fa = ''] = (negA ? a.slice(1) : a).split('.');
  const [ib, fb = ''] = (negB ? b.slice(1) : b).split('.');
  let c = ia.length !== ib.length ? ia.length - ib.length : ia < ib ? -1 : ia > ib ? 1 : 0;
  if (c === 0) {
    const width = Math.max(fa.length, fb.length);
    const pa = fa.padEnd(width, '0'), pb = fb.padEnd(width, '0');
    c = pa < pb ? -1 : pa > pb ? 1 : 0;
  }
  return Math.sign(negA ? -c : c);
}

function compareFloats(a: string, b: string): number {
  const x = Number(a), y = Number(b);
  // PostgreSQL sorts NaN above every number.
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** UTF-8 byte order without encoding: UTF-16 order agrees except for surrogates against U+E000–U+FFFF. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
    return x - y;
  }
  return a.length - b.length;
}
