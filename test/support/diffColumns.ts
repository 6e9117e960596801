import type { ColumnDef, Dialect, Rng } from './diffDatabases';

/**
 * Column sets for the diff engine's generated tables, per dialect: value generators (seeded), the
 * equal-but-differently-spelled forms a naive text comparison would get wrong, and key columns
 * whose server-side order is not byte order (linguistic and case-insensitive collations).
 */

// ---------------------------------------------------------------------------------------------
// Values

/** Pieces of text that break naive quoting, COPY/TSV transports, collations and UTF-16 handling. */
const TEXT_PIECES = [
  'a', 'b', 'Z', 'q', ' ', '  ', '\t', '\n', '\r\n', '\\', '\\\\', '"', "'", '`', ';', '%', '_', ',', '|',
  'é', 'e\u0301', 'ß', 'Å', '☃', '🚣', '😀', '山田', '\u0001', '\u001b', '\u001f', '\u007f', '\u00a0', '\u200b', '—',
  'NULL', 'null', '\\N', '$1', '?', '{}', '\\x00',
];

export function randomText(rng: Rng, maxPieces = 8): string {
  let text = '';
  const n = rng.int(maxPieces + 1);
  for (let i = 0; i < n; i++) text += rng.pick(TEXT_PIECES);
  return text;
}

/** Text of at most `maxChars` UTF-16 units (so at most that many characters in any database). */
export function boundedText(rng: Rng, maxChars: number): string {
  let text = randomText(rng);
  while (text.length > maxChars) text = text.slice(0, -1);
  // A lone surrogate half is not text: cut a pair whole.
  if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
  return text;
}

export function randomBytes(rng: Rng): Buffer {
  if (rng.chance(0.05)) return Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const bytes = Buffer.alloc(rng.int(40));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  return bytes;
}

/** A decimal with `intDigits` integer digits at most and exactly `scale` fractional digits. */
export function randomDecimal(rng: Rng, intDigits: number, scale: number): string {
  const int = String(rng.int(10 ** Math.min(intDigits, 15))) + (intDigits > 15 ? String(rng.int(10 ** (intDigits - 15))).padStart(intDigits - 15, '0') : '');
  let frac = '';
  for (let i = 0; i < scale; i++) frac += String(rng.int(10));
  if (rng.chance(0.2)) frac = frac.slice(0, Math.max(0, scale - 3)).padEnd(scale, '0');
  const sign = rng.chance(0.3) ? '-' : '';
  return `${sign}${int.replace(/^0+(?=\d)/, '')}${scale ? `.${frac}` : ''}`;
}

/** The same decimal with extra trailing zeros, or a leading '+' and zeros (equal by value). */
function respellDecimal(value: unknown, rng: Rng): unknown {
  const text = String(value);
  if (rng.chance(0.5)) return text.includes('.') ? `${text}00` : `${text}.000`;
  return text.startsWith('-') ? `-00${text.slice(1)}` : `+00${text}`;
}

