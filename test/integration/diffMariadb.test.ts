import { after, before, describe } from 'node:test';
import { mariadbDiffDb, runSeed, type DiffDb } from '../support/diffDatabases';
import { diffSuite } from '../support/diffSuite';
import { inZone, typeSuite, type TypeCase } from '../support/diffTypes';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { stopServersAfterTests } from '../support/serverHarness';

// The table diff engine on a throwaway MariaDB 10.11 server: restored copy and production in two
// databases, compared streamed and by checksum bisection; every answer checked against the oracle
// (NOT EXISTS with <=>, EXCEPT ALL, byte-exact text and JSON_EQUALS) run in MariaDB. Tables use
// utf8mb4_unicode_ci, where 'a' = 'A' = 'á', 'a' = 'a ' and every emoji equals every other: the
// engine must still see those as different values. The server's time zone is +05:30 and its
// character set latin1. LIFEBOAT_DIFF_SEED repeats a run.

stopServersAfterTests();

const seed = runSeed();
console.log(`diff tests (MariaDB): seed ${seed} — LIFEBOAT_DIFF_SEED=${seed} repeats this run`);

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ONE_BYTE_CHANGED = Buffer.from(ALL_BYTES.map((b, i) => (i === 0 ? 1 : b)));
const PLUS_0530 = "SET time_zone = '+05:30'";
const MINUS_0800 = "SET time_zone = '-08:00'";
const WIDE = '12345678901234567890123456789012345.123456789012345678901234567890';

