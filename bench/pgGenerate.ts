// The PostgreSQL benchmark's database and the throwaway cluster that holds it, both kept under
// bench/.data/pg/ between runs: initdb once, generate once, reuse afterwards. The database (about
// 1.2 GB by pg_database_size) is shaped like an application's: three big tables (orders, events
// with JSONB payloads, documents with long text), two middling ones (customers, products) and 50
// small reference tables, with primary keys, secondary indexes and foreign keys. Every value comes
// from hashint8extended() of the row number, so every machine builds the same rows.
//
//   node --import tsx bench/pgGenerate.ts            start the cluster, generate if needed, stop
//   node --import tsx bench/pgGenerate.ts --force    regenerate even when the cached one is current
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
import {
  commandFor, findAccount, isRoot, logTail, randomPassword, runTool, trackServer, type RunAs,
} from '../test/support/serverHarness';

/** Bump when the schema, the rows or the scale change: a cached database of another version is rebuilt. */
export const GENERATOR_VERSION = 2;
export const BENCH_DATABASE = 'bench';
export const PG_BIN = '/usr/lib/postgresql/15/bin';

const ROOT = path.resolve(__dirname, '..');
export const PG_HOME = path.join(ROOT, 'bench', '.data', 'pg');
const DATA_DIR = path.join(PG_HOME, 'data');
const LOG_FILE = path.join(PG_HOME, 'postgres.log');
const PASSWORD_FILE = path.join(PG_HOME, 'password');
const MARKER_FILE = path.join(PG_HOME, 'generated.json');
const USER = 'lifeboat_bench';

/** Rows per table: together about 1.2 GB (pg_database_size) with the indexes. */
const SCALE = {
  customers: 200_000,
  products: 20_000,
  orders: 2_200_000,
  events: 900_000,
  documents: 120_000,
  smallTables: 50,
};

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

/** The benchmark database, generated first when missing, of another generator version, or when `force`. */
export async function ensureBenchDatabase(cluster: BenchCluster, options: { force?: boolean; log?: (message: string) => void } = {}): Promise<BenchDatabase> {
  const log = options.log ?? (() => undefined);
  const marker = readMarker();
  const exists = (await cluster.query(`SELECT 1 FROM pg_database WHERE datname = '${BENCH_DATABASE}'`)).length > 0;
  let generatedMs: number | null = null;
  if (options.force || !exists || marker?.version !== GENERATOR_VERSION) {
    fs.rmSync(MARKER_FILE, { force: true });
    log(`Generating the PostgreSQL benchmark database "${BENCH_DATABASE}" (generator v${GENERATOR_VERSION}; once, cached afterwards)…`);
    const started = performance.now();
    await generate(cluster, log);
    generatedMs = Math.round(performance.now() - started);
    log(`Generated in ${(generatedMs / 1000).toFixed(1)} s.`);
  }
  const facts = await describe(cluster);
  // Exact row counts take a few seconds: counted once, after generation, and kept in the marker.
  let rows = generatedMs === null ? marker?.rows : undefined;
  if (rows === undefined) {
    rows = 0;
    for (const { relname } of await cluster.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'", BENCH_DATABASE)) {
      const [{ n }] = await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM "${relname}"`, BENCH_DATABASE);
      rows += Number(n);
    }
    fs.writeFileSync(MARKER_FILE, `${JSON.stringify({ version: GENERATOR_VERSION, at: new Date().toISOString(), generatedMs, ...facts, rows }, null, 1)}\n`);
  }
  return { name: BENCH_DATABASE, ...facts, rows, generatedMs };
}

function readMarker(): { version?: number; rows?: number } | undefined {
  try {
    return JSON.parse(fs.readFileSync(MARKER_FILE, 'utf8')) as { version?: number; rows?: number };
  } catch {
    return undefined;
  }
}

async function describe(cluster: BenchCluster): Promise<Omit<BenchDatabase, 'name' | 'generatedMs' | 'rows'>> {
  const [row] = await cluster.query<{ bytes: string; tables: string; indexes: string }>(`
    SELECT pg_database_size(current_database()) AS bytes,
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r') AS tables,
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'i') AS indexes`, BENCH_DATABASE);
  return { bytes: Number(row.bytes), tables: Number(row.tables), indexes: Number(row.indexes) };
}

async function generate(cluster: BenchCluster, log: (message: string) => void): Promise<void> {
  await cluster.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
  await cluster.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  const connect = async () => {
    const client = new Client({ ...cluster.clientConfig(BENCH_DATABASE), statement_timeout: 0 });
    await client.connect();
    await client.query("SET synchronous_commit = off; SET TimeZone = 'UTC'");
    return client;
  };
  const [a, b] = [await connect(), await connect()];
  const step = async (client: Client, label: string, sql: string) => {
    const started = performance.now();
    await client.query(sql);
    log(`  ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };
  try {
    await a.query(HELPERS);
    // Two sessions side by side (the machine has two cores): A the customers and orders, B the rest.
    await Promise.all([
      (async () => {
        await step(a, `customers: ${SCALE.customers.toLocaleString('en')} rows`, CUSTOMERS);
        await step(a, `orders: ${SCALE.orders.toLocaleString('en')} rows`, ORDERS);
        await step(a, `${SCALE.smallTables} small reference tables`, SMALL_TABLES);
      })(),
      (async () => {
        await step(b, `products: ${SCALE.products.toLocaleString('en')} rows`, PRODUCTS);
        await step(b, `events: ${SCALE.events.toLocaleString('en')} rows`, EVENTS);
        await step(b, `documents: ${SCALE.documents.toLocaleString('en')} rows`, DOCUMENTS);
      })(),
    ]);
    await Promise.all([
      step(a, 'orders: indexes and foreign key', ORDER_INDEXES),
      step(b, 'events, documents, products: indexes and foreign keys', OTHER_INDEXES),
    ]);
    await a.query('DROP SCHEMA bench_gen CASCADE');
    // Frozen, with hint bits and statistics set: the first dump then reads the same pages as the last.
    await Promise.all([
      step(a, 'VACUUM (FREEZE, ANALYZE) orders, customers, small tables', `VACUUM (FREEZE, ANALYZE) orders, customers, ${smallTableNames().join(', ')}`),
      step(b, 'VACUUM (FREEZE, ANALYZE) events, documents, products', 'VACUUM (FREEZE, ANALYZE) events, documents, products'),
    ]);
    await a.query('CHECKPOINT');
  } finally {
    await Promise.allSettled([a.end(), b.end()]);
  }
}

