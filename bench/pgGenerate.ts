// The PostgreSQL benchmark's databases and the throwaway cluster that holds them, all kept under
// bench/.data/pg/ between runs: initdb once, generate once, reuse afterwards.
//
// "bench" (about 1.2 GB by pg_database_size) is shaped like a shop's application database: three
// big tables (orders, events with JSONB payloads, documents with long text), two middling ones
// (customers, products) and 50 small reference tables, with primary keys, secondary indexes and
// foreign keys. Its values have the skew of real data, since that is what decides how well a dump
// compresses: prose and labels are words drawn with a Zipf-like skew from a vocabulary of a few
// thousand words; a few customers and products account for most orders and events (repeated ids,
// SKUs, names, addresses); prices are price points (19.99, 4.95), quantities mostly 1 to 3;
// timestamps fall mostly in business hours over two years; events are sessions of page views,
// searches, carts and checkouts with the JSON a web shop logs.
//
// "bench_uniform" is the same schema with generator v2's rows, every value uniformly random, at a
// quarter of the scale: the worst case for a compressor, which the size bench prints beside the
// others. "bench_pagila" is a rental shop shaped like the pagila sample (film, actor, customer,
// rental, payment, inventory, address, city, country, staff, store), about 800,000 rows.
//
// Every value comes from hashint8extended() of the row number, so every machine builds the same rows.
//
//   node --import tsx bench/pgGenerate.ts                     start the cluster, generate "bench" if needed, stop
//   node --import tsx bench/pgGenerate.ts --dataset uniform   another database (skewed, uniform, pagila or all)
//   node --import tsx bench/pgGenerate.ts --force             regenerate even when the cached one is current
//
// As root, initdb and postgres run as the `postgres` account (or `nobody`), as in the tests'
// harness (test/support/postgresServer.ts); the cluster's folder belongs to that account.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, type ClientConfig } from 'pg';
import { freePort } from '../test/support/freePort';
import { SYLLABLES, uint32Draws, vocabularyInOrder } from './vocabulary';
import { generationMarkers } from './benchSupport';
import {
  commandFor, findAccount, isRoot, logTail, randomPassword, runTool, trackServer, type RunAs,
} from '../test/support/serverHarness';

/** Bump when the schema, the rows or the scale of "bench" change: a cached database of another version is rebuilt. */
export const GENERATOR_VERSION = 3;
export const BENCH_DATABASE = 'bench';
export const PG_BIN = '/usr/lib/postgresql/15/bin';

const ROOT = path.resolve(__dirname, '..');
export const PG_HOME = path.join(ROOT, 'bench', '.data', 'pg');
const DATA_DIR = path.join(PG_HOME, 'data');
const LOG_FILE = path.join(PG_HOME, 'postgres.log');
const PASSWORD_FILE = path.join(PG_HOME, 'password');
const MARKER_FILE = path.join(PG_HOME, 'generated.json');
const USER = 'lifeboat_bench';

/** Rows per table of "bench": together about 1.2 GB (pg_database_size) with the indexes. */
const SCALE = {
  customers: 200_000,
  products: 20_000,
  orders: 2_200_000,
  events: 900_000,
  documents: 120_000,
  smallTables: 50,
};
type Scale = typeof SCALE;

/** "bench_uniform" has this fraction of SCALE's rows in its five big tables (the small tables are whole). */
const UNIFORM_FRACTION = 0.25;

/**
 * Server settings, rewritten into bench.conf at every start (so a change here needs no initdb).
 * Durability stays at PostgreSQL's defaults (fsync, synchronous_commit, wal_level replica), as on
 * a user's server; the larger WAL allowance keeps checkpoints from landing in the middle of a run.
 */
const SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  shared_buffers: '256MB',
  maintenance_work_mem: '256MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
  log_checkpoints: 'off',
  jit: 'off',
};

export interface BenchCluster {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly binDir: string;
  readonly dataDir: string;
  readonly version: string;
  clientConfig(database?: string): ClientConfig;
  query<Row = Record<string, unknown>>(sql: string, database?: string): Promise<Row[]>;
  /** Fast shutdown; the data folder stays for the next run. Safe to call twice. */
  stop(): Promise<void>;
}

export interface BenchDatabase {
  name: string;
  dataset: BenchDataset;
  /** Its generator's version. */
  version: number;
  bytes: number;
  tables: number;
  indexes: number;
  rows: number;
  /** Null when the cached database was reused. */
  generatedMs: number | null;
}

/** The account that runs initdb and postgres: none (ourselves) unless we are root. */
function clusterRunAs(): RunAs | undefined {
  if (!isRoot()) return undefined;
  const account = findAccount(['postgres', 'nobody']);
  if (!account) throw new Error('Running as root, and PostgreSQL refuses to: create a "postgres" user (useradd -r postgres) or run the bench as another user.');
  return account;
}

