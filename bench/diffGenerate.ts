// The table diff benchmark's data (bench/diffCompare.ts): two databases on the benchmarks' own
// PostgreSQL cluster (bench/pgGenerate.ts's, kept under bench/.data/pg/), each with the table
// public.accounts of 1,000,000 rows × 10 columns. "diff_restored" is the restored copy; "diff_prod"
// began as the same table (CREATE DATABASE … TEMPLATE) and then received 1,000 scattered changes
// chosen by a seeded PRNG: 400 updates of 1–3 columns, 300 deletes, 300 inserts of new ids (290
// in gaps of the key range, 10 above its top). Generated once and cached; the marker file records
// the ids of every change, so the bench can check which rows a comparison reports as well as how many.
//
//   node --import tsx bench/diffGenerate.ts            start the cluster, generate if needed, stop
//   node --import tsx bench/diffGenerate.ts --force    regenerate even when the cached databases are current
//
// Every value comes from hashint8extended() of the row's id, so every machine builds the same rows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { makeRng } from '../test/support/diffDatabases';
import { PG_HOME, startBenchCluster, type BenchCluster } from './pgGenerate';

/** Bump when the schema, the rows or the changes change: cached databases of another version are rebuilt. */
export const DIFF_GENERATOR_VERSION = 1;
export const RESTORED_DATABASE = 'diff_restored';
export const PROD_DATABASE = 'diff_prod';
export const DIFF_SCHEMA = 'public';
export const DIFF_TABLE = 'accounts';

const MARKER_FILE = path.join(PG_HOME, 'diff-generated.json');
const ROWS = 1_000_000;
/** Row k (1..ROWS) has id k × ID_STEP: the gaps leave room for inserts anywhere in the key range. */
const ID_STEP = 4;
const CHANGES = { updates: 400, deletes: 300, insertsInGaps: 290, insertsAboveMax: 10 };
const SEED = 0x1f2e3d4c;

/** The ids each kind of change touched in diff_prod, and so the differences a comparison must find. */
export interface InjectedChanges {
  /** Deleted from production: only in the backup. */
  deleted: number[];
  /** Inserted into production: only in production. */
  inserted: number[];
  /** Updated in production, with the columns each update changed. */
  updated: { id: number; columns: string[] }[];
}

export interface DiffData {
  table: string;
  columns: { name: string; type: string }[];
  restored: { database: string; rows: number; bytes: number };
  prod: { database: string; rows: number; bytes: number };
  changes: InjectedChanges;
  /** The counts a correct comparison reports (restored = backup, prod = production). */
  expected: { onlyInBackup: number; onlyInProduction: number; changed: number };
  /** Null when the cached databases were reused. */
  generatedMs: number | null;
}

interface Marker extends Omit<DiffData, 'generatedMs'> {
  version: number;
  at: string;
  generatedMs: number | null;
}

/** The diff databases, generated first when missing, of another generator version, or when `force`. */
export async function ensureDiffDatabases(cluster: BenchCluster, options: { force?: boolean; log?: (message: string) => void } = {}): Promise<DiffData> {
  const log = options.log ?? (() => undefined);
  const marker = readMarker();
  const present = await cluster.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname IN ('${RESTORED_DATABASE}', '${PROD_DATABASE}')`);
  if (!options.force && present.length === 2 && marker?.version === DIFF_GENERATOR_VERSION) {
    return { ...marker, generatedMs: null };
  }
  fs.rmSync(MARKER_FILE, { force: true });
  log(`Generating the diff benchmark's databases "${RESTORED_DATABASE}" and "${PROD_DATABASE}" (generator v${DIFF_GENERATOR_VERSION}; once, cached afterwards)…`);
  const started = performance.now();
  const changes = await generate(cluster, log);
  const generatedMs = Math.round(performance.now() - started);
  log(`Generated in ${(generatedMs / 1000).toFixed(1)} s.`);
  const describe = async (database: string) => {
    const [row] = await cluster.query<{ rows: string; bytes: string }>(
      `SELECT (SELECT count(*) FROM ${DIFF_SCHEMA}.${DIFF_TABLE}) AS rows, pg_total_relation_size('${DIFF_SCHEMA}.${DIFF_TABLE}') AS bytes`, database);
    return { database, rows: Number(row.rows), bytes: Number(row.bytes) };
  };
  const columns = await cluster.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = '${DIFF_SCHEMA}.${DIFF_TABLE}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, RESTORED_DATABASE);
  const data: Marker = {
    version: DIFF_GENERATOR_VERSION,
    at: new Date().toISOString(),
    generatedMs,
    table: `${DIFF_SCHEMA}.${DIFF_TABLE}`,
    columns,
    restored: await describe(RESTORED_DATABASE),
    prod: await describe(PROD_DATABASE),
    changes,
    expected: { onlyInBackup: changes.deleted.length, onlyInProduction: changes.inserted.length, changed: changes.updated.length },
  };
  if (data.prod.rows !== data.restored.rows - changes.deleted.length + changes.inserted.length) {
    throw new Error(`diff_prod has ${data.prod.rows} rows; ${data.restored.rows} - ${changes.deleted.length} + ${changes.inserted.length} expected.`);
  }
  fs.writeFileSync(MARKER_FILE, `${JSON.stringify(data, null, 1)}\n`);
  return data;
}