// ---------------------------------------------------------------------------------------------
// The SQL. bench_gen holds helpers for the generation only and is dropped afterwards.

/** 256 words: text built from them compresses about as well as an application's prose and labels. */
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

function sqlArray(values: string[]): string {
  return `ARRAY[${values.map(v => `'${v.replace(/'/g, "''")}'`).join(',')}]`;
}

// Every helper is a single SELECT of immutable operations, so the planner inlines it into the
// INSERT (a helper that is not inlined runs through the SQL-function executor, about 100 times slower).
const HELPERS = `
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
function prose(i: string, salt: number, n: string): string {
  return `(SELECT string_agg(bench_gen.w8(hashint8extended(${i} * 1024 + k, ${salt})), '. ') FROM generate_series(1, ${n}) k)`;
}

if (WORDS.length < 256) throw new Error(`The word list has ${WORDS.length} words; the generator needs 256.`);

const CUSTOMERS = `
  CREATE TABLE customers (
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
  );
  INSERT INTO customers
  SELECT i,
         initcap(bench_gen.w(h, 0)) || ' ' || initcap(bench_gen.w(h, 8)) || 'son',
         bench_gen.w(h, 0) || '.' || bench_gen.w(h, 8) || i || '@example.com',
         CASE WHEN h & 7 <> 0 THEN '+44 20 ' || lpad(bench_gen.u(i, 2, 100000000)::text, 8, '0') END,
         (ARRAY['GB','FR','DE','ES','IT','AT','NL','BE','SE','PL','US','CA'])[1 + bench_gen.u(i, 3, 12)],
         initcap(bench_gen.w(h, 16)) || ' ' || initcap(bench_gen.w(h, 24)),
         bench_gen.at(i, ${SCALE.customers}, 4),
         bench_gen.u(i, 5, 2000000) / 100.0 - 2000,
         h & 1 = 0,
         jsonb_build_object('language', (ARRAY['en','fr','de','es','it'])[1 + bench_gen.u(i, 6, 5)],
                            'newsletter', h & 2 = 0, 'segment', bench_gen.w(h, 32), 'score', bench_gen.u(i, 7, 1000),
                            'tags', jsonb_build_array(bench_gen.w(h, 40), bench_gen.w(h, 48)))
  FROM generate_series(1, ${SCALE.customers}) i, LATERAL (SELECT hashint8extended(i, 1) AS h) x;