export function randomDouble(rng: Rng): number {
  const magnitude = 10 ** (rng.int(40) - 20);
  return (rng.next() - 0.5) * magnitude;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function randomDate(rng: Rng, fromYear = 1900, toYear = 2099): string {
  const ms = Date.UTC(fromYear, 0, 1) + rng.int(Math.floor((Date.UTC(toYear, 11, 31) - Date.UTC(fromYear, 0, 1)) / 86_400_000)) * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

export function randomTime(rng: Rng): string {
  const micros = rng.chance(0.3) ? '' : `.${pad(rng.int(1_000_000), 6)}`;
  return `${pad(rng.int(24))}:${pad(rng.int(60))}:${pad(rng.int(60))}${micros}`;
}

export function randomTimestamp(rng: Rng, fromYear = 1900, toYear = 2099): string {
  return `${randomDate(rng, fromYear, toYear)} ${randomTime(rng)}`;
}

/** An instant written with an offset: "YYYY-MM-DD HH:MM:SS.ffffff+HH:MM". */
export interface Instant {
  epochSeconds: number;
  micros: number;
}

export function randomInstant(rng: Rng, fromYear = 1971, toYear = 2037): Instant {
  const from = Date.UTC(fromYear, 0, 1) / 1000;
  const to = Date.UTC(toYear, 0, 1) / 1000;
  return { epochSeconds: from + rng.int(to - from), micros: rng.chance(0.3) ? 0 : rng.int(1_000_000) };
}

const OFFSETS_MINUTES = [0, 330, -480, 345, -210, 765, -600, 60];

export function formatInstant(instant: Instant, offsetMinutes: number, withOffset = true): string {
  const local = new Date((instant.epochSeconds + offsetMinutes * 60) * 1000).toISOString();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = withOffset ? `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}` : '';
  return `${local.slice(0, 10)} ${local.slice(11, 19)}.${pad(instant.micros, 6)}${offset}`;
}

/** JSON text with keys in a random order and random whitespace. */
export function randomJson(rng: Rng): string {
  const keys = rng.shuffle(['id', 'name', 'tags', 'nested', 'flag', 'ratio', 'ü key']).slice(0, 1 + rng.int(5));
  const value: Record<string, unknown> = {};
  for (const key of keys) {
    switch (key) {
      case 'id': value[key] = rng.int(1_000_000); break;
      case 'name': value[key] = boundedText(rng, 12); break;
      case 'tags': value[key] = Array.from({ length: rng.int(4) }, () => rng.pick(['x', 'y', 'z', 1, 2, null, true])); break;
      case 'nested': value[key] = { b: rng.int(10), a: rng.pick(['p', 'q', null]) }; break;
      case 'flag': value[key] = rng.chance(0.5); break;
      case 'ratio': value[key] = rng.int(1000) / 8; break;
      default: value[key] = rng.pick(['☃', '', ' ']);
    }
  }
  return spellJson(value, rng);
}

/** The same document with its keys reordered and other whitespace. */
export function respellJson(value: unknown, rng: Rng): string {
  return spellJson(JSON.parse(String(value)), rng);
}

function spellJson(value: unknown, rng: Rng): string {
  const space = rng.pick(['', ' ', '  ', '\n']);
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(write).join(`,${space}`)}]`;
    if (v && typeof v === 'object') {
      const entries = rng.shuffle(Object.entries(v as Record<string, unknown>));
      return `{${space}${entries.map(([k, x]) => `${JSON.stringify(k)}${space}:${space}${write(x)}`).join(`,${space}`)}${space}}`;
    }
    return JSON.stringify(v);
  };
  return write(value);
}

export function randomUuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Mostly `generate`, sometimes NULL. */
function nullable<T>(rate: number, generate: (rng: Rng) => T): (rng: Rng) => T | null {
  return rng => (rng.chance(rate) ? null : generate(rng));
}

/**
 * A unique text key for row number i: a decoration (case, accents, punctuation whose collation
 * order differs from byte order) and a fixed-length ASCII part unique per i, in random case. Two
 * keys never collide under a case- or accent-insensitive collation either.
 */
export function textKey(i: number, rng: Rng): string {
  let part = '';
  for (let n = i, k = 0; k < 5; k++, n = Math.floor(n / 26)) part = String.fromCharCode(97 + (n % 26)) + part;
  part = [...part].map(c => (rng.chance(0.4) ? c.toUpperCase() : c)).join('');
  return rng.pick(['', 'É', 'é', 'z', 'Z', '_', ' ', 'Ω', 'a-', 'A ', '0', '~', '😀']) + part;
}

export function dateKey(i: number): string {
  return new Date(Date.UTC(2024, 0, 1) + ((i * 7919) % 400) * 86_400_000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Column sets per dialect

export interface EngineColumns {
  /** An integer primary key. */
  id: ColumnDef;
  /** Many types, with NULLs (rate `nullRate`). */
  generated(nullRate: number): ColumnDef[];
  /** Composite primary key (an integer, a text in a collation whose order is not byte order, a date) and its values. */
  compositeKey: ColumnDef[];
  compositeValues: ColumnDef[];
  /** A table with no primary key and one NOT NULL unique text column. */
  uniqueKey: ColumnDef;
  /** No key at all: few distinct values, so rows repeat. */
  keyless: ColumnDef[];
  /** Names that break naive quoting (the key column first). */
  hostileSpaces: [string, string];
  hostileTable: string;
  hostileColumns: ColumnDef[];
}

const integerKey = (type: string): ColumnDef => ({ name: 'id', type, value: () => { throw new Error('key'); }, keyValue: i => i + 1 });

export function columnsFor(dialect: Dialect): EngineColumns {
  switch (dialect) {
    case 'postgres': return postgresColumns();
    case 'mysql': return mariadbColumns();
    case 'sqlite': return sqliteColumns();
  }
}

function postgresColumns(): EngineColumns {
  return {
    id: integerKey('integer NOT NULL'),
    generated: r => [
      { name: 'big', type: 'bigint', value: nullable(r, rng => (BigInt(rng.int(2 ** 31)) * BigInt(rng.int(2 ** 31)) * (rng.chance(0.5) ? 1n : -1n)).toString()) },
      { name: 'amount', type: 'numeric(20,6)', value: nullable(r, rng => randomDecimal(rng, 14, 6)), respell: respellDecimal },
      { name: 'ratio', type: 'numeric', value: nullable(r, rng => randomDecimal(rng, 8, rng.int(9))), respell: respellDecimal },
      { name: 'score', type: 'double precision', value: nullable(r, rng => rng.chance(0.05) ? rng.pick(['NaN', 'Infinity', '-Infinity']) : randomDouble(rng)) },
      { name: 'small', type: 'real', value: nullable(r, rng => (rng.int(2_000_000) - 1_000_000) / 64) },
      { name: 'flag', type: 'boolean', value: nullable(r, rng => rng.chance(0.5)) },
      { name: 'note', type: 'text', compareAs: 'text', value: nullable(r, rng => randomText(rng)) },
      { name: 'label', type: 'varchar(40)', compareAs: 'text', value: nullable(r, rng => boundedText(rng, 40)) },
      { name: 'payload', type: 'bytea', value: nullable(r, randomBytes) },
      { name: 'doc', type: 'jsonb', compareAs: 'json', value: nullable(r, randomJson), respell: respellJson },
      { name: 'raw', type: 'json', compareAs: 'json', value: nullable(r, randomJson), respell: respellJson },
      { name: 'uid', type: 'uuid', value: nullable(r, randomUuid), respell: v => String(v).toUpperCase() },
      { name: 'day', type: 'date', value: nullable(r, rng => randomDate(rng)) },
      { name: 'at_time', type: 'time(6)', value: nullable(r, randomTime), respell: v => String(v).includes('.') ? `${v}000` : `${v}.0` },
      { name: 'local_ts', type: 'timestamp(6)', value: nullable(r, rng => randomTimestamp(rng)), respell: v => String(v).replace(' ', 'T') },
      {
        name: 'instant', type: 'timestamptz(6)',
        value: nullable(r, rng => formatInstant(randomInstant(rng), rng.pick(OFFSETS_MINUTES))),
        respell: (v, rng) => formatInstant(parseInstant(String(v)), rng.pick(OFFSETS_MINUTES)),
      },
      { name: 'tags', type: 'integer[]', value: nullable(r, rng => Array.from({ length: rng.int(4) }, () => (rng.chance(0.1) ? null : rng.int(100)))) },
    ],
    compositeKey: [
      { name: 'tenant', type: 'integer NOT NULL', value: () => 0, keyValue: i => i % 5 },
      // A linguistic collation: ORDER BY puts 'É…' beside 'e…' and ignores case first, unlike bytes.
      { name: 'code', type: 'text COLLATE "und-x-icu" NOT NULL', compareAs: 'text', value: () => '', keyValue: textKey },
      { name: 'day', type: 'date NOT NULL', value: () => '', keyValue: i => dateKey(i) },
    ],
    compositeValues: [
      { name: 'qty', type: 'integer', value: nullable(0.2, rng => rng.int(1000)) },
      { name: 'price', type: 'numeric(12,2)', value: nullable(0.2, rng => randomDecimal(rng, 8, 2)) },
      { name: 'memo', type: 'text', compareAs: 'text', value: nullable(0.2, rng => randomText(rng)) },
    ],
    uniqueKey: { name: 'code', type: 'text NOT NULL', compareAs: 'text', value: () => '', keyValue: textKey },
    keyless: [
      { name: 'a', type: 'integer', value: nullable(0.2, rng => rng.int(4)) },
      { name: 'b', type: 'text', compareAs: 'text', value: nullable(0.2, rng => rng.pick(['x', 'y', 'X', 'é', 'e\u0301', ''])) },
      { name: 'c', type: 'bigint', value: nullable(0.3, rng => rng.int(3)) },
    ],
    hostileSpaces: ['rest"ored ☃; drop', 'Live Schema `x` \'q\''],
    hostileTable: 'we"ird`; t\'able ☃ select',
    hostileColumns: hostile('integer NOT NULL', 'text', 'numeric(10,2)', 'bytea', 'text'),
  };
}

