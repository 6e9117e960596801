import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CHINOOK_ROW_COUNTS, HOSTILE_SCHEMA, copyDatabase, createHostileDatabase, databaseProperties, dbnameArgument,
  loadChinook, normaliseSchemaDump, postgresClientTool, postgresToolEnv, quoteIdent, quoteLiteral, schemaDump,
  tableChecksums,
} from '../support/pgFidelity';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { runTool, stopServersAfterTests } from '../support/serverHarness';

// The fidelity proof's own proof: equal databases compare equal, a changed row or sequence does
// not, and pg_dump -Fc + pg_restore (the bare tools) carries the hostile database and Chinook.

stopServersAfterTests();

const HOSTILE = 'hostile "db" ☃ = x';
const S = quoteIdent(HOSTILE_SCHEMA);
const EVERY = `${S}."Every Type ☃"`;

/** Keys whose values differ between two checksum maps (including keys only one has). */
function differingKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(key => a[key] !== b[key]).sort();
}

/** pg_dump -Fc of `database`, then pg_restore into a new database `target` (a plain CREATE DATABASE, from template1). */
async function dumpAndRestore(server: PostgresServer, database: string, target: string): Promise<void> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'lifeboat-fidelity-'));
  try {
    const file = path.join(folder, 'dump.custom');
    const env = postgresToolEnv(server);
    await runTool(postgresClientTool(server, 'pg_dump'), ['-Fc', '--no-password', '-d', dbnameArgument(database), '-f', file], { env });
    await server.createDatabase(target);
    await runTool(postgresClientTool(server, 'pg_restore'), ['--exit-on-error', '--no-password', '-d', dbnameArgument(target), file], { env });
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

describe('PostgreSQL fidelity helpers (pgFidelity.ts)', () => {
  let server: PostgresServer;
  let hostile: { schema: string; checksums: Record<string, string> };
  let chinook: { schema: string; checksums: Record<string, string> };

  before(async () => {
    server = await startPostgres();
    let started = Date.now();
    await createHostileDatabase(server, HOSTILE);
    const hostileMs = Date.now() - started;
    started = Date.now();
    await loadChinook(server, 'chinook');
    const chinookMs = Date.now() - started;
    started = Date.now();
    hostile = { schema: await schemaDump(server, HOSTILE), checksums: await tableChecksums(server, HOSTILE) };
    chinook = { schema: await schemaDump(server, 'chinook'), checksums: await tableChecksums(server, 'chinook') };
    console.log(`# created hostile in ${hostileMs} ms, Chinook in ${chinookMs} ms; schemaDump + tableChecksums of both in ${Date.now() - started} ms`);
  });
  after(async () => { await server?.stop(); });

  it('builds the hostile database it promises', () => {
    const c = hostile.checksums;
    const key = (name: string) => `${S}.${quoteIdent(name)}`;
    assert.match(c[key('Every Type ☃')], /^table: 2006 rows, /);
    assert.match(c[key('Measurements ☃')], /^partitioned table: 1501 rows, /);
    for (const partition of ['Measurements 2023', 'Measurements 2024', 'Measurements default']) {
      assert.match(c[key(partition)], /^table: [1-9]\d* rows, /, partition);
    }
    assert.match(c[key('no key, duplicates')], /^table: 7 rows, /);
    assert.match(c[key('Mood Counts ☃')], /^materialized view: \d+ rows, /);
    assert.equal(c[key('never refreshed')], 'materialized view: not populated');
    // Sequences advanced past their last used value, and one never called.
    assert.equal(c[key('Every Type ☃_id_seq')], 'sequence: last_value=14170 is_called=true');
    assert.equal(c[key('Measurements ☃_id_seq')], 'sequence: last_value=1506 is_called=true');
    assert.equal(c[key('reset, not called')], 'sequence: last_value=42 is_called=false');
    assert.equal(c[key('never called')], 'sequence: last_value=1 is_called=false');
    assert.match(c['(large objects)'], /^2 large objects, /);
    // Keys stay unambiguous when schema or table names hold dots.
    assert.ok(c['"a.b".c'] && c['a."b.c"']);
    for (const marker of ['CREATE EXTENSION IF NOT EXISTS hstore', 'CREATE EXTENSION IF NOT EXISTS pg_trgm', 'gin_trgm_ops',
      'ENABLE ROW LEVEL SECURITY', 'FORCE ROW LEVEL SECURITY', 'CREATE POLICY', 'GENERATED ALWAYS AS IDENTITY',
      'GENERATED ALWAYS AS', 'PARTITION BY RANGE', 'DEFAULT', 'CREATE MATERIALIZED VIEW', 'CREATE TRIGGER', 'DISABLE TRIGGER',
      'CREATE DOMAIN', 'AS ENUM', 'CREATE COLLATION', 'CREATE PUBLICATION', 'CREATE RULE', 'COMMENT ON COLUMN', 'numeric(1000,500)']) {
      assert.ok(hostile.schema.includes(marker), `schema dump should hold ${marker}`);
    }
  });

  it('is deterministic: a second hostile database compares equal', async () => {
    await createHostileDatabase(server, 'hostile again');
    assert.equal(await schemaDump(server, 'hostile again'), hostile.schema);
    assert.deepEqual(await tableChecksums(server, 'hostile again'), hostile.checksums);
  });

  it('loads Chinook with its row counts', () => {
    for (const [table, rows] of Object.entries(CHINOOK_ROW_COUNTS)) {
      assert.match(chinook.checksums[table], new RegExp(`^table: ${rows} rows, `), table);
    }
  });

  it('normalises only the \\restrict keys and the "Dumped from/by" lines', async () => {
    const pgDump = postgresClientTool(server, 'pg_dump');
    const rawDump = async () => (await runTool(pgDump, ['--schema-only', '-d', dbnameArgument('chinook')], { env: postgresToolEnv(server) })).stdout;
    const [first, second] = [await rawDump(), await rawDump()];
    const [major, minor] = (await runTool(pgDump, ['--version'])).stdout.match(/(\d+)\.(\d+)/)!.slice(1).map(Number);
    // pg_dump 15.14+ (and 13.22, 14.19, 16.10, 17.6) wraps its output in \restrict KEY … \unrestrict KEY, a new key each time.
    if (major > 15 || (major === 15 && minor >= 14)) {
      const key = first.match(/^\\restrict (\S+)$/m)?.[1];
      assert.ok(key, 'pg_dump should print \\restrict');
      assert.match(first, new RegExp(`^\\\\unrestrict ${key}$`, 'm'));
      assert.notEqual(first, second);
    }
    const normalised = normaliseSchemaDump(first);
    assert.equal(normalised, normaliseSchemaDump(second));
    assert.doesNotMatch(normalised, /^\\(un)?restrict /m);
    assert.doesNotMatch(normalised, /^-- Dumped (from|by) /m);
    const removed = first.split('\n').filter(line => !normalised.split('\n').includes(line));
    assert.ok(removed.length <= 4, `removed only the restrict and Dumped lines: ${removed.join(' | ')}`);
  });

  for (const which of ['hostile', 'chinook'] as const) {
    describe(`${which}: a TEMPLATE copy`, () => {
      const original = which === 'hostile' ? HOSTILE : 'chinook';
      const copy = `${which} copy ☃`;
      const expected = () => (which === 'hostile' ? hostile : chinook);
      before(async () => { await copyDatabase(server, original, copy); });

      it('compares equal', async () => {
        assert.equal(await schemaDump(server, copy), expected().schema);
        assert.deepEqual(await tableChecksums(server, copy), expected().checksums);
      });

      it('differs in one table when one row changes', async () => {
        const [change, key, alsoChanged] = which === 'hostile'
          // -0 becomes 0: equal as numbers, not the same value. (The audit trigger logs the update.)
          ? [`UPDATE ${EVERY} SET f8 = 0 WHERE f8::text = '-0'`, `${S}."Every Type ☃"`, [`${S}.audit_log`, `${S}.audit_log_id_seq`]]
          : ['UPDATE public.track SET name = name || \' \' WHERE track_id = 1', 'public.track', []];
        await server.query(change, copy);
        const changed = await tableChecksums(server, copy);
        assert.deepEqual(differingKeys(changed, expected().checksums), [key, ...alsoChanged].sort());
        assert.equal(changed[key].replace(/sha256 \w+/, ''), expected().checksums[key].replace(/sha256 \w+/, ''), 'same row count');
      });

      it('differs in one sequence when it is advanced, or only its is_called flips', async () => {
        const sequence = which === 'hostile' ? `${S}."Measurements ☃_id_seq"` : null;
        if (!sequence) {
          // Chinook has no sequences: make one, and compare against a state with it.
          await server.query('CREATE SEQUENCE public.extra_seq', copy);
          const withSequence = await tableChecksums(server, copy);
          assert.equal(withSequence['public.extra_seq'], 'sequence: last_value=1 is_called=false');
          await server.query("SELECT nextval('public.extra_seq')", copy);
          assert.deepEqual(differingKeys(await tableChecksums(server, copy), withSequence), ['public.extra_seq']);
          return;
        }
        const before = await tableChecksums(server, copy);
        await server.query(`SELECT nextval(${quoteLiteral(sequence)})`, copy);
        const advanced = await tableChecksums(server, copy);
        assert.deepEqual(differingKeys(advanced, before), [sequence]);
        assert.equal(advanced[sequence], 'sequence: last_value=1507 is_called=true');
        await server.query(`SELECT setval(${quoteLiteral(sequence)}, 1507, false)`, copy);
        assert.equal((await tableChecksums(server, copy))[sequence], 'sequence: last_value=1507 is_called=false');
      });

      it('differs in the schema dump when a comment changes', async () => {
        await server.query(`COMMENT ON SCHEMA public IS 'changed ☃'`, copy);
        assert.notEqual(await schemaDump(server, copy), expected().schema);
      });
    });
  }

  for (const which of ['hostile', 'chinook'] as const) {
    it(`${which}: pg_dump -Fc + pg_restore into a new database compares equal`, async () => {
      const original = which === 'hostile' ? HOSTILE : 'chinook';
      const restored = `${which} restored ☃`;
      const started = Date.now();
      await dumpAndRestore(server, original, restored);
      const restoreMs = Date.now() - started;
      const expected = which === 'hostile' ? hostile : chinook;
      assert.equal(await schemaDump(server, restored), expected.schema);
      assert.deepEqual(await tableChecksums(server, restored), expected.checksums);
      console.log(`# ${which}: pg_dump -Fc + pg_restore in ${restoreMs} ms`);
    });
  }

  it('catches what careless restores get wrong', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'lifeboat-fidelity-'));
    try {
      const env = postgresToolEnv(server);
      const pgRestore = postgresClientTool(server, 'pg_restore');
      const dump = path.join(folder, 'hostile.custom');
      await runTool(postgresClientTool(server, 'pg_dump'), ['-Fc', '-d', dbnameArgument(HOSTILE), '-f', dump], { env });
      const restore = (target: string, ...options: string[]) =>
        runTool(pgRestore, ['--exit-on-error', ...options, '-d', dbnameArgument(target), dump], { env });
      const compare = async (target: string) => ({
        schemaEqual: (await schemaDump(server, target)) === hostile.schema,
        tablesDiffering: differingKeys(await tableChecksums(server, target), hostile.checksums),
      });
      const key = (name: string) => `${S}.${quoteIdent(name)}`;

      // Owners and grants dropped: the schema dump shows it; so do large objects' owner and ACL.
      await server.createDatabase('mistake no owner');
      await restore('mistake no owner', '--no-owner', '--no-acl');
      assert.deepEqual(await compare('mistake no owner'), { schemaEqual: false, tablesDiffering: ['(large objects)'] });

      // Schema first, data second: the materialized view is refreshed while its tables are still
      // empty, and --disable-triggers ends with ENABLE TRIGGER ALL, which enables a trigger that
      // was disabled.
      await server.createDatabase('mistake split');
      await restore('mistake split', '--schema-only');
      await restore('mistake split', '--data-only', '--disable-triggers');
      assert.deepEqual(await compare('mistake split'), { schemaEqual: false, tablesDiffering: [key('Mood Counts ☃')] });

      // A materialized view that was never populated must stay so.
      await server.createDatabase('mistake refresh');
      await restore('mistake refresh');
      await server.query(`REFRESH MATERIALIZED VIEW ${key('never refreshed')}`, 'mistake refresh');
      assert.deepEqual(await compare('mistake refresh'), { schemaEqual: true, tablesDiffering: [key('never refreshed')] });
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  it('database-level properties: neither TEMPLATE copies nor pg_dump without --create carry them', async () => {
    const original = await databaseProperties(server, HOSTILE);
    assert.equal(original.comment, 'Hostile fixture: "quotes", \'apostrophes\', ☃');
    assert.deepEqual(original.settings, ['lifeboat.marker=Zürich ☃']);
    assert.match(original.acl ?? '', /lifeboat fidelity reader/);
    for (const other of ['hostile copy ☃', 'hostile restored ☃']) {
      const properties = await databaseProperties(server, other);
      assert.deepEqual([properties.encoding, properties.collate, properties.ctype, properties.owner],
        [original.encoding, original.collate, original.ctype, original.owner]);
      // Lost: a restore into a database of another name must carry these itself (or say it does not).
      assert.deepEqual([properties.comment, properties.settings, properties.acl], [null, [], null], other);
    }
  });
});