`;

const PRODUCTS = `
  CREATE TABLE products (
    id integer PRIMARY KEY,
    sku text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    price numeric(10,2) NOT NULL,
    weight_kg numeric(8,3),
    attributes jsonb NOT NULL,
    created_at timestamptz NOT NULL
  );
  INSERT INTO products
  SELECT i,
         'SKU-' || lpad(i::text, 6, '0') || '-' || upper(substr(bench_gen.w(h, 0), 1, 3)),
         initcap(bench_gen.w(h, 8)) || ' ' || bench_gen.w(h, 16) || ' ' || bench_gen.w(h, 24),
         ${prose('i', 11, '3 + bench_gen.u(i, 12, 6)::int')},
         (99 + bench_gen.u(i, 13, 99900)) / 100.0,
         CASE WHEN h & 15 <> 0 THEN bench_gen.u(i, 14, 50000) / 1000.0 END,
         jsonb_build_object('color', bench_gen.w(h, 32), 'size', (ARRAY['XS','S','M','L','XL'])[1 + bench_gen.u(i, 15, 5)],
                            'stock', bench_gen.u(i, 16, 5000), 'warehouse', initcap(bench_gen.w(h, 40)),
                            'dimensions', jsonb_build_object('w', bench_gen.u(i, 17, 100), 'h', bench_gen.u(i, 18, 100), 'd', bench_gen.u(i, 19, 100))),
         bench_gen.at(i, ${SCALE.products}, 20)
  FROM generate_series(1, ${SCALE.products}) i, LATERAL (SELECT hashint8extended(i, 10) AS h) x;
`;

const ORDERS = `
  CREATE TABLE orders (
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
  );
  INSERT INTO orders
  SELECT i, customer_id, ordered_at, status, currency, subtotal, round(subtotal * 0.2, 2), subtotal + round(subtotal * 0.2, 2), address, note
  FROM (
    SELECT i,
           1 + bench_gen.u(i, 21, ${SCALE.customers})::int AS customer_id,
           bench_gen.at(i, ${SCALE.orders}, 22) AS ordered_at,
           (ARRAY['delivered','delivered','delivered','shipped','paid','pending','cancelled','refunded'])[1 + (h & 7)] AS status,
           (ARRAY['EUR','EUR','GBP','USD'])[1 + ((h >> 3) & 3)] AS currency,
           bench_gen.u(i, 23, 5000000) / 100.0 AS subtotal,
           (1 + bench_gen.u(i, 24, 300)) || ' ' || initcap(bench_gen.w(h, 8)) || ' ' || (ARRAY['Street','Road','Avenue','Lane'])[1 + ((h >> 16) & 3)] ||
             ', ' || initcap(bench_gen.w(h, 24)) || ' ' || upper(substr(bench_gen.w(h, 32), 1, 2)) || (1 + ((h >> 40) & 31)) || ' ' ||
             ((h >> 45) & 9) || upper(substr(bench_gen.w(h, 48), 1, 2)) AS address,
           CASE WHEN (h >> 56) & 3 = 0 THEN bench_gen.w8(hashint8extended(i, 25)) END AS note
    FROM generate_series(1, ${SCALE.orders}) i, LATERAL (SELECT hashint8extended(i, 20) AS h) x
  ) o;