function mariadbColumns(): EngineColumns {
  return {
    id: integerKey('INT NOT NULL'),
    generated: r => [
      { name: 'big', type: 'BIGINT NULL', value: nullable(r, rng => (BigInt(rng.int(2 ** 31)) * BigInt(rng.int(2 ** 31)) * (rng.chance(0.5) ? 1n : -1n)).toString()) },
      { name: 'amount', type: 'DECIMAL(20,6) NULL', value: nullable(r, rng => randomDecimal(rng, 14, 6)), respell: respellDecimal },
      { name: 'wide', type: 'DECIMAL(65,30) NULL', value: nullable(r, rng => randomDecimal(rng, 35, 30)), respell: respellDecimal },
      { name: 'score', type: 'DOUBLE NULL', value: nullable(r, randomDouble) },
      { name: 'flag', type: 'TINYINT(1) NULL', value: nullable(r, rng => rng.chance(0.5)) },
      // The table's default collation is utf8mb4_unicode_ci: 'a' = 'A' = 'á' and 'a' = 'a ' to the server.
      { name: 'note', type: 'TEXT NULL', compareAs: 'text', value: nullable(r, rng => randomText(rng)) },
      { name: 'label', type: 'VARCHAR(40) NULL', compareAs: 'text', value: nullable(r, rng => boundedText(rng, 40)), respell: v => String(v).toUpperCase() === v ? String(v).toLowerCase() : String(v).toUpperCase() },
      { name: 'payload', type: 'BLOB NULL', value: nullable(r, randomBytes) },
      { name: 'doc', type: 'JSON NULL', compareAs: 'json', value: nullable(r, randomJson), respell: respellJson },
      { name: 'day', type: 'DATE NULL', value: nullable(r, rng => randomDate(rng)) },
      { name: 'at_time', type: 'TIME(6) NULL', value: nullable(r, randomTime) },
      { name: 'local_ts', type: 'DATETIME(6) NULL', value: nullable(r, rng => randomTimestamp(rng)) },
      // Written and read by the oracle in UTC (the session's time_zone is +00:00).
      { name: 'instant', type: 'TIMESTAMP(6) NULL', value: nullable(r, rng => formatInstant(randomInstant(rng), 0, false)) },
    ],
    compositeKey: [
      { name: 'tenant', type: 'INT NOT NULL', value: () => 0, keyValue: i => i % 5 },
      // The table's collation (utf8mb4_unicode_ci) orders 'É…' with 'e…' and ignores case.
      { name: 'code', type: 'VARCHAR(30) NOT NULL', compareAs: 'text', value: () => '', keyValue: textKey },
      { name: 'day', type: 'DATE NOT NULL', value: () => '', keyValue: i => dateKey(i) },
    ],
    compositeValues: [
      { name: 'qty', type: 'INT NULL', value: nullable(0.2, rng => rng.int(1000)) },
      { name: 'price', type: 'DECIMAL(12,2) NULL', value: nullable(0.2, rng => randomDecimal(rng, 8, 2)) },
      { name: 'memo', type: 'TEXT NULL', compareAs: 'text', value: nullable(0.2, rng => randomText(rng)) },
    ],
    uniqueKey: { name: 'code', type: 'VARCHAR(40) NOT NULL', compareAs: 'text', value: () => '', keyValue: textKey },
    keyless: [
      { name: 'a', type: 'INT NULL', value: nullable(0.2, rng => rng.int(4)) },
      // Binary collation: the oracle's EXCEPT ALL must tell 'x' from 'X' as the engine does.
      { name: 'b', type: 'VARCHAR(10) COLLATE utf8mb4_bin NULL', compareAs: 'text', value: nullable(0.2, rng => rng.pick(['x', 'y', 'X', 'é', 'e\u0301', ''])) },
      { name: 'c', type: 'BIGINT NULL', value: nullable(0.3, rng => rng.int(3)) },
    ],
    hostileSpaces: ['rest"ored ☃; drop', 'Live `db` \'q\''],
    hostileTable: 'we"ird`; t\'able ☃ select',
    hostileColumns: hostile('INT NOT NULL', 'TEXT NULL', 'DECIMAL(10,2) NULL', 'BLOB NULL', 'VARCHAR(20) NULL'),
  };
}

