import { pipeline } from 'node:stream/promises';
import { after, before, describe } from 'node:test';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { postgresDiffDb, runSeed, type DiffDb } from '../support/diffDatabases';
import type { Pair } from '../support/diffOracle';
import { diffSuite } from '../support/diffSuite';
import { inZone, typeSuite, type TypeCase } from '../support/diffTypes';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';

// The table diff engine on a throwaway PostgreSQL 15 server: restored copy and production in two
// schemas of one database (and, for the big table, in two databases), compared streamed and by
// checksum bisection; every answer checked against the oracle (anti-joins with IS DISTINCT FROM,
// EXCEPT ALL) run in PostgreSQL; merges, conflicts, undo, errors, and type fidelity. The server's
// own defaults are unusual on purpose (time zone +12:45/+13:45, DateStyle SQL/DMY, floats printed
// with 15 digits, bytea as escapes): the engine must not read values in whatever form a session
// happens to print them. LIFEBOAT_DIFF_SEED repeats a run.

stopServersAfterTests();

const seed = runSeed();
console.log(`diff tests (PostgreSQL): seed ${seed} — LIFEBOAT_DIFF_SEED=${seed} repeats this run`);

const DATABASE = 'diff ☃';
const SECOND_DATABASE = 'restored "copy" ☃';
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ONE_BYTE_CHANGED = Buffer.from(ALL_BYTES.map((b, i) => (i === 255 ? 0 : b)));
const KOLKATA = "SET TimeZone = 'Asia/Kolkata'";
const LOS_ANGELES = "SET TimeZone = 'America/Los_Angeles'";