describe(`diff engine on MariaDB (seed ${seed})`, () => {
  let server: MariadbServer;
  let db: DiffDb;
  before(async () => {
    server = await startMariadb({ settings: { default_time_zone: '+05:30', character_set_server: 'latin1' } });
    db = await mariadbDiffDb(server);
  });
  after(async () => {
    await db?.close();
    await server?.stop();
  });

  diffSuite({ db: () => db, seed, spaces: { backup: 'restored', production: 'live' }, bisect: true, bigRows: 50_000 });

  const cases: TypeCase[] = [
    { column: 'dec', backup: WIDE, production: WIDE },
    { column: 'dec', backup: WIDE, production: WIDE.replace(/0$/, '1') },
    { column: 'dec', backup: '1.5', production: '1.500' },
    { column: 'dec', backup: '-0.0', production: '0' },
    { column: 'dec', backup: '0.000000000000000000000000000001', production: '0' },
    { column: 'dbl', backup: 0.1, production: 0.1 },
    { column: 'dbl', backup: '0.1', production: '0.10000000000000002' },
    { column: 'dbl', backup: '-0', production: '0' },
    { column: 'dbl', backup: '1.7976931348623157e308', production: '1.7976931348623157e308' },
    { column: 'dbl', backup: '2.2250738585072014e-308', production: '2.2250738585072014e-308' },
    { column: 'dbl', backup: 123456789.123, production: null },
    // Doubles whose shortest text a naive float parser rounds to the neighbouring double.
    { column: 'dbl', backup: 9.330530627630651, production: 9.330530627630651 },
    { column: 'dbl', backup: 91609.60791632533, production: null },
    { column: 'dbl', backup: 925255748443305.5, production: 925255748443305.6 },
    { column: 'flag', backup: 1, production: 1 },
    { column: 'flag', backup: 1, production: 0 },
    { column: 'flag', backup: 0, production: null },
    { column: 'v', backup: 'a', production: 'A' },
    { column: 'v', backup: 'a', production: 'a ' },
    { column: 'v', backup: 'é', production: 'e\u0301' },
    { column: 'v', backup: 'é', production: 'e' },
    { column: 'v', backup: 'ß', production: 'ss' },
    { column: 'v', backup: '🚣', production: '😀' },
    { column: 'v', backup: 'tab\there\nline\\', production: 'tab\there\nline\\' },
    { column: 'v', backup: '\u0001\u001f', production: '\u0001\u001f' },
    { column: 'v', backup: '', production: null },
    { column: 'bl', backup: ALL_BYTES, production: ALL_BYTES },
    { column: 'bl', backup: ALL_BYTES, production: ONE_BYTE_CHANGED },
    { column: 'bl', backup: Buffer.alloc(0), production: null },
    { column: 'js', backup: '{"a":1,"b":[1,2]}', production: '{ "b" : [1, 2],\n "a" : 1 }' },
    { column: 'js', backup: '{"a":{"y":1,"x":2}}', production: '{"a":{"x":2,"y":1}}' },
    { column: 'js', backup: '{"a":1}', production: '{"a":2}' },
    { column: 'js', backup: '[1,2]', production: '[2,1]' },
    { column: 'dt', backup: '2024-01-01 10:00:00', production: '2024-01-01 10:00:00.000000' },
    { column: 'dt', backup: '2024-01-01 10:00:00', production: '2024-01-01 10:00:00.000001' },
    { column: 'dt', backup: '1000-01-01 00:00:00', production: '1000-01-01 00:00:00' },
    { column: 'ts', backup: inZone(PLUS_0530, '2024-01-15 15:30:00.123456'), production: inZone(MINUS_0800, '2024-01-15 02:00:00.123456') },
    { column: 'ts', backup: inZone(PLUS_0530, '2024-01-15 10:00:00'), production: inZone(MINUS_0800, '2024-01-15 10:00:00') },
    { column: 'ts', backup: inZone(MINUS_0800, '2038-01-18 19:14:07.999999'), production: inZone(PLUS_0530, '2038-01-19 08:44:07.999999') },
    { column: 'd', backup: '2024-02-29', production: '2024-02-29' },
    { column: 'd', backup: '2024-02-29', production: '2024-03-01' },
    { column: 'tm', backup: '10:00:00.5', production: '10:00:00.500000' },
    { column: 'tm', backup: '10:00:00', production: '10:00:00.000001' },
    { column: 'i8', backup: '9007199254740993', production: '9007199254740992' },
    { column: 'i8', backup: '-9223372036854775808', production: '-9223372036854775808' },
    { column: 'u8', backup: '18446744073709551615', production: '18446744073709551614' },
  ];
  const trimmed = (text: string) => `TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM ${text}))`;
  typeSuite({
    db: () => db, spaces: { backup: 'types restored', production: 'types live' }, table: 'types', idType: 'INT NOT NULL',
    columns: [
      { name: 'dec', type: 'DECIMAL(65,30) NULL', canonical: x => trimmed(`CAST(${x} AS CHAR)`) },
      { name: 'dbl', type: 'DOUBLE NULL', canonical: x => `CAST(${x} AS CHAR)`, cell: 'float' },
            // TINYINT(1) is MySQL's BOOLEAN: either kind is fair, as long as its cells are that kind's canonical text.
      { name: 'flag', type: 'TINYINT(1) NULL', canonical: (x, kind) => (kind === 'boolean' ? `IF(${x}, 'true', 'false')` : `CAST(${x} AS CHAR)`) },
      { name: 'v', type: 'VARCHAR(100) NULL', compareAs: 'text', canonical: x => x },
      { name: 'bl', type: 'BLOB NULL', canonical: x => `CONCAT('\\\\x', LOWER(HEX(${x})))` },
      { name: 'js', type: 'JSON NULL', compareAs: 'json', canonical: x => `CAST(${x} AS CHAR)`, cell: 'json' },
      { name: 'dt', type: 'DATETIME(6) NULL', canonical: x => trimmed(`DATE_FORMAT(${x}, '%Y-%m-%d %H:%i:%s.%f')`) },
      // The oracle's session is in UTC, so this is the instant in UTC.
      { name: 'ts', type: 'TIMESTAMP(6) NULL', canonical: x => `CONCAT(${trimmed(`DATE_FORMAT(${x}, '%Y-%m-%d %H:%i:%s.%f')`)}, '+00')` },
      { name: 'd', type: 'DATE NULL', canonical: x => `DATE_FORMAT(${x}, '%Y-%m-%d')` },
      { name: 'tm', type: 'TIME(6) NULL', canonical: x => trimmed(`CAST(${x} AS CHAR)`) },
      { name: 'i8', type: 'BIGINT NULL', canonical: x => `CAST(${x} AS CHAR)` },
      { name: 'u8', type: 'BIGINT UNSIGNED NULL', canonical: x => `CAST(${x} AS CHAR)` },
    ],
    cases, resetSession: "SET time_zone = '+00:00'", bisect: true,
  });
});