function sqliteColumns(): EngineColumns {
  return {
    id: integerKey('INTEGER NOT NULL'),
    generated: r => [
      // Beyond 2^53: a driver that reads JavaScript numbers loses the last digits.
      { name: 'qty', type: 'INTEGER', value: nullable(r, rng => rng.chance(0.2) ? (2n ** 62n + BigInt(rng.int(1000))) * (rng.chance(0.5) ? 1n : -1n) : BigInt(rng.int(1_000_000) - 500_000)) },
      { name: 'price', type: 'REAL', value: nullable(r, randomDouble) },
      { name: 'name', type: 'TEXT', compareAs: 'text', value: nullable(r, rng => randomText(rng)) },
      { name: 'data', type: 'BLOB', value: nullable(r, randomBytes) },
      { name: 'note', type: 'TEXT', compareAs: 'text', value: nullable(r, rng => boundedText(rng, 20)) },
      { name: 'created', type: 'TEXT', compareAs: 'text', value: nullable(r, rng => randomTimestamp(rng)) },
      { name: 'flag', type: 'INTEGER', value: nullable(r, rng => (rng.chance(0.5) ? 1 : 0)) },
    ],
    compositeKey: [
      { name: 'tenant', type: 'INTEGER NOT NULL', value: () => 0, keyValue: i => i % 5 },
      // NOCASE: ORDER BY folds ASCII case, bytes do not.
      { name: 'code', type: 'TEXT COLLATE NOCASE NOT NULL', compareAs: 'text', value: () => '', keyValue: textKey },
      { name: 'day', type: 'TEXT NOT NULL', compareAs: 'text', value: () => '', keyValue: i => dateKey(i) },
    ],
    compositeValues: [
      { name: 'qty', type: 'INTEGER', value: nullable(0.2, rng => rng.int(1000)) },
      { name: 'price', type: 'REAL', value: nullable(0.2, rng => rng.int(100_000) / 100) },
      { name: 'memo', type: 'TEXT', compareAs: 'text', value: nullable(0.2, rng => randomText(rng)) },
    ],
    uniqueKey: { name: 'code', type: 'TEXT NOT NULL', compareAs: 'text', value: () => '', keyValue: textKey },
    keyless: [
      { name: 'a', type: 'INTEGER', value: nullable(0.2, rng => rng.int(4)) },
      { name: 'b', type: 'TEXT', compareAs: 'text', value: nullable(0.2, rng => rng.pick(['x', 'y', 'X', 'é', 'e\u0301', ''])) },
      { name: 'c', type: 'INTEGER', value: nullable(0.3, rng => rng.int(3)) },
    ],
    hostileSpaces: ['restored', 'live'],
    hostileTable: 'we"ird`; t\'able ☃ select',
    hostileColumns: hostile('INTEGER NOT NULL', 'TEXT', 'REAL', 'BLOB', 'TEXT'),
  };
}