function readMarker(): Marker | undefined {
  try {
    return JSON.parse(fs.readFileSync(MARKER_FILE, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

/** `count` distinct whole numbers in [from, to], in random order. */
function distinct(random: () => number, count: number, from: number, to: number): number[] {
  const picked = new Set<number>();
  while (picked.size < count) picked.add(from + Math.floor(random() * (to - from + 1)));
  return [...picked];
}

/** An update per updatable column: an expression that always yields a value other than the column's (NULL included). */
const UPDATES: Record<string, (r: number) => string> = {
  quantity: r => `quantity + ${1 + r}`,
  price: r => `price + ${((1 + r) / 100).toFixed(2)}`,
  score: r => `CASE WHEN score IS NULL THEN ${r}.25 ELSE score + ${r}.5 END`,
  description: () => `left('edited: ' || coalesce(description, ''), 80)`,
  code: r => `CASE WHEN code IS NULL THEN 'NEW-${r}' ELSE code || 'X' END`,
  active: () => 'NOT active',
  updated_at: r => `updated_at + make_interval(secs => ${1 + r}.5)`,
  due_on: r => `due_on + ${1 + (r % 30)}`,
  attrs: r => `attrs || jsonb_build_object('edited', ${r})`,
};

function chooseChanges(): { changes: InjectedChanges; updates: { id: number; set: string[] }[] } {
  // The tests' seeded generator (mulberry32): the same changes on every machine.
  const random = makeRng(SEED).next;
  const existing = distinct(random, CHANGES.updates + CHANGES.deletes, 1, ROWS).map(k => k * ID_STEP);
  const inGaps = distinct(random, CHANGES.insertsInGaps, 0, ROWS - 1).map(j => j * ID_STEP + 1 + Math.floor(random() * (ID_STEP - 1)));
  const above = distinct(random, CHANGES.insertsAboveMax, 1, 10_000).map(m => ROWS * ID_STEP + m);
  const names = Object.keys(UPDATES);
  const updates = existing.slice(0, CHANGES.updates).map(id => {
    const columns = distinct(random, 1 + Math.floor(random() * 3), 0, names.length - 1).map(i => names[i]);
    return { id, columns, set: columns.map(c => `${c} = ${UPDATES[c](Math.floor(random() * 1000))}`) };
  });
  return {
    changes: {
      deleted: existing.slice(CHANGES.updates).sort((a, b) => a - b),
      inserted: [...inGaps, ...above].sort((a, b) => a - b),
      updated: updates.map(({ id, columns }) => ({ id, columns })).sort((a, b) => a.id - b.id),
    },
    updates,
  };
}

async function generate(cluster: BenchCluster, log: (message: string) => void): Promise<InjectedChanges> {
  for (const database of [PROD_DATABASE, RESTORED_DATABASE]) await cluster.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await cluster.query(`CREATE DATABASE ${RESTORED_DATABASE}`);
  const connect = async (database: string) => {
    const client = new Client({ ...cluster.clientConfig(database), statement_timeout: 0 });
    await client.connect();
    await client.query("SET synchronous_commit = off; SET TimeZone = 'UTC'");
    return client;
  };
  const step = async (client: Client, label: string, sql: string) => {
    const started = performance.now();
    await client.query(sql);
    log(`  ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };

  const restored = await connect(RESTORED_DATABASE);
  try {
    await restored.query(HELPERS);
    await step(restored, `${RESTORED_DATABASE}: ${ROWS.toLocaleString('en')} rows`, `${TABLE}
      INSERT INTO ${DIFF_TABLE} SELECT ${rowFor('k')} FROM generate_series(1, ${ROWS}) i, LATERAL (SELECT i::bigint * ${ID_STEP} AS k) x;
      ALTER TABLE ${DIFF_TABLE} ADD PRIMARY KEY (id);`);
    // Frozen, with hint bits and statistics set: the first read then reads the same pages as the last.
    await step(restored, `${RESTORED_DATABASE}: VACUUM (FREEZE, ANALYZE)`, `VACUUM (FREEZE, ANALYZE) ${DIFF_TABLE}`);
  } finally {
    await restored.end();
  }

  const created = performance.now();
  const admin = await connect('postgres');
  try {
    await admin.query(`CREATE DATABASE ${PROD_DATABASE} TEMPLATE ${RESTORED_DATABASE}`);
  } finally {
    await admin.end();
  }
  log(`  ${PROD_DATABASE}: a copy of ${RESTORED_DATABASE} (CREATE DATABASE … TEMPLATE, ${((performance.now() - created) / 1000).toFixed(1)} s)`);

  const { changes, updates } = chooseChanges();
  const prod = await connect(PROD_DATABASE);
  try {
    await prod.query('BEGIN');
    for (const u of updates) await prod.query(`UPDATE ${DIFF_TABLE} SET ${u.set.join(', ')} WHERE id = ${u.id}`);
    await prod.query(`DELETE FROM ${DIFF_TABLE} WHERE id = ANY('{${changes.deleted.join(',')}}'::bigint[])`);
    await prod.query(`INSERT INTO ${DIFF_TABLE} SELECT ${rowFor('k')} FROM unnest('{${changes.inserted.join(',')}}'::bigint[]) k`);
    await prod.query('COMMIT');
    log(`  ${PROD_DATABASE}: ${updates.length} updates of 1–3 columns, ${changes.deleted.length} deletes, ${changes.inserted.length} inserts`);
    await prod.query('DROP SCHEMA diff_gen CASCADE');
    await step(prod, `${PROD_DATABASE}: VACUUM (FREEZE, ANALYZE)`, `VACUUM (FREEZE, ANALYZE) ${DIFF_TABLE}`);
    await prod.query('CHECKPOINT');
  } finally {
    await prod.end();
  }
  await cluster.query('DROP SCHEMA diff_gen CASCADE', RESTORED_DATABASE);
  await checkChanges(cluster, changes);
  return changes;
}

/** Every updated row differs between the databases, every deleted one is gone, every inserted one is new. */
async function checkChanges(cluster: BenchCluster, changes: InjectedChanges): Promise<void> {
  const rows = async (database: string, ids: number[]) => new Map(
    (await cluster.query<{ id: string; row: string }>(`SELECT id, t::text AS row FROM ${DIFF_TABLE} t WHERE id = ANY('{${ids.join(',')}}'::bigint[])`, database))
      .map(r => [Number(r.id), r.row]));
  const updatedIds = changes.updated.map(u => u.id);
  const [before, after] = [await rows(RESTORED_DATABASE, updatedIds), await rows(PROD_DATABASE, updatedIds)];
  const unchanged = updatedIds.filter(id => !before.has(id) || !after.has(id) || before.get(id) === after.get(id));
  if (unchanged.length) throw new Error(`Updates that changed nothing: ids ${unchanged.slice(0, 10).join(', ')}.`);
  if ((await rows(PROD_DATABASE, changes.deleted)).size) throw new Error('Deleted rows are still in diff_prod.');
  if ((await rows(RESTORED_DATABASE, changes.inserted)).size) throw new Error('Inserted ids already exist in diff_restored.');
  if ((await rows(PROD_DATABASE, changes.inserted)).size !== changes.inserted.length) throw new Error('Not every inserted row is in diff_prod.');
}

// ---------------------------------------------------------------------------------------------
// The SQL. diff_gen holds helpers for the generation only and is dropped afterwards.

const WORDS = `
  account active address advance agent amount annual answer balance bank basket billing branch
  budget campaign capital card carrier catalog charge client company contract credit customer
  delivery deposit discount dispatch document draft estimate invoice ledger limit margin member
  network office order package partner payment pending period policy price refund region retail
  review route sample service session shipment statement supplier support ticket transfer vendor
  warehouse weekly`.trim().split(/\s+/);
if (WORDS.length !== 64) throw new Error(`The word list has ${WORDS.length} words; the generator needs 64.`);

// Single-SELECT immutable helpers, so the planner inlines them (see pgGenerate.ts).
const HELPERS = `
  DROP SCHEMA IF EXISTS diff_gen CASCADE;
  CREATE SCHEMA diff_gen;
  CREATE FUNCTION diff_gen.u(k bigint, s int, n bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT (hashint8extended(k, s) & 9223372036854775807) % n';
  CREATE FUNCTION diff_gen.w(h bigint, shift int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ((ARRAY[${WORDS.map(w => `'${w}'`).join(',')}]::name[])[1 + ((h >> shift) & 63)::int])::text $$;
  CREATE FUNCTION diff_gen.words(h bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT diff_gen.w(h, 0) || ' ' || diff_gen.w(h, 6) || ' ' || diff_gen.w(h, 12) || ' ' || diff_gen.w(h, 18) || ' ' ||
                 diff_gen.w(h, 24) || ' ' || diff_gen.w(h, 30) || ' ' || diff_gen.w(h, 36) || ' ' || diff_gen.w(h, 42) || ' ' ||
                 diff_gen.w(h, 48) || ' ' || diff_gen.w(h, 54) $$;
`;

const TABLE = `
  CREATE TABLE ${DIFF_TABLE} (
    id bigint NOT NULL,
    quantity integer NOT NULL,
    price numeric(12,2) NOT NULL,
    score double precision,
    description text,
    code varchar(24),
    active boolean NOT NULL,
    updated_at timestamptz NOT NULL,
    due_on date NOT NULL,
    attrs jsonb NOT NULL
  );
`;

/**
 * The row whose id is `k`: a function of k alone, so an insert into production of a new id makes
 * the same kind of row. Widths as an application's: description 20–80 characters (1 in 20 NULL),
 * score a full-precision double (1 in 16 NULL), a timestamp with microseconds, a small JSON object.
 */
function rowFor(k: string): string {
  const h = `hashint8extended(${k}, 1)`;
  return `${k},
    (diff_gen.u(${k}, 2, 200000) - 1000)::int,
    (diff_gen.u(${k}, 3, 100000000) / 100.0)::numeric(12,2),
    CASE WHEN diff_gen.u(${k}, 4, 16) <> 0 THEN diff_gen.u(${k}, 5, 4503599627370496)::float8 / 4503599627370496 * 1000 - 200 END,
    CASE WHEN diff_gen.u(${k}, 6, 20) <> 0 THEN rtrim(left(diff_gen.words(${h}) || ' ' || diff_gen.words(hashint8extended(${k}, 7)), 20 + diff_gen.u(${k}, 8, 61)::int)) END,
    CASE WHEN diff_gen.u(${k}, 9, 32) <> 0 THEN upper(diff_gen.w(${h}, 3)) || '-' || lpad(diff_gen.u(${k}, 10, 1000000)::text, 6, '0') END,
    ${h} & 1 = 0,
    to_timestamp(1672531200 + diff_gen.u(${k}, 11, 94608000000000)::float8 / 1000000),
    date '2024-01-01' + diff_gen.u(${k}, 12, 730)::int,
    jsonb_build_object('tier', (ARRAY['free','pro','team','enterprise'])[1 + diff_gen.u(${k}, 13, 4)], 'seats', 1 + diff_gen.u(${k}, 14, 250),
                       'region', diff_gen.w(${h}, 20), 'beta', (${h} >> 9) & 1 = 1)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
  const log = (message: string) => console.log(message);
  const cluster = await startBenchCluster(log);
  try {
    const data = await ensureDiffDatabases(cluster, { force: values.force, log });
    for (const side of [data.restored, data.prod]) {
      log(`${side.database}: ${data.table}, ${side.rows.toLocaleString('en')} rows, ${(side.bytes / 1048576).toFixed(0)} MiB with its primary key`);
    }
    log(`Injected into ${PROD_DATABASE}: ${data.expected.changed} updates, ${data.expected.onlyInBackup} deletes, ${data.expected.onlyInProduction} inserts; ` +
      `${data.generatedMs === null ? `cached (generator v${DIFF_GENERATOR_VERSION})` : `generated in ${(data.generatedMs / 1000).toFixed(1)} s`}.`);
  } finally {
    await cluster.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`diffGenerate failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  });
}