describe(`diff engine on PostgreSQL (seed ${seed})`, () => {
  let server: PostgresServer;
  let db: DiffDb;
  before(async () => {
    server = await startPostgres({
      settings: { TimeZone: 'Pacific/Chatham', DateStyle: 'SQL, DMY', extra_float_digits: 0, bytea_output: 'escape', IntervalStyle: 'sql_standard' },
    });
    await server.createDatabase(DATABASE);
    await server.createDatabase(SECOND_DATABASE);
    db = await postgresDiffDb(server, DATABASE);
  });
  after(async () => {
    await db?.close();
    await server?.stop();
  });

  /** The big table's restored copy lives in a database of its own, as a restore would put it. */
  async function copyToSecondDatabase(pair: Pair) {
    const copy = await postgresDiffDb(server, SECOND_DATABASE);
    const target = { space: 'public', name: pair.backup.name };
    try {
      await copy.createTable(target, pair.def);
    } finally {
      await copy.close();
    }
    const source = new Client(server.clientConfig(DATABASE));
    const sink = new Client(server.clientConfig(SECOND_DATABASE));
    await source.connect();
    await sink.connect();
    try {
      await pipeline(source.query(copyTo(`COPY ${db.table(pair.backup)} TO STDOUT`)), sink.query(copyFrom(`COPY ${db.table(target)} FROM STDIN`)));
    } finally {
      await source.end();
      await sink.end();
    }
    return {
      connection: { ...server.connectionFor(SECOND_DATABASE), id: 'pg-restored-copy', name: 'restored copy' },
      password: server.password,
      table: { schema: 'public', name: pair.backup.name },
    };
  }

  diffSuite({
    db: () => db, seed, spaces: { backup: 'restored', production: 'live' }, bisect: true, bigRows: 50_000,
    bigBackupSide: copyToSecondDatabase,
  });

  const cases: TypeCase[] = [
    { column: 'dec', backup: '1.5', production: '1.50' },
    { column: 'dec', backup: '1.5', production: '1.5000001' },
    { column: 'dec', backup: '-0.0', production: '0' },
    { column: 'dec', backup: '123456789012345678901234567890.123456789', production: '123456789012345678901234567890.123456788' },
    { column: 'dec', backup: 'NaN', production: 'NaN' },
    { column: 'dec', backup: null, production: '0' },
    { column: 'money', backup: '10.10', production: '10.1' },
    { column: 'money', backup: '10.10', production: '10.11' },
    { column: 'f8', backup: 0.1, production: 0.1 },
    { column: 'f8', backup: '0.1', production: '0.10000000000000002' },
    { column: 'f8', backup: 'NaN', production: 'NaN' },
    { column: 'f8', backup: 'Infinity', production: 'Infinity' },
    { column: 'f8', backup: 'Infinity', production: '-Infinity' },
    { column: 'f8', backup: '-0', production: '0' },
    { column: 'f8', backup: '1e300', production: '1e300' },
    { column: 'f8', backup: '5e-324', production: '0' },
    { column: 'f8', backup: 'NaN', production: null },
    { column: 'f4', backup: '1.1', production: '1.1' },
    { column: 'f4', backup: '1.1', production: '1.1000001' },
    { column: 'f4', backup: '-Infinity', production: '-Infinity' },
    { column: 'b', backup: true, production: true },
    { column: 'b', backup: true, production: false },
    { column: 'b', backup: false, production: null },
    { column: 't', backup: 'a', production: 'A' },
    { column: 't', backup: 'a', production: 'a ' },
    { column: 't', backup: 'é', production: 'e\u0301' },
    { column: 't', backup: 'tab\there', production: 'tab here' },
    { column: 't', backup: 'line\nbreak', production: 'line\r\nbreak' },
    { column: 't', backup: 'back\\slash', production: 'back\\\\slash' },
    { column: 't', backup: '🚣 \u0001\u001f\u007f', production: '🚣 \u0001\u001f\u007f' },
    { column: 't', backup: '', production: null },
    { column: 't', backup: 'NULL', production: null },
    { column: 't', backup: '\\N', production: '\\N' },
    { column: 'by', backup: ALL_BYTES, production: ALL_BYTES },
    { column: 'by', backup: ALL_BYTES, production: ONE_BYTE_CHANGED },
    { column: 'by', backup: Buffer.alloc(0), production: null },
    { column: 'by', backup: Buffer.from('\\x00'), production: Buffer.from([0]) },
    { column: 'js', backup: '{"a":1,"b":[1,2]}', production: '{ "b" : [1, 2],\n "a" : 1 }' },
    { column: 'js', backup: '{"a":1}', production: '{"a":2}' },
    { column: 'js', backup: '{"a":{"y":1,"x":2}}', production: '{"a":{"x":2,"y":1}}' },
    { column: 'js', backup: '[1,2]', production: '[2,1]' },
    { column: 'js', backup: '"☃"', production: '"\\u2603"' },
    { column: 'js', backup: '{"n":12345678901234567890}', production: '{"n":12345678901234567891}' },
    { column: 'js', backup: 'null', production: null },
    { column: 'jb', backup: '{"b":1,"a":"x"}', production: '{"a":"x","b":1}' },
    { column: 'jb', backup: '{"a":[1,{"c":null}]}', production: '{"a":[1,{"c":false}]}' },
    { column: 'jb', backup: '{"n":1.0}', production: '{"n":1}' },
    { column: 'jb', backup: '{"n":12345678901234567890}', production: '{"n":12345678901234567891}' },
    { column: 'u', backup: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', production: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
    { column: 'u', backup: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', production: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12' },
    { column: 'd', backup: '2024-02-29', production: '2024-02-29' },
    { column: 'd', backup: '2024-02-29', production: '2024-03-01' },
    { column: 'd', backup: '0001-01-01', production: '0001-01-01' },
    { column: 'tm', backup: '10:00:00.5', production: '10:00:00.500000' },
    { column: 'tm', backup: '10:00:00', production: '10:00:00.000001' },
    { column: 'ts', backup: '2024-01-01 10:00:00', production: '2024-01-01T10:00:00.000' },
    { column: 'ts', backup: '2024-01-01 10:00:00', production: '2024-01-01 10:00:00.000001' },
    { column: 'tz', backup: inZone(KOLKATA, '2024-01-15 15:30:00.123456'), production: inZone(LOS_ANGELES, '2024-01-15 02:00:00.123456') },
    { column: 'tz', backup: inZone(KOLKATA, '2024-01-15 10:00:00'), production: inZone(LOS_ANGELES, '2024-01-15 10:00:00') },
    { column: 'tz', backup: '2024-07-01 10:00:00+00', production: '2024-07-01 12:00:00+02' },
    { column: 'arr', backup: [1, 2, 3], production: [1, 2, 3] },
    { column: 'arr', backup: [1, 2], production: [2, 1] },
    { column: 'arr', backup: [null], production: [] },
    { column: 'i8', backup: '9007199254740993', production: '9007199254740992' },
    { column: 'i8', backup: '-9223372036854775808', production: '-9223372036854775808' },
  ];
  typeSuite({
    db: () => db, spaces: { backup: 'types restored', production: 'types live' }, table: 'types', idType: 'integer NOT NULL',
    columns: [
      { name: 'dec', type: 'numeric', canonical: x => `trim_scale(${x})::text` },
      { name: 'money', type: 'numeric(12,2)', canonical: x => `trim_scale(${x})::text` },
      { name: 'f8', type: 'double precision', canonical: x => `(${x})::text`, cell: 'float' },
      { name: 'f4', type: 'real', canonical: x => `(${x})::text`, cell: 'float4' },
      { name: 'b', type: 'boolean', canonical: x => `CASE WHEN ${x} THEN 'true' ELSE 'false' END` },
      { name: 't', type: 'text', compareAs: 'text', canonical: x => x },
      { name: 'by', type: 'bytea', canonical: x => `'\\x' || encode(${x}, 'hex')` },
      { name: 'js', type: 'json', compareAs: 'json', canonical: x => `(${x})::text`, cell: 'json' },
      { name: 'jb', type: 'jsonb', compareAs: 'json', canonical: x => `(${x})::text`, cell: 'json' },
      { name: 'u', type: 'uuid', canonical: x => `(${x})::text` },
      { name: 'd', type: 'date', canonical: x => `to_char(${x}, 'YYYY-MM-DD')` },
      { name: 'tm', type: 'time(6)', canonical: x => `(${x})::text` },
      { name: 'ts', type: 'timestamp(6)', canonical: x => `(${x})::text` },
      { name: 'tz', type: 'timestamptz(6)', canonical: x => `((${x}) AT TIME ZONE 'UTC')::text || '+00'` },
      { name: 'arr', type: 'integer[]', canonical: x => `(${x})::text` },
      { name: 'i8', type: 'bigint', canonical: x => `(${x})::text` },
    ],
    cases, resetSession: "SET TimeZone = 'UTC'", bisect: true,
  });
});