/** Columns named with quotes, backticks, spaces, semicolons, keywords and unicode. */
function hostile(keyType: string, textType: string, numberType: string, bytesType: string, shortText: string): ColumnDef[] {
  return [
    { name: 'key ; "id"', type: keyType, value: () => 0, keyValue: i => i + 1 },
    { name: 'order', type: textType, compareAs: 'text', value: nullable(0.1, rng => randomText(rng)) },
    { name: 'back`tick', type: numberType, value: nullable(0.1, rng => (rng.int(200_000) - 100_000) / 100) },
    { name: 'it\'s ☃', type: bytesType, value: nullable(0.1, randomBytes) },
    { name: 'Mixed Case "x"', type: shortText, compareAs: 'text', value: nullable(0.1, rng => boundedText(rng, 20)) },
    { name: 'select', type: shortText, compareAs: 'text', value: nullable(0.1, rng => boundedText(rng, 20)) },
  ];
}

/** Reads back what formatInstant wrote. */
export function parseInstant(text: string): Instant {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d{6})([+-])(\d\d):(\d\d)$/.exec(text);
  if (!m) throw new Error(`not an instant: ${text}`);
  const offset = (m[4] === '-' ? -1 : 1) * (Number(m[5]) * 60 + Number(m[6]));
  return { epochSeconds: Date.parse(`${m[1]}T${m[2]}Z`) / 1000 - offset * 60, micros: Number(m[3]) };
}