/** Starts the cached cluster on a free port of 127.0.0.1, creating it (initdb) the first time. */
export async function startBenchCluster(log: (message: string) => void = () => undefined): Promise<BenchCluster> {
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(PG_BIN, tool))) throw new Error(`${tool} is not in ${PG_BIN}: apt-get install -y postgresql-15.`);
  }
  const runAs = clusterRunAs();
  const pgCtl = path.join(PG_BIN, 'pg_ctl');
  const valid = fs.existsSync(path.join(DATA_DIR, 'PG_VERSION')) && fs.readFileSync(path.join(DATA_DIR, 'PG_VERSION'), 'utf8').trim() === '15' && fs.existsSync(PASSWORD_FILE);
  if (!valid) {
    log(`Creating the benchmark's PostgreSQL cluster in ${path.relative(ROOT, PG_HOME)} (initdb, once)…`);
    fs.rmSync(PG_HOME, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(PG_HOME), { recursive: true });
    fs.mkdirSync(PG_HOME, { mode: 0o700 });
    if (runAs) {
      requireReachable(path.dirname(PG_HOME), runAs);
      fs.chownSync(PG_HOME, runAs.uid, runAs.gid);
    }
    const password = randomPassword();
    const pwfile = path.join(PG_HOME, 'initdb-pwfile');
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs) fs.chownSync(pwfile, runAs.uid, runAs.gid);
    try {
      await runTool(path.join(PG_BIN, 'initdb'), ['-D', DATA_DIR, '-U', USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'], { runAs, cwd: PG_HOME, timeoutMs: 180_000 });
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
    fs.appendFileSync(path.join(DATA_DIR, 'postgresql.conf'), "\n# lifeboat bench: settings rewritten at every start\ninclude 'bench.conf'\n");
    // Root's file, readable by root only: the bench needs it, the server does not.
    fs.writeFileSync(PASSWORD_FILE, `${password}\n`, { mode: 0o600 });
  }
  const password = fs.readFileSync(PASSWORD_FILE, 'utf8').trim();

  // A server left running by an interrupted run is stopped first: it listens on an old port.
  if (fs.existsSync(path.join(DATA_DIR, 'postmaster.pid'))) {
    const status = spawnCommand(pgCtl, ['-D', DATA_DIR, 'status'], runAs);
    if (status === 0) {
      log('A benchmark server from an earlier run is still running: stopping it.');
      await runTool(pgCtl, ['-D', DATA_DIR, '-m', 'fast', '-w', '-t', '120', 'stop'], { runAs, cwd: PG_HOME });
    }
  }

  const confFile = path.join(DATA_DIR, 'bench.conf');
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const lines = Object.entries({ ...SETTINGS, port: String(port) }).map(([name, value]) => `${name} = '${value}'`);
    fs.writeFileSync(confFile, `${lines.join('\n')}\n`);
    if (runAs) fs.chownSync(confFile, runAs.uid, runAs.gid);
    try {
      await runTool(pgCtl, ['-D', DATA_DIR, '-l', LOG_FILE, '-w', '-t', '300', 'start'], { runAs, cwd: PG_HOME, timeoutMs: 320_000 });
      break;
    } catch (error) {
      const tail = await logTail(LOG_FILE);
      if (attempt < 3 && /could not bind|address already in use/i.test(tail)) continue;
      throw new Error(`The benchmark's PostgreSQL did not start. ${(error as Error).message}\nServer log:\n${tail}`, { cause: error });
    }
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await runTool(pgCtl, ['-D', DATA_DIR, '-m', 'fast', '-w', '-t', '120', 'stop'], { runAs, cwd: PG_HOME });
    } finally {
      untrack();
    }
  };
  // Ctrl-C or a crash must not leave the server running (its data folder stays).
  const untrack = trackServer({
    description: `benchmark PostgreSQL in ${DATA_DIR}`,
    stop,
    killSync: () => {
      if (stopped) return;
      stopped = true;
      spawnCommand(pgCtl, ['-D', DATA_DIR, '-m', 'fast', '-w', '-t', '60', 'stop'], runAs);
    },
  });

  const clientConfig = (database = 'postgres'): ClientConfig => ({
    host: '127.0.0.1', port, user: USER, password, database, connectionTimeoutMillis: 10_000, application_name: 'lifeboat-bench',
  });
  const query = async <Row>(sql: string, database?: string): Promise<Row[]> => {
    const client = new Client(clientConfig(database));
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end();
    }
  };
  try {
    const [{ server_version: version }] = await query<{ server_version: string }>("SELECT current_setting('server_version') AS server_version");
    return { host: '127.0.0.1', port, user: USER, password, binDir: PG_BIN, dataDir: DATA_DIR, version, clientConfig, query, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The server's account must be able to reach its data folder through every parent folder. */
function requireReachable(folder: string, runAs: RunAs): void {
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    if ((fs.statSync(current).mode & 0o001) === 0) {
      throw new Error(`${current} is not searchable by others, so PostgreSQL (running as ${runAs.user}) cannot reach ${PG_HOME}: chmod o+x ${current}.`);
    }
    if (path.dirname(current) === current) return;
  }
}

function spawnCommand(command: string, args: string[], runAs: RunAs | undefined): number | null {
  const spec = commandFor(command, args, runAs);
  return spawnSync(spec.command, spec.args, { cwd: PG_HOME, stdio: 'ignore', timeout: 120_000 }).status;
}

// ---------------------------------------------------------------------------------------------
// The databases and their cache

/** Which database: real-world skew (the default), the uniform worst case, or a pagila-like rental shop. */
export type BenchDataset = 'skewed' | 'uniform' | 'pagila';
export const BENCH_DATASETS: readonly BenchDataset[] = ['skewed', 'uniform', 'pagila'];

interface DatasetSpec {
  database: string;
  /** Bump when its schema, rows or scale change: a cached database of another version is rebuilt. */
  version: number;
  /** For the log and the benches' headings. */
  title: string;
  generate: (cluster: BenchCluster, database: string, log: (message: string) => void) => Promise<void>;
}

const DATASETS: Record<BenchDataset, DatasetSpec> = {
  skewed: {
    database: BENCH_DATABASE, version: GENERATOR_VERSION, title: 'real-world skew',
    generate: (cluster, database, log) => generateShop(cluster, database, SCALE, skewedShop(SCALE), log),
  },
  uniform: {
    // Generator v2's SQL, unchanged, at a quarter of the rows: version 1 of this database.
    database: `${BENCH_DATABASE}_uniform`, version: 1, title: `uniformly random (generator v2's rows), ${UNIFORM_FRACTION} of the scale`,
    generate: (cluster, database, log) => {
      const scale = scaled(UNIFORM_FRACTION);
      return generateShop(cluster, database, scale, uniformShop(scale), log);
    },
  },
  pagila: {
    database: `${BENCH_DATABASE}_pagila`, version: 1, title: 'pagila-like rental shop',
    generate: generatePagila,
  },
};

/** The database a dataset is generated into. */
export function benchDatabaseName(dataset: BenchDataset): string {
  return DATASETS[dataset].database;
}

export function describeDataset(dataset: BenchDataset): string {
  return `${DATASETS[dataset].title}, generator v${DATASETS[dataset].version}`;
}

function scaled(fraction: number): Scale {
  const n = (rows: number) => Math.max(10, Math.round(rows * fraction));
  return {
    customers: n(SCALE.customers), products: n(SCALE.products), orders: n(SCALE.orders), events: n(SCALE.events),
    documents: n(SCALE.documents), smallTables: SCALE.smallTables,
  };
}

interface Marker {
  version: number;
  at: string;
  generatedMs: number | null;
  bytes: number;
  tables: number;
  indexes: number;
  rows: number;
}

/** One marker per database (an older, single-database file reads as none: everything is rebuilt). */
const markers = generationMarkers<Marker>(MARKER_FILE, file => !('version' in file));

/**
 * The database of `dataset` (default: "bench", real-world skew), generated first when missing,
 * of another generator version, or when `force`.
 */
export async function ensureBenchDatabase(
  cluster: BenchCluster, options: { dataset?: BenchDataset; force?: boolean; log?: (message: string) => void } = {},
): Promise<BenchDatabase> {
  const log = options.log ?? (() => undefined);
  const dataset = options.dataset ?? 'skewed';
  const spec = DATASETS[dataset];
  const name = spec.database;
  const marker = markers.read()[name];
  const exists = (await cluster.query(`SELECT 1 FROM pg_database WHERE datname = '${name}'`)).length > 0;
  let generatedMs: number | null = null;
  if (options.force || !exists || marker?.version !== spec.version) {
    markers.write(name, undefined);
    log(`Generating the PostgreSQL benchmark database "${name}" (${describeDataset(dataset)}; once, cached afterwards)…`);
    const started = performance.now();
    await cluster.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cluster.query(`CREATE DATABASE ${name}`);
    await spec.generate(cluster, name, log);
    generatedMs = Math.round(performance.now() - started);
    log(`Generated in ${(generatedMs / 1000).toFixed(1)} s.`);
  }
  // Exact row counts take a few seconds: counted once, after generation, and kept in the marker.
  const cachedRows = generatedMs === null ? marker?.rows : undefined;
  const facts = await databaseFacts(cluster, name, cachedRows === undefined);
  if (cachedRows === undefined) markers.write(name, { version: spec.version, at: new Date().toISOString(), generatedMs, ...facts });
  return { name, dataset, version: spec.version, ...facts, rows: cachedRows ?? facts.rows, generatedMs };
}

/** pg_database_size, tables and indexes of the public schema, and (when `countRows`; else 0) their rows, counted exactly. */
export async function databaseFacts(cluster: BenchCluster, database: string, countRows = true): Promise<{ bytes: number; tables: number; indexes: number; rows: number }> {
  let rows = 0;
  if (countRows) {
    for (const { relname } of await cluster.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'", database)) {
      const [{ n }] = await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM "${relname}"`, database);
      rows += Number(n);
    }
  }
  const [row] = await cluster.query<{ bytes: string; tables: string; indexes: string }>(`
    SELECT pg_database_size(current_database()) AS bytes,
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r') AS tables,
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'i') AS indexes`, database);
  return { bytes: Number(row.bytes), tables: Number(row.tables), indexes: Number(row.indexes), rows };
}

/** `count` sessions to `database` (two run side by side: the machine has two cores), and a step runner that logs each step's time. */
async function openSessions(cluster: BenchCluster, database: string, count: number, log: (message: string) => void) {
  const connect = async () => {
    const client = new Client({ ...cluster.clientConfig(database), statement_timeout: 0 });
    await client.connect();
    await client.query("SET synchronous_commit = off; SET TimeZone = 'UTC'");
    return client;
  };
  const clients: Client[] = [];
  try {
    for (let i = 0; i < count; i++) clients.push(await connect());
  } catch (error) {
    await Promise.allSettled(clients.map(c => c.end()));
    throw error;
  }
  const step = async (client: Client, label: string, sql: string) => {
    const started = performance.now();
    await client.query(sql);
    log(`  ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };
  return { clients, step, end: () => Promise.allSettled(clients.map(c => c.end())) };
}

/** The INSERTs of one shop database ("bench" or "bench_uniform"): the tables and indexes are the same for both. */
interface ShopRows {
  helpers: string;
  customers: string;
  products: string;
  orders: string;
  events: string;
  documents: string;
  /** Runs inside the small tables' DO block: %1$I is the table, %2$s a salt, %3$s its row count. */
  smallTableRows: string;
}

async function generateShop(cluster: BenchCluster, database: string, scale: Scale, rows: ShopRows, log: (message: string) => void): Promise<void> {
  const { clients: [a, b], step, end } = await openSessions(cluster, database, 2, log);
  try {
    await a.query(rows.helpers);
    // A the customers and orders, B the rest.
    await Promise.all([
      (async () => {
        await step(a, `customers: ${scale.customers.toLocaleString('en')} rows`, `${SHOP_TABLES.customers}; ${rows.customers}`);
        await step(a, `orders: ${scale.orders.toLocaleString('en')} rows`, `${SHOP_TABLES.orders}; ${rows.orders}`);
        await step(a, `${scale.smallTables} small reference tables`, smallTables(scale, rows.smallTableRows));
      })(),
      (async () => {
        await step(b, `products: ${scale.products.toLocaleString('en')} rows`, `${SHOP_TABLES.products}; ${rows.products}`);
        await step(b, `events: ${scale.events.toLocaleString('en')} rows`, `${SHOP_TABLES.events}; ${rows.events}`);
        await step(b, `documents: ${scale.documents.toLocaleString('en')} rows`, `${SHOP_TABLES.documents}; ${rows.documents}`);
      })(),
    ]);
    await Promise.all([
      step(a, 'orders: indexes and foreign key', ORDER_INDEXES),
      step(b, 'events, documents, products: indexes and foreign keys', OTHER_INDEXES),
    ]);
    await a.query('DROP SCHEMA bench_gen CASCADE');
    // Frozen, with hint bits and statistics set: the first dump then reads the same pages as the last.
    await Promise.all([
      step(a, 'VACUUM (FREEZE, ANALYZE) orders, customers, small tables', `VACUUM (FREEZE, ANALYZE) orders, customers, ${smallTableNames(scale).join(', ')}`),
      step(b, 'VACUUM (FREEZE, ANALYZE) events, documents, products', 'VACUUM (FREEZE, ANALYZE) events, documents, products'),
    ]);
    await a.query('CHECKPOINT');
  } finally {
    await end();
  }
}

// ---------------------------------------------------------------------------------------------
// The shop's tables, the same in "bench" and "bench_uniform".

const SHOP_TABLES = {
  customers: `CREATE TABLE customers (
    id integer PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    phone text,
    country text NOT NULL,
    city text NOT NULL,
    created_at timestamptz NOT NULL,
    balance numeric(12,2) NOT NULL,
    marketing_opt_in boolean NOT NULL,
    profile jsonb NOT NULL
  )`,
  products: `CREATE TABLE products (
    id integer PRIMARY KEY,
    sku text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    price numeric(10,2) NOT NULL,
    weight_kg numeric(8,3),
    attributes jsonb NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  orders: `CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id integer NOT NULL,
    ordered_at timestamptz NOT NULL,
    status text NOT NULL,
    currency text NOT NULL,
    subtotal numeric(12,2) NOT NULL,
    tax numeric(12,2) NOT NULL,
    total numeric(12,2) NOT NULL,
    shipping_address text NOT NULL,
    note text
  )`,
  events: `CREATE TABLE events (
    id bigint PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    customer_id integer NOT NULL,
    kind text NOT NULL,
    amount numeric(12,2),
    payload jsonb NOT NULL
  )`,
  documents: `CREATE TABLE documents (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    revision integer NOT NULL
  )`,
};

/** The small reference tables: created and filled by one DO block, each with `rows` (%1$I, %2$s, %3$s as in ShopRows). */
function smallTables(scale: Scale, rows: string): string {
  return `
  DO $$
  BEGIN
    FOR t IN 1..${scale.smallTables} LOOP
      EXECUTE format($f$
        CREATE TABLE %1$I (
          id integer PRIMARY KEY,
          code text NOT NULL UNIQUE,
          label text NOT NULL,
          description text,
          weight numeric(10,4) NOT NULL,
          active boolean NOT NULL,
          updated_at timestamptz NOT NULL
        );
        ${rows}
      $f$, 'ref_' || lpad(t::text, 2, '0'), 100 + t * 3, 500 + (t * 977) % 4500);
    END LOOP;
  END $$;
`;
}

function smallTableNames(scale: Scale): string[] {
  return Array.from({ length: scale.smallTables }, (_, t) => `ref_${String(t + 1).padStart(2, '0')}`);
}

const ORDER_INDEXES = `
  CREATE INDEX orders_customer_id_idx ON orders (customer_id);
  CREATE INDEX orders_ordered_at_idx ON orders (ordered_at);
  ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
`;

const OTHER_INDEXES = `
  CREATE INDEX events_customer_id_occurred_at_idx ON events (customer_id, occurred_at);
  CREATE INDEX events_kind_idx ON events (kind);
  CREATE UNIQUE INDEX products_sku_key ON products (sku);
  CREATE INDEX documents_customer_id_idx ON documents (customer_id);
  ALTER TABLE events ADD CONSTRAINT events_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
  ALTER TABLE documents ADD CONSTRAINT documents_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
`;

function sqlArray(values: readonly (string | number)[]): string {
  return `ARRAY[${values.map(v => (typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`)).join(',')}]`;
}

// ---------------------------------------------------------------------------------------------
// "bench_uniform": generator v2's SQL, every value uniformly random (hex, 256 words drawn evenly,
// amounts and ids anywhere in their range). Kept as it was, as the compressors' worst case.

/** 256 words, each as likely as any other. */
const WORDS = `
  account active address advance agent agree almost already amount annual answer apply april area
  around article august author available average balance bank basket before begin below benefit
  berlin better between bill billing black blue board body booking branch brand bring brown budget
  build business buyer call campaign cancel capital card care carrier case cash catalog center
  certain change charge check choose city claim class clear client close code color comment
  company complete confirm contact contract cost country coupon course cover credit current
  customer daily damage data date debit december default delivery demand deposit design detail
  discount dispatch document domestic draft early east edit email end energy entry error estimate
  europe event exchange express extra fast february field file final first fixed flat follow
  form forward free fresh friday front full fund garden general gift global gold good green
  group guest half hand health help high history hold home hotel hour house import include
  income index inside invoice issue item january july june keep kind label large last late
  launch lead leave left legal letter level light limit line list little local london long
  madrid mail main manager march market match may medium member method middle minute mobile
  monday month morning name national net network new next night north note november number
  october offer office online open option order origin other owner package page paid pallet
  paris part partner pay payment pending period person phone place plan point policy price
  print priority product profile promo public quality quarter quick rate receipt record refund
  region regular remote report request retail return review right road rome route sale sample
  saturday schedule season second secure send september service session share shipment shop
  short single size small south special standard state status stock store street subject
  summer sunday supplier support system tax team term thursday ticket time total track trade
  transfer travel tuesday type unit update urgent user value vendor vienna visit volume
  warehouse wednesday week weight west winter work year yellow zone`.trim().split(/\s+/);

if (WORDS.length < 256) throw new Error(`The word list has ${WORDS.length} words; the generator needs 256.`);

// Every helper is a single SELECT of immutable operations, so the planner inlines it into the
// INSERT (a helper that is not inlined runs through the SQL-function executor, about 100 times slower).
const UNIFORM_HELPERS = `
  DROP SCHEMA IF EXISTS bench_gen CASCADE;
  CREATE SCHEMA bench_gen;
  -- A uniform whole number in [0, n) from row i and salt s.
  CREATE FUNCTION bench_gen.u(i bigint, s int, n bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT (hashint8extended(i, s) & 9223372036854775807) % n';
  -- One of the 256 words, from 8 bits of h (name[]: fixed-width elements, so subscripting is direct).
  CREATE FUNCTION bench_gen.w(h bigint, shift int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ((${sqlArray(WORDS.slice(0, 256))}::name[])[1 + ((h >> shift) & 255)::int])::text $$;
  -- Eight words from one hash.
  CREATE FUNCTION bench_gen.w8(h bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT bench_gen.w(h, 0) || ' ' || bench_gen.w(h, 8) || ' ' || bench_gen.w(h, 16) || ' ' || bench_gen.w(h, 24) || ' ' ||
                 bench_gen.w(h, 32) || ' ' || bench_gen.w(h, 40) || ' ' || bench_gen.w(h, 48) || ' ' || bench_gen.w(h, 56) $$;
  -- A moment in 2023–2025 for row i of n, in order with up to an hour of jitter.
  CREATE FUNCTION bench_gen.at(i bigint, n bigint, s int) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_timestamp((1672531200 + i * 94608000.0 / n + bench_gen.u(i, s, 3600))::float8) $$;
`;

/** SQL for 8 * n words of prose for row i (a correlated subquery: a SQL function with FROM is never inlined). */
function uniformProse(i: string, salt: number, n: string): string {
  return `(SELECT string_agg(bench_gen.w8(hashint8extended(${i} * 1024 + k, ${salt})), '. ') FROM generate_series(1, ${n}) k)`;
}

function uniformShop(scale: Scale): ShopRows {
  return {
    helpers: UNIFORM_HELPERS,
    customers: `
  INSERT INTO customers
  SELECT i,
         initcap(bench_gen.w(h, 0)) || ' ' || initcap(bench_gen.w(h, 8)) || 'son',
         bench_gen.w(h, 0) || '.' || bench_gen.w(h, 8) || i || '@example.com',
         CASE WHEN h & 7 <> 0 THEN '+44 20 ' || lpad(bench_gen.u(i, 2, 100000000)::text, 8, '0') END,
         (ARRAY['GB','FR','DE','ES','IT','AT','NL','BE','SE','PL','US','CA'])[1 + bench_gen.u(i, 3, 12)],
         initcap(bench_gen.w(h, 16)) || ' ' || initcap(bench_gen.w(h, 24)),
         bench_gen.at(i, ${scale.customers}, 4),
         bench_gen.u(i, 5, 2000000) / 100.0 - 2000,
         h & 1 = 0,
         jsonb_build_object('language', (ARRAY['en','fr','de','es','it'])[1 + bench_gen.u(i, 6, 5)],
                            'newsletter', h & 2 = 0, 'segment', bench_gen.w(h, 32), 'score', bench_gen.u(i, 7, 1000),
                            'tags', jsonb_build_array(bench_gen.w(h, 40), bench_gen.w(h, 48)))
  FROM generate_series(1, ${scale.customers}) i, LATERAL (SELECT hashint8extended(i, 1) AS h) x;
`,
    products: `
  INSERT INTO products
  SELECT i,
         'SKU-' || lpad(i::text, 6, '0') || '-' || upper(substr(bench_gen.w(h, 0), 1, 3)),
         initcap(bench_gen.w(h, 8)) || ' ' || bench_gen.w(h, 16) || ' ' || bench_gen.w(h, 24),
         ${uniformProse('i', 11, '3 + bench_gen.u(i, 12, 6)::int')},
         (99 + bench_gen.u(i, 13, 99900)) / 100.0,
         CASE WHEN h & 15 <> 0 THEN bench_gen.u(i, 14, 50000) / 1000.0 END,
         jsonb_build_object('color', bench_gen.w(h, 32), 'size', (ARRAY['XS','S','M','L','XL'])[1 + bench_gen.u(i, 15, 5)],
                            'stock', bench_gen.u(i, 16, 5000), 'warehouse', initcap(bench_gen.w(h, 40)),
                            'dimensions', jsonb_build_object('w', bench_gen.u(i, 17, 100), 'h', bench_gen.u(i, 18, 100), 'd', bench_gen.u(i, 19, 100))),
         bench_gen.at(i, ${scale.products}, 20)
  FROM generate_series(1, ${scale.products}) i, LATERAL (SELECT hashint8extended(i, 10) AS h) x;
`,
    orders: `
  INSERT INTO orders
  SELECT i, customer_id, ordered_at, status, currency, subtotal, round(subtotal * 0.2, 2), subtotal + round(subtotal * 0.2, 2), address, note
  FROM (
    SELECT i,
           1 + bench_gen.u(i, 21, ${scale.customers})::int AS customer_id,
           bench_gen.at(i, ${scale.orders}, 22) AS ordered_at,
           (ARRAY['delivered','delivered','delivered','shipped','paid','pending','cancelled','refunded'])[1 + (h & 7)] AS status,
           (ARRAY['EUR','EUR','GBP','USD'])[1 + ((h >> 3) & 3)] AS currency,
           bench_gen.u(i, 23, 5000000) / 100.0 AS subtotal,
           (1 + bench_gen.u(i, 24, 300)) || ' ' || initcap(bench_gen.w(h, 8)) || ' ' || (ARRAY['Street','Road','Avenue','Lane'])[1 + ((h >> 16) & 3)] ||
             ', ' || initcap(bench_gen.w(h, 24)) || ' ' || upper(substr(bench_gen.w(h, 32), 1, 2)) || (1 + ((h >> 40) & 31)) || ' ' ||
             ((h >> 45) & 9) || upper(substr(bench_gen.w(h, 48), 1, 2)) AS address,
           CASE WHEN (h >> 56) & 3 = 0 THEN bench_gen.w8(hashint8extended(i, 25)) END AS note
    FROM generate_series(1, ${scale.orders}) i, LATERAL (SELECT hashint8extended(i, 20) AS h) x
  ) o;
`,
    events: `
  INSERT INTO events
  SELECT i,
         bench_gen.at(i, ${scale.events}, 31),
         1 + bench_gen.u(i, 32, ${scale.customers})::int,
         kind,
         CASE WHEN kind IN ('checkout', 'refund') THEN bench_gen.u(i, 33, 100000) / 100.0 END,
         jsonb_build_object(
           'session', to_hex(hashint8extended(i / 7, 34)),
           'ip', '10.' || ((h >> 8) & 255) || '.' || ((h >> 16) & 255) || '.' || ((h >> 24) & 255),
           'agent', (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15',
                           'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0.0.0', 'Lifeboat-App/3.2 (iPhone; iOS 17.5)'])[1 + ((h >> 32) & 3)],
           'page', '/' || bench_gen.w(h, 36) || '/' || bench_gen.w(h, 44) || '?ref=' || bench_gen.w(h, 52),
           'items', jsonb_build_array(
             jsonb_build_object('product', 1 + bench_gen.u(i, 35, ${scale.products}), 'qty', 1 + ((h >> 40) & 3), 'label', bench_gen.w8(hashint8extended(i, 36))),
             jsonb_build_object('product', 1 + bench_gen.u(i, 37, ${scale.products}), 'qty', 1 + ((h >> 42) & 3))),
           'flags', jsonb_build_object('mobile', (h >> 44) & 1 = 1, 'returning', (h >> 45) & 1 = 1, 'experiment', bench_gen.w(h, 48)),
           'duration_ms', bench_gen.u(i, 38, 30000))
  FROM generate_series(1, ${scale.events}) i,
       LATERAL (SELECT hashint8extended(i, 30) AS h) x,
       LATERAL (SELECT (ARRAY['view','view','view','view','search','cart','checkout','refund','login','logout'])[1 + bench_gen.u(i, 39, 10)] AS kind) k;
`,
    documents: `
  INSERT INTO documents
  SELECT i,
         1 + bench_gen.u(i, 41, ${scale.customers})::int,
         initcap(bench_gen.w8(h)),
         ${uniformProse('i', 42, '4 + bench_gen.u(i, 43, 40)::int')},
         bench_gen.at(i, ${scale.documents}, 44),
         bench_gen.at(i, ${scale.documents}, 44) + make_interval(secs => bench_gen.u(i, 45, 8000000)),
         1 + bench_gen.u(i, 46, 12)::int
  FROM generate_series(1, ${scale.documents}) i, LATERAL (SELECT hashint8extended(i, 40) AS h) x;
`,
    smallTableRows: `
        INSERT INTO %1$I
        SELECT i, upper(bench_gen.w(h, 0)) || '-' || i, initcap(bench_gen.w(h, 8)) || ' ' || bench_gen.w(h, 16),
               CASE WHEN h & 3 <> 0 THEN bench_gen.w8(hashint8extended(i, %2$s)) END,
               bench_gen.u(i, %2$s + 1, 10000000) / 10000.0, h & 7 <> 0, bench_gen.at(i, 5000, %2$s + 2)
        FROM generate_series(1, %3$s) i, LATERAL (SELECT hashint8extended(i, %2$s) AS h) x;
`,
  };
}

// ---------------------------------------------------------------------------------------------
// "bench": real-world skew. The same tables, filled the way a shop's application fills them.

function shuffled<T>(items: T[], seed: number): T[] {
  const r = uint32Draws(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = r() % (i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** The vocabulary in order of frequency (bench/vocabulary.ts), each list in an order of its own seed. */
const VOCABULARY: readonly string[] = vocabularyInOrder(WORDS, (items, list) => shuffled(items, list + 1));

if (VOCABULARY.some(w => w.length > 63 || !/^[a-z]+$/.test(w))) throw new Error('Vocabulary words must be lowercase letters, at most 63 (a name[] element).');

/** A name[] literal: fixed-width elements, so subscripting is direct however long the array. */
function nameArray(values: readonly string[]): string {
  return `'{${values.join(',')}}'::name[]`;
}

/** Places, by how many customers live there: [code, currency, VAT, locale, dialling code, six cities by size]. */
const COUNTRIES: [string, string, number, string, string, string[]][] = [
  ['GB', 'GBP', 0.20, 'en-GB', '+44', ['London', 'Manchester', 'Birmingham', 'Leeds', 'Glasgow', 'Bristol']],
  ['DE', 'EUR', 0.19, 'de-DE', '+49', ['Berlin', 'Munich', 'Hamburg', 'Cologne', 'Frankfurt', 'Stuttgart']],
  ['FR', 'EUR', 0.20, 'fr-FR', '+33', ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nice', 'Nantes']],
  ['US', 'USD', 0.07, 'en-US', '+1', ['New York', 'Los Angeles', 'Chicago', 'Houston', 'Seattle', 'Boston']],
  ['ES', 'EUR', 0.21, 'es-ES', '+34', ['Madrid', 'Barcelona', 'Valencia', 'Seville', 'Bilbao', 'Málaga']],
  ['IT', 'EUR', 0.22, 'it-IT', '+39', ['Rome', 'Milan', 'Naples', 'Turin', 'Florence', 'Bologna']],
  ['NL', 'EUR', 0.21, 'nl-NL', '+31', ['Amsterdam', 'Rotterdam', 'Utrecht', 'The Hague', 'Eindhoven', 'Groningen']],
  ['PL', 'PLN', 0.23, 'pl-PL', '+48', ['Warsaw', 'Kraków', 'Gdańsk', 'Wrocław', 'Poznań', 'Łódź']],
  ['SE', 'SEK', 0.25, 'sv-SE', '+46', ['Stockholm', 'Gothenburg', 'Malmö', 'Uppsala', 'Västerås', 'Örebro']],
  ['AT', 'EUR', 0.20, 'de-AT', '+43', ['Vienna', 'Graz', 'Linz', 'Salzburg', 'Innsbruck', 'Klagenfurt']],
  ['BE', 'EUR', 0.21, 'nl-BE', '+32', ['Brussels', 'Antwerp', 'Ghent', 'Bruges', 'Liège', 'Leuven']],
  ['CA', 'CAD', 0.05, 'en-CA', '+1', ['Toronto', 'Montreal', 'Vancouver', 'Calgary', 'Ottawa', 'Edmonton']],
  ['IE', 'EUR', 0.23, 'en-IE', '+353', ['Dublin', 'Cork', 'Galway', 'Limerick', 'Waterford', 'Kilkenny']],
  ['PT', 'EUR', 0.23, 'pt-PT', '+351', ['Lisbon', 'Porto', 'Braga', 'Coimbra', 'Faro', 'Aveiro']],
  ['CH', 'CHF', 0.081, 'de-CH', '+41', ['Zürich', 'Geneva', 'Basel', 'Bern', 'Lausanne', 'Lucerne']],
  ['DK', 'DKK', 0.25, 'da-DK', '+45', ['Copenhagen', 'Aarhus', 'Odense', 'Aalborg', 'Esbjerg', 'Randers']],
];

const FIRST_NAMES = `Emma Liam Olivia Noah Sofia Lucas Mia Leon Anna Paul Marie Louis Julia Hugo Laura Jan Lena Max Clara Tom Eva Ben
  Sara Luca Nina Elias Ida Finn Alice Oscar Lea Adam Chloe Felix Zoe Jonas Ella David Maja Arthur Lina Samuel Ines Victor Rosa
  Mateo Alba Marco Giulia Pablo Lucia Henrik Astrid Piotr Zofia Erik Freya James Mary Michael Sarah Daniel Hannah`.trim().split(/\s+/);
const LAST_NAMES = `Smith Müller García Rossi Martin Jones Schmidt Fernández Bianchi Bernard Brown Schneider López Romano Dubois Taylor
  Fischer Martínez Colombo Thomas Wilson Weber Sánchez Ricci Robert Davies Meyer Pérez Marino Richard Evans Wagner González Greco
  Petit Walker Becker Rodríguez Bruno Durand Wright Hoffmann Gómez Gallo Leroy Nowak Kowalski Jansen Visser Andersson Johansson
  Nielsen Hansen Novák Horváth Kovač Popescu Ivanova Papadopoulos Silva Santos Ferreira O'Brien Murphy Kelly Moreau Lambert`.trim().split(/\s+/);
const EMAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'hotmail.com', 'icloud.com', 'gmx.de', 'web.de', 'orange.fr', 'hotmail.co.uk',
  'libero.it', 'btinternet.com', 't-online.de', 'free.fr', 'wp.pl', 'live.com', 'proton.me', 'aol.com', 'yahoo.fr', 'mail.com', 'telenet.be'];
const STREETS = ['High Street', 'Station Road', 'Main Street', 'Church Lane', 'Park Avenue', 'Hauptstraße', 'Bahnhofstraße', 'Rue de la Paix',
  'Calle Mayor', 'Via Roma', 'Kerkstraat', 'Storgatan', 'Victoria Road', 'Mill Lane', 'Green Lane', 'Kingsway', 'Schulstraße', 'Gartenweg',
  'Rue Victor Hugo', 'Avenue Jean Jaurès', 'Gran Vía', 'Via Garibaldi', 'Dorpsstraat', 'ulica Długa', 'Kungsgatan', 'Elm Street', 'Oak Avenue',
  'Maple Drive', 'Queen Street', 'King Street', 'Market Street', 'Bridge Street', 'London Road', 'Manor Road', 'New Road', 'North Street',
  'Lindenstraße', 'Dorfstraße', 'Rue du Moulin', "Rue de l'Église", 'Calle Real', 'Via Dante', 'Nieuwstraat', 'Rynek', 'Drottninggatan',
  'Broadway', 'Harbour Road', 'Ringstraße', 'Rua Augusta', 'Strandvejen'];
const SEGMENTS = ['regular', 'new', 'occasional', 'loyal', 'vip', 'dormant', 'wholesale', 'staff'];
const CUSTOMER_TAGS = ['newsletter', 'app', 'black-friday', 'loyalty', 'mobile', 'gift-buyer', 'b2b', 'returns', 'student', 'referral'];
const CATEGORIES: [string, string][] = [['Apparel', 'APP'], ['Home', 'HOM'], ['Kitchen', 'KIT'], ['Electronics', 'ELE'], ['Beauty', 'BEA'],
  ['Sports', 'SPO'], ['Toys', 'TOY'], ['Garden', 'GAR'], ['Books', 'BOO'], ['Office', 'OFF'], ['Pets', 'PET'], ['Automotive', 'AUT']];
const COLORS: [string, string][] = [['black', 'BLK'], ['white', 'WHT'], ['grey', 'GRY'], ['blue', 'BLU'], ['navy', 'NVY'], ['red', 'RED'],
  ['green', 'GRN'], ['beige', 'BEI'], ['brown', 'BRN'], ['pink', 'PNK'], ['yellow', 'YEL'], ['silver', 'SLV'], ['orange', 'ORG'], ['purple', 'PRP']];
const ADJECTIVES = ['Classic', 'Essential', 'Premium', 'Everyday', 'Compact', 'Deluxe', 'Organic', 'Slim', 'Portable', 'Soft', 'Modern',
  'Vintage', 'Heavy-Duty', 'Eco', 'Smart', 'Pro', 'Mini', 'Large', 'Ultra', 'Basic', 'Travel', 'Kids', 'Outdoor', 'Wireless'];
const MATERIALS = ['Cotton', 'Stainless Steel', 'Bamboo', 'Leather', 'Ceramic', 'Wool', 'Glass', 'Oak', 'Linen', 'Silicone', 'Aluminium',
  'Recycled', 'Denim', 'Cast Iron', 'Merino', 'Walnut', 'Porcelain', 'Nylon'];
const PRODUCT_NOUNS = ['T-Shirt', 'Mug', 'Backpack', 'Water Bottle', 'Lamp', 'Notebook', 'Phone Case', 'Socks', 'Hoodie', 'Frying Pan',
  'Scarf', 'Headphones', 'Cushion', 'Towel', 'Candle', 'Plant Pot', 'Charger', 'Jacket', 'Bowl', 'Desk Organiser', 'Cable', 'Blanket',
  'Tote Bag', 'Water Filter', 'Yoga Mat', 'Cutting Board', 'Wallet', 'Sunglasses', 'Umbrella', 'Dog Lead', 'Storage Box', 'Kettle'];
const SIZES = ['M', 'L', 'S', 'XL', 'XS', 'XXL'];
const BRANDS = ['Nordwind', 'Kalo', 'Urbanist', 'Fjell', 'Maison Vert', 'Brightline', 'Terra', 'Oakhaus', 'Luma', 'Solis', 'Arlo & Co',
  'Pinewood', 'Tide', 'Velo', 'Halden', 'Mira'];
const WAREHOUSES = ['DE-BER-1', 'GB-MAN-2', 'NL-AMS-1', 'FR-LYS-1', 'PL-WAW-1', 'ES-MAD-1'];
const ORDER_NOTES = ['Please leave at the front door.', 'Gift wrap, please.', 'Call before delivery.', 'Deliver to reception.',
  'Leave with a neighbour if I am out.', 'No invoice in the parcel, it is a gift.', 'Ring the bell twice.', 'Please deliver after 5 pm.',
  'Back door, not the front.', 'Fragile, handle with care.'];
/** Browsers by share; the 1-based positions of the mobile ones follow. */
const AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'ShopApp/4.12.1 (iPhone; iOS 17.5.1; Scale/3.00)',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'ShopApp/4.12.0 (Android 14; Pixel 8)',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.165 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
];
const MOBILE_AGENTS = [1, 3, 6, 9, 10, 11];
const REFERRERS = ['https://www.google.com/', '', 'https://www.google.com/', 'https://www.bing.com/', 'https://www.facebook.com/',
  'https://www.instagram.com/', 'https://duckduckgo.com/', 'https://newsletter.shop.example/weekly', 'https://www.pinterest.com/', 'https://t.co/'];
const SCREENS = ['390x844', '1920x1080', '414x896', '1536x864', '1366x768', '393x873', '1440x900', '2560x1440', '360x800', '820x1180'];
const EXPERIMENTS = ['control', 'checkout-v2', 'free-shipping-banner', 'new-nav', 'reviews-first'];
const SHOP_PAGES = ['/', '/search', '/cart', '/category/apparel', '/deals', '/category/home', '/account', '/new-in', '/category/kitchen', '/wishlist'];
const UTM_SOURCES = ['newsletter', 'google', 'facebook', 'instagram', 'affiliate', 'tiktok'];
const UTM_MEDIUMS = ['email', 'cpc', 'social', 'referral', 'display'];
const UTM_CAMPAIGNS = ['spring-sale', 'black-friday', 'summer-sale', 'new-arrivals', 'winter-clearance', 'back-to-school', 'cyber-monday'];
const WEIGHTS = [1, 1, 0.5, 2, 0.25, 1.5, 5, 10, 0.1, 0.75, 3, 0.2];

/** SQL picking one of `values` with 16 bits of `h` from `shift`, Zipf-skewed: the first most often. */
function zipfPick(values: readonly (string | number)[], h: string, shift: number): string {
  return `(${sqlArray(values)})[bench_gen.z(${h}, ${shift}, ${values.length})]`;
}

// As in v2, every helper is one SELECT of immutable operations (so the planner inlines it), and
// any argument used more than once is a column or a single hash (an inlined helper evaluates its
// arguments where they appear; the planner refuses to inline an expensive one used twice).
const SKEWED_HELPERS = `
  DROP SCHEMA IF EXISTS bench_gen CASCADE;
  CREATE SCHEMA bench_gen;
  -- 16 bits of h from bit \`shift\`, as a fraction in [0, 1); f32: 32 bits, for picks among many.
  CREATE FUNCTION bench_gen.f(h bigint, shift int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT ((h >> shift) & 65535)::float8 / 65536';
  CREATE FUNCTION bench_gen.f32(h bigint, shift int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT ((h >> shift) & 4294967295)::float8 / 4294967296';
  -- A whole number in [0, n) from 16 bits of h.
  CREATE FUNCTION bench_gen.b(h bigint, shift int, n int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT (((h >> shift) & 65535) % n)::int';
  -- A rank in 1..n from 16 bits of h, Zipf-like: rank k with probability log(1 + 1/k) / log(n + 1),
  -- about 1/k as in real text and real catalogues (a few very often, most rarely).
  CREATE FUNCTION bench_gen.z(h bigint, shift int, n int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT LEAST(n, floor(exp(bench_gen.f(h, shift) * ln((n + 1)::float8)))::int)';
  -- A word of the ${VOCABULARY.length}-word vocabulary, Zipf-skewed.
  CREATE FUNCTION bench_gen.zw(h bigint, shift int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ((${nameArray(VOCABULARY)})[bench_gen.z(h, shift, ${VOCABULARY.length})])::text $$;
  -- A sentence of 4 to 7 words from two hashes.
  CREATE FUNCTION bench_gen.sentence(a bigint, c bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT initcap(bench_gen.zw(a, 0)) || ' ' || bench_gen.zw(a, 16) || ' ' || bench_gen.zw(a, 32) || ' ' || bench_gen.zw(c, 0)
                 || CASE WHEN (a >> 48) & 3 > 0 THEN ' ' || bench_gen.zw(c, 16) ELSE '' END
                 || CASE WHEN (a >> 50) & 3 > 1 THEN ' ' || bench_gen.zw(c, 32) || ' ' || bench_gen.zw(c, 48) ELSE '' END || '.' $$;
  -- A busy id in 1..n from 32 bits of h: ranks skewed by a power law (the busiest fifth of the
  -- customers or products get about half the picks, the top one a few hundred), then scattered
  -- over the ids (rank * mult mod n, mult prime to n) so the busiest are not simply the first.
  CREATE FUNCTION bench_gen.pop(h bigint, shift int, n int, mult int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT 1 + ((floor(n * power(0.1 + 0.9 * bench_gen.f32(h, shift), 3))::bigint * mult) % n)::int';
  -- A moment of day \`day\` (0 = 2023-01-01, UTC) to the microsecond, as now() writes it: 13 in 16 in
  -- business hours (08:00–18:00, busiest around 13:00), the rest at any hour.
  CREATE FUNCTION bench_gen.bt(day bigint, h bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_timestamp((1672531200 + day * 86400
                   + CASE WHEN (h & 15) < 13 THEN 28800 + floor((bench_gen.f(h, 4) + bench_gen.f(h, 20)) * 18000)
                          ELSE ((h >> 4) & 4294967295) % 86400 END)::float8
                   + (((h >> 36) & 1048575) % 1000000)::float8 / 1000000) $$;
  -- Row i of n spread in order over the two years 2023 and 2024 (ids grow with time), at a moment as bt.
  CREATE FUNCTION bench_gen.at(i bigint, n bigint, h bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT bench_gen.bt((i - 1) * 731 / n, h)';

  -- A customer's place, from hashint8extended(id, 3) (hc): bits 0–15 the country, 16–31 the city, 32–47 the street.
  CREATE FUNCTION bench_gen.country(hc bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ${zipfPick(COUNTRIES.map(c => c[0]), 'hc', 0)} $$;
  CREATE FUNCTION bench_gen.currency(hc bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ${zipfPick(COUNTRIES.map(c => c[1]), 'hc', 0)} $$;
  CREATE FUNCTION bench_gen.vat(hc bigint) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (${sqlArray(COUNTRIES.map(c => c[2]))}::numeric[])[bench_gen.z(hc, 0, ${COUNTRIES.length})] $$;
  CREATE FUNCTION bench_gen.locale(hc bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ${zipfPick(COUNTRIES.map(c => c[3]), 'hc', 0)} $$;
  CREATE FUNCTION bench_gen.dialling(hc bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ${zipfPick(COUNTRIES.map(c => c[4]), 'hc', 0)} $$;
  CREATE FUNCTION bench_gen.city(hc bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (ARRAY[${COUNTRIES.map(c => sqlArray(c[5])).join(',')}])[bench_gen.z(hc, 0, ${COUNTRIES.length})][bench_gen.z(hc, 16, 6)] $$;
  -- A customer's postal address (ha = hashint8extended(id, salt): each salt another address of theirs).
  CREATE FUNCTION bench_gen.address(hc bigint, ha bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT bench_gen.z(ha, 0, 250)::text || ' ' || ${zipfPick(STREETS, 'ha', 16)} || ', '
                 || lpad((bench_gen.z(hc, 16, 6) * 1000 + bench_gen.b(ha, 32, 1000))::text, 5, '0') || ' ' || bench_gen.city(hc) $$;
  -- An IPv4 address from a hash (a customer's home connection, or a session elsewhere).
  CREATE FUNCTION bench_gen.ip(h bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (1 + ((h >> 8) & 255) % 223)::text || '.' || ((h >> 16) & 255)::text || '.' || ((h >> 24) & 255)::text || '.' || (1 + ((h >> 32) & 255) % 254)::text $$;

  -- A product's attributes, from its id (the products table and the orders and events that name it agree).
  CREATE FUNCTION bench_gen.sku(p int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ${zipfPick(CATEGORIES.map(c => c[1]), 'hashint8extended(p, 13)', 0)} || '-' || lpad(p::text, 5, '0') || '-'
                 || ${zipfPick(COLORS.map(c => c[1]), 'hashint8extended(p, 13)', 16)} $$;
  CREATE FUNCTION bench_gen.product_name(p int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ${zipfPick(ADJECTIVES, 'hashint8extended(p, 14)', 0)} || ' ' || ${zipfPick(MATERIALS, 'hashint8extended(p, 14)', 16)}
                 || ' ' || ${zipfPick(PRODUCT_NOUNS, 'hashint8extended(p, 14)', 32)} $$;
  -- Price points: 3 to 299, most around 30 (log-triangular), ending .99 mostly, else .95, .00 or .50.
  CREATE FUNCTION bench_gen.price(p int) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT floor(3 * exp((bench_gen.f(hashint8extended(p, 13), 32) + bench_gen.f(hashint8extended(p, 17), 0)) / 2 * ln(100::float8)))::numeric
                 - (ARRAY[0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.05, 0.05, 0, 0, 0, 0.5, 0.5])[1 + ((hashint8extended(p, 13) >> 48) & 15)::int] $$;
  -- Quantities: 1 mostly, 2 or 3 often, up to 6.
  CREATE FUNCTION bench_gen.qty(h bigint, shift int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (ARRAY[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 4, 6])[1 + ((h >> shift) & 15)::int] $$;
  -- An order or event line, as a shop's JSON writes it (STABLE, as jsonb_build_object is: an
  -- IMMUTABLE helper calling a STABLE function is not inlined; the same goes for int || text).
  CREATE FUNCTION bench_gen.item(p int, q int) RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT jsonb_build_object('sku', bench_gen.sku(p), 'name', bench_gen.product_name(p), 'qty', q, 'price', bench_gen.price(p)) $$;
`;

/** Multipliers that scatter ranks over the ids: prime, and not a factor of the row count. */
function scatter(n: number): number {
  for (const m of [7919, 7927, 7933, 7937]) if (n % m !== 0) return m;
  throw new Error(`No multiplier for ${n} rows.`);
}

/**
 * SQL for prose of row `id`: `chunks` runs of three Zipf words, sentences ending after 8 words on
 * average, a paragraph now and then (a correlated subquery: a SQL function with FROM is never inlined).
 * string_agg puts a row's delimiter before its value, so one hash decides both a sentence's end
 * and the capital letter that follows it.
 */
function prose(id: string, salt: number, chunks: string): string {
  return `(SELECT string_agg(
      CASE WHEN k = 1 OR (c >> 48) & 7 < 3 THEN initcap(bench_gen.zw(c, 0)) ELSE bench_gen.zw(c, 0) END || ' ' || bench_gen.zw(c, 16) || ' ' || bench_gen.zw(c, 32),
      CASE WHEN (c >> 48) & 7 < 3 THEN CASE WHEN (c >> 51) & 7 = 0 THEN E'.\\n\\n' ELSE '. ' END WHEN (c >> 54) & 7 = 0 THEN ', ' ELSE ' ' END) || '.'
    FROM generate_series(1, ${chunks}) k, LATERAL (SELECT hashint8extended(${id}::bigint * 4096 + k, ${salt}) AS c) x)`;
}

function skewedShop(scale: Scale): ShopRows {
  const customers = scale.customers;
  const products = scale.products;
  const pop = (h: string, shift: number, n: number) => `bench_gen.pop(${h}, ${shift}, ${n}, ${scatter(n)})`;
  const email = `translate(lower(local), 'àáâäãåçèéêëìíîïñòóôöõøùúûüýßšžčřćńłś''', 'aaaaaaceeeeiiiinoooooouuuuysszcrcnls')`;
  return {
    helpers: SKEWED_HELPERS,
    customers: `
  INSERT INTO customers
  SELECT i, first || ' ' || last,
         ${email} || '@' || ${zipfPick(EMAIL_DOMAINS, 'g', 0)},
         CASE WHEN (h >> 52) & 7 <> 0 THEN bench_gen.dialling(hc) || ' ' || lpad(((hashint8extended(i, 6) & 9223372036854775807) % 1000000000)::text, 9, '0') END,
         bench_gen.country(hc), bench_gen.city(hc), bench_gen.at(i, ${customers}, hashint8extended(i, 5)),
         CASE WHEN (h >> 58) & 7 < 6 THEN 0.00 ELSE ${zipfPick([5, 10, 20, 25, 50, 12.5, 7.99, 15, 100, -19.99, -4.95], 'k', 0)} END,
         opt_in,
         jsonb_build_object('language', bench_gen.locale(hc), 'newsletter', opt_in, 'segment', ${zipfPick(SEGMENTS, 'g', 16)},
                            'score', floor(exp(bench_gen.f(g, 32) * ln(5000::float8)))::int - 1,
                            'tags', CASE (k >> 16) & 3 WHEN 0 THEN jsonb_build_array(${zipfPick(CUSTOMER_TAGS, 'k', 20)})
                                                        WHEN 1 THEN jsonb_build_array(${zipfPick(CUSTOMER_TAGS, 'k', 20)}, ${zipfPick(CUSTOMER_TAGS, 'k', 36)})
                                                        ELSE '[]'::jsonb END)
  FROM (
    SELECT i, h, g, k, hc, first, last, (h >> 56) & 3 = 0 AS opt_in,
           -- emma.smith, emma.smith84, esmith1990, emma_smith
           CASE (h >> 32) & 3 WHEN 0 THEN first || '.' || last WHEN 1 THEN first || '.' || last || bench_gen.b(h, 34, 100)
                              WHEN 2 THEN left(first, 1) || last || (1950 + bench_gen.b(h, 34, 56)) ELSE first || '_' || last END AS local
    FROM (
      SELECT i, h, g, k, hc, ${zipfPick(FIRST_NAMES, 'h', 0)} AS first, ${zipfPick(LAST_NAMES, 'h', 16)} AS last
      FROM generate_series(1, ${customers}) i,
           LATERAL (SELECT hashint8extended(i, 1) AS h, hashint8extended(i, 2) AS g, hashint8extended(i, 4) AS k, hashint8extended(i, 3) AS hc) x
      OFFSET 0
    ) n
    OFFSET 0
  ) c;
`,
    products: `
  INSERT INTO products
  SELECT i, bench_gen.sku(i), bench_gen.product_name(i),
         ${prose('i', 11, '3 + bench_gen.b(h, 0, 12)')},
         bench_gen.price(i),
         CASE WHEN (h >> 16) & 15 <> 0 THEN round((exp(bench_gen.f(h, 20) * ln(200::float8)) * 0.025)::numeric, 2) END,
         jsonb_build_object('category', ${zipfPick(CATEGORIES.map(c => c[0]), 'hashint8extended(i, 13)', 0)},
                            'color', ${zipfPick(COLORS.map(c => c[0]), 'hashint8extended(i, 13)', 16)},
                            'brand', ${zipfPick(BRANDS, 'h', 36)},
                            'stock', floor(exp(bench_gen.f(g, 0) * ln(2000::float8)))::int - 1,
                            'warehouse', ${zipfPick(WAREHOUSES, 'g', 16)},
                            'dimensions_cm', jsonb_build_object('w', bench_gen.z(g, 32, 120), 'h', bench_gen.z(g, 48, 120), 'd', 1 + bench_gen.b(m, 0, 40)))
         || CASE WHEN ${zipfPick(CATEGORIES.map(c => c[1]), 'hashint8extended(i, 13)', 0)} = 'APP' THEN jsonb_build_object('size', ${zipfPick(SIZES, 'm', 16)}) ELSE '{}'::jsonb END,
         bench_gen.at(i, ${products}, hashint8extended(i, 16))
  FROM (SELECT i, hashint8extended(i, 10) AS h, hashint8extended(i, 12) AS g, hashint8extended(i, 15) AS m FROM generate_series(1, ${products}) i OFFSET 0) p;
`,
    orders: `
  INSERT INTO orders
  SELECT i, c, ordered_at, status, bench_gen.currency(hc), subtotal, round(subtotal * bench_gen.vat(hc), 2), subtotal + round(subtotal * bench_gen.vat(hc), 2),
         -- Mostly the customer's own address, now and then their second one (work, family).
         bench_gen.address(hc, ha),
         CASE WHEN (h >> 60) & 15 = 0 THEN CASE WHEN (g >> 60) & 3 = 0 THEN bench_gen.sentence(hashint8extended(i, 24), hashint8extended(i, 25))
                                                ELSE ${zipfPick(ORDER_NOTES, 'g', 44)} END END
  FROM (
    SELECT i, c, h, g, hc, hashint8extended(c, CASE WHEN (h >> 56) & 15 = 0 THEN 5 ELSE 4 END) AS ha,
           bench_gen.at(i, ${scale.orders}, hashint8extended(i, 23)) AS ordered_at,
           -- The last few days' orders are still on their way; older ones mostly delivered.
           CASE WHEN i > ${scale.orders - Math.round(scale.orders / 300)} THEN ${zipfPick(['paid', 'pending', 'shipped', 'cancelled'], 'h', 36)}
                WHEN i > ${scale.orders - Math.round(scale.orders / 80)} THEN ${zipfPick(['shipped', 'delivered', 'cancelled'], 'h', 36)}
                ELSE (${sqlArray([...Array<string>(28).fill('delivered'), 'returned', 'returned', 'cancelled', 'refunded'])})[1 + ((h >> 36) & 31)::int] END AS status,
           bench_gen.qty(g, 0) * bench_gen.price(p1)
             + CASE WHEN lines >= 2 THEN bench_gen.qty(g, 4) * bench_gen.price(p2) ELSE 0 END
             + CASE WHEN lines >= 3 THEN bench_gen.qty(g, 8) * bench_gen.price(p3) ELSE 0 END AS subtotal
    FROM (
      SELECT i, h, g, ${pop('h', 0, customers)} AS c, hashint8extended(${pop('h', 0, customers)}, 3) AS hc,
             ${pop('g', 12, products)} AS p1, ${pop('hashint8extended(i, 22)', 0, products)} AS p2, ${pop('hashint8extended(i, 22)', 32, products)} AS p3,
             (ARRAY[1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3])[1 + ((h >> 52) & 15)::int] AS lines
      FROM generate_series(1, ${scale.orders}) i, LATERAL (SELECT hashint8extended(i, 20) AS h, hashint8extended(i, 21) AS g) x
      OFFSET 0
    ) ids
    OFFSET 0
  ) o;
`,
    // Sessions of seven events (a view or login first, a checkout or logout now and then last), one
    // customer, device and connection each, seconds to minutes apart.
    events: `
  INSERT INTO events
  SELECT i, occurred_at, c, kind,
         CASE kind WHEN 'checkout' THEN bench_gen.qty(q, 0) * bench_gen.price(p1) + CASE WHEN (q >> 8) & 3 = 0 THEN bench_gen.qty(q, 4) * bench_gen.price(p2) ELSE 0 END
                   WHEN 'refund' THEN bench_gen.price(p1) END,
         jsonb_build_object(
           'session', lpad(to_hex(hs), 16, '0') || lpad(to_hex(hashint8extended(s, 33)), 16, '0'),
           'ip', bench_gen.ip(hip),
           'agent', (${sqlArray(AGENTS)})[agent],
           'locale', bench_gen.locale(hc),
           'page', CASE kind WHEN 'view' THEN '/products/' || lower(bench_gen.sku(p1)) WHEN 'search' THEN '/search' WHEN 'cart' THEN '/cart'
                             WHEN 'checkout' THEN '/checkout/complete' WHEN 'refund' THEN '/account/orders' WHEN 'login' THEN '/account/login' ELSE '/account/logout' END,
           'flags', jsonb_build_object('mobile', agent IN (${MOBILE_AGENTS.join(', ')}), 'returning', (hc >> 48) & 3 <> 0, 'experiment', ${zipfPick(EXPERIMENTS, 'hs', 44)}),
           'duration_ms', floor(30 * exp(bench_gen.f(h, 16) * ln(400::float8)))::int)
         -- A session arrives from outside (a third of them from a campaign), then moves from page to page.
         || CASE WHEN pos = 0 THEN jsonb_build_object('referrer', ${zipfPick(REFERRERS, 'hs', 20)}, 'screen', ${zipfPick(SCREENS, 'hashint8extended(c, 6)', 0)})
                                   || CASE WHEN (hs >> 36) & 3 = 0 THEN jsonb_build_object('utm', jsonb_build_object('source', ${zipfPick(UTM_SOURCES, 'hashint8extended(s, 39)', 0)},
                                           'medium', ${zipfPick(UTM_MEDIUMS, 'hashint8extended(s, 39)', 16)}, 'campaign', ${zipfPick(UTM_CAMPAIGNS, 'hashint8extended(s, 39)', 32)})) ELSE '{}'::jsonb END
                 ELSE jsonb_build_object('referrer', 'https://shop.example.com' || CASE WHEN (h >> 14) & 3 = 0 THEN '/products/' || lower(bench_gen.sku(p2))
                                                                                      ELSE ${zipfPick(SHOP_PAGES, 'hashint8extended(i, 38)', 0)} END) END
         || CASE kind WHEN 'search' THEN jsonb_build_object('query', bench_gen.zw(q, 16) || ' ' || bench_gen.zw(q, 32), 'results', bench_gen.z(q, 48, 200) - 1)
                      WHEN 'cart' THEN jsonb_build_object('items', jsonb_build_array(bench_gen.item(p1, bench_gen.qty(q, 0))), 'currency', bench_gen.currency(hc))
                      WHEN 'checkout' THEN jsonb_build_object('items', jsonb_build_array(bench_gen.item(p1, bench_gen.qty(q, 0)))
                                                                        || CASE WHEN (q >> 8) & 3 = 0 THEN jsonb_build_array(bench_gen.item(p2, bench_gen.qty(q, 4))) ELSE '[]'::jsonb END,
                                                              'currency', bench_gen.currency(hc), 'payment', ${zipfPick(['card', 'paypal', 'card', 'apple_pay', 'klarna', 'invoice'], 'hd', 48)})
                      WHEN 'refund' THEN jsonb_build_object('items', jsonb_build_array(bench_gen.item(p1, 1)), 'reason', ${zipfPick(['size', 'damaged', 'not as described', 'changed mind', 'late'], 'q', 48)})
                      ELSE '{}'::jsonb END
  FROM (
    SELECT i, s, pos, h, q, hs, hd, c, hc, p1, p2,
           -- The customer's home connection, now and then another.
           CASE WHEN (hd >> 44) & 3 = 0 THEN hd ELSE hashint8extended(c, 4) END AS hip,
           bench_gen.at(s + 1, ${Math.ceil(scale.events / 7)}, hashint8extended(s, 37)) + ((pos * 50 + ((h >> 32) & 63))::float8 + bench_gen.f(h, 38)) * interval '1 second' AS occurred_at,
           CASE WHEN pos = 0 THEN CASE WHEN h & 3 = 0 THEN 'login' ELSE 'view' END
                WHEN pos = 6 THEN CASE WHEN h & 15 < 3 THEN 'checkout' WHEN h & 15 < 6 THEN 'logout' ELSE 'view' END
                WHEN (h >> 4) & 1023 < 620 THEN 'view' WHEN (h >> 4) & 1023 < 800 THEN 'search' WHEN (h >> 4) & 1023 < 1010 THEN 'cart' ELSE 'refund' END AS kind,
           -- The customer's usual device, now and then another.
           CASE WHEN (hd >> 40) & 3 = 0 THEN bench_gen.z(hd, 0, ${AGENTS.length}) ELSE bench_gen.z(hashint8extended(c, 6), 16, ${AGENTS.length}) END AS agent
    FROM (
      SELECT i, s, pos, h, q, hs, hd, c, hashint8extended(c, 3) AS hc, ${pop('hp', 0, products)} AS p1, ${pop('hp', 32, products)} AS p2
      FROM (
        SELECT i, (i - 1) / 7 AS s, ((i - 1) % 7)::int AS pos, hashint8extended(i, 30) AS h, hashint8extended(i, 35) AS q, hashint8extended(i, 34) AS hp,
               hashint8extended((i - 1) / 7, 31) AS hs, hashint8extended((i - 1) / 7, 36) AS hd,
               ${pop('hashint8extended((i - 1) / 7, 32)', 0, customers)} AS c
        FROM generate_series(1, ${scale.events}) i
        OFFSET 0
      ) a
      OFFSET 0
    ) b
    OFFSET 0
  ) e;
`,
    // Most documents a page or two, one in ten long (up to about 20 KB); half edited since.
    documents: `
  INSERT INTO documents
  SELECT i, c,
         initcap(bench_gen.zw(t, 0) || ' ' || bench_gen.zw(t, 16) || ' ' || bench_gen.zw(t, 32) || CASE WHEN (t >> 48) & 1 = 0 THEN ' ' || bench_gen.zw(e, 16) ELSE '' END),
         ${prose('i', 42, '12 + bench_gen.b(g, 0, 60) + CASE WHEN (g >> 16) & 15 < 2 THEN bench_gen.b(g, 20, 900) ELSE 0 END')},
         created_at,
         CASE WHEN (g >> 36) & 1 = 0 THEN created_at ELSE created_at + exp(bench_gen.f(e, 0) * ln(30000000::float8)) * interval '1 second' END,
         CASE WHEN (g >> 36) & 1 = 0 THEN 1 ELSE 1 + bench_gen.z(g, 40, 30) END
  FROM (
    SELECT i, t, g, e, ${pop('hashint8extended(i, 41)', 0, customers)} AS c, bench_gen.at(i, ${scale.documents}, hashint8extended(i, 44)) AS created_at
    FROM generate_series(1, ${scale.documents}) i, LATERAL (SELECT hashint8extended(i, 40) AS t, hashint8extended(i, 43) AS g, hashint8extended(i, 45) AS e) x
    OFFSET 0
  ) d;
`,
    // Reference data: codes and labels, most rows last touched by one of three migrations.
    smallTableRows: `
        INSERT INTO %1$I
        SELECT i, upper(bench_gen.zw(h, 0)) || '-' || i, initcap(bench_gen.zw(h, 16)) || ' ' || bench_gen.zw(h, 32),
               CASE WHEN m & 3 <> 0 THEN bench_gen.sentence(hashint8extended(i, %2$s + 1), hashint8extended(i, %2$s + 2)) END,
               ${zipfPick(WEIGHTS, 'h', 48)}, (m >> 4) & 15 <> 0,
               CASE WHEN (m >> 8) & 7 < 5 THEN to_timestamp(1680000000 + %2$s * 7919 + ((m >> 12) & 3) * 9000000) + (%2$s * 13 %% 1000000) * interval '1 microsecond'
                    ELSE bench_gen.at(i, %3$s, hashint8extended(i, %2$s + 3)) END
        FROM generate_series(1, %3$s) i, LATERAL (SELECT hashint8extended(i, %2$s) AS h, hashint8extended(i, %2$s + 4) AS m) x;
`,
  };
}

// ---------------------------------------------------------------------------------------------
// "bench_pagila": a DVD rental chain shaped like the pagila sample (PostgreSQL's port of MySQL's
// sakila), with its tables, types, keys, indexes and triggers, scaled up to about 800,000 rows:
// 5,000 films, 20,000 customers, 20 stores, 320,000 rentals and their payments. As in pagila,
// reference rows share one last_update, names and titles are upper case, rental_rate is 0.99, 2.99
// or 4.99 and a payment is the rate plus a dollar a day late; popular films and regular customers
// rent most, in the stores' opening hours.

const PAGILA = {
  cities: 600,
  addresses: 25_000,
  actors: 2_000,
  films: 5_000,
  stores: 20,
  staffPerStore: 3,
  customers: 20_000,
  inventory: 50_000,
  rentals: 320_000,
};

/** By how many of the chain's cities each has, as in pagila (India, China and the US first). */
const PAGILA_COUNTRIES = ['India', 'China', 'United States', 'Japan', 'Mexico', 'Brazil', 'Russian Federation', 'Philippines', 'Turkey',
  'Indonesia', 'Nigeria', 'Argentina', 'Taiwan', 'South Africa', 'Iran', 'United Kingdom', 'Poland', 'Germany', 'Italy', 'Colombia',
  'Egypt', 'Ukraine', 'Venezuela', 'Canada', 'Netherlands', 'Spain', 'Saudi Arabia', 'Vietnam', 'France', 'Pakistan', 'Peru',
  'South Korea', 'Yemen', 'Chile', 'Israel', 'Malaysia', 'Algeria', 'Bangladesh', 'Morocco', 'Austria', 'Kenya', 'Thailand', 'Ecuador',
  'Dominican Republic', 'Cameroon', 'Paraguay', 'Greece', 'Tanzania', 'Mozambique', 'Azerbaijan', 'Romania', 'Belarus', 'Bolivia',
  'Sweden', 'Switzerland', 'Finland', 'Ireland', 'Portugal', 'Czech Republic', 'Hungary'];
const DISTRICTS = ['Buenos Aires', 'California', 'Shandong', 'West Bengal', 'Uttar Pradesh', 'England', 'So Paulo', 'Maharashtra',
  'Southern Tagalog', 'Texas', 'Punjab', 'Alberta', 'QLD', 'Nagasaki', 'Attika', 'Mandalay', 'Nantou', 'Hubei', 'Gois', 'Eastern Cape',
  'Ontario', 'Hokkaido', 'Jalisco', 'Tamil Nadu', 'Veracruz', 'Zhejiang', 'Guangdong', 'Central Java', 'Bavaria', 'Lombardia',
  'Istanbul', 'Moscow (City)', 'Kanagawa', 'Karnataka', 'Rio de Janeiro', 'Florida', 'New York', 'Illinois', 'Osaka', 'Gauteng'];
const STREET_KINDS = ['Street', 'Way', 'Avenue', 'Drive', 'Parkway', 'Lane', 'Boulevard', 'Road', 'Place', 'Manor', 'Loop', 'Circle', 'Ridge', 'Square'];
const FILM_ADJECTIVES = ['Epic', 'Astounding', 'Fateful', 'Thoughtful', 'Boring', 'Intrepid', 'Touching', 'Amazing', 'Beautiful',
  'Awe-Inspiring', 'Stunning', 'Brilliant', 'Emotional', 'Insightful', 'Unbelieveable', 'Lacklusture', 'Fast-Paced', 'Action-Packed'];
const FILM_GENRES = ['Drama', 'Documentary', 'Saga', 'Story', 'Tale', 'Reflection', 'Panorama', 'Display', 'Yarn', 'Character Study', 'Epistle'];
const FILM_NOUNS = ['Feminist', 'Mad Scientist', 'Teacher', 'Moose', 'Dentist', 'Database Administrator', 'Boy', 'Girl', 'Hunter',
  'Crocodile', 'Astronaut', 'Woman', 'Man', 'Monkey', 'Cat', 'Dog', 'Technical Writer', 'Pioneer', 'Explorer', 'Squirrel', 'Robot',
  'Frisbee', 'Lumberjack', 'Butler', 'Shark', 'Composer', 'Student', 'Car', 'Pastry Chef', 'Husband', 'Mad Cow', 'Sumo Wrestler',
  'Secret Agent', 'Forensic Psychologist', 'Waitress', 'Critic', 'Madman', 'Cow', 'Lady', 'Boat', 'Wife'];
const FILM_VERBS = ['Battle', 'Chase', 'Reach', 'Defeat', 'Outgun', 'Overcome', 'Discover', 'Build', 'Find', 'Fight', 'Face', 'Kill',
  'Meet', 'Outrace', 'Pursue', 'Redeem', 'Sink', 'Succumb', 'Vanquish', 'Conquer', 'Escape', 'Confront'];
const FILM_PLACES = ['The Canadian Rockies', 'A Baloon', 'The Gulf of Mexico', 'A Jet Boat', 'A Shark Tank', 'Soviet Georgia',
  'An Abandoned Fun House', 'A Manhattan Penthouse', 'Ancient China', 'Ancient India', 'A MySQL Convention', 'Nigeria', 'The Outback',
  'A U-Boat', 'The First Manned Space Station', 'A Monastery', 'Berlin', 'An Abandoned Mine Shaft', 'The Sahara Desert', 'Australia',
  'A Car Factory', 'A Mysql Convention Center', 'California', 'A Baloon Factory'];
const PAGILA_CATEGORIES = ['Sports', 'Foreign', 'Family', 'Documentary', 'Animation', 'Action', 'New', 'Drama', 'Sci-Fi', 'Games',
  'Children', 'Comedy', 'Classics', 'Travel', 'Horror', 'Music'];
const PAGILA_LANGUAGES = ['English', 'Italian', 'Japanese', 'Mandarin', 'French', 'German'];
const SPECIAL_FEATURES = ['{Trailers,Commentaries,"Behind the Scenes"}', '{Trailers}', '{Commentaries,"Behind the Scenes"}',
  '{"Deleted Scenes","Behind the Scenes"}', '{Trailers,"Deleted Scenes"}', '{Commentaries}', '{"Behind the Scenes"}',
  '{Trailers,Commentaries}', '{Commentaries,"Deleted Scenes"}', '{"Deleted Scenes"}', '{Trailers,"Behind the Scenes"}',
  '{Trailers,Commentaries,"Deleted Scenes"}', '{Trailers,"Deleted Scenes","Behind the Scenes"}',
  '{Commentaries,"Deleted Scenes","Behind the Scenes"}', '{Trailers,Commentaries,"Deleted Scenes","Behind the Scenes"}'];

const PAGILA_SCHEMA = `
  CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
  CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
  CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.last_update = CURRENT_TIMESTAMP; RETURN NEW; END $$;

  CREATE TABLE country (country_id serial PRIMARY KEY, country text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE city (city_id serial PRIMARY KEY, city text NOT NULL, country_id integer NOT NULL REFERENCES country ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE address (address_id serial PRIMARY KEY, address text NOT NULL, address2 text, district text NOT NULL,
    city_id integer NOT NULL REFERENCES city ON UPDATE CASCADE ON DELETE RESTRICT, postal_code text, phone text NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE language (language_id serial PRIMARY KEY, name character(20) NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE category (category_id serial PRIMARY KEY, name text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE actor (actor_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, description text, release_year year,
    language_id integer NOT NULL REFERENCES language ON UPDATE CASCADE ON DELETE RESTRICT,
    original_language_id integer REFERENCES language ON UPDATE CASCADE ON DELETE RESTRICT,
    rental_duration smallint NOT NULL DEFAULT 3, rental_rate numeric(4,2) NOT NULL DEFAULT 4.99, length smallint,
    replacement_cost numeric(5,2) NOT NULL DEFAULT 19.99, rating mpaa_rating DEFAULT 'G', last_update timestamptz NOT NULL DEFAULT now(),
    special_features text[], fulltext tsvector NOT NULL);
  CREATE TABLE film_actor (actor_id integer NOT NULL REFERENCES actor ON UPDATE CASCADE ON DELETE RESTRICT,
    film_id integer NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, film_id));
  CREATE TABLE film_category (film_id integer NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT,
    category_id integer NOT NULL REFERENCES category ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (film_id, category_id));
  CREATE TABLE store (store_id serial PRIMARY KEY, manager_staff_id integer NOT NULL,
    address_id integer NOT NULL REFERENCES address ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE staff (staff_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
    address_id integer NOT NULL REFERENCES address ON UPDATE CASCADE ON DELETE RESTRICT, email text,
    store_id integer NOT NULL REFERENCES store, active boolean NOT NULL DEFAULT true, username text NOT NULL, password text,
    last_update timestamptz NOT NULL DEFAULT now(), picture bytea);
  CREATE TABLE customer (customer_id serial PRIMARY KEY, store_id integer NOT NULL REFERENCES store ON UPDATE CASCADE ON DELETE RESTRICT,
    first_name text NOT NULL, last_name text NOT NULL, email text,
    address_id integer NOT NULL REFERENCES address ON UPDATE CASCADE ON DELETE RESTRICT, activebool boolean NOT NULL DEFAULT true,
    create_date date NOT NULL DEFAULT CURRENT_DATE, last_update timestamptz DEFAULT now(), active integer);
  CREATE TABLE inventory (inventory_id serial PRIMARY KEY, film_id integer NOT NULL REFERENCES film ON UPDATE CASCADE ON DELETE RESTRICT,
    store_id integer NOT NULL REFERENCES store ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE rental (rental_id serial PRIMARY KEY, rental_date timestamptz NOT NULL,
    inventory_id integer NOT NULL REFERENCES inventory ON UPDATE CASCADE ON DELETE RESTRICT,
    customer_id integer NOT NULL REFERENCES customer ON UPDATE CASCADE ON DELETE RESTRICT, return_date timestamptz,
    staff_id integer NOT NULL REFERENCES staff ON UPDATE CASCADE ON DELETE RESTRICT, last_update timestamptz NOT NULL DEFAULT now());
  CREATE TABLE payment (payment_id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customer ON UPDATE CASCADE ON DELETE RESTRICT,
    staff_id integer NOT NULL REFERENCES staff ON UPDATE CASCADE ON DELETE RESTRICT,
    rental_id integer NOT NULL REFERENCES rental ON UPDATE CASCADE ON DELETE SET NULL, amount numeric(5,2) NOT NULL, payment_date timestamptz NOT NULL);
`;

/** A pagila table's one last_update for all its reference rows. */
const pagilaStamp = (n: number) => `'2022-02-15 09:${String(30 + n).padStart(2, '0')}:${String((n * 17) % 60).padStart(2, '0')}+00'::timestamptz`;

function pagilaRows(): { label: string; sql: string }[] {
  const p = PAGILA;
  const pop = (h: string, shift: number, n: number) => `bench_gen.pop(${h}, ${shift}, ${n}, ${scatter(n)})`;
  const staff = p.stores * p.staffPerStore;
  return [
    { label: `country, city, address: ${PAGILA_COUNTRIES.length}, ${p.cities}, ${p.addresses.toLocaleString('en')} rows`, sql: `
      INSERT INTO country SELECT n, c, ${pagilaStamp(4)} FROM unnest(${sqlArray(PAGILA_COUNTRIES)}) WITH ORDINALITY AS t(c, n);
      INSERT INTO city
      SELECT i, initcap((${sqlArray(SYLLABLES)})[1 + bench_gen.b(h, 0, ${SYLLABLES.length})] || (${sqlArray(SYLLABLES)})[1 + bench_gen.b(h, 16, ${SYLLABLES.length})]
                        || ${zipfPick(['', 'a', 'pur', 'ville', 'ton', 'burg', 'o', 'stad', 'ia', 'grad', 'abad', 'shan'], 'h', 32)}),
             bench_gen.z(h, 48, ${PAGILA_COUNTRIES.length}), ${pagilaStamp(5)}
      FROM generate_series(1, ${p.cities}) i, LATERAL (SELECT hashint8extended(i, 201) AS h) x;
      INSERT INTO address
      SELECT i, (1 + bench_gen.b(h, 0, 1999)) || ' ' || initcap((${sqlArray(SYLLABLES)})[1 + bench_gen.b(h, 16, ${SYLLABLES.length})]
                || (${sqlArray(SYLLABLES)})[1 + bench_gen.b(h, 32, ${SYLLABLES.length})]) || ' ' || ${zipfPick(STREET_KINDS, 'h', 48)},
             CASE WHEN i <= 4 THEN NULL ELSE '' END, ${zipfPick(DISTRICTS, 'g', 0)}, ${pop('g', 16, p.cities)},
             CASE WHEN (g >> 48) & 63 = 0 THEN '' ELSE lpad(bench_gen.b(g, 48, 100000)::text, 5, '0') END,
             lpad(((hashint8extended(i, 203) & 9223372036854775807) % 1000000000000)::text, 12, '0'), ${pagilaStamp(6)}
      FROM generate_series(1, ${p.addresses}) i, LATERAL (SELECT hashint8extended(i, 202) AS h, hashint8extended(i, 204) AS g) x;
` },
    { label: `language, category, actor, film: ${p.actors.toLocaleString('en')} actors, ${p.films.toLocaleString('en')} films`, sql: `
      INSERT INTO language SELECT n, l, ${pagilaStamp(7)} FROM unnest(${sqlArray(PAGILA_LANGUAGES)}) WITH ORDINALITY AS t(l, n);
      INSERT INTO category SELECT n, c, ${pagilaStamp(8)} FROM unnest(${sqlArray(PAGILA_CATEGORIES)}) WITH ORDINALITY AS t(c, n);
      INSERT INTO actor
      SELECT i, upper(${zipfPick(FIRST_NAMES, 'h', 0)}), upper(${zipfPick(LAST_NAMES, 'h', 16)}), ${pagilaStamp(9)}
      FROM generate_series(1, ${p.actors}) i, LATERAL (SELECT hashint8extended(i, 205) AS h) x;
      INSERT INTO film (film_id, title, description, release_year, language_id, original_language_id, rental_duration, rental_rate, length,
                        replacement_cost, rating, last_update, special_features, fulltext)
      SELECT i, title, description, release_year, 1, NULL, rental_duration, rental_rate, length, replacement_cost, rating, ${pagilaStamp(10)},
             special_features, to_tsvector('pg_catalog.english', title || ' ' || description)
      FROM (
        SELECT i, upper((${sqlArray(WORDS)})[1 + bench_gen.b(h, 0, ${WORDS.length})] || ' ' || (${sqlArray(WORDS)})[1 + bench_gen.b(h, 16, ${WORDS.length})]) AS title,
               'A ' || ${zipfPick(FILM_ADJECTIVES, 'g', 0)} || ' ' || ${zipfPick(FILM_GENRES, 'g', 16)} || ' of a ' || ${zipfPick(FILM_NOUNS, 'g', 32)}
                 || ' And a ' || ${zipfPick(FILM_NOUNS, 'g', 48)} || ' who must ' || ${zipfPick(FILM_VERBS, 'k', 0)} || ' a ' || ${zipfPick(FILM_NOUNS, 'k', 16)}
                 || ' in ' || ${zipfPick(FILM_PLACES, 'k', 32)} AS description,
               2024 - bench_gen.z(h, 32, 30) AS release_year, 3 + bench_gen.b(h, 48, 5) AS rental_duration,
               (ARRAY[0.99, 2.99, 4.99])[1 + bench_gen.b(k, 48, 3)] AS rental_rate, 46 + bench_gen.b(m, 0, 140) AS length,
               9.99 + bench_gen.b(m, 16, 21) AS replacement_cost, (ARRAY['PG-13', 'NC-17', 'R', 'PG', 'G'])[bench_gen.z(m, 32, 5)]::mpaa_rating AS rating,
               ${zipfPick(SPECIAL_FEATURES, 'm', 48)}::text[] AS special_features
        FROM generate_series(1, ${p.films}) i,
             LATERAL (SELECT hashint8extended(i, 206) AS h, hashint8extended(i, 207) AS g, hashint8extended(i, 208) AS k, hashint8extended(i, 209) AS m) x
        OFFSET 0
      ) f;
      -- Three to ten actors a film, the stars in many films; one category a film.
      INSERT INTO film_actor
      SELECT DISTINCT ON (actor_id, film_id) actor_id, film_id, ${pagilaStamp(11)}
      FROM (
        SELECT 1 + (${pop('h', 0, p.actors)} - 1 + (k - 1) * 37) % ${p.actors} AS actor_id, i AS film_id
        FROM generate_series(1, ${p.films}) i, LATERAL (SELECT hashint8extended(i, 210) AS h) x, generate_series(1, 3 + bench_gen.b(h, 32, 8)) k
      ) fa;
      INSERT INTO film_category SELECT i, bench_gen.z(hashint8extended(i, 211), 0, ${PAGILA_CATEGORIES.length}), ${pagilaStamp(12)} FROM generate_series(1, ${p.films}) i;
` },
    { label: `store, staff, customer, inventory: ${p.stores} stores, ${p.customers.toLocaleString('en')} customers, ${p.inventory.toLocaleString('en')} copies`, sql: `
      INSERT INTO store SELECT i, (i - 1) * ${p.staffPerStore} + 1, i, ${pagilaStamp(13)} FROM generate_series(1, ${p.stores}) i;
      INSERT INTO staff
      SELECT i, first, last, ${p.stores} + i, first || '.' || last || '@sakilastaff.com', 1 + (i - 1) / ${p.staffPerStore}, true, first,
             '8cb2237d0679ca88db6464eac60da96345513964', ${pagilaStamp(14)}, NULL
      FROM (SELECT i, ${zipfPick(FIRST_NAMES, 'hashint8extended(i, 212)', 0)} AS first, ${zipfPick(LAST_NAMES, 'hashint8extended(i, 212)', 16)} AS last
            FROM generate_series(1, ${staff}) i OFFSET 0) s;
      INSERT INTO customer
      SELECT i, bench_gen.z(h, 32, ${p.stores}), first, last, first || '.' || last || '@sakilacustomer.org', ${p.stores + staff} + i, true,
             '2022-02-14'::date + bench_gen.z(h, 48, 6) - 1, ${pagilaStamp(15)}, CASE WHEN (h >> 40) & 31 = 0 THEN 0 ELSE 1 END
      FROM (SELECT i, h, upper(${zipfPick(FIRST_NAMES, 'h', 0)}) AS first, upper(${zipfPick(LAST_NAMES, 'h', 16)}) AS last
            FROM generate_series(1, ${p.customers}) i, LATERAL (SELECT hashint8extended(i, 213) AS h) x OFFSET 0) c;
      -- Popular films have more copies, the big stores more of everything.
      INSERT INTO inventory
      SELECT i, ${pop('h', 0, p.films)}, bench_gen.z(h, 32, ${p.stores}), ${pagilaStamp(16)}
      FROM generate_series(1, ${p.inventory}) i, LATERAL (SELECT hashint8extended(i, 214) AS h) x;
` },
    { label: `rental, payment: ${p.rentals.toLocaleString('en')} rentals`, sql: `
      -- In order over two years, in the stores' opening hours (10:00–22:00) to the second; most back
      -- within the film's rental period, some days late, the last ones still out.
      INSERT INTO rental
      SELECT r.i, r.rental_date, r.inventory_id, r.customer_id,
             CASE WHEN r.i > ${p.rentals - Math.round(p.rentals / 150)} AND (r.h >> 60) & 3 <> 0 THEN NULL
                  ELSE r.rental_date + (f.rental_duration - 2 + bench_gen.z(r.h, 40, 9)) * interval '1 day' + bench_gen.b(r.h, 24, 36000) * interval '1 second' END,
             (inv.store_id - 1) * ${p.staffPerStore} + 1 + bench_gen.b(r.h, 56, ${p.staffPerStore}), ${pagilaStamp(17)}
      FROM (
        SELECT i, h, ${pop('hashint8extended(i, 216)', 0, p.inventory)} AS inventory_id, ${pop('hashint8extended(i, 216)', 32, p.customers)} AS customer_id,
               to_timestamp(1640995200 + ((i - 1)::bigint * 730 / ${p.rentals}) * 86400 + 36000
                            + floor((bench_gen.f(h, 0) + bench_gen.f(h, 16)) * 21600)) AS rental_date
        FROM generate_series(1, ${p.rentals}) i, LATERAL (SELECT hashint8extended(i, 215) AS h) x
        OFFSET 0
      ) r
      JOIN inventory inv ON inv.inventory_id = r.inventory_id
      JOIN film f ON f.film_id = inv.film_id;
      INSERT INTO payment
      SELECT row_number() OVER (ORDER BY r.rental_id), r.customer_id, r.staff_id, r.rental_id,
             f.rental_rate + GREATEST(0, extract(day FROM r.return_date - r.rental_date)::int - f.rental_duration),
             r.rental_date + bench_gen.b(hashint8extended(r.rental_id, 217), 0, 3600) * interval '1 second'
               + (hashint8extended(r.rental_id, 217) >> 16 & 1048575) % 1000000 * interval '1 microsecond'
      FROM rental r JOIN inventory inv USING (inventory_id) JOIN film f USING (film_id)
      WHERE r.return_date IS NOT NULL;
` },
  ];
}

const PAGILA_INDEXES = `
  ALTER TABLE store ADD CONSTRAINT store_manager_staff_id_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff ON UPDATE CASCADE ON DELETE RESTRICT;
  CREATE INDEX idx_actor_last_name ON actor (last_name);
  CREATE INDEX idx_fk_address_id ON customer (address_id);
  CREATE INDEX idx_fk_city_id ON address (city_id);
  CREATE INDEX idx_fk_country_id ON city (country_id);
  CREATE INDEX idx_fk_film_id ON film_actor (film_id);
  CREATE INDEX idx_fk_inventory_id ON rental (inventory_id);
  CREATE INDEX idx_fk_language_id ON film (language_id);
  CREATE INDEX idx_fk_original_language_id ON film (original_language_id);
  CREATE INDEX idx_fk_store_id ON customer (store_id);
  CREATE INDEX idx_last_name ON customer (last_name);
  CREATE INDEX idx_store_id_film_id ON inventory (store_id, film_id);
  CREATE INDEX idx_title ON film (title);
  CREATE UNIQUE INDEX idx_unq_manager_staff_id ON store (manager_staff_id);
  CREATE UNIQUE INDEX idx_unq_rental_rental_date_inventory_id_customer_id ON rental (rental_date, inventory_id, customer_id);
  CREATE INDEX film_fulltext_idx ON film USING gist (fulltext);
  CREATE INDEX idx_fk_payment_customer_id ON payment (customer_id);
  CREATE INDEX idx_fk_payment_staff_id ON payment (staff_id);
  CREATE INDEX idx_fk_payment_rental_id ON payment (rental_id);
  CREATE VIEW customer_list AS
    SELECT cu.customer_id AS id, cu.first_name || ' ' || cu.last_name AS name, a.address, a.postal_code AS "zip code", a.phone, city.city,
           country.country, CASE WHEN cu.activebool THEN 'active' ELSE '' END AS notes, cu.store_id AS sid
    FROM customer cu JOIN address a USING (address_id) JOIN city USING (city_id) JOIN country USING (country_id);
  CREATE VIEW sales_by_store AS
    SELECT c.city || ',' || cy.country AS store, m.first_name || ' ' || m.last_name AS manager, sum(p.amount) AS total_sales
    FROM payment p JOIN rental r USING (rental_id) JOIN inventory i USING (inventory_id) JOIN store s ON s.store_id = i.store_id
    JOIN address a ON a.address_id = s.address_id JOIN city c USING (city_id) JOIN country cy USING (country_id)
    JOIN staff m ON m.staff_id = s.manager_staff_id
    GROUP BY cy.country, c.city, s.store_id, m.first_name, m.last_name;
  DO $$
  DECLARE t text;
  BEGIN
    FOREACH t IN ARRAY ARRAY['actor', 'address', 'category', 'city', 'country', 'customer', 'film', 'film_actor', 'film_category',
                             'inventory', 'language', 'rental', 'staff', 'store'] LOOP
      EXECUTE format('CREATE TRIGGER last_updated BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION last_updated()', t);
    END LOOP;
    -- The serial columns' sequences continue after the rows inserted with explicit ids, as in a dump of pagila.
    FOR t IN SELECT format('SELECT setval(%L, (SELECT max(%I) FROM %I))', pg_get_serial_sequence(c.table_name, c.column_name), c.column_name, c.table_name)
             FROM information_schema.columns c WHERE c.table_schema = 'public' AND c.column_default LIKE 'nextval(%' LOOP
      EXECUTE t;
    END LOOP;
  END $$;
`;

async function generatePagila(cluster: BenchCluster, database: string, log: (message: string) => void): Promise<void> {
  const { clients: [a], step, end } = await openSessions(cluster, database, 1, log);
  try {
    await a.query(SKEWED_HELPERS);
    await a.query(PAGILA_SCHEMA);
    // Each step needs the rows of the ones before it (their foreign keys): one session.
    for (const { label, sql } of pagilaRows()) await step(a, label, sql);
    await step(a, 'indexes, foreign keys, views, triggers', PAGILA_INDEXES);
    await a.query('DROP SCHEMA bench_gen CASCADE');
    await step(a, 'VACUUM (FREEZE, ANALYZE)', 'VACUUM (FREEZE, ANALYZE)');
    await a.query('CHECKPOINT');
  } finally {
    await end();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false }, dataset: { type: 'string', default: 'skewed' } } });
  const datasets = values.dataset === 'all' ? [...BENCH_DATASETS] : [values.dataset as BenchDataset];
  for (const d of datasets) {
    if (!BENCH_DATASETS.includes(d)) throw new Error(`--dataset ${d}: give ${BENCH_DATASETS.join(', ')} or all.`);
  }
  const log = (message: string) => console.log(message);
  const cluster = await startBenchCluster(log);
  try {
    log(`PostgreSQL ${cluster.version} on 127.0.0.1:${cluster.port}, data in ${path.relative(ROOT, cluster.dataDir)}`);
    for (const dataset of datasets) {
      const db = await ensureBenchDatabase(cluster, { dataset, force: values.force, log });
      log(`Database "${db.name}" (${describeDataset(dataset)}): ${(db.bytes / 1048576).toFixed(0)} MiB (pg_database_size ${db.bytes.toLocaleString('en')} B), ` +
        `${db.tables} tables, ${db.indexes} indexes, ${db.rows.toLocaleString('en')} rows; ` +
        `${db.generatedMs === null ? 'cached' : `generated in ${(db.generatedMs / 1000).toFixed(1)} s`}.`);
    }
  } finally {
    await cluster.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`pgGenerate failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  });
}