`;

const EVENTS = `
  CREATE TABLE events (
    id bigint PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    customer_id integer NOT NULL,
    kind text NOT NULL,
    amount numeric(12,2),
    payload jsonb NOT NULL
  );
  INSERT INTO events
  SELECT i,
         bench_gen.at(i, ${SCALE.events}, 31),
         1 + bench_gen.u(i, 32, ${SCALE.customers})::int,
         kind,
         CASE WHEN kind IN ('checkout', 'refund') THEN bench_gen.u(i, 33, 100000) / 100.0 END,
         jsonb_build_object(
           'session', to_hex(hashint8extended(i / 7, 34)),
           'ip', '10.' || ((h >> 8) & 255) || '.' || ((h >> 16) & 255) || '.' || ((h >> 24) & 255),
           'agent', (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15',
                           'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0.0.0', 'Lifeboat-App/3.2 (iPhone; iOS 17.5)'])[1 + ((h >> 32) & 3)],
           'page', '/' || bench_gen.w(h, 36) || '/' || bench_gen.w(h, 44) || '?ref=' || bench_gen.w(h, 52),
           'items', jsonb_build_array(
             jsonb_build_object('product', 1 + bench_gen.u(i, 35, ${SCALE.products}), 'qty', 1 + ((h >> 40) & 3), 'label', bench_gen.w8(hashint8extended(i, 36))),
             jsonb_build_object('product', 1 + bench_gen.u(i, 37, ${SCALE.products}), 'qty', 1 + ((h >> 42) & 3))),
           'flags', jsonb_build_object('mobile', (h >> 44) & 1 = 1, 'returning', (h >> 45) & 1 = 1, 'experiment', bench_gen.w(h, 48)),
           'duration_ms', bench_gen.u(i, 38, 30000))
  FROM generate_series(1, ${SCALE.events}) i,
       LATERAL (SELECT hashint8extended(i, 30) AS h) x,
       LATERAL (SELECT (ARRAY['view','view','view','view','search','cart','checkout','refund','login','logout'])[1 + bench_gen.u(i, 39, 10)] AS kind) k;
`;

const DOCUMENTS = `
  CREATE TABLE documents (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    revision integer NOT NULL
  );
  INSERT INTO documents
  SELECT i,
         1 + bench_gen.u(i, 41, ${SCALE.customers})::int,
         initcap(bench_gen.w8(h)),
         ${prose('i', 42, '4 + bench_gen.u(i, 43, 40)::int')},
         bench_gen.at(i, ${SCALE.documents}, 44),
         bench_gen.at(i, ${SCALE.documents}, 44) + make_interval(secs => bench_gen.u(i, 45, 8000000)),
         1 + bench_gen.u(i, 46, 12)::int
  FROM generate_series(1, ${SCALE.documents}) i, LATERAL (SELECT hashint8extended(i, 40) AS h) x;
`;

const SMALL_TABLES = `
  DO $$
  BEGIN
    FOR t IN 1..${SCALE.smallTables} LOOP
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
        INSERT INTO %1$I
        SELECT i, upper(bench_gen.w(h, 0)) || '-' || i, initcap(bench_gen.w(h, 8)) || ' ' || bench_gen.w(h, 16),
               CASE WHEN h & 3 <> 0 THEN bench_gen.w8(hashint8extended(i, %2$s)) END,
               bench_gen.u(i, %2$s + 1, 10000000) / 10000.0, h & 7 <> 0, bench_gen.at(i, 5000, %2$s + 2)
        FROM generate_series(1, %3$s) i, LATERAL (SELECT hashint8extended(i, %2$s) AS h) x;
      $f$, 'ref_' || lpad(t::text, 2, '0'), 100 + t * 3, 500 + (t * 977) % 4500);
    END LOOP;
  END $$;
`;

function smallTableNames(): string[] {
  return Array.from({ length: SCALE.smallTables }, (_, t) => `ref_${String(t + 1).padStart(2, '0')}`);
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
  const log = (message: string) => console.log(message);
  const cluster = await startBenchCluster(log);
  try {
    log(`PostgreSQL ${cluster.version} on 127.0.0.1:${cluster.port}, data in ${path.relative(ROOT, cluster.dataDir)}`);
    const db = await ensureBenchDatabase(cluster, { force: values.force, log });
    log(`Database "${db.name}": ${(db.bytes / 1048576).toFixed(0)} MiB (pg_database_size ${db.bytes.toLocaleString('en')} B), ` +
      `${db.tables} tables, ${db.indexes} indexes, ${db.rows.toLocaleString('en')} rows; ` +
      `${db.generatedMs === null ? `cached (generator v${GENERATOR_VERSION})` : `generated in ${(db.generatedMs / 1000).toFixed(1)} s`}.`);
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
